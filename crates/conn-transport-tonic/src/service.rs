//! [`MilvusService`]: the service a generated client runs on; it waits for the `Connect`
//! handshake before a lazy connection's first call goes out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

// `http` through tonic, whose major version is part of our API (see lib.rs).
use tonic::body::Body;
use tonic::codegen::http;
use tonic::service::interceptor::{self, InterceptedService};
use tonic::transport::Channel;
use tower::ServiceExt as _;

use crate::connect::MilvusConnection;
use crate::error::{BoxError, Error};
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
/// While the connection has not completed its handshake, a call first runs it (within the
/// spec's timeout, counted from that call), then goes out with the `identifier` the server
/// returned. Calls made at the same time share one handshake: one `Connect` goes out, and
/// if it fails, every one of them fails with its error. A later call tries the handshake
/// again. Once the handshake has succeeded (always, on a connection made by
/// [`Connector::connect`](crate::Connector::connect)), a call costs one atomic load more
/// than the bare [`InterceptedService`].
///
/// A call the handshake failed never goes out. It fails with a `tonic::Status` whose code is
/// the handshake's (`UNAUTHENTICATED` for refused credentials, `UNAVAILABLE` for an
/// unreachable server or a TLS failure, `DEADLINE_EXCEEDED` for a timeout, ...), whose
/// message is the classified error's text with its causes, and whose `source` is the
/// classified [`Error`]: [`Error::attached_to`] returns it, and [`classify`](crate::classify)
/// and [`MilvusConnection::error_from_status`] give its class.
#[derive(Clone)]
pub struct MilvusService {
    inner: InterceptedService<Channel, MilvusInterceptor>,
    connection: MilvusConnection,
    /// [`CallDefaults::timeout`](crate::CallDefaults::timeout).
    timeout: Option<std::time::Duration>,
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

/// `d` as a `grpc-timeout` value: at most 8 digits, in the finest unit that fits
/// (milliseconds, seconds, minutes, hours), rounded up so a deadline is never shortened to
/// zero; at most tonic's limit.
fn grpc_timeout_header(d: std::time::Duration) -> http::HeaderValue {
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
        if let Some(timeout) = self.timeout
            && !request.headers().contains_key(GRPC_TIMEOUT)
        {
            request
                .headers_mut()
                .insert(GRPC_TIMEOUT, grpc_timeout_header(timeout));
        }
        if self.connection.handshake_done() {
            return MilvusResponseFuture(State::Ready(self.inner.call(request)));
        }
        // The slot `poll_ready` reserved stays with `self.inner` (its next call uses it); the
        // gated call takes its own once the handshake is done, so that waiting calls hold
        // none of the channel's buffer while the handshake's `Connect` needs one.
        let connection = self.connection.clone();
        let inner = self.inner.clone();
        MilvusResponseFuture(State::Gated(Box::pin(async move {
            connection
                .handshake_for_call()
                .await
                .map_err(|e| Box::new(Error::into_status(e)) as BoxError)?;
            let mut inner = inner;
            let ready = inner.ready().await.map_err(BoxError::from)?;
            ready.call(request).await.map_err(BoxError::from)
        })))
    }
}

type Output = Result<http::Response<interceptor::ResponseBody<Body>>, BoxError>;

/// The future of a [`MilvusService`] call.
pub struct MilvusResponseFuture(State);

enum State {
    /// The handshake was done: the call went out at once.
    Ready(interceptor::ResponseFuture<tonic::transport::channel::ResponseFuture>),
    /// The handshake first, then the call.
    Gated(Pin<Box<dyn Future<Output = Output> + Send + 'static>>),
}

impl fmt::Debug for MilvusResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            State::Ready(_) => "MilvusResponseFuture(Ready)",
            State::Gated(_) => "MilvusResponseFuture(Gated)",
        })
    }
}

impl Future for MilvusResponseFuture {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        match &mut self.0 {
            State::Ready(future) => Pin::new(future).poll(cx).map_err(Into::into),
            State::Gated(future) => future.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
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
}
