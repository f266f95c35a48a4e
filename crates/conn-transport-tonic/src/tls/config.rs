//! The rustls client configuration of a spec, and the verifier for CA files that trusts a
//! server presenting exactly one of their certificates (gRPC's partial chain).

use conn_config::TlsSpec;
use rustls::DigitallySignedStruct as Dss;
use rustls::pki_types::CertificateDer as Der;

use super::io::RecordRequest;
use super::load::{CaFile, Certificate, TlsMaterial, not_pem};
use super::roots::{platform_roots, provider};
use crate::error::{Error, PemKind};

/// Runs TLS handshakes for one spec.
pub(crate) struct TlsConnector {
    pub(super) config: std::sync::Arc<rustls::ClientConfig>,
    pub(super) name: rustls::pki_types::ServerName<'static>,
    pub(super) settle: std::time::Duration,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

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
        let key = config_key(&material);
        let config = match cached(&key) {
            Some(config) => config,
            None => {
                let config = Arc::new(build(tls, material, address)?);
                remember(key, config.clone());
                config
            }
        };
        let name_text = tls.server_name().unwrap_or(host);
        let name = rustls::pki_types::ServerName::try_from(name_text.to_owned()).map_err(|e| {
            unavailable(
                format!("{name_text:?} is not a valid tls server name"),
                Some(Box::new(e)),
            )
        })?;
        Ok(TlsConnector {
            config,
            name,
            // Long enough for the server's first bytes after the handshake (one round
            // trip), bounded so that a server that waits for the client never blocks us.
            settle: timeout.min(std::time::Duration::from_secs(1)),
        })
    }
}

/// The rustls configuration of a spec's material (see [`TlsConnector::new`]).
fn build(
    tls: &TlsSpec,
    material: TlsMaterial,
    address: &str,
) -> Result<rustls::ClientConfig, Error> {
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
    let mut config = match (material.identity, tls.client_identity()) {
        (Some((chain, key)), Some(id)) => {
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::ClientIdentity {
                    cert: id.cert_path().to_owned(),
                    key: id.key_path().to_owned(),
                    source: Box::new(e),
                })?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config.client_auth_cert_resolver = Arc::new(RecordRequest {
        inner: config.client_auth_cert_resolver.clone(),
    });

    Ok(config)
}

/// How many rustls configurations the process keeps (the oldest is dropped first).
const CACHED_CONFIGS: usize = 16;

/// The rustls configurations built so far, by [`config_key`].
static CONFIGS: std::sync::Mutex<Vec<(Vec<u8>, std::sync::Arc<rustls::ClientConfig>)>> =
    std::sync::Mutex::new(Vec::new());

/// What a rustls configuration depends on: the crypto provider (the process default, if one
/// is installed), the platform roots or the CA files' certificates, and the client
/// certificate chain with a SHA-256 digest of its key (never the key). Connects with the same
/// key share one configuration, and so its session cache: a later connect to a server resumes
/// its TLS session (no certificate signature by the server, no chain check here), as a
/// client that keeps one rustls configuration does. rustls resumes a session only under the
/// verifier and client certificate that made it; a changed (rotated) CA or client file makes
/// a new key, and so a full handshake that checks it.
fn config_key(material: &TlsMaterial) -> Vec<u8> {
    let default = rustls::crypto::CryptoProvider::get_default().map(std::sync::Arc::as_ptr);
    let mut key = format!("{default:?} {}", material.cas.is_empty()).into_bytes();
    let mut add = |tag: u8, bytes: &[u8]| {
        key.push(tag);
        key.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        key.extend_from_slice(bytes);
    };
    for cert in material.cas.iter().flat_map(|file| &file.certs) {
        add(1, cert);
    }
    if let Some((chain, private)) = &material.identity {
        for cert in chain {
            add(2, cert);
        }
        let digest = provider()
            .and_then(|p| {
                p.cipher_suites
                    .iter()
                    .find_map(|s| s.tls13())
                    .map(|s| s.common.hash_provider)
            })
            .map(|hash| hash.hash(private.secret_der()));
        // Without a hash (no TLS 1.3 suite) the configuration is not shared: a fresh key.
        match digest {
            Some(digest) => add(3, digest.as_ref()),
            None => add(
                4,
                &CONFIGS_MISSES
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    .to_le_bytes(),
            ),
        }
    }
    key
}

/// Makes the keys of configurations that are never shared unique.
static CONFIGS_MISSES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn cached(key: &[u8]) -> Option<std::sync::Arc<rustls::ClientConfig>> {
    let configs = CONFIGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    configs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, c)| c.clone())
}

fn remember(key: Vec<u8>, config: std::sync::Arc<rustls::ClientConfig>) {
    let mut configs = CONFIGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if configs.iter().any(|(k, _)| *k == key) {
        return;
    }
    if configs.len() == CACHED_CONFIGS {
        configs.remove(0);
    }
    configs.push((key, config));
}

/// WebPKI verification against the CA files, plus gRPC's partial chain: a server that
/// presents exactly a certificate of the files is trusted.
#[derive(Debug)]
struct ServerPemVerifier {
    inner: std::sync::Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<Certificate>,
}

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

    // The handshake signatures: webpki's checks, unchanged.
    fn verify_tls12_signature(&self, message: &[u8], cert: &Der<'_>, dss: &Dss) -> Signature {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &Der<'_>, dss: &Dss) -> Signature {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// What a handshake signature check returns.
type Signature = Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod cache_tests {
    use super::{CACHED_CONFIGS, cached, remember};

    fn config() -> std::sync::Arc<rustls::ClientConfig> {
        let provider = super::provider().unwrap();
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
        std::sync::Arc::new(config)
    }

    #[test]
    fn the_process_keeps_a_bounded_number_of_configurations_dropping_the_oldest() {
        let key = |i: usize| format!("cache test {i}").into_bytes();
        let configs: Vec<_> = (0..=CACHED_CONFIGS).map(|_| config()).collect();
        for (i, c) in configs.iter().enumerate() {
            remember(key(i), c.clone());
            // Remembered under its key, and found again as the same configuration.
            assert!(std::sync::Arc::ptr_eq(&cached(&key(i)).unwrap(), c));
        }
        // One more than the bound: the first is gone, the last is there.
        assert!(cached(&key(0)).is_none());
        assert!(std::sync::Arc::ptr_eq(
            &cached(&key(CACHED_CONFIGS)).unwrap(),
            &configs[CACHED_CONFIGS]
        ));
        assert_eq!(super::CONFIGS.lock().unwrap().len(), CACHED_CONFIGS);
    }
}
