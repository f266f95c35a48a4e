#!/usr/bin/env bash
# Start a genuine Milvus 2.3.5 standalone for the integration tests, with auth on (root/Milvus).
#
#   tests/milvus/start.sh [plain|tls1|tls2]        (default plain)
#
#   plain  gRPC without TLS
#   tls1   one-way TLS (common.security.tlsMode=1): the client verifies the server
#   tls2   mutual TLS (tlsMode=2): the client must also present a certificate signed by the CA
#
# First stops the instance a previous start.sh started (by PID file; only one Milvus can run per
# machine), wipes the data dir (a restart on an old data dir hangs ~30 s on stale etcd sessions),
# writes the config, starts milvus in the background and waits until gRPC CheckHealth reports
# healthy (with auth, and TLS material as the mode needs). Then writes $MILVUS_IT_RUN_DIR/server.env
# (KEY=VALUE lines, also printed on stdout):
#   MILVUS_IT_MODE  MILVUS_IT_HOST  MILVUS_IT_PORT  MILVUS_IT_ADDR  MILVUS_IT_URI  MILVUS_IT_USER
#   MILVUS_IT_PASSWORD  MILVUS_IT_PID  MILVUS_IT_SERVER_VERSION  MILVUS_IT_LOG_DIR  MILVUS_IT_READY_MS
#   and for tls1/tls2: MILVUS_IT_CA  MILVUS_IT_OTHER_CA  MILVUS_IT_SERVER_NAME
#   and for tls2:      MILVUS_IT_CLIENT_CERT  MILVUS_IT_CLIENT_KEY
# Exits non-zero with the log tail when Milvus does not come up (and stops what it started).
#
# env: MILVUS_CONN_CACHE (~/.cache/milvus-conn)  MILVUS_IT_RUN_DIR ($MILVUS_CONN_CACHE/run)
#      MILVUS_IT_PORT (19530)  MILVUS_IT_METRICS_PORT (9091, next free one is used)
#      MILVUS_IT_START_TIMEOUT (180 s)  MILVUS_IT_STOP_TIMEOUT (10 s)
#      MILVUS_IT_INSERT_RATE_MB (unset: no limit): cap the insert rate at this many MB/s
#        (quotaAndLimits.dml.enabled + dml.insertRate.max), for rate-limit tests; reported as
#        MILVUS_IT_INSERT_RATE_MB in server.env
# Milvus listens on 127.0.0.1 for its internal components; its client port binds *:PORT (Milvus 2.3
# has no setting for the proxy's listen address). It also binds 2379/2380 (embedded etcd) and a
# few internal ports (see ports.txt), and flocks /run/milvus/standalone.pid.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MODE=${1:-plain}
case "$MODE" in plain|tls1|tls2) ;; *) die "unknown mode '$MODE' (plain, tls1 or tls2)";; esac
hold_machine_lock
setup_done || die "the real-Milvus harness is not set up; run tests/milvus/setup.sh (cache: $MILVUS_CONN_CACHE)"

RUN=$MILVUS_IT_RUN_DIR
HOME_DIR=$RUN/home
BIN=$MILVUS_IT_SERVER_HOME/bin
mkdir -p "$RUN"

# 1. stop what a previous start.sh left running
"$MILVUS_SCRIPTS/stop.sh"

# Milvus flocks this hard-coded file; another Milvus on this machine would make ours fail.
# Wait a little for it: the Milvus stop.sh has just stopped can still hold it for a moment
# (probably because stop.sh sees it gone once /proc/PID/exe is, which happens when its main
# thread has released the memory, before the last thread has closed the files). Seen as
# "another Milvus is running ... pid <the one just stopped>" on a start right after a stop,
# in both of two runs of tests/sdk-client's three starts.
LOCKFILE=/run/milvus/standalone.pid
if [ -f "$LOCKFILE" ] && command -v flock >/dev/null 2>&1 \
  && ! flock -w "$MILVUS_IT_STOP_TIMEOUT" "$LOCKFILE" true 2>/dev/null; then
  die "another Milvus is running on this machine (it holds $LOCKFILE: pid $(cat "$LOCKFILE" 2>/dev/null || echo '?')); stop it first"
fi

# 2. fresh data dir, certificates, config
rm -rf "$HOME_DIR"
mkdir -p "$HOME_DIR"
CERTS=$RUN/certs
if [ "$MODE" != plain ]; then "$MILVUS_SCRIPTS/gen-certs.sh" "$CERTS" 2>/dev/null; fi
"$MILVUS_IT_VENV/bin/python" "$MILVUS_SCRIPTS/prepare.py" config "$HOME_DIR" --port "$MILVUS_IT_PORT" \
  --metrics-port "$MILVUS_IT_METRICS_PORT" --mode "$MODE" --certs "$CERTS" \
  ${MILVUS_IT_INSERT_RATE_MB:+--insert-rate-mb "$MILVUS_IT_INSERT_RATE_MB"} > "$RUN/ports.txt" \
  || die "could not write the Milvus config (see above)"
METRICS_PORT=$(sed -n 's/^MILVUS_IT_METRICS_PORT=//p' "$RUN/ports.txt")

# 3. start
T0=$(date +%s%N)
cd "$HOME_DIR" # milvus reads ./configs/milvus.yaml
DEPLOY_MODE=STANDALONE METRICS_PORT=$METRICS_PORT LD_LIBRARY_PATH="$BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$BIN/milvus" run standalone > "$HOME_DIR/logs/stdout.log" 2>&1 < /dev/null 8>&- 9>&- &
PID=$!
echo "$PID" > "$RUN/milvus.pid"

# 4. wait for gRPC CheckHealth
PROBE=(--user root --password Milvus --pid "$PID" --timeout "$MILVUS_IT_START_TIMEOUT")
case "$MODE" in
  tls1) PROBE+=(--ca "$CERTS/ca.pem") ;;
  tls2) PROBE+=(--ca "$CERTS/ca.pem" --cert "$CERTS/client.pem" --key "$CERTS/client.key") ;;
esac
if ! VERSION_LINE=$("$MILVUS_IT_VENV/bin/python" "$MILVUS_SCRIPTS/probe.py" "127.0.0.1:$MILVUS_IT_PORT" "${PROBE[@]}"); then
  {
    echo "milvus-it: error: Milvus ($MODE) did not become healthy; last lines of its logs ($HOME_DIR/logs):"
    for f in "$HOME_DIR/logs/stdout.log" "$HOME_DIR/logs/milvus.WARNING"; do
      [ -f "$f" ] || continue
      echo "----- $f"
      tail -n 40 "$f"
    done
  } >&2
  "$MILVUS_SCRIPTS/stop.sh" || true
  exit 1
fi
READY_MS=$(( ($(date +%s%N) - T0) / 1000000 ))

# 5. describe the running server
{
  echo "MILVUS_IT_MODE=$MODE"
  echo "MILVUS_IT_HOST=127.0.0.1"
  echo "MILVUS_IT_PORT=$MILVUS_IT_PORT"
  echo "MILVUS_IT_ADDR=127.0.0.1:$MILVUS_IT_PORT"
  if [ "$MODE" = plain ]; then
    echo "MILVUS_IT_URI=http://127.0.0.1:$MILVUS_IT_PORT"
  else
    echo "MILVUS_IT_URI=https://127.0.0.1:$MILVUS_IT_PORT"
    echo "MILVUS_IT_SERVER_NAME=localhost"
    echo "MILVUS_IT_CA=$CERTS/ca.pem"
    echo "MILVUS_IT_OTHER_CA=$CERTS/other-ca.pem"
  fi
  if [ "$MODE" = tls2 ]; then
    echo "MILVUS_IT_CLIENT_CERT=$CERTS/client.pem"
    echo "MILVUS_IT_CLIENT_KEY=$CERTS/client.key"
  fi
  echo "MILVUS_IT_USER=root"
  echo "MILVUS_IT_PASSWORD=Milvus"
  echo "MILVUS_IT_PID=$PID"
  echo "$VERSION_LINE"
  echo "MILVUS_IT_LOG_DIR=$HOME_DIR/logs"
  echo "MILVUS_IT_READY_MS=$READY_MS"
  if [ -n "${MILVUS_IT_INSERT_RATE_MB:-}" ]; then echo "MILVUS_IT_INSERT_RATE_MB=$MILVUS_IT_INSERT_RATE_MB"; fi
} > "$RUN/server.env.tmp"
mv -f "$RUN/server.env.tmp" "$RUN/server.env"
log "milvus $MODE pid $PID healthy on 127.0.0.1:$MILVUS_IT_PORT after $READY_MS ms ($RUN/server.env)"
cat "$RUN/server.env"
