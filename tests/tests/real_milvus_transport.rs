//! conn-transport-tonic against a genuine Milvus 2.3.5 (the `milvus` PyPI package, started by
//! `tests/milvus/start.sh` through `milvus_conn_tests::milvus`): the Connect handshake,
//! GetVersion and CheckHealth with root/Milvus, how each failure is classified, one-way TLS
//! (tlsMode 1) and mutual TLS (tlsMode 2).
//!
//! All real-Milvus transport checks live in this one binary; the harness serialises them
//! (one Milvus per machine). Under `CI=true` a Milvus that is not set up or does not start
//! fails these tests; elsewhere they skip with a printed reason when setup was never run.
//! Each test prints what it observed (`cargo test -- --nocapture` shows it).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use conn_config::{ConnectArgs, ConnectionSpec};
use conn_transport_tonic::{Connector, Error, ErrorKind, TlsProblem};
use milvus_conn_tests::milvus::{Mode, RealMilvus};

const TIMEOUT: Duration = Duration::from_secs(10);

fn spec(args: ConnectArgs) -> ConnectionSpec {
    args.timeout(TIMEOUT)
        .resolve_isolated()
        .unwrap_or_else(|e| panic!("spec does not resolve: {e}"))
}

fn root(milvus: &RealMilvus) -> ConnectArgs {
    milvus.root_args()
}

fn runtime() -> tokio::runtime::Runtime {
    milvus_conn_tests::fixtures::current_thread_runtime()
}

/// Asserts that `err` is the TLS class with `problem`.
#[track_caller]
fn assert_problem(err: &Error, problem: TlsProblem) {
    assert_eq!(tls_problem(err), problem, "{err:?}");
}

/// Prints what `err` was, for the observations `what`.
fn observe(what: &str, err: &Error) {
    eprintln!("observed {what}: {}", describe(err));
}

fn tls_problem(err: &Error) -> TlsProblem {
    match err {
        Error::Tls { problem, .. } => *problem,
        other => panic!("expected the tls class, got {other:?}"),
    }
}

/// `[kind] message: source: source…`, for the observations printed by each test.
fn describe(err: &Error) -> String {
    milvus_conn_tests::fixtures::describe(err.kind(), err)
}

/// The internal ports `start.sh` chose (`$MILVUS_IT_RUN_DIR/ports.txt`).
fn internal_port(milvus: &RealMilvus, key: &str) -> u16 {
    let run_dir = milvus
        .log_dir()
        .parent()
        .and_then(Path::parent)
        .unwrap_or_else(|| panic!("log dir {:?} is not RUN_DIR/home/logs", milvus.log_dir()));
    let ports = std::fs::read_to_string(run_dir.join("ports.txt")).unwrap();
    ports
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} not in ports.txt: {ports}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn plaintext_milvus_handshake_version_health_and_error_classes() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Plain) else {
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        // connect + Connect handshake + GetVersion + CheckHealth with root/Milvus.
        let started = Instant::now();
        let conn = Connector::new()
            .sdk_type("Rust")
            .reserved("test", "real_milvus_transport")
            .connect(&spec(root(&milvus)))
            .await
            .unwrap();
        let connect_time = started.elapsed();
        let info = conn.server_info().unwrap().clone();
        let identifier = conn.identifier().unwrap();
        assert_ne!(identifier, 0, "Milvus hands out a non-zero identifier");
        assert_eq!(info.build_tags(), "v2.3.5-lite");
        assert_eq!(info.deploy_mode(), "STANDALONE");
        assert!(info.go_version().starts_with("go version go"), "{info:?}");
        let version = conn.get_version().await.unwrap();
        assert_eq!(version, "v2.3.5-lite");
        assert_eq!(version, milvus.server_version());
        let health = conn.check_health().await.unwrap();
        assert!(health.is_healthy(), "{health:?}");
        assert!(health.reasons().is_empty());
        eprintln!(
            "observed plain: connect+handshake {connect_time:?}, identifier {identifier}, \
             server_info {info:?}, version {version}, health {health:?}"
        );

        // The same credentials as a token.
        let token = spec(ConnectArgs::new().uri(milvus.uri()).token(format!(
            "{}:{}",
            milvus.user(),
            milvus.password()
        )));
        let conn = conn_transport_tonic::connect(&token).await.unwrap();
        assert_eq!(conn.get_version().await.unwrap(), "v2.3.5-lite");

        // A lazy connection handshakes on first use.
        let lazy = conn_transport_tonic::connect_lazy(&spec(root(&milvus))).unwrap();
        assert_eq!(lazy.identifier(), None);
        assert!(lazy.check_health().await.unwrap().is_healthy());
        assert!(lazy.identifier().is_some());

        // A wrong password: the authentication class, Milvus's own words.
        let wrong = spec(root(&milvus).password("not-the-password"));
        let err = conn_transport_tonic::connect(&wrong).await.unwrap_err();
        observe("plain, wrong password", &err);
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
        assert!(matches!(&err, Error::Authentication { rpc: "Connect", .. }));
        assert!(
            err.to_string()
                .contains("auth check failure, please check username and password are correct"),
            "{err}"
        );
        assert!(!format!("{err:?}").contains("not-the-password"));

        // No credentials at all.
        let none = spec(ConnectArgs::new().uri(milvus.uri()));
        let err = conn_transport_tonic::connect(&none).await.unwrap_err();
        observe("plain, no credentials", &err);
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
        assert!(
            err.to_string().contains("missing authorization in header"),
            "{err}"
        );

        // A database that does not exist: Connect answers status code 800.
        let no_db = spec(root(&milvus).db_name("no_such_db"));
        let err = conn_transport_tonic::connect(&no_db).await.unwrap_err();
        observe("plain, unknown database", &err);
        match &err {
            Error::ServerStatus {
                rpc,
                code,
                error_code,
                reason,
                ..
            } => {
                assert_eq!(*rpc, "Connect");
                assert_eq!(*code, 800);
                assert_eq!(*error_code, 1);
                assert_eq!(reason, "database not found[database=no_such_db]");
            }
            other => panic!("expected a server status, got {other:?}"),
        }
        // The lazy path finds it at the handshake too.
        let lazy = conn_transport_tonic::connect_lazy(&no_db).unwrap();
        assert_eq!(
            lazy.get_version().await.unwrap_err().kind(),
            ErrorKind::ServerStatus
        );

        // TLS to the plaintext port.
        let tls_to_plain = spec(
            ConnectArgs::new()
                .uri(format!("https://{}", milvus.addr()))
                .token("root:Milvus"),
        );
        let err = conn_transport_tonic::connect(&tls_to_plain)
            .await
            .unwrap_err();
        observe("plain, tls client", &err);
        assert_problem(&err, TlsProblem::NotTls);

        // Milvus's embedded etcd: a gRPC port that is not Milvus.
        let etcd = internal_port(&milvus, "internal_etcd_port");
        let wrong_port = spec(root(&milvus).uri(format!("http://127.0.0.1:{etcd}")));
        let err = conn_transport_tonic::connect(&wrong_port)
            .await
            .unwrap_err();
        observe(&format!("plain, etcd port {etcd}"), &err);
        assert_eq!(err.kind(), ErrorKind::Unimplemented, "{err:?}");

        // The metrics/healthz port: HTTP/1.1, not gRPC.
        let metrics = internal_port(&milvus, "MILVUS_IT_METRICS_PORT");
        let http1 = spec(root(&milvus).uri(format!("http://127.0.0.1:{metrics}")));
        let err = conn_transport_tonic::connect(&http1).await.unwrap_err();
        observe(&format!("plain, metrics port {metrics}"), &err);
        assert_eq!(err.kind(), ErrorKind::Unreachable, "{err:?}");
    });
    milvus.stop().unwrap();
}

/// A client certificate signed by a CA the server does not trust, written to `dir`.
fn rogue_client(dir: &Path) -> (PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "rogue ca");
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["client".to_owned()]).unwrap();
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let cert_path = dir.join("rogue-client.pem");
    let key_path = dir.join("rogue-client.key");
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

#[test]
fn one_way_tls_milvus() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Tls1) else {
        return;
    };
    let ca = milvus.ca().unwrap().to_owned();
    let rt = runtime();
    rt.block_on(async {
        // https://127.0.0.1 with the CA: the certificate holds IP:127.0.0.1.
        let conn = conn_transport_tonic::connect(&spec(root(&milvus).ca_pem_path(&ca)))
            .await
            .unwrap();
        let version = conn.get_version().await.unwrap();
        assert_eq!(version, "v2.3.5-lite");
        assert!(conn.check_health().await.unwrap().is_healthy());
        eprintln!(
            "observed tls1: one-way to {} ok, version {version}, identifier {:?}",
            milvus.addr(),
            conn.identifier()
        );

        // By name, localhost, and with server_name.
        let by_name = spec(
            root(&milvus)
                .uri(format!("https://localhost:{}", milvus.port()))
                .ca_pem_path(&ca),
        );
        conn_transport_tonic::connect(&by_name).await.unwrap();
        let named = spec(
            root(&milvus)
                .ca_pem_path(&ca)
                .server_name(milvus.server_name().unwrap()),
        );
        conn_transport_tonic::connect(&named).await.unwrap();

        // pymilvus's one-way form from Milvus's documentation: server_pem_path = the
        // server's own certificate (gRPC accepts it as a "partial chain"; so do we).
        let server_pem = ca.with_file_name("server.pem");
        let pinned =
            conn_transport_tonic::connect(&spec(root(&milvus).server_pem_path(&server_pem)))
                .await
                .unwrap();
        assert_eq!(pinned.get_version().await.unwrap(), "v2.3.5-lite");
        eprintln!("observed tls1: server_pem_path=server.pem (the leaf) works");

        // The wrong CA.
        let other = spec(root(&milvus).ca_pem_path(milvus.other_ca().unwrap()));
        let err = conn_transport_tonic::connect(&other).await.unwrap_err();
        observe("tls1, other CA", &err);
        assert_problem(&err, TlsProblem::UntrustedCertificate);

        // The wrong name.
        let wrong_name = spec(root(&milvus).ca_pem_path(&ca).server_name("wrong.example"));
        let err = conn_transport_tonic::connect(&wrong_name)
            .await
            .unwrap_err();
        observe("tls1, server_name wrong.example", &err);
        assert_problem(&err, TlsProblem::NameMismatch);

        // Plaintext to the TLS port: Milvus closes the connection, and answers a TLS
        // ClientHello, so it is the TLS class with a hint, not transient (docs/transport.md;
        // it was `unreachable` before).
        let plain = spec(root(&milvus).uri(format!("http://{}", milvus.addr())));
        let err = conn_transport_tonic::connect(&plain).await.unwrap_err();
        observe("tls1, plaintext client", &err);
        assert_problem(&err, TlsProblem::ServerRequiresTls);
        assert!(!err.is_transient());
        assert!(
            err.to_string().contains("use https:// or secure=true"),
            "{err}"
        );

        // Wrong password over TLS.
        let wrong = spec(root(&milvus).user("root").password("nope").ca_pem_path(&ca));
        let err = conn_transport_tonic::connect(&wrong).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
    });
    milvus.stop().unwrap();
}

#[test]
fn mutual_tls_milvus() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Tls2) else {
        return;
    };
    let ca = milvus.ca().unwrap().to_owned();
    let cert = milvus.client_cert().unwrap().to_owned();
    let key = milvus.client_key().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    // `args` trusting the CA, with the client certificate `cert` and its `key`.
    let with_client = |args: ConnectArgs, cert: &Path, key: &Path| {
        args.ca_pem_path(&ca)
            .client_pem_path(cert)
            .client_key_path(key)
    };
    let rt = runtime();
    rt.block_on(async {
        let mutual = spec(with_client(root(&milvus), &cert, &key));
        let conn = conn_transport_tonic::connect(&mutual).await.unwrap();
        let version = conn.get_version().await.unwrap();
        assert_eq!(version, "v2.3.5-lite");
        assert!(conn.check_health().await.unwrap().is_healthy());
        eprintln!("observed tls2: mutual ok, version {version}");

        // No client certificate.
        // Milvus refuses it with an alert after the client's side of the TLS 1.3 handshake;
        // the class must not depend on a race, so try a few times.
        let one_way = spec(root(&milvus).ca_pem_path(&ca));
        for _ in 0..5 {
            let err = conn_transport_tonic::connect(&one_way).await.unwrap_err();
            observe("tls2, no client certificate", &err);
            assert_problem(&err, TlsProblem::ClientCertificateRequired);
        }

        // A client certificate from a CA the server does not trust.
        let (rogue_cert, rogue_key) = rogue_client(dir.path());
        let rogue = spec(with_client(root(&milvus), &rogue_cert, &rogue_key));
        let err = conn_transport_tonic::connect(&rogue).await.unwrap_err();
        observe("tls2, untrusted client certificate", &err);
        assert_problem(&err, TlsProblem::ClientCertificateRejected);

        // The right certificate, the wrong password.
        let wrong_password = root(&milvus).user("root").password("nope");
        let wrong = spec(with_client(wrong_password, &cert, &key));
        let err = conn_transport_tonic::connect(&wrong).await.unwrap_err();
        observe("tls2, wrong password", &err);
        assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
    });
    milvus.stop().unwrap();
}
