//! Where to connect: [`Port`], [`Host`], [`Target`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU16;
use std::path::PathBuf;

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

display_by_as_str!(TargetKind);
