//! `milvus-conn ping` against the transport's in-process Milvus look-alike (plaintext, TLS,
//! mutual TLS, a Unix socket, authentication on, a non-Milvus gRPC server, a slow server),
//! driving the built binary. Each failure class has its own exit status.

mod common;

use common::{Dir, Run, run};
use conn_test_server::{TestServer, TestServerBuilder};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A multi-threaded runtime that keeps serving while the test thread waits for the binary.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn serve(rt: &tokio::runtime::Runtime, builder: TestServerBuilder) -> TestServer {
    rt.block_on(builder.serve_tcp()).expect("test server")
}

/// Pings with `--no-dotenv` (and an empty environment) unless `env` says otherwise.
fn ping(dir: &Dir, env: &[(&str, &str)], flags: &[&str]) -> Run {
    let mut args = vec!["ping", "--no-dotenv"];
    args.extend(flags);
    run(&dir.path, env, &args)
}

fn rpcs(server: &TestServer) -> Vec<&'static str> {
    server.calls().iter().map(|c| c.rpc).collect()
}

#[test]
fn ping_prints_version_deploy_mode_health_and_times() {
    let rt = runtime();
    let server = serve(
        &rt,
        TestServer::builder().version("v2.9.9-test").identifier(77),
    );
    let dir = Dir::new();
    let run = ping(&dir, &[], &["--uri", &server.uri()]);
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
    let rt = runtime();
    let server = serve(&rt, TestServer::builder());
    let dir = Dir::new();
    let run = ping(
        &dir,
        &[],
        &["--uri", &server.uri(), "--format", "json", "--count", "7"],
    );
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
    let run = ping(&dir, &[], &["--uri", &server.uri(), "--count", "3"]);
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
    ping(&dir, &[], &["--uri", &server.uri(), "--count", "0"]).expect_code(2);
}

#[test]
fn credentials_and_database_travel_in_headers() {
    let rt = runtime();
    // base64("root:S3cr3t-pw-xyz")
    let server = serve(
        &rt,
        TestServer::builder().require_authorization("cm9vdDpTM2NyM3QtcHcteHl6"),
    );
    let dir = Dir::new();
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
    let rt = runtime();
    let server = serve(
        &rt,
        TestServer::builder().require_authorization("cm9vdDpNaWx2dXM="),
    );
    let dir = Dir::new();
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
    let rt = runtime();
    let server = serve(&rt, TestServer::builder().unimplemented());
    let dir = Dir::new();
    let run = ping(&dir, &[], &["--uri", &server.uri(), "--format", "json"]);
    run.expect_code(7);
    assert_eq!(run.json()["error"]["kind"], "unimplemented");
    assert!(
        run.stderr.contains("not a milvus grpc port"),
        "{}",
        run.stderr
    );
}

#[test]
fn server_status_exits_6_with_the_reason() {
    let rt = runtime();
    let server = serve(
        &rt,
        TestServer::builder().connect_status(800, "database not found[database=nope]"),
    );
    let dir = Dir::new();
    let run = ping(&dir, &[], &["--uri", &server.uri(), "--db-name", "nope"]);
    run.expect_code(6);
    assert!(
        run.stderr
            .contains("status code 800: database not found[database=nope]"),
        "{}",
        run.stderr
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
    assert!(
        run.stderr.contains("cannot reach milvus at 127.0.0.1:"),
        "{}",
        run.stderr
    );

    // A server slower than the timeout.
    let server = serve(
        &rt,
        TestServer::builder().delay(std::time::Duration::from_secs(5)),
    );
    let run = ping(
        &dir,
        &[],
        &[
            "--uri",
            &server.uri(),
            "--timeout",
            "0.3",
            "--format",
            "json",
        ],
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
    let run = ping(
        &dir,
        &[],
        &[
            "--uri",
            &format!("unix:{}", socket.display()),
            "--format",
            "json",
        ],
    );
    run.expect_code(0);
    assert_eq!(run.json()["target"]["kind"], "unix");
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
}

#[test]
fn bad_input_exits_2_before_any_call() {
    let rt = runtime();
    let server = serve(&rt, TestServer::builder());
    let dir = Dir::new();
    let uri = server.uri();
    // Resolution errors: the same errors object as `resolve`.
    let run = ping(
        &dir,
        &[],
        &["--uri", &uri, "--timeout", "-1", "--format", "json"],
    );
    run.expect_code(2);
    assert_eq!(run.json()["errors"][0]["field"], "timeout");
    // Files the transport cannot read, and milvus-lite targets.
    let run = ping(
        &dir,
        &[],
        &["--uri", &uri, "--ca-pem-path", "/nonexistent/ca.pem"],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("/nonexistent/ca.pem"), "{}", run.stderr);
    let not_pem = dir.write("not.pem", "hello\n");
    let run = ping(
        &dir,
        &[],
        &[
            "--uri",
            &uri,
            "--ca-pem-path",
            &not_pem.display().to_string(),
        ],
    );
    run.expect_code(2);
    // A .db target whose directory does not exist (Milvus Lite is not started).
    ping(&dir, &[], &["--uri", "./missing/milvus.db"]).expect_code(2);
    assert_eq!(rpcs(&server), Vec::<&str>::new(), "nothing was sent");
    // --uri beats --port, so a bad port under it is not even validated.
    ping(&dir, &[], &["--uri", &uri, "--port", "0"]).expect_code(0);
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
}

#[test]
fn tls_one_way_and_its_failures_exit_4() {
    let rt = runtime();
    let ca = Ca::new();
    let leaf = ca.leaf(
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let server = serve(&rt, TestServer::builder().tls(&leaf.cert, &leaf.key));
    let dir = Dir::new();
    let ca_path = dir.write("ca.pem", &ca.pem).display().to_string();
    let uri = server.uri();
    assert!(uri.starts_with("https://"), "{uri}");

    let run = ping(&dir, &[], &["--uri", &uri, "--ca-pem-path", &ca_path]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("(tcp, one_way), Connect handshake ok"),
        "{}",
        run.stdout
    );

    // The platform roots do not trust the test CA.
    let run = ping(&dir, &[], &["--uri", &uri, "--format", "json"]);
    run.expect_code(4);
    assert_eq!(run.json()["error"]["kind"], "tls");

    // A name the certificate does not carry.
    let run = ping(
        &dir,
        &[],
        &[
            "--uri",
            &uri,
            "--ca-pem-path",
            &ca_path,
            "--server-name",
            "other.example",
        ],
    );
    run.expect_code(4);
    assert!(run.stderr.contains("tls with 127.0.0.1:"), "{}", run.stderr);

    // Plaintext to the TLS port: the TLS class too, with the hint.
    let plaintext = uri.replacen("https://", "http://", 1);
    let run = ping(&dir, &[], &["--uri", &plaintext, "--timeout", "3"]);
    run.expect_code(4);
    assert!(
        run.stderr.contains("use https:// or secure=true"),
        "{}",
        run.stderr
    );

    // Connect, GetVersion, CheckHealth only for the ping that worked.
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "CheckHealth"]);
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let rt = runtime();
    let ca = Ca::new();
    let leaf = ca.leaf(
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = ca.leaf(&["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let server = serve(
        &rt,
        TestServer::builder()
            .tls(&leaf.cert, &leaf.key)
            .client_ca(&ca.pem),
    );
    let dir = Dir::new();
    let ca_path = dir.write("ca.pem", &ca.pem).display().to_string();
    let cert = dir.write("client.pem", &client.cert).display().to_string();
    let key = dir.write("client.key", &client.key).display().to_string();
    let uri = server.uri();

    // No client certificate: refused. In TLS 1.3 the server's "certificate required" alert
    // comes after the client has finished its handshake, and with the server in another
    // process it is often lost to the connection reset; the transport classifies a hang-up
    // right after a server asked for a certificate as a TLS failure all the same.
    let run = ping(&dir, &[], &["--uri", &uri, "--ca-pem-path", &ca_path]);
    run.expect_code(4);
    assert!(
        run.stderr.starts_with("error: ping failed at connect: "),
        "{run:#?}"
    );
    assert_eq!(rpcs(&server), Vec::<&str>::new());

    let run = ping(
        &dir,
        &[],
        &[
            "--uri",
            &uri,
            "--ca-pem-path",
            &ca_path,
            "--client-pem-path",
            &cert,
            "--client-key-path",
            &key,
            "--format",
            "json",
        ],
    );
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
    assert!(run.stdout.contains("--count <N>"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("A local path ending in .db starts Milvus Lite for it: MILVUS_LITE_BIN"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "Exit status: 0 ok, 1 internal error, 2 bad input, 3 unreachable or timed out, 4 TLS,\n5 authentication, 6 server error, 7 not a Milvus gRPC port, 8 server not healthy."
        ),
        "{}",
        run.stdout
    );
}

/// The shared test server set up as a Milvus that is unhealthy or fails a call after the
/// handshake.
mod custom {
    use conn_test_server::TestServer;

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

    /// Serves `fake` on 127.0.0.1:0 until the returned server is dropped.
    pub(crate) fn serve(rt: &tokio::runtime::Runtime, fake: Fake) -> TestServer {
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
        rt.block_on(builder.serve_tcp()).expect("serve")
    }
}

#[test]
fn an_unhealthy_server_exits_8_with_its_reasons() {
    let rt = runtime();
    let server = custom::serve(&rt, custom::UNHEALTHY);
    let uri = server.uri();
    let dir = Dir::new();
    let run = ping(&dir, &[], &["--uri", &uri]);
    run.expect_code(8);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("CheckHealth  NOT healthy: querynode 3 is down; disk quota")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("v9.9.9-custom, deploy mode CLUSTER, identifier 5"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .ends_with("is not healthy: querynode 3 is down; disk quota\n"),
        "{}",
        run.stderr
    );
    let v = ping(&dir, &[], &["--uri", &uri, "--format", "json"])
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
    let server = custom::serve(&rt, custom::HEALTHY);
    let uri = server.uri();
    ping(&dir, &[], &["--uri", &uri]).expect_code(0);
}

#[test]
fn a_failure_after_the_handshake_names_its_step() {
    let rt = runtime();
    let server = custom::serve(&rt, custom::GET_VERSION_FAILS);
    let uri = server.uri();
    let dir = Dir::new();
    let run = ping(&dir, &[], &["--uri", &uri, "--format", "json"]);
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
    assert!(
        run.stderr.contains("no GetVersion for you"),
        "{}",
        run.stderr
    );
}

/// Makes a FIFO (named pipe) at `path` with mkfifo(1).
#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Pings and asserts it ended well within `--timeout 3` plus a small constant (the limit
/// proves it did not wait for the file; the binary's own start-up is included).
fn ping_quickly(dir: &Dir, flags: &[&str]) -> Run {
    let start = std::time::Instant::now();
    let run = ping(dir, &[], flags);
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
    let fifo = dir.path.join("ca.fifo");
    mkfifo(&fifo);
    let mut cases = vec![(fifo.clone(), "a fifo"), (dir.path.clone(), "a directory")];
    if cfg!(target_os = "linux") {
        cases.push(("/dev/zero".into(), "a character device"));
    }
    for (path, what) in cases {
        let path = path.display().to_string();
        let run = ping_quickly(
            &dir,
            &[
                "--uri",
                "https://127.0.0.1:1",
                "--ca-pem-path",
                &path,
                "--timeout",
                "3",
                "--format",
                "json",
            ],
        );
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
    let key_fifo = dir.path.join("key.fifo");
    mkfifo(&key_fifo);
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
        let run = ping_quickly(
            &dir,
            &[
                "--uri",
                "https://127.0.0.1:1",
                "--ca-pem-path",
                &ca_path,
                "--client-pem-path",
                &cert,
                "--client-key-path",
                &key,
                "--timeout",
                "3",
            ],
        );
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
    let rt = runtime();
    let server = serve(&rt, TestServer::builder());
    let dir = Dir::new();
    let uri = server.uri();
    let runs = [
        ping(
            &dir,
            &[],
            &["--uri", &uri, "--timeout", "18446744073709551615"],
        ),
        ping(&dir, &[], &["--uri", &uri, "--timeout", "1e12"]),
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
    let run = ping(
        &dir,
        &[],
        &["--uri", &closed, "--timeout", "18446744073709551615"],
    );
    assert!(matches!(run.code, 2 | 3), "{run:#?}");
}

#[cfg(unix)]
#[test]
fn platform_roots_that_block_end_at_the_timeout() {
    // Without a CA file, rustls-native-certs reads the file SSL_CERT_FILE names: a FIFO
    // there blocked forever. The roots are loaded within the connect deadline (the thread
    // left reading does not keep the process).
    let dir = Dir::new();
    let fifo = dir.path.join("roots.fifo");
    mkfifo(&fifo);
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
