//! `Ctx`: what the classifier knows about one connection, and how it turns network
//! errors, gRPC statuses and Milvus `common.Status` replies into an [`Error`].

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use super::classify::{chain, tls_problem};
use super::{BoxError, Error, TlsProblem, cause};

/// The source a [`MilvusService`](crate::MilvusService) gives the status of a call whose own
/// `grpc-timeout` ran out: the time-out, so that the classifier names it (tonic's
/// `TimeoutExpired` says only that one did). Its source is tonic's error, or the server's
/// answer when that came first.
#[derive(Debug)]
pub(crate) struct CallTimedOut {
    timeout: Duration,
    expired: BoxError,
}

impl CallTimedOut {
    /// Whether `err` is tonic's enforcement of a `grpc-timeout` (a `TimeoutExpired` in its
    /// chain).
    pub(crate) fn is_expiry(err: &(dyn StdError + 'static)) -> bool {
        chain(err).any(|e| e.is::<tonic::TimeoutExpired>())
    }

    /// The status a call fails with when its `grpc-timeout` of `timeout` ran out (`why`:
    /// tonic's `TimeoutExpired`, or what the server answered then): `DEADLINE_EXCEEDED`, as
    /// gRPC's other clients report a deadline (tonic itself says `CANCELLED`), with a
    /// [`CallTimedOut`] as its source.
    pub(crate) fn status(timeout: Duration, why: BoxError) -> BoxError {
        let timed_out = CallTimedOut {
            timeout,
            expired: why,
        };
        let message = timed_out.to_string();
        timed_out.into_status(message)
    }

    /// The status a call fails with when its time-out of `timeout` ran out before it went
    /// out, while it waited for the lazy `Connect` handshake (which goes on): as
    /// [`CallTimedOut::status`], the message saying that the call was not sent.
    pub(crate) fn before_sent(timeout: Duration) -> BoxError {
        CallTimedOut::not_sent(timeout, WaitedForHandshake)
    }

    /// The status a call with a zero time-out fails with: it has run out before the call
    /// is made, so the call is not sent (tonic would race the answer against a timer that
    /// has already fired, so that some such calls would succeed).
    pub(crate) fn zero() -> BoxError {
        CallTimedOut::not_sent(Duration::ZERO, ZeroTimeout)
    }

    fn not_sent(timeout: Duration, why: impl StdError + Send + Sync + 'static) -> BoxError {
        let why_text = why.to_string();
        let timed_out = CallTimedOut {
            timeout,
            expired: Box::new(why),
        };
        let message = format!("{timed_out}: {why_text}");
        timed_out.into_status(message)
    }

    fn into_status(self, message: String) -> BoxError {
        let mut status = tonic::Status::deadline_exceeded(message);
        status.set_source(std::sync::Arc::new(self));
        Box::new(status)
    }

    /// The time-out of the [`CallTimedOut`] in `status`'s chain, if there is one.
    fn of(status: &tonic::Status) -> Option<Duration> {
        chain(status).find_map(|e| e.downcast_ref::<CallTimedOut>().map(|c| c.timeout))
    }
}

impl fmt::Display for CallTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no answer within the call's timeout of {}",
            humantime::format_duration(self.timeout)
        )
    }
}

impl StdError for CallTimedOut {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.expired)
    }
}

/// Why a call's time-out ran out before it went out ([`CallTimedOut::before_sent`]).
#[derive(Debug)]
struct WaitedForHandshake;

impl fmt::Display for WaitedForHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the call was not sent; it was waiting for the connection's Connect handshake")
    }
}

impl StdError for WaitedForHandshake {}

/// Why a call with a zero time-out was not sent.
#[derive(Debug)]
struct ZeroTimeout;

impl fmt::Display for ZeroTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the call was not sent; its time-out is zero")
    }
}

impl StdError for ZeroTimeout {}

/// What the classifier needs to know about the connection being made.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub(crate) address: String,
    pub(crate) timeout: Duration,
    /// Whether TLS is on (so a closed connection can be told from a TLS failure).
    pub(crate) tls: bool,
    /// Whether a client certificate is offered (to read the server's alerts).
    pub(crate) client_cert: bool,
    /// For a plaintext TCP target: its `host:port` and host, to ask whether the port wants
    /// TLS when the connection fails (read only with a TLS backend, which can ask).
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(crate) plaintext_tcp: Option<(String, String)>,
}

impl Ctx {
    /// A context that knows nothing of the connection, for [`classify`]. TLS counts as on:
    /// only a TLS connection can report the TLS failures it looks for.
    pub(crate) fn detached() -> Ctx {
        Ctx {
            address: String::new(),
            timeout: Duration::ZERO,
            tls: true,
            client_cert: false,
            plaintext_tcp: None,
        }
    }

    /// `err`, or, when it is a plaintext connection that failed as unreachable to a port
    /// that answers TLS, [`Error::Tls`] with [`TlsProblem::ServerRequiresTls`] (not
    /// transient). The question is asked within `deadline`.
    pub(crate) async fn plaintext_to_tls(
        &self,
        err: Error,
        deadline: tokio::time::Instant,
    ) -> Error {
        #[cfg(feature = "_tls")]
        if let (Error::Unreachable { .. }, Some((authority, host))) = (&err, &self.plaintext_tcp) {
            let asked = tokio::time::timeout_at(deadline, crate::tls::speaks_tls(authority, host));
            if asked.await == Ok(true)
                && let Error::Unreachable {
                    address, source, ..
                } = err
            {
                return Error::Tls {
                    address,
                    problem: TlsProblem::ServerRequiresTls,
                    source,
                };
            }
        }
        #[cfg(not(feature = "_tls"))]
        let _ = deadline;
        err
    }

    pub(crate) fn timed_out(&self, step: &'static str) -> Error {
        Error::TimedOut {
            address: self.address.clone(),
            step,
            timeout: self.timeout,
        }
    }

    /// Classifies a failure to set up the channel (TCP, TLS, HTTP/2).
    pub(crate) fn transport(&self, err: tonic::transport::Error, step: &'static str) -> Error {
        self.network(Box::new(err), step)
    }

    /// Classifies an error below gRPC: TLS, time-out, or unreachable.
    fn network(&self, err: BoxError, step: &'static str) -> Error {
        if let Some(problem) = tls_problem(&*err, self.client_cert) {
            return Error::Tls {
                address: self.address.clone(),
                problem,
                source: cause(err),
            };
        }
        // tokio-rustls's words for a peer that closed the connection during the handshake:
        // what a plaintext server does when it reads a TLS ClientHello.
        if self.tls
            && chain(&*err).any(|e| {
                e.downcast_ref::<std::io::Error>().is_some_and(|io| {
                    io.kind() == std::io::ErrorKind::UnexpectedEof
                        && io.to_string().contains("tls handshake eof")
                })
            })
        {
            return Error::Tls {
                address: self.address.clone(),
                problem: TlsProblem::NotTls,
                source: cause(err),
            };
        }
        if chain(&*err).any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                || e.downcast_ref::<tonic::TimeoutExpired>().is_some()
                // tonic's (private) TLS handshake time-out.
                || e.to_string() == "TLS handshake timeout"
        }) {
            return self.timed_out(step);
        }
        Error::Unreachable {
            address: self.address.clone(),
            timeout: self.timeout,
            source: cause(err),
        }
    }

    /// Classifies a failed gRPC call. `sent` is the `grpc-timeout` the call went out with,
    /// when the caller knows it (this crate's own calls): tonic's enforcement of it names it.
    ///
    /// A time-out is [`Error::TimedOut`] only when this client knows which one ran out: the
    /// call's own, which a [`MilvusService`](crate::MilvusService) notes on the status
    /// ([`CallTimedOut`], also on the server's answer once the time-out had run out), or
    /// `sent`. A `DEADLINE_EXCEEDED` the server sent otherwise (a deadline of its own) and a
    /// tonic time-out of unknown length are [`Error::Rpc`] with `DEADLINE_EXCEEDED`, of the
    /// same class.
    pub(crate) fn status(
        &self,
        status: tonic::Status,
        rpc: &'static str,
        sent: Option<Duration>,
    ) -> Error {
        use tonic::Code;
        // The lazy handshake's failure, which the service attached to the call's status.
        if let Some(attached) = Error::attached_to(&status) {
            return attached.replicate();
        }
        let timed_out = |timeout| Error::TimedOut {
            address: self.address.clone(),
            step: rpc,
            timeout,
        };
        if let Some(timeout) = CallTimedOut::of(&status) {
            return timed_out(timeout);
        }
        // tonic enforces a request's `grpc-timeout` on the client side too, and reports it
        // as `CANCELLED` with a `TimeoutExpired` below.
        if status.code() == Code::Cancelled && CallTimedOut::is_expiry(&status) {
            return match sent {
                Some(timeout) => timed_out(timeout),
                None => self.rpc(status, rpc, Code::DeadlineExceeded),
            };
        }
        match status.code() {
            Code::Unauthenticated => Error::Authentication {
                address: self.address.clone(),
                rpc,
                message: status.message().to_owned(),
            },
            Code::Unimplemented => Error::Unimplemented {
                address: self.address.clone(),
                rpc,
                message: status.message().to_owned(),
            },
            Code::DeadlineExceeded => self.rpc(status, rpc, Code::DeadlineExceeded),
            code => {
                let below = status_has_transport_source(&status);
                let tls = tls_problem(&status, self.client_cert);
                // A status tonic made from an error below gRPC (it has a source) means no
                // gRPC answer came back: the connection failed, whatever code tonic chose.
                if tls.is_some() || below {
                    self.network(Box::new(StatusError(status)), rpc)
                } else {
                    self.rpc(status, rpc, code)
                }
            }
        }
    }

    /// [`Error::Rpc`] with `code`, and `status` as its source.
    fn rpc(&self, status: tonic::Status, rpc: &'static str, code: tonic::Code) -> Error {
        Error::Rpc {
            address: self.address.clone(),
            rpc,
            code,
            message: status.message().to_owned(),
            source: cause(Box::new(StatusError(status))),
        }
    }

    /// Turns a non-zero `common.Status` into [`Error::ServerStatus`].
    pub(crate) fn check(
        &self,
        status: Option<&crate::proto::common::Status>,
        rpc: &'static str,
    ) -> Result<(), Error> {
        match status {
            Some(s) if s.code != 0 || s.error_code != 0 => Err(Error::ServerStatus {
                address: self.address.clone(),
                rpc,
                code: if s.code != 0 { s.code } else { s.error_code },
                error_code: s.error_code,
                reason: s.reason.clone(),
                retriable: s.retriable,
            }),
            _ => Ok(()),
        }
    }
}

/// A gRPC status as an error in a chain: shown as its message (tonic's own `Display`
/// repeats the code and prints the source's `Debug`), with the status's source as its source.
#[derive(Debug)]
struct StatusError(tonic::Status);

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.message().is_empty() {
            write!(f, "grpc status {:?}", self.0.code())
        } else {
            write!(f, "{}", super::source::Escaped(self.0.message()))
        }
    }
}

impl StdError for StatusError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        StdError::source(&self.0)
    }
}

/// Whether a status was made by tonic from an error below gRPC (it then has a source),
/// rather than sent by the server.
fn status_has_transport_source(status: &tonic::Status) -> bool {
    StdError::source(status).is_some()
}
