#!/usr/bin/env bash
# CI smoke of the fuzz targets: each runs FUZZ_RUNS inputs (default 60,000: about a minute
# here), at most FUZZ_SECONDS seconds (default 120), from the checked-in seeds, with a fixed
# seed; any crash (a panic: a broken invariant) or build failure fails the
# run, after all targets have run. fuzz/run.sh installs the nightly toolchain and
# cargo-fuzz when they are missing (libFuzzer's sources are built with the system C++
# compiler).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-120}
logs=$(mktemp -d)
failed=()
for t in parse_uri dotenv resolve; do
    echo "--- fuzz $t for ${seconds}s"
    # A fixed seed and a fixed number of runs make the smoke repeatable: CI runs (nearly)
    # the inputs a developer ran before pushing (a fresh clone has no grown corpus), while
    # long exploratory runs (fuzz/run.sh without these) look for new bugs.
    "$here/run.sh" "$t" "$seconds" -seed=1 -runs="${FUZZ_RUNS:-60000}" > "$logs/$t.log" 2>&1
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
