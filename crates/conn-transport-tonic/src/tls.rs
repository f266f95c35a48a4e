//! TLS: reading and checking the spec's PEM files before any network I/O, the rustls client
//! configuration, and the handshake itself (the connector runs it; tonic's own TLS is not
//! used, so that the handshake's errors reach the classifier intact).
//!
//! Trust follows pymilvus (gRPC core), which accepts as `server_pem_path` either the CA
//! that signed the server's certificate or the server's certificate itself: every
//! certificate in the CA files is a root, and a server that presents exactly one of those
//! certificates is trusted even though nothing in the files issued it (gRPC's "partial
//! chain"). Its validity dates and its name are still checked.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use conn_config::TlsSpec;

use crate::error::{Error, FileKind, PemKind, TlsFileField};

/// The most a TLS file (`server_pem_path`, `ca_pem_path`, `client_pem_path`,
/// `client_key_path`) may hold: 4 MiB. A larger file is [`Error::FileTooLarge`]; at most one
/// byte more than this is ever read from it.
pub const MAX_TLS_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The field that named the `index`-th CA file of the spec.
fn ca_field(tls: &TlsSpec, index: usize) -> TlsFileField {
    if index == 0 && tls.server_pem_path().is_some() {
        TlsFileField::ServerPemPath
    } else {
        TlsFileField::CaPemPath
    }
}

fn not_pem(field: TlsFileField, path: &Path, expected: PemKind) -> Error {
    Error::FileNotPem {
        field,
        path: path.to_owned(),
        expected,
    }
}

/// One CA file: where it came from and its certificates (DER), at least one.
#[cfg_attr(not(feature = "_tls"), allow(dead_code))]
pub(crate) struct CaFile {
    field: TlsFileField,
    path: PathBuf,
    certs: Vec<Certificate>,
}

#[cfg(feature = "_tls")]
type Certificate = rustls::pki_types::CertificateDer<'static>;
#[cfg(not(feature = "_tls"))]
type Certificate = Unparsed;

/// Without a TLS backend the files are checked for their PEM armour only.
#[cfg(not(feature = "_tls"))]
pub(crate) struct Unparsed;

/// The material of a [`TlsSpec`], read and checked.
pub(crate) struct TlsMaterial {
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    cas: Vec<CaFile>,
    /// The client certificate chain and its key.
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    identity: Option<(Vec<Certificate>, PrivateKey)>,
    /// The platform's root certificates, when there are no CA files.
    #[cfg(feature = "_tls")]
    roots: Option<rustls::RootCertStore>,
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

/// A file the spec names: the setting and the path.
#[derive(Clone, Debug)]
struct TlsFile {
    field: TlsFileField,
    path: PathBuf,
}

/// The files of a spec, in the order they are read: the CA files, then the client
/// certificate and its key.
fn files(tls: &TlsSpec) -> Vec<TlsFile> {
    let mut files: Vec<TlsFile> = (tls.ca_files().iter().enumerate())
        .map(|(i, path)| TlsFile {
            field: ca_field(tls, i),
            path: path.clone(),
        })
        .collect();
    if let Some(id) = tls.client_identity() {
        files.push(TlsFile {
            field: TlsFileField::ClientPemPath,
            path: id.cert_path().to_owned(),
        });
        files.push(TlsFile {
            field: TlsFileField::ClientKeyPath,
            path: id.key_path().to_owned(),
        });
    }
    files
}

/// The contents of each file, in order, or the first file's error.
type Contents = Result<Vec<Vec<u8>>, Error>;

/// Reads one TLS file: only a regular file, at most [`MAX_TLS_FILE_SIZE`] bytes.
///
/// The type is checked twice. First by path (`stat`), so that a directory, a device or a
/// FIFO is refused without being opened at all (opening a device can have effects of its
/// own). Then on the opened handle (`fstat`), which is what decides: the path may have been
/// replaced between the two. On Unix the file is opened with `O_NONBLOCK`, so that if a FIFO
/// was swapped in, the open returns at once instead of waiting for a writer (a blocking open
/// of a FIFO waits forever); the `fstat` then refuses it. `O_NONBLOCK` has no effect on the
/// reads of a regular file, and `O_NOCTTY` keeps a terminal swapped in from becoming the
/// process's controlling terminal. The read goes through `take(limit + 1)`, so a file that
/// grows after the check still costs at most one byte over the limit.
fn read_file(file: &TlsFile) -> Result<Vec<u8>, Error> {
    let unreadable = |source| Error::FileUnreadable {
        field: file.field,
        path: file.path.clone(),
        source,
    };
    let check = |meta: &std::fs::Metadata| match FileKind::of(meta.file_type()) {
        Some(kind) => Err(Error::FileNotRegular {
            field: file.field,
            path: file.path.clone(),
            kind,
        }),
        None if meta.len() > MAX_TLS_FILE_SIZE => Err(too_large(file)),
        None => Ok(meta.len()),
    };
    check(&std::fs::metadata(&file.path).map_err(unreadable)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let handle = options.open(&file.path).map_err(unreadable)?;
    let len = check(&handle.metadata().map_err(unreadable)?)?;
    // `len` is at most the limit, so the capacity is bounded too.
    let mut contents = Vec::with_capacity(usize::try_from(len).map_or(0, |n| n + 1));
    handle
        .take(MAX_TLS_FILE_SIZE + 1)
        .read_to_end(&mut contents)
        .map_err(unreadable)?;
    if contents.len() as u64 > MAX_TLS_FILE_SIZE {
        return Err(too_large(file));
    }
    Ok(contents)
}

fn too_large(file: &TlsFile) -> Error {
    Error::FileTooLarge {
        field: file.field,
        path: file.path.clone(),
        limit: MAX_TLS_FILE_SIZE,
    }
}

/// Reads `files` in order, noting in `at` the index of the file being read.
fn read_files(files: &[TlsFile], at: &AtomicUsize) -> Contents {
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            at.store(i, Ordering::Relaxed);
            read_file(file)
        })
        .collect()
}

/// The reader: [`read_files`], or a stand-in in the tests.
type Reader = fn(&[TlsFile], &AtomicUsize) -> Contents;

/// The value of [`Reading::at`] while the platform's root certificates are loaded.
const AT_ROOTS: usize = usize::MAX;

/// The platform's root certificates, loaded when the spec names no CA file.
#[cfg(feature = "_tls")]
type Roots = Option<Result<rustls::RootCertStore, Error>>;
#[cfg(not(feature = "_tls"))]
type Roots = Option<std::convert::Infallible>;

/// What the reading thread produces.
struct Loaded {
    contents: Vec<Vec<u8>>,
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    roots: Roots,
}

/// Reads the files, then (when `roots_for` gives the address) loads the platform's root
/// certificates: rustls-native-certs reads the OS store, or the files `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` name, which are as able to block as the spec's own files.
fn read_all(
    files: &[TlsFile],
    at: &AtomicUsize,
    read: Reader,
    roots_for: Option<&str>,
) -> Result<Loaded, Error> {
    let contents = read(files, at)?;
    #[cfg(feature = "_tls")]
    let roots = roots_for.map(|address| {
        at.store(AT_ROOTS, Ordering::Relaxed);
        platform_roots(address)
    });
    #[cfg(not(feature = "_tls"))]
    let roots = {
        let _ = roots_for;
        None
    };
    Ok(Loaded { contents, roots })
}

/// Files being read on a thread of their own.
struct Reading {
    files: Arc<[TlsFile]>,
    /// The index of the file being read, or [`AT_ROOTS`].
    at: Arc<AtomicUsize>,
    address: String,
}

impl Reading {
    /// Starts reading on a new thread, which hands the result to `done`.
    ///
    /// A detached thread, not Tokio's blocking pool: a read stuck in the kernel (a hung
    /// network file system) cannot be cancelled, and a runtime waits for its blocking tasks
    /// when it shuts down, so a stuck `spawn_blocking` task would hold the process past the
    /// timeout at exit. A detached thread holds nothing; the process exits around it. One
    /// thread per TLS connect is cheap beside the TLS handshake. If no thread can be
    /// started, the files are read on this thread (still type-checked and size-capped).
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
        // The closure is kept aside so that a failed spawn can still run it here.
        let job = Arc::new(std::sync::Mutex::new(Some(move || {
            done(read_all(&files2, &at2, read, roots_for.as_deref()));
        })));
        let job2 = job.clone();
        let spawned = std::thread::Builder::new()
            .name("milvus-tls-files".to_owned())
            .spawn(move || take(&job2).map(|f| f()));
        if spawned.is_err() {
            tracing::debug!("cannot start a thread to read the tls files; reading them here");
            if let Some(f) = take(&job) {
                f();
            }
        }
        Reading {
            files,
            at,
            address: address.to_owned(),
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

/// Takes the job out of its slot (once).
fn take<F>(job: &std::sync::Mutex<Option<F>>) -> Option<F> {
    job.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
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

async fn load_by_with(
    tls: &TlsSpec,
    address: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
    read: Reader,
) -> Result<TlsMaterial, Error> {
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

fn load_within_with(
    tls: &TlsSpec,
    address: &str,
    timeout: Duration,
    read: Reader,
) -> Result<TlsMaterial, Error> {
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

/// The error text when the server does not agree on HTTP/2.
pub(crate) const NO_H2: &str = "the server did not negotiate http/2 (alpn h2)";
/// The error text when a server that asked for a client certificate hangs up after the
/// handshake without an alert.
pub(crate) const CLOSED_AFTER_HANDSHAKE: &str =
    "the server closed the connection right after the tls handshake";

/// The crypto provider: the process default, else the one compiled in (ring first).
#[cfg(feature = "_tls")]
fn provider() -> Option<std::sync::Arc<rustls::crypto::CryptoProvider>> {
    if let Some(p) = rustls::crypto::CryptoProvider::get_default() {
        return Some(p.clone());
    }
    #[cfg(feature = "tls-ring")]
    return Some(std::sync::Arc::new(rustls::crypto::ring::default_provider()));
    #[cfg(all(feature = "tls-aws-lc", not(feature = "tls-ring")))]
    return Some(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ));
    #[allow(unreachable_code)]
    None
}

/// Whether the server at `authority` (`host:port`) answers a TLS ClientHello with a TLS
/// record (a handshake record or an alert): the port wants TLS. Asked only after a plaintext
/// connection to it failed as unreachable; the caller bounds it by the connect's deadline.
#[cfg(feature = "_tls")]
pub(crate) async fn speaks_tls(authority: &str, server_name: &str) -> bool {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(hello) = client_hello(server_name) else {
        return false;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(authority).await else {
        return false;
    };
    if stream.write_all(&hello).await.is_err() {
        return false;
    }
    let mut head = [0_u8; 3];
    if stream.read_exact(&mut head).await.is_err() {
        return false;
    }
    // Content type 22 (handshake) or 21 (alert), record version 3.x.
    matches!(head, [0x15 | 0x16, 0x03, 0x00..=0x04])
}

/// The bytes of a rustls ClientHello for `server_name` (an IP address or a DNS name).
#[cfg(feature = "_tls")]
fn client_hello(server_name: &str) -> Option<Vec<u8>> {
    let config = rustls::ClientConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .or_else(|_| rustls::pki_types::ServerName::try_from("localhost"))
        .ok()?;
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).ok()?;
    Some(hello)
}

/// The platform's root certificates, per the compiled-in root features.
#[cfg(feature = "_tls")]
fn platform_roots(address: &str) -> Result<rustls::RootCertStore, Error> {
    #[allow(unused_mut)]
    let mut roots = rustls::RootCertStore::empty();
    #[cfg(feature = "tls-native-roots")]
    {
        let found = rustls_native_certs::load_native_certs();
        if !found.errors.is_empty() {
            tracing::debug!(errors = ?found.errors, "some platform root certificates could not be loaded");
        }
        roots.add_parsable_certificates(found.certs);
    }
    #[cfg(feature = "tls-webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if roots.is_empty() {
        let reason = if cfg!(any(
            feature = "tls-native-roots",
            feature = "tls-webpki-roots"
        )) {
            "no ca_pem_path/server_pem_path given and the platform has no root certificates"
        } else {
            "no ca_pem_path/server_pem_path given and no platform root store compiled in: enable the tls-native-roots or tls-webpki-roots feature"
        };
        return Err(Error::TlsUnavailable {
            address: address.to_owned(),
            reason: reason.to_owned(),
            source: None,
        });
    }
    Ok(roots)
}

/// Runs TLS handshakes for one spec.
#[cfg(feature = "_tls")]
pub(crate) struct TlsConnector {
    config: std::sync::Arc<rustls::ClientConfig>,
    name: rustls::pki_types::ServerName<'static>,
    settle: std::time::Duration,
}

#[cfg(feature = "_tls")]
impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What the connector hands to hyper: any byte stream.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}

#[cfg(feature = "_tls")]
impl TlsConnector {
    /// The rustls client configuration for a spec. `host` is the name to check when the spec
    /// has no `server_name` (the target host, or `localhost` for a Unix socket).
    pub(crate) fn new(
        tls: &TlsSpec,
        material: TlsMaterial,
        host: &str,
        address: &str,
        timeout: std::time::Duration,
    ) -> Result<TlsConnector, Error> {
        use std::sync::Arc;
        let unavailable = |reason: String, source: Option<crate::BoxError>| Error::TlsUnavailable {
            address: address.to_owned(),
            reason,
            source,
        };
        let provider = provider().ok_or_else(|| {
            unavailable(
                "no rustls crypto provider: enable the tls-ring or tls-aws-lc feature, or install a process-wide default provider".to_owned(),
                None,
            )
        })?;
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                unavailable(
                    "the crypto provider supports no tls version".to_owned(),
                    Some(Box::new(e)),
                )
            })?;
        let builder = if material.cas.is_empty() {
            let roots = match material.roots {
                Some(roots) => roots,
                None => platform_roots(address)?,
            };
            builder.with_root_certificates(roots)
        } else {
            let verifier = ServerPemVerifier::new(&material.cas, provider, address)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        };
        let mut config =
            match (material.identity, tls.client_identity()) {
                (Some((chain, key)), Some(id)) => builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| Error::ClientIdentity {
                        cert: id.cert_path().to_owned(),
                        key: id.key_path().to_owned(),
                        source: Box::new(e),
                    })?,
                _ => builder.with_no_client_auth(),
            };
        config.alpn_protocols = vec![b"h2".to_vec()];

        let name_text = tls.server_name().unwrap_or(host);
        let name = rustls::pki_types::ServerName::try_from(name_text.to_owned()).map_err(|e| {
            unavailable(
                format!("{name_text:?} is not a valid tls server name"),
                Some(Box::new(e)),
            )
        })?;
        Ok(TlsConnector {
            config: Arc::new(config),
            name,
            // Long enough for the server's first bytes after the handshake (one round
            // trip), bounded so that a server that waits for the client never blocks us.
            settle: timeout.min(std::time::Duration::from_secs(1)),
        })
    }

    /// The TLS handshake over `io`.
    ///
    /// With TLS 1.3 a server checks the client's certificate only after the client has
    /// finished its side of the handshake, and reports a missing or refused one with an
    /// alert on the client's first read. hyper would read that alert in its connection task,
    /// racing the first request, which then often sees only "connection closed". So when the
    /// server asked for a client certificate, this waits (briefly) for the server's first
    /// bytes here, where the alert becomes this handshake's error; the bytes read are replayed
    /// to hyper.
    pub(crate) async fn handshake<S>(&self, io: S) -> std::io::Result<Box<dyn Io>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::AsyncReadExt as _;

        let asked = Arc::new(AtomicBool::new(false));
        let mut config = (*self.config).clone();
        config.client_auth_cert_resolver = Arc::new(RecordRequest {
            inner: self.config.client_auth_cert_resolver.clone(),
            asked: asked.clone(),
        });
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        // A server that asked for a client certificate and then hangs up (a reset, a broken
        // pipe, an early end) did not accept what we sent, or our sending none: its alert,
        // if it sent one, was lost with the connection.
        let hung_up = |e: std::io::Error| {
            if asked.load(Ordering::Relaxed) && is_hangup(&e) {
                std::io::Error::new(e.kind(), CLOSED_AFTER_HANDSHAKE)
            } else {
                e
            }
        };
        let mut stream = connector
            .connect(self.name.clone(), io)
            .await
            .map_err(hung_up)?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(std::io::Error::other(NO_H2));
        }
        let tls13 = stream.get_ref().1.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        if !(tls13 && asked.load(Ordering::Relaxed)) {
            return Ok(Box::new(stream));
        }
        let mut first = vec![0u8; 16 * 1024];
        match tokio::time::timeout(self.settle, stream.read(&mut first)).await {
            Err(_) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(hung_up(e)),
            Ok(Ok(0)) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                CLOSED_AFTER_HANDSHAKE,
            )),
            Ok(Ok(n)) => {
                first.truncate(n);
                Ok(Box::new(Replay {
                    first,
                    at: 0,
                    inner: stream,
                }))
            }
        }
    }
}

/// Whether an I/O error means the peer went away.
#[cfg(feature = "_tls")]
fn is_hangup(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof | K::ConnectionAborted
    )
}

/// Delegates to the configured client-certificate resolver and notes that the server asked
/// for a certificate (rustls asks the resolver only then).
#[cfg(feature = "_tls")]
#[derive(Debug)]
struct RecordRequest {
    inner: std::sync::Arc<dyn rustls::client::ResolvesClientCert>,
    asked: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(feature = "_tls")]
impl rustls::client::ResolvesClientCert for RecordRequest {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[rustls::SignatureScheme],
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        self.asked.store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner.resolve(root_hint_subjects, sigschemes)
    }

    fn has_certs(&self) -> bool {
        self.inner.has_certs()
    }
}

/// A stream whose first bytes were already read: they are read again, then the stream.
#[cfg(feature = "_tls")]
struct Replay<S> {
    first: Vec<u8>,
    at: usize,
    inner: S,
}

#[cfg(feature = "_tls")]
impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Replay<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.at < this.first.len() {
            let n = buf.remaining().min(this.first.len() - this.at);
            buf.put_slice(&this.first[this.at..this.at + n]);
            this.at += n;
            if this.at == this.first.len() {
                this.first = Vec::new();
                this.at = 0;
            }
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(feature = "_tls")]
impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// WebPKI verification against the CA files, plus gRPC's partial chain: a server that
/// presents exactly a certificate of the files is trusted.
#[cfg(feature = "_tls")]
#[derive(Debug)]
struct ServerPemVerifier {
    inner: std::sync::Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<Certificate>,
}

#[cfg(feature = "_tls")]
impl ServerPemVerifier {
    fn new(
        cas: &[CaFile],
        provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
        address: &str,
    ) -> Result<ServerPemVerifier, Error> {
        let mut roots = rustls::RootCertStore::empty();
        let mut pinned = Vec::new();
        for file in cas {
            let (added, _ignored) = roots.add_parsable_certificates(file.certs.iter().cloned());
            if added == 0 {
                return Err(not_pem(file.field, &file.path, PemKind::Certificate));
            }
            pinned.extend(file.certs.iter().cloned());
        }
        let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
            std::sync::Arc::new(roots),
            provider,
        )
        .build()
        .map_err(|e| Error::TlsUnavailable {
            address: address.to_owned(),
            reason: "rustls refused the ca files".to_owned(),
            source: Some(Box::new(e)),
        })?;
        Ok(ServerPemVerifier { inner, pinned })
    }
}

#[cfg(feature = "_tls")]
impl rustls::client::danger::ServerCertVerifier for ServerPemVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error as E};
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(E::InvalidCertificate(CertificateError::UnknownIssuer))
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                // webpki checks the certificate's own validity dates, basic constraints and
                // extended key usage before it looks for an issuer, so UnknownIssuer means
                // those passed; the name is checked here.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use conn_config::{ConnectArgs, ConnectionSpec};

    use super::{Contents, TlsFile, load_by_with, load_within_with};
    use crate::{Error, TlsFileField};

    /// A spec with a server_pem_path and a ca_pem_path (read in that order).
    fn two_ca_files() -> ConnectionSpec {
        ConnectArgs::new()
            .uri("https://127.0.0.1:1")
            .server_pem_path("/nowhere/server.pem")
            .ca_pem_path("/nowhere/ca.pem")
            .resolve_isolated()
            .unwrap()
    }

    /// A reader that hangs, as a read on a hung network file system does, in the second
    /// file; it notes that it started.
    fn hangs_in_the_second_file(files: &[TlsFile], at: &AtomicUsize) -> Contents {
        assert_eq!(files.len(), 2);
        at.store(1, Ordering::Relaxed);
        STARTED.fetch_add(1, Ordering::Relaxed);
        loop {
            std::thread::park();
        }
    }
    static STARTED: AtomicUsize = AtomicUsize::new(0);

    fn assert_timed_out_in_ca_pem_path(err: &Error, timeout: Duration) {
        match err {
            Error::FileReadTimedOut {
                field,
                path,
                timeout: t,
            } => {
                assert_eq!(*field, TlsFileField::CaPemPath);
                assert_eq!(path.to_str(), Some("/nowhere/ca.pem"));
                assert_eq!(*t, timeout);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "ca_pem_path file /nowhere/ca.pem was not read within the timeout of 200ms"
        );
        assert!(!err.is_transient());
        assert_eq!(err.kind(), crate::ErrorKind::LocalFile);
    }

    #[tokio::test]
    async fn a_read_that_hangs_ends_at_the_deadline_naming_the_file() {
        let spec = two_ca_files();
        let tls = spec.security().tls().unwrap();
        let timeout = Duration::from_millis(200);
        let start = Instant::now();
        let before = STARTED.load(Ordering::Relaxed);
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            load_by_with(
                tls,
                "127.0.0.1:1",
                crate::connect::deadline_after(timeout),
                timeout,
                hangs_in_the_second_file,
            ),
        )
        .await
        .expect("the read is bounded by the deadline");
        assert!(STARTED.load(Ordering::Relaxed) > before, "the reader ran");
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_timed_out_in_ca_pem_path(&result.unwrap_err(), timeout);
    }

    #[test]
    fn a_read_that_hangs_ends_at_the_timeout_without_a_runtime_too() {
        let spec = two_ca_files();
        let tls = spec.security().tls().unwrap();
        let timeout = Duration::from_millis(200);
        let start = Instant::now();
        let err =
            load_within_with(tls, "127.0.0.1:1", timeout, hangs_in_the_second_file).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_timed_out_in_ca_pem_path(&err, timeout);
    }

    #[test]
    fn the_error_of_the_first_bad_file_is_returned() {
        // The real reader: the first file is missing, the second is never opened.
        let spec = two_ca_files();
        let err = super::load_within(
            spec.security().tls().unwrap(),
            "127.0.0.1:1",
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::FileUnreadable {
                    field: TlsFileField::ServerPemPath,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
