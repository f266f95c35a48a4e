//! TLS: reading and checking the spec's PEM files before any network I/O, the rustls client
//! configuration, and the handshake itself (the connector runs it; tonic's own TLS is not
//! used, so that the handshake's errors reach the classifier intact).
//!
//! Trust follows pymilvus (gRPC core), which accepts as `server_pem_path` either the CA
//! that signed the server's certificate or the server's certificate itself: every
//! certificate in the CA files is a root, and a server that presents exactly one of those
//! certificates is trusted even though nothing in the files issued it (gRPC's "partial
//! chain"). Its validity dates and its name are still checked.

use std::path::{Path, PathBuf};

use conn_config::TlsSpec;

use crate::error::{Error, TlsFileField};

/// The field that named the `index`-th CA file of the spec.
fn ca_field(tls: &TlsSpec, index: usize) -> TlsFileField {
    if index == 0 && tls.server_pem_path().is_some() {
        TlsFileField::ServerPemPath
    } else {
        TlsFileField::CaPemPath
    }
}

fn read(field: TlsFileField, path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::FileUnreadable {
        field,
        path: path.to_owned(),
        source,
    })
}

fn not_pem(field: TlsFileField, path: &Path, expected: &'static str) -> Error {
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

/// Reads every file the spec names and checks it holds what it should, so that a missing or
/// wrong file is reported, naming the file and the setting, before anything is sent.
pub(crate) fn load(tls: &TlsSpec) -> Result<TlsMaterial, Error> {
    let mut cas = Vec::with_capacity(tls.ca_files().len());
    for (i, path) in tls.ca_files().iter().enumerate() {
        let field = ca_field(tls, i);
        let pem = read(field, path)?;
        let certs = certificates(&pem).ok_or_else(|| not_pem(field, path, "certificate"))?;
        cas.push(CaFile {
            field,
            path: path.clone(),
            certs,
        });
    }
    let identity = match tls.client_identity() {
        Some(id) => {
            let pem = read(TlsFileField::ClientPemPath, id.cert_path())?;
            let chain = certificates(&pem).ok_or_else(|| {
                not_pem(TlsFileField::ClientPemPath, id.cert_path(), "certificate")
            })?;
            let pem = read(TlsFileField::ClientKeyPath, id.key_path())?;
            let key = private_key(&pem).ok_or_else(|| {
                not_pem(TlsFileField::ClientKeyPath, id.key_path(), "private key")
            })?;
            Some((chain, key))
        }
        None => None,
    };
    Ok(TlsMaterial { cas, identity })
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
            builder.with_root_certificates(platform_roots(address)?)
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
                return Err(not_pem(file.field, &file.path, "certificate"));
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
