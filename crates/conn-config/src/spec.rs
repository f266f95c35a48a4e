//! The validated output of resolution: [`ConnectionSpec`] and the types it is made of.
//!
//! Every type here is built only by the resolver (or by the parsers in this crate), so a
//! value of any of them is always valid: a [`Port`] is never 0, a [`Host`] is never empty
//! and always lower-case, a [`TlsSpec`] never holds half a client certificate pair.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::origin::{Field, Origin, Origins, Overridden};

/// A TCP port, 1..=65535.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(NonZeroU16);

impl Port {
    /// The default Milvus gRPC port, 19530.
    pub const MILVUS: Port = Port(NonZeroU16::new(19530).expect("19530 is not zero"));
    /// The default HTTPS port, 443, used for `https://` URIs without a port.
    pub const HTTPS: Port = Port(NonZeroU16::new(443).expect("443 is not zero"));

    /// Makes a port from a number; `None` for 0.
    ///
    /// ```
    /// use conn_config::Port;
    /// assert_eq!(Port::new(19530).map(|p| p.get()), Some(19530));
    /// assert!(Port::new(0).is_none());
    /// ```
    pub const fn new(port: u16) -> Option<Port> {
        match NonZeroU16::new(port) {
            Some(p) => Some(Port(p)),
            None => None,
        }
    }

    /// The port number.
    pub const fn get(self) -> u16 {
        self.0.get()
    }
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.get(), f)
    }
}

impl fmt::Display for Port {
    /// The number. Honours width and fill (as integers do: `{:>6}`, `{:06}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.get(), f)
    }
}

/// A host: a lower-case domain name, an IPv4 address or an IPv6 address.
///
/// Domain names are lower-cased and IDNA-normalised the way the WHATWG URL standard does
/// it (the `url` crate does the work), IPv6 addresses are kept as addresses and written in
/// canonical form. A domain name is dot-separated labels of ASCII letters, digits, `-` and
/// `_`, each 1..=[`MAX_LABEL_LEN`](Host::MAX_LABEL_LEN) bytes, at most
/// [`MAX_LEN`](Host::MAX_LEN) bytes in all, with an optional trailing dot.
///
/// The representation is private, so a `Host` is valid by construction: the resolver builds
/// names, and anyone can build one from an IP address (`Host::from(ip)`).
///
/// ```
/// use std::net::{IpAddr, Ipv6Addr};
/// use conn_config::Host;
/// let ip = Host::from(Ipv6Addr::LOCALHOST);
/// assert_eq!(ip.as_ip(), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
/// assert_eq!((ip.to_string(), ip.to_uri_host()), ("::1".to_owned(), "[::1]".to_owned()));
/// assert_eq!(Host::localhost().as_name(), Some("localhost"));
/// assert_eq!(format!("{:>10}|", Host::localhost()), " localhost|");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Host(HostRepr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum HostRepr {
    /// A domain name such as `localhost` or `in01-abc.zillizcloud.com`.
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
}

impl Host {
    /// The longest host name, in bytes, as written (a trailing dot included):
    /// 253 (docs/resolution.md, "Limits").
    pub const MAX_LEN: usize = 253;

    /// The longest label of a host name: 63 bytes.
    pub const MAX_LABEL_LEN: usize = 63;

    /// `localhost`, the default host.
    pub fn localhost() -> Host {
        Host(HostRepr::Domain("localhost".to_owned()))
    }

    /// A domain name the caller has checked (lower-case, host-name syntax).
    pub(crate) fn checked_name(name: String) -> Host {
        Host(HostRepr::Domain(name))
    }

    /// The IP address, when the host is one.
    pub fn as_ip(&self) -> Option<IpAddr> {
        match self.0 {
            HostRepr::Ipv4(ip) => Some(IpAddr::V4(ip)),
            HostRepr::Ipv6(ip) => Some(IpAddr::V6(ip)),
            HostRepr::Domain(_) => None,
        }
    }

    /// The domain name (lower-case), when the host is one.
    pub fn as_name(&self) -> Option<&str> {
        match &self.0 {
            HostRepr::Domain(d) => Some(d),
            HostRepr::Ipv4(_) | HostRepr::Ipv6(_) => None,
        }
    }

    /// Whether the host is a loopback address or the name `localhost`.
    ///
    /// ```
    /// use conn_config::Host;
    /// assert!(Host::localhost().is_loopback());
    /// assert!(Host::from(std::net::Ipv6Addr::LOCALHOST).is_loopback());
    /// assert!(!Host::from(std::net::Ipv4Addr::new(10, 0, 0, 1)).is_loopback());
    /// ```
    pub fn is_loopback(&self) -> bool {
        match &self.0 {
            HostRepr::Domain(d) => d == "localhost" || d.ends_with(".localhost"),
            HostRepr::Ipv4(ip) => ip.is_loopback(),
            HostRepr::Ipv6(ip) => ip.is_loopback(),
        }
    }

    /// The host as it is written in a URI authority: IPv6 addresses in brackets.
    pub fn to_uri_host(&self) -> String {
        match &self.0 {
            // WHATWG serialization: `[::ffff:102:304]`, not std's `::ffff:1.2.3.4`.
            HostRepr::Ipv6(ip) => url::Host::<&str>::Ipv6(*ip).to_string(),
            HostRepr::Domain(d) => d.clone(),
            HostRepr::Ipv4(ip) => ip.to_string(),
        }
    }
}

impl From<Ipv4Addr> for Host {
    fn from(ip: Ipv4Addr) -> Host {
        Host(HostRepr::Ipv4(ip))
    }
}

impl From<Ipv6Addr> for Host {
    fn from(ip: Ipv6Addr) -> Host {
        Host(HostRepr::Ipv6(ip))
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Host {
        match ip {
            IpAddr::V4(ip) => Host::from(ip),
            IpAddr::V6(ip) => Host::from(ip),
        }
    }
}

impl fmt::Display for Host {
    /// The bare host: IPv6 addresses without brackets. Honours width and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            HostRepr::Domain(d) => f.pad(d),
            HostRepr::Ipv4(_) => f.pad(&self.to_uri_host()),
            HostRepr::Ipv6(_) => {
                let bracketed = self.to_uri_host();
                f.pad(&bracketed[1..bracketed.len() - 1])
            }
        }
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// Where the client connects to.
///
/// Non-exhaustive: match with a `_` arm (a transport answers an unknown kind with its own
/// "unsupported target" error).
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// A TCP host and port.
    Tcp {
        /// The host.
        host: Host,
        /// The port.
        port: Port,
    },
    /// A Unix domain socket at this path (`unix:PATH`), as resolved: the path as given,
    /// neither made absolute nor checked to exist.
    Unix(PathBuf),
    /// A milvus-lite database file (a local path ending in `.db`), as resolved: the path
    /// as given, neither made absolute nor checked to exist. Connecting to it needs a
    /// milvus-lite server, which this project does not start.
    Lite(PathBuf),
}

impl Target {
    /// The TCP target `localhost:19530`, used when no source names one.
    pub fn default_tcp() -> Target {
        Target::Tcp {
            host: Host::localhost(),
            port: Port::MILVUS,
        }
    }

    /// The target written as pymilvus writes its address: `host:port` (IPv6 in brackets),
    /// `unix:PATH`, or the `.db` path.
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// let spec = conn_config::ConnectArgs::new().uri("http://[::1]:19530").resolve_isolated()?;
    /// assert_eq!(spec.target().address(), "[::1]:19530");
    /// # Ok(()) }
    /// ```
    pub fn address(&self) -> String {
        match self {
            Target::Tcp { host, port } => format!("{}:{port}", host.to_uri_host()),
            Target::Unix(p) => format!("unix:{}", p.display()),
            Target::Lite(p) => p.display().to_string(),
        }
    }

    /// The host, for TCP targets.
    pub fn host(&self) -> Option<&Host> {
        match self {
            Target::Tcp { host, .. } => Some(host),
            _ => None,
        }
    }

    /// The port, for TCP targets.
    pub fn port(&self) -> Option<Port> {
        match self {
            Target::Tcp { port, .. } => Some(*port),
            _ => None,
        }
    }

    /// The kind of target: [`TargetKind::Tcp`], [`TargetKind::Unix`] or
    /// [`TargetKind::Lite`].
    pub fn kind(&self) -> TargetKind {
        match self {
            Target::Tcp { .. } => TargetKind::Tcp,
            Target::Unix(_) => TargetKind::Unix,
            Target::Lite(_) => TargetKind::Lite,
        }
    }
}

impl fmt::Display for Target {
    /// The [`address`](Target::address). Honours width and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.address())
    }
}

/// The kind of a [`Target`], without its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TargetKind {
    /// [`Target::Tcp`].
    Tcp,
    /// [`Target::Unix`].
    Unix,
    /// [`Target::Lite`].
    Lite,
}

impl TargetKind {
    /// `"tcp"`, `"unix"` or `"lite"` (the CLI's `target.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Tcp => "tcp",
            TargetKind::Unix => "unix",
            TargetKind::Lite => "lite",
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp { host, port } => f
                .debug_struct("Tcp")
                .field("host", host)
                .field("port", port)
                .finish(),
            Target::Unix(p) => f.debug_tuple("Unix").field(p).finish(),
            Target::Lite(p) => f.debug_tuple("Lite").field(p).finish(),
        }
    }
}

/// Plaintext or TLS.
///
/// Non-exhaustive: match with a `_` arm, or use [`Security::tls`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Security {
    /// No TLS.
    Plaintext,
    /// TLS, configured by the [`TlsSpec`].
    Tls(TlsSpec),
}

impl Security {
    /// Whether TLS is on.
    pub fn is_tls(&self) -> bool {
        matches!(self, Security::Tls(_))
    }

    /// The TLS settings, when TLS is on.
    pub fn tls(&self) -> Option<&TlsSpec> {
        match self {
            Security::Tls(t) => Some(t),
            Security::Plaintext => None,
        }
    }
}

impl fmt::Display for Security {
    /// `plaintext`, or `tls (MODE)` with the [`TlsMode`]: `tls (one_way)`. Honours width
    /// and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Security::Plaintext => f.pad("plaintext"),
            Security::Tls(t) => f.pad(&format!("tls ({})", t.mode())),
        }
    }
}

/// Which TLS set-up a [`TlsSpec`] amounts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// Server authentication against the platform's root store; no client certificate.
    PlatformRoots,
    /// Server authentication against the given CA file(s); no client certificate.
    OneWay,
    /// A client certificate is sent; the server is checked against the CA file(s) if any,
    /// else the platform's root store.
    Mutual,
}

impl TlsMode {
    /// `"platform_roots"`, `"one_way"` or `"mutual"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::PlatformRoots => "platform_roots",
            TlsMode::OneWay => "one_way",
            TlsMode::Mutual => "mutual",
        }
    }
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A client certificate and its private key, both PEM files.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl ClientIdentity {
    /// The certificate (chain) file, from `client_pem_path`.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// The private key file, from `client_key_path`. Only the path: the key itself is read
    /// by the transport and never held here.
    pub fn key_path(&self) -> &Path {
        &self.key
    }
}

/// TLS settings: which roots to trust, which client certificate to send, which name to check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsSpec {
    /// `server_pem_path` then `ca_pem_path`, whichever are given; empty for platform roots.
    pub(crate) ca_files: Vec<PathBuf>,
    /// Whether `ca_files` starts with `server_pem_path`.
    pub(crate) has_server_pem: bool,
    pub(crate) client: Option<ClientIdentity>,
    pub(crate) server_name: Option<String>,
}

impl TlsSpec {
    /// The file given as `server_pem_path`, if any.
    pub fn server_pem_path(&self) -> Option<&Path> {
        self.has_server_pem
            .then(|| self.ca_files.first())
            .flatten()
            .map(PathBuf::as_path)
    }

    /// The file given as `ca_pem_path`, if any.
    pub fn ca_pem_path(&self) -> Option<&Path> {
        let skip = usize::from(self.has_server_pem);
        self.ca_files.get(skip).map(PathBuf::as_path)
    }

    /// The certificates to trust instead of the platform's roots (`server_pem_path`, then
    /// `ca_pem_path`). Empty means the platform's root store.
    pub fn ca_files(&self) -> &[PathBuf] {
        &self.ca_files
    }

    /// The client certificate, for mutual TLS.
    pub fn client_identity(&self) -> Option<&ClientIdentity> {
        self.client.as_ref()
    }

    /// The name to check in the server's certificate instead of the target host.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The TLS set-up these settings amount to.
    pub fn mode(&self) -> TlsMode {
        match (&self.client, self.ca_files.is_empty()) {
            (Some(_), _) => TlsMode::Mutual,
            (None, false) => TlsMode::OneWay,
            (None, true) => TlsMode::PlatformRoots,
        }
    }
}

/// How the client authenticates.
///
/// Non-exhaustive: match with a `_` arm, or use [`Auth::kind`], [`Auth::user`] and
/// [`Auth::authorization`].
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// No `authorization` header.
    None,
    /// A user name and password, sent as `base64(user:password)`.
    UserPassword {
        /// The user name.
        user: String,
        /// The password.
        password: SecretString,
    },
    /// A token (an API key, or `user:password` written as one string), sent as `base64(token)`.
    Token(SecretString),
}

impl Auth {
    /// The value of the `authorization` header: the padded standard base64 of the token or
    /// of `user:password`, with no prefix. `None` when there are no credentials.
    ///
    /// This and [`Auth::same_secret`] are the only places the crate exposes a secret.
    ///
    /// ```
    /// use conn_config::Auth;
    /// use secrecy::{ExposeSecret, SecretString};
    /// let auth = Auth::UserPassword { user: "root".into(), password: SecretString::from("Milvus") };
    /// assert_eq!(auth.authorization().unwrap().expose_secret(), "cm9vdDpNaWx2dXM=");
    /// ```
    pub fn authorization(&self) -> Option<SecretString> {
        use base64::Engine as _;
        let engine = &base64::engine::general_purpose::STANDARD;
        match self {
            Auth::None => None,
            Auth::Token(t) => Some(engine.encode(t.expose_secret()).into()),
            Auth::UserPassword { user, password } => {
                let mut plain =
                    String::with_capacity(user.len() + 1 + password.expose_secret().len());
                plain.push_str(user);
                plain.push(':');
                plain.push_str(password.expose_secret());
                let encoded = engine.encode(plain.as_bytes());
                zeroize_string(plain);
                Some(encoded.into())
            }
        }
    }

    /// The user name, for user/password authentication.
    pub fn user(&self) -> Option<&str> {
        match self {
            Auth::UserPassword { user, .. } => Some(user),
            _ => None,
        }
    }

    /// The kind of credentials: [`AuthKind::None`], [`AuthKind::UserPassword`] or
    /// [`AuthKind::Token`].
    pub fn kind(&self) -> AuthKind {
        match self {
            Auth::None => AuthKind::None,
            Auth::UserPassword { .. } => AuthKind::UserPassword,
            Auth::Token(_) => AuthKind::Token,
        }
    }

    /// Whether two credentials are the same, secrets included, without revealing either.
    pub fn same_secret(&self, other: &Auth) -> bool {
        match (self, other) {
            (Auth::None, Auth::None) => true,
            (Auth::Token(a), Auth::Token(b)) => {
                constant_time_eq(a.expose_secret().as_bytes(), b.expose_secret().as_bytes())
            }
            (
                Auth::UserPassword {
                    user: ua,
                    password: pa,
                },
                Auth::UserPassword {
                    user: ub,
                    password: pb,
                },
            ) => {
                ua == ub
                    && constant_time_eq(
                        pa.expose_secret().as_bytes(),
                        pb.expose_secret().as_bytes(),
                    )
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            Auth::Token(_) => f.debug_tuple("Token").field(&"<redacted>").finish(),
        }
    }
}

/// The kind of an [`Auth`], without its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuthKind {
    /// [`Auth::None`].
    None,
    /// [`Auth::UserPassword`].
    UserPassword,
    /// [`Auth::Token`].
    Token,
}

impl AuthKind {
    /// `"none"`, `"user_password"` or `"token"` (the CLI's `auth.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::UserPassword => "user_password",
            AuthKind::Token => "token",
        }
    }
}

impl fmt::Display for AuthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Overwrites a string that held a secret before it is dropped.
fn zeroize_string(s: String) {
    let mut bytes = s.into_bytes();
    for b in bytes.iter_mut() {
        // A volatile write would be stronger; this keeps the crate free of unsafe code.
        *b = 0;
    }
    std::hint::black_box(&bytes);
}

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

impl fmt::Display for DbName {
    /// The name. Honours width and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for DbName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
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

impl fmt::Display for Alias {
    /// The name. Honours width and fill.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

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
        let mut out = Vec::new();
        if self.alias != other.alias {
            out.push(Field::Alias);
        }
        if self.target != other.target {
            out.push(Field::Target);
        }
        if self.security != other.security {
            out.push(Field::Security);
        }
        if !self.auth.same_secret(&other.auth) {
            out.push(Field::Auth);
        }
        if self.db_name != other.db_name {
            out.push(Field::DbName);
        }
        if self.timeout != other.timeout {
            out.push(Field::Timeout);
        }
        if self.keep_alive != other.keep_alive {
            out.push(Field::KeepAlive);
        }
        out
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
