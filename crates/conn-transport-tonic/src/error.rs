//! The one error type of this crate, and the classification of what tonic, hyper and rustls
//! report into it.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A boxed error from below (tonic, hyper, rustls, the OS), kept as the `source`.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why connecting to Milvus, or a call on a connection, failed.
///
/// Every variant is one class of failure ([`Error::kind`]); messages are lower-case, name
/// the address (and the timeout where one applies) and never contain a password, token,
/// `authorization` value or key material. The cause from below, when there is one, is the
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
    #[error("{field} file {} is {kind}, not a regular file", path.display())]
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

    /// The server did not complete a step (TCP/TLS connect, the `Connect` handshake, a call)
    /// within the timeout.
    #[error(
        "milvus at {address} did not complete {step} within {}",
        humantime::format_duration(*timeout)
    )]
    #[non_exhaustive]
    TimedOut {
        /// The target address.
        address: String,
        /// The step: `"connect"`, `"Connect"`, `"GetVersion"`, `"CheckHealth"`.
        step: &'static str,
        /// The timeout that ran out.
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
    #[error("milvus at {address} rejected the credentials on {rpc}: {message}")]
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
    #[error("milvus at {address} refused {rpc} with status code {code}: {reason}")]
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

    /// Any other gRPC failure of a call.
    #[error("{rpc} to {address} failed with grpc status {code:?}")]
    #[non_exhaustive]
    Rpc {
        /// The target address.
        address: String,
        /// The call.
        rpc: &'static str,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status, with its message and its own source.
        #[source]
        source: BoxError,
    },
}

/// The last lines of a Milvus Lite server's output in an [`Error::Lite`] message: at most
/// [`LITE_MESSAGE_LINES`], after a line of its own; nothing for no output.
struct LastLines<'a>(&'a str);

/// The most lines of a Milvus Lite server's output shown in an [`Error::Lite`] message
/// (the `output` field has more).
const LITE_MESSAGE_LINES: usize = 8;

impl fmt::Display for LastLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<&str> = self.0.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return Ok(());
        }
        f.write_str("; its last output:")?;
        for line in &lines[lines.len().saturating_sub(LITE_MESSAGE_LINES)..] {
            write!(f, "\n  | {line}")?;
        }
        Ok(())
    }
}

/// The most bytes of a Milvus Lite server's output kept for [`Error::Lite`] (its last
/// lines).
pub const LITE_OUTPUT_TAIL: usize = 4096;

/// Why the Milvus Lite server of a `.db` target could not be started ([`Error::Lite`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LiteProblem {
    /// Neither `MILVUS_LITE_BIN`, nor `milvus-lite` on `PATH`, nor `python3 -m milvus_lite`
    /// could run Milvus Lite (or the executable named does not exist).
    NotInstalled,
    /// The directory that would hold the `.db` data directory does not exist (pymilvus
    /// refuses it too).
    ParentMissing,
    /// The `.db` path exists and is not a directory (Milvus Lite 3 keeps a directory there;
    /// a file is likely a milvus-lite 2 database).
    NotADirectory,
    /// Another process holds the lock of the data directory (a Milvus Lite server, or a
    /// pymilvus program using the same `.db`).
    Locked,
    /// The server did not answer `CheckHealth` within the spec's timeout.
    NotHealthy,
    /// The server exited while starting, for another reason (see the output).
    Exited,
    /// The process could not be started (the operating system refused).
    Spawn,
    /// TLS settings were given for a `.db` target: Milvus Lite serves plaintext gRPC on
    /// loopback only, so they are refused rather than ignored.
    TlsNotSupported,
    /// [`Connector::connect_lazy`](crate::Connector::connect_lazy) cannot start a server
    /// (that is a child process and seconds of waiting); use
    /// [`Connector::connect`](crate::Connector::connect).
    Lazy,
}

impl fmt::Display for LiteProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            LiteProblem::NotInstalled => {
                "milvus lite is not installed; install the python package milvus-lite (pip install milvus-lite) or set MILVUS_LITE_BIN to its milvus-lite executable"
            }
            LiteProblem::ParentMissing => "the directory holding it does not exist",
            LiteProblem::NotADirectory => {
                "it exists and is not a directory (milvus lite 3 keeps a directory there; a file is likely a milvus-lite 2 database)"
            }
            LiteProblem::Locked => {
                "another process holds its lock (a milvus lite server or a pymilvus program using the same .db)"
            }
            LiteProblem::NotHealthy => "the server did not answer CheckHealth in time",
            LiteProblem::Exited => "the server exited while starting",
            LiteProblem::Spawn => "the process could not be started",
            LiteProblem::TlsNotSupported => {
                "milvus lite serves plaintext grpc on loopback only; remove the tls settings (secure, ca/server/client pem paths, server name) for a .db target"
            }
            LiteProblem::Lazy => {
                "connect_lazy does not start a milvus lite server (a child process, seconds of start-up); use connect"
            }
        })
    }
}

impl LiteProblem {
    /// A short snake_case name: `not_installed`, `parent_missing`, `locked`, …
    pub fn as_str(self) -> &'static str {
        match self {
            LiteProblem::NotInstalled => "not_installed",
            LiteProblem::ParentMissing => "parent_missing",
            LiteProblem::NotADirectory => "not_a_directory",
            LiteProblem::Locked => "locked",
            LiteProblem::NotHealthy => "not_healthy",
            LiteProblem::Exited => "exited",
            LiteProblem::Spawn => "spawn",
            LiteProblem::TlsNotSupported => "tls_not_supported",
            LiteProblem::Lazy => "lazy",
        }
    }
}

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
    /// [`LiteProblem`] says why. Not transient.
    Lite,
    /// [`Error::TlsUnavailable`], [`Error::InvalidAddress`] and [`Error::NoRuntime`]: this build or process cannot do
    /// what the spec asks.
    Setup,
    /// [`Error::Unreachable`].
    Unreachable,
    /// [`Error::TimedOut`].
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
    /// gRPC `RESOURCE_EXHAUSTED`. Transient (pymilvus retries it with back-off).
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

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Error {
    /// The class of this error.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::ErrorKind;
    /// let spec = conn_config::ConnectArgs::new().uri("https://h:1").ca_pem_path("/nonexistent.pem").resolve_isolated()?;
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

    /// Whether trying again later may help: unreachable, timed out, unavailable, rate
    /// limited, a server status the server marked `retriable`, or gRPC `ABORTED`. Never
    /// for a configuration mistake (TLS, authentication, local files, a wrong port).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = conn_config::ConnectArgs::new().uri("http://h:19530").resolve_isolated()?;
    /// let connection = conn_transport_tonic::connect_lazy(&spec)?;
    /// let rate_limited = connection
    ///     .check_status("Insert", 8, 49, "rate limit exceeded", false)
    ///     .unwrap_err();
    /// assert!(rate_limited.is_transient());
    /// # Ok(()) }
    /// ```
    pub fn is_transient(&self) -> bool {
        match self.kind() {
            ErrorKind::Unreachable
            | ErrorKind::TimedOut
            | ErrorKind::Unavailable
            | ErrorKind::RateLimited => true,
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

    /// A copy of this error with the same variant, fields and rendered source chain; the
    /// sources are kept as text (they cannot be cloned), so they no longer downcast. For
    /// callers that share one failure.
    pub(crate) fn replicate(&self) -> Error {
        let text = |e: &BoxError| -> BoxError { Box::new(SourceText::of(&**e)) };
        match self {
            Error::UnsupportedTarget { target } => Error::UnsupportedTarget {
                target: target.clone(),
            },
            Error::Lite {
                data_dir,
                problem,
                detail,
                output,
            } => Error::Lite {
                data_dir: data_dir.clone(),
                problem: *problem,
                detail: detail.clone(),
                output: output.clone(),
            },
            Error::FileUnreadable {
                field,
                path,
                source,
            } => Error::FileUnreadable {
                field: *field,
                path: path.clone(),
                source: std::io::Error::new(source.kind(), SourceText::of(source)),
            },
            Error::FileNotRegular { field, path, kind } => Error::FileNotRegular {
                field: *field,
                path: path.clone(),
                kind: *kind,
            },
            Error::FileTooLarge { field, path, limit } => Error::FileTooLarge {
                field: *field,
                path: path.clone(),
                limit: *limit,
            },
            Error::FileReadTimedOut {
                field,
                path,
                timeout,
            } => Error::FileReadTimedOut {
                field: *field,
                path: path.clone(),
                timeout: *timeout,
            },
            Error::FileNotPem {
                field,
                path,
                expected,
            } => Error::FileNotPem {
                field: *field,
                path: path.clone(),
                expected: *expected,
            },
            Error::ClientIdentity { cert, key, source } => Error::ClientIdentity {
                cert: cert.clone(),
                key: key.clone(),
                source: text(source),
            },
            Error::TlsUnavailable {
                address,
                reason,
                source,
            } => Error::TlsUnavailable {
                address: address.clone(),
                reason: reason.clone(),
                source: source.as_ref().map(text),
            },
            Error::InvalidAddress { address, source } => Error::InvalidAddress {
                address: address.clone(),
                source: text(source),
            },
            Error::NoRuntime => Error::NoRuntime,
            Error::Unreachable {
                address,
                timeout,
                source,
            } => Error::Unreachable {
                address: address.clone(),
                timeout: *timeout,
                source: text(source),
            },
            Error::TimedOut {
                address,
                step,
                timeout,
            } => Error::TimedOut {
                address: address.clone(),
                step,
                timeout: *timeout,
            },
            Error::Tls {
                address,
                problem,
                source,
            } => Error::Tls {
                address: address.clone(),
                problem: *problem,
                source: text(source),
            },
            Error::Authentication {
                address,
                rpc,
                message,
            } => Error::Authentication {
                address: address.clone(),
                rpc,
                message: message.clone(),
            },
            Error::ServerStatus {
                address,
                rpc,
                code,
                error_code,
                reason,
                retriable,
            } => Error::ServerStatus {
                address: address.clone(),
                rpc,
                code: *code,
                error_code: *error_code,
                reason: reason.clone(),
                retriable: *retriable,
            },
            Error::Unimplemented {
                address,
                rpc,
                message,
            } => Error::Unimplemented {
                address: address.clone(),
                rpc,
                message: message.clone(),
            },
            Error::Rpc {
                address,
                rpc,
                code,
                source,
            } => Error::Rpc {
                address: address.clone(),
                rpc,
                code: *code,
                source: text(source),
            },
        }
    }
}

/// `error: source: source…`: the error's `Display`, then each `source()`'s.
fn render_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

/// A source error kept as its text, with its own sources (as text) behind it.
#[derive(Debug)]
struct SourceText {
    text: String,
    source: Option<Box<SourceText>>,
}

impl SourceText {
    /// The chain of `err` (it and its sources) as text, each error once: a text that an
    /// error before it already contains (tonic, hyper and the OS often say the same thing
    /// twice, "tcp connect error" over "tcp connect error") is left out, as is an empty one.
    fn of(err: &(dyn StdError + 'static)) -> SourceText {
        let mut texts: Vec<String> = Vec::new();
        let mut next = Some(err);
        while let Some(e) = next {
            let text = e.to_string();
            if !text.is_empty() && !texts.iter().any(|kept| kept.contains(&text)) {
                texts.push(text);
            }
            next = e.source();
        }
        let mut chain: Option<Box<SourceText>> = None;
        for text in texts.into_iter().rev() {
            chain = Some(Box::new(SourceText {
                text,
                source: chain,
            }));
        }
        chain.map_or_else(
            || SourceText {
                text: err.to_string(),
                source: None,
            },
            |first| *first,
        )
    }
}

/// A source from below (tonic, hyper, rustls, the OS) as this crate keeps it in an [`Error`]:
/// its chain as text, without repetitions (see [`SourceText::of`]). Classification reads the
/// original chain before this.
pub(crate) fn cause(err: BoxError) -> BoxError {
    Box::new(SourceText::of(&*err))
}

impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl StdError for SourceText {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// The class of a gRPC code the server sent (a status tonic made from a failed connection
/// is classified by [`classify`], from its source).
fn grpc_kind(code: tonic::Code) -> ErrorKind {
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
/// | `DEADLINE_EXCEEDED` (and tonic's own `grpc-timeout` expiry) | `timed_out` |
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
    Ctx::detached().status(status.clone(), "").kind()
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

impl fmt::Display for PemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
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

impl fmt::Display for TlsFileField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What a file that should be a regular file is instead (see [`Error::FileNotRegular`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A character device, such as `/dev/zero` or a terminal.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A Unix domain socket.
    Socket,
    /// Anything else that is not a regular file.
    Other,
}

impl FileKind {
    /// The kind of a file of type `t`; `None` for a regular file.
    pub(crate) fn of(t: std::fs::FileType) -> Option<FileKind> {
        if t.is_file() {
            return None;
        }
        if t.is_dir() {
            return Some(FileKind::Directory);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if t.is_fifo() {
                return Some(FileKind::Fifo);
            }
            if t.is_char_device() {
                return Some(FileKind::CharDevice);
            }
            if t.is_block_device() {
                return Some(FileKind::BlockDevice);
            }
            if t.is_socket() {
                return Some(FileKind::Socket);
            }
        }
        Some(FileKind::Other)
    }

    /// A short snake_case name: `directory`, `fifo`, `char_device`, `block_device`,
    /// `socket`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Directory => "directory",
            FileKind::Fifo => "fifo",
            FileKind::CharDevice => "char_device",
            FileKind::BlockDevice => "block_device",
            FileKind::Socket => "socket",
            FileKind::Other => "other",
        }
    }
}

/// In words, with an article: `a directory`, `a fifo (named pipe)`, …
impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a fifo (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "a special file",
        })
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
    fn detached() -> Ctx {
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

    /// Classifies a failed gRPC call.
    pub(crate) fn status(&self, status: tonic::Status, rpc: &'static str) -> Error {
        use tonic::Code;
        // The lazy handshake's failure, which the service attached to the call's status.
        if let Some(attached) = Error::attached_to(&status) {
            return attached.replicate();
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
            Code::DeadlineExceeded => self.timed_out(rpc),
            // tonic enforces the request's own timeout (grpc-timeout) on the client side too.
            Code::Cancelled if chain(&status).any(|e| e.is::<tonic::TimeoutExpired>()) => {
                self.timed_out(rpc)
            }
            code => {
                let below = status_has_transport_source(&status);
                let tls = tls_problem(&status, self.client_cert);
                // A status tonic made from an error below gRPC (it has a source) means no
                // gRPC answer came back: the connection failed, whatever code tonic chose.
                if tls.is_some() || below {
                    self.network(Box::new(StatusError(status)), rpc)
                } else {
                    Error::Rpc {
                        address: self.address.clone(),
                        rpc,
                        code,
                        source: cause(Box::new(StatusError(status))),
                    }
                }
            }
        }
    }

    /// Turns a non-zero `common.Status` into [`Error::ServerStatus`].
    pub(crate) fn check(
        &self,
        status: Option<&crate::proto::common::Status>,
        rpc: &'static str,
    ) -> Result<(), Error> {
        match status {
            Some(s) => self.check_fields(rpc, s.code, s.error_code, &s.reason, s.retriable),
            None => Ok(()),
        }
    }

    /// [`Ctx::check`] on the fields of any generated `common.Status`.
    pub(crate) fn check_fields(
        &self,
        rpc: &'static str,
        code: i32,
        error_code: i32,
        reason: &str,
        retriable: bool,
    ) -> Result<(), Error> {
        if code == 0 && error_code == 0 {
            return Ok(());
        }
        Err(Error::ServerStatus {
            address: self.address.clone(),
            rpc,
            code: if code != 0 { code } else { error_code },
            error_code,
            reason: reason.to_owned(),
            retriable,
        })
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
            f.write_str(self.0.message())
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

/// Every error in the chain, looking inside `io::Error`s (whose `source()` skips the error
/// they wrap).
fn chain<'a>(
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
fn tls_problem(err: &(dyn StdError + 'static), client_cert: bool) -> Option<TlsProblem> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::{ErrorKind as K, classify, classify_milvus};
    use tonic::{Code, Status};

    /// Milvus statuses, by `code` and legacy `error_code`, each row with its class and
    /// whether a retry may help (through `Ctx::check_fields` and `Error::is_transient`).
    #[test]
    fn milvus_statuses_are_classed_by_code_then_legacy_error_code() {
        let ctx = super::Ctx::detached();
        #[rustfmt::skip]
        let rows: &[(i32, i32, bool, Option<K>, bool)] = &[
            // code, error_code, retriable flag, class, transient
            (0, 0, false, None, false),
            (1, 56, true, Some(K::Unavailable), true),      // ServiceNotReady / NotReadyServe
            (2, 1, false, Some(K::Unavailable), true),      // ServiceUnavailable
            (0, 56, false, Some(K::Unavailable), true),     // a 2.2 server: NotReadyServe only
            (0, 57, false, Some(K::Unavailable), true),     // NotReadyCoordActivating
            (8, 49, false, Some(K::RateLimited), true),     // ServiceRateLimit / RateLimit
            (0, 49, false, Some(K::RateLimited), true),
            (4, 1, true, Some(K::RateLimited), true),       // ServiceRequestLimitExceeded
            (9, 48, false, Some(K::ServerStatus), false),   // ServiceForceDeny / ForceDeny
            (10, 1, false, Some(K::Unimplemented), false),
            (1100, 5, false, Some(K::InvalidArgument), false),
            (0, 5, false, Some(K::InvalidArgument), false),
            (1400, 1, false, Some(K::Authentication), false),
            (1401, 3, false, Some(K::PermissionDenied), false),
            (0, 3, false, Some(K::PermissionDenied), false),
            (800, 1, false, Some(K::ServerStatus), false),  // database not found
            (100, 4, false, Some(K::ServerStatus), false),  // collection not found
            (100, 4, true, Some(K::ServerStatus), true),    // ... marked retriable
            (65535, 1, false, Some(K::ServerStatus), false),
        ];
        for &(code, error_code, retriable, class, transient) in rows {
            let row = format!("code {code}, error_code {error_code}, retriable {retriable}");
            assert_eq!(classify_milvus(code, error_code), class, "{row}");
            match ctx.check_fields("Search", code, error_code, "r", retriable) {
                Ok(()) => assert_eq!(class, None, "{row}"),
                Err(e) => {
                    assert_eq!(Some(e.kind()), class, "{row}");
                    assert_eq!(e.is_transient(), transient, "{row}");
                }
            }
        }
    }

    /// gRPC statuses the server sent (no source): class and whether a retry may help.
    #[test]
    fn grpc_statuses_are_classed_by_code() {
        let ctx = super::Ctx::detached();
        let rows = [
            (Code::Unauthenticated, K::Authentication, false),
            (Code::PermissionDenied, K::PermissionDenied, false),
            (Code::InvalidArgument, K::InvalidArgument, false),
            (Code::Unimplemented, K::Unimplemented, false),
            (Code::DeadlineExceeded, K::TimedOut, true),
            (Code::Unavailable, K::Unavailable, true),
            (Code::ResourceExhausted, K::RateLimited, true),
            (Code::Aborted, K::Rpc, true),
            (Code::NotFound, K::Rpc, false),
            (Code::Internal, K::Rpc, false),
            (Code::Unknown, K::Rpc, false),
        ];
        for (code, class, transient) in rows {
            let status = Status::new(code, "m");
            assert_eq!(classify(&status), class, "{code:?}");
            let e = ctx.status(status, "Search");
            assert_eq!(e.kind(), class, "{code:?}");
            assert_eq!(e.is_transient(), transient, "{code:?}");
        }
    }

    /// A status tonic made from a failed connection (it has a source) is unreachable,
    /// whatever its code.
    #[test]
    fn a_status_made_from_a_connection_failure_is_unreachable() {
        let mut status = Status::new(Code::Unknown, "transport error");
        status.set_source(std::sync::Arc::new(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection reset",
        )));
        assert_eq!(classify(&status), K::Unreachable);
    }
}
