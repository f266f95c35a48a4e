#!/usr/bin/env bash
# The public API of every library crate, one item per line, checked in under api/ so that
# every public change shows in review.
#
#   bash scripts/public-api.sh --write   # regenerate api/*.txt (commit the result)
#   bash scripts/public-api.sh --check   # fail, with the diff, if api/*.txt is not current
#
# How: rustdoc's JSON output (the installed nightly toolchain: `--output-format json` is
# unstable) with all features on, listed by scripts/public_api.py (Python standard library
# only). Chosen over `cargo public-api` because that needs a `cargo install` of ~200 crates
# on every fresh CI machine; this needs nothing beyond the nightly that the fuzz smoke
# already uses. The listing is sorted and uses full paths, so it is deterministic.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  --write|--check) ;;
  *) echo "usage: $0 --write|--check" >&2; exit 2 ;;
esac
crates=(conn-config conn-transport-tonic conn-registry)
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p api
for crate in "${crates[@]}"; do
  lib=${crate//-/_}
  rm -f "$target_dir/doc/$lib.json"
  cargo +nightly rustdoc -q -p "$crate" --lib --all-features --locked \
    -- -Z unstable-options --output-format json
done
for crate in "${crates[@]}"; do
  # The others' JSON gives the public paths of their items used in this crate's API.
  others=()
  for other in "${crates[@]}"; do
    [ "$other" = "$crate" ] || others+=("$target_dir/doc/${other//-/_}.json")
  done
  python3 scripts/public_api.py "$target_dir/doc/${crate//-/_}.json" "${others[@]}" > "$out/$crate.txt"
done
status=0
for crate in "${crates[@]}"; do
  if [ "$mode" = --write ]; then
    cp "$out/$crate.txt" "api/$crate.txt"
    echo "api/$crate.txt: $(wc -l < "api/$crate.txt") lines"
  elif ! diff -u "api/$crate.txt" "$out/$crate.txt"; then
    echo "api/$crate.txt is not current: run 'bash scripts/public-api.sh --write' and commit" >&2
    status=1
  fi
done
exit $status
