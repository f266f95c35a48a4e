//! Resolution errors. Every variant names the field and where its value came from; none
//! shows a secret.

use std::fmt;
use std::path::PathBuf;

use crate::file::FileKind;
use crate::origin::{Key, Origin};

mod errors;
pub use errors::Errors;
pub(crate) use errors::push_capped;

/// One problem found while resolving. [`Errors`] holds every problem of one resolution.
///
/// Messages are lower-case, name the argument or variable and its source
/// (`port 70000 in MILVUS_URI (environment) is out of range 1..=65535`), and never include
/// a password, token or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A URI with a scheme other than http, https, tcp or grpc (or `unix:`).
    #[error(
        "unsupported scheme {} in {origin}; expected http://, https://, tcp://, grpc://, unix:PATH or a local path ending in .db",
        Clip::quoted(.scheme)
    )]
    #[non_exhaustive]
    UnsupportedScheme {
        /// Where the URI came from.
        origin: Origin,
        /// The scheme, as written.
        scheme: String,
    },

    /// A value given as a URI that is not one of the accepted forms.
    #[error(
        "{origin} is not a URI{hint}; expected http://HOST[:PORT], https://…, tcp://…, grpc://…, unix:PATH or a local path ending in .db"
    )]
    #[non_exhaustive]
    NotAUri {
        /// Where the value came from.
        origin: Origin,
        /// A suggestion, such as `; to give host:port, use address or write http://HOST:PORT`.
        hint: Hint,
    },

    /// The URI parser rejected the value.
    #[error("invalid URI in {origin}: {reason}")]
    #[non_exhaustive]
    InvalidUri {
        /// Where the URI came from.
        origin: Origin,
        /// Why, in words (`invalid port number`, `invalid IPv6 address`, …); never the
        /// input.
        reason: &'static str,
    },

    /// A `/`, `?` or `#` in a URI's user name or password was not percent-encoded, so the
    /// URI cannot be split into its parts safely.
    #[error(
        "the user name or password in {origin} holds an unencoded '/', '?' or '#'; percent-encode it (%2F, %3F, %23)"
    )]
    #[non_exhaustive]
    UnencodedUserinfo {
        /// Where the URI came from.
        origin: Origin,
    },

    /// An empty host (`http://:19530`, `address=":19530"`).
    #[error("empty host in {origin}")]
    #[non_exhaustive]
    EmptyHost {
        /// Where the value came from.
        origin: Origin,
    },

    /// A host that is not a valid domain name or IP address.
    #[error("invalid host {} in {origin}: {reason}", Clip::quoted(.host))]
    #[non_exhaustive]
    InvalidHost {
        /// Where the value came from.
        origin: Origin,
        /// The host, as written.
        host: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// A port that is not plain ASCII digits.
    #[error(
        "port {} in {origin} is not a number; a port is digits only, 1..=65535",
        Clip::quoted(.value)
    )]
    #[non_exhaustive]
    PortNotNumeric {
        /// Where the value came from.
        origin: Origin,
        /// The port, as written.
        value: String,
    },

    /// A port outside 1..=65535.
    #[error("port {} in {origin} is out of range 1..=65535", Clip::plain(.value))]
    #[non_exhaustive]
    PortOutOfRange {
        /// Where the value came from.
        origin: Origin,
        /// The port, as written.
        value: String,
    },

    /// An `address` that is not `host:port`.
    #[error("address {} in {origin} is not host:port: {reason}", Clip::quoted(.value))]
    #[non_exhaustive]
    InvalidAddress {
        /// Where the value came from.
        origin: Origin,
        /// The address, as written.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// `unix:` with no socket path.
    #[error("no socket path after unix: in {origin}")]
    #[non_exhaustive]
    EmptySocketPath {
        /// Where the value came from.
        origin: Origin,
    },

    /// A `%` not followed by two hex digits, or percent-decoded bytes that are not UTF-8, in
    /// a URI's user name, password or database path.
    #[error("invalid percent-encoding in the {part} of {origin}")]
    #[non_exhaustive]
    PercentEncoding {
        /// Where the URI came from.
        origin: Origin,
        /// Which part: `user name`, `password` or `database path`.
        part: &'static str,
    },

    /// A control character inside a value (surrounding whitespace is trimmed first).
    #[error("{origin} contains a control character")]
    #[non_exhaustive]
    ControlCharacter {
        /// Where the value came from.
        origin: Origin,
    },

    /// An environment variable whose value is not valid Unicode.
    #[error("{origin} is not valid unicode")]
    #[non_exhaustive]
    NotUnicode {
        /// The variable.
        origin: Origin,
    },

    /// A timeout that is not a positive, finite number of seconds.
    #[error(
        "timeout {} in {origin} is not a positive, finite number of seconds",
        Clip::quoted(.value)
    )]
    #[non_exhaustive]
    InvalidTimeout {
        /// Where the value came from.
        origin: Origin,
        /// The value, as written.
        value: String,
    },

    /// A timeout of more than [`MAX_TIMEOUT`](crate::ConnectionSpec::MAX_TIMEOUT), one day.
    #[error(
        "timeout {} in {origin} is too large; a timeout is at most 86400 seconds (one day)",
        Clip::quoted(.value)
    )]
    #[non_exhaustive]
    TimeoutTooLarge {
        /// Where the value came from.
        origin: Origin,
        /// The value, as written.
        value: String,
    },

    /// A value (an argument, a variable, a `.env` value) longer than
    /// [`MAX_VALUE_LEN`](crate::ConnectArgs::MAX_VALUE_LEN) bytes (64 KiB). Checked before
    /// any parsing; the value itself is not shown, only its length.
    #[error("{origin} is {len} bytes long; a value is at most 65536 bytes (64 KiB)")]
    #[non_exhaustive]
    ValueTooLong {
        /// Where the value came from.
        origin: Origin,
        /// Its length in bytes, as given (before trimming).
        len: usize,
    },

    /// A user name without a password.
    #[error("user in {origin} has no password; give both a user and a password, or neither")]
    #[non_exhaustive]
    UserWithoutPassword {
        /// Where the user name came from.
        origin: Origin,
    },

    /// A password without a user name.
    #[error("password in {origin} has no user; give both a user and a password, or neither")]
    #[non_exhaustive]
    PasswordWithoutUser {
        /// Where the password came from.
        origin: Origin,
    },

    /// Half a client certificate pair.
    #[error(
        "{present} has no {missing}; mutual TLS needs both client_pem_path and client_key_path"
    )]
    #[non_exhaustive]
    IncompleteClientIdentity {
        /// Where the half that is there came from.
        present: Origin,
        /// The argument that is missing: [`Key::ClientPemPath`] or [`Key::ClientKeyPath`].
        missing: Key,
    },

    /// An `https` URI together with `secure=false`.
    #[error("{uri} uses https, but {secure} is false")]
    #[non_exhaustive]
    HttpsWithSecureFalse {
        /// Where the https URI came from.
        uri: Origin,
        /// Where `secure=false` came from.
        secure: Origin,
    },

    /// A TLS setting (a PEM path or `server_name`) together with `secure=false`.
    #[error("{setting} is a TLS setting, but {secure} is false")]
    #[non_exhaustive]
    TlsSettingWithSecureFalse {
        /// Where the TLS setting came from.
        setting: Origin,
        /// Where `secure=false` came from.
        secure: Origin,
    },

    /// A database name that cannot travel in the `dbname` header.
    #[error("database name {} in {origin} is invalid: {reason}", Clip::quoted(.value))]
    #[non_exhaustive]
    InvalidDbName {
        /// Where the value came from.
        origin: Origin,
        /// The name, as written (with control characters escaped).
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// An invalid `server_name`.
    #[error(
        "server name {} in {origin} is invalid: {reason}",
        Clip::quoted(.value)
    )]
    #[non_exhaustive]
    InvalidServerName {
        /// Where the value came from.
        origin: Origin,
        /// The name, as written.
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },

    /// No source names a target for an alias other than the default one.
    #[error(
        "no target for alias {}: give uri, address or host/port, set MILVUS_URI, or add the alias first (the built-in http://localhost:19530 belongs to the default alias {} only)",
        Clip::quoted(.alias),
        Clip::quoted(.default_alias)
    )]
    #[non_exhaustive]
    NoTarget {
        /// The alias.
        alias: String,
        /// The default alias (`MILVUS_CONN_ALIAS` or `default`).
        default_alias: String,
    },

    /// A `.env` file that could not be read (an explicit path that does not exist, say).
    #[error("cannot read .env file {}", path.display())]
    #[non_exhaustive]
    DotEnvRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A `.env` line that dotenvy cannot parse.
    #[error(".env file {} line {line} cannot be parsed", path.display())]
    #[non_exhaustive]
    DotEnvParse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u32,
    },

    /// A `.env` path given explicitly that is not a regular file (a FIFO, a device, a
    /// directory). Nothing is read from it, and a FIFO is never waited on.
    #[error(".env file {} is a {kind}, not a regular file", path.display())]
    #[non_exhaustive]
    DotEnvNotAFile {
        /// The file.
        path: PathBuf,
        /// What it is.
        kind: FileKind,
    },

    /// A `.env` file larger than its limit (1 MiB). At most one byte past the limit is
    /// read to find this out.
    #[error(".env file {} is larger than {limit} bytes", path.display())]
    #[non_exhaustive]
    DotEnvTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A `.env` value longer than its limit (64 KiB) once `$VAR` / `${VAR}` interpolation
    /// has run. The value is never built past the limit.
    #[error(
        ".env file {} line {line}: the value grows beyond {limit} bytes (interpolation included)",
        path.display()
    )]
    #[non_exhaustive]
    DotEnvValueTooLarge {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the entry starts.
        line: u32,
        /// The limit, in bytes.
        limit: usize,
    },

    /// A `.env` file whose `$VAR` / `${VAR}` interpolation copies more than its budget
    /// (1 MiB for the whole file): reported on each line that would go past it.
    #[error(
        ".env file {} line {line}: interpolation in this file copies more than {limit} bytes in all",
        path.display()
    )]
    #[non_exhaustive]
    DotEnvInterpolationBudget {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the entry starts.
        line: u32,
        /// The budget, in bytes.
        limit: usize,
    },
}

/// An optional suggestion appended to a message (empty when there is none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint(pub(crate) Option<&'static str>);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(h) => write!(f, " ({h})"),
            None => Ok(()),
        }
    }
}

/// A value shown in a message: quoted like `{:?}` or plain, and cut after
/// [`Clip::MAX_CHARS`] characters with its length in bytes, so a long value (a 60 KiB
/// host) does not flood the message.
pub(crate) struct Clip<'a> {
    value: &'a str,
    quoted: bool,
}

impl<'a> Clip<'a> {
    /// How many characters of a value a message shows.
    const MAX_CHARS: usize = 100;

    pub(crate) fn quoted(value: &'a str) -> Clip<'a> {
        Clip {
            value,
            quoted: true,
        }
    }

    pub(crate) fn plain(value: &'a str) -> Clip<'a> {
        Clip {
            value,
            quoted: false,
        }
    }
}

impl fmt::Display for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self
            .value
            .char_indices()
            .nth(Self::MAX_CHARS)
            .map(|(i, _)| i);
        let shown = cut.map_or(self.value, |i| &self.value[..i]);
        if self.quoted {
            write!(f, "{shown:?}")?;
        } else {
            f.write_str(shown)?;
        }
        if cut.is_some() {
            write!(f, "… ({} bytes)", self.value.len())?;
        }
        Ok(())
    }
}

impl Error {
    /// Where the offending value came from, when it came from one place.
    pub fn origin(&self) -> Option<&Origin> {
        use Error::*;
        match self {
            UnsupportedScheme { origin, .. }
            | NotAUri { origin, .. }
            | InvalidUri { origin, .. }
            | UnencodedUserinfo { origin }
            | EmptyHost { origin }
            | InvalidHost { origin, .. }
            | PortNotNumeric { origin, .. }
            | PortOutOfRange { origin, .. }
            | InvalidAddress { origin, .. }
            | EmptySocketPath { origin }
            | PercentEncoding { origin, .. }
            | ControlCharacter { origin }
            | NotUnicode { origin }
            | InvalidTimeout { origin, .. }
            | TimeoutTooLarge { origin, .. }
            | ValueTooLong { origin, .. }
            | UserWithoutPassword { origin }
            | PasswordWithoutUser { origin }
            | InvalidDbName { origin, .. }
            | InvalidServerName { origin, .. } => Some(origin),
            IncompleteClientIdentity { present, .. } => Some(present),
            HttpsWithSecureFalse { secure, .. } | TlsSettingWithSecureFalse { secure, .. } => {
                Some(secure)
            }
            // No single origin: `field` counts on these being the only ones.
            NoTarget { .. }
            | DotEnvRead { .. }
            | DotEnvParse { .. }
            | DotEnvNotAFile { .. }
            | DotEnvTooLarge { .. }
            | DotEnvValueTooLarge { .. }
            | DotEnvInterpolationBudget { .. } => None,
        }
    }

    /// The argument or variable at fault ([`Key::Uri`], [`Key::MilvusUri`], [`Key::Port`],
    /// …), or [`Key::Target`] / [`Key::DotEnvFile`] when no single one is.
    pub fn field(&self) -> Key {
        match self {
            Error::NoTarget { .. } => Key::Target,
            Error::IncompleteClientIdentity { missing, .. } => *missing,
            // Besides `NoTarget`, only the `.env` file's own errors have no origin (the
            // exhaustive match of `origin` names them).
            other => other
                .origin()
                .map_or(Key::DotEnvFile, |o| o.key().unwrap_or(Key::Target)),
        }
    }
}
