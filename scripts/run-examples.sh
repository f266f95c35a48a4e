#!/usr/bin/env bash
# Runs the library crates' examples, as .ci/run's "examples run" step does:
#   1. conn-config's `explain` (no server);
#   2. conn-transport-tonic's `connect` and conn-registry's `named` with no server
#      (MILVUS_URI=http://127.0.0.1:1): each must exit 1 with a typed `unreachable` error,
#      no panic, and not show the token;
#   3. both against a real Milvus 2.3.5 (tests/milvus/start.sh plain; tests/milvus/setup.sh
#      must have run), with MILVUS_URI and MILVUS_TOKEN set: each must exit 0 and print the
#      server version start.sh reports, and not show the password.
# The Milvus runs under the machine-wide lock of the test harness
# ($TMPDIR/milvus-conn-real-milvus.lock, see tests/milvus/lib.sh), so this waits for a test
# or script that is using Milvus; it is stopped by PID (tests/milvus/stop.sh), also on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
say() { echo "examples: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# `cargo run` execs the example, so its exit code is the example's.
connect() { cargo run -q --locked -p conn-transport-tonic --example connect; }
named() { cargo run -q --locked -p conn-registry --example named; }
# Built before the lock is taken, so the lock is held only while Milvus runs.
cargo build -q --locked -p conn-config --example explain
cargo build -q --locked -p conn-transport-tonic --example connect
cargo build -q --locked -p conn-registry --example named

say "explain"
cargo run -q --locked -p conn-config --example explain -- uri=https://root:Milvus@db.example.com/analytics

for example in connect named; do
  say "$example, no server"
  rc=0
  out=$(MILVUS_URI=http://127.0.0.1:1 MILVUS_TOKEN=root:not-shown-secret "$example" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" = 1 ] || fail "$example without a server exited $rc, expected 1"
  grep -q '^error (unreachable): .*127\.0\.0\.1:1' <<<"$out" || fail "$example printed no unreachable error"
  ! grep -q 'panicked' <<<"$out" || fail "$example panicked"
  ! grep -qF 'not-shown-secret' <<<"$out" || fail "$example showed the token"
done

# tests/milvus/lib.sh: the harness's lock (fd 8, which start.sh closes for the server); it
# exports MILVUS_IT_LOCK_HELD=1 for start.sh and stop.sh.
. tests/milvus/lib.sh
hold_machine_lock
# stop.sh stops what start.sh started (by its PID file), also when start.sh or a check fails.
STARTED=
stop_server() { if [ -n "$STARTED" ]; then bash tests/milvus/stop.sh || true; fi; }
trap stop_server EXIT
trap 'exit 130' INT TERM
say "starting Milvus (tests/milvus/start.sh plain)"
STARTED=1
SERVER_ENV=$(bash tests/milvus/start.sh plain)
PID=$(sed -n 's/^MILVUS_IT_PID=//p' <<<"$SERVER_ENV")
URI=$(sed -n 's/^MILVUS_IT_URI=//p' <<<"$SERVER_ENV")
USER_NAME=$(sed -n 's/^MILVUS_IT_USER=//p' <<<"$SERVER_ENV")
PASSWORD=$(sed -n 's/^MILVUS_IT_PASSWORD=//p' <<<"$SERVER_ENV")
VERSION=$(sed -n 's/^MILVUS_IT_SERVER_VERSION=//p' <<<"$SERVER_ENV")
[ -n "$PID" ] && [ -n "$URI" ] && [ -n "$VERSION" ] && [ -n "$PASSWORD" ] \
  || fail "start.sh printed no PID, URI, version or password"

for example in connect named; do
  say "$example against $URI"
  out=$(MILVUS_URI=$URI MILVUS_TOKEN=$USER_NAME:$PASSWORD "$example" 2>&1) || fail "$example exited $?: $out"
  echo "$out"
  grep 'server version' <<<"$out" | grep -qF "$VERSION" || fail "$example did not print the server version $VERSION"
  ! grep -qF ":$PASSWORD" <<<"$out" || fail "$example showed the password"
done
# named: both aliases reached the server, then `batch` was disconnected.
grep 'server version' <<<"$out" | grep -cF "$VERSION" | grep -qx 2 || fail "named: not both aliases reported the version"
grep -qx 'after disconnect: batch configured, not connected' <<<"$out" || fail "named: batch still connected"
say "ok"
