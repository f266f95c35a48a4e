"""pymilvus 3.x: the measurements of bench/compare/src/lib.rs, for pymilvus.

Run by bench/compare.sh with the venv it makes (pymilvus==3.0.2). Prints one JSON line per
API, in the shape the Rust programs print:

- ``connections.connect(alias, uri=, token=)`` then ``utility.get_server_version(using=)``;
  every timed connect uses a new alias and is disconnected before the next;
- ``MilvusClient(uri=, token=, dedicated=True)`` then ``client.get_server_version()``;
  ``dedicated=True`` makes a new channel each time (pymilvus 3 otherwise hands back the
  shared connection of an identical configuration, and nothing would be measured), and the
  client is closed before the next.

TLS (an ``https://`` URI): with ``--ca`` the file is given as ``server_pem_path`` (grpc's
root certificates); without it, grpc's default roots, which ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``
can point at a test CA (grpc ignores ``SSL_CERT_FILE``). The label then gets
`` [TLS, CA file]`` or `` [TLS, platform roots]`` appended, as the Rust programs do.

Also: the import of pymilvus and its URI parse alone, for reference.

    python pymilvus_compare.py --uri http://127.0.0.1:19530 --token root:Milvus --iterations 200
"""

import argparse
import json
import time
import warnings


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line[len(key):].split()[0])
    return 0


def ms(t0):
    return (time.perf_counter_ns() - t0) / 1e6


def report(label, version, first, connect_ms, get_version_ms, extra=None):
    out = {
        "label": label,
        "server_version": version,
        "first_connect_ms": first,
        "connect_ms": connect_ms,
        "get_version_ms": get_version_ms,
        "rss_kib": status_kib("VmRSS:"),
        "hwm_kib": status_kib("VmHWM:"),
    }
    out.update(extra or {})
    print(json.dumps(out), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uri", default="http://127.0.0.1:19530")
    p.add_argument("--token", default="root:Milvus")
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--ca", default=None)
    a = p.parse_args()
    n = a.iterations
    tls = ""
    kw = {}
    if a.uri.startswith("https://"):
        tls = " [TLS, CA file]" if a.ca else " [TLS, platform roots]"
        if a.ca:
            kw["server_pem_path"] = a.ca

    # connections.connect and utility are deprecated in pymilvus 3 (removed in 3.1): quiet.
    warnings.simplefilter("ignore")
    t0 = time.perf_counter_ns()
    import pymilvus
    from pymilvus import MilvusClient, connections, utility

    import_ms = ms(t0)

    # --- connections.connect / utility.get_server_version
    t0 = time.perf_counter_ns()
    connections.connect(alias="cold", uri=a.uri, token=a.token, **kw)
    first = ms(t0)
    connections.disconnect("cold")
    connect_ms = []
    for i in range(n):
        alias = f"a{i}"
        t0 = time.perf_counter_ns()
        connections.connect(alias=alias, uri=a.uri, token=a.token, **kw)
        connect_ms.append(ms(t0))
        connections.disconnect(alias)
    connections.connect(alias="gv", uri=a.uri, token=a.token, **kw)
    for _ in range(5):
        version = utility.get_server_version(using="gv")
    get_version_ms = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        utility.get_server_version(using="gv")
        get_version_ms.append(ms(t0))
    connections.disconnect("gv")

    # The URI parse alone (what connections.connect does before any I/O), for reference.
    from urllib import parse

    t0 = time.perf_counter_ns()
    for _ in range(10000):
        parse.urlparse(a.uri)
    urlparse_us = (time.perf_counter_ns() - t0) / 1e3 / 10000

    report(
        f"pymilvus {pymilvus.__version__} connections.connect{tls}",
        version,
        first,
        connect_ms,
        get_version_ms,
        {"import_ms": import_ms, "urlparse_us": urlparse_us},
    )

    # --- MilvusClient
    t0 = time.perf_counter_ns()
    client = MilvusClient(uri=a.uri, token=a.token, dedicated=True, **kw)
    first = ms(t0)
    client.close()
    connect_ms = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        client = MilvusClient(uri=a.uri, token=a.token, dedicated=True, **kw)
        connect_ms.append(ms(t0))
        client.close()
    client = MilvusClient(uri=a.uri, token=a.token, dedicated=True, **kw)
    for _ in range(5):
        version = client.get_server_version()
    get_version_ms = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        client.get_server_version()
        get_version_ms.append(ms(t0))
    client.close()
    report(
        f"pymilvus {pymilvus.__version__} MilvusClient{tls}",
        version,
        first,
        connect_ms,
        get_version_ms,
    )


if __name__ == "__main__":
    main()
