//! `retry::RetryPolicy` used carelessly or with hostile input, as an SDK could: weird
//! statuses in a reply, a panicking closure, zero and huge delays, a deadline already past.
//! No panic of ours, no overflow, no hang, no attempt after the deadline.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conn_config::ConnectArgs;
use conn_transport_tonic::retry::{MilvusReply, ReplyStatus, RetryPolicy};
use conn_transport_tonic::{Error, ErrorKind, MilvusConnection};
use std::error::Error as _;
use tokio::time::Instant;

/// A reply whose status is whatever the test says.
#[derive(Debug)]
struct Reply {
    code: i32,
    error_code: i32,
    reason: String,
    retriable: bool,
}

impl MilvusReply for Reply {
    fn reply_status(&self) -> Option<ReplyStatus<'_>> {
        Some(ReplyStatus::new(
            self.code,
            self.error_code,
            &self.reason,
            self.retriable,
        ))
    }
}

fn conn() -> MilvusConnection {
    let spec = ConnectArgs::new()
        .uri("http://127.0.0.1:9")
        .token("edge-secret-token")
        .resolve_isolated()
        .unwrap();
    conn_transport_tonic::connect_lazy(&spec).unwrap()
}

/// One call whose every attempt gets `reply`, with no delays; the error and the attempts.
async fn call_with(policy: RetryPolicy, reply: impl Fn() -> Reply) -> (Result<(), Error>, u32) {
    let conn = conn();
    let calls = AtomicU32::new(0);
    let outcome = policy
        .call(&conn, "Insert", |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            let r = reply();
            async move { Ok(tonic::Response::new(r)) }
        })
        .await
        .map(|_| ());
    (outcome, calls.load(Ordering::Relaxed))
}

#[tokio::test(start_paused = true)]
async fn weird_status_codes_are_errors_and_never_panic() {
    let policy = RetryPolicy::builder()
        .retries(2)
        .initial_backoff(Duration::ZERO)
        .build()
        .unwrap();
    let codes = [
        (i32::MIN, i32::MIN),
        (-1, 0),
        (0, -1),
        (0, 5),
        (i32::MAX, 0),
        (65535, 65535),
        (1800, 0),
        (8, 0),
    ];
    for (code, error_code) in codes {
        for retriable in [false, true] {
            let (outcome, calls) = call_with(policy, || Reply {
                code,
                error_code,
                reason: "weird\nretrying attempt=99\u{0}\u{1b}[31m".into(),
                retriable,
            })
            .await;
            let error = outcome.unwrap_err();
            eprintln!(
                "({code}, {error_code}, {retriable}): {} {calls} {error}",
                error.kind()
            );
            assert!(
                calls == 1 || calls == 3,
                "({code}, {error_code}): {calls} calls"
            );
            let shown = error.to_string();
            assert!(!shown.contains("edge-secret-token"), "{shown}");
            // The server's control characters are escaped: one line, no NUL, no escape.
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(
                shown.ends_with(r"weird\nretrying attempt=99\u{0}\u{1b}[31m"),
                "{shown}"
            );
            match &error {
                Error::ServerStatus { reason, .. } => assert!(reason.contains('\n')),
                other => panic!("not a server status: {other:?}"),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_grpc_message_with_control_characters_is_shown_escaped() {
    let conn = conn();
    let error = RetryPolicy::builder()
        .retries(0)
        .build()
        .unwrap()
        .call(&conn, "Insert", |_| async {
            Err::<tonic::Response<Reply>, _>(tonic::Status::internal("boom\r\nforged line"))
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rpc);
    let source = error.source().unwrap().to_string();
    assert_eq!(source, r"boom\r\nforged line");
}

/// A closure that panics: the panic is the caller's (it reaches the task that awaited the
/// call), nothing is left poisoned, and the same policy and connection work afterwards.
#[tokio::test]
async fn a_panicking_closure_leaves_the_policy_and_connection_usable() {
    let policy = RetryPolicy::builder()
        .initial_backoff(Duration::ZERO)
        .build()
        .unwrap();
    let task = tokio::spawn(async move {
        let conn = conn();
        policy
            .call(&conn, "Insert", |attempt| {
                assert!(attempt.number() < 2, "the SDK's closure panics");
                async { Err::<tonic::Response<Reply>, _>(tonic::Status::unavailable("down")) }
            })
            .await
    });
    assert!(task.await.unwrap_err().is_panic());
    let (outcome, calls) = call_with(policy, || Reply {
        code: 0,
        error_code: 0,
        reason: String::new(),
        retriable: false,
    })
    .await;
    assert!(outcome.is_ok());
    assert_eq!(calls, 1);
}

/// Zero delays, a jitter on a cap of 0 and practically endless retries: the deadline ends
/// the call, no attempt starts at or after it (real clock: the paused one does not move
/// while attempts are ready at once).
#[tokio::test]
async fn endless_retries_without_delays_stop_at_the_deadline() {
    let policy = RetryPolicy::builder()
        .retries(u32::MAX)
        .initial_backoff(Duration::ZERO)
        .max_backoff(Duration::ZERO)
        .jitter(true)
        .build()
        .unwrap();
    assert!(policy.delays().take(1000).all(|d| d == Duration::ZERO));
    let conn = conn();
    let deadline = Instant::now() + Duration::from_millis(100);
    let starts = std::sync::Mutex::new(Vec::new());
    let error = policy
        .with_deadline(deadline)
        .call(&conn, "Insert", |attempt| {
            starts.lock().unwrap().push(Instant::now());
            assert!(attempt.timeout().is_some_and(|t| t > Duration::ZERO));
            async { Err::<tonic::Response<Reply>, _>(tonic::Status::unavailable("down")) }
        })
        .await
        .unwrap_err();
    // The last failure, or the deadline that passed between a zero delay and the next
    // attempt (which then did not start).
    assert!(
        matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::TimedOut),
        "{error:?}"
    );
    let starts = starts.into_inner().unwrap();
    assert!(starts.len() > 1, "retried: {}", starts.len());
    assert!(starts.iter().all(|s| *s < deadline));
}

/// A budget of zero, or a deadline already past: no attempt at all, a `timed_out` error.
#[tokio::test(start_paused = true)]
async fn no_time_at_all_makes_no_attempt() {
    let zero = RetryPolicy::builder()
        .budget(Duration::ZERO)
        .build()
        .unwrap();
    let past = RetryPolicy::default().with_deadline(std::time::Instant::now());
    tokio::time::advance(Duration::from_millis(1)).await;
    for policy in [zero, past] {
        let (outcome, calls) = call_with(policy, || unreachable!("no attempt")).await;
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::TimedOut);
        assert_eq!(calls, 0);
    }
}

/// An attempt's time-out from a huge `Connector::call_timeout` (or a huge budget) is one
/// `Attempt::request` can send: tonic's `Request::set_timeout` panics on a time-out over
/// its 8-digit limit (about 11,400 years); the attempt's is clamped to it.
#[tokio::test]
async fn a_huge_call_timeout_or_budget_makes_a_request_that_can_be_sent() {
    let spec = ConnectArgs::new()
        .uri("http://127.0.0.1:9")
        .resolve_isolated()
        .unwrap();
    let huge = conn_transport_tonic::Connector::new()
        .call_timeout(Duration::MAX)
        .connect_lazy(&spec)
        .unwrap();
    let plain = conn();
    let huge_budget = RetryPolicy::builder()
        .budget(Duration::from_secs(1_000_000_000_000))
        .build()
        .unwrap();
    let cases = [
        (&huge, RetryPolicy::default()),
        (&plain, huge_budget),
        (&huge, huge_budget),
    ];
    for (conn, policy) in cases {
        let mut sent = None;
        let outcome = policy
            .call(conn, "Insert", |attempt| {
                let request = attempt.request(());
                sent = request.metadata().get("grpc-timeout").cloned();
                async move {
                    Ok(tonic::Response::new(Reply {
                        code: 0,
                        error_code: 0,
                        reason: String::new(),
                        retriable: false,
                    }))
                }
            })
            .await;
        assert!(outcome.is_ok(), "{outcome:?}");
        let sent = sent.expect("the request carries the attempt's time-out");
        assert!(sent.len() <= 9, "{sent:?}: at most 8 digits and a unit");
    }
}
