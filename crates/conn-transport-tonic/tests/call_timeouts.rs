//! A call's own time-out, against the in-process test server with a stalled `GetVersion`
//! (`TestServer::fail(.., Failure::Hang(..))`): the error names the time-out that ran out
//! (the call's 150 ms), never the connection's 10 s, whichever way the call was made: a
//! generated client on `MilvusConnection::service()` (a request's own `grpc-timeout`, the
//! `Connector::call_timeout`, eager and lazy connections), `error_from_status`, `classify`,
//! and `RetryPolicy::call`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{args, get_version_calls, serve, spec};
use conn_test_server::{Failure, TestServer};
use conn_transport_tonic::retry::RetryPolicy;
use conn_transport_tonic::tonic::Code;
use conn_transport_tonic::{Connector, Error, ErrorKind, MilvusConnection, MilvusService};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;

/// The connection's timeout (the spec's), which must not appear in a call's time-out.
const SPEC_TIMEOUT: Duration = Duration::from_secs(10);
/// The call's own.
const CALL_TIMEOUT: Duration = Duration::from_millis(150);

/// A server whose next `GetVersion` hangs for a minute.
async fn stalled() -> TestServer {
    let server = serve(TestServer::builder()).await;
    server.fail("GetVersion", 1, Failure::Hang(Duration::from_secs(60)));
    server
}

async fn connect(server: &TestServer, connector: Connector) -> MilvusConnection {
    let spec = spec(args(server).timeout(SPEC_TIMEOUT));
    connector.connect(&spec).await.unwrap()
}

fn client(conn: &MilvusConnection) -> MilvusServiceClient<MilvusService> {
    MilvusServiceClient::new(conn.service())
}

fn with_own_timeout() -> tonic::Request<GetVersionRequest> {
    let mut request = tonic::Request::new(GetVersionRequest {});
    request.set_timeout(CALL_TIMEOUT);
    request
}

/// `err` is `timed_out`, names `GetVersion` and 150 ms, and not the connection's 10 s.
#[track_caller]
fn assert_names_the_call_timeout(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err:?}");
    match err {
        Error::TimedOut { step, timeout, .. } => {
            assert_eq!(*step, "GetVersion");
            assert_eq!(*timeout, CALL_TIMEOUT);
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.ends_with("did not complete GetVersion within 150ms"),
        "{text}"
    );
    assert!(!text.contains("10s"), "{text}");
}

/// What the SDK sees of a call whose own time-out ran out: `DEADLINE_EXCEEDED` (as gRPC's
/// other clients say; tonic alone says `CANCELLED`), naming the time-out.
#[track_caller]
fn assert_deadline_status(status: &tonic::Status) {
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("150ms"), "{status:?}");
    assert_eq!(conn_transport_tonic::classify(status), ErrorKind::TimedOut);
}

/// `request` through a generated client on `conn.service()`, to `server`'s stalled
/// `GetVersion`: it fails with the call's time-out, by `DEADLINE_EXCEEDED` and by the error
/// `error_from_status` makes of it. Returns the `grpc-timeout` the server saw.
async fn stalls_naming_the_call_timeout(
    server: &TestServer,
    conn: &MilvusConnection,
    request: tonic::Request<GetVersionRequest>,
) -> String {
    let status = client(conn).get_version(request).await.unwrap_err();
    assert_deadline_status(&status);
    assert_names_the_call_timeout(&conn.error_from_status(status, "GetVersion"));
    let call = server.calls().into_iter().find(|c| c.rpc == "GetVersion");
    call.unwrap().header("grpc-timeout").unwrap().to_owned()
}

#[tokio::test]
async fn a_requests_own_timeout_is_named_not_the_connections() {
    let server = stalled().await;
    let conn = connect(&server, Connector::new()).await;
    let sent = stalls_naming_the_call_timeout(&server, &conn, with_own_timeout()).await;
    // tonic wrote it in microseconds.
    assert_eq!(sent, "150000u");
}

#[tokio::test]
async fn the_connectors_call_timeout_is_named_not_the_connections() {
    let server = stalled().await;
    let conn = connect(&server, Connector::new().call_timeout(CALL_TIMEOUT)).await;
    let request = tonic::Request::new(GetVersionRequest {});
    let sent = stalls_naming_the_call_timeout(&server, &conn, request).await;
    assert_eq!(sent, "150m");
}

/// A call's own time-out shorter than the connector's: the call's is enforced and named.
#[tokio::test]
async fn a_requests_own_timeout_wins_over_the_call_timeout_and_is_named() {
    let server = stalled().await;
    let connector = Connector::new().call_timeout(Duration::from_secs(5));
    let conn = connect(&server, connector).await;
    let sent = stalls_naming_the_call_timeout(&server, &conn, with_own_timeout()).await;
    assert_eq!(sent, "150000u");
}

/// On a lazy connection the call first waits for the handshake, then for its own time-out.
#[tokio::test]
async fn on_a_lazy_connection_the_calls_timeout_is_named() {
    let server = stalled().await;
    let spec = spec(args(&server).timeout(SPEC_TIMEOUT));
    let conn = Connector::new().connect_lazy(&spec).unwrap();
    stalls_naming_the_call_timeout(&server, &conn, with_own_timeout()).await;
    assert!(conn.handshake_result().is_some(), "the handshake ran first");
}

/// A call that answers within its time-out is untouched.
#[tokio::test]
async fn a_call_within_its_timeout_succeeds() {
    let server = serve(TestServer::builder()).await;
    let conn = connect(&server, Connector::new().call_timeout(CALL_TIMEOUT)).await;
    let reply = client(&conn).get_version(with_own_timeout()).await.unwrap();
    assert_eq!(reply.into_inner().version, "v0.0.0-test");
}

/// `GetVersion` through the generated client, retried by `policy`, each attempt with the
/// request `request` makes of it.
async fn retried_get_version(
    policy: RetryPolicy,
    conn: &MilvusConnection,
    request: fn(&conn_transport_tonic::retry::Attempt) -> tonic::Request<GetVersionRequest>,
) -> Result<String, Error> {
    let client = client(conn);
    let reply = policy
        .call(conn, "GetVersion", |attempt| {
            let mut client = client.clone();
            let request = request(&attempt);
            async move { client.get_version(request).await }
        })
        .await?;
    Ok(reply.into_inner().version)
}

/// Through the retry policy, with a deadline far off: the attempt's own 150 ms ran out, and
/// the error says so (not the deadline's 10 s, nor the connection's).
#[tokio::test]
async fn through_the_retry_policy_the_attempts_own_timeout_is_named() {
    let server = stalled().await;
    let conn = connect(&server, Connector::new()).await;
    let policy =
        RetryPolicy::default().with_deadline(std::time::Instant::now() + Duration::from_secs(10));
    let err = retried_get_version(policy, &conn, |_| with_own_timeout())
        .await
        .unwrap_err();
    assert_names_the_call_timeout(&err);
}

/// Through the retry policy, the connector's call time-out shorter than the deadline: the
/// attempt's `grpc-timeout` (`Attempt::request`) is the call time-out, and is named.
#[tokio::test]
async fn through_the_retry_policy_the_call_timeout_is_named() {
    let server = stalled().await;
    let conn = connect(&server, Connector::new().call_timeout(CALL_TIMEOUT)).await;
    let policy =
        RetryPolicy::default().with_deadline(std::time::Instant::now() + Duration::from_secs(10));
    let err = retried_get_version(policy, &conn, |attempt| {
        attempt.request(GetVersionRequest {})
    })
    .await
    .unwrap_err();
    assert_names_the_call_timeout(&err);
    // Not retried: `timed_out` is retried only with `retry_deadline_exceeded`.
    assert_eq!(get_version_calls(&server), 1);
}

/// With `retry_deadline_exceeded`, the time-out is retried and the next attempt succeeds
/// (the server hangs once).
#[tokio::test]
async fn a_timed_out_attempt_is_retried_when_asked() {
    let server = stalled().await;
    let conn = connect(&server, Connector::new()).await;
    let policy = RetryPolicy::builder()
        .retry_deadline_exceeded(true)
        .build()
        .unwrap();
    let version = retried_get_version(policy, &conn, |_| with_own_timeout())
        .await
        .unwrap();
    assert_eq!(version, "v0.0.0-test");
    assert_eq!(get_version_calls(&server), 2);
}

/// The test server (tonic) enforces the `grpc-timeout` too and answers `CANCELLED` when it
/// runs out, at the moment tonic's client-side timer fires; on a multi-threaded runtime its
/// answer comes first about one time in fifteen. Either way the call fails with its own
/// time-out (before, the server's answer was an `rpc` error, which the policy retried).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stalled_call_names_its_timeout_whoever_answers_first() {
    let server = serve(TestServer::builder()).await;
    let conn = connect(&server, Connector::new()).await;
    let timeout = Duration::from_millis(20);
    for _ in 0..60 {
        server.fail("GetVersion", 1, Failure::Hang(Duration::from_secs(60)));
        let mut request = tonic::Request::new(GetVersionRequest {});
        request.set_timeout(timeout);
        let status = client(&conn).get_version(request).await.unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        let err = conn.error_from_status(status, "GetVersion");
        assert!(
            matches!(err, Error::TimedOut { timeout: t, .. } if t == timeout),
            "{err:?}"
        );
    }
}

/// A zero time-out is taken as given (`Connector::call_timeout`'s docs): the call is not
/// sent and fails at once as `timed_out`, against a server that answers at once too, from
/// the default and from a request's own. (Without the check, tonic raced the answer
/// against its already-fired timer and some calls succeeded.)
#[tokio::test]
async fn a_zero_time_out_fails_the_call_without_sending_it() {
    let server = serve(TestServer::builder()).await;
    let conn = connect(&server, Connector::new().call_timeout(Duration::ZERO)).await;
    let before = get_version_calls(&server);
    for _ in 0..20 {
        let status = client(&conn)
            .get_version(GetVersionRequest {})
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        assert!(
            status.message().contains("its time-out is zero"),
            "{status:?}"
        );
        let err = conn.error_from_status(status, "GetVersion");
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err:?}");
        let mut own = tonic::Request::new(GetVersionRequest {});
        own.set_timeout(Duration::ZERO);
        let status = client(&conn).get_version(own).await.unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    }
    assert_eq!(get_version_calls(&server), before, "nothing was sent");
    // A call with a time-out of its own is not touched by the zero default.
    let reply = client(&conn).get_version(with_own_timeout()).await.unwrap();
    assert!(!reply.into_inner().version.is_empty());
}
