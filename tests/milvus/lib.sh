# shellcheck shell=bash
# Shared settings for the real-Milvus test scripts; sourced, never run.
#
# Everything these scripts create lives under the cache dir (never in the git checkout):
#   $MILVUS_CONN_CACHE               default $HOME/.cache/milvus-conn
#     milvus-venv/                   python venv: milvus==2.3.5 (the server) + pymilvus (probe)
#     milvus-2.3.5/bin/              the unpacked server binaries (about 250 MB), made by setup.sh
#     run/                           $MILVUS_IT_RUN_DIR: the one running server
#       server.env  milvus.pid  ports.txt  certs/  home/{configs,data,logs} (wiped at every start)
# The Rust harness (tests/src/milvus.rs) serializes test processes with a flock on
# $TMPDIR/milvus-conn-real-milvus.lock (machine-wide, like Milvus itself).
MILVUS_CONN_CACHE=${MILVUS_CONN_CACHE:-${HOME:?HOME is not set}/.cache/milvus-conn}
MILVUS_IT_VENV=${MILVUS_IT_VENV:-$MILVUS_CONN_CACHE/milvus-venv}
MILVUS_IT_RUN_DIR=${MILVUS_IT_RUN_DIR:-$MILVUS_CONN_CACHE/run}
MILVUS_IT_SERVER_HOME=$MILVUS_CONN_CACHE/milvus-2.3.5
MILVUS_IT_PORT=${MILVUS_IT_PORT:-19530}
MILVUS_IT_METRICS_PORT=${MILVUS_IT_METRICS_PORT:-9091}
MILVUS_IT_START_TIMEOUT=${MILVUS_IT_START_TIMEOUT:-180}
MILVUS_IT_STOP_TIMEOUT=${MILVUS_IT_STOP_TIMEOUT:-10}
# shellcheck disable=SC2034 # used by the scripts that source this file
MILVUS_PKG_VERSION=2.3.5 # keep in step with requirements.txt
MILVUS_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "milvus-it: $*" >&2; }

# The machine-wide lock the Rust harness takes (tests/src/milvus.rs): only one Milvus runs per
# machine, so every script that installs into, starts or stops the cache holds it while it works.
# A caller that holds it already (the harness, bench/compare*.sh) sets MILVUS_IT_LOCK_HELD=1.
MILVUS_IT_LOCK=${TMPDIR:-/tmp}/milvus-conn-real-milvus.lock
hold_machine_lock() {
  [ "${MILVUS_IT_LOCK_HELD:-}" = 1 ] && return 0
  exec 8>>"$MILVUS_IT_LOCK"
  if ! flock -n 8; then
    log "waiting for the machine-wide lock $MILVUS_IT_LOCK (another run is using Milvus)"
    flock 8
  fi
  export MILVUS_IT_LOCK_HELD=1
}
die() { echo "milvus-it: error: $*" >&2; exit 1; }

# True when the venv has the pinned server and probe packages.
# The marker holds the checksum of requirements.txt, so changing the pins reinstalls.
requirements_sum() { sha256sum "$MILVUS_SCRIPTS/requirements.txt" | cut -d' ' -f1; }
venv_ready() {
  [ -x "$MILVUS_IT_VENV/bin/python" ] \
    && [ "$(cat "$MILVUS_IT_VENV/.milvus-conn-setup-done" 2>/dev/null)" = "$(requirements_sum)" ]
}

# True when setup.sh has finished: the venv and the unpacked server binaries are there.
setup_done() {
  venv_ready && [ -f "$MILVUS_IT_SERVER_HOME/.unpacked" ] && [ -x "$MILVUS_IT_SERVER_HOME/bin/milvus" ]
}
