//! The rustls crypto provider and the platform's root certificates.

use crate::error::Error;

/// The crypto provider: the process default, else the one compiled in (ring first).
pub(super) fn provider() -> Option<std::sync::Arc<rustls::crypto::CryptoProvider>> {
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
pub(super) fn platform_roots(address: &str) -> Result<rustls::RootCertStore, Error> {
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
