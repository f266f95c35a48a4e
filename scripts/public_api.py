#!/usr/bin/env python3
"""Lists the public API of one crate from rustdoc's JSON output (standard library only).

    public_api.py target/doc/conn_config.json [target/doc/OTHER.json ...] > api/conn-config.txt

One line per public item: modules, re-exports of other crates, structs (with their public
fields, `{ .. }` when some are private), enums with their variants, traits with their items,
functions and methods with their full signatures, constants, and every trait implemented
for a public type (auto traits such as Send and Sync included; blanket implementations such
as `impl<T> From<T> for T` left out: they follow from the others). Types are written with
the path under which they are public (local items) or their defining path (other crates),
so the listing changes when the API does, not when a `use` in the source does; the JSON of
the workspace's other crates, when given, supplies their public paths (rustdoc knows only
where another crate defines an item). Auto traits that are unstable (Freeze, UnsafeUnpin)
are left out: they come and go with the nightly toolchain. Lines are
sorted, so the output is deterministic. `scripts/public-api.sh` runs this for every
library crate.
"""

import json
import sys


STABLE_AUTO_TRAITS = {"Send", "Sync", "Unpin", "UnwindSafe", "RefUnwindSafe"}


class Lister:
    def __init__(self, doc, others=()):
        self.doc = doc
        self.index = doc["index"]
        self.paths = doc["paths"]
        self.crate = self.index[str(doc["root"])]["name"]
        self.public_path = {}  # item id -> public path of a local item
        self.lines = set()
        # Another workspace crate's items: defining path -> public path.
        self.foreign_public = {}
        for other in others:
            o = Lister(other)
            o.collect_paths(other["root"], [o.crate], set())
            for id_, public in o.public_path.items():
                p = other["paths"].get(str(id_))
                if p is not None and p["crate_id"] == 0:
                    self.foreign_public["::".join(p["path"])] = public

    # ---- names ------------------------------------------------------------------------

    def item(self, id_):
        return self.index.get(str(id_))

    def path_of(self, id_, written):
        """The public path of a local item, else the defining path, else as written."""
        if id_ is not None:
            if id_ in self.public_path:
                return self.public_path[id_]
            p = self.paths.get(str(id_))
            if p is not None:
                defined = "::".join(p["path"])
                return self.foreign_public.get(defined, defined)
        return written

    # ---- types ------------------------------------------------------------------------

    def ty(self, t):
        if t is None:
            return "()"
        (kind, v), = t.items()
        if kind == "resolved_path":
            return self.path_of(v["id"], v["path"]) + self.generic_args(v.get("args"))
        if kind in ("generic", "primitive"):
            return v
        if kind == "borrowed_ref":
            lt = v["lifetime"] + " " if v["lifetime"] else ""
            return "&" + lt + ("mut " if v["is_mutable"] else "") + self.ty(v["type"])
        if kind == "raw_pointer":
            return ("*mut " if v["is_mutable"] else "*const ") + self.ty(v["type"])
        if kind == "tuple":
            inner = ", ".join(self.ty(x) for x in v)
            return "(" + inner + ("," if len(v) == 1 else "") + ")"
        if kind == "slice":
            return "[" + self.ty(v) + "]"
        if kind == "array":
            return "[" + self.ty(v["type"]) + "; " + v["len"] + "]"
        if kind == "impl_trait":
            return "impl " + self.bounds(v)
        if kind == "dyn_trait":
            parts = [self.poly_trait(x) for x in v["traits"]]
            if v.get("lifetime"):
                parts.append(v["lifetime"])
            return "dyn " + " + ".join(parts)
        if kind == "function_pointer":
            return self.hrtb(v.get("generic_params")) + "fn" + self.sig(v["sig"], None)
        if kind == "qualified_path":
            base = "<" + self.ty(v["self_type"])
            if v.get("trait"):
                base += " as " + self.path_of(v["trait"]["id"], v["trait"]["path"]) + self.generic_args(v["trait"].get("args"))
            return base + ">::" + v["name"] + self.generic_args(v.get("args"))
        if kind == "infer":
            return "_"
        return "<" + kind + ">"

    def generic_args(self, a):
        if not a:
            return ""
        (kind, v), = a.items()
        if kind == "angle_bracketed":
            parts = [self.generic_arg(x) for x in v["args"]]
            for c in v.get("constraints", []):
                name = c["name"] + self.generic_args(c.get("args"))
                (bk, bv), = c["binding"].items()
                if bk == "equality":
                    (tk, tv), = bv.items()
                    parts.append(name + " = " + (self.ty(tv) if tk == "type" else str(tv)))
                else:
                    parts.append(name + ": " + self.bounds(bv))
            return "<" + ", ".join(parts) + ">" if parts else ""
        if kind == "parenthesized":
            out = "(" + ", ".join(self.ty(x) for x in v["inputs"]) + ")"
            if v.get("output") is not None:
                out += " -> " + self.ty(v["output"])
            return out
        return "(..)"

    def generic_arg(self, x):
        if x == "infer":
            return "_"
        (kind, v), = x.items()
        if kind == "lifetime":
            return v
        if kind == "type":
            return self.ty(v)
        if kind == "const":
            return v.get("expr") or v.get("value") or "_"
        return "_"

    def bounds(self, bs):
        out = []
        for b in bs:
            (kind, v), = b.items()
            if kind == "trait_bound":
                mod = {"maybe": "?", "maybe_const": "~const "}.get(v.get("modifier"), "")
                out.append(mod + self.poly_trait(v))
            elif kind == "outlives":
                out.append(v)
            elif kind == "use":
                out.append("use<" + ", ".join(u if isinstance(u, str) else next(iter(u.values())) for u in v) + ">")
        return " + ".join(out)

    def poly_trait(self, v):
        t = v["trait"]
        return self.hrtb(v.get("generic_params")) + self.path_of(t["id"], t["path"]) + self.generic_args(t.get("args"))

    def hrtb(self, params):
        if not params:
            return ""
        return "for<" + ", ".join(p["name"] for p in params) + "> "

    def generics(self, g):
        params = []
        for p in g["params"]:
            (kind, v), = p["kind"].items()
            if kind == "type":
                if v.get("is_synthetic"):
                    continue
                s = p["name"] + (": " + self.bounds(v["bounds"]) if v["bounds"] else "")
                if v.get("default") is not None:
                    s += " = " + self.ty(v["default"])
            elif kind == "lifetime":
                s = p["name"] + (": " + " + ".join(v["outlives"]) if v["outlives"] else "")
            else:
                s = "const " + p["name"] + ": " + self.ty(v["type"])
            params.append(s)
        return "<" + ", ".join(params) + ">" if params else ""

    def where(self, g):
        preds = []
        for w in g["where_predicates"]:
            (kind, v), = w.items()
            if kind == "bound_predicate":
                preds.append(self.hrtb(v.get("generic_params")) + self.ty(v["type"]) + ": " + self.bounds(v["bounds"]))
            elif kind == "lifetime_predicate":
                preds.append(v["lifetime"] + ": " + " + ".join(v["outlives"]))
            elif kind == "eq_predicate":
                (rk, rv), = v["rhs"].items()
                preds.append(self.ty(v["lhs"]) + " == " + (self.ty(rv) if rk == "type" else str(rv)))
        return " where " + ", ".join(preds) if preds else ""

    def sig(self, s, generics):
        args = []
        for name, t in s["inputs"]:
            if name == "self":
                if t == {"generic": "Self"}:
                    args.append("self")
                    continue
                if "borrowed_ref" in t and t["borrowed_ref"]["type"] == {"generic": "Self"}:
                    r = t["borrowed_ref"]
                    lt = r["lifetime"] + " " if r["lifetime"] else ""
                    args.append("&" + lt + ("mut " if r["is_mutable"] else "") + "self")
                    continue
            args.append(name + ": " + self.ty(t))
        out = (self.generics(generics) if generics else "") + "(" + ", ".join(args) + ")"
        if s.get("output") is not None:
            out += " -> " + self.ty(s["output"])
        if generics:
            out += self.where(generics)
        return out

    # ---- items ------------------------------------------------------------------------

    def attrs(self, it):
        out = []
        for a in it.get("attrs", []):
            if a == "non_exhaustive" or (isinstance(a, dict) and "non_exhaustive" in a):
                out.append("#[non_exhaustive] ")
        return "".join(out)

    def function(self, it, path, prefix="pub fn "):
        f = it["inner"]["function"]
        h = f["header"]
        quals = ("const " if h["is_const"] else "") + ("async " if h["is_async"] else "") + ("unsafe " if h["is_unsafe"] else "")
        return prefix.replace("fn ", quals + "fn ") + path + self.sig(f["sig"], f["generics"])

    def name(self, id_):
        """The path segment an item adds below its module (none for a `use`)."""
        it = self.item(id_)
        return [it["name"]] if it is not None and it["name"] and "use" not in it["inner"] else []

    def collect_paths(self, id_, path, seen):
        """First pass: the public path of every reachable local item."""
        it = self.item(id_)
        if it is None or id_ in seen:
            return
        seen.add(id_)
        kind = next(iter(it["inner"]))
        if kind == "use":
            u = it["inner"]["use"]
            target = self.item(u["id"]) if u["id"] is not None else None
            if target is None:
                return
            if u["is_glob"]:
                for child in target["inner"].get("module", {}).get("items", []):
                    self.collect_paths(child, path + self.name(child), seen)
            else:
                self.collect_paths(u["id"], path + [u["name"]], seen)
            return
        if it["visibility"] != "public":
            return
        self.public_path.setdefault(id_, "::".join(path))
        if kind == "module":
            for child in it["inner"]["module"]["items"]:
                self.collect_paths(child, path + self.name(child), seen)

    def visit(self, id_, path, seen):
        it = self.item(id_)
        if it is None or id_ in seen:
            return
        seen.add(id_)
        kind = next(iter(it["inner"]))
        v = it["inner"][kind]
        p = "::".join(path)
        if kind == "use":
            target = self.item(v["id"]) if v["id"] is not None else None
            # `path` is the module the `use` is in.
            if target is None:  # another crate's item, or another crate
                self.lines.add("pub use " + "::".join(path + [v["name"]]) + " = " + v["source"])
            elif v["is_glob"]:
                for child in target["inner"].get("module", {}).get("items", []):
                    self.visit(child, path + self.name(child), seen)
            else:
                self.visit(v["id"], path + [v["name"]], seen)
            return
        if it["visibility"] != "public":
            return
        a = self.attrs(it)
        if kind == "module":
            self.lines.add(a + "pub mod " + p)
            for child in v["items"]:
                self.visit(child, path + self.name(child), seen)
        elif kind == "struct":
            k = v["kind"]
            if k == "unit":
                shape = ";"
            elif "tuple" in k:
                fields = ["pub " + self.ty(self.item(f)["inner"]["struct_field"]) if f is not None else "_" for f in k["tuple"]]
                shape = "(" + ", ".join(fields) + ")"
            else:
                shape = " { .. }" if k["plain"]["has_stripped_fields"] else ""
                for f in k["plain"]["fields"]:
                    fi = self.item(f)
                    self.lines.add("pub struct field " + p + "::" + fi["name"] + ": " + self.ty(fi["inner"]["struct_field"]))
            self.lines.add(a + "pub struct " + p + self.generics(v["generics"]) + shape + self.where(v["generics"]))
            self.impls(v["impls"], p)
        elif kind == "enum":
            self.lines.add(a + "pub enum " + p + self.generics(v["generics"]) + self.where(v["generics"]))
            for var in v["variants"]:
                self.variant(self.item(var), p)
            self.impls(v["impls"], p)
        elif kind == "union":
            self.lines.add(a + "pub union " + p + self.generics(v["generics"]))
            self.impls(v["impls"], p)
        elif kind == "function":
            self.lines.add(self.function(it, p))
        elif kind == "trait":
            sup = ": " + self.bounds(v["bounds"]) if v["bounds"] else ""
            quals = ("unsafe " if v["is_unsafe"] else "") + ("auto " if v["is_auto"] else "")
            self.lines.add(a + "pub " + quals + "trait " + p + self.generics(v["generics"]) + sup + self.where(v["generics"]))
            for child in v["items"]:
                self.assoc(self.item(child), p, "pub trait ")
        elif kind == "constant":
            self.lines.add("pub const " + p + ": " + self.ty(v["type"]))
        elif kind == "static":
            self.lines.add("pub static " + ("mut " if v["is_mutable"] else "") + p + ": " + self.ty(v["type"]))
        elif kind == "type_alias":
            self.lines.add("pub type " + p + self.generics(v["generics"]) + " = " + self.ty(v["type"]))
        elif kind in ("macro", "proc_macro"):
            self.lines.add("pub macro " + p + "!")
        else:
            self.lines.add("pub " + kind + " " + p)

    def variant(self, it, p):
        v = it["inner"]["variant"]
        k = v["kind"]
        name = p + "::" + it["name"]
        a = self.attrs(it)
        if k == "plain":
            self.lines.add(a + "pub variant " + name)
        elif "tuple" in k:
            fields = [self.ty(self.item(f)["inner"]["struct_field"]) if f is not None else "_" for f in k["tuple"]]
            self.lines.add(a + "pub variant " + name + "(" + ", ".join(fields) + ")")
        else:
            fields = [self.item(f)["name"] + ": " + self.ty(self.item(f)["inner"]["struct_field"]) for f in k["struct"]["fields"]]
            if k["struct"]["has_stripped_fields"]:
                fields.append("..")
            self.lines.add(a + "pub variant " + name + " { " + ", ".join(fields) + " }")

    def assoc(self, it, p, prefix):
        kind = next(iter(it["inner"]))
        v = it["inner"][kind]
        name = p + "::" + it["name"]
        if kind == "function":
            default = "" if prefix == "pub " or not v["has_body"] else " { provided }"
            self.lines.add(self.function(it, name, prefix + "fn ") + default)
        elif kind == "assoc_const":
            self.lines.add(prefix + "const " + name + ": " + self.ty(v["type"]))
        elif kind == "assoc_type":
            b = ": " + self.bounds(v["bounds"]) if v["bounds"] else ""
            t = " = " + self.ty(v["type"]) if v.get("type") is not None else ""
            self.lines.add(prefix + "type " + name + self.generics(v["generics"]) + b + t)

    def impls(self, ids, p):
        for id_ in ids:
            it = self.item(id_)
            if it is None:
                continue
            im = it["inner"]["impl"]
            if im["blanket_impl"] is not None:
                continue
            if im["is_synthetic"] and im["trait"]["path"] not in STABLE_AUTO_TRAITS:
                continue
            if im["trait"] is None:
                for child in im["items"]:
                    c = self.item(child)
                    if c is not None and c["visibility"] == "public":
                        self.assoc(c, p, "pub ")
            else:
                t = im["trait"]
                neg = "!" if im["is_negative"] else ""
                self.lines.add(
                    ("unsafe " if im["is_unsafe"] else "") + "impl" + self.generics(im["generics"]) + " " + neg
                    + self.path_of(t["id"], t["path"]) + self.generic_args(t.get("args"))
                    + " for " + self.ty(im["for"]) + self.where(im["generics"])
                )

    def run(self):
        root = self.doc["root"]
        self.collect_paths(root, [self.crate], set())
        self.visit(root, [self.crate], set())
        return sorted(self.lines)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: public_api.py CRATE.json [OTHER_WORKSPACE_CRATE.json ...]")
    docs = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f))
    for line in Lister(docs[0], docs[1:]).run():
        print(line)


if __name__ == "__main__":
    main()
