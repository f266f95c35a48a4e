//! [`RetryPolicy`]: pymilvus's retry knobs with its defaults, the delays they give, and
//! which errors are tried again.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;

use super::{DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_MULTIPLIER, DEFAULT_RETRIES};
use crate::{Error, ErrorKind};

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
    pub(super) budget: Option<Duration>,
    pub(super) deadline: Option<Instant>,
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
    pub(super) policy: RetryPolicy,
}

impl Default for RetryPolicyBuilder {
    fn default() -> Self {
        RetryPolicy::builder()
    }
}

/// The builder's plain setters: `NAME(ARG: TYPE);` with its docs is
/// `pub fn NAME(mut self, ARG: TYPE) -> Self`, which sets the policy's field `NAME`.
macro_rules! knobs {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty);)+) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.policy.$name = $arg;
            self
        }
    )+};
}

impl RetryPolicyBuilder {
    knobs! {
        /// How many times a failed call is tried again (default 75, pymilvus's `retry_times`):
        /// at most `retries + 1` attempts. 0 turns retries off.
        retries(retries: u32);

        /// The delay before the first retry (default 10 ms, pymilvus's `initial_back_off`). It
        /// is used as given even when longer than the [`max_backoff`](Self::max_backoff), as
        /// pymilvus does.
        initial_backoff(delay: Duration);

        /// The factor from one delay to the next (default 3, pymilvus's
        /// `back_off_multiplier`); at least 1 (checked by [`build`](Self::build)).
        multiplier(multiplier: f32);

        /// The longest delay between two attempts (default 3 s, pymilvus's `max_back_off`),
        /// before jitter.
        max_backoff(delay: Duration);

        /// Adds a random part to every delay: a delay `d` becomes a value in `[d, 2d)` (so up to
        /// twice the [`max_backoff`](Self::max_backoff)). Default off, as pymilvus.
        jitter(on: bool);

        /// Whether a call that ran out of time (gRPC `DEADLINE_EXCEEDED`, class `timed_out`) is
        /// tried again. Default off: pymilvus never retries `DEADLINE_EXCEEDED`.
        retry_deadline_exceeded(on: bool);

        /// Whether a Milvus rate limit (class `rate_limited` inside a reply) is tried again.
        /// Default on, as pymilvus's `retry_on_rate_limit`.
        retry_rate_limit(on: bool);
    }

    /// The most time a call may take, all attempts and delays together, from the start of
    /// its first attempt (default none: only [`retries`](Self::retries) limits it). Like the
    /// `timeout` pymilvus's calls take, which bounds its retries; unlike it, the attempt
    /// count still applies too. See [`RetryPolicy::call`] for how it is enforced.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.policy.budget = Some(budget);
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
    pub(super) fn backoff(&self) -> ExponentialBuilder {
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
    /// | `rpc`: any other gRPC code (`UNKNOWN`, `INTERNAL`, `ABORTED`, `CANCELLED`, …) but `ALREADY_EXISTS` and `OUT_OF_RANGE` | yes (as pymilvus) |
    /// | `rpc` with `ALREADY_EXISTS` | no (pymilvus neither) |
    /// | `rpc` with `OUT_OF_RANGE` | no: tonic's code for a reply over the client's decode limit ([`CallDefaults`](crate::CallDefaults)), which grpcio reports as `RESOURCE_EXHAUSTED` and pymilvus does not retry |
    /// | `server_status` (any other Milvus status) | only when the server marked it `retriable` |
    /// | `authentication`, `permission_denied`, `invalid_argument`, `unimplemented` | no; from a Milvus status, only when the server marked it `retriable` |
    /// | `tls`, `local_file`, `setup`, `unsupported_target`, `lite` | never |
    ///
    /// [`Error::is_transient`] is the error's own view; it differs from this for
    /// `timed_out` (transient, retried only when asked) and for `rpc` (only `ABORTED` is
    /// transient, every code above is retried), and agrees elsewhere.
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
            ErrorKind::Rpc => !matches!(
                error,
                Error::Rpc {
                    code: tonic::Code::AlreadyExists | tonic::Code::OutOfRange,
                    ..
                }
            ),
            // The server's word, for a Milvus status of any other class.
            _ => matches!(
                error,
                Error::ServerStatus {
                    retriable: true,
                    ..
                }
            ),
        }
    }
}

/// `delay` rounded to whole microseconds: backon computes in `f32` (10 ms × 3 is
/// 29.999999 ms, 270 ms is 270.000008 ms), and tokio's timers would round 270.000008 ms up
/// to 271 ms.
pub(super) fn whole_micros(delay: Duration) -> Duration {
    let nanos = delay.subsec_nanos();
    let micros = (nanos + 500) / 1000;
    Duration::new(delay.as_secs(), 0).saturating_add(Duration::from_micros(u64::from(micros)))
}
