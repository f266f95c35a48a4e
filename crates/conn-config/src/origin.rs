//! Provenance: where each resolved value came from.

use std::fmt;
use std::path::PathBuf;

/// A field of a [`ConnectionSpec`](crate::ConnectionSpec) whose origin is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// The alias.
    Alias,
    /// The target (host and port, socket or `.db` path).
    Target,
    /// TLS on or off, and its settings.
    Security,
    /// The credentials.
    Auth,
    /// The database.
    DbName,
    /// The connect timeout.
    Timeout,
    /// The keep-alive flag.
    KeepAlive,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 7] = [
        Field::Alias,
        Field::Target,
        Field::Security,
        Field::Auth,
        Field::DbName,
        Field::Timeout,
        Field::KeepAlive,
    ];

    /// The field's name as the CLI and `docs/resolution.md` write it: `alias`, `target`,
    /// `security`, `auth`, `db_name`, `timeout`, `keep_alive`. (Before 0.1, `Security` was
    /// written `secure`, the name of one of the arguments that feed it.)
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Target => "target",
            Field::Security => "security",
            Field::Auth => "auth",
            Field::DbName => "db_name",
            Field::Timeout => "timeout",
            Field::KeepAlive => "keep_alive",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// An argument of pymilvus's `connect()` (as [`ConnectArgs`](crate::ConnectArgs) names it) or
/// an environment variable resolution reads; for errors that no single one causes, the
/// target as a whole or the `.env` file. [`Error::field`](crate::Error::field) and
/// [`Origin::key`] answer with one.
///
/// ```
/// use conn_config::Key;
/// assert_eq!(Key::MilvusUri.as_str(), "MILVUS_URI");
/// assert_eq!(format!("{:<8}|", Key::Uri), "uri     |");
/// assert!(Key::MilvusUri.is_variable() && Key::Uri.is_argument());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Key {
    /// The `alias` argument.
    Alias,
    /// The `uri` argument.
    Uri,
    /// The `address` argument.
    Address,
    /// The `host` argument.
    Host,
    /// The `port` argument.
    Port,
    /// The `user` argument.
    User,
    /// The `password` argument.
    Password,
    /// The `token` argument.
    Token,
    /// The `db_name` argument.
    DbName,
    /// The `secure` argument.
    Secure,
    /// The `server_pem_path` argument.
    ServerPemPath,
    /// The `ca_pem_path` argument.
    CaPemPath,
    /// The `client_pem_path` argument.
    ClientPemPath,
    /// The `client_key_path` argument.
    ClientKeyPath,
    /// The `server_name` argument.
    ServerName,
    /// The `timeout` argument.
    Timeout,
    /// The `keep_alive` argument.
    KeepAlive,
    /// The `MILVUS_URI` variable.
    MilvusUri,
    /// The `MILVUS_DEFAULT_CONNECTION` variable.
    MilvusDefaultConnection,
    /// The `MILVUS_CONN_ALIAS` variable.
    MilvusConnAlias,
    /// The `MILVUS_CONN_TIMEOUT` variable.
    MilvusConnTimeout,
    /// The `MILVUS_TOKEN` variable.
    MilvusToken,
    /// The `MILVUS_DB_NAME` variable.
    MilvusDbName,
    /// Not an argument: the target as a whole (`target`), for a problem no single argument
    /// or variable causes ([`Error::NoTarget`](crate::Error::NoTarget)).
    Target,
    /// Not an argument: a `.env` file (`.env`), for the problems of the file itself.
    DotEnvFile,
}

impl Key {
    /// Every key, arguments first (in pymilvus's argument order), then variables.
    pub(crate) const ALL: [Key; 25] = [
        Key::Alias,
        Key::Uri,
        Key::Address,
        Key::Host,
        Key::Port,
        Key::User,
        Key::Password,
        Key::Token,
        Key::DbName,
        Key::Secure,
        Key::ServerPemPath,
        Key::CaPemPath,
        Key::ClientPemPath,
        Key::ClientKeyPath,
        Key::ServerName,
        Key::Timeout,
        Key::KeepAlive,
        Key::MilvusUri,
        Key::MilvusDefaultConnection,
        Key::MilvusConnAlias,
        Key::MilvusConnTimeout,
        Key::MilvusToken,
        Key::MilvusDbName,
        Key::Target,
        Key::DotEnvFile,
    ];

    /// The variables resolution reads (in the environment and in `.env`), in the order
    /// they are read and listed: the variables of [`Key::ALL`].
    pub(crate) fn variables() -> [Key; 6] {
        std::array::from_fn(|i| Key::ALL[Key::MilvusUri as usize + i])
    }

    /// The name as written: `uri`, `server_pem_path`, `MILVUS_URI`, …; `target`, `.env`.
    pub fn as_str(self) -> &'static str {
        match self {
            Key::Alias => "alias",
            Key::Uri => "uri",
            Key::Address => "address",
            Key::Host => "host",
            Key::Port => "port",
            Key::User => "user",
            Key::Password => "password",
            Key::Token => "token",
            Key::DbName => "db_name",
            Key::Secure => "secure",
            Key::ServerPemPath => "server_pem_path",
            Key::CaPemPath => "ca_pem_path",
            Key::ClientPemPath => "client_pem_path",
            Key::ClientKeyPath => "client_key_path",
            Key::ServerName => "server_name",
            Key::Timeout => "timeout",
            Key::KeepAlive => "keep_alive",
            Key::MilvusUri => crate::vars::MILVUS_URI,
            Key::MilvusDefaultConnection => crate::vars::MILVUS_DEFAULT_CONNECTION,
            Key::MilvusConnAlias => crate::vars::MILVUS_CONN_ALIAS,
            Key::MilvusConnTimeout => crate::vars::MILVUS_CONN_TIMEOUT,
            Key::MilvusToken => crate::vars::MILVUS_TOKEN,
            Key::MilvusDbName => crate::vars::MILVUS_DB_NAME,
            Key::Target => "target",
            Key::DotEnvFile => ".env",
        }
    }

    /// The key named `name` (as [`Key::as_str`] writes it), if any.
    pub(crate) fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether this is an argument of `connect()` (`uri`, `token`, …).
    pub fn is_argument(self) -> bool {
        self <= Key::KeepAlive
    }

    /// Whether this is an environment variable (`MILVUS_URI`, …), read from the process
    /// environment or a `.env` file.
    pub fn is_variable(self) -> bool {
        (Key::MilvusUri..=Key::MilvusDbName).contains(&self)
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    /// `key == "uri"` compares [`Key::as_str`].
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The kind of source a value came from, without its details, ordered by precedence:
/// `Default < DotEnv < Env < Stored < Explicit` (a greater kind wins).
///
/// ```
/// use conn_config::{Origin, SourceKind};
/// assert!(SourceKind::Explicit > SourceKind::Stored && SourceKind::Env > SourceKind::DotEnv);
/// assert_eq!(Origin::Default.source_kind(), SourceKind::Default);
/// assert_eq!(format!("{:>12}|", SourceKind::Env), " environment|");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SourceKind {
    /// [`Origin::Default`].
    Default,
    /// [`Origin::DotEnv`].
    DotEnv,
    /// [`Origin::Env`].
    Env,
    /// [`Origin::Stored`].
    Stored,
    /// [`Origin::Explicit`].
    Explicit,
}

impl SourceKind {
    /// `"default"`, `".env"`, `"environment"`, `"stored"` or `"argument"`, as
    /// [`Origin`]'s `Display` writes them.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Default => "default",
            SourceKind::DotEnv => ".env",
            SourceKind::Env => "environment",
            SourceKind::Stored => "stored",
            SourceKind::Explicit => "argument",
        }
    }

    /// Whether this is an argument, explicit or stored for the alias (`>= Stored`): such a
    /// value beats the environment, `.env` and the defaults, and its source supplies the
    /// target as a whole (docs/resolution.md, "Sources and precedence"). The registry
    /// keeps exactly these values for the alias.
    ///
    /// ```
    /// use conn_config::SourceKind;
    /// assert!(SourceKind::Explicit.is_argument() && SourceKind::Stored.is_argument());
    /// assert!(!SourceKind::Env.is_argument() && !SourceKind::Default.is_argument());
    /// ```
    pub fn is_argument(self) -> bool {
        self >= SourceKind::Stored
    }
}

/// Where a value came from. Sources are listed from the highest precedence to the lowest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// An explicit argument (a builder method, a CLI flag), named as in pymilvus's `connect()`.
    Explicit {
        /// The argument, e.g. `uri`, `host`, `token`.
        arg: &'static str,
    },
    /// The configuration stored for an alias (the registry's `add_connection`).
    Stored {
        /// The alias the configuration is stored under.
        alias: String,
        /// The argument, e.g. `uri`.
        arg: &'static str,
    },
    /// A variable of the process environment.
    Env {
        /// The variable, e.g. `MILVUS_URI`.
        var: &'static str,
    },
    /// A variable from a `.env` file.
    DotEnv {
        /// The variable, e.g. `MILVUS_URI`.
        var: &'static str,
        /// The file.
        path: PathBuf,
        /// The 1-based line where the variable's (last) assignment starts.
        line: u32,
    },
    /// The built-in default.
    Default,
}

impl Origin {
    /// The argument or variable, if any ([`Key::Uri`], [`Key::MilvusUri`], …); `None` for
    /// [`Origin::Default`] (and for a name this crate does not know, in an `Origin` built
    /// by hand).
    pub fn key(&self) -> Option<Key> {
        self.key_str().and_then(Key::from_name)
    }

    /// The argument or variable name as the variant holds it.
    pub(crate) fn key_str(&self) -> Option<&'static str> {
        match self {
            Origin::Explicit { arg } | Origin::Stored { arg, .. } => Some(arg),
            Origin::Env { var } | Origin::DotEnv { var, .. } => Some(var),
            Origin::Default => None,
        }
    }

    /// The kind of source, ordered by precedence (see [`SourceKind`]).
    pub fn source_kind(&self) -> SourceKind {
        match self {
            Origin::Explicit { .. } => SourceKind::Explicit,
            Origin::Stored { .. } => SourceKind::Stored,
            Origin::Env { .. } => SourceKind::Env,
            Origin::DotEnv { .. } => SourceKind::DotEnv,
            Origin::Default => SourceKind::Default,
        }
    }
}

impl fmt::Display for Origin {
    /// `uri (argument)`, `uri (stored for alias "a")`, `MILVUS_URI (environment)`,
    /// `MILVUS_URI (.env /p/.env:3)`, `default`. Honours width and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Origin::Explicit { arg } => format!("{arg} (argument)"),
            Origin::Stored { alias, arg } => format!("{arg} (stored for alias {alias:?})"),
            Origin::Env { var } => format!("{var} (environment)"),
            Origin::DotEnv { var, path, line } => {
                format!("{var} (.env {}:{line})", path.display())
            }
            Origin::Default => return f.pad("default"),
        };
        f.pad(&text)
    }
}

/// A value some source gave that the resolved spec does not use, because a higher source
/// (or a dedicated argument of the same source) supplied its field.
///
/// Nothing the user gives is dropped silently: [`ConnectionSpec::overridden`](crate::ConnectionSpec::overridden)
/// lists these, and resolution logs each at debug level.
///
/// ```
/// # fn main() -> Result<(), conn_config::Errors> {
/// use conn_config::ConnectArgs;
/// let spec = ConnectArgs::new().address("a:1").uri("http://b:2").resolve_isolated()?;
/// let notes: Vec<String> = spec.overridden().iter().map(|o| o.to_string()).collect();
/// assert_eq!(notes, ["uri (argument) is not used: target comes from address (argument)"]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overridden {
    pub(crate) origin: Origin,
    pub(crate) field: Field,
    pub(crate) by: Origin,
}

impl Overridden {
    /// Where the unused value came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The field it would have fed.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Where the field's value came from instead.
    pub fn by(&self) -> &Origin {
        &self.by
    }
}

impl fmt::Display for Overridden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not used: {} comes from {}",
            self.origin, self.field, self.by
        )
    }
}

/// The origin of every [`Field`] of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origins([Origin; 7]);

impl Origins {
    pub(crate) fn new() -> Origins {
        Origins(std::array::from_fn(|_| Origin::Default))
    }

    pub(crate) fn get(&self, field: Field) -> &Origin {
        &self.0[field.index()]
    }

    pub(crate) fn set(&mut self, field: Field, origin: Origin) {
        self.0[field.index()] = origin;
    }
}

display_by_as_str!(Field, Key, SourceKind);

#[cfg(test)]
mod tests;
