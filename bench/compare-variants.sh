#!/usr/bin/env bash
# Attributes the gap between this project and the floor against a real Milvus: runs ours and
# the floor's diagnostic variants (see bench/compare/src/bin/floor.rs) in turn against one
# Milvus 2.3.5 (tests/milvus/start.sh plain), ROUNDS times, and prints the medians.
#
#   bash bench/compare-variants.sh [N=200] [ROUNDS=4]
#
# Run by hand after bench/compare.sh has built bench/compare (same COMPARE_TARGET_DIR).
set -euo pipefail
N=${1:-200}
ROUNDS=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MILVUS_CONN_CACHE:-$HOME/.cache/milvus-conn}
BIN=${COMPARE_TARGET_DIR:-$CACHE/compare-target}/release
say() { echo "compare-variants: $*" >&2; }

(cd "$ROOT/bench/compare" && CARGO_TARGET_DIR=${COMPARE_TARGET_DIR:-$CACHE/compare-target} cargo build --release -q)

LOCK=${TMPDIR:-/tmp}/milvus-conn-real-milvus.lock
exec 9>>"$LOCK"
flock 9
export MILVUS_IT_LOCK_HELD=1 # start.sh and stop.sh run under this lock
MILVUS_PID=
stop_server() {
  if [ -n "$MILVUS_PID" ]; then bash "$ROOT/tests/milvus/stop.sh" >&2 || true; MILVUS_PID=; fi
}
trap stop_server EXIT
SERVER_ENV=$(bash "$ROOT/tests/milvus/start.sh" plain)
MILVUS_PID=$(sed -n 's/^MILVUS_IT_PID=//p' <<<"$SERVER_ENV")
URI=$(sed -n 's/^MILVUS_IT_URI=//p' <<<"$SERVER_ENV")
TOKEN="$(sed -n 's/^MILVUS_IT_USER=//p' <<<"$SERVER_ENV"):$(sed -n 's/^MILVUS_IT_PASSWORD=//p' <<<"$SERVER_ENV")"
say "Milvus pid $MILVUS_PID at $URI; settling 5 s"
sleep 5
RESULTS=$(mktemp)
PROGRAMS=(
  "compare-ours --label ours"
  "compare-ours --variant spec-once --label ours:spec-once"
  "compare-floor --label floor"
  "compare-floor --variant ours-connect --label floor+our-ClientInfo-and-deadline"
  "compare-floor --variant ours-headers --label floor+identifier-and-deadline"
  "compare-floor --variant ours-endpoint --label floor+our-endpoint-settings"
)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for i in "${!PROGRAMS[@]}"; do
    p=${PROGRAMS[$(( (i + round - 1) % ${#PROGRAMS[@]} ))]}
    say "round $round: $p"
    # shellcheck disable=SC2086 # entries are a binary and its arguments
    "$BIN"/$p --uri "$URI" --token "$TOKEN" --iterations "$N" >> "$RESULTS"
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
stop_server
python3 - "$RESULTS" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    d = rows.setdefault(r["label"], {"c": [], "g": []})
    d["c"] += r["connect_ms"]
    d["g"] += r["get_version_ms"]
print(f"load before {sys.argv[2]}, after {sys.argv[3]}; ms, median (min/max)")
print(f"{'program':<40} {'connect':>24} {'GetVersion':>24}")
for k, d in rows.items():
    c, g = d["c"], d["g"]
    print(f"{k:<40} {statistics.median(c):>8.3f} ({min(c):.3f}/{max(c):.3f}) {statistics.median(g):>8.3f} ({min(g):.3f}/{max(g):.3f})")
PY
rm -f "$RESULTS"
