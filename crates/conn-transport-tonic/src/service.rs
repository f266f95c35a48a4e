//! [`MilvusService`]: the service a generated client runs on; it waits for the `Connect`
//! handshake before a lazy connection's first call goes out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

// `http` through tonic, whose major version is part of our API (see lib.rs).
use tokio::time::{Instant, timeout_at};
use tonic::body::Body;
use tonic::codegen::http;
use tonic::service::interceptor::{self, InterceptedService};
use tonic::transport::Channel;
use tower::ServiceExt as _;

use crate::connect::{MilvusConnection, deadline_after};
use crate::error::{BoxError, CallTimedOut, Error};
use crate::interceptor::MilvusInterceptor;

/// The channel with [`MilvusInterceptor`] in front, behind the connection's `Connect`
/// handshake: every call carries `authorization`, `dbname` and `identifier`, and on a lazy
/// connection ([`Connector::connect_lazy`](crate::Connector::connect_lazy)) no call goes
/// out before the handshake has succeeded.
///
/// This is the type a downstream SDK hands to its own generated client; see
/// [`MilvusConnection::service`]. It is a
/// `tower::Service<http::Request<tonic::body::Body>>`, as tonic's generated clients require.
///
/// # The handshake before the first call
///
/// While the connection has not completed its handshake, a call first waits for it, then
/// goes out with the `identifier` the server returned. The first call starts the handshake
/// (within the spec's timeout, counted from that call) in a Tokio task of its own; calls
/// made while it runs wait for the same attempt: one `Connect` goes out, and if it fails,
/// every one of them fails with its error. A later call starts a new attempt. Once the
/// handshake has succeeded (always, on a connection made by
/// [`Connector::connect`](crate::Connector::connect)), a call costs one atomic load and a
/// look at its `grpc-timeout` header more than the bare [`InterceptedService`] (see
/// "Time-outs").
///
/// A call the handshake failed never goes out. It fails with a `tonic::Status` whose code is
/// the handshake's (`UNAUTHENTICATED` for refused credentials, `UNAVAILABLE` for an
/// unreachable server or a TLS failure, `DEADLINE_EXCEEDED` for a timeout, ...), whose
/// message is the classified error's text with its causes, and whose `source` is the
/// classified [`Error`]: [`Error::attached_to`] returns it, and [`classify`](crate::classify)
/// and [`MilvusConnection::error_from_status`] give its class.
///
/// A call's own time-out (below) counts from when the call is made, the wait for the
/// handshake included: a call whose time-out runs out while it waits fails then, without
/// being sent, as any call whose time-out ran out (`DEADLINE_EXCEEDED`, and
/// [`Error::TimedOut`] naming that time-out), and the handshake goes on for the other
/// calls and the next ones. A call that waited goes out with the time left as its
/// `grpc-timeout`. A call without a time-out waits at most until the attempt ends (within
/// the spec's timeout). When the connection's last clone is dropped (services and their
/// calls hold one), an attempt in flight is aborted.
///
/// # Time-outs
///
/// A call without a `grpc-timeout` of its own (`tonic::Request::set_timeout`) gets
/// [`CallDefaults::timeout`](crate::CallDefaults::timeout), if set; tonic enforces either.
/// When it runs out, the call fails with `DEADLINE_EXCEEDED`, as gRPC's other clients (and
/// pymilvus) report a deadline; tonic alone would say `CANCELLED`. The status notes the
/// time-out that ran out, so that [`MilvusConnection::error_from_status`] gives an
/// [`Error::TimedOut`] naming it (`milvus at ADDRESS did not complete Search within 150ms`),
/// whichever of the two it was. The server enforces the `grpc-timeout` too: its
/// `DEADLINE_EXCEEDED` or `CANCELLED` answer, when it comes once the time-out has run out
/// (before tonic's own timer fired), is taken as the same time-out.
#[derive(Clone)]
pub struct MilvusService {
    inner: InterceptedService<Channel, MilvusInterceptor>,
    connection: MilvusConnection,
    /// [`CallDefaults::timeout`](crate::CallDefaults::timeout).
    timeout: Option<Duration>,
}

impl MilvusService {
    pub(crate) fn new(
        inner: InterceptedService<Channel, MilvusInterceptor>,
        connection: MilvusConnection,
    ) -> MilvusService {
        let timeout = connection.call_defaults().timeout;
        MilvusService {
            inner,
            connection,
            timeout,
        }
    }
}

const GRPC_TIMEOUT: &str = "grpc-timeout";
const GRPC_STATUS: &str = "grpc-status";
const GRPC_MESSAGE: &str = "grpc-message";

/// The `grpc-timeout` a request carries, if it carries a valid one: 1 to 8 digits and a
/// unit (`H`, `M`, `S`, `m`, `u`, `n`), as tonic reads it.
fn read_grpc_timeout(value: &http::HeaderValue) -> Option<Duration> {
    let (value, unit) = value.as_bytes().split_last().map(|(u, d)| (d, *u))?;
    // As tonic reads it (`u64::from_str` of at most 8 characters): a leading `+` is allowed
    // and counts among the 8.
    if value.len() > 8 {
        return None;
    }
    let digits = value.strip_prefix(b"+").unwrap_or(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // At most 8 digits: no overflow.
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

/// `d` as a `grpc-timeout` value: at most 8 digits, in the finest unit that fits
/// (milliseconds, seconds, minutes, hours), rounded up so a deadline is never shortened to
/// zero; at most tonic's limit.
fn grpc_timeout_header(d: Duration) -> http::HeaderValue {
    const MAX: u128 = 99_999_999;
    let d = crate::connect::grpc_timeout(d);
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    let text = if ms <= MAX {
        format!("{ms}m")
    } else if ms.div_ceil(1000) <= MAX {
        format!("{}S", ms.div_ceil(1000))
    } else if ms.div_ceil(60_000) <= MAX {
        format!("{}M", ms.div_ceil(60_000))
    } else {
        format!("{}H", ms.div_ceil(3_600_000).min(MAX))
    };
    // Digits and a unit letter: always a valid header value.
    http::HeaderValue::try_from(text)
        .unwrap_or_else(|_| http::HeaderValue::from_static("99999999H"))
}

impl fmt::Debug for MilvusService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MilvusService")
            .field("connection", &self.connection)
            .finish()
    }
}

impl tower::Service<http::Request<Body>> for MilvusService {
    type Response = http::Response<interceptor::ResponseBody<Body>>;
    type Error = BoxError;
    type Future = MilvusResponseFuture;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The time-out tonic will enforce: the request's own, else the default (added).
        let timeout = match request.headers().get(GRPC_TIMEOUT) {
            Some(own) => read_grpc_timeout(own),
            None => self.timeout.inspect(|&timeout| {
                request
                    .headers_mut()
                    .insert(GRPC_TIMEOUT, grpc_timeout_header(timeout));
            }),
        };
        if timeout == Some(Duration::ZERO) {
            // Run out before the call is made: not sent (see `CallTimedOut::zero`).
            return MilvusResponseFuture {
                state: State::Gated(Box::pin(std::future::ready(Err(CallTimedOut::zero())))),
                clock: None,
            };
        }
        let clock = timeout.map(CallClock::start);
        if self.connection.handshake_done() {
            return MilvusResponseFuture {
                state: State::Ready(self.inner.call(request)),
                clock,
            };
        }
        // The slot `poll_ready` reserved stays with `self.inner` (its next call uses it); the
        // gated call takes its own once the handshake is done, so that waiting calls hold
        // none of the channel's buffer while the handshake's `Connect` needs one.
        let connection = self.connection.clone();
        let inner = self.inner.clone();
        let gated = async move {
            // The wait for the handshake counts against the call's own time-out; the
            // handshake goes on in its task when the wait is given up.
            let handshake = connection.handshake_for_call();
            let waited = match clock {
                Some(clock) => match timeout_at(clock.deadline(), handshake).await {
                    Ok(waited) => waited,
                    Err(_) => return Err(CallTimedOut::before_sent(clock.timeout)),
                },
                None => handshake.await,
            };
            waited.map_err(|e| Box::new(Error::into_status(e)) as BoxError)?;
            let mut inner = inner;
            let ready = inner.ready().await.map_err(BoxError::from)?;
            let Some(clock) = clock else {
                return ready.call(request).await.map_err(BoxError::from);
            };
            // The call goes out with the time left of its own time-out.
            let left = clock.left();
            if left.is_zero() {
                return Err(CallTimedOut::before_sent(clock.timeout));
            }
            request
                .headers_mut()
                .insert(GRPC_TIMEOUT, grpc_timeout_header(left));
            clock.outcome(ready.call(request).await.map_err(BoxError::from))
        };
        MilvusResponseFuture {
            state: State::Gated(Box::pin(gated)),
            clock: None,
        }
    }
}

/// A call's time-out (its `grpc-timeout`), and when the call was made: it counts from
/// then, also for a call that first waits for the handshake.
#[derive(Clone, Copy, Debug)]
struct CallClock {
    timeout: Duration,
    made: Instant,
}

impl CallClock {
    fn start(timeout: Duration) -> CallClock {
        CallClock {
            timeout,
            made: Instant::now(),
        }
    }

    /// When the time-out runs out (never panicking: see `deadline_after`).
    fn deadline(self) -> Instant {
        self.made
            .checked_add(self.timeout)
            .unwrap_or_else(|| deadline_after(self.timeout))
    }

    /// The time left before it runs out.
    fn left(self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }

    /// The call's outcome, where its time-out ran out, as that time-out's failure
    /// ([`CallTimedOut::status`]): tonic's enforcement of it (a failure with a
    /// `TimeoutExpired`), or the server's answer once it had run out (a trailers-only
    /// `DEADLINE_EXCEEDED` or `CANCELLED`: the server enforces the `grpc-timeout` too, and
    /// a tonic server answers `CANCELLED` at the same moment, sometimes first).
    fn outcome<B>(
        self,
        output: Result<http::Response<B>, BoxError>,
    ) -> Result<http::Response<B>, BoxError> {
        let response = match output {
            Ok(response) => response,
            Err(err) if CallTimedOut::is_expiry(&*err) => {
                return Err(CallTimedOut::status(self.timeout, err));
            }
            Err(err) => return Err(err),
        };
        // Only an answer without a body carries its status in the headers.
        let Some(code) = response.headers().get(GRPC_STATUS) else {
            return Ok(response);
        };
        let code = tonic::Code::from_bytes(code.as_bytes());
        if !matches!(code, tonic::Code::DeadlineExceeded | tonic::Code::Cancelled)
            || self.made.elapsed() < self.timeout
        {
            return Ok(response);
        }
        let message = response
            .headers()
            .get(GRPC_MESSAGE)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .unwrap_or_default();
        let answer = tonic::Status::new(code, message);
        Err(CallTimedOut::status(self.timeout, Box::new(answer)))
    }
}

type Output = Result<http::Response<interceptor::ResponseBody<Body>>, BoxError>;

/// The future of a [`MilvusService`] call.
pub struct MilvusResponseFuture {
    state: State,
    /// A call that went out at once: its `grpc-timeout`, named when it runs out. (A gated
    /// call's future does this itself.)
    clock: Option<CallClock>,
}

enum State {
    /// The handshake was done: the call went out at once.
    Ready(interceptor::ResponseFuture<tonic::transport::channel::ResponseFuture>),
    /// The handshake first, then the call.
    Gated(Pin<Box<dyn Future<Output = Output> + Send + 'static>>),
}

impl fmt::Debug for MilvusResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.state {
            State::Ready(_) => "MilvusResponseFuture(Ready)",
            State::Gated(_) => "MilvusResponseFuture(Gated)",
        })
    }
}

impl Future for MilvusResponseFuture {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let clock = self.clock;
        let output = match &mut self.state {
            State::Ready(future) => Pin::new(future).poll(cx).map_err(Into::into),
            State::Gated(future) => future.as_mut().poll(cx),
        };
        match clock {
            Some(clock) => output.map(|output| clock.outcome(output)),
            None => output,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    #[test]
    fn grpc_timeouts_are_written_in_at_most_eight_digits() {
        let rows = [
            (Duration::from_millis(1500), "1500m"),
            (Duration::from_nanos(1), "1m"),
            (Duration::from_secs(30), "30000m"),
            (Duration::from_secs(100_000), "100000S"),
            (Duration::from_secs(200_000_000), "3333334M"),
            (Duration::MAX, "99999999H"),
        ];
        for (d, text) in rows {
            assert_eq!(super::grpc_timeout_header(d), text, "{d:?}");
        }
    }

    /// What the service reads back: its own headers (rounded up to the unit written), and
    /// tonic's (`Request::set_timeout`, the finest unit that fits); nothing from a header
    /// that is not a valid `grpc-timeout`.
    /// What a call's outcome becomes once its time-out is known: tonic's expiry and a
    /// late time-out answer of the server's are the call's time-out; anything else, and a
    /// time-out answer before the time-out ran out (the server's own deadline), is kept.
    #[tokio::test(start_paused = true)]
    async fn a_calls_timeout_is_noted_where_it_ran_out() {
        use super::{BoxError, CallClock};
        use tonic::Code;
        let ms150 = Duration::from_millis(150);
        let answer = |status: &str| {
            tonic::codegen::http::Response::builder()
                .header("grpc-status", status)
                .header("grpc-message", "Timeout expired")
                .body(())
                .unwrap()
        };
        let noted = |output: Result<_, BoxError>| {
            let status = *output.unwrap_err().downcast::<tonic::Status>().unwrap();
            assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
            assert_eq!(
                status.message(),
                "no answer within the call's timeout of 150ms"
            );
            let e = crate::error::Ctx::detached().status(status, "Search", None);
            assert!(
                matches!(e, crate::Error::TimedOut { timeout, .. } if timeout == ms150),
                "{e:?}"
            );
        };
        let clock = CallClock::start(ms150);
        // tonic's expiry, whenever it comes.
        noted(clock.outcome::<()>(Err(Box::new(tonic::TimeoutExpired(())))));
        // Any other failure, and any answer before the time-out ran out, as they are.
        let reset = clock.outcome::<()>(Err(Box::new(std::io::Error::other("reset"))));
        assert!(reset.unwrap_err().is::<std::io::Error>());
        for code in ["4", "1", "14"] {
            assert!(clock.outcome(Ok(answer(code))).is_ok(), "{code}");
        }
        tokio::time::advance(ms150).await;
        // Once it has: the server's DEADLINE_EXCEEDED or CANCELLED is the call's time-out.
        noted(clock.outcome(Ok(answer("4"))));
        noted(clock.outcome(Ok(answer("1"))));
        // Other answers, and an answer with a body (its status comes later), are kept.
        assert!(clock.outcome(Ok(answer("14"))).is_ok());
        let with_body = tonic::codegen::http::Response::new(());
        assert!(clock.outcome(Ok(with_body)).is_ok());
    }

    #[test]
    fn grpc_timeouts_are_read_back() {
        use super::{grpc_timeout_header, read_grpc_timeout};
        use tonic::codegen::http::HeaderValue;
        for (d, read) in [
            (Duration::from_millis(150), Duration::from_millis(150)),
            (Duration::from_nanos(1), Duration::from_millis(1)),
            (Duration::from_secs(100_000), Duration::from_secs(100_000)),
            (
                Duration::from_secs(200_000_000),
                Duration::from_secs(3_333_334 * 60),
            ),
        ] {
            assert_eq!(
                read_grpc_timeout(&grpc_timeout_header(d)),
                Some(read),
                "{d:?}"
            );
        }
        for d in [
            Duration::from_nanos(99_999_999),
            Duration::from_millis(150),
            Duration::from_secs(99),
            Duration::from_secs(3600 * 30),
        ] {
            let mut request = tonic::Request::new(());
            request.set_timeout(d);
            let written = request
                .metadata()
                .get("grpc-timeout")
                .unwrap()
                .to_str()
                .unwrap();
            let read = read_grpc_timeout(&HeaderValue::from_str(written).unwrap()).unwrap();
            assert!(
                read <= d && d - read < Duration::from_millis(1),
                "{written}: {read:?}"
            );
        }
        // A leading `+`, which tonic accepts (and enforces), counts among the 8 characters.
        for (text, read) in [
            ("+200m", Duration::from_millis(200)),
            ("+9999999S", Duration::from_secs(9_999_999)),
        ] {
            assert_eq!(
                read_grpc_timeout(&HeaderValue::from_static(text)),
                Some(read),
                "{text}"
            );
        }
        for bad in [
            "",
            "m",
            "123456789m",
            "12x",
            "1.5S",
            "-1S",
            "10s",
            "Sm",
            "+m",
            "+12345678m",
            "++1m",
        ] {
            assert_eq!(
                read_grpc_timeout(&HeaderValue::from_static(bad)),
                None,
                "{bad}"
            );
        }
        let max = HeaderValue::from_static("99999999H");
        assert_eq!(
            read_grpc_timeout(&max),
            Some(Duration::from_secs(99_999_999 * 3600))
        );
    }
}
