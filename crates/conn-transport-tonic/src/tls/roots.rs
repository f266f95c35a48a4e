//! The rustls crypto provider and the platform's root certificates.
//!
//! The platform's roots are loaded and parsed once per process, by the first TLS connect
//! that needs them (on its file-reading thread, within its deadline), and shared by every
//! later connect: a long-running process does not see certificates added to or removed from
//! the OS store (or `SSL_CERT_FILE` / `SSL_CERT_DIR`) after that first load; it sees them
//! after a restart. A spec's own CA files (`ca_pem_path`, `server_pem_path`) are read at
//! every connect.

use std::sync::{Arc, OnceLock};

use crate::error::Error;

/// The process's platform roots, once loaded (empty when the platform has none).
static PLATFORM_ROOTS: OnceLock<Arc<rustls::RootCertStore>> = OnceLock::new();

/// How many times the platform roots were loaded (at most once per process).
#[cfg(test)]
pub(super) static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

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

/// The platform's root certificates, per the compiled-in root features: loaded by the first
/// call in the process (which blocks until they are, as do concurrent first calls), shared
/// afterwards. [`Error::TlsUnavailable`] when there are none.
pub(super) fn platform_roots(address: &str) -> Result<Arc<rustls::RootCertStore>, Error> {
    let roots = PLATFORM_ROOTS.get_or_init(|| Arc::new(load()));
    if roots.is_empty() {
        return Err(no_roots(address));
    }
    Ok(roots.clone())
}

/// Whether the platform roots have been loaded in this process (then
/// [`platform_roots`] returns at once).
pub(super) fn platform_roots_loaded() -> bool {
    PLATFORM_ROOTS.get().is_some()
}

/// Reads and parses the platform's root store.
fn load() -> rustls::RootCertStore {
    #[cfg(test)]
    LOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
    roots
}

/// The error when the platform has no root certificates (or none is compiled in).
fn no_roots(address: &str) -> Error {
    let reason = if cfg!(any(
        feature = "tls-native-roots",
        feature = "tls-webpki-roots"
    )) {
        "no ca_pem_path/server_pem_path given and the platform has no root certificates"
    } else {
        "no ca_pem_path/server_pem_path given and no platform root store compiled in: enable the tls-native-roots or tls-webpki-roots feature"
    };
    Error::TlsUnavailable {
        address: address.to_owned(),
        reason: reason.to_owned(),
        source: None,
    }
}
