//! The rustls crypto provider and the platform's root certificates.
//!
//! The platform's roots are loaded and parsed once per process, by the first TLS connect
//! that needs them (on its file-reading thread, within its deadline), and shared by every
//! later connect: a long-running process does not see certificates added to or removed from
//! the OS store (or `SSL_CERT_FILE` / `SSL_CERT_DIR`) after that first load; it sees them
//! after a restart. A spec's own CA files (`ca_pem_path`, `server_pem_path`) are read at
//! every connect.

use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use crate::error::Error;

/// The process's platform roots, once loaded (empty when the platform has none).
static PLATFORM_ROOTS: Shared<Arc<rustls::RootCertStore>> = Shared::new();

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
    let roots = PLATFORM_ROOTS.cell.get_or_init(|| Arc::new(load()));
    checked(roots, address)
}

fn checked(
    roots: &Arc<rustls::RootCertStore>,
    address: &str,
) -> Result<Arc<rustls::RootCertStore>, Error> {
    if roots.is_empty() {
        return Err(no_roots(address));
    }
    Ok(roots.clone())
}

/// [`platform_roots`], handed to `then`: at once on this thread when they are loaded; after
/// loading them here when no other thread is; else (a load under way elsewhere, maybe stuck
/// on a hung file system) on the loading thread once it is done, while `alive` still has a
/// strong reference (the caller waits by its deadline and drops it when the time runs out).
/// So a stuck first load keeps one thread, not one per later connect that needs the roots.
pub(super) fn platform_roots_then(
    address: &str,
    alive: Weak<()>,
    then: impl FnOnce(Result<Arc<rustls::RootCertStore>, Error>) + Send + 'static,
) {
    let address = address.to_owned();
    PLATFORM_ROOTS.get_then(
        || Arc::new(load()),
        alive,
        move |roots| then(checked(roots, &address)),
    );
}

/// Whether the platform roots have been loaded in this process (then
/// [`platform_roots`] returns at once).
pub(super) fn platform_roots_loaded() -> bool {
    PLATFORM_ROOTS.cell.get().is_some()
}

/// A callback waiting for a load under way on another thread, while its caller waits.
struct Waiter<T: 'static> {
    alive: Weak<()>,
    then: Box<dyn FnOnce(&T) + Send>,
}

/// A value loaded once per process by the first thread that needs it; threads that need it
/// while that load is under way leave a callback instead of blocking (see
/// [`platform_roots_then`]).
pub(super) struct Shared<T: 'static> {
    cell: OnceLock<T>,
    /// `Some` while a load is under way: the callbacks to run once it is done.
    waiting: Mutex<Option<Vec<Waiter<T>>>>,
}

impl<T: Send + Sync + 'static> Shared<T> {
    pub(super) const fn new() -> Shared<T> {
        Shared {
            cell: OnceLock::new(),
            waiting: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Vec<Waiter<T>>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the value to `then`: at once if loaded; after `load` on this thread if no load
    /// is under way; else later, on the loading thread (dropped unrun if `alive` is gone by
    /// then, or if the load panics).
    pub(super) fn get_then(
        &self,
        load: impl FnOnce() -> T,
        alive: Weak<()>,
        then: impl FnOnce(&T) + Send + 'static,
    ) {
        if let Some(value) = self.cell.get() {
            return then(value);
        }
        {
            let mut waiting = self.lock();
            // Checked again under the lock: the loader sets the value before it takes the
            // callbacks, under this lock.
            if let Some(value) = self.cell.get() {
                drop(waiting);
                return then(value);
            }
            if let Some(waiters) = waiting.as_mut() {
                waiters.retain(|w| w.alive.strong_count() > 0);
                waiters.push(Waiter {
                    alive,
                    then: Box::new(then),
                });
                return;
            }
            *waiting = Some(Vec::new());
        }
        // This thread loads. The callbacks left meanwhile run once the value is set (or are
        // dropped if `load` panics: their callers then see the reader stop).
        struct Done<'a, T: Send + Sync + 'static>(&'a Shared<T>);
        impl<T: Send + Sync + 'static> Drop for Done<'_, T> {
            fn drop(&mut self) {
                let waiters = self.0.lock().take().unwrap_or_default();
                if let Some(value) = self.0.cell.get() {
                    for waiter in waiters {
                        if waiter.alive.strong_count() > 0 {
                            (waiter.then)(value);
                        }
                    }
                }
            }
        }
        let done = Done(self);
        let value = self.cell.get_or_init(load);
        drop(done);
        then(value);
    }
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
