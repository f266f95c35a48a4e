#!/usr/bin/env bash
# Runs one fuzz target for a while with the nightly toolchain.
#
#   fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# TARGET is parse_uri, dotenv or resolve. Installs cargo-fuzz and the nightly toolchain if
# they are missing. New corpus entries go to fuzz/work/TARGET (git-ignored); the checked-in
# seeds in fuzz/corpus/TARGET are only read. A crash (a panic: a broken invariant) stops the
# run with a non-zero exit status and leaves the input in fuzz/artifacts/TARGET/.
#
# No sanitizer: conn-config forbids unsafe code, and what the targets look for are panics,
# which libFuzzer catches without one (ASan would halve the speed). Debug assertions and
# overflow checks are on.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer options...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

mkdir -p "$here/work/$target"
cd "$here/.."
# CARGO_TARGET_DIR would move the build away from where cargo-fuzz looks for it.
unset CARGO_TARGET_DIR
status=0
cargo +nightly fuzz run --fuzz-dir "$here" --sanitizer none --debug-assertions \
    "$target" "$here/work/$target" "$here/corpus/$target" -- \
    -dict="$here/uri.dict" -max_total_time="$seconds" -print_final_stats=1 "$@" || status=$?

# The targets write their .env files under /dev/shm/conn-config-fuzz-PID (see
# fuzz/src/lib.rs); remove those of processes that are gone.
for d in /dev/shm/conn-config-fuzz-* "${TMPDIR:-/tmp}"/conn-config-fuzz-*; do
    [ -d "$d" ] || continue
    kill -0 "${d##*-}" 2>/dev/null || rm -rf "$d"
done
exit "$status"
