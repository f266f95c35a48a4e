//! The validated output of resolution: [`ConnectionSpec`] and the types it is made of.
//!
//! Every type here is built only by the resolver (or by the parsers in this crate), so a
//! value of any of them is always valid: a [`Port`] is never 0, a [`Host`] is never empty
//! and always lower-case, a [`TlsSpec`] never holds half a client certificate pair.

mod auth;
mod target;
mod tls;

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

use crate::origin::{Field, Origin, Origins, Overridden};

pub use auth::{Auth, AuthKind};
pub use target::{Host, Port, Target, TargetKind};
pub use tls::{ClientIdentity, Security, TlsMode, TlsSpec};

/// A database name: non-empty printable ASCII (it travels in the `dbname` gRPC header).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DbName(pub(crate) String);

impl DbName {
    /// `default`, the database used when no source names one.
    pub fn default_db() -> DbName {
        DbName("default".to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A connection alias: a non-empty name without control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Alias(pub(crate) String);

impl Alias {
    /// `default`, the alias used when neither an argument nor `MILVUS_CONN_ALIAS` names one.
    pub fn default_alias() -> Alias {
        Alias("default".to_owned())
    }

    /// Makes an alias from a name; `None` when it is empty (after trimming) or holds a
    /// control character.
    ///
    /// ```
    /// assert_eq!(conn_config::Alias::new(" prod ").unwrap().as_str(), "prod");
    /// assert!(conn_config::Alias::new("").is_none());
    /// ```
    pub fn new(name: &str) -> Option<Alias> {
        let name = Alias::trim(name);
        if name.is_empty() || name.chars().any(char::is_control) {
            None
        } else {
            Some(Alias(name.to_owned()))
        }
    }

    /// `name` trimmed as [`Alias::new`] trims it (spaces, tabs, CR, LF; the same trimming
    /// as every value resolution reads): the name an alias given as `name` is known by,
    /// for a look-up that must not allocate or fail.
    ///
    /// ```
    /// assert_eq!(conn_config::Alias::trim(" prod\n"), "prod");
    /// ```
    pub fn trim(name: &str) -> &str {
        crate::text::trim(name)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_by_as_str!(DbName, Alias);
debug_by_as_str!(DbName, Alias);

/// One validated, typed connection configuration, with the origin of every field.
///
/// Built only by [`Resolver::resolve`](crate::Resolver::resolve); every value it holds has
/// been checked. `Debug` never shows a secret.
#[derive(Clone)]
pub struct ConnectionSpec {
    pub(crate) alias: Alias,
    pub(crate) target: Target,
    pub(crate) security: Security,
    pub(crate) auth: Auth,
    pub(crate) db_name: DbName,
    pub(crate) timeout: Duration,
    pub(crate) keep_alive: bool,
    pub(crate) origins: Origins,
    pub(crate) overridden: Vec<Overridden>,
}

impl ConnectionSpec {
    /// The longest connect timeout: one day (docs/resolution.md, "Limits"). A longer one is
    /// [`Error::TimeoutTooLarge`](crate::Error::TimeoutTooLarge).
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

    /// The alias this configuration is for.
    pub fn alias(&self) -> &Alias {
        &self.alias
    }

    /// Where to connect.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Plaintext or TLS.
    pub fn security(&self) -> &Security {
        &self.security
    }

    /// Whether TLS is on (pymilvus's `secure`).
    pub fn is_secure(&self) -> bool {
        self.security.is_tls()
    }

    /// The credentials.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The database, sent as the `dbname` header.
    pub fn db_name(&self) -> &DbName {
        &self.db_name
    }

    /// The connect timeout (also the bound of the `Connect` handshake).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether the caller asked for pymilvus's `keep_alive` (reconnect when idle). HTTP/2
    /// keepalive pings are always on; this flag is for the layer that reconnects.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Where a field's value came from.
    pub fn origin(&self, field: Field) -> &Origin {
        self.origins.get(field)
    }

    /// One row per [`Field`], in [`Field::ALL`] order: the field, its value as
    /// [`display_value`](ConnectionSpec::display_value) writes it, and its [`Origin`]. No
    /// value holds a secret (a password or token is never shown, only the kind of
    /// credentials and the user name). `milvus-conn resolve` prints these rows.
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// use conn_config::{ConnectArgs, Field};
    /// let spec = ConnectArgs::new().uri("https://u:secret@db.example.com").resolve_isolated()?;
    /// let rows: Vec<String> = spec
    ///     .explain()
    ///     .map(|r| format!("{:<10} {:<28} {}", r.field(), r.value(), r.origin()))
    ///     .collect();
    /// assert_eq!(rows[1], "target     db.example.com:443 (tcp)     uri (argument)");
    /// assert_eq!(rows[3], "auth       user_password (user u)       uri (argument)");
    /// assert!(rows.iter().all(|r| !r.contains("secret")));
    /// let security = spec.explain().find(|r| r.field() == Field::Security).unwrap();
    /// assert_eq!(security.value(), "tls (platform_roots)");
    /// # Ok(()) }
    /// ```
    pub fn explain(&self) -> impl ExactSizeIterator<Item = ExplainRow<'_>> + '_ {
        Field::ALL.into_iter().map(move |field| ExplainRow {
            field,
            value: self.display_value(field),
            origin: self.origin(field),
        })
    }

    /// One field's value as text, never a secret:
    ///
    /// | field | value |
    /// |---|---|
    /// | alias, db_name | the name |
    /// | target | the [`address`](Target::address) and its kind: `localhost:19530 (tcp)`, `unix:/run/m.sock (unix)` |
    /// | security | `plaintext`, or `tls (MODE)` ([`TlsMode`]) |
    /// | auth | `none`, `token`, or `user_password (user NAME)` |
    /// | timeout | seconds: `10s`, `2.5s` |
    /// | keep_alive | `true` or `false` |
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// use conn_config::{ConnectArgs, Field};
    /// let spec = ConnectArgs::new().timeout(2.5).token("t").resolve_isolated()?;
    /// assert_eq!(spec.display_value(Field::Timeout), "2.5s");
    /// assert_eq!(spec.display_value(Field::Auth), "token");
    /// assert_eq!(spec.display_value(Field::Target), "localhost:19530 (tcp)");
    /// # Ok(()) }
    /// ```
    pub fn display_value(&self, field: Field) -> String {
        match field {
            Field::Alias => self.alias.to_string(),
            Field::Target => format!("{} ({})", self.target, self.target.kind()),
            Field::Security => self.security.to_string(),
            Field::Auth => match self.auth.user() {
                Some(user) => format!("{} (user {user})", self.auth.kind()),
                None => self.auth.kind().to_string(),
            },
            Field::DbName => self.db_name.to_string(),
            Field::Timeout => format!("{}s", self.timeout.as_secs_f64()),
            Field::KeepAlive => self.keep_alive.to_string(),
        }
    }

    /// The values some source gave that this spec does not use, each with what beat it
    /// (see [`Overridden`]).
    pub fn overridden(&self) -> &[Overridden] {
        &self.overridden
    }

    /// The value of the `authorization` header, if there are credentials. See
    /// [`Auth::authorization`].
    pub fn authorization(&self) -> Option<SecretString> {
        self.auth.authorization()
    }

    /// The fields in which `other` differs from `self`, secrets compared without being
    /// revealed. Origins are not compared.
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// use conn_config::{ConnectArgs, Field};
    /// let a = ConnectArgs::new().uri("http://h:1").token("t1").resolve_isolated()?;
    /// let b = ConnectArgs::new().uri("http://h:1").token("t2").resolve_isolated()?;
    /// assert_eq!(a.differences(&b), vec![Field::Auth]);
    /// # Ok(()) }
    /// ```
    pub fn differences(&self, other: &ConnectionSpec) -> Vec<Field> {
        [
            (Field::Alias, self.alias != other.alias),
            (Field::Target, self.target != other.target),
            (Field::Security, self.security != other.security),
            (Field::Auth, !self.auth.same_secret(&other.auth)),
            (Field::DbName, self.db_name != other.db_name),
            (Field::Timeout, self.timeout != other.timeout),
            (Field::KeepAlive, self.keep_alive != other.keep_alive),
        ]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect()
    }

    /// Whether `other` is the same configuration (see [`ConnectionSpec::differences`]).
    pub fn same_as(&self, other: &ConnectionSpec) -> bool {
        self.differences(other).is_empty()
    }
}

impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSpec")
            .field("alias", &self.alias)
            .field("target", &self.target)
            .field("security", &self.security)
            .field("auth", &self.auth)
            .field("db_name", &self.db_name)
            .field("timeout", &self.timeout)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// One row of [`ConnectionSpec::explain`]: a field, its value as text (never a secret) and
/// where the value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExplainRow<'a> {
    field: Field,
    value: String,
    origin: &'a Origin,
}

impl<'a> ExplainRow<'a> {
    /// The field.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Its value, as [`ConnectionSpec::display_value`] writes it.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Where the value came from.
    pub fn origin(&self) -> &'a Origin {
        self.origin
    }
}

impl fmt::Display for ExplainRow<'_> {
    /// `FIELD: VALUE (from ORIGIN)`, e.g. `timeout: 3s (from MILVUS_CONN_TIMEOUT (environment))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!(
            "{}: {} (from {})",
            self.field, self.value, self.origin
        ))
    }
}
