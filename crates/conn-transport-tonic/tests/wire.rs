//! What goes on the wire, against in-process tonic servers on 127.0.0.1:0 and on a Unix
//! socket: the metadata of every call, the `Connect` handshake, lazy connections, and the
//! error classes of plaintext failures.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{args, closed_port, serve, spec};
use conn_config::{ConnectArgs, ConnectionSpec};
use conn_test_server::{Call, TestServer};
use conn_transport_tonic::{Connector, Error, ErrorKind, LiteProblem};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;

/// `root:Milvus`, base64 (pymilvus sends exactly this).
const ROOT_MILVUS_B64: &str = "cm9vdDpNaWx2dXM=";

fn names(call: &Call) -> Vec<&str> {
    call.milvus_header_names()
}

#[tokio::test]
async fn user_password_headers_and_handshake_exactly_as_the_contract_says() {
    let server = serve(
        TestServer::builder()
            .require_authorization(ROOT_MILVUS_B64)
            .identifier(4242),
    )
    .await;
    let spec = spec(args(&server).user("root").password("Milvus").db_name("db1"));
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    assert_eq!(conn.identifier(), Some(4242));
    assert_eq!(conn.server_info().unwrap().build_tags(), "v0.0.0-test");
    assert_eq!(conn.server_info().unwrap().deploy_mode(), "STANDALONE");
    assert_eq!(conn.get_version().await.unwrap(), "v0.0.0-test");
    assert!(conn.check_health().await.unwrap().is_healthy());

    let calls = server.calls();
    let rpcs: Vec<&str> = calls.iter().map(|c| c.rpc).collect();
    assert_eq!(rpcs, ["Connect", "GetVersion", "CheckHealth"]);

    // Connect: authorization and dbname, no identifier yet, nothing else of ours.
    let connect = &calls[0];
    assert_eq!(names(connect), ["authorization", "dbname"]);
    assert_eq!(connect.header("authorization"), Some(ROOT_MILVUS_B64));
    assert_eq!(connect.header("dbname"), Some("db1"));
    // The handshake is bounded: tonic sends the deadline as grpc-timeout.
    assert!(connect.header("grpc-timeout").is_some());

    // Every later call: the same plus the identifier.
    for call in &calls[1..] {
        assert_eq!(
            names(call),
            ["authorization", "dbname", "identifier"],
            "{call:?}"
        );
        assert_eq!(call.header("authorization"), Some(ROOT_MILVUS_B64));
        assert_eq!(call.header("dbname"), Some("db1"));
        assert_eq!(call.header("identifier"), Some("4242"));
    }

    // The ClientInfo of the handshake.
    let info = connect.client_info.as_ref().unwrap();
    assert_eq!(info.sdk_type, "Rust");
    assert_eq!(info.sdk_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.user, "root");
    assert_eq!(
        info.host,
        gethostname_for_test(),
        "host is the machine's host name"
    );
    assert!(info.reserved.is_empty());
    let sent = humantime::parse_rfc3339(&info.local_time).unwrap();
    let age = std::time::SystemTime::now().duration_since(sent).unwrap();
    assert!(
        age < Duration::from_secs(60),
        "local_time is now: {}",
        info.local_time
    );
}

fn gethostname_for_test() -> String {
    // The same call the crate makes; the host name of this machine, not a constant.
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap()
}

#[tokio::test]
async fn token_is_sent_as_base64_of_the_token_and_no_user_goes_into_client_info() {
    let server = serve(TestServer::builder().require_authorization("dG9rMTIz")).await;
    let spec = spec(args(&server).token("tok123"));
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    conn.get_version().await.unwrap();
    let calls = server.calls();
    assert_eq!(calls[0].header("authorization"), Some("dG9rMTIz"));
    assert_eq!(calls[0].header("dbname"), Some("default"));
    assert_eq!(calls[0].client_info.as_ref().unwrap().user, "");
    assert_eq!(calls[1].header("identifier"), Some("4242"));
}

#[tokio::test]
async fn without_credentials_no_authorization_header_is_sent() {
    let server = serve(TestServer::builder()).await;
    let spec = spec(args(&server));
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    assert!(!conn.interceptor().has_credentials());
    conn.check_health().await.unwrap();
    let calls = server.calls();
    assert_eq!(names(&calls[0]), ["dbname"]);
    assert_eq!(names(&calls[1]), ["dbname", "identifier"]);
    assert_eq!(calls[1].header("dbname"), Some("default"));
}

#[tokio::test]
async fn a_downstream_sdk_sets_its_own_client_info() {
    let server = serve(TestServer::builder()).await;
    let spec = spec(args(&server).token("t"));
    let connector = Connector::new()
        .sdk_type("MyRustSdk")
        .sdk_version("1.2.3")
        .host_name("builder-host")
        .reserved("cluster_id", "c1")
        .reserved("k", "v");
    connector.connect(&spec).await.unwrap();
    let calls = server.calls();
    let info = calls[0].client_info.as_ref().unwrap();
    assert_eq!(info.sdk_type, "MyRustSdk");
    assert_eq!(info.sdk_version, "1.2.3");
    assert_eq!(info.host, "builder-host");
    assert_eq!(info.reserved.len(), 2);
    assert_eq!(info.reserved["cluster_id"], "c1");
    assert_eq!(info.reserved["k"], "v");
}

#[tokio::test]
async fn over_a_unix_socket_the_same_headers_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("milvus.sock");
    let server = TestServer::builder()
        .require_authorization(ROOT_MILVUS_B64)
        .identifier(99)
        .serve_unix(&path)
        .await
        .unwrap();
    let spec = spec(
        args(&server)
            .user("root")
            .password("Milvus")
            .db_name("unixdb"),
    );
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    assert_eq!(conn.address(), format!("unix:{}", path.display()));
    assert_eq!(conn.get_version().await.unwrap(), "v0.0.0-test");
    let calls = server.calls();
    assert_eq!(names(&calls[0]), ["authorization", "dbname"]);
    assert_eq!(calls[0].header("authorization"), Some(ROOT_MILVUS_B64));
    assert_eq!(calls[0].header("dbname"), Some("unixdb"));
    assert_eq!(names(&calls[1]), ["authorization", "dbname", "identifier"]);
    assert_eq!(calls[1].header("identifier"), Some("99"));
}

#[tokio::test]
async fn a_missing_unix_socket_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.sock");
    let spec = spec(ConnectArgs::new().uri(format!("unix:{}", path.display())));
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err:?}");
    assert!(err.to_string().contains("nobody.sock"), "{err}");
}

#[tokio::test]
async fn lazy_connection_does_nothing_until_used_then_handshakes_first() {
    let server = serve(TestServer::builder().identifier(7)).await;
    let spec = spec(args(&server).token("t"));
    let conn = conn_transport_tonic::connect_lazy(&spec).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.calls().is_empty());
    assert_eq!(conn.identifier(), None);
    // A service handed out before the handshake picks the identifier up afterwards.
    let early_service = conn.service();

    assert_eq!(conn.get_version().await.unwrap(), "v0.0.0-test");
    assert_eq!(conn.identifier(), Some(7));
    // The handshake ran once only.
    conn.check_health().await.unwrap();
    MilvusServiceClient::new(early_service)
        .get_version(GetVersionRequest {})
        .await
        .unwrap();

    let calls = server.calls();
    let rpcs: Vec<&str> = calls.iter().map(|c| c.rpc).collect();
    assert_eq!(rpcs, ["Connect", "GetVersion", "CheckHealth", "GetVersion"]);
    assert_eq!(calls[0].header("identifier"), None);
    for call in &calls[1..] {
        assert_eq!(call.header("identifier"), Some("7"));
    }
}

#[tokio::test]
async fn lazy_connection_to_a_closed_port_fails_on_first_use_with_the_unreachable_class() {
    let spec = spec(
        ConnectArgs::new()
            .uri(format!("http://127.0.0.1:{}", closed_port()))
            .timeout(Duration::from_secs(3)),
    );
    let conn = conn_transport_tonic::connect_lazy(&spec).unwrap();
    let err = conn.handshake().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err:?}");
}

#[tokio::test]
async fn a_per_call_dbname_set_by_the_caller_is_kept() {
    let server = serve(TestServer::builder()).await;
    let spec = spec(args(&server).db_name("db1"));
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    let mut client = MilvusServiceClient::new(conn.service()).max_decoding_message_size(usize::MAX);
    let mut request = tonic::Request::new(GetVersionRequest {});
    request
        .metadata_mut()
        .insert("dbname", "other".parse().unwrap());
    client.get_version(request).await.unwrap();
    let calls = server.calls();
    assert_eq!(calls[1].header("dbname"), Some("other"));
    assert_eq!(names(&calls[1]), ["dbname", "identifier"]);
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_returns_within_the_timeout() {
    let port = closed_port();
    let timeout = Duration::from_secs(3);
    let spec = spec(
        ConnectArgs::new()
            .uri(format!("http://127.0.0.1:{port}"))
            .timeout(timeout),
    );
    let started = Instant::now();
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("3s"), "names the timeout: {text}");
    // A generous margin: this checks that it returns, not how fast.
    assert!(elapsed < timeout + Duration::from_secs(5), "{elapsed:?}");
    // The OS's words are the source, not the message.
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(
        !text.contains(&source),
        "message repeats the source: {text}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_naming_the_step_and_timeout() {
    let server = serve(TestServer::builder().delay(Duration::from_secs(30))).await;
    let timeout = Duration::from_millis(500);
    let spec = spec(args(&server).timeout(timeout));
    let started = Instant::now();
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err:?}");
    match &err {
        Error::TimedOut {
            step, timeout: t, ..
        } => {
            assert_eq!(*step, "Connect");
            assert_eq!(*t, timeout);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("500ms"), "{err}");
}

/// A TCP listener on 127.0.0.1:0 (for the test to answer by hand), and a plaintext spec
/// for it with `timeout`.
async fn listener_and_spec(timeout: Duration) -> (tokio::net::TcpListener, ConnectionSpec) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let spec = spec(
        ConnectArgs::new()
            .uri(format!("http://{addr}"))
            .timeout(timeout),
    );
    (listener, spec)
}

#[tokio::test]
async fn a_tcp_peer_that_accepts_and_stays_silent_times_out() {
    let (listener, spec) = listener_and_spec(Duration::from_millis(500)).await;
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err:?}");
    holder.abort();
}

#[tokio::test]
async fn a_grpc_server_that_is_not_milvus_is_unimplemented() {
    let server = serve(TestServer::builder().unimplemented()).await;
    let spec = spec(args(&server));
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unimplemented, "{err:?}");
    assert!(err.to_string().contains("Connect"), "{err}");
    assert!(
        err.to_string().contains("19530"),
        "suggests the gRPC port: {err}"
    );
}

#[tokio::test]
async fn an_http1_server_is_not_a_grpc_port() {
    // A plain HTTP/1.1 server, like Milvus's metrics port 9091 or a REST port.
    let (listener, spec) = listener_and_spec(Duration::from_secs(3)).await;
    let http1 = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    // The HTTP/2 connection breaks before any gRPC answer: no Milvus here.
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err:?}");
    http1.abort();
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_the_authentication_class() {
    let server = serve(TestServer::builder().require_authorization(ROOT_MILVUS_B64)).await;

    let wrong = spec(args(&server).user("root").password("wrong-password"));
    let err = conn_transport_tonic::connect(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
    assert!(
        err.to_string()
            .contains("auth check failure, please check username and password are correct"),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("wrong-password"));

    let none = spec(args(&server));
    let err = conn_transport_tonic::connect(&none).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
    assert!(
        err.to_string().contains("missing authorization in header"),
        "{err}"
    );
}

#[tokio::test]
async fn a_non_zero_connect_status_is_the_server_status_class() {
    let server =
        serve(TestServer::builder().connect_status(800, "database not found[database=nope]")).await;
    let spec = spec(args(&server).db_name("nope"));
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServerStatus, "{err:?}");
    match &err {
        Error::ServerStatus {
            rpc, code, reason, ..
        } => {
            assert_eq!(*rpc, "Connect");
            assert_eq!(*code, 800);
            assert_eq!(reason, "database not found[database=nope]");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "milvus at {} refused Connect with status code 800: database not found[database=nope]",
            server.local_addr().unwrap()
        )
    );
}

/// A `.db` target (the `lite` feature is on in this crate's tests; tests/lite.rs starts the
/// real Milvus Lite): refused before any process starts when its directory is missing, and
/// by `connect_lazy`, which never starts one.
#[tokio::test]
async fn a_milvus_lite_file_is_not_started_lazily_or_without_its_directory() {
    let spec = spec(ConnectArgs::new().uri("./no-such-dir/milvus_demo.db"));
    let lite_problem = |err: &Error| match err {
        Error::Lite { problem, .. } => *problem,
        other => panic!("not a lite error: {other:?}"),
    };
    let err = conn_transport_tonic::connect(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Lite, "{err:?}");
    assert_eq!(lite_problem(&err), LiteProblem::ParentMissing);
    assert!(err.to_string().contains("milvus_demo.db"), "{err}");
    let err = conn_transport_tonic::connect_lazy(&spec).unwrap_err();
    assert_eq!(lite_problem(&err), LiteProblem::Lazy);
}

#[test]
fn connect_lazy_outside_a_runtime_is_an_error_not_a_panic() {
    let spec = spec(ConnectArgs::new().uri("http://127.0.0.1:19530"));
    let err = conn_transport_tonic::connect_lazy(&spec).unwrap_err();
    assert!(matches!(err, Error::NoRuntime), "{err:?}");
    // Before any TLS file is read: a missing CA file is not even looked at.
    let spec = spec_with_missing_ca();
    let err = conn_transport_tonic::connect_lazy(&spec).unwrap_err();
    assert!(matches!(err, Error::NoRuntime), "{err:?}");
}

fn spec_with_missing_ca() -> ConnectionSpec {
    spec(
        ConnectArgs::new()
            .uri("https://127.0.0.1:19530")
            .ca_pem_path("/nonexistent/milvus-conn-ca.pem"),
    )
}

#[tokio::test]
async fn the_call_timeout_goes_on_calls_without_their_own_and_the_limits_are_readable() {
    let server = serve(TestServer::builder()).await;
    let spec = spec(args(&server));
    let conn = Connector::new()
        .call_timeout(Duration::from_millis(1500))
        .max_decoding_message_size(1 << 30)
        .connect(&spec)
        .await
        .unwrap();
    let defaults = conn.call_defaults();
    assert_eq!(defaults.timeout, Some(Duration::from_millis(1500)));
    assert_eq!(defaults.max_decoding_message_size, 1 << 30);
    assert_eq!(defaults.max_encoding_message_size, usize::MAX);
    let mut client = MilvusServiceClient::new(conn.service())
        .max_decoding_message_size(defaults.max_decoding_message_size);
    client.get_version(GetVersionRequest {}).await.unwrap();
    let mut own = tonic::Request::new(GetVersionRequest {});
    own.set_timeout(Duration::from_secs(7));
    client.get_version(own).await.unwrap();

    // Without a call timeout, nothing is added.
    let plain = conn_transport_tonic::connect(&spec).await.unwrap();
    assert_eq!(plain.call_defaults().timeout, None);
    MilvusServiceClient::new(plain.service())
        .get_version(GetVersionRequest {})
        .await
        .unwrap();

    let timeouts: Vec<_> = server
        .calls()
        .iter()
        .filter(|c| c.rpc == "GetVersion")
        .map(|c| c.header("grpc-timeout").map(str::to_owned))
        .collect();
    assert_eq!(
        timeouts,
        [Some("1500m".to_owned()), Some("7000000u".to_owned()), None]
    );
}

#[tokio::test]
async fn a_call_timeout_is_enforced_and_a_calls_own_wins() {
    let server = serve(TestServer::builder().delay(Duration::from_millis(600))).await;
    let spec = spec(args(&server).timeout(Duration::from_secs(5)));
    let conn = Connector::new()
        .call_timeout(Duration::from_millis(200))
        .connect(&spec)
        .await
        .unwrap();
    let mut client = MilvusServiceClient::new(conn.service());
    let started = Instant::now();
    let status = client.get_version(GetVersionRequest {}).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "does not hang");
    assert_eq!(
        conn_transport_tonic::classify(&status),
        ErrorKind::TimedOut,
        "{status:?}"
    );
    let mut own = tonic::Request::new(GetVersionRequest {});
    own.set_timeout(Duration::from_secs(5));
    client.get_version(own).await.unwrap();
}
