//! The `Connect` handshake's result ([`Handshake`]) and the cell that runs it once for a
//! connection and its clones, sharing a failure with the callers that waited for it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::info::ServerInfo;

/// What the `Connect` handshake returned.
#[derive(Clone, Debug)]
pub struct Handshake {
    pub(super) server_info: ServerInfo,
    pub(super) identifier: i64,
}

impl Handshake {
    /// The server's build information (`build_tags` such as `v2.3.5-lite`, `deploy_mode`).
    pub fn server_info(&self) -> &ServerInfo {
        &self.server_info
    }

    /// The identifier the server gave this connection, sent back as the `identifier` header.
    pub fn identifier(&self) -> i64 {
        self.identifier
    }
}

/// The `Connect` handshake of one connection (and its clones): it succeeds once; callers
/// that wait for the same attempt share it, and its failure; a caller after a failure
/// tries again.
#[derive(Default)]
pub(super) struct HandshakeCell {
    done: OnceLock<Handshake>,
    /// How many attempts have failed.
    failures: AtomicU64,
    /// Held while an attempt runs; the last failure, for the callers that waited for it.
    attempt: tokio::sync::Mutex<Option<Arc<Error>>>,
}

/// How a handshake failed for one caller.
pub(super) enum Failure {
    /// This caller ran the attempt: the error as classified.
    Own(Error),
    /// Another caller's attempt, which this one waited for.
    Shared(Arc<Error>),
}

impl HandshakeCell {
    pub(super) fn get(&self) -> Option<&Handshake> {
        self.done.get()
    }

    pub(super) async fn get_or_run<F>(&self, run: impl FnOnce() -> F) -> Result<&Handshake, Failure>
    where
        F: Future<Output = Result<Handshake, Error>>,
    {
        if let Some(done) = self.done.get() {
            return Ok(done);
        }
        let seen = self.failures.load(Ordering::Acquire);
        let mut last = self.attempt.lock().await;
        if let Some(done) = self.done.get() {
            return Ok(done);
        }
        if self.failures.load(Ordering::Acquire) != seen
            && let Some(failure) = last.as_ref()
        {
            return Err(Failure::Shared(failure.clone()));
        }
        match run().await {
            Ok(handshake) => Ok(self.done.get_or_init(|| handshake)),
            Err(e) => {
                *last = Some(Arc::new(e.replicate()));
                self.failures.fetch_add(1, Ordering::Release);
                Err(Failure::Own(e))
            }
        }
    }
}
