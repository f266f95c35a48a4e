#!/usr/bin/env bash
# Stop the Milvus that start.sh started, by the PID in $MILVUS_IT_RUN_DIR/milvus.pid. Idempotent.
#
#   tests/milvus/stop.sh
#
# SIGTERM, then SIGKILL after $MILVUS_IT_STOP_TIMEOUT seconds (default 10: Milvus 2.3.5's own
# graceful stop often hangs in QueryCoord for more than 30 s), then waits until the process is
# gone. Never kills by name; a PID that no longer belongs to our Milvus binary is left alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
hold_machine_lock

PIDFILE=$MILVUS_IT_RUN_DIR/milvus.pid
rm -f "$MILVUS_IT_RUN_DIR/server.env"
[ -f "$PIDFILE" ] || exit 0
PID=$(cat "$PIDFILE")
[[ "$PID" =~ ^[0-9]+$ ]] || { rm -f "$PIDFILE"; die "bad pid file $PIDFILE"; }

# Is PID still our milvus (and not a zombie, nor a recycled PID)?
ours() {
  [ -e "/proc/$1" ] || return 1
  [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ] || return 1
  local exe
  exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
  [ "$exe" = "$MILVUS_IT_SERVER_HOME/bin/milvus" ]
}

T0=$(date +%s%N)
if ours "$PID"; then
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 1 $((MILVUS_IT_STOP_TIMEOUT * 10))); do ours "$PID" || break; sleep 0.1; done
  if ours "$PID"; then
    log "pid $PID still running ${MILVUS_IT_STOP_TIMEOUT}s after SIGTERM, sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
  fi
  while ours "$PID"; do sleep 0.1; done
  log "stopped milvus pid $PID in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
else
  log "milvus pid $PID is not running"
fi
rm -f "$PIDFILE" "/tmp/milvus/server_id_$PID"
rmdir /tmp/milvus 2>/dev/null || true
