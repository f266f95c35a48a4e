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
#
# The verify step builds each library, not its examples; a package whose example uses an
# unpublished crate (a path-only dev-dependency, which packaging strips) would still pass.
# So the libraries' examples are then built from the tarballs too: unpacked into a
# temporary workspace whose [patch.crates-io] points the siblings at each other's unpacked
# copies, with the repository's Cargo.lock (the same versions, offline: the dry run has
# fetched them) and the same target directory (the dependencies are mostly built).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for dir in "$cargo_home"/registry/src/*/; do
  case "$(basename "$dir")" in index.*) continue ;; esac
  rm -rf "$dir"conn-config-* "$dir"conn-transport-tonic-* "$dir"conn-registry-* "$dir"milvus-conn-*
done
cargo publish --workspace --dry-run --locked "$@"

libs=(conn-config conn-transport-tonic conn-registry)
# [workspace.package]'s, the first `version =` line of the root manifest
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
unpacked=$(mktemp -d "${TMPDIR:-/tmp}/milvus-conn-packaged.XXXXXX")
trap 'rm -rf "$unpacked"' EXIT
{
  echo '[workspace]'
  echo 'resolver = "3"'
  printf 'members = [%s]\n' "$(printf '"%s-'"$version"'", ' "${libs[@]}")"
  echo '[patch.crates-io]'
  for lib in "${libs[@]}"; do
    # `cargo publish --dry-run` leaves its tarballs in package/tmp-crate/ (`cargo package`
    # in package/, where an older one may linger): this run's first.
    crate=$target_dir/package/tmp-crate/$lib-$version.crate
    [ -f "$crate" ] || crate=$target_dir/package/$lib-$version.crate
    tar -xzf "$crate" -C "$unpacked"
    echo "$lib = { path = \"$lib-$version\" }"
  done
} > "$unpacked/Cargo.toml"
cp Cargo.lock "$unpacked/"
echo "building the examples from the packaged sources ($unpacked)"
(cd "$unpacked" && CARGO_TARGET_DIR=$target_dir cargo build -q --offline --workspace --examples)
