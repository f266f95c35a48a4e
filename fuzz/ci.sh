#!/usr/bin/env bash
# CI smoke of the fuzz targets: each runs for FUZZ_SECONDS seconds (default 60) from the
# checked-in seeds; any crash (a panic: a broken invariant) or build failure fails the
# run, after all targets have run. fuzz/run.sh installs the nightly toolchain and
# cargo-fuzz when they are missing (libFuzzer's sources are built with the system C++
# compiler).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-60}
logs=$(mktemp -d)
failed=()
for t in parse_uri dotenv resolve; do
    echo "--- fuzz $t for ${seconds}s"
    "$here/run.sh" "$t" "$seconds" > "$logs/$t.log" 2>&1
    status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done |^stat::(number_of_executed_units|average_exec_per_sec)' \
        "$logs/$t.log" || true
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        tail -n 60 "$logs/$t.log"
    fi
done
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (crash inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash"
