#!/usr/bin/env bash
# `cargo check` of every combination of each library crate's features (the equivalent of
# `cargo hack --feature-powerset check`, without installing cargo-hack): a crate must
# build with any set of its features, defaults off. Internal features (`_tls`) are left
# out: the public ones imply them. Uses the shared target directory.
#
#   bash scripts/feature-powerset.sh [CRATE...]   # default: every published library crate
set -euo pipefail
cd "$(dirname "$0")/.."
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(conn-config conn-transport-tonic conn-registry)
meta=$(cargo metadata --format-version 1 --no-deps --locked)
total=0
for crate in "${crates[@]}"; do
  mapfile -t features < <(python3 -c '
import json, sys
meta = json.load(sys.stdin)
pkg = next(p for p in meta["packages"] if p["name"] == sys.argv[1])
features = sorted(f for f in pkg["features"] if f != "default" and not f.startswith("_"))
if features:  # no line at all for a crate without features (conn-config)
    print("\n".join(features))
' "$crate" <<<"$meta")
  n=${#features[@]}
  start=$(date +%s)
  for ((mask = 0; mask < (1 << n); mask++)); do
    set_=()
    for ((i = 0; i < n; i++)); do
      if (( mask & (1 << i) )); then set_+=("${features[$i]}"); fi
    done
    list=$(IFS=,; echo "${set_[*]}")
    echo "--- $crate: [${list}]"
    cargo check -q -p "$crate" --no-default-features --features "$list" --locked
    total=$((total + 1))
  done
  echo "$crate: $((1 << n)) feature sets in $(( $(date +%s) - start ))s"
done
echo "feature powerset: $total checks"
