//! The `Connect` handshake's result ([`Handshake`]) and the cell that runs it for a
//! connection and its clones: in a task of its own, whose outcome the callers that waited
//! for that attempt share.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::watch;
use tokio::task::AbortHandle;
use tracing::instrument::WithSubscriber as _;

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
/// starts a new attempt.
///
/// An attempt runs in a task of its own (spawned on the runtime of the caller that started
/// it), bounded by its own deadline (the spec's timeout), so that a caller that stops
/// waiting (its own time-out ran out, or its future was dropped) does not cancel it for
/// the others. The task holds the connection's channel but not this cell: when the last
/// clone of the connection is dropped, the cell is dropped and aborts the attempt in
/// flight, which closes its `Connect` call (and the channel, if nothing else holds it).
#[derive(Default)]
pub(super) struct HandshakeCell {
    done: OnceLock<Handshake>,
    /// The last attempt started: in flight, or what it came to (a failure, for the callers
    /// that waited for it; a later caller starts another).
    attempt: Mutex<Option<Attempt>>,
}

/// What an attempt came to, once it has.
type Outcome = Option<Result<Handshake, Arc<Error>>>;

/// An attempt's task.
struct Attempt {
    /// Its outcome, for the callers that wait for it.
    outcome: watch::Receiver<Outcome>,
    /// To abort it when the cell is dropped.
    task: AbortHandle,
}

impl Attempt {
    /// Whether a caller may wait for this attempt: it is in flight or it succeeded (not
    /// failed, nor gone without an outcome).
    fn joinable(&self) -> bool {
        let succeeded = self.outcome.borrow().as_ref().map(Result::is_ok);
        match succeeded {
            Some(succeeded) => succeeded,
            // No outcome yet: in flight while its task (the sender) lives.
            None => self.outcome.has_changed().is_ok(),
        }
    }
}

impl HandshakeCell {
    pub(super) fn get(&self) -> Option<&Handshake> {
        self.done.get()
    }

    /// Records a handshake the caller ran itself (an eager connect, before anyone else
    /// holds the connection).
    pub(super) fn set(&self, handshake: Handshake) -> &Handshake {
        self.done.get_or_init(|| handshake)
    }

    /// The handshake, once done: waits for the attempt in flight, or starts one (`start`
    /// gives its future, spawned as a task on the current runtime) when none is (none ran,
    /// or the last one failed).
    ///
    /// Dropping the returned future stops only this caller's wait. [`Error::NoRuntime`]
    /// when no runtime is running to start an attempt on, or when the attempt's task ended
    /// without an outcome (its runtime shut down).
    pub(super) async fn get_or_start<F>(
        self: &Arc<Self>,
        start: impl FnOnce() -> F,
    ) -> Result<&Handshake, Arc<Error>>
    where
        F: Future<Output = Result<Handshake, Error>> + Send + 'static,
    {
        if let Some(done) = self.done.get() {
            return Ok(done);
        }
        let mut outcome = self.join(start)?;
        loop {
            // Cloned at once: the channel's read guard is not held across the wait below.
            let seen = outcome.borrow_and_update().clone();
            match seen {
                Some(Ok(handshake)) => return Ok(self.done.get_or_init(|| handshake)),
                Some(Err(failure)) => return Err(failure),
                None => {}
            }
            if outcome.changed().await.is_err() {
                // The task ended without an outcome (`changed` reports an outcome sent
                // before it ended).
                return Err(Arc::new(Error::NoRuntime));
            }
        }
    }

    /// The outcome of the attempt to wait for: the one in flight (or done), else a new
    /// one.
    fn join<F>(
        self: &Arc<Self>,
        start: impl FnOnce() -> F,
    ) -> Result<watch::Receiver<Outcome>, Arc<Error>>
    where
        F: Future<Output = Result<Handshake, Error>> + Send + 'static,
    {
        let mut attempt = self.attempt.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(current) = attempt.as_ref().filter(|a| a.joinable()) {
            return Ok(current.outcome.clone());
        }
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| Arc::new(Error::NoRuntime))?;
        let (sender, outcome) = watch::channel(None);
        // Not the cell itself: its drop (the connection's last clone gone) aborts the task.
        let cell = Arc::downgrade(self);
        let run = start();
        let task = async move {
            let result = run.await;
            if let (Ok(handshake), Some(cell)) = (&result, cell.upgrade()) {
                cell.done.get_or_init(|| handshake.clone());
            }
            sender.send_replace(Some(result.map_err(Arc::new)));
        };
        // With the caller's subscriber: the task may run on a thread where it is not the
        // default.
        let task = runtime.spawn(task.with_current_subscriber());
        *attempt = Some(Attempt {
            outcome: outcome.clone(),
            task: task.abort_handle(),
        });
        Ok(outcome)
    }
}

impl Drop for HandshakeCell {
    fn drop(&mut self) {
        let attempt = self
            .attempt
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(attempt) = attempt {
            attempt.task.abort();
        }
    }
}
