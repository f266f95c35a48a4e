//! The threads that read a spec's TLS files (and load the platform's roots): detached, so
//! that a read stuck in the kernel (a hung network file system) holds nothing at exit, and
//! reused, so that back-to-back connects do not start a thread each.
//!
//! A thread that finished its job waits up to [`IDLE_FOR`] for the next one (at most
//! [`MAX_IDLE`] threads wait), then ends. A job goes to a waiting thread when there is one,
//! else to a new thread. A thread whose read is stuck is busy, never waiting: the next job
//! gets another thread, so one stuck file never delays the reads of later connects.
//!
//! Tokio's blocking pool is not used: a runtime waits for its blocking tasks when it shuts
//! down, so a stuck read there would hold the process past its timeout at exit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SendError, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A read to run: it hands its result on itself.
pub(super) type Job = Box<dyn FnOnce() + Send>;

/// How long a thread that finished a job waits for the next one (Tokio's blocking pool keeps
/// its threads as long).
pub(super) const IDLE_FOR: Duration = Duration::from_secs(10);

/// At most this many threads wait for a job.
pub(super) const MAX_IDLE: usize = 2;

/// The threads waiting for a job: each one's number and the sending side of its rendezvous
/// channel (zero capacity: a send returns once the thread has taken the job).
static IDLE: Mutex<Vec<(u64, SyncSender<Job>)>> = Mutex::new(Vec::new());

/// Numbers the threads, so that one whose wait ran out can take itself off [`IDLE`].
static NEXT_THREAD: AtomicU64 = AtomicU64::new(0);

/// The thread name, as `ps -L` and a debugger show it.
const NAME: &str = "milvus-tls-files";

/// Runs `job` on a reader thread: a waiting one, else a new one. The job comes back when no
/// thread could be started (the caller then runs it itself).
pub(super) fn run(mut job: Job) -> Result<(), Job> {
    while let Some(waiting) = take_waiting() {
        // The thread is in (or entering) its wait: the send returns once it has the job, or
        // gives the job back at once if its wait ran out and it ended.
        match waiting.send(job) {
            Ok(()) => return Ok(()),
            Err(SendError(back)) => job = back,
        }
    }
    start(job)
}

fn take_waiting() -> Option<SyncSender<Job>> {
    lock_idle().pop().map(|(_, sender)| sender)
}

fn lock_idle() -> std::sync::MutexGuard<'static, Vec<(u64, SyncSender<Job>)>> {
    IDLE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a thread for `job`; the job back if the thread could not be started.
fn start(job: Job) -> Result<(), Job> {
    // The job is kept where a failed start can still take it back.
    let slot = std::sync::Arc::new(Mutex::new(Some(job)));
    let theirs = slot.clone();
    let started = std::thread::Builder::new()
        .name(NAME.to_owned())
        .spawn(move || {
            if let Some(job) = take(&theirs) {
                serve(job);
            }
        });
    match started {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::debug!(error = %e, "cannot start a thread to read the tls files");
            // `None` only if the thread ran before failing, which `spawn` does not do.
            take(&slot).map_or(Ok(()), Err)
        }
    }
}

fn take(slot: &Mutex<Option<Job>>) -> Option<Job> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// A reader thread: runs its first job, then waits for more until a wait runs out.
fn serve(first: Job) {
    first();
    let number = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
    let (sender, jobs) = sync_channel::<Job>(0);
    loop {
        {
            let mut idle = lock_idle();
            if idle.len() >= MAX_IDLE {
                return;
            }
            idle.push((number, sender.clone()));
        }
        match jobs.recv_timeout(IDLE_FOR) {
            Ok(job) => job(),
            Err(_) => {
                // Off the list, unless a sender already took it (its send then fails
                // when this thread's channel is dropped, and it starts another thread).
                lock_idle().retain(|(n, _)| *n != number);
                return;
            }
        }
    }
}

/// How many threads wait for a job now (for the tests).
#[cfg(test)]
pub(super) fn waiting() -> usize {
    lock_idle().len()
}
