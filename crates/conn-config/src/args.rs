//! [`ConnectArgs`]: the explicit arguments, as given.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The explicit arguments of pymilvus's `connect()`, recorded raw.
///
/// Setting never fails: every value is kept as given and checked only by
/// [`Resolver::resolve`](crate::Resolver::resolve), which reports every problem at once. An
/// empty string counts as not given. `Debug` shows which secrets are set, never their values.
///
/// ```
/// use conn_config::ConnectArgs;
/// let args = ConnectArgs::new()
///     .uri("https://milvus.example.com:19530/analytics")
///     .user("root")
///     .password("Milvus");
/// assert_eq!(
///     format!("{args:?}"),
///     r#"ConnectArgs { uri: "https://milvus.example.com:19530/analytics", user: "root", password: "<redacted>" }"#
/// );
/// // A password inside the URI is hidden too.
/// let args = ConnectArgs::new().uri("http://root:Milvus@h:19530");
/// assert_eq!(format!("{args:?}"), r#"ConnectArgs { uri: "http://root:<redacted>@h:19530" }"#);
/// ```
#[derive(Clone, Default)]
pub struct ConnectArgs {
    pub(crate) alias: Option<String>,
    pub(crate) uri: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<SecretString>,
    pub(crate) token: Option<SecretString>,
    pub(crate) db_name: Option<String>,
    pub(crate) secure: Option<bool>,
    pub(crate) server_pem_path: Option<PathBuf>,
    pub(crate) ca_pem_path: Option<PathBuf>,
    pub(crate) client_pem_path: Option<PathBuf>,
    pub(crate) client_key_path: Option<PathBuf>,
    pub(crate) server_name: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) keep_alive: Option<bool>,
}

/// A port as given: a number or a string (checked at resolution: digits only, 1..=65535).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortArg(pub(crate) String);

impl From<String> for PortArg {
    fn from(p: String) -> PortArg {
        PortArg(p)
    }
}

from_display!(PortArg: u16, u32, i32, i64, &str);

/// A timeout as given: a [`Duration`], a number of seconds, or a string of seconds (checked
/// at resolution, whichever form it came in: positive, finite, at most
/// [`ConnectionSpec::MAX_TIMEOUT`](crate::ConnectionSpec::MAX_TIMEOUT), one day).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeoutArg(pub(crate) String);

impl From<Duration> for TimeoutArg {
    fn from(d: Duration) -> TimeoutArg {
        TimeoutArg(format_duration(d))
    }
}

impl From<String> for TimeoutArg {
    fn from(s: String) -> TimeoutArg {
        TimeoutArg(s)
    }
}

from_display!(TimeoutArg: f64, u64, u32, i32, &str);

/// Writes a duration as an exact decimal number of seconds (`2.5`, `10`, `0.000000001`).
pub(crate) fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        d.as_secs().to_string()
    } else {
        let frac = format!("{nanos:09}");
        format!("{}.{}", d.as_secs(), frac.trim_end_matches('0'))
    }
}

fn non_empty(s: impl Into<String>) -> Option<String> {
    let s = s.into();
    if s.is_empty() { None } else { Some(s) }
}

fn non_empty_secret(s: SecretString) -> Option<SecretString> {
    (!s.expose_secret().is_empty()).then_some(s)
}

fn non_empty_path(p: impl Into<PathBuf>) -> Option<PathBuf> {
    let p = p.into();
    if p.as_os_str().is_empty() {
        None
    } else {
        Some(p)
    }
}

/// The builder methods: each sets one argument (an empty value means not given).
macro_rules! setters {
    ($($(#[$meta:meta])* $name:ident($param:ident: $ty:ty) => $value:expr;)*) => {$(
        $(#[$meta])*
        #[must_use]
        pub fn $name(mut self, $param: $ty) -> Self {
            self.$name = $value;
            self
        }
    )*};
}

impl ConnectArgs {
    /// The longest value resolution takes, in bytes: 64 KiB, for every argument, variable
    /// and `.env` value alike (docs/resolution.md, "Limits"). A longer one is
    /// [`Error::ValueTooLong`](crate::Error::ValueTooLong), checked before any parsing.
    pub const MAX_VALUE_LEN: usize = 64 * 1024;

    /// No arguments: resolution then uses the environment, `.env` and the defaults.
    pub fn new() -> ConnectArgs {
        ConnectArgs::default()
    }

    setters! {
        /// The connection's alias (default: `MILVUS_CONN_ALIAS`, else `default`).
        alias(alias: impl Into<String>) => non_empty(alias);
        /// The target as a URI: `http://host:port/db`, `https://…`, `tcp://…`, `grpc://…`,
        /// `unix:PATH`, or a local `.db` path. Userinfo gives the credentials and the first path
        /// segment the database.
        uri(uri: impl Into<String>) => non_empty(uri);
        /// The target as `host:port` (`[v6]:port` for IPv6). Beats `uri` and `host`/`port`.
        address(address: impl Into<String>) => non_empty(address);
        /// The target host (default `localhost` when only `port` is given). IPv6 literals may be
        /// given with or without brackets.
        host(host: impl Into<String>) => non_empty(host);
        /// The target port (default 19530 when only `host` is given).
        port(port: impl Into<PortArg>) => non_empty(port.into().0);
        /// The user name; needs [`password`](Self::password).
        user(user: impl Into<String>) => non_empty(user);
        /// The password; needs [`user`](Self::user).
        password(password: impl Into<SecretString>) => non_empty_secret(password.into());
        /// A token (an API key, or `user:password`). Beats user and password.
        token(token: impl Into<SecretString>) => non_empty_secret(token.into());
        /// The database (beats the URI's path).
        db_name(db_name: impl Into<String>) => non_empty(db_name);
        /// TLS on or off. `https` URIs and TLS settings turn it on when it is not given;
        /// `false` together with either is an error.
        secure(secure: bool) => Some(secure);
        /// A PEM file with the server's certificate (or its CA) to trust: one-way TLS.
        server_pem_path(path: impl Into<PathBuf>) => non_empty_path(path);
        /// A PEM file with the CA certificate to trust.
        ca_pem_path(path: impl Into<PathBuf>) => non_empty_path(path);
        /// The client certificate (PEM) for mutual TLS; needs [`client_key_path`](Self::client_key_path).
        client_pem_path(path: impl Into<PathBuf>) => non_empty_path(path);
        /// The client private key (PEM) for mutual TLS; needs [`client_pem_path`](Self::client_pem_path).
        client_key_path(path: impl Into<PathBuf>) => non_empty_path(path);
        /// The name to check in the server's certificate instead of the host.
        server_name(name: impl Into<String>) => non_empty(name);
        /// The connect timeout, in seconds or as a [`Duration`] (default: `MILVUS_CONN_TIMEOUT`,
        /// else 10 s).
        timeout(timeout: impl Into<TimeoutArg>) => non_empty(timeout.into().0);
        /// pymilvus's `keep_alive`: ask the connection layer to reconnect when idle.
        keep_alive(keep_alive: bool) => Some(keep_alive);
    }

    /// The alias, if given.
    pub fn alias_name(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// Whether no argument is given at all.
    pub fn is_empty(&self) -> bool {
        // Destructured, so that a field added later must be named here.
        macro_rules! all_none {
            ($($field:ident),*) => {{
                let ConnectArgs { $($field),* } = self;
                true $(&& $field.is_none())*
            }};
        }
        #[rustfmt::skip]
        let none = all_none!(alias, uri, address, host, port, user, password, token, db_name,
            secure, server_pem_path, ca_pem_path, client_pem_path, client_key_path, server_name,
            timeout, keep_alive);
        none
    }
}

impl fmt::Debug for ConnectArgs {
    /// Lists the arguments that are set; secrets show as `"<redacted>"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ConnectArgs");
        macro_rules! show {
            ($($name:ident),*) => {$(
                if let Some(v) = &self.$name { d.field(stringify!($name), v); }
            )*};
        }
        show!(alias);
        if let Some(uri) = &self.uri {
            d.field("uri", &redact_uri_password(uri));
        }
        show!(address, host, port, user);
        if self.password.is_some() {
            d.field("password", &"<redacted>");
        }
        if self.token.is_some() {
            d.field("token", &"<redacted>");
        }
        show!(
            db_name,
            secure,
            server_pem_path,
            ca_pem_path,
            client_pem_path,
            client_key_path,
            server_name,
            timeout,
            keep_alive
        );
        d.finish()
    }
}

/// A URI with the password of its userinfo replaced by `<redacted>`, for `Debug`.
///
/// Errs on the safe side: everything between `://` and the last `@` after it, past the
/// user name's `:`, is hidden, even when an unencoded `/`, `?` or `#` in the password
/// would make a URI parser end the userinfo earlier.
pub(crate) fn redact_uri_password(uri: &str) -> std::borrow::Cow<'_, str> {
    let Some(at) = uri.rfind('@') else {
        return uri.into();
    };
    let is_scheme = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    // `scheme://user:password@…`: keep the user name. Anything else with an `@` (a
    // mistyped `http:u:p@h`, or text that is no URI at all) is hidden from its first `:`
    // to its last `@`.
    let from = match uri.find("://") {
        Some(i) if is_scheme(&uri[..i]) && i + 3 <= at => match uri[i + 3..at].find(':') {
            Some(colon) => i + 3 + colon + 1,
            None => return uri.into(),
        },
        _ => match uri[..at].find(':') {
            Some(colon) => colon + 1,
            None => return uri.into(),
        },
    };
    format!("{}<redacted>{}", &uri[..from], &uri[at..]).into()
}

#[cfg(test)]
mod tests;
