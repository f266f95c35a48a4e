#!/usr/bin/env bash
# What CI checks of the declared minimum supported Rust version (the workspace's
# `rust-version`), short of building with that toolchain (only stable and nightly are
# installed, and none can be downloaded):
#   1. clippy's `incompatible_msrv` lint (in clippy::all, run with -D warnings by .ci/run)
#      reads `rust-version` and rejects std APIs stabilised after it;
#   2. this script: every crate that the published crates build with (normal and build
#      dependencies, as locked in Cargo.lock, all features) declares a `rust-version` no
#      newer than ours, or none.
# Not checked: language and Cargo features newer than the MSRV (edition 2024 needs 1.85,
# let-chains 1.88: both used, both within 1.88).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked --all-features | python3 -c '
import json, sys
meta = json.load(sys.stdin)
pkgs = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
def version(s):
    parts = [int(x) for x in s.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
roots = [p for p in meta["packages"] if p["id"] in meta["workspace_members"] and p.get("publish") != []]
msrv = version(roots[0]["rust_version"])
seen, stack = set(), [p["id"] for p in roots]
while stack:
    id_ = stack.pop()
    if id_ in seen:
        continue
    seen.add(id_)
    for dep in nodes[id_]["deps"]:
        if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
            stack.append(dep["pkg"])
too_new = sorted((pkgs[i]["name"], pkgs[i]["version"], pkgs[i]["rust_version"]) for i in seen
                 if pkgs[i].get("rust_version") and version(pkgs[i]["rust_version"]) > msrv)
names = ", ".join(sorted(p["name"] for p in roots))
declared = roots[0]["rust_version"]
print(f"msrv {declared}: {len(seen)} crates built by {names}; declaring a newer rust-version: {len(too_new)}")
for name, ver, rv in too_new:
    print(f"  {name} {ver} needs {rv}")
sys.exit(1 if too_new else 0)
'
