#!/usr/bin/env python3
"""Readiness probe: wait until Milvus answers gRPC CheckHealth with isHealthy=true.

usage: probe.py HOST:PORT [--user U --password P] [--ca CA [--cert C --key K]]
                [--server-name NAME] [--pid PID] [--timeout SECONDS]

Sends the `authorization: base64(user:password)` header when --user is given, and uses TLS
when --ca is given (mutual TLS with --cert/--key). Gives up early when process PID exits or
the server answers UNAUTHENTICATED. On success prints `MILVUS_IT_SERVER_VERSION=<GetVersion>`
on stdout and exits 0; otherwise prints the last error on stderr and exits 1.
Run with the venv's python (setup.sh installs grpcio and pymilvus's generated stubs).
"""
import argparse
import base64
import os
import sys
import time

import grpc
from pymilvus.grpc_gen import milvus_pb2, milvus_pb2_grpc


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped) counts as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name")
    p.add_argument("--pid", type=int)
    p.add_argument("--timeout", type=float, default=180)
    a = p.parse_args()

    if a.ca:
        def rd(f):
            return open(f, "rb").read() if f else None
        opts = [("grpc.ssl_target_name_override", a.server_name)] if a.server_name else []
        creds = grpc.ssl_channel_credentials(rd(a.ca), rd(a.key), rd(a.cert))
        ch = grpc.secure_channel(a.addr, creds, options=opts)
    else:
        ch = grpc.insecure_channel(a.addr)
    stub = milvus_pb2_grpc.MilvusServiceStub(ch)
    md = []
    if a.user:
        md.append(("authorization", base64.b64encode(f"{a.user}:{a.password}".encode()).decode()))

    t0 = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - t0 < a.timeout:
        if not alive(a.pid):
            print(f"probe: milvus (pid {a.pid}) exited; last probe result: {last}", file=sys.stderr)
            return 1
        try:
            left = a.timeout - (time.monotonic() - t0)
            r = stub.CheckHealth(milvus_pb2.CheckHealthRequest(), metadata=md, timeout=max(0.1, min(3.0, left)))
            if r.status.code == 0 and r.status.error_code == 0 and r.isHealthy:
                v = stub.GetVersion(milvus_pb2.GetVersionRequest(), metadata=md, timeout=5)
                print(f"probe: CheckHealth healthy after {time.monotonic() - t0:.1f}s, version {v.version}",
                      file=sys.stderr)
                print(f"MILVUS_IT_SERVER_VERSION={v.version}")
                return 0
            last = f"isHealthy={r.isHealthy} reasons={list(r.reasons)} status={r.status.code} {r.status.reason!r}"
        except grpc.RpcError as e:
            last = f"{e.code()} {e.details()}"
            if e.code() == grpc.StatusCode.UNAUTHENTICATED:
                break
        time.sleep(0.3)
    print(f"probe: not ready after {time.monotonic() - t0:.1f}s: {last}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
