//! A lazy connection's `Connect` handshake runs before the first call a generated client
//! makes through `MilvusConnection::service()`: once, shared by concurrent first calls, and a
//! failure fails those calls with the handshake's classified error. Against the recording
//! in-process test server.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::{args, closed_port, serve, spec};
use conn_config::ConnectArgs;
use conn_test_server::TestServer;
use conn_transport_tonic::tonic::Code;
use conn_transport_tonic::{Error, ErrorKind, classify};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;

/// `root:Milvus`, base64.
const ROOT_MILVUS_B64: &str = "cm9vdDpNaWx2dXM=";

fn rpcs(server: &TestServer) -> Vec<&'static str> {
    server.calls().iter().map(|c| c.rpc).collect()
}

#[tokio::test]
async fn a_lazy_connections_first_call_is_preceded_by_exactly_one_connect() {
    let server = serve(TestServer::builder().identifier(77)).await;
    let conn = conn_transport_tonic::connect_lazy(&spec(args(&server).token("t"))).unwrap();
    let mut client = MilvusServiceClient::new(conn.service());
    assert!(server.calls().is_empty());
    assert_eq!(conn.identifier(), None);

    let reply = client.get_version(GetVersionRequest {}).await.unwrap();
    assert_eq!(reply.into_inner().version, "v0.0.0-test");
    assert_eq!(conn.identifier(), Some(77));
    client.get_version(GetVersionRequest {}).await.unwrap();

    let calls = server.calls();
    assert_eq!(rpcs(&server), ["Connect", "GetVersion", "GetVersion"]);
    assert_eq!(calls[0].header("identifier"), None);
    for call in &calls[1..] {
        assert_eq!(call.header("identifier"), Some("77"));
        assert_eq!(call.header("authorization"), Some("dA=="));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_first_calls_share_one_connect() {
    // A slow server, so that all sixteen calls wait for the one handshake in flight.
    let server = serve(
        TestServer::builder()
            .identifier(5)
            .delay(Duration::from_millis(200)),
    )
    .await;
    let conn = conn_transport_tonic::connect_lazy(&spec(args(&server))).unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let mut client = MilvusServiceClient::new(conn.service());
            tokio::spawn(async move { client.get_version(GetVersionRequest {}).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let seen = server.calls();
    let connects = seen.iter().filter(|c| c.rpc == "Connect").count();
    assert_eq!(connects, 1, "{:?}", rpcs(&server));
    assert_eq!(seen[0].rpc, "Connect");
    assert_eq!(seen.len(), 17);
    assert!(
        seen[1..]
            .iter()
            .all(|c| c.rpc == "GetVersion" && c.header("identifier") == Some("5"))
    );
    assert_eq!(conn.identifier(), Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_fails_the_first_calls_with_the_authentication_class() {
    let server = serve(
        TestServer::builder()
            .require_authorization(ROOT_MILVUS_B64)
            .delay(Duration::from_millis(200)),
    )
    .await;
    let conn =
        conn_transport_tonic::connect_lazy(&spec(args(&server).user("root").password("wrong")))
            .unwrap();
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let mut client = MilvusServiceClient::new(conn.service());
            tokio::spawn(async move { client.get_version(GetVersionRequest {}).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap().unwrap_err());
    }
    // One Connect for the sixteen, and none of the calls went out.
    assert_eq!(rpcs(&server), ["Connect"]);
    for status in &statuses {
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(classify(status), ErrorKind::Authentication);
        let attached = Error::attached_to(status).unwrap();
        assert_eq!(attached.kind(), ErrorKind::Authentication);
        assert!(!attached.is_transient());
        assert_eq!(
            status.message(),
            format!(
                "milvus at {} rejected the credentials on Connect: auth check failure, please \
                 check username and password are correct",
                server.local_addr().unwrap()
            )
        );
        let err = conn.error_from_status(status.clone(), "GetVersion");
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert_eq!(err.to_string(), attached.to_string());
        assert!(!format!("{status:?}").contains("wrong"));
    }
    assert_eq!(conn.identifier(), None);

    // A later call tries the handshake again.
    let again = MilvusServiceClient::new(conn.service())
        .get_version(GetVersionRequest {})
        .await
        .unwrap_err();
    assert_eq!(classify(&again), ErrorKind::Authentication);
    assert_eq!(rpcs(&server), ["Connect", "Connect"]);
}

#[tokio::test]
async fn an_unreachable_lazy_connection_fails_the_call_as_unreachable_and_transient() {
    let conn = conn_transport_tonic::connect_lazy(&spec(
        ConnectArgs::new()
            .uri(format!("http://127.0.0.1:{}", closed_port()))
            .timeout(Duration::from_secs(3)),
    ))
    .unwrap();
    let status = MilvusServiceClient::new(conn.service())
        .get_version(GetVersionRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(classify(&status), ErrorKind::Unreachable);
    let err = conn.error_from_status(status, "GetVersion");
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert!(err.is_transient());
}

#[tokio::test]
async fn an_eager_connection_sends_no_second_connect() {
    let server = serve(TestServer::builder()).await;
    let conn = conn_transport_tonic::connect(&spec(args(&server)))
        .await
        .unwrap();
    let mut client = MilvusServiceClient::new(conn.service());
    client.get_version(GetVersionRequest {}).await.unwrap();
    conn.handshake().await.unwrap();
    assert_eq!(rpcs(&server), ["Connect", "GetVersion"]);
}

/// The handshake gate's cost on a handshaken connection: `GetVersion` round trips through
/// `service()` and through the same channel and interceptor without the gate, in alternating
/// rounds (so that drift in the machine's load hits both alike). Prints the medians; run
/// with `cargo test -p conn-transport-tonic --test lazy -- --ignored --nocapture`. No timed
/// assertion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; prints figures"]
async fn measure_the_gate_on_a_handshaken_connection() {
    let server = serve(TestServer::builder()).await;
    let conn = conn_transport_tonic::connect(&spec(args(&server)))
        .await
        .unwrap();
    let gated = MilvusServiceClient::new(conn.service());
    let ungated =
        MilvusServiceClient::with_interceptor(conn.channel().clone(), conn.interceptor().clone());
    const ROUNDS: usize = 20;
    const CALLS: usize = 200;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            let mut c = gated.clone();
            c.get_version(GetVersionRequest {}).await.unwrap();
        }
        with.push(started.elapsed() / CALLS as u32);
        let started = std::time::Instant::now();
        for _ in 0..CALLS {
            let mut c = ungated.clone();
            c.get_version(GetVersionRequest {}).await.unwrap();
        }
        without.push(started.elapsed() / CALLS as u32);
    }
    with.sort_unstable();
    without.sort_unstable();
    let (w, wo) = (with[ROUNDS / 2], without[ROUNDS / 2]);
    eprintln!(
        "observed: GetVersion per call, median of {ROUNDS} rounds of {CALLS}: through service() \
         {w:?}, without the gate {wo:?}; min {:?} / {:?}",
        with[0], without[0]
    );
}
