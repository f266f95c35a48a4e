//! Reading every file of a spec (and, without CA files, the platform's roots) on a thread
//! of its own, bounded by the connect's deadline; then checking each holds its PEM.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use conn_config::TlsSpec;

use super::files::{Reader, TlsFile, files, read_files};
use crate::error::{Error, PemKind, TlsFileField};

pub(super) fn not_pem(field: TlsFileField, path: &Path, expected: PemKind) -> Error {
    Error::FileNotPem {
        field,
        path: path.to_owned(),
        expected,
    }
}

/// One CA file: where it came from and its certificates (DER), at least one.
#[cfg_attr(not(feature = "_tls"), allow(dead_code))]
pub(crate) struct CaFile {
    pub(super) field: TlsFileField,
    pub(super) path: PathBuf,
    pub(super) certs: Vec<Certificate>,
}

#[cfg(feature = "_tls")]
pub(super) type Certificate = rustls::pki_types::CertificateDer<'static>;
#[cfg(not(feature = "_tls"))]
pub(super) type Certificate = Unparsed;

/// Without a TLS backend the files are checked for their PEM armour only.
#[cfg(not(feature = "_tls"))]
pub(crate) struct Unparsed;

/// The material of a [`TlsSpec`], read and checked.
pub(crate) struct TlsMaterial {
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(super) cas: Vec<CaFile>,
    /// The client certificate chain and its key.
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(super) identity: Option<(Vec<Certificate>, PrivateKey)>,
    /// The platform's root certificates, when there are no CA files.
    #[cfg(feature = "_tls")]
    pub(super) roots: Option<Arc<rustls::RootCertStore>>,
}

#[cfg(feature = "_tls")]
type PrivateKey = rustls::pki_types::PrivateKeyDer<'static>;
#[cfg(not(feature = "_tls"))]
type PrivateKey = Unparsed;

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("cas", &self.cas.len())
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[cfg(feature = "_tls")]
impl TlsMaterial {
    /// The TLS side of the identity of a channel built from this material (see
    /// [`ChannelPool`](crate::ChannelPool)): `server_name` and the DER bytes read.
    pub(crate) fn channel_key(&self, server_name: &str) -> crate::pool::TlsKey {
        let der = |certs: &[Certificate]| certs.iter().map(|c| c.as_ref().to_vec()).collect();
        crate::pool::TlsKey {
            server_name: server_name.to_owned(),
            cas: self.cas.iter().map(|ca| der(&ca.certs)).collect(),
            identity: self
                .identity
                .as_ref()
                .map(|(chain, key)| (der(chain), key.secret_der().to_vec())),
        }
    }
}

/// The value of [`Reading::at`] while the platform's root certificates are loaded.
const AT_ROOTS: usize = usize::MAX;

/// The platform's root certificates, loaded when the spec names no CA file.
#[cfg(feature = "_tls")]
type Roots = Option<Result<Arc<rustls::RootCertStore>, Error>>;
#[cfg(not(feature = "_tls"))]
type Roots = Option<std::convert::Infallible>;

/// What the reading thread produces.
struct Loaded {
    contents: Vec<Vec<u8>>,
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    roots: Roots,
}

/// Reads the files, then (when `roots_for` gives the address) loads the platform's root
/// certificates: rustls-native-certs reads the OS store and the files `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` name (added to the store: 146 certificates here with one in
/// `SSL_CERT_FILE`), which are as able to block as the spec's own files. Hands the result
/// to `done`: on this thread, or, when another thread is loading the roots, on that one once
/// it is done (while `alive` lives; see [`super::roots::platform_roots_then`]).
fn read_all(
    files: &[TlsFile],
    at: &AtomicUsize,
    read: Reader,
    roots_for: Option<&str>,
    alive: Weak<()>,
    done: impl FnOnce(Result<Loaded, Error>) + Send + 'static,
) {
    let contents = match read(files, at) {
        Ok(contents) => contents,
        Err(e) => return done(Err(e)),
    };
    #[cfg(feature = "_tls")]
    if let Some(address) = roots_for {
        at.store(AT_ROOTS, Ordering::Relaxed);
        return super::roots::platform_roots_then(address, alive, move |roots| {
            done(Ok(Loaded {
                contents,
                roots: Some(roots),
            }));
        });
    }
    let _ = (roots_for, alive);
    done(Ok(Loaded {
        contents,
        roots: None,
    }));
}

/// Files being read on a thread of their own.
struct Reading {
    files: Arc<[TlsFile]>,
    /// The index of the file being read, or [`AT_ROOTS`].
    at: Arc<AtomicUsize>,
    address: String,
    /// Alive while the caller waits for the result (a load of the platform roots under way
    /// on another thread hands it over only then).
    _alive: Arc<()>,
}

impl Reading {
    /// Starts reading on a reader thread ([`super::reader`]: detached, reused), which hands
    /// the result to `done`. If no thread can be started, the files are read on this thread
    /// (still type-checked and size-capped).
    fn start(
        tls: &TlsSpec,
        address: &str,
        read: Reader,
        done: impl FnOnce(Result<Loaded, Error>) + Send + 'static,
    ) -> Reading {
        let files: Arc<[TlsFile]> = files(tls).into();
        let at = Arc::new(AtomicUsize::new(0));
        let roots_for = tls.ca_files().is_empty().then(|| address.to_owned());
        let (files2, at2) = (files.clone(), at.clone());
        let alive = Arc::new(());
        let weak = Arc::downgrade(&alive);
        let job: super::reader::Job = Box::new(move || {
            read_all(&files2, &at2, read, roots_for.as_deref(), weak, done);
        });
        if let Err(job) = super::reader::run(job) {
            tracing::debug!("reading the tls files on this thread");
            job();
        }
        Reading {
            files,
            at,
            address: address.to_owned(),
            _alive: alive,
        }
    }

    /// The file being read (or the last one); `None` while loading the platform's roots.
    fn current(&self) -> Option<&TlsFile> {
        match self.at.load(Ordering::Relaxed) {
            AT_ROOTS => None,
            i => self.files.get(i).or(self.files.last()),
        }
    }

    /// The error when the time ran out: it names the file being read.
    fn timed_out(&self, timeout: Duration) -> Error {
        match self.current() {
            Some(file) => Error::FileReadTimedOut {
                field: file.field,
                path: file.path.clone(),
                timeout,
            },
            None => self.roots_failed(format!(
                "the platform's root certificates (the os store, or SSL_CERT_FILE / SSL_CERT_DIR) were not loaded within the timeout of {}",
                humantime::format_duration(timeout)
            )),
        }
    }

    /// The error when the reader stopped without a result (it panicked; it does not).
    fn stopped(&self) -> Error {
        match self.current() {
            Some(file) => Error::FileUnreadable {
                field: file.field,
                path: file.path.clone(),
                source: std::io::Error::other("the thread reading the file stopped"),
            },
            None => self.roots_failed(
                "the thread loading the platform's root certificates stopped".to_owned(),
            ),
        }
    }

    fn roots_failed(&self, reason: String) -> Error {
        Error::TlsUnavailable {
            address: self.address.clone(),
            reason,
            source: None,
        }
    }
}

/// Reads every file the spec names, by `deadline`, and checks each holds what it should,
/// so that a missing or wrong file is reported, naming the file and the setting, before
/// anything is sent. Without CA files, loads the platform's roots too, by the same
/// deadline. `address` and `timeout` are for the errors' text.
pub(crate) async fn load_by(
    tls: &TlsSpec,
    address: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Result<TlsMaterial, Error> {
    load_by_with(tls, address, deadline, timeout, read_files).await
}

pub(super) async fn load_by_with(
    tls: &TlsSpec,
    address: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
    read: Reader,
) -> Result<TlsMaterial, Error> {
    if let Some(loaded) = nothing_to_read(tls, address) {
        return parse(tls, loaded);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let reading = Reading::start(tls, address, read, move |loaded| {
        // The receiver is gone when the deadline passed first; nothing to do then.
        let _ = tx.send(loaded);
    });
    match tokio::time::timeout_at(deadline, rx).await {
        Ok(Ok(loaded)) => parse(tls, loaded?),
        Ok(Err(_)) => Err(reading.stopped()),
        Err(_) => Err(reading.timed_out(timeout)),
    }
}

/// As [`load_by`], blocking this thread for at most `timeout` (for the synchronous
/// [`connect_lazy`](crate::Connector::connect_lazy)).
pub(crate) fn load_within(
    tls: &TlsSpec,
    address: &str,
    timeout: Duration,
) -> Result<TlsMaterial, Error> {
    load_within_with(tls, address, timeout, read_files)
}

pub(super) fn load_within_with(
    tls: &TlsSpec,
    address: &str,
    timeout: Duration,
    read: Reader,
) -> Result<TlsMaterial, Error> {
    if let Some(loaded) = nothing_to_read(tls, address) {
        return parse(tls, loaded);
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let reading = Reading::start(tls, address, read, move |loaded| {
        let _ = tx.send(loaded);
    });
    // recv_timeout blocks without a deadline when `timeout` is too large to add to now.
    match rx.recv_timeout(timeout) {
        Ok(loaded) => parse(tls, loaded?),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(reading.stopped()),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(reading.timed_out(timeout)),
    }
}

/// What a spec with no file of its own needs once the platform roots are loaded in this
/// process: nothing that can block, so no thread is started. `None` when there is something
/// to read (files, or roots not loaded yet).
fn nothing_to_read(tls: &TlsSpec, address: &str) -> Option<Loaded> {
    if !tls.ca_files().is_empty() || tls.client_identity().is_some() {
        return None;
    }
    #[cfg(feature = "_tls")]
    let roots =
        Some(super::roots::platform_roots_loaded().then(|| super::roots::platform_roots(address))?);
    #[cfg(not(feature = "_tls"))]
    let roots = {
        let _ = address;
        None
    };
    Some(Loaded {
        contents: Vec::new(),
        roots,
    })
}

/// Checks the files' contents (in the order of [`files`]) and builds the material.
fn parse(tls: &TlsSpec, loaded: Loaded) -> Result<TlsMaterial, Error> {
    let files = files(tls);
    let mut contents = files.iter().zip(loaded.contents);
    let mut cas = Vec::with_capacity(tls.ca_files().len());
    for _ in tls.ca_files() {
        let Some((file, pem)) = contents.next() else {
            break;
        };
        let certs = certificates(&pem)
            .ok_or_else(|| not_pem(file.field, &file.path, PemKind::Certificate))?;
        cas.push(CaFile {
            field: file.field,
            path: file.path.clone(),
            certs,
        });
    }
    let identity = match (contents.next(), contents.next()) {
        (Some((cert, cert_pem)), Some((key, key_pem))) => {
            let chain = certificates(&cert_pem)
                .ok_or_else(|| not_pem(cert.field, &cert.path, PemKind::Certificate))?;
            let key = private_key(&key_pem)
                .ok_or_else(|| not_pem(key.field, &key.path, PemKind::PrivateKey))?;
            Some((chain, key))
        }
        _ => None,
    };
    Ok(TlsMaterial {
        cas,
        identity,
        #[cfg(feature = "_tls")]
        roots: loaded.roots.transpose()?,
    })
}

/// The certificates of a PEM file; `None` when there are none or one is malformed.
#[cfg(feature = "_tls")]
fn certificates(pem: &[u8]) -> Option<Vec<Certificate>> {
    use rustls::pki_types::pem::PemObject;
    let certs = Certificate::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    (!certs.is_empty()).then_some(certs)
}

#[cfg(feature = "_tls")]
fn private_key(pem: &[u8]) -> Option<PrivateKey> {
    use rustls::pki_types::pem::PemObject;
    // The parse error is dropped on purpose: it could quote part of the key.
    PrivateKey::from_pem_slice(pem).ok()
}

/// Without a TLS backend the files are still read (so a missing one is reported as such),
/// and their PEM armour checked by hand; the spec then fails with `TlsUnavailable`.
#[cfg(not(feature = "_tls"))]
fn certificates(pem: &[u8]) -> Option<Vec<Certificate>> {
    contains(pem, b"-----BEGIN CERTIFICATE-----").then(|| vec![Unparsed])
}

#[cfg(not(feature = "_tls"))]
fn private_key(pem: &[u8]) -> Option<PrivateKey> {
    contains(pem, b"PRIVATE KEY-----").then_some(Unparsed)
}

#[cfg(not(feature = "_tls"))]
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
