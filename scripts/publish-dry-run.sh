#!/usr/bin/env bash
# `cargo publish --workspace --dry-run`: packages every publishable crate (publish = false
# ones are skipped) and builds each from its packaged tarball, as crates.io would get it.
# Cargo (1.90+) resolves the not-yet-published siblings (conn-transport-tonic depends on
# conn-config, ...) from a temporary local registry of the tarballs it just made, so no
# `--no-verify` workaround is needed; the crates.io index must be reachable.
#
# Cargo unpacks those tarballs under $CARGO_HOME/registry/src/<temporary registry>/ and,
# on a second run with the same version, reuses the old unpacked copy (a stale build of
# what changed since); the first step removes our crates' unpacked copies from such
# temporary registries (never from crates.io's, `index.*`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for dir in "$cargo_home"/registry/src/*/; do
  case "$(basename "$dir")" in index.*) continue ;; esac
  rm -rf "$dir"conn-config-* "$dir"conn-transport-tonic-* "$dir"conn-registry-* "$dir"milvus-conn-*
done
cargo publish --workspace --dry-run --locked "$@"
