//! Transport security: [`Security`], [`TlsMode`], [`TlsSpec`], [`ClientIdentity`].

use std::fmt;
use std::path::{Path, PathBuf};

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

display_by_as_str!(TlsMode);
