#!/usr/bin/env bash
# First connect in a fresh process, ours against the floor, against one real Milvus 2.3.5
# (plain gRPC, authentication on): bench/compare's `compare-ours` and `compare-floor`, each
# run with `--iterations 1` in a new process, alternating, RUNS times; then `farm-bench`
# (whole process, paired) and `strace -f -c` of one run of each (system calls to
# $OUT_DIR/strace-*.txt). Prints the medians. Run by hand (issue 16's profile), never by CI.
#
#   bash bench/first-connect.sh [RUNS]     default 25
#
# env: COMPARE_TARGET_DIR ($MILVUS_CONN_CACHE/compare-target, as bench/compare.sh): where
#      bench/compare is built (release). The real Milvus is started and stopped with
#      tests/milvus/start.sh and stop.sh under the harness's machine-wide lock.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-25}
CACHE=${MILVUS_CONN_CACHE:-${HOME:?HOME is not set}/.cache/milvus-conn}
COMPARE_TARGET_DIR=${COMPARE_TARGET_DIR:-$CACHE/compare-target}
OUT_DIR=$CACHE/compare
mkdir -p "$OUT_DIR"
OUT=$OUT_DIR/first-connect-$(date -u +%Y%m%dT%H%M%SZ).jsonl
(cd "$ROOT/bench/compare" && CARGO_TARGET_DIR=$COMPARE_TARGET_DIR cargo build --release -q --bin compare-ours --bin compare-floor)
BIN=$COMPARE_TARGET_DIR/release

LOCK=${TMPDIR:-/tmp}/milvus-conn-real-milvus.lock
exec 9>>"$LOCK"
flock 9
export MILVUS_IT_LOCK_HELD=1
SERVER_ENV=$(bash "$ROOT/tests/milvus/start.sh" plain)
trap 'bash "$ROOT/tests/milvus/stop.sh" >&2 || true' EXIT
URI=$(sed -n 's/^MILVUS_IT_URI=//p' <<<"$SERVER_ENV")
TOKEN="$(sed -n 's/^MILVUS_IT_USER=//p' <<<"$SERVER_ENV"):$(sed -n 's/^MILVUS_IT_PASSWORD=//p' <<<"$SERVER_ENV")"
sleep 5
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$RUNS"); do
  "$BIN/compare-ours" --uri "$URI" --token "$TOKEN" --iterations 1 >> "$OUT"
  "$BIN/compare-floor" --uri "$URI" --token "$TOKEN" --iterations 1 >> "$OUT"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for p in compare-ours compare-floor; do
  strace -f -c -o "$OUT_DIR/strace-$p.txt" "$BIN/$p" --uri "$URI" --token "$TOKEN" --iterations 1 > /dev/null
done
farm-bench -n 20 --warmup 2 --vs "$BIN/compare-floor --uri $URI --token $TOKEN --iterations 1" \
  -- "$BIN/compare-ours" --uri "$URI" --token "$TOKEN" --iterations 1
python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["label"], []).append(r["first_connect_ms"])
for label, v in rows.items():
    print(f"{label}: first connect median {statistics.median(v):.3f} ms "
          f"(min {min(v):.3f}, max {max(v):.3f}, n={len(v)})")
PY
