#!/usr/bin/env python3
"""Prepare (never start) a Milvus 2.3.5 standalone from the PyPI package `milvus` (embd-milvus).

usage:
  prepare.py unpack HOME
      unpack the lzma'd server binaries into HOME/bin (skipped when already there)
  prepare.py config HOME --port P --metrics-port M --mode plain|tls1|tls2 --certs DIR
             [--insert-rate-mb R]
      write HOME/configs/milvus.yaml; print the chosen ports as KEY=VALUE lines

Milvus reads ./configs/milvus.yaml from its working directory, so start.sh runs it in HOME.
Run with the venv's python (setup.sh creates it).
"""
import argparse
import os
import socket
import sys

import milvus  # PyPI package "milvus" == 2.3.5


def try_bind(port):
    """Like milvus.MilvusServerConfig.try_bind_port, plus SO_REUSEADDR: a port left in
    TIME_WAIT by the previous run is not "in use" (milvus itself binds with SO_REUSEADDR)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None


def port_free_everywhere(port):
    """The proxy binds *:PORT (all interfaces), so check the wildcard address as well."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("", port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def unpack(home):
    os.makedirs(home, exist_ok=True)
    milvus._initialize_data_files(home)  # no-op when the md5 files match


def config(a):
    milvus.MilvusServerConfig.try_bind_port = lambda self, port: try_bind(port)
    if not port_free_everywhere(a.port):
        sys.exit(f"prepare.py: gRPC port {a.port} is in use (set MILVUS_IT_PORT to another port)")
    metrics = None
    for p in range(a.metrics_port, a.metrics_port + 100):
        if port_free_everywhere(p):
            metrics = p
            break
    if metrics is None:
        sys.exit(f"prepare.py: no free metrics port from {a.metrics_port}")

    cfg = milvus.MilvusServerConfig(data_dir=a.home)
    tls_mode = {"plain": 0, "tls1": 1, "tls2": 2}[a.mode]
    cfg.set("authorization_enabled", True)  # root / Milvus (Milvus's default root password)
    cfg.set("tls_mode", tls_mode)
    cfg.set("server_pem_path", os.path.join(a.certs, "server.pem"))
    cfg.set("server_key_path", os.path.join(a.certs, "server.key"))
    cfg.set("ca_pem_path", os.path.join(a.certs, "ca.pem"))
    # stop within seconds instead of waiting up to 1800 s for a graceful stop
    cfg.set("common.gracefulStopTimeout", 3)
    # register and dial every internal component on loopback, not the first NIC's address
    for comp in ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode"):
        cfg.set(f"{comp}.ip", "127.0.0.1")
    # the client-facing port is fixed: fail (above) instead of silently picking another one
    cfg.configs["proxy_port"] = a.port
    if a.insert_rate_mb is not None:
        # Milvus 2.3.5's insert rate limit (the proxy's token bucket, MB/s of insert
        # requests): over it, Insert answers code 8 / error_code 49 "rate limit exceeded".
        cfg.set("quotaAndLimits.dml.enabled", "true")
        cfg.set("quotaAndLimits.dml.insertRate.max", a.insert_rate_mb)
    cfg.resolve()  # picks free internal ports, creates configs/ logs/ data/, writes milvus.yaml
    print(f"MILVUS_IT_PORT={a.port}")
    print(f"MILVUS_IT_METRICS_PORT={metrics}")
    for k in sorted(cfg.configurable_items):
        if k.endswith("_port") and k != "proxy_port":
            print(f"internal_{k}={cfg.get(k)}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("unpack")
    u.add_argument("home")
    c = sub.add_parser("config")
    c.add_argument("home")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--metrics-port", type=int, required=True)
    c.add_argument("--mode", choices=("plain", "tls1", "tls2"), required=True)
    c.add_argument("--certs", required=True)
    c.add_argument("--insert-rate-mb", type=float, default=None)
    a = p.parse_args()
    a.home = os.path.abspath(a.home)
    if a.cmd == "unpack":
        unpack(a.home)
    else:
        config(a)


if __name__ == "__main__":
    main()
