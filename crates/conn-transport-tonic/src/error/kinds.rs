//! The small public enums of the error: its class, and the fields of its TLS variants.

use std::fmt;

#[cfg(doc)]
use super::{Error, classify, classify_milvus};

/// The class of an [`Error`], for matching, exit codes and retry decisions.
///
/// Most variants of [`Error`] have one class. [`Error::ServerStatus`] and [`Error::Rpc`] are
/// classed by their codes (see [`classify`] and [`classify_milvus`]): a rate limit, a server
/// that is not ready, a permission or argument problem have classes of their own, the rest
/// are [`ErrorKind::ServerStatus`] and [`ErrorKind::Rpc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::UnsupportedTarget`].
    UnsupportedTarget,
    /// [`Error::FileUnreadable`], [`Error::FileNotRegular`], [`Error::FileTooLarge`],
    /// [`Error::FileReadTimedOut`], [`Error::FileNotPem`], [`Error::ClientIdentity`]: a local
    /// file is missing or wrong (or could not be read in time); nothing was sent. Not
    /// transient: these are configuration errors.
    LocalFile,
    /// [`Error::Lite`]: the Milvus Lite server of a `.db` target could not be started;
    /// [`LiteProblem`](super::LiteProblem) says why. Not transient.
    Lite,
    /// [`Error::TlsUnavailable`], [`Error::InvalidAddress`] and [`Error::NoRuntime`]: this build or process cannot do
    /// what the spec asks.
    Setup,
    /// [`Error::Unreachable`].
    Unreachable,
    /// [`Error::TimedOut`]: a time-out this client set ran out (its message names it); and
    /// [`Error::Rpc`] with gRPC `DEADLINE_EXCEEDED` sent by the server (a deadline of its
    /// own). Transient; [`RetryPolicy`](crate::retry::RetryPolicy) retries it only when
    /// asked, as pymilvus never does.
    TimedOut,
    /// [`Error::Tls`].
    Tls,
    /// [`Error::Authentication`].
    Authentication,
    /// [`Error::ServerStatus`] with any other non-zero code (for example 800, database not
    /// found; 100, collection not found). Transient only when the server marked it
    /// `retriable`.
    ServerStatus,
    /// [`Error::Unimplemented`], and a Milvus status with code 10 (`ServiceUnimplemented`).
    Unimplemented,
    /// [`Error::Rpc`] with any other gRPC code.
    Rpc,
    /// The server answered but cannot serve now: gRPC `UNAVAILABLE` sent by the server
    /// (not a failed connection, which is [`ErrorKind::Unreachable`]), or a Milvus status
    /// with code 1 (`ServiceNotReady`) or 2 (`ServiceUnavailable`), or the legacy error
    /// codes `NotReadyServe` (56), `NotReadyCoordActivating` (57) or `DataCoordNA` (100).
    /// Transient.
    Unavailable,
    /// The server limits the request rate: a Milvus status with code 8 (`ServiceRateLimit`)
    /// or 4 (`ServiceRequestLimitExceeded`), or the legacy error code `RateLimit` (49), or
    /// gRPC `RESOURCE_EXHAUSTED` (gRPC's meaning: a quota). The Milvus statuses are
    /// transient ([`Error::is_transient`]), and pymilvus and
    /// [`RetryPolicy`](crate::retry::RetryPolicy) retry them with back-off. gRPC's own
    /// `RESOURCE_EXHAUSTED` is not transient and neither retries it: a Go gRPC server such as
    /// Milvus also sends it for a message over its size limit, which no retry fixes.
    RateLimited,
    /// The credentials are valid but not allowed this call: gRPC `PERMISSION_DENIED`, a
    /// Milvus status with code 1401 (`PrivilegeNotPermitted`) or the legacy error code
    /// `PermissionDenied` (3).
    PermissionDenied,
    /// The request is malformed or names something invalid: gRPC `INVALID_ARGUMENT`, a
    /// Milvus status with code 1100 (`ParameterInvalid`) or the legacy error code
    /// `IllegalArgument` (5).
    InvalidArgument,
}

impl ErrorKind {
    /// A short snake_case name: `unreachable`, `timed_out`, `tls`, `authentication`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnsupportedTarget => "unsupported_target",
            ErrorKind::LocalFile => "local_file",
            ErrorKind::Lite => "lite",
            ErrorKind::Setup => "setup",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::TimedOut => "timed_out",
            ErrorKind::Tls => "tls",
            ErrorKind::Authentication => "authentication",
            ErrorKind::ServerStatus => "server_status",
            ErrorKind::Unimplemented => "unimplemented",
            ErrorKind::Rpc => "rpc",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::InvalidArgument => "invalid_argument",
        }
    }
}

/// What a TLS file should hold (see [`Error::FileNotPem`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PemKind {
    /// A certificate (`-----BEGIN CERTIFICATE-----`).
    Certificate,
    /// A private key (PKCS#8, PKCS#1 or SEC1).
    PrivateKey,
}

impl PemKind {
    /// `certificate` or `private key`.
    pub fn as_str(self) -> &'static str {
        match self {
            PemKind::Certificate => "certificate",
            PemKind::PrivateKey => "private key",
        }
    }
}

/// The setting that names a TLS file, as pymilvus names the argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsFileField {
    /// `server_pem_path`: the server's certificate (or its CA), trusted for one-way TLS.
    ServerPemPath,
    /// `ca_pem_path`: the CA that signed the server's certificate.
    CaPemPath,
    /// `client_pem_path`: the client certificate (chain), for mutual TLS.
    ClientPemPath,
    /// `client_key_path`: the client's private key, for mutual TLS.
    ClientKeyPath,
}

impl TlsFileField {
    /// The setting's name: `server_pem_path`, `ca_pem_path`, `client_pem_path` or
    /// `client_key_path`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsFileField::ServerPemPath => "server_pem_path",
            TlsFileField::CaPemPath => "ca_pem_path",
            TlsFileField::ClientPemPath => "client_pem_path",
            TlsFileField::ClientKeyPath => "client_key_path",
        }
    }
}

/// Why a TLS handshake failed, read from the rustls error (and, for alerts the server
/// sent, from whether this client offered a certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The server's certificate does not chain to a trusted root: wrong or missing
    /// `server_pem_path`/`ca_pem_path`, or a self-signed server.
    UntrustedCertificate,
    /// The server's certificate is valid but not for the name checked (the host, or
    /// `server_name`).
    NameMismatch,
    /// The server's certificate has expired or is not yet valid.
    CertificateExpired,
    /// The server requires a client certificate and none was given (mutual TLS needs
    /// `client_pem_path` and `client_key_path`).
    ClientCertificateRequired,
    /// The server refused the client certificate that was sent (not signed by a CA it
    /// trusts, expired, revoked).
    ClientCertificateRejected,
    /// The server does not speak TLS (for example a plaintext Milvus port).
    NotTls,
    /// The connection is plaintext, and the server wants TLS at this address: it closed
    /// the connection, and it answers a TLS ClientHello. Use `https://` or `secure=true`
    /// (with the CA as `ca_pem_path` if the server's certificate is private).
    ServerRequiresTls,
    /// The server accepted TLS but did not agree on HTTP/2 (ALPN `h2`).
    NoHttp2,
    /// Another TLS failure; the source says which.
    Other,
}

impl TlsProblem {
    /// A short snake_case name: `untrusted_certificate`, `name_mismatch`, …
    pub fn as_str(self) -> &'static str {
        match self {
            TlsProblem::UntrustedCertificate => "untrusted_certificate",
            TlsProblem::NameMismatch => "name_mismatch",
            TlsProblem::CertificateExpired => "certificate_expired",
            TlsProblem::ClientCertificateRequired => "client_certificate_required",
            TlsProblem::ClientCertificateRejected => "client_certificate_rejected",
            TlsProblem::NotTls => "not_tls",
            TlsProblem::ServerRequiresTls => "server_requires_tls",
            TlsProblem::NoHttp2 => "no_http2",
            TlsProblem::Other => "other",
        }
    }
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TlsProblem::UntrustedCertificate => {
                "the server's certificate is not trusted; give the CA that signed it as ca_pem_path (or server_pem_path)"
            }
            TlsProblem::NameMismatch => {
                "the server's certificate is not valid for the name checked; connect by a name the certificate lists, or set server_name"
            }
            TlsProblem::CertificateExpired => {
                "the server's certificate has expired or is not yet valid"
            }
            TlsProblem::ClientCertificateRequired => {
                "the server requires a client certificate; give client_pem_path and client_key_path"
            }
            TlsProblem::ClientCertificateRejected => "the server rejected the client certificate",
            TlsProblem::NotTls => "the server does not speak tls at this address",
            TlsProblem::ServerRequiresTls => {
                "the server requires tls at this address and this connection is plaintext; use https:// or secure=true"
            }
            TlsProblem::NoHttp2 => "the server did not negotiate http/2 (alpn h2)",
            TlsProblem::Other => "handshake failed",
        })
    }
}

/// `Display` as [`as_str`](ErrorKind::as_str), honouring width and fill (`{:>12}`).
macro_rules! display_as_str {
    ($($kind:ty),*) => {$(
        impl fmt::Display for $kind {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }
    )*};
}
display_as_str!(ErrorKind, PemKind, TlsFileField);
