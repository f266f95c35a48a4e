#!/usr/bin/env python3
"""Regenerates the seed corpus (fuzz/corpus/<target>/) and the value pool of the resolve
target (fuzz/src/pool.txt) from:

- the pymilvus oracle's recorded inputs, ../shared/oracle/cases_in.jsonl (beside the
  checkout; pass another path as the first argument): every uri/address/host/port value
  and MILVUS_URI/MILVUS_DEFAULT_CONNECTION value, the .env contents, and each case as a
  whole (the resolve target reads a JSON object as an oracle case);
- the string literals of conn-config's unit-test tables: src/uri.rs (its tests module),
  src/resolve/tests.rs and src/dotenv.rs.

Files are named by the SHA-1 of their content, as libFuzzer names corpus entries, so
re-running is idempotent. Usage: python3 fuzz/make_seeds.py [path/to/cases_in.jsonl]
"""

import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CRATE = os.path.join(ROOT, "crates", "conn-config", "src")
ORACLE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "oracle", "cases_in.jsonl")

URI_KEYS = {"uri", "address", "host", "port"}
URI_VARS = {"MILVUS_URI", "MILVUS_DEFAULT_CONNECTION"}


def rust_strings(src):
    """The string literals of Rust source, decoded ("...", r"...", r#"..."#)."""
    out = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "'":
            # A char literal or a lifetime: skip a char literal so "'\"'" is not a string.
            m = re.match(r"'(\\.|\\u\{[0-9a-fA-F]+\}|[^\\'])'", src[i:])
            i += m.end() if m else 1
            continue
        m = re.match(r'r(#*)"', src[i:])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            hashes = m.group(1)
            end = src.find('"' + hashes, i + m.end())
            out.append(src[i + m.end():end])
            i = end + 1 + len(hashes)
            continue
        if c == '"':
            j = i + 1
            buf = []
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    e = src[j + 1]
                    if e == "\n":
                        j += 2
                        while j < n and src[j] in " \t\n\r":
                            j += 1
                        continue
                    if e == "u":
                        k = src.index("}", j)
                        buf.append(chr(int(src[j + 3:k], 16)))
                        j = k + 1
                        continue
                    if e == "x":
                        buf.append(chr(int(src[j + 2:j + 4], 16)))
                        j += 4
                        continue
                    buf.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(e, e))
                    j += 2
                    continue
                buf.append(src[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
            continue
        i += 1
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def uri_like(s):
    return bool(s) and "\n" not in s and (
        "://" in s or s.lower().startswith("unix:") or s.endswith(".db") or ":" in s
        or s.replace(".", "").isalnum()
    )


def main():
    parse_uri, dotenv, resolve, pool = set(), set(), set(), set()

    # The oracle's recorded inputs.
    with open(ORACLE, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            case = json.loads(line)
            resolve.add(line)
            calls = [case] + list(case.get("steps", []))
            for call in calls:
                kwargs = call.get("kwargs") or {}
                # add_connection takes {alias: {kwargs}}.
                dicts = [kwargs] + [v for v in kwargs.values() if isinstance(v, dict)]
                for d in dicts:
                    for k, v in d.items():
                        if k in URI_KEYS and isinstance(v, (str, int)) and not isinstance(v, bool):
                            parse_uri.add(str(v))
                for a in call.get("args") or []:
                    if isinstance(a, str) and uri_like(a):
                        parse_uri.add(a)
            env = case.get("env") or {}
            for k, v in env.items():
                if k in URI_VARS:
                    parse_uri.add(v)
            if env:
                dotenv.add("".join(f"{k}={v}\n" for k, v in env.items()))
            if "dotenv" in case:
                dotenv.add(case["dotenv"])

    # The unit-test tables.
    uri_src = read(os.path.join(CRATE, "uri.rs"))
    tests_at = uri_src.find("#[cfg(test)]")
    for s in rust_strings(uri_src[tests_at:]):
        if uri_like(s) or s == "":
            parse_uri.add(s)
    for name in ("resolve/tests.rs", "dotenv.rs"):
        path = os.path.join(CRATE, name)
        if not os.path.exists(path):
            continue
        for s in rust_strings(read(path)):
            if "=" in s and ("\n" in s or s.startswith("MILVUS_")):
                dotenv.add(s)
            elif uri_like(s) and len(s) < 200:
                parse_uri.add(s)

    parse_uri.discard("")
    pool = {s for s in parse_uri if "\n" not in s and "\r" not in s}

    for target, seeds in (("parse_uri", parse_uri), ("dotenv", dotenv), ("resolve", resolve)):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for s in seeds:
            data = s.encode("utf-8")
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds in {os.path.relpath(d, ROOT)}")
    with open(os.path.join(HERE, "src", "pool.txt"), "w", encoding="utf-8") as f:
        for s in sorted(pool):
            f.write(s + "\n")
    print(f"pool: {len(pool)} values in fuzz/src/pool.txt")


if __name__ == "__main__":
    main()
