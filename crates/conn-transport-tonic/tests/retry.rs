//! `retry::RetryPolicy` on an SDK's generated client (`milvus-conn-sdk-client`, whose
//! `MilvusReply` impls are what an SDK writes), against the recording test server made to
//! fail on command (`TestServer::fail`). Delays are read from the `retrying` log lines
//! (the delays the policy scheduled), never from the clock: one global subscriber captures
//! every thread's log (a thread-local one can miss events while another test's is dropped,
//! as the global maximum level is recomputed), and each test reads the lines that name its
//! own server's address.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::{Captured, get_version_calls};
use conn_config::ConnectArgs;
use conn_test_server::{Failure, TestServer};
use conn_transport_tonic::retry::RetryPolicy;
use conn_transport_tonic::tonic::Code;
use conn_transport_tonic::{Error, ErrorKind, MilvusConnection, MilvusService};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;

const TOKEN: &str = "retry-test-secret-token";

/// Everything tracing writes in this test binary, from every thread, at TRACE.
fn log() -> &'static Captured {
    static LOG: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(captured.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

/// A server that requires [`TOKEN`], and a handshaken connection to it.
async fn setup() -> (TestServer, MilvusConnection) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
    let server = TestServer::builder()
        .require_authorization(b64)
        .serve_tcp()
        .await
        .unwrap();
    let spec = ConnectArgs::new()
        .uri(server.uri())
        .token(TOKEN)
        .resolve_isolated()
        .unwrap();
    let conn = conn_transport_tonic::connect(&spec).await.unwrap();
    (server, conn)
}

/// `GetVersion` through the generated client, retried by `policy`: what an SDK writes.
async fn get_version(policy: &RetryPolicy, conn: &MilvusConnection) -> Result<String, Error> {
    let client: MilvusServiceClient<MilvusService> = MilvusServiceClient::new(conn.service());
    let reply = policy
        .call(conn, "GetVersion", |attempt| {
            let mut client = client.clone();
            let request = attempt.request(GetVersionRequest {});
            async move { client.get_version(request).await }
        })
        .await?;
    Ok(reply.into_inner().version)
}

/// The next `times` `GetVersion` calls fail with `Unavailable` ("restarting").
fn restarting(server: &TestServer, times: usize) {
    let failure = Failure::grpc(Code::Unavailable, "restarting");
    server.fail("GetVersion", times, failure);
}

/// One `retrying` log line.
#[derive(Debug, PartialEq)]
struct Retry {
    attempt: u32,
    class: String,
    delay: Duration,
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let start = line.find(&format!(" {name}=")).unwrap() + name.len() + 2;
    line[start..].split(' ').next().unwrap()
}

/// The `retrying` lines about calls to `server`.
fn retries(server: &TestServer) -> Vec<Retry> {
    let address = server.local_addr().unwrap().to_string();
    log()
        .text()
        .lines()
        .filter(|l| l.contains("conn_transport_tonic::retry: retrying") && l.contains(&address))
        .map(|l| Retry {
            attempt: field(l, "attempt").parse().unwrap(),
            class: field(l, "class").to_owned(),
            delay: Duration::from_secs_f64(field(l, "delay_ms").parse::<f64>().unwrap() / 1e3),
        })
        .collect()
}

/// `a` and `b` within a nanosecond (the log's f64 milliseconds).
fn close(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_nanos(1)
}

#[tokio::test]
async fn unavailable_three_times_then_success() {
    log();
    let (server, conn) = setup().await;
    restarting(&server, 3);
    let policy = RetryPolicy::default();
    assert_eq!(get_version(&policy, &conn).await.unwrap(), "v0.0.0-test");
    assert_eq!(get_version_calls(&server), 4);
    let seen = retries(&server);
    eprintln!("unavailable x3 (pymilvus defaults): 4 calls, retries {seen:?}");
    let expected: Vec<Duration> = policy.delays().take(3).collect();
    assert_eq!(expected, [10, 30, 90].map(Duration::from_millis));
    assert_eq!(seen.len(), 3);
    for (i, (retry, delay)) in seen.iter().zip(expected).enumerate() {
        assert_eq!(retry.attempt as usize, i + 1);
        assert_eq!(retry.class, "unavailable");
        assert!(close(retry.delay, delay), "{seen:?}");
    }
    // Never a secret in the logs: not the token, not its base64.
    let text = log().text();
    let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
    assert!(text.contains("retrying"));
    assert!(!text.contains(TOKEN) && !text.contains(&b64), "{text}");
}

#[tokio::test]
async fn jittered_delays_stay_within_one_delay_of_the_backoff() {
    log();
    let (server, conn) = setup().await;
    restarting(&server, 5);
    let policy = RetryPolicy::builder()
        .initial_backoff(Duration::from_millis(5))
        .multiplier(2.0)
        .max_backoff(Duration::from_millis(40))
        .jitter(true)
        .build()
        .unwrap();
    get_version(&policy, &conn).await.unwrap();
    assert_eq!(get_version_calls(&server), 6);
    let seen = retries(&server);
    eprintln!("unavailable x5 (5 ms x2 up to 40 ms, jitter): 6 calls, retries {seen:?}");
    assert_eq!(seen.len(), 5);
    for (retry, base) in seen.iter().zip(policy.delays()) {
        // [d, 2d), after rounding to whole microseconds.
        assert!(retry.delay >= base && retry.delay <= base * 2, "{seen:?}");
    }
}

#[tokio::test]
async fn what_is_not_transient_is_tried_exactly_once() {
    log();
    let (server, conn) = setup().await;
    let policy = RetryPolicy::default();
    let cases = [
        (Code::Unauthenticated, ErrorKind::Authentication),
        (Code::PermissionDenied, ErrorKind::PermissionDenied),
        (Code::InvalidArgument, ErrorKind::InvalidArgument),
        (Code::Unimplemented, ErrorKind::Unimplemented),
        (Code::AlreadyExists, ErrorKind::Rpc),
        // tonic's code for a reply over the client's decode limit.
        (Code::OutOfRange, ErrorKind::Rpc),
        // gRPC's own "message too large"; a Milvus rate limit comes in the reply.
        (Code::ResourceExhausted, ErrorKind::RateLimited),
        (Code::DeadlineExceeded, ErrorKind::TimedOut),
    ];
    for (code, kind) in cases {
        let before = get_version_calls(&server);
        // More failures scripted than one: a retry would meet the same answer.
        server.fail("GetVersion", 3, Failure::grpc(code, "no"));
        let error = get_version(&policy, &conn).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{code:?}");
        assert_eq!(get_version_calls(&server) - before, 1, "{code:?}");
        // The rest of the script, so that the next case starts clean.
        for _ in 0..2 {
            let _ = conn.get_version().await;
        }
    }
    eprintln!("not transient: {} codes, 1 call each", cases.len());
    assert_eq!(retries(&server), []);
    // The server's own wrong-credentials answer (a connection with another token).
    let spec = ConnectArgs::new()
        .uri(server.uri())
        .token("wrong")
        .resolve_isolated()
        .unwrap();
    let wrong = conn_transport_tonic::connect_lazy(&spec).unwrap();
    let before = server.calls().len();
    let error = get_version(&policy, &wrong).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authentication);
    // The lazy handshake's Connect, refused; the call was not sent, nor retried.
    assert_eq!(server.calls().len() - before, 1);
}

#[tokio::test]
async fn deadline_exceeded_is_retried_only_when_configured() {
    let (server, conn) = setup().await;
    let on = RetryPolicy::builder()
        .retry_deadline_exceeded(true)
        .initial_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    server.fail(
        "GetVersion",
        2,
        Failure::grpc(Code::DeadlineExceeded, "slow"),
    );
    get_version(&on, &conn).await.unwrap();
    assert_eq!(get_version_calls(&server), 3);
}

#[tokio::test]
async fn milvus_statuses_in_an_ok_reply() {
    log();
    let (server, conn) = setup().await;
    let policy = RetryPolicy::builder()
        .initial_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    // (code, error_code, reason, retried, class): one row a line.
    #[rustfmt::skip]
    let cases = [
        (8, 49, "rate limit exceeded[rate=0.1]", true, "rate_limited"),
        (0, 49, "rate limit exceeded (legacy code only)", true, "rate_limited"),
        (1, 56, "service not ready", true, "unavailable"),
        (1100, 5, "invalid parameter", false, "invalid_argument"),
        (100, 1, "collection not found[collection=x]", false, "server_status"),
        (1401, 3, "permission denied", false, "permission_denied"),
    ];
    for (code, error_code, reason, retried, class) in cases {
        let before = get_version_calls(&server);
        server.fail("GetVersion", 2, Failure::status(code, error_code, reason));
        let result = get_version(&policy, &conn).await;
        let calls = get_version_calls(&server) - before;
        eprintln!("status {code}/{error_code}: {calls} calls, {result:?}");
        if retried {
            assert_eq!(result.unwrap(), "v0.0.0-test");
            assert_eq!(calls, 3, "{reason}");
        } else {
            assert_eq!(result.unwrap_err().kind().as_str(), class);
            assert_eq!(calls, 1, "{reason}");
            let _ = conn.get_version().await; // the second scripted failure
        }
    }
    let seen = retries(&server);
    let classes: Vec<&str> = seen.iter().map(|r| r.class.as_str()).collect();
    assert_eq!(
        classes,
        [
            "rate_limited",
            "rate_limited",
            "rate_limited",
            "rate_limited",
            "unavailable",
            "unavailable"
        ]
    );
    // A rate limit that outlasts the retries ends with the rate-limit class.
    let two = RetryPolicy::builder()
        .retries(2)
        .initial_backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let before = get_version_calls(&server);
    server.fail(
        "GetVersion",
        5,
        Failure::status(8, 49, "rate limit exceeded"),
    );
    let error = get_version(&two, &conn).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(get_version_calls(&server) - before, 3);
    // And with retry_rate_limit off, it is not retried.
    let off = RetryPolicy::builder()
        .retry_rate_limit(false)
        .build()
        .unwrap();
    let before = get_version_calls(&server);
    let error = get_version(&off, &conn).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(get_version_calls(&server) - before, 1);
}

#[tokio::test]
async fn the_budget_stops_retries_before_a_delay_that_would_pass_it() {
    log();
    let (server, conn) = setup().await;
    server.fail("GetVersion", 100, Failure::grpc(Code::Unavailable, "down"));
    // Delays 100, 300, 900 ms: the third attempt starts at about 400 ms; 900 ms more would
    // pass the 1 s budget, so the call returns then, with the last error.
    let budget = Duration::from_secs(1);
    let policy = RetryPolicy::builder()
        .initial_backoff(Duration::from_millis(100))
        .budget(budget)
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let error = get_version(&policy, &conn).await.unwrap_err();
    let took = start.elapsed();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(get_version_calls(&server), 3);
    let seen = retries(&server);
    eprintln!("budget 1 s: 3 calls, retries {seen:?}, returned after {took:?}");
    assert_eq!(seen.len(), 2);
    let address = server.local_addr().unwrap().to_string();
    let text = log().text();
    let gave_up: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("giving up") && l.contains(&address))
        .collect();
    assert_eq!(gave_up.len(), 1, "{text}");
    assert!(gave_up[0].contains("giving up: the deadline comes before the next attempt"));
    assert!(gave_up[0].contains("attempt=3") && gave_up[0].contains("delay_ms=900"));
    // The 900 ms delay was not slept: the call ended within its budget.
    assert!(took < budget, "{took:?}");
}

#[tokio::test]
async fn the_deadline_stops_an_attempt_that_hangs() {
    let (server, conn) = setup().await;
    server.fail("GetVersion", 1, Failure::Hang(Duration::from_secs(60)));
    let policy = RetryPolicy::default()
        .with_deadline(std::time::Instant::now() + Duration::from_millis(300));
    let start = std::time::Instant::now();
    let error = get_version(&policy, &conn).await.unwrap_err();
    let took = start.elapsed();
    eprintln!("hang 60 s, deadline 300 ms: 1 call, {error} after {took:?}");
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert!(
        error
            .to_string()
            .ends_with("did not complete GetVersion within 300ms"),
        "{error}"
    );
    assert_eq!(get_version_calls(&server), 1);
    assert!(took < Duration::from_secs(60));
    // The attempt carried the time it had left as its grpc-timeout.
    let call = server
        .calls()
        .into_iter()
        .find(|c| c.rpc == "GetVersion")
        .unwrap();
    let sent = call.header("grpc-timeout").unwrap();
    assert!(sent.ends_with('u') || sent.ends_with('m'), "{sent}");
}
