#!/usr/bin/env python3
"""Record how the running test Milvus answers the cases the Rust client must classify.

usage: findings.py [SERVER_ENV]     (default $MILVUS_IT_RUN_DIR/server.env, as start.sh wrote it)

Prints one line per case: what was sent and what came back (gRPC code + details, or the
Milvus status code/error_code/reason). Which cases run depends on MILVUS_IT_MODE. The results
are written up in docs/milvus-server.md. Run with the venv's python, e.g.
  ~/.cache/milvus-conn/milvus-venv/bin/python tests/milvus/findings.py
"""
import base64
import os
import subprocess
import sys
import tempfile
import time

import grpc
from pymilvus.grpc_gen import common_pb2, milvus_pb2, milvus_pb2_grpc


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = v
    return env


def rd(path):
    return open(path, "rb").read() if path else None


class Server:
    def __init__(self, env):
        self.env = env
        self.addr = env["MILVUS_IT_ADDR"]
        self.mode = env["MILVUS_IT_MODE"]

    def channel(self, tls=None, ca=None, cert=None, key=None, server_name=None):
        """tls None = as the mode needs; False = plaintext; True = TLS with given material."""
        if tls is None:
            tls = self.mode != "plain"
            if tls:
                ca = self.env["MILVUS_IT_CA"]
            if self.mode == "tls2":
                cert, key = self.env["MILVUS_IT_CLIENT_CERT"], self.env["MILVUS_IT_CLIENT_KEY"]
        if not tls:
            return grpc.insecure_channel(self.addr)
        opts = [("grpc.ssl_target_name_override", server_name)] if server_name else []
        return grpc.secure_channel(self.addr, grpc.ssl_channel_credentials(rd(ca), rd(key), rd(cert)), options=opts)


def auth(user, password):
    return ("authorization", base64.b64encode(f"{user}:{password}".encode()).decode())


GOOD = None  # filled in main()


def call(ch, rpc, md, timeout=10):
    stub = milvus_pb2_grpc.MilvusServiceStub(ch)
    req = {
        "Connect": lambda: milvus_pb2.ConnectRequest(client_info=common_pb2.ClientInfo(
            sdk_type="Python-findings", sdk_version="0", local_time=time.strftime("%Y-%m-%d %H:%M:%S"),
            user="root", host="localhost")),
        "GetVersion": milvus_pb2.GetVersionRequest,
        "CheckHealth": milvus_pb2.CheckHealthRequest,
        "ShowCollections": milvus_pb2.ShowCollectionsRequest,
        "ListDatabases": milvus_pb2.ListDatabasesRequest,
        "DescribeCollection": lambda: milvus_pb2.DescribeCollectionRequest(collection_name="no_such_collection"),
    }[rpc]()
    t = time.monotonic()
    try:
        r = getattr(stub, rpc)(req, metadata=md, timeout=timeout)
    except grpc.RpcError as e:
        return f"gRPC {e.code().name} ({e.code().value[0]}) details={e.details()!r} after {time.monotonic() - t:.2f}s"
    s = r.status
    out = f"OK-transport status.code={s.code} error_code={s.error_code} ({common_pb2.ErrorCode.Name(s.error_code)}) reason={s.reason!r}"
    if rpc == "Connect":
        si = r.server_info
        out += (f" identifier={r.identifier} server_info={{build_tags={si.build_tags!r} build_time={si.build_time!r}"
                f" git_commit={si.git_commit!r} go_version={si.go_version!r} deploy_mode={si.deploy_mode!r}"
                f" reserved={dict(si.reserved)!r}}}")
    elif rpc == "GetVersion":
        out += f" version={r.version!r}"
    elif rpc == "CheckHealth":
        out += f" isHealthy={r.isHealthy} reasons={list(r.reasons)} quota_states={list(r.quota_states)}"
    elif rpc == "ShowCollections":
        out += f" collection_names={list(r.collection_names)}"
    elif rpc == "ListDatabases":
        out += f" db_names={list(r.db_names)}"
    return out


def case(title, fn):
    try:
        res = fn()
    except Exception as e:  # noqa: BLE001 - report whatever happened
        res = f"EXCEPTION {type(e).__name__}: {e}"
    print(f"[{title}] {res}", flush=True)


def wrong_ca_client_cert(tmp, other_ca, other_key):
    """A client certificate signed by the other CA (for mutual TLS)."""
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=stranger",
                    "-keyout", f"{tmp}/stranger.key", "-out", f"{tmp}/stranger.csr"], check=True, capture_output=True)
    with open(f"{tmp}/ext", "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", f"{tmp}/stranger.csr", "-CA", other_ca, "-CAkey", other_key,
                    "-set_serial", "7", "-days", "1", "-extfile", f"{tmp}/ext", "-out", f"{tmp}/stranger.pem"],
                   check=True, capture_output=True)
    return f"{tmp}/stranger.pem", f"{tmp}/stranger.key"


def main():
    run_dir = os.environ.get("MILVUS_IT_RUN_DIR") or os.path.join(
        os.environ.get("MILVUS_CONN_CACHE") or os.path.expanduser("~/.cache/milvus-conn"), "run")
    env = load_env(sys.argv[1] if len(sys.argv) > 1 else os.path.join(run_dir, "server.env"))
    srv = Server(env)
    good = auth(env["MILVUS_IT_USER"], env["MILVUS_IT_PASSWORD"])
    print(f"# mode={srv.mode} addr={srv.addr} server={env.get('MILVUS_IT_SERVER_VERSION')}")

    ch = srv.channel()
    for rpc in ("Connect", "GetVersion", "CheckHealth", "ShowCollections", "ListDatabases"):
        case(f"good creds {rpc}", lambda rpc=rpc: call(ch, rpc, [good]))
    case("token header = base64('root:Milvus') Connect", lambda: call(ch, "Connect", [good]))
    for rpc in ("Connect", "GetVersion", "CheckHealth", "ShowCollections"):
        case(f"wrong password {rpc}", lambda rpc=rpc: call(ch, rpc, [auth("root", "wrong-password")]))
    case("unknown user Connect", lambda: call(ch, "Connect", [auth("nobody", "Milvus")]))
    for rpc in ("Connect", "GetVersion", "CheckHealth", "ShowCollections"):
        case(f"no authorization header {rpc}", lambda rpc=rpc: call(ch, rpc, []))
    case("authorization not base64 Connect", lambda: call(ch, "Connect", [("authorization", "%%%not-base64%%%")]))
    case("authorization base64 without colon Connect",
         lambda: call(ch, "Connect", [("authorization", base64.b64encode(b"rootMilvus").decode())]))
    case("authorization 'Bearer root:Milvus' Connect",
         lambda: call(ch, "Connect", [("authorization", "Bearer root:Milvus")]))

    if srv.mode == "plain":
        for rpc in ("Connect", "GetVersion", "CheckHealth", "ShowCollections", "ListDatabases", "DescribeCollection"):
            case(f"dbname=no_such_db {rpc}", lambda rpc=rpc: call(ch, rpc, [good, ("dbname", "no_such_db")]))
        case("dbname=no_such_db + wrong password Connect",
             lambda: call(ch, "Connect", [auth("root", "wrong"), ("dbname", "no_such_db")]))
        case("dbname=default Connect", lambda: call(ch, "Connect", [good, ("dbname", "default")]))
        case("dbname='' Connect", lambda: call(ch, "Connect", [good, ("dbname", "")]))
        stub = milvus_pb2_grpc.MilvusServiceStub(ch)
        case("CreateDatabase it_db", lambda: str(stub.CreateDatabase(
            milvus_pb2.CreateDatabaseRequest(db_name="it_db"), metadata=[good], timeout=10)).replace("\n", " ") or "OK")
        case("dbname=it_db (exists) Connect", lambda: call(ch, "Connect", [good, ("dbname", "it_db")]))
        case("dbname=it_db (exists) ShowCollections", lambda: call(ch, "ShowCollections", [good, ("dbname", "it_db")]))
        case("dbname=IT_DB (case differs) Connect", lambda: call(ch, "Connect", [good, ("dbname", "IT_DB")]))
        case("identifier=12345 header GetVersion", lambda: call(ch, "GetVersion", [good, ("identifier", "12345")]))
        case("not a Milvus port (etcd 2379) GetVersion",
             lambda: call(grpc.insecure_channel("127.0.0.1:2379"), "GetVersion", [good], timeout=5))
    else:
        ca, other = env["MILVUS_IT_CA"], env["MILVUS_IT_OTHER_CA"]
        case("plaintext client Connect", lambda: call(srv.channel(tls=False), "Connect", [good], timeout=5))
        case("TLS with other CA Connect",
             lambda: call(srv.channel(tls=True, ca=other, cert=env.get("MILVUS_IT_CLIENT_CERT"),
                                      key=env.get("MILVUS_IT_CLIENT_KEY")), "Connect", [good], timeout=5))
        case("TLS right CA, server name 'wrong.example' Connect",
             lambda: call(srv.channel(tls=True, ca=ca, cert=env.get("MILVUS_IT_CLIENT_CERT"),
                                      key=env.get("MILVUS_IT_CLIENT_KEY"), server_name="wrong.example"),
                          "Connect", [good], timeout=5))
        case("TLS right CA, server name 'localhost' Connect",
             lambda: call(srv.channel(tls=True, ca=ca, cert=env.get("MILVUS_IT_CLIENT_CERT"),
                                      key=env.get("MILVUS_IT_CLIENT_KEY"), server_name="localhost"),
                          "Connect", [good], timeout=5))
        if srv.mode == "tls1":
            certs = os.path.dirname(ca)
            case("tls1 with an (unrequested) client cert Connect",
                 lambda: call(srv.channel(tls=True, ca=ca, cert=f"{certs}/client.pem", key=f"{certs}/client.key"),
                              "Connect", [good], timeout=5))
        if srv.mode == "tls2":
            case("tls2 client without cert Connect",
                 lambda: call(srv.channel(tls=True, ca=ca), "Connect", [good], timeout=5))
            case("tls2 client without cert GetVersion",
                 lambda: call(srv.channel(tls=True, ca=ca), "GetVersion", [good], timeout=5))
            with tempfile.TemporaryDirectory() as tmp:
                cert, key = wrong_ca_client_cert(tmp, other, other.replace(".pem", ".key"))
                case("tls2 client cert signed by another CA Connect",
                     lambda: call(srv.channel(tls=True, ca=ca, cert=cert, key=key), "Connect", [good], timeout=5))


if __name__ == "__main__":
    main()
