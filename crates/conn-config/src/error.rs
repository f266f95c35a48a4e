//! Resolution errors. Every variant names the field and where its value came from; none
//! shows a secret.

use std::fmt;
use std::path::PathBuf;

use crate::origin::Origin;

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
    NotAUri {
        /// Where the value came from.
        origin: Origin,
        /// A suggestion, such as `; to give host:port, use address or write http://HOST:PORT`.
        hint: Hint,
    },

    /// The URI parser rejected the value.
    #[error("invalid URI in {origin}: {reason}")]
    InvalidUri {
        /// Where the URI came from.
        origin: Origin,
        /// What the `url` crate said (its messages never include the input).
        reason: url::ParseError,
    },

    /// A `/`, `?` or `#` in a URI's user name or password was not percent-encoded, so the
    /// URI cannot be split into its parts safely.
    #[error(
        "the user name or password in {origin} holds an unencoded '/', '?' or '#'; percent-encode it (%2F, %3F, %23)"
    )]
    UnencodedUserinfo {
        /// Where the URI came from.
        origin: Origin,
    },

    /// An empty host (`http://:19530`, `address=":19530"`).
    #[error("empty host in {origin}")]
    EmptyHost {
        /// Where the value came from.
        origin: Origin,
    },

    /// A host that is not a valid domain name or IP address.
    #[error("invalid host {} in {origin}: {reason}", Clip::quoted(.host))]
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
    PortNotNumeric {
        /// Where the value came from.
        origin: Origin,
        /// The port, as written.
        value: String,
    },

    /// A port outside 1..=65535.
    #[error("port {} in {origin} is out of range 1..=65535", Clip::plain(.value))]
    PortOutOfRange {
        /// Where the value came from.
        origin: Origin,
        /// The port, as written.
        value: String,
    },

    /// An `address` that is not `host:port`.
    #[error("address {} in {origin} is not host:port: {reason}", Clip::quoted(.value))]
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
    EmptySocketPath {
        /// Where the value came from.
        origin: Origin,
    },

    /// A `%` not followed by two hex digits, or percent-decoded bytes that are not UTF-8, in
    /// a URI's user name, password or database path.
    #[error("invalid percent-encoding in the {part} of {origin}")]
    PercentEncoding {
        /// Where the URI came from.
        origin: Origin,
        /// Which part: `user name`, `password` or `database path`.
        part: &'static str,
    },

    /// A control character inside a value (surrounding whitespace is trimmed first).
    #[error("{origin} contains a control character")]
    ControlCharacter {
        /// Where the value came from.
        origin: Origin,
    },

    /// An environment variable whose value is not valid Unicode.
    #[error("{origin} is not valid unicode")]
    NotUnicode {
        /// The variable.
        origin: Origin,
    },

    /// A timeout that is not a positive, finite number of seconds.
    #[error(
        "timeout {} in {origin} is not a positive, finite number of seconds",
        Clip::quoted(.value)
    )]
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
    ValueTooLong {
        /// Where the value came from.
        origin: Origin,
        /// Its length in bytes, as given (before trimming).
        len: usize,
    },

    /// A user name without a password.
    #[error("user in {origin} has no password; give both a user and a password, or neither")]
    UserWithoutPassword {
        /// Where the user name came from.
        origin: Origin,
    },

    /// A password without a user name.
    #[error("password in {origin} has no user; give both a user and a password, or neither")]
    PasswordWithoutUser {
        /// Where the password came from.
        origin: Origin,
    },

    /// Half a client certificate pair.
    #[error(
        "{present} has no {missing}; mutual TLS needs both client_pem_path and client_key_path"
    )]
    IncompleteClientIdentity {
        /// Where the half that is there came from.
        present: Origin,
        /// The argument that is missing.
        missing: &'static str,
    },

    /// An `https` URI together with `secure=false`.
    #[error("{uri} uses https, but {secure} is false")]
    HttpsWithSecureFalse {
        /// Where the https URI came from.
        uri: Origin,
        /// Where `secure=false` came from.
        secure: Origin,
    },

    /// A TLS setting (a PEM path or `server_name`) together with `secure=false`.
    #[error("{setting} is a TLS setting, but {secure} is false")]
    TlsSettingWithSecureFalse {
        /// Where the TLS setting came from.
        setting: Origin,
        /// Where `secure=false` came from.
        secure: Origin,
    },

    /// A database name that cannot travel in the `dbname` header.
    #[error("database name {} in {origin} is invalid: {reason}", Clip::quoted(.value))]
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
    NoTarget {
        /// The alias.
        alias: String,
        /// The default alias (`MILVUS_CONN_ALIAS` or `default`).
        default_alias: String,
    },

    /// A `.env` file that could not be read (an explicit path that does not exist, say).
    #[error("cannot read .env file {}", path.display())]
    DotEnvRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A `.env` line that dotenvy cannot parse.
    #[error(".env file {} line {line} cannot be parsed", path.display())]
    DotEnvParse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u32,
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
            NoTarget { .. } | DotEnvRead { .. } | DotEnvParse { .. } => None,
        }
    }

    /// The argument or variable at fault (`uri`, `MILVUS_URI`, `port`, …), or a field name
    /// (`target`, `.env`) when no single one is.
    pub fn field(&self) -> &'static str {
        match self {
            Error::NoTarget { .. } => "target",
            Error::DotEnvRead { .. } | Error::DotEnvParse { .. } => ".env",
            Error::IncompleteClientIdentity { missing, .. } => missing,
            other => other.origin().and_then(Origin::key).unwrap_or("target"),
        }
    }
}

/// Every problem found by one resolution (never empty).
#[derive(Debug)]
pub struct Errors(pub(crate) Vec<Error>);

impl Errors {
    /// The problems, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// How many problems there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: an `Errors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first problem.
    pub fn first(&self) -> &Error {
        &self.0[0]
    }

    /// The problems, by value.
    pub fn into_vec(self) -> Vec<Error> {
        self.0
    }
}

impl From<Error> for Errors {
    fn from(e: Error) -> Errors {
        Errors(vec![e])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => fmt::Display::fmt(one, f),
            many => {
                write!(f, "{} problems: ", many.len())?;
                for (i, e) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    fmt::Display::fmt(e, f)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Errors {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.0.as_slice() {
            [one] => std::error::Error::source(one),
            _ => None,
        }
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
