//! The one error type of this crate, and the classification of what tonic, hyper and rustls
//! report into it.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Error`] and its public methods |
//! | `kinds.rs` | the small public enums: [`ErrorKind`], [`PemKind`], [`TlsFileField`], [`TlsProblem`] |
//! | `classify.rs` | [`classify`], [`classify_milvus`], and reading TLS failures out of an error chain |
//! | `context.rs` | `Ctx`: the classifier for one connection (network errors, statuses, `common.Status`) |
//! | `source.rs` | the source chain kept as text; [`Error`]'s copy for callers that share a failure |

use std::error::Error as StdError;
use std::path::PathBuf;
use std::time::Duration;

/// A boxed error from below (tonic, hyper, rustls, the OS), kept as the `source`.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

mod classify;
mod context;
mod kinds;
mod lite;
mod source;
#[cfg(test)]
mod tests;

use classify::grpc_kind;
pub use classify::{classify, classify_milvus};
pub(crate) use context::{CallTimedOut, Ctx};
pub use kinds::{ErrorKind, PemKind, TlsFileField, TlsProblem};
use lite::LastLines;
pub use lite::{LITE_OUTPUT_TAIL, LiteProblem};
pub(crate) use source::cause;
use source::{Escaped, render_chain};

pub use conn_config::file::FileKind;

/// Why connecting to Milvus, or a call on a connection, failed.
///
/// Every variant is one class of failure ([`Error::kind`]); messages are lower-case, name
/// the address (and the timeout where one applies) and never contain a password, token,
/// `authorization` value or key material. Text from the server (a status's reason or
/// message, a Milvus Lite server's output) is shown with its control characters escaped
/// (`\n`, `\u{1b}`): it cannot forge a log line or drive a terminal. The cause from below, when there is one, is the
/// [`source`](std::error::Error::source) and is not repeated in the message.
///
/// A cause from below (tonic, hyper, rustls, the OS) is kept as its text, one error per
/// layer that said something new: those layers often repeat each other ("tcp connect error"
/// over "tcp connect error"), so the chain is rendered without repetitions. Classification
/// reads the original errors first; to tell classes apart, use [`Error::kind`], not the
/// source's type.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target is a milvus-lite database file (`./milvus.db`), and this build cannot start
    /// Milvus Lite: the `lite` feature is off (or not on Unix).
    #[error(
        "{target} is a milvus-lite database file; this build connects only to a Milvus gRPC server (tcp or unix socket): enable the lite feature of conn-transport-tonic to start milvus lite"
    )]
    #[non_exhaustive]
    UnsupportedTarget {
        /// The `.db` path, as the spec holds it.
        target: String,
    },

    /// A milvus-lite `.db` target: the local Milvus Lite server could not be started (or
    /// reused) for its data directory; [`LiteProblem`] says why. `output` holds the last
    /// lines the server printed (at most [`LITE_OUTPUT_TAIL`] bytes), when it printed
    /// anything: Milvus Lite is given no credentials, so it cannot print any.
    #[error(
        "cannot start milvus lite for {}: {problem}{}{}{}",
        data_dir.display(),
        if detail.is_empty() { "" } else { ": " },
        detail,
        LastLines(output),
    )]
    #[non_exhaustive]
    Lite {
        /// The data directory: the `.db` path made absolute.
        data_dir: PathBuf,
        /// What went wrong.
        problem: LiteProblem,
        /// The specifics: the executable tried, the timeout, the exit status.
        detail: String,
        /// The tail of the server's output (stdout and stderr), possibly empty.
        output: String,
    },

    /// A TLS file named in the spec cannot be read. Found before any network I/O.
    #[error("cannot read {field} file {}", path.display())]
    #[non_exhaustive]
    FileUnreadable {
        /// The setting that names the file.
        field: TlsFileField,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },

    /// A TLS file named in the spec is not a regular file (a directory, a FIFO, a device, a
    /// socket). Found before the file is read (a FIFO is never opened for a blocking read) and
    /// before any network I/O.
    #[error("{field} file {} is a {kind}, not a regular file", path.display())]
    #[non_exhaustive]
    FileNotRegular {
        /// The setting that names the file.
        field: TlsFileField,
        /// The file.
        path: PathBuf,
        /// What it is instead.
        kind: FileKind,
    },

    /// A TLS file named in the spec is larger than [`MAX_TLS_FILE_SIZE`](crate::MAX_TLS_FILE_SIZE)
    /// (4 MiB). At most one byte over the limit is read. Found before any network I/O.
    #[error("{field} file {} is larger than {} (the limit for a tls file)", path.display(), size_text(*limit))]
    #[non_exhaustive]
    FileTooLarge {
        /// The setting that names the file.
        field: TlsFileField,
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },

    /// Reading the TLS files took longer than the spec's timeout (a slow or hung file
    /// system); `field` and `path` name the file being read when the time ran out. The
    /// connect gave up at its deadline; nothing was sent.
    #[error(
        "{field} file {} was not read within the timeout of {}",
        path.display(),
        humantime::format_duration(*timeout)
    )]
    #[non_exhaustive]
    FileReadTimedOut {
        /// The setting that names the file.
        field: TlsFileField,
        /// The file.
        path: PathBuf,
        /// The timeout that ran out.
        timeout: Duration,
    },

    /// A TLS file named in the spec holds no PEM certificate or private key. Found before any
    /// network I/O. The file's contents are never shown.
    #[error("{field} file {} holds no valid PEM {expected}", path.display())]
    #[non_exhaustive]
    FileNotPem {
        /// The setting that names the file.
        field: TlsFileField,
        /// The file.
        path: PathBuf,
        /// A certificate or a private key.
        expected: PemKind,
    },

    /// The client certificate and private key were each readable but rustls refused them
    /// together (a key that does not belong to the certificate, an unsupported key type).
    /// Found before any network I/O.
    #[error(
        "client certificate {} and private key {} cannot be used together",
        cert.display(),
        key.display()
    )]
    #[non_exhaustive]
    ClientIdentity {
        /// The `client_pem_path` file.
        cert: PathBuf,
        /// The `client_key_path` file.
        key: PathBuf,
        /// What rustls said (it never includes key material).
        #[source]
        source: BoxError,
    },

    /// The spec asks for TLS in a way this build cannot do (no TLS backend or no platform
    /// root store compiled in), or tonic refused the TLS set-up.
    #[error("tls is not available for {address}: {reason}")]
    #[non_exhaustive]
    TlsUnavailable {
        /// The target address.
        address: String,
        /// What is missing, naming the cargo feature to turn on.
        reason: String,
        /// What tonic said, if it refused the set-up.
        #[source]
        source: Option<BoxError>,
    },

    /// The target could not be written as an HTTP/2 URI authority (should not happen for a
    /// resolved spec).
    #[error("cannot make a grpc uri for {address}")]
    #[non_exhaustive]
    InvalidAddress {
        /// The target address.
        address: String,
        /// What the `http` crate said.
        #[source]
        source: BoxError,
    },

    /// No Tokio runtime is running; connecting (even lazily) needs one.
    #[error("no tokio runtime is running; connect from within a tokio runtime")]
    NoRuntime,

    /// Nothing answered at the address: connection refused, no route, name not resolved,
    /// socket file missing, connection reset, or the peer closed the connection (for
    /// example a plaintext client at a TLS-only port).
    #[error("cannot reach milvus at {address} (timeout {})", humantime::format_duration(*timeout))]
    #[non_exhaustive]
    Unreachable {
        /// The target address.
        address: String,
        /// The connect timeout in force.
        timeout: Duration,
        /// What the network stack said.
        #[source]
        source: BoxError,
    },

    /// A step did not complete within a time-out this client set, and the message names
    /// that time-out: connecting and the `Connect` handshake (the spec's timeout), this
    /// crate's `GetVersion` and `CheckHealth` (the spec's timeout), a call an SDK made
    /// through [`MilvusConnection::service`](crate::MilvusConnection::service) (its own
    /// `grpc-timeout`, else [`CallDefaults::timeout`](crate::CallDefaults::timeout)), or a
    /// [`RetryPolicy::call`](crate::retry::RetryPolicy::call) whose deadline or budget ran out.
    ///
    /// Reads `milvus at 127.0.0.1:19530 did not complete Search within 150ms`; for the
    /// connection itself, `... did not complete the connection (tcp, tls, http/2) within 10s`.
    /// A `DEADLINE_EXCEEDED` the server sent (a deadline of its own) is an [`Error::Rpc`],
    /// also of class [`ErrorKind::TimedOut`].
    #[error(
        "milvus at {address} did not complete {} within {}",
        StepText(step),
        humantime::format_duration(*timeout)
    )]
    #[non_exhaustive]
    TimedOut {
        /// The target address.
        address: String,
        /// What did not complete: `"connect"` (the connection: TCP, TLS, HTTP/2), or the
        /// name of a call: `"Connect"` (the handshake), `"GetVersion"`, `"CheckHealth"`, or
        /// the `rpc` an SDK passed to
        /// [`error_from_status`](crate::MilvusConnection::error_from_status) or
        /// [`RetryPolicy::call`](crate::retry::RetryPolicy::call) (`"Search"`, ...).
        step: &'static str,
        /// The time-out that ran out. For a [`RetryPolicy::call`](crate::retry::RetryPolicy::call)
        /// stopped by its deadline: the time from its first attempt to the deadline.
        timeout: Duration,
    },

    /// The TLS handshake failed; [`TlsProblem`] says why, read from the rustls error.
    #[error("tls with {address} failed: {problem}")]
    #[non_exhaustive]
    Tls {
        /// The target address.
        address: String,
        /// What went wrong.
        problem: TlsProblem,
        /// The rustls (or hyper) error.
        #[source]
        source: BoxError,
    },

    /// The server refused the credentials (gRPC `UNAUTHENTICATED`): a wrong user, password
    /// or token, or none given to a server that requires one.
    #[error(
        "milvus at {address} rejected the credentials on {rpc}: {}",
        Escaped(message)
    )]
    #[non_exhaustive]
    Authentication {
        /// The target address.
        address: String,
        /// The call that was refused.
        rpc: &'static str,
        /// The server's message, e.g. `auth check failure, please check username and
        /// password are correct`.
        message: String,
    },

    /// The call reached Milvus, which answered with a non-zero `common.Status` (for example
    /// code 800 `database not found[database=nope]` on `Connect`).
    #[error(
        "milvus at {address} refused {rpc} with status code {code}: {}",
        Escaped(reason)
    )]
    #[non_exhaustive]
    ServerStatus {
        /// The target address.
        address: String,
        /// The call.
        rpc: &'static str,
        /// `Status.code` (or the legacy `Status.error_code` when `code` is 0).
        code: i32,
        /// The legacy `Status.error_code`.
        error_code: i32,
        /// `Status.reason`.
        reason: String,
        /// `Status.retriable`.
        retriable: bool,
    },

    /// The server does not implement the call (gRPC `UNIMPLEMENTED`, or an HTTP/2 404): the
    /// address is not a Milvus gRPC port (an HTTP/REST port, another gRPC service), or the
    /// server is too old for this call.
    #[error(
        "{address} does not implement {rpc}: not a milvus grpc port (default 19530), or a server too old for this client"
    )]
    #[non_exhaustive]
    Unimplemented {
        /// The target address.
        address: String,
        /// The call.
        rpc: &'static str,
        /// The server's message.
        message: String,
    },

    /// Any other gRPC failure of a call: a status the server sent, classed by its code
    /// (`UNAVAILABLE` is [`ErrorKind::Unavailable`], `DEADLINE_EXCEEDED`
    /// [`ErrorKind::TimedOut`], ...: see [`classify`]). A time-out tonic enforced of a
    /// length this client was not told (a request sent on the bare
    /// [`channel`](crate::MilvusConnection::channel)) is here too, as `DEADLINE_EXCEEDED`.
    #[error("{rpc} to {address} failed with grpc status {code:?}")]
    #[non_exhaustive]
    Rpc {
        /// The target address.
        address: String,
        /// The call.
        rpc: &'static str,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status's message, as the server sent it (for example `collection not
        /// loaded`); empty when it sent none. The source shows it too, escaped.
        message: String,
        /// The status, with its message and its own source.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// The class of this error.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::ErrorKind;
    /// let spec = conn_config::ConnectArgs::new().uri("https://h:1").ca_pem_path("/nonexistent.pem").resolve_isolated()?;
    /// // connect_lazy needs a runtime (it checks for one before it reads any file).
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let _in_runtime = runtime.enter();
    /// let e = conn_transport_tonic::connect_lazy(&spec).unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::LocalFile);
    /// assert_eq!(e.kind().as_str(), "local_file");
    /// # Ok(()) }
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnsupportedTarget { .. } => ErrorKind::UnsupportedTarget,
            Error::Lite { .. } => ErrorKind::Lite,
            Error::FileUnreadable { .. }
            | Error::FileNotRegular { .. }
            | Error::FileTooLarge { .. }
            | Error::FileReadTimedOut { .. }
            | Error::FileNotPem { .. }
            | Error::ClientIdentity { .. } => ErrorKind::LocalFile,
            Error::TlsUnavailable { .. } | Error::InvalidAddress { .. } | Error::NoRuntime => {
                ErrorKind::Setup
            }
            Error::Unreachable { .. } => ErrorKind::Unreachable,
            Error::TimedOut { .. } => ErrorKind::TimedOut,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Authentication { .. } => ErrorKind::Authentication,
            // `code` holds the legacy `error_code` when the server sent no `code`.
            Error::ServerStatus {
                code, error_code, ..
            } => classify_milvus(if code == error_code { 0 } else { *code }, *error_code)
                .unwrap_or(ErrorKind::ServerStatus),
            Error::Unimplemented { .. } => ErrorKind::Unimplemented,
            Error::Rpc { code, .. } => grpc_kind(*code),
        }
    }

    /// Whether trying again later may help: the classes `unreachable`, `timed_out` and
    /// `unavailable`; `rate_limited` from a Milvus status (code 8 or 4, legacy 49); a server
    /// status the server marked `retriable`; gRPC `ABORTED`. Never for a configuration
    /// mistake (TLS, authentication, local files, a wrong port), and not for gRPC's own
    /// `RESOURCE_EXHAUSTED` (class `rate_limited` too): a Go gRPC server such as Milvus
    /// sends it for a message over its size limit, which no retry fixes, and pymilvus does
    /// not retry it.
    ///
    /// This is what the error says about itself. [`RetryPolicy::should_retry`](crate::retry::RetryPolicy::should_retry)
    /// follows pymilvus's rules instead, and differs in two places on purpose: it retries
    /// `timed_out` only when asked (`retry_deadline_exceeded`; pymilvus never retries
    /// `DEADLINE_EXCEEDED`: the call may have been done, and a server too slow once is
    /// likely slow again), and it retries the class `rpc` (`UNKNOWN`, `INTERNAL`,
    /// `CANCELLED`, ...) but `ALREADY_EXISTS` and `OUT_OF_RANGE`, as pymilvus does, where
    /// this method says only `ABORTED` may heal. Elsewhere the two agree.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::{ErrorKind, tonic::Status};
    /// let spec = conn_config::ConnectArgs::new().uri("http://h:19530").resolve_isolated()?;
    /// let connection = conn_transport_tonic::connect_lazy(&spec)?;
    /// let rate_limited = connection
    ///     .check_status("Insert", 8, 49, "rate limit exceeded", false)
    ///     .unwrap_err();
    /// assert!(rate_limited.is_transient());
    /// let too_large = connection.error_from_status(
    ///     Status::resource_exhausted("grpc: received message larger than max (70000000 vs. 67108864)"),
    ///     "Insert",
    /// );
    /// assert_eq!(too_large.kind(), ErrorKind::RateLimited);
    /// assert!(!too_large.is_transient());
    /// # Ok(()) }
    /// ```
    pub fn is_transient(&self) -> bool {
        match self.kind() {
            ErrorKind::Unreachable | ErrorKind::TimedOut | ErrorKind::Unavailable => true,
            // A Milvus rate-limit status, not gRPC's own RESOURCE_EXHAUSTED.
            ErrorKind::RateLimited => !matches!(self, Error::Rpc { .. }),
            _ => match self {
                Error::ServerStatus { retriable, .. } => *retriable,
                Error::Rpc { code, .. } => *code == tonic::Code::Aborted,
                _ => false,
            },
        }
    }

    /// The classified error a [`MilvusService`](crate::MilvusService) attached to a status
    /// it failed a call with (the lazy handshake's failure), if `status` is one.
    ///
    /// ```
    /// let status = conn_transport_tonic::tonic::Status::unavailable("no handshake here");
    /// assert!(conn_transport_tonic::Error::attached_to(&status).is_none());
    /// ```
    pub fn attached_to(status: &tonic::Status) -> Option<&Error> {
        StdError::source(status)?.downcast_ref::<Error>()
    }

    /// The gRPC code a call fails with when this error stops it before it goes out (the
    /// lazy handshake failed): the code the handshake got where there was one.
    pub(crate) fn grpc_code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            Error::Authentication { .. } => Code::Unauthenticated,
            Error::Unimplemented { .. } => Code::Unimplemented,
            Error::TimedOut { .. } => Code::DeadlineExceeded,
            Error::Rpc { code, .. } => *code,
            Error::Unreachable { .. } | Error::Tls { .. } => Code::Unavailable,
            Error::ServerStatus { .. } => match self.kind() {
                ErrorKind::Unavailable => Code::Unavailable,
                ErrorKind::RateLimited => Code::ResourceExhausted,
                ErrorKind::PermissionDenied => Code::PermissionDenied,
                ErrorKind::InvalidArgument => Code::InvalidArgument,
                ErrorKind::Authentication => Code::Unauthenticated,
                ErrorKind::Unimplemented => Code::Unimplemented,
                _ => Code::Unknown,
            },
            _ => Code::Internal,
        }
    }

    /// This error as the `tonic::Status` a call fails with: the error's code
    /// ([`Error::grpc_code`]), its rendered chain as the message, and the error itself as
    /// the status's `source` (see [`Error::attached_to`]).
    pub(crate) fn into_status(self: std::sync::Arc<Error>) -> tonic::Status {
        let mut status = tonic::Status::new(self.grpc_code(), render_chain(&*self));
        status.set_source(self);
        status
    }
}

/// The step of an [`Error::TimedOut`] in its message: the connection, or the call by name
/// (`the call` for a call given no name).
struct StepText<'a>(&'a str);

impl std::fmt::Display for StepText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            "connect" => f.write_str("the connection (tcp, tls, http/2)"),
            "" => f.write_str("the call"),
            call => f.write_str(call),
        }
    }
}

/// `4 MiB` for a whole number of MiB, else the bytes.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
