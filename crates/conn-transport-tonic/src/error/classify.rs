//! The public classifiers ([`classify`], [`classify_milvus`]) and the reading of TLS
//! failures out of an error chain.

use std::error::Error as StdError;

use super::{Ctx, Error, ErrorKind, TlsProblem};

/// The class of a gRPC code the server sent (a status tonic made from a failed connection
/// is classified by [`classify`], from its source).
pub(super) fn grpc_kind(code: tonic::Code) -> ErrorKind {
    use tonic::Code;
    match code {
        Code::Unauthenticated => ErrorKind::Authentication,
        Code::Unimplemented => ErrorKind::Unimplemented,
        Code::DeadlineExceeded => ErrorKind::TimedOut,
        Code::Unavailable => ErrorKind::Unavailable,
        Code::ResourceExhausted => ErrorKind::RateLimited,
        Code::PermissionDenied => ErrorKind::PermissionDenied,
        Code::InvalidArgument => ErrorKind::InvalidArgument,
        _ => ErrorKind::Rpc,
    }
}

/// The class of a failed call's gRPC status, as this crate's own calls classify theirs:
/// the same [`ErrorKind`] that [`MilvusConnection::error_from_status`](crate::MilvusConnection::error_from_status)
/// gives, without building the error.
///
/// A status that tonic made from a failed connection (it has a source) is
/// [`ErrorKind::Unreachable`], [`ErrorKind::TimedOut`] or [`ErrorKind::Tls`], whatever its
/// code; a status a [`MilvusService`](crate::MilvusService) failed a call with because the
/// lazy handshake failed has the handshake's class. Otherwise the code decides:
///
/// | gRPC code | class |
/// |---|---|
/// | `UNAUTHENTICATED` | `authentication` |
/// | `PERMISSION_DENIED` | `permission_denied` |
/// | `INVALID_ARGUMENT` | `invalid_argument` |
/// | `UNIMPLEMENTED` | `unimplemented` |
/// | `DEADLINE_EXCEEDED` (and tonic's own `grpc-timeout` expiry, which tonic reports as `CANCELLED`) | `timed_out` |
/// | `UNAVAILABLE` | `unavailable` |
/// | `RESOURCE_EXHAUSTED` | `rate_limited` |
/// | any other | `rpc` |
///
/// ```
/// use conn_transport_tonic::{ErrorKind, classify, tonic::Status};
/// let status = Status::unauthenticated("auth check failure, please check username and password are correct");
/// assert_eq!(classify(&status), ErrorKind::Authentication);
/// assert_eq!(classify(&Status::unavailable("not ready")), ErrorKind::Unavailable);
/// ```
pub fn classify(status: &tonic::Status) -> ErrorKind {
    if let Some(attached) = Error::attached_to(status) {
        return attached.kind();
    }
    Ctx::detached().status(status.clone(), "", None).kind()
}

/// The class of a Milvus `common.Status` (inside a reply that came back with gRPC `OK`), from
/// its `code` and its legacy `error_code`; `None` when both are 0 (success).
///
/// | `code` (Milvus 2.3 `merr`) | legacy `error_code` | class |
/// |---|---|---|
/// | 1 `ServiceNotReady`, 2 `ServiceUnavailable` | 56 `NotReadyServe`, 57 `NotReadyCoordActivating`, 100 `DataCoordNA` | `unavailable` |
/// | 4 `ServiceRequestLimitExceeded`, 8 `ServiceRateLimit` | 49 `RateLimit` | `rate_limited` |
/// | 10 `ServiceUnimplemented` | | `unimplemented` |
/// | 1100 `ParameterInvalid` | 5 `IllegalArgument` | `invalid_argument` |
/// | 1400 `PrivilegeNotAuthenticated` | | `authentication` |
/// | 1401 `PrivilegeNotPermitted` | 3 `PermissionDenied` | `permission_denied` |
/// | any other | any other | `server_status` |
///
/// `code` decides when it is non-zero (Milvus 2.3 fills both; a 2.2 server only
/// `error_code`). pymilvus retries exactly the rate limit (code 8 or error_code 49).
///
/// ```
/// use conn_transport_tonic::{ErrorKind, classify_milvus};
/// assert_eq!(classify_milvus(0, 0), None);
/// assert_eq!(classify_milvus(8, 49), Some(ErrorKind::RateLimited));
/// assert_eq!(classify_milvus(0, 49), Some(ErrorKind::RateLimited));
/// assert_eq!(classify_milvus(800, 1), Some(ErrorKind::ServerStatus)); // database not found
/// ```
pub fn classify_milvus(code: i32, error_code: i32) -> Option<ErrorKind> {
    let by_code = match code {
        0 => None,
        1 | 2 => Some(ErrorKind::Unavailable),
        4 | 8 => Some(ErrorKind::RateLimited),
        10 => Some(ErrorKind::Unimplemented),
        1100 => Some(ErrorKind::InvalidArgument),
        1400 => Some(ErrorKind::Authentication),
        1401 => Some(ErrorKind::PermissionDenied),
        _ => Some(ErrorKind::ServerStatus),
    };
    by_code.or(match error_code {
        0 => None,
        56 | 57 | 100 => Some(ErrorKind::Unavailable),
        49 => Some(ErrorKind::RateLimited),
        5 => Some(ErrorKind::InvalidArgument),
        3 => Some(ErrorKind::PermissionDenied),
        _ => Some(ErrorKind::ServerStatus),
    })
}

/// Every error in the chain, looking inside `io::Error`s (whose `source()` skips the error
/// they wrap).
pub(super) fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> + 'a {
    let mut next = Some(err);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => None,
            },
            None => current.source(),
        };
        Some(current)
    })
}

/// Reads the TLS failure out of an error chain, if it is one.
pub(super) fn tls_problem(err: &(dyn StdError + 'static), client_cert: bool) -> Option<TlsProblem> {
    for e in chain(err) {
        #[cfg(feature = "_tls")]
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(rustls_problem(r, client_cert));
        }
        // After the handshake (a TLS 1.3 server checks the client certificate then), the
        // rustls error reaches us through h2, which keeps only its text:
        // "received fatal alert: CertificateRequired". tonic's own TLS errors are private
        // and also known only by their text.
        let text = e.to_string();
        if let Some(alert) = text.strip_prefix("received fatal alert: ") {
            return Some(alert_problem(alert.trim(), client_cert));
        }
        if text == crate::tls::NO_H2 {
            return Some(TlsProblem::NoHttp2);
        }
        // The server asked for a client certificate, then hung up without a word: it did not
        // like the certificate (or its absence).
        if text == crate::tls::CLOSED_AFTER_HANDSHAKE {
            return Some(alert_problem("BadCertificate", client_cert));
        }
    }
    None
}

/// What an alert from the server means, by the alert's name (rustls's `AlertDescription`
/// variant names).
fn alert_problem(alert: &str, client_cert: bool) -> TlsProblem {
    match alert {
        "CertificateRequired" => TlsProblem::ClientCertificateRequired,
        "BadCertificate"
        | "UnsupportedCertificate"
        | "CertificateUnknown"
        | "UnknownCA"
        | "CertificateExpired"
        | "CertificateRevoked"
        | "HandshakeFailure"
        | "AccessDenied" => {
            if client_cert {
                TlsProblem::ClientCertificateRejected
            } else {
                TlsProblem::ClientCertificateRequired
            }
        }
        _ => TlsProblem::Other,
    }
}

#[cfg(feature = "_tls")]
fn rustls_problem(err: &rustls::Error, client_cert: bool) -> TlsProblem {
    use rustls::{CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(c) => match c {
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::NameMismatch,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsProblem::CertificateExpired,
            _ => TlsProblem::UntrustedCertificate,
        },
        E::AlertReceived(alert) => alert_problem(&format!("{alert:?}"), client_cert),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => TlsProblem::NotTls,
        E::NoApplicationProtocol => TlsProblem::NoHttp2,
        _ => TlsProblem::Other,
    }
}
