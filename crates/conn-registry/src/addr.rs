//! [`ConnectionAddr`]: the non-secret summary of an alias's configuration.

use std::fmt;

use conn_config::{Alias, AuthKind, ConnectionSpec, DbName, Target, TlsMode};

/// What [`Registry::get_connection_addr`](crate::Registry::get_connection_addr) returns: where
/// an alias connects and as whom, without any secret. pymilvus returns the stored dict
/// (`{"address": …, "user": …}`); this is the typed equivalent.
///
/// `Debug` and `Display` show the same non-secret fields; there is no secret to hide, since
/// the summary never holds one.
///
/// ```
/// # fn main() -> Result<(), conn_config::Errors> {
/// use conn_config::ConnectArgs;
/// use conn_registry::ConnectionAddr;
///
/// let spec = ConnectArgs::new()
///     .uri("https://root:Milvus@milvus.example.com/analytics")
///     .resolve_isolated()?;
/// let addr = ConnectionAddr::from_spec(&spec, false);
/// assert_eq!(addr.address(), "milvus.example.com:443");
/// assert_eq!(addr.user(), Some("root"));
/// assert_eq!(
///     addr.to_string(),
///     "milvus.example.com:443 (alias default, user root, database analytics, tls platform_roots, not connected)"
/// );
/// assert!(!format!("{addr:?}").contains("Milvus"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionAddr {
    alias: Alias,
    target: Target,
    user: Option<String>,
    auth: AuthKind,
    db_name: DbName,
    tls: Option<TlsMode>,
    connected: bool,
}

impl ConnectionAddr {
    /// The summary of a resolved spec; `connected` says whether the alias has a live
    /// connection (whose spec this is) or only a configuration.
    pub fn from_spec(spec: &ConnectionSpec, connected: bool) -> ConnectionAddr {
        ConnectionAddr {
            alias: spec.alias().clone(),
            target: spec.target().clone(),
            user: spec.auth().user().map(str::to_owned),
            auth: spec.auth().kind(),
            db_name: spec.db_name().clone(),
            tls: spec.security().tls().map(|t| t.mode()),
            connected,
        }
    }

    /// The alias.
    pub fn alias(&self) -> &Alias {
        &self.alias
    }

    /// The address as pymilvus writes it: `host:port`, `unix:PATH` or the `.db` path.
    pub fn address(&self) -> String {
        self.target.address()
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The user name, for user/password authentication.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The kind of credentials: [`AuthKind::None`], [`AuthKind::UserPassword`] or
    /// [`AuthKind::Token`].
    pub fn auth_kind(&self) -> AuthKind {
        self.auth
    }

    /// The database.
    pub fn db_name(&self) -> &DbName {
        &self.db_name
    }

    /// Whether TLS is on (pymilvus's `secure`).
    pub fn is_secure(&self) -> bool {
        self.tls.is_some()
    }

    /// The TLS set-up, when TLS is on.
    pub fn tls_mode(&self) -> Option<TlsMode> {
        self.tls
    }

    /// Whether the alias has a live connection. When it does, the summary is of that
    /// connection's spec; when not, of the stored configuration resolved now.
    pub fn is_connected(&self) -> bool {
        self.connected
    }
}

impl fmt::Display for ConnectionAddr {
    /// `host:port (alias a, user root, database db1, tls one_way, connected)`; `token` in
    /// place of the user for token authentication, `no credentials` without any. Honours
    /// width and fill (the whole text is padded).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = match (&self.user, self.auth) {
            (Some(user), _) => format!("user {user}"),
            (None, AuthKind::Token) => "token".to_owned(),
            (None, _) => "no credentials".to_owned(),
        };
        let tls = self.tls.map_or("off", TlsMode::as_str);
        let connected = if self.connected {
            "connected"
        } else {
            "not connected"
        };
        f.pad(&format!(
            "{} (alias {}, {credentials}, database {}, tls {tls}, {connected})",
            self.target, self.alias, self.db_name
        ))
    }
}
