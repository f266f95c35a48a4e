//! A lazy connection's `Connect` handshake runs before the first call a generated client
//! makes through `MilvusConnection::service()`: once, shared by concurrent first calls, and a
//! failure fails those calls with the handshake's classified error. A call's own time-out
//! bounds its wait for the handshake, which goes on in its own task for the other calls,
//! until the connection is dropped. Against the recording in-process test server; the
//! tests of time-outs hold `Connect` at a `Gate` and order events by it, not by the clock.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::{args, closed_port, serve, spec};
use conn_config::ConnectArgs;
use conn_test_server::{Failure, Gate, TestServer};
use conn_transport_tonic::tonic::Code;
use conn_transport_tonic::{
    ChannelPool, Connector, Error, ErrorKind, MilvusConnection, MilvusService, classify,
};
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

/// A call's own time-out, shorter than the handshake takes.
const SHORT: Duration = Duration::from_millis(100);
/// The spec's timeout: the handshake's own deadline.
const SPEC_TIMEOUT: Duration = Duration::from_secs(10);

/// A server whose first `Connect` waits at `gate` until the test opens it.
async fn held_connect(gate: &Gate) -> TestServer {
    let server = serve(TestServer::builder().identifier(9)).await;
    server.fail("Connect", 1, Failure::Hold(gate.clone()));
    server
}

fn lazy(server: &TestServer, connector: Connector) -> MilvusConnection {
    let spec = spec(args(server).timeout(SPEC_TIMEOUT));
    connector.connect_lazy(&spec).unwrap()
}

fn client(conn: &MilvusConnection) -> MilvusServiceClient<MilvusService> {
    MilvusServiceClient::new(conn.service())
}

fn with_timeout(timeout: Duration) -> tonic::Request<GetVersionRequest> {
    let mut request = tonic::Request::new(GetVersionRequest {});
    request.set_timeout(timeout);
    request
}

/// `status` failed a `GetVersion` whose own 100 ms ran out while it waited for the
/// handshake: `DEADLINE_EXCEEDED`, not sent, and `TimedOut` naming the call and its 100 ms
/// (not `Connect`, nor the spec's 10 s).
#[track_caller]
fn assert_gave_up_waiting(conn: &MilvusConnection, status: tonic::Status) {
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        status.message(),
        "no answer within the call's timeout of 100ms: the call was not sent; it was waiting \
         for the connection's Connect handshake"
    );
    assert_eq!(classify(&status), ErrorKind::TimedOut);
    let err = conn.error_from_status(status, "GetVersion");
    assert!(
        matches!(&err, Error::TimedOut { step: "GetVersion", timeout, .. } if *timeout == SHORT),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.ends_with("did not complete GetVersion within 100ms"),
        "{text}"
    );
}

/// On a lazy connection whose `Connect` the server holds, a call with 100 ms of its own
/// (`request`, through `connector`) gives up while `Connect` is still held; the handshake
/// goes on, and a call without a short time-out then succeeds on it: one `Connect`.
async fn a_short_call_gives_up_and_the_handshake_goes_on(
    connector: Connector,
    request: fn() -> tonic::Request<GetVersionRequest>,
) {
    let gate = Gate::new();
    let server = held_connect(&gate).await;
    let conn = lazy(&server, connector);
    let status = client(&conn).get_version(request()).await.unwrap_err();
    // The server has not answered `Connect`: it cannot before the gate opens.
    assert!(!gate.is_open());
    assert_gave_up_waiting(&conn, status);
    // The attempt goes on: its `Connect` is at the server, and not done.
    gate.reached().await;
    assert!(conn.handshake_result().is_none());
    gate.open();
    let reply = client(&conn)
        .get_version(with_timeout(SPEC_TIMEOUT))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().version, "v0.0.0-test");
    assert_eq!(conn.identifier(), Some(9));
    // One `Connect` (the first caller's giving up did not cancel it), and the call that
    // gave up was never sent.
    assert_eq!(rpcs(&server), ["Connect", "GetVersion"]);
}

#[tokio::test]
async fn a_requests_own_timeout_bounds_its_wait_for_the_handshake() {
    a_short_call_gives_up_and_the_handshake_goes_on(Connector::new(), || with_timeout(SHORT)).await;
}

#[tokio::test]
async fn the_call_timeout_bounds_a_calls_wait_for_the_handshake() {
    a_short_call_gives_up_and_the_handshake_goes_on(Connector::new().call_timeout(SHORT), || {
        tonic::Request::new(GetVersionRequest {})
    })
    .await;
}

/// Calls waiting for one handshake each stop at their own deadline: those with 100 ms give
/// up, those without wait on, and all that waited share the one `Connect`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_give_up_at_their_own_deadlines_and_the_rest_share_one_connect() {
    let gate = Gate::new();
    let server = held_connect(&gate).await;
    let conn = lazy(&server, Connector::new());
    let waiting: Vec<_> = (0..4)
        .map(|_| {
            let mut client = client(&conn);
            tokio::spawn(async move { client.get_version(GetVersionRequest {}).await })
        })
        .collect();
    gate.reached().await;
    for _ in 0..2 {
        let status = client(&conn)
            .get_version(with_timeout(SHORT))
            .await
            .unwrap_err();
        assert_gave_up_waiting(&conn, status);
    }
    assert!(waiting.iter().all(|call| !call.is_finished()));
    gate.open();
    for call in waiting {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        rpcs(&server),
        [
            "Connect",
            "GetVersion",
            "GetVersion",
            "GetVersion",
            "GetVersion"
        ]
    );
}

/// A call that waited for the handshake goes out with the time left of its own time-out
/// as its `grpc-timeout` (tonic would send the whole 60 s, as `60000000u`).
#[tokio::test]
async fn a_call_that_waited_goes_out_with_the_time_it_has_left() {
    let gate = Gate::new();
    let server = held_connect(&gate).await;
    let conn = lazy(&server, Connector::new());
    let mut client = client(&conn);
    let call = tokio::spawn(async move {
        client
            .get_version(with_timeout(Duration::from_secs(60)))
            .await
    });
    // The call started the attempt whose `Connect` is held: it is waiting for it.
    gate.reached().await;
    gate.open();
    call.await.unwrap().unwrap();
    let calls = server.calls();
    let sent = calls[1].header("grpc-timeout").unwrap();
    let left: u64 = sent.strip_suffix('m').unwrap().parse().unwrap();
    assert!(left <= 60_000, "{sent}");
}

/// `MilvusConnection::handshake` given up by its caller (its future dropped) goes on: the
/// next caller gets its result, with no second `Connect`.
#[tokio::test]
async fn a_handshake_its_caller_stopped_waiting_for_goes_on() {
    let gate = Gate::new();
    let server = held_connect(&gate).await;
    let conn = lazy(&server, Connector::new());
    tokio::select! {
        result = conn.handshake() => panic!("the gate is closed: {result:?}"),
        () = gate.reached() => {}
    }
    gate.open();
    assert_eq!(conn.handshake().await.unwrap().identifier(), 9);
    assert_eq!(rpcs(&server), ["Connect"]);
}

/// Dropping every clone of a connection aborts its handshake in flight: the server sees
/// the `Connect` given up, and the pooled channel is no longer held, long before the
/// handshake's own deadline (an hour). The 60 s bound only turns a leak into a failure
/// rather than an hour's wait; it measures nothing.
#[tokio::test]
async fn dropping_the_connection_aborts_its_handshake_in_flight() {
    let gate = Gate::new();
    let server = held_connect(&gate).await;
    let pool = ChannelPool::new();
    let spec = spec(args(&server).timeout(Duration::from_secs(3600)));
    let conn = Connector::new()
        .channel_pool(pool.clone())
        .connect_lazy(&spec)
        .unwrap();
    tokio::select! {
        result = conn.handshake() => panic!("the gate is closed: {result:?}"),
        () = gate.reached() => {}
    }
    assert_eq!(pool.len(), 1);
    drop(conn);
    tokio::time::timeout(Duration::from_secs(60), gate.abandoned())
        .await
        .expect("the handshake's task still holds its Connect call");
    assert!(pool.is_empty());
    assert_eq!(rpcs(&server), ["Connect"]);
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
