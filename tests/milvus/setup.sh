#!/usr/bin/env bash
# One-time setup for the real-Milvus integration tests. Idempotent: does nothing when done.
#
#   tests/milvus/setup.sh
#
# Creates a python venv in $MILVUS_CONN_CACHE/milvus-venv (default ~/.cache/milvus-conn) and
# pip-installs the pinned requirements.txt: milvus==2.3.5 (a genuine Milvus standalone: Go + C++
# binaries with embedded etcd, local storage and rocksmq, shipped in a PyPI wheel) and
# pymilvus==2.5.18 (gRPC stubs for the readiness probe). Installs openssl with apt-get when it
# is missing (gen-certs.sh needs it).
# Then unpacks the Milvus binaries once (about 250 MB) so the first start is not slower.
#
#   tests/milvus/setup.sh --check
#
# only tells whether setup is done: exit 0 when it is, exit 3 with the reason on stderr when
# not (installs nothing). The Rust harness uses it to decide between running and skipping.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --check ]; then
  if setup_done; then exit 0; fi
  if ! venv_ready; then
    echo "no python venv with milvus==$MILVUS_PKG_VERSION at $MILVUS_IT_VENV" >&2
  else
    echo "the Milvus binaries are not unpacked in $MILVUS_IT_SERVER_HOME" >&2
  fi
  exit 3
fi
[ $# -eq 0 ] || die "usage: $0 [--check]"
hold_machine_lock

if ! command -v openssl >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "openssl is missing and there is no apt-get to install it"
  log "installing openssl with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi
command -v python3 >/dev/null 2>&1 || die "python3 is missing"

if venv_ready; then
  log "venv already set up: $MILVUS_IT_VENV"
else
  mkdir -p "$MILVUS_CONN_CACHE"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "python3 has no venv/ensurepip module"
    log "installing python3-venv with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$MILVUS_IT_VENV"
  log "creating $MILVUS_IT_VENV and installing tests/milvus/requirements.txt (milvus==$MILVUS_PKG_VERSION)"
  python3 -m venv "$MILVUS_IT_VENV"
  "$MILVUS_IT_VENV/bin/pip" install -q -r "$MILVUS_SCRIPTS/requirements.txt"
  "$MILVUS_IT_VENV/bin/python" -c 'import milvus, milvus_lite, pymilvus.grpc_gen.milvus_pb2_grpc, grpc'
  requirements_sum > "$MILVUS_IT_VENV/.milvus-conn-setup-done"
fi

# Unpack the server binaries once (first time about 4-20 s); start.sh reuses them.
if [ ! -f "$MILVUS_IT_SERVER_HOME/.unpacked" ]; then
  log "unpacking the Milvus binaries into $MILVUS_IT_SERVER_HOME/bin"
  rm -rf "$MILVUS_IT_SERVER_HOME"
  "$MILVUS_IT_VENV/bin/python" "$MILVUS_SCRIPTS/prepare.py" unpack "$MILVUS_IT_SERVER_HOME"
  touch "$MILVUS_IT_SERVER_HOME/.unpacked"
fi
log "setup done (cache: $MILVUS_CONN_CACHE)"
