//! The rustls client configuration of a spec, and the verifier for CA files that trusts a
//! server presenting exactly one of their certificates (gRPC's partial chain).

use conn_config::TlsSpec;
use rustls::DigitallySignedStruct as Dss;
use rustls::pki_types::CertificateDer as Der;

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
