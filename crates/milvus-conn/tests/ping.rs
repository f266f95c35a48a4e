//! `milvus-conn ping` against the transport's in-process Milvus look-alike (plaintext, TLS,
//! mutual TLS, a Unix socket, authentication on, a non-Milvus gRPC server, a slow server),
//! driving the built binary. Each failure class has its own exit status.

mod common;

use common::{Dir, Run, assert_contains, run};
use conn_test_server::{TestServer, TestServerBuilder};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A multi-threaded runtime that keeps serving while the test thread waits for the binary.
fn runtime() -> tokio::runtime::Runtime {
    milvus_conn_tests::fixtures::runtime(1)
}

fn serve(rt: &tokio::runtime::Runtime, builder: TestServerBuilder) -> TestServer {
    rt.block_on(builder.serve_tcp()).expect("test server")
}

/// `builder`'s server on a runtime of its own (keep the runtime: the server lives on it),
/// and a working directory.
fn serving(builder: TestServerBuilder) -> (tokio::runtime::Runtime, TestServer, Dir) {
    let rt = runtime();
    let server = serve(&rt, builder);
    (rt, server, Dir::new())
}

/// Pings with `--no-dotenv` (and an empty environment) unless `env` says otherwise.
fn ping(dir: &Dir, env: &[(&str, &str)], flags: &[&str]) -> Run {
    let mut args = vec!["ping", "--no-dotenv"];
    args.extend(flags);
    run(&dir.path, env, &args)
}

/// [`ping`] of `uri` with `flags`, in an empty environment.
fn ping_uri(dir: &Dir, uri: &str, flags: &[&str]) -> Run {
    let mut args = vec!["--uri", uri];
    args.extend(flags);
    ping(dir, &[], &args)
}

/// The flags of a mutual TLS ping: the CA, the client certificate and its key.
fn mutual<'a>(ca: &'a str, cert: &'a str, key: &'a str) -> [&'a str; 6] {
    [
        "--ca-pem-path",
        ca,
        "--client-pem-path",
        cert,
        "--client-key-path",
        key,
    ]
}

fn rpcs(server: &TestServer) -> Vec<&'static str> {
    server.calls().iter().map(|c| c.rpc).collect()
}

#[test]
fn ping_prints_version_deploy_mode_health_and_times() {
    let (_rt, server, dir) = serving(TestServer::builder().version("v2.9.9-test").identifier(77));
    let run = ping_uri(&dir, &server.uri(), &[]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert!(lines[0].starts_with("STEP"), "{}", run.stdout);
    let address = server.uri().trim_start_matches("http://").to_owned();
    assert!(
        lines[1].starts_with(&format!(
            "connect      {address} (tcp, plaintext), Connect handshake ok"
        )),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].starts_with("server       v2.9.9-test, deploy mode STANDALONE, identifier 77"),
        "{}",
        run.stdout
    );
    assert!(
        lines[3].starts_with("GetVersion   v2.9.9-test"),
        "{}",
        run.stdout
    );
    assert!(
        lines[4].starts_with("CheckHealth  healthy"),
        "{}",
        run.stdout
    );
    for (i, line) in lines.iter().enumerate().skip(1) {
        if i != 2 {
            assert!(
                line.ends_with(" ms") || line.ends_with(" s"),
                "time: {line}"
            );
        }
    }
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
    assert_eq!(run.stderr, "");
}

#[test]
fn json_and_count_give_min_median_max() {
    let (_rt, server, dir) = serving(TestServer::builder());
    let run = ping_uri(&dir, &server.uri(), &["--format", "json", "--count", "7"]);
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["alias"], "default");
    assert_eq!(v["target"]["kind"], "tcp");
    assert_eq!(
        v["target"]["address"],
        server.uri().trim_start_matches("http://")
    );
    assert_eq!(v["secure"], false);
    assert_eq!(v["tls"], "plaintext");
    assert_eq!(v["server"]["version"], "v0.0.0-test");
    assert_eq!(v["server"]["build_tags"], "v0.0.0-test");
    assert_eq!(v["server"]["deploy_mode"], "STANDALONE");
    assert_eq!(v["server"]["identifier"], 4242);
    assert_eq!(v["healthy"], true);
    assert_eq!(v["health_reasons"], serde_json::json!([]));
    let t = &v["timings_ms"];
    assert_eq!(t["get_version"]["count"], 7);
    let f = |x: &serde_json::Value| x.as_f64().unwrap_or_else(|| panic!("number: {x}"));
    let (min, median, max) = (
        f(&t["get_version"]["min"]),
        f(&t["get_version"]["median"]),
        f(&t["get_version"]["max"]),
    );
    assert!(0.0 < min && min <= median && median <= max, "{t}");
    assert!(f(&t["connect"]) > 0.0 && f(&t["check_health"]) > 0.0, "{t}");
    let mut expected = vec!["Connect"];
    expected.extend(["GetVersion"; 7]);
    expected.push("CheckHealth");
    assert_eq!(rpcs(&server), expected);

    // The table shows the spread too.
    let run = ping_uri(&dir, &server.uri(), &["--count", "3"]);
    run.expect_code(0);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("GetVersion"))
        .expect("GetVersion row");
    assert!(row.contains("v0.0.0-test (3 calls)"), "{row}");
    assert!(
        row.contains("min ") && row.contains(" / median ") && row.contains(" / max "),
        "{row}"
    );
    ping_uri(&dir, &server.uri(), &["--count", "0"]).expect_code(2);
}

#[test]
fn credentials_and_database_travel_in_headers() {
    // base64("root:S3cr3t-pw-xyz")
    let (_rt, server, dir) =
        serving(TestServer::builder().require_authorization("cm9vdDpTM2NyM3QtcHcteHl6"));
    dir.write(".env", "MILVUS_DB_NAME=analytics\n");
    let run = run(
        &dir.path,
        &[("MILVUS_URI", &server.uri())],
        &["ping", "--user", "root", "--password", "S3cr3t-pw-xyz"],
    );
    run.expect_code(0);
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    for call in &calls {
        assert_eq!(
            call.header("authorization"),
            Some("cm9vdDpTM2NyM3QtcHcteHl6")
        );
        assert_eq!(call.header("dbname"), Some("analytics"));
    }
    assert!(!run.stdout.contains("S3cr3t") && !run.stdout.contains("cm9vdDpT"));
}

#[test]
fn wrong_credentials_exit_5_without_showing_them() {
    let (_rt, server, dir) =
        serving(TestServer::builder().require_authorization("cm9vdDpNaWx2dXM="));
    dir.write(".env", "MILVUS_TOKEN=123456\n");
    for (env, flags) in [
        (vec![], vec!["--token", "123456"]),
        (vec![("MILVUS_TOKEN", "123456")], vec![]),
        (
            vec![],
            vec!["--user", "root", "--password", "S3cr3t-pw-xyz"],
        ),
    ] {
        for format in ["table", "json"] {
            let mut args = vec!["-vvv", "ping", "--uri"];
            let uri = server.uri();
            args.push(&uri);
            args.extend(["--format", format]);
            args.extend(&flags);
            let run = run(&dir.path, &env, &args);
            run.expect_code(5);
            for secret in ["123456", "MTIzNDU2", "S3cr3t", "cm9vdDpTM2NyM3Qt"] {
                assert!(
                    !run.stdout.contains(secret) && !run.stderr.contains(secret),
                    "{secret} leaked: {run:#?}"
                );
            }
            assert!(
                run.stderr
                    .contains("ping failed at connect: milvus at 127.0.0.1:")
                    && run.stderr.contains("rejected the credentials on Connect"),
                "{}",
                run.stderr
            );
            if format == "json" {
                let v = run.json();
                assert_eq!(v["error"]["kind"], "authentication");
                assert_eq!(v["error"]["step"], "connect");
                assert_eq!(v["error"]["exit_code"], 5);
            }
        }
    }
    // The token from .env (the search finds it) is wrong too.
    let run = common::run(&dir.path, &[], &["ping", "--uri", &server.uri()]);
    run.expect_code(5);
    assert!(!run.stderr.contains("123456"));
}

#[test]
fn not_a_milvus_port_exits_7() {
    let (_rt, server, dir) = serving(TestServer::builder().unimplemented());
    let run = ping_uri(&dir, &server.uri(), &["--format", "json"]);
    run.expect_code(7);
    assert_eq!(run.json()["error"]["kind"], "unimplemented");
    assert_contains(&run.stderr, "not a milvus grpc port");
}

#[test]
fn server_status_exits_6_with_the_reason() {
    let (_rt, server, dir) =
        serving(TestServer::builder().connect_status(800, "database not found[database=nope]"));
    let run = ping_uri(&dir, &server.uri(), &["--db-name", "nope"]);
    run.expect_code(6);
    assert_contains(
        &run.stderr,
        "status code 800: database not found[database=nope]",
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn unreachable_and_timed_out_exit_3() {
    let rt = runtime();
    let dir = Dir::new();
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        l.local_addr().expect("addr").port().to_string()
    };
    let run = ping(
        &dir,
        &[],
        &["--host", "127.0.0.1", "--port", &port, "--format", "json"],
    );
    run.expect_code(3);
    assert_eq!(run.json()["error"]["kind"], "unreachable");
    assert_contains(&run.stderr, "cannot reach milvus at 127.0.0.1:");

    // A server slower than the timeout.
    let server = serve(
        &rt,
        TestServer::builder().delay(std::time::Duration::from_secs(5)),
    );
    let run = ping_uri(
        &dir,
        &server.uri(),
        &["--timeout", "0.3", "--format", "json"],
    );
    run.expect_code(3);
    let v = run.json();
    assert_eq!(v["error"]["kind"], "timed_out");
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("did not complete Connect within 300ms"),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn unix_socket() {
    let rt = runtime();
    let dir = Dir::new();
    let socket = dir.path.join("milvus.sock");
    let server = rt
        .block_on(TestServer::builder().serve_unix(&socket))
        .expect("unix server");
    let uri = format!("unix:{}", socket.display());
    let run = ping_uri(&dir, &uri, &["--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.json()["target"]["kind"], "unix");
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
}

#[test]
fn bad_input_exits_2_before_any_call() {
    let (_rt, server, dir) = serving(TestServer::builder());
    let uri = server.uri();
    // Resolution errors: the same errors object as `resolve`.
    let run = ping_uri(&dir, &uri, &["--timeout", "-1", "--format", "json"]);
    run.expect_code(2);
    assert_eq!(run.json()["errors"][0]["field"], "timeout");
    // Files the transport cannot read, and milvus-lite targets.
    let run = ping_uri(&dir, &uri, &["--ca-pem-path", "/nonexistent/ca.pem"]);
    run.expect_code(2);
    assert_contains(&run.stderr, "/nonexistent/ca.pem");
    let not_pem = dir.write("not.pem", "hello\n");
    let run = ping_uri(
        &dir,
        &uri,
        &["--ca-pem-path", &not_pem.display().to_string()],
    );
    run.expect_code(2);
    // A .db target whose directory does not exist (Milvus Lite is not started).
    ping_uri(&dir, "./missing/milvus.db", &[]).expect_code(2);
    assert_eq!(rpcs(&server), Vec::<&str>::new(), "nothing was sent");
    // --uri beats --port, so a bad port under it is not even validated.
    ping_uri(&dir, &uri, &["--port", "0"]).expect_code(0);
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
}

/// A test certificate authority.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key, as PEM.
struct Leaf {
    cert: String,
    key: String,
}

impl Ca {
    fn new() -> Ca {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "milvus-conn test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).expect("self-signed");
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.distinguished_name.push(DnType::CommonName, "leaf");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    fn localhost(&self) -> Leaf {
        self.leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        )
    }
}

#[test]
fn tls_one_way_and_its_failures_exit_4() {
    let ca = Ca::new();
    let leaf = ca.localhost();
    let (_rt, server, dir) = serving(TestServer::builder().tls(&leaf.cert, &leaf.key));
    let ca_path = dir.write("ca.pem", &ca.pem).display().to_string();
    let uri = server.uri();
    assert!(uri.starts_with("https://"), "{uri}");

    let run = ping_uri(&dir, &uri, &["--ca-pem-path", &ca_path]);
    run.expect_code(0);
    assert_contains(&run.stdout, "(tcp, one_way), Connect handshake ok");

    // The platform roots do not trust the test CA.
    let run = ping_uri(&dir, &uri, &["--format", "json"]);
    run.expect_code(4);
    assert_eq!(run.json()["error"]["kind"], "tls");

    // A name the certificate does not carry.
    let run = ping_uri(
        &dir,
        &uri,
        &["--ca-pem-path", &ca_path, "--server-name", "other.example"],
    );
    run.expect_code(4);
    assert_contains(&run.stderr, "tls with 127.0.0.1:");

    // Plaintext to the TLS port: the TLS class too, with the hint.
    let plaintext = uri.replacen("https://", "http://", 1);
    let run = ping_uri(&dir, &plaintext, &["--timeout", "3"]);
    run.expect_code(4);
    assert_contains(&run.stderr, "use https:// or secure=true");

    // Connect, GetVersion, CheckHealth only for the ping that worked.
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let ca = Ca::new();
    let leaf = ca.localhost();
    let client = ca.leaf(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let (_rt, server, dir) = serving(
        TestServer::builder()
            .tls(&leaf.cert, &leaf.key)
            .client_ca(&ca.pem),
    );
    let ca_path = dir.write("ca.pem", &ca.pem).display().to_string();
    let cert = dir.write("client.pem", &client.cert).display().to_string();
    let key = dir.write("client.key", &client.key).display().to_string();
    let uri = server.uri();

    // No client certificate: refused. In TLS 1.3 the server's "certificate required" alert
    // comes after the client has finished its handshake, and with the server in another
    // process it is often lost to the connection reset; the transport classifies a hang-up
    // right after a server asked for a certificate as a TLS failure all the same.
    let run = ping_uri(&dir, &uri, &["--ca-pem-path", &ca_path]);
    run.expect_code(4);
    assert!(
        run.stderr.starts_with("error: ping failed at connect: "),
        "{run:#?}"
    );
    assert_eq!(rpcs(&server), Vec::<&str>::new());

    let flags = [&mutual(&ca_path, &cert, &key)[..], &["--format", "json"]].concat();
    let run = ping_uri(&dir, &uri, &flags);
    run.expect_code(0);
    assert_eq!(run.json()["tls"], "mutual");
    // The private key never shows.
    let key_body: String = client
        .key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(!run.stdout.contains(&key_body[..20]));
}

#[test]
fn ping_help_lists_the_exit_statuses() {
    let dir = Dir::new();
    let run = run(&dir.path, &[], &["ping", "--help"]);
    run.expect_code(0);
    assert_contains(&run.stdout, "--count <N>");
    assert_contains(
        &run.stdout,
        "A local path ending in .db starts Milvus Lite for it: MILVUS_LITE_BIN",
    );
    assert_contains(
        &run.stdout,
        "Exit status: 0 ok, 1 internal error, 2 bad input, 3 unreachable or timed out, 4 TLS,\n5 authentication, 6 server error, 7 not a Milvus gRPC port, 8 server not healthy.",
    );
}

/// The shared test server set up as a Milvus that is unhealthy or fails a call after the
/// handshake.
mod custom {
    use conn_test_server::{TestServer, TestServerBuilder};

    pub(crate) struct Fake {
        pub(crate) healthy: bool,
        pub(crate) get_version_fails: bool,
    }

    /// Unhealthy, every call answered.
    pub(crate) const UNHEALTHY: Fake = Fake {
        healthy: false,
        get_version_fails: false,
    };
    /// Healthy, every call answered.
    pub(crate) const HEALTHY: Fake = Fake {
        healthy: true,
        get_version_fails: false,
    };
    /// Healthy, but `GetVersion` is refused.
    pub(crate) const GET_VERSION_FAILS: Fake = Fake {
        healthy: true,
        get_version_fails: true,
    };

    /// The server for `fake`.
    pub(crate) fn builder(fake: Fake) -> TestServerBuilder {
        let mut builder = TestServer::builder()
            .version("v9.9.9")
            .build_tags("v9.9.9-custom")
            .deploy_mode("CLUSTER")
            .identifier(5);
        if !fake.healthy {
            builder = builder.unhealthy(["querynode 3 is down", "disk quota"]);
        }
        if fake.get_version_fails {
            builder =
                builder.get_version_error(tonic::Code::PermissionDenied, "no GetVersion for you");
        }
        builder
    }
}

#[test]
fn an_unhealthy_server_exits_8_with_its_reasons() {
    let (rt, server, dir) = serving(custom::builder(custom::UNHEALTHY));
    let uri = server.uri();
    let run = ping_uri(&dir, &uri, &[]);
    run.expect_code(8);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("CheckHealth  NOT healthy: querynode 3 is down; disk quota")),
        "{}",
        run.stdout
    );
    assert_contains(
        &run.stdout,
        "v9.9.9-custom, deploy mode CLUSTER, identifier 5",
    );
    assert!(
        run.stderr
            .ends_with("is not healthy: querynode 3 is down; disk quota\n"),
        "{}",
        run.stderr
    );
    let v = ping_uri(&dir, &uri, &["--format", "json"])
        .expect_code(8)
        .json();
    assert_eq!(v["healthy"], false);
    assert_eq!(
        v["health_reasons"],
        serde_json::json!(["querynode 3 is down", "disk quota"])
    );
    assert_eq!(v["server"]["version"], "v9.9.9");
    assert_eq!(v["server"]["deploy_mode"], "CLUSTER");

    // The same server, healthy: 0.
    let server = serve(&rt, custom::builder(custom::HEALTHY));
    let uri = server.uri();
    ping_uri(&dir, &uri, &[]).expect_code(0);
}

#[test]
fn a_failure_after_the_handshake_names_its_step() {
    let (_rt, server, dir) = serving(custom::builder(custom::GET_VERSION_FAILS));
    let uri = server.uri();
    let run = ping_uri(&dir, &uri, &["--format", "json"]);
    run.expect_code(6);
    let v = run.json();
    assert_eq!(v["error"]["step"], "GetVersion");
    assert_eq!(v["error"]["kind"], "permission_denied");
    assert!(
        run.stderr
            .starts_with("error: ping failed at GetVersion: GetVersion to 127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert_contains(&run.stderr, "no GetVersion for you");
}

/// Pings `https://127.0.0.1:1` with `--timeout 3` and `flags`, and asserts it ended well
/// within the timeout plus a small constant (the limit proves it did not wait for the file;
/// the binary's own start-up is included).
fn ping_quickly(dir: &Dir, flags: &[&str]) -> Run {
    let start = std::time::Instant::now();
    let mut args = vec!["--timeout", "3"];
    args.extend(flags);
    let run = ping_uri(dir, "https://127.0.0.1:1", &args);
    let elapsed = start.elapsed();
    assert!(
        elapsed < std::time::Duration::from_millis(3500),
        "{elapsed:?}: {run:#?}"
    );
    run
}

#[cfg(unix)]
#[test]
fn tls_files_that_are_not_regular_files_exit_2_at_once() {
    let dir = Dir::new();
    let fifo = dir.fifo("ca.fifo");
    let mut cases = vec![(fifo.clone(), "a fifo"), (dir.path.clone(), "a directory")];
    if cfg!(target_os = "linux") {
        cases.push(("/dev/zero".into(), "a character device"));
    }
    for (path, what) in cases {
        let path = path.display().to_string();
        let run = ping_quickly(&dir, &["--ca-pem-path", &path, "--format", "json"]);
        run.expect_code(2);
        let v = run.json();
        assert_eq!(v["error"]["kind"], "local_file", "{v}");
        assert_eq!(v["error"]["step"], "connect", "{v}");
        assert_eq!(
            v["error"]["message"],
            format!("ca_pem_path file {path} is {what}, not a regular file"),
            "{v}"
        );
    }

    // The client key: named as such; a FIFO, then a file over the limit whose contents
    // (standing in for key material) are never printed.
    let ca = Ca::new();
    let client = ca.leaf(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let ca_path = dir.write("ca.pem", &ca.pem).display().to_string();
    let cert = dir.write("client.pem", &client.cert).display().to_string();
    let key_fifo = dir.fifo("key.fifo");
    let marker = "KEYMATERIAL-do-not-print-";
    let limit = 4 * 1024 * 1024;
    let mut big = marker.repeat(limit / marker.len() + 1);
    big.truncate(limit + 1);
    let big_key = dir.write("big.key", &big);
    let cases = [
        (key_fifo, "is a fifo, not a regular file"),
        (big_key, "is larger than 4 MiB (the limit for a tls file)"),
    ];
    for (key, what) in cases {
        let key = key.display().to_string();
        let run = ping_quickly(&dir, &mutual(&ca_path, &cert, &key));
        run.expect_code(2);
        assert!(
            run.stderr
                .contains(&format!("client_key_path file {key} {what}")),
            "{run:#?}"
        );
        assert!(
            !run.stdout.contains(marker) && !run.stderr.contains(marker),
            "{run:#?}"
        );
    }
}

#[test]
fn enormous_timeouts_never_panic() {
    // Issue 11: these exited 101 (an Instant overflow, then tonic's "duration is
    // unrealistically large"). The transport saturates its deadline and clamps grpc-timeout;
    // the resolver may refuse such a timeout first (exit 2, naming it). Never a panic.
    let (_rt, server, dir) = serving(TestServer::builder());
    let uri = server.uri();
    let runs = [
        ping_uri(&dir, &uri, &["--timeout", "18446744073709551615"]),
        ping_uri(&dir, &uri, &["--timeout", "1e12"]),
        ping(&dir, &[("MILVUS_CONN_TIMEOUT", "1e12")], &["--uri", &uri]),
    ];
    for run in &runs {
        assert!(matches!(run.code, 0 | 2), "{run:#?}");
        if run.code == 2 {
            assert!(run.stderr.contains("timeout"), "{run:#?}");
        }
    }
    // Nothing listens: unreachable at once (or refused by the resolver), no panic.
    let closed = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let run = ping_uri(&dir, &closed, &["--timeout", "18446744073709551615"]);
    assert!(matches!(run.code, 2 | 3), "{run:#?}");
}

#[cfg(unix)]
#[test]
fn platform_roots_that_block_end_at_the_timeout() {
    // Without a CA file, rustls-native-certs reads the file SSL_CERT_FILE names: a FIFO
    // there blocked forever. The roots are loaded within the connect deadline (the thread
    // left reading does not keep the process).
    let dir = Dir::new();
    let fifo = dir.fifo("roots.fifo");
    let fifo = fifo.display().to_string();
    let start = std::time::Instant::now();
    let run = ping(
        &dir,
        &[("SSL_CERT_FILE", &fifo)],
        &["--uri", "https://127.0.0.1:1", "--timeout", "1"],
    );
    let elapsed = start.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(3), "{elapsed:?}");
    run.expect_code(4);
    assert!(
        run.stderr.contains(
            "the platform's root certificates (the os store, or SSL_CERT_FILE / SSL_CERT_DIR) were not loaded within the timeout of 1s"
        ),
        "{run:#?}"
    );
}
