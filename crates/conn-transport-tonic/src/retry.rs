//! Retries of an SDK's own unary calls, by pymilvus's rules (`retry_on_rpc_failure`): see
//! [`RetryPolicy`], and `docs/sdk-integration.md`, "Retries", for the rules side by side
//! with pymilvus 3.0.2's.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use tokio::time::Instant;

use crate::{Error, ErrorKind, MilvusConnection, classify};

/// pymilvus 3.0.2's `retry_times`: 75 retries after the first attempt (76 attempts).
pub const DEFAULT_RETRIES: u32 = 75;
/// pymilvus 3.0.2's `initial_back_off`: 10 ms before the first retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(10);
/// pymilvus 3.0.2's `back_off_multiplier`: each delay is 3 times the one before.
pub const DEFAULT_MULTIPLIER: f32 = 3.0;
/// pymilvus 3.0.2's `max_back_off`: no delay longer than 3 s.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(3);

/// When and how often an SDK's call is tried again: pymilvus's `retry_on_rpc_failure`
/// rules, with its defaults, every knob settable through [`RetryPolicy::builder`].
///
/// | knob | default (pymilvus 3.0.2) |
/// |---|---|
/// | [`retries`](RetryPolicyBuilder::retries) | 75 (76 attempts) |
/// | [`initial_backoff`](RetryPolicyBuilder::initial_backoff) | 10 ms |
/// | [`multiplier`](RetryPolicyBuilder::multiplier) | 3 |
/// | [`max_backoff`](RetryPolicyBuilder::max_backoff) | 3 s |
/// | [`jitter`](RetryPolicyBuilder::jitter) | off |
/// | [`budget`](RetryPolicyBuilder::budget) (all attempts and delays) | none |
/// | [`retry_deadline_exceeded`](RetryPolicyBuilder::retry_deadline_exceeded) | off |
/// | [`retry_rate_limit`](RetryPolicyBuilder::retry_rate_limit) | on |
///
/// The delays are 10 ms, 30 ms, 90 ms, 270 ms, 810 ms, 2.43 s, then 3 s each
/// ([`RetryPolicy::delays`]). What is retried is [`RetryPolicy::should_retry`]; a call is
/// made with [`RetryPolicy::call`]. The policy is a small `Copy` value: keep one per client
/// and give a call its own deadline with [`RetryPolicy::with_deadline`].
///
/// ```
/// use std::time::Duration;
/// use conn_transport_tonic::retry::RetryPolicy;
/// let policy = RetryPolicy::builder()
///     .retries(10)
///     .max_backoff(Duration::from_secs(1))
///     .jitter(true)
///     .budget(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(policy.retries(), 10);
/// assert_eq!(RetryPolicy::default().retries(), 75);
/// # Ok::<(), conn_transport_tonic::retry::RetryPolicyError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    retries: u32,
    initial_backoff: Duration,
    multiplier: f32,
    max_backoff: Duration,
    jitter: bool,
    budget: Option<Duration>,
    deadline: Option<Instant>,
    retry_deadline_exceeded: bool,
    retry_rate_limit: bool,
}

impl Default for RetryPolicy {
    /// pymilvus 3.0.2's defaults (see [`RetryPolicy`]).
    fn default() -> Self {
        RetryPolicy {
            retries: DEFAULT_RETRIES,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            multiplier: DEFAULT_MULTIPLIER,
            max_backoff: DEFAULT_MAX_BACKOFF,
            jitter: false,
            budget: None,
            deadline: None,
            retry_deadline_exceeded: false,
            retry_rate_limit: true,
        }
    }
}

/// Sets the knobs of a [`RetryPolicy`]; starts from pymilvus 3.0.2's defaults.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

impl Default for RetryPolicyBuilder {
    fn default() -> Self {
        RetryPolicy::builder()
    }
}

impl RetryPolicyBuilder {
    /// How many times a failed call is tried again (default 75, pymilvus's `retry_times`):
    /// at most `retries + 1` attempts. 0 turns retries off.
    pub fn retries(mut self, retries: u32) -> Self {
        self.policy.retries = retries;
        self
    }

    /// The delay before the first retry (default 10 ms, pymilvus's `initial_back_off`). It
    /// is used as given even when longer than the [`max_backoff`](Self::max_backoff), as
    /// pymilvus does.
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.policy.initial_backoff = delay;
        self
    }

    /// The factor from one delay to the next (default 3, pymilvus's
    /// `back_off_multiplier`); at least 1 (checked by [`build`](Self::build)).
    pub fn multiplier(mut self, multiplier: f32) -> Self {
        self.policy.multiplier = multiplier;
        self
    }

    /// The longest delay between two attempts (default 3 s, pymilvus's `max_back_off`),
    /// before jitter.
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.policy.max_backoff = delay;
        self
    }

    /// Adds a random part to every delay: a delay `d` becomes a value in `[d, 2d)` (so up to
    /// twice the [`max_backoff`](Self::max_backoff)). Default off, as pymilvus.
    pub fn jitter(mut self, on: bool) -> Self {
        self.policy.jitter = on;
        self
    }

    /// The most time a call may take, all attempts and delays together, from the start of
    /// its first attempt (default none: only [`retries`](Self::retries) limits it). Like the
    /// `timeout` pymilvus's calls take, which bounds its retries; unlike it, the attempt
    /// count still applies too. See [`RetryPolicy::call`] for how it is enforced.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.policy.budget = Some(budget);
        self
    }

    /// Whether a call that ran out of time (gRPC `DEADLINE_EXCEEDED`, class `timed_out`) is
    /// tried again. Default off: pymilvus never retries `DEADLINE_EXCEEDED`.
    pub fn retry_deadline_exceeded(mut self, on: bool) -> Self {
        self.policy.retry_deadline_exceeded = on;
        self
    }

    /// Whether a Milvus rate limit (class `rate_limited` inside a reply) is tried again.
    /// Default on, as pymilvus's `retry_on_rate_limit`.
    pub fn retry_rate_limit(mut self, on: bool) -> Self {
        self.policy.retry_rate_limit = on;
        self
    }

    /// The policy.
    ///
    /// # Errors
    ///
    /// [`RetryPolicyError::Multiplier`] when the multiplier is not a finite number of at
    /// least 1.
    pub fn build(self) -> Result<RetryPolicy, RetryPolicyError> {
        let multiplier = self.policy.multiplier;
        if !(multiplier.is_finite() && multiplier >= 1.0) {
            return Err(RetryPolicyError::Multiplier { value: multiplier });
        }
        Ok(self.policy)
    }
}

/// A [`RetryPolicyBuilder`] setting that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RetryPolicyError {
    /// The multiplier is NaN, infinite or below 1.
    #[error("retry policy: multiplier must be a finite number of at least 1, got {value}")]
    #[non_exhaustive]
    Multiplier {
        /// The value given.
        value: f32,
    },
}

impl RetryPolicy {
    /// A builder with pymilvus 3.0.2's defaults.
    pub fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: RetryPolicy::default(),
        }
    }

    /// This policy for one call that must be over by `deadline`: no attempt starts at or
    /// after it, an attempt still running then is stopped (class `timed_out`), and a delay
    /// that would end at or after it is not slept (the call returns the last error at once).
    /// With a [`budget`](RetryPolicyBuilder::budget) too, the earlier of the two applies.
    ///
    /// A [`std::time::Instant`] converts: `policy.with_deadline(std::time::Instant::now() + t)`.
    #[must_use]
    pub fn with_deadline(mut self, deadline: impl Into<Instant>) -> RetryPolicy {
        self.deadline = Some(deadline.into());
        self
    }

    /// The number of retries after the first attempt.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The delay before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The factor from one delay to the next.
    pub fn multiplier(&self) -> f32 {
        self.multiplier
    }

    /// The longest delay (before jitter).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Whether delays get a random part.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// The time all attempts of a call may take together, if limited.
    pub fn budget(&self) -> Option<Duration> {
        self.budget
    }

    /// The deadline of [`with_deadline`](RetryPolicy::with_deadline), if set.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether `DEADLINE_EXCEEDED` (class `timed_out`) is retried.
    pub fn retry_deadline_exceeded(&self) -> bool {
        self.retry_deadline_exceeded
    }

    /// Whether a Milvus rate limit is retried.
    pub fn retry_rate_limit(&self) -> bool {
        self.retry_rate_limit
    }

    /// The delays before each retry, without jitter: `retries` values.
    ///
    /// ```
    /// use std::time::Duration;
    /// let delays: Vec<Duration> = conn_transport_tonic::retry::RetryPolicy::default().delays().collect();
    /// assert_eq!(delays.len(), 75);
    /// assert_eq!(delays[0], Duration::from_millis(10));
    /// assert_eq!(delays[6..], [Duration::from_secs(3); 69]);
    /// ```
    pub fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        RetryPolicy {
            jitter: false,
            ..*self
        }
        .backoff()
        .build()
        .map(whole_micros)
    }

    /// backon's exponential back-off with this policy's knobs.
    fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_factor(self.multiplier)
            .with_max_times(usize::try_from(self.retries).unwrap_or(usize::MAX));
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }

    /// Whether a call that failed with `error` is tried again (the attempt count and the
    /// deadline aside). pymilvus's rules, on this crate's classes:
    ///
    /// | class of the error | retried |
    /// |---|---|
    /// | `unreachable` (no connection), `unavailable` (gRPC `UNAVAILABLE`, or a Milvus status "not ready") | yes |
    /// | `rate_limited` from a Milvus status (code 8 or 4, legacy 49) | yes, unless [`retry_rate_limit`](RetryPolicyBuilder::retry_rate_limit) is off |
    /// | `rate_limited` from gRPC `RESOURCE_EXHAUSTED` | no (pymilvus neither: gRPC uses it for a message over the size limit) |
    /// | `timed_out` (`DEADLINE_EXCEEDED`) | only with [`retry_deadline_exceeded`](RetryPolicyBuilder::retry_deadline_exceeded) |
    /// | `rpc`: any other gRPC code (`UNKNOWN`, `INTERNAL`, `ABORTED`, `CANCELLED`, …) but `ALREADY_EXISTS` | yes (as pymilvus) |
    /// | `rpc` with `ALREADY_EXISTS` | no |
    /// | `server_status` (any other Milvus status) | only when the server marked it `retriable` |
    /// | `authentication`, `permission_denied`, `invalid_argument`, `unimplemented`, `tls`, `local_file`, `setup`, `unsupported_target` | never |
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::{retry::RetryPolicy, tonic::Status};
    /// let spec = conn_config::ConnectArgs::new().uri("http://h:19530").resolve_isolated()?;
    /// let conn = conn_transport_tonic::connect_lazy(&spec)?;
    /// let policy = RetryPolicy::default();
    /// let unauthenticated = conn.error_from_status(Status::unauthenticated("bad password"), "Insert");
    /// assert!(!policy.should_retry(&unauthenticated));
    /// let rate_limited = conn.check_status("Insert", 8, 49, "rate limit exceeded", false).unwrap_err();
    /// assert!(policy.should_retry(&rate_limited));
    /// # Ok(()) }
    /// ```
    pub fn should_retry(&self, error: &Error) -> bool {
        match error.kind() {
            ErrorKind::Unreachable | ErrorKind::Unavailable => true,
            ErrorKind::RateLimited => {
                self.retry_rate_limit
                    && !matches!(error, Error::Rpc { code, .. } if *code == tonic::Code::ResourceExhausted)
            }
            ErrorKind::TimedOut => self.retry_deadline_exceeded,
            ErrorKind::Rpc => {
                !matches!(error, Error::Rpc { code, .. } if *code == tonic::Code::AlreadyExists)
            }
            ErrorKind::ServerStatus => matches!(
                error,
                Error::ServerStatus {
                    retriable: true,
                    ..
                }
            ),
            _ => false,
        }
    }

    /// Makes a unary call through `conn` (whose [`service`](MilvusConnection::service) the
    /// SDK's generated client runs on), trying it again by this policy.
    ///
    /// `call` makes one attempt: it gets the [`Attempt`] (number, time left) and returns the
    /// generated client's future. A gRPC failure is classified by
    /// [`MilvusConnection::error_from_status`]; a reply with gRPC `OK` by its
    /// [`MilvusReply::reply_status`], through [`MilvusConnection::check_status`], so a Milvus
    /// error inside an OK reply (a rate limit) is an [`Error`] of the same classes.
    /// [`RetryPolicy::should_retry`] decides; the delays are [`RetryPolicy::delays`] (with
    /// jitter, if on). With a [`budget`](RetryPolicyBuilder::budget) or a
    /// [`deadline`](RetryPolicy::with_deadline): no attempt starts at or after it, the
    /// attempt running then is stopped (a `timed_out` error), and a delay that would end at
    /// or after it is not slept: the last error is returned at once.
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
            let timeout = match (left, call_timeout) {
                (Some(l), Some(c)) => Some(l.min(c)),
                (l, c) => l.or(c),
            };
            // The deadline, not the connection's call timeout, bounds this attempt.
            let by_deadline = left.is_some() && timeout == left;
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
                    // tonic enforced the attempt's grpc-timeout, which was the deadline: the
                    // classifier would name the spec's timeout.
                    Err(status) if by_deadline && classify(&status) == ErrorKind::TimedOut => Err(
                        deadline_passed(conn, rpc, deadline.map_or(Duration::ZERO, allowed)),
                    ),
                    Err(status) => Err(conn.error_from_status(status, rpc)),
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
                    tracing::warn!(rpc, attempt, class = %error.kind(), %error, "giving up: no retries left");
                    return None;
                };
                if let Some(d) = deadline
                    && Instant::now().checked_add(delay).is_none_or(|end| end >= d)
                {
                    tracing::warn!(rpc, attempt, class = %error.kind(), delay_ms = millis(delay), %error, "giving up: the deadline comes before the next attempt");
                    return None;
                }
                Some(delay)
            })
            .notify(|error, delay| {
                let attempt = attempts.load(Ordering::Relaxed);
                tracing::info!(rpc, attempt, class = %error.kind(), delay_ms = millis(delay), %error, "retrying");
            })
            .await
    }
}

/// `delay` rounded to whole microseconds: backon computes in `f32` (10 ms × 3 is
/// 29.999999 ms, 270 ms is 270.000008 ms), and tokio's timers would round 270.000008 ms up
/// to 271 ms.
fn whole_micros(delay: Duration) -> Duration {
    let nanos = delay.subsec_nanos();
    let micros = (nanos + 500) / 1000;
    Duration::new(delay.as_secs(), 0).saturating_add(Duration::from_micros(u64::from(micros)))
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
    /// the connection's [`CallDefaults::timeout`](crate::CallDefaults::timeout); `None`
    /// when neither is set.
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

/// The Milvus `common.Status` inside a reply, as [`MilvusReply::reply_status`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyStatus<'a> {
    /// `Status.code`.
    pub code: i32,
    /// The legacy `Status.error_code`.
    pub error_code: i32,
    /// `Status.reason`.
    pub reason: &'a str,
    /// `Status.retriable`.
    pub retriable: bool,
}

impl<'a> ReplyStatus<'a> {
    /// A status from the fields of the SDK's generated `common.Status`.
    pub fn new(code: i32, error_code: i32, reason: &'a str, retriable: bool) -> Self {
        ReplyStatus {
            code,
            error_code,
            reason,
            retriable,
        }
    }
}

/// A reply that carries a Milvus `common.Status`: the SDK implements it for its generated
/// reply types, so that [`RetryPolicy::call`] classifies a Milvus error inside a gRPC `OK`.
///
/// ```
/// use conn_transport_tonic::retry::{MilvusReply, ReplyStatus};
/// # mod common { #[derive(Default)] pub struct Status { pub error_code: i32, pub reason: String, pub code: i32, pub retriable: bool } }
/// # mod milvus { #[derive(Default)] pub struct MutationResult { pub status: Option<super::common::Status> } }
/// // `common` and `milvus` are the SDK's generated modules.
/// impl MilvusReply for milvus::MutationResult {
///     fn reply_status(&self) -> Option<ReplyStatus<'_>> {
///         let s = self.status.as_ref()?;
///         Some(ReplyStatus::new(s.code, s.error_code, &s.reason, s.retriable))
///     }
/// }
/// # fn main() {
/// assert!(milvus::MutationResult::default().reply_status().is_none());
/// # }
/// ```
pub trait MilvusReply {
    /// The reply's status; `None` when it has none (success).
    fn reply_status(&self) -> Option<ReplyStatus<'_>>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

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

    fn gaps(starts: &Starts) -> Vec<Duration> {
        let starts = starts.lock().unwrap();
        starts.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn sleeps_follow_the_pymilvus_backoff() {
        let starts = Starts::default();
        let result = run(RetryPolicy::default(), &starts, 8, || {
            Err(tonic::Status::unavailable("down"))
        })
        .await;
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
        let result = run(policy, &starts, 8, || {
            Err(tonic::Status::unavailable("down"))
        })
        .await;
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
        let error = run(policy, &starts, usize::MAX, || {
            Err(tonic::Status::unavailable("down"))
        })
        .await
        .unwrap_err();
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
        let error = run(bounded, &starts, usize::MAX, || {
            Err(tonic::Status::unavailable("down"))
        })
        .await
        .unwrap_err();
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

    impl RetryPolicy {
        fn to_builder_for_test(self) -> RetryPolicyBuilder {
            RetryPolicyBuilder { policy: self }
        }
    }
}
