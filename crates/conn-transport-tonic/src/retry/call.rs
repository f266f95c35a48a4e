//! [`RetryPolicy::call`]: one unary call, tried again by the policy within its deadline,
//! and the [`Attempt`] each try is given.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder as _, Retryable as _};
use tokio::time::Instant;

use super::MilvusReply;
use super::policy::{RetryPolicy, whole_micros};
use crate::{Error, ErrorKind, MilvusConnection};

/// The `tracing` target of the retry logs: the module's public path
/// (`conn_transport_tonic::retry`), not this file's.
const LOG_TARGET: &str = "conn_transport_tonic::retry";

impl RetryPolicy {
    /// Makes a unary call through `conn` (whose [`service`](MilvusConnection::service) the
    /// SDK's generated client runs on), trying it again by this policy.
    ///
    /// `call` makes one attempt: it gets the [`Attempt`] (number, time left) and returns the
    /// generated client's future. A gRPC failure is classified by
    /// [`MilvusConnection::error_from_status`]; a reply with gRPC `OK` by its
    /// [`MilvusReply::reply_status`], through [`MilvusConnection::check_status`], so a Milvus
    /// error inside an OK reply (a rate limit) is an [`Error`] of the same classes.
    /// [`RetryPolicy::should_retry`] decides; the delays are [`RetryPolicy::delays`] (with
    /// jitter, if on). With a [`budget`](super::RetryPolicyBuilder::budget) or a
    /// [`deadline`](RetryPolicy::with_deadline): no attempt starts at or after it, the
    /// attempt running then is stopped (an [`Error::TimedOut`] naming the time from the
    /// first attempt to the deadline), and a delay that would end at or after it is not
    /// slept: the last error is returned at once. An attempt whose own shorter time-out ran
    /// out (a request's own, or the connection's call time-out) names that time-out.
    ///
    /// Every retry is logged (`tracing`, level `INFO`, target
    /// `conn_transport_tonic::retry`): the call, the attempt that failed, the error's class,
    /// the delay (`delay_ms`), and the error (whose text never holds a secret); giving up on
    /// a retried error at level `WARN`.
    ///
    /// # Errors
    ///
    /// The last attempt's classified [`Error`]: the first one that is not retried, or the
    /// one after which the retries or the time ran out.
    pub async fn call<R, F, Fut>(
        &self,
        conn: &MilvusConnection,
        rpc: &'static str,
        mut call: F,
    ) -> Result<tonic::Response<R>, Error>
    where
        R: MilvusReply,
        F: FnMut(Attempt) -> Fut,
        Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    {
        let start = Instant::now();
        let deadline = match (self.deadline, self.budget.map(|b| start.checked_add(b))) {
            // A budget too large for the clock is no limit.
            (d, None | Some(None)) => d,
            (None, Some(b)) => b,
            (Some(d), Some(Some(b))) => Some(d.min(b)),
        };
        let call_timeout = conn.call_defaults().timeout;
        let attempts = AtomicU32::new(0);
        let attempt = || {
            let number = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let expired = left == Some(Duration::ZERO);
            // At most what a `grpc-timeout` can say: tonic's `Request::set_timeout`
            // (`Attempt::request`) panics on more.
            let timeout = match (left, call_timeout) {
                (Some(l), Some(c)) => Some(l.min(c)),
                (l, c) => l.or(c),
            }
            .map(crate::connect::grpc_timeout);
            // No attempt starts at or after the deadline.
            let future = (!expired).then(|| call(Attempt { number, timeout }));
            async move {
                let allowed = |d: Instant| d.saturating_duration_since(start);
                let Some(future) = future else {
                    return Err(deadline_passed(
                        conn,
                        rpc,
                        deadline.map_or(Duration::ZERO, allowed),
                    ));
                };
                let outcome = match deadline {
                    Some(d) => match tokio::time::timeout_at(d, future).await {
                        Ok(outcome) => outcome,
                        Err(_) => return Err(deadline_passed(conn, rpc, allowed(d))),
                    },
                    None => future.await,
                };
                match outcome {
                    Err(status) => {
                        let error = conn.error_from_status(status, rpc);
                        // The attempt timed out at the deadline (its grpc-timeout was the time
                        // left, or the server's ran out then): the error names the time the
                        // call had, from its first attempt, not the attempt's share of it.
                        match deadline {
                            Some(d) if error.kind() == ErrorKind::TimedOut && reached(d) => {
                                Err(deadline_passed(conn, rpc, allowed(d)))
                            }
                            _ => Err(error),
                        }
                    }
                    Ok(response) => match response.get_ref().reply_status() {
                        Some(s) => conn
                            .check_status(rpc, s.code, s.error_code, s.reason, s.retriable)
                            .map(|()| response),
                        None => Ok(response),
                    },
                }
            }
        };
        attempt
            .retry(self.backoff().build())
            .when(|error| self.should_retry(error))
            .adjust(|error, next| {
                let attempt = attempts.load(Ordering::Relaxed);
                let Some(delay) = next.map(whole_micros) else {
                    tracing::warn!(target: LOG_TARGET, rpc, attempt, class = %error.kind(), %error, "giving up: no retries left");
                    return None;
                };
                if let Some(d) = deadline
                    && Instant::now().checked_add(delay).is_none_or(|end| end >= d)
                {
                    tracing::warn!(target: LOG_TARGET, rpc, attempt, class = %error.kind(), delay_ms = millis(delay), %error, "giving up: the deadline comes before the next attempt");
                    return None;
                }
                Some(delay)
            })
            .notify(|error, delay| {
                let attempt = attempts.load(Ordering::Relaxed);
                tracing::info!(target: LOG_TARGET, rpc, attempt, class = %error.kind(), delay_ms = millis(delay), %error, "retrying");
            })
            .await
    }
}

/// Whether `deadline` has passed, to within a millisecond: tonic sends a `grpc-timeout` over
/// 100 s in whole milliseconds (rounded down), so it can run out that much before.
fn reached(deadline: Instant) -> bool {
    deadline.saturating_duration_since(Instant::now()) <= Duration::from_millis(1)
}

/// A delay in milliseconds, for the logs.
fn millis(delay: Duration) -> f64 {
    delay.as_secs_f64() * 1e3
}

/// The `timed_out` error of an attempt the deadline stopped or did not let start: `rpc` did
/// not complete within `allowed` (from the first attempt to the deadline).
fn deadline_passed(conn: &MilvusConnection, rpc: &'static str, allowed: Duration) -> Error {
    Error::TimedOut {
        address: conn.address().to_owned(),
        step: rpc,
        // To the nearest millisecond: the deadline was set before the first attempt began.
        timeout: Duration::from_millis(
            u64::try_from(
                allowed
                    .saturating_add(Duration::from_micros(500))
                    .as_millis(),
            )
            .unwrap_or(u64::MAX),
        ),
    }
}

/// One attempt of a [`RetryPolicy::call`], given to the SDK's closure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    number: u32,
    timeout: Option<Duration>,
}

impl Attempt {
    /// 1 for the first attempt, 2 for the first retry, …
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The time this attempt may take: what is left of the deadline or budget, no more than
    /// the connection's [`CallDefaults::timeout`](crate::CallDefaults::timeout), and no
    /// more than a `grpc-timeout` can carry (99,999,999 hours, about 11,400 years; tonic's
    /// `Request::set_timeout` panics on more); `None` when neither is set.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// `message` as a request with [`timeout`](Attempt::timeout) as its `grpc-timeout`, so
    /// that the server knows it too.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(timeout) = self.timeout {
            request.set_timeout(timeout);
        }
        request
    }
}
