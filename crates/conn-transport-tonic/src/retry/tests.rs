//! Unit tests of the retry policy and its calls, on tokio's paused clock.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::{Error, ErrorKind, MilvusConnection};

#[derive(Debug)]
struct Reply(Option<(i32, i32)>);

impl MilvusReply for Reply {
    fn reply_status(&self) -> Option<ReplyStatus<'_>> {
        self.0
            .map(|(c, e)| ReplyStatus::new(c, e, "rate limit exceeded", false))
    }
}

fn conn() -> MilvusConnection {
    let spec = conn_config::ConnectArgs::new()
        .uri("http://127.0.0.1:9")
        .resolve_isolated()
        .unwrap();
    crate::connect_lazy(&spec).unwrap()
}

/// The instants (paused clock) at which the attempts started.
type Starts = std::sync::Mutex<Vec<Instant>>;

/// Fails `failures` times with `fail`, then succeeds; records when each attempt started.
async fn run(
    policy: RetryPolicy,
    starts: &Starts,
    failures: usize,
    fail: impl Fn() -> Result<Reply, tonic::Status>,
) -> Result<tonic::Response<Reply>, Error> {
    let conn = conn();
    policy
        .call(&conn, "Insert", |attempt| {
            let mut starts = starts.lock().unwrap();
            starts.push(Instant::now());
            assert_eq!(attempt.number() as usize, starts.len());
            let outcome = if starts.len() <= failures {
                fail()
            } else {
                Ok(Reply(Some((0, 0))))
            };
            async move { outcome.map(tonic::Response::new) }
        })
        .await
}

/// The failure most tests retry: the server is down (`unavailable`).
fn down() -> Result<Reply, tonic::Status> {
    Err(tonic::Status::unavailable("down"))
}

fn gaps(starts: &Starts) -> Vec<Duration> {
    let starts = starts.lock().unwrap();
    starts.windows(2).map(|w| w[1] - w[0]).collect()
}

#[tokio::test(start_paused = true)]
async fn sleeps_follow_the_pymilvus_backoff() {
    let starts = Starts::default();
    let result = run(RetryPolicy::default(), &starts, 8, down).await;
    assert!(result.is_ok());
    // pymilvus: 0.01, 0.03, 0.09, 0.27, 0.81, 2.43, then 3 s.
    let expected = [10, 30, 90, 270, 810, 2430, 3000, 3000].map(Duration::from_millis);
    assert_eq!(gaps(&starts), expected);
    assert_eq!(
        RetryPolicy::default().delays().take(8).collect::<Vec<_>>(),
        expected
    );
}

#[tokio::test(start_paused = true)]
async fn jitter_stays_within_one_delay() {
    let starts = Starts::default();
    let policy = RetryPolicy::builder().jitter(true).build().unwrap();
    let result = run(policy, &starts, 8, down).await;
    assert!(result.is_ok());
    for (g, d) in gaps(&starts).iter().zip(policy.delays()) {
        // `<=`: tokio's timers round a sleep up to the next millisecond.
        assert!(*g >= d && *g <= d * 2, "{g:?} for {d:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_in_the_reply_is_retried_until_the_retries_run_out() {
    let starts = Starts::default();
    let policy = RetryPolicy::builder().retries(3).build().unwrap();
    let error = run(policy, &starts, usize::MAX, || Ok(Reply(Some((8, 49)))))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(starts.lock().unwrap().len(), 4);
    let off = policy.to_builder_for_test().retry_rate_limit(false).build();
    let starts = Starts::default();
    let error = run(off.unwrap(), &starts, usize::MAX, || {
        Ok(Reply(Some((8, 49))))
    })
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(starts.lock().unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_budget_stops_retries_before_a_delay_that_would_pass_it() {
    let starts = Starts::default();
    // Delays 10, 30, 90, 270 ms: after the 4th attempt (at 130 ms), 270 ms would end at
    // 400 ms, past the 300 ms budget.
    let policy = RetryPolicy::builder()
        .budget(Duration::from_millis(300))
        .build()
        .unwrap();
    let begin = Instant::now();
    let error = run(policy, &starts, usize::MAX, down).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(starts.lock().unwrap().len(), 4);
    assert_eq!(begin.elapsed(), Duration::from_millis(130));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_running_at_the_deadline_is_stopped() {
    let conn = conn();
    let begin = Instant::now();
    let policy = RetryPolicy::default().with_deadline(begin + Duration::from_secs(2));
    let calls = AtomicU32::new(0);
    let error = policy
        .call(&conn, "Insert", |attempt| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert_eq!(attempt.timeout(), Some(Duration::from_secs(2)));
            async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(tonic::Response::new(Reply(None)))
            }
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(begin.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn no_attempt_starts_after_the_deadline() {
    let conn = conn();
    let past = Instant::now();
    tokio::time::advance(Duration::from_secs(1)).await;
    let calls = AtomicU32::new(0);
    let error = RetryPolicy::default()
        .with_deadline(past)
        .call(&conn, "Insert", |_| {
            calls.fetch_add(1, Ordering::Relaxed);
            async { Ok(tonic::Response::new(Reply(None))) }
        })
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}

#[tokio::test(start_paused = true)]
async fn huge_durations_do_not_panic() {
    let starts = Starts::default();
    let policy = RetryPolicy::builder()
        .budget(Duration::MAX)
        .initial_backoff(Duration::MAX)
        .max_backoff(Duration::MAX)
        .multiplier(f32::MAX)
        .jitter(true)
        .build()
        .unwrap();
    // The budget is too large for the clock (no limit), so a call would sleep for ever:
    // check the delays, and that a deadline stops the call before the first one.
    assert!(
        policy
            .delays()
            .take(3)
            .all(|d| d >= Duration::from_secs(u64::MAX / 2))
    );
    let bounded = policy.with_deadline(Instant::now() + Duration::from_secs(1));
    let error = run(bounded, &starts, usize::MAX, down).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(starts.lock().unwrap().len(), 1);
}

#[test]
fn the_multiplier_is_checked() {
    for bad in [f32::NAN, f32::INFINITY, 0.5, -3.0] {
        let err = RetryPolicy::builder().multiplier(bad).build().unwrap_err();
        assert!(err.to_string().contains("multiplier"), "{err}");
    }
    assert_eq!(
        RetryPolicy::builder()
            .multiplier(1.0)
            .build()
            .unwrap()
            .multiplier(),
        1.0
    );
}

#[tokio::test]
async fn the_call_future_is_send() {
    fn send<T: Send>(_: &T) {}
    let conn = conn();
    let policy = RetryPolicy::default();
    let future = policy.call(&conn, "Insert", |_| async {
        Ok(tonic::Response::new(Reply(None)))
    });
    send(&future);
}

/// `Error::is_transient` and `RetryPolicy::should_retry`, error by error, as their docs say:
/// they differ only for `timed_out` (retried only when asked) and `rpc` (only `ABORTED` is
/// transient; every code but `ALREADY_EXISTS` and `OUT_OF_RANGE` is retried).
#[tokio::test]
async fn is_transient_and_should_retry_agree_but_where_documented() {
    use tonic::{Code, Status};
    let conn = conn();
    let grpc = |code, message: &str| conn.error_from_status(Status::new(code, message), "Insert");
    let milvus = |code, error_code, retriable| {
        conn.check_status("Insert", code, error_code, "r", retriable)
            .unwrap_err()
    };
    let mut reset = Status::unknown("transport error");
    reset.set_source(std::sync::Arc::new(std::io::Error::from(
        std::io::ErrorKind::ConnectionReset,
    )));
    let tls = Error::Tls {
        address: "h:1".to_owned(),
        problem: crate::TlsProblem::UntrustedCertificate,
        source: "invalid peer certificate: UnknownIssuer".into(),
    };
    let call_timed_out = Error::TimedOut {
        address: "h:1".to_owned(),
        step: "Insert",
        timeout: Duration::from_millis(150),
    };
    // what, error, is_transient, should_retry (defaults)
    #[rustfmt::skip]
    let rows: Vec<(&str, Error, bool, bool)> = vec![
        ("connection reset", conn.error_from_status(reset, "Insert"), true, true),
        ("grpc unavailable", grpc(Code::Unavailable, "down"), true, true),
        ("status not ready", milvus(1, 56, false), true, true),
        ("status rate limit", milvus(8, 49, false), true, true),
        ("legacy rate limit", milvus(0, 49, false), true, true),
        ("status request limit", milvus(4, 1, false), true, true),
        ("grpc resource exhausted", grpc(Code::ResourceExhausted, "grpc: received message larger than max"), false, false),
        ("grpc deadline exceeded", grpc(Code::DeadlineExceeded, "context deadline exceeded"), true, false),
        ("call's own time-out", call_timed_out, true, false),
        ("grpc aborted", grpc(Code::Aborted, "conflict"), true, true),
        ("grpc unknown", grpc(Code::Unknown, "?"), false, true),
        ("grpc internal", grpc(Code::Internal, "panic"), false, true),
        ("grpc cancelled", grpc(Code::Cancelled, "cancelled"), false, true),
        ("grpc not found", grpc(Code::NotFound, "no"), false, true),
        ("grpc already exists", grpc(Code::AlreadyExists, "exists"), false, false),
        ("reply over the decode limit", grpc(Code::OutOfRange, "Error, decoded message length too large"), false, false),
        ("status retriable", milvus(100, 4, true), true, true),
        ("status collection not found", milvus(100, 4, false), false, false),
        ("status invalid parameter", milvus(1100, 5, true), true, true),
        ("grpc unauthenticated", grpc(Code::Unauthenticated, "no"), false, false),
        ("grpc permission denied", grpc(Code::PermissionDenied, "no"), false, false),
        ("grpc invalid argument", grpc(Code::InvalidArgument, "no"), false, false),
        ("grpc unimplemented", grpc(Code::Unimplemented, "no"), false, false),
        ("tls", tls, false, false),
    ];
    let policy = RetryPolicy::default();
    let asked = RetryPolicy::builder()
        .retry_deadline_exceeded(true)
        .retry_rate_limit(false)
        .build()
        .unwrap();
    for (what, error, transient, retried) in &rows {
        assert_eq!(error.is_transient(), *transient, "{what}: {error:?}");
        assert_eq!(policy.should_retry(error), *retried, "{what}: {error:?}");
        let kind = error.kind();
        if transient != retried {
            assert!(
                matches!(kind, ErrorKind::TimedOut | ErrorKind::Rpc),
                "{what}: undocumented difference, class {kind}"
            );
        }
        // The two knobs: time-outs retried when asked, Milvus rate limits not.
        let expected = match kind {
            ErrorKind::TimedOut => true,
            ErrorKind::RateLimited => false,
            _ => *retried,
        };
        assert_eq!(asked.should_retry(error), expected, "{what} (knobs turned)");
    }
}

impl RetryPolicy {
    fn to_builder_for_test(self) -> RetryPolicyBuilder {
        RetryPolicyBuilder { policy: self }
    }
}
