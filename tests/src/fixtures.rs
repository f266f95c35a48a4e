//! Small fixtures shared by the test binaries of several crates (each of which has
//! `milvus-conn-tests` as a dev-dependency): tokio runtimes, a FIFO, and an error's chain
//! of sources.

use std::fmt::Display;

/// A multi-threaded runtime with `workers` worker threads and every driver enabled: it
/// keeps serving while the test thread blocks (on a child process, say).
///
/// # Panics
///
/// When the runtime cannot be built.
pub fn runtime(workers: usize) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(workers).enable_all();
    builder.build().expect("a multi-threaded tokio runtime")
}

/// A current-thread runtime with every driver enabled.
///
/// # Panics
///
/// When the runtime cannot be built.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    builder.build().expect("a current-thread tokio runtime")
}

/// Makes a FIFO (named pipe) at `path` with mkfifo(1).
///
/// # Panics
///
/// When mkfifo cannot be run or fails.
#[cfg(unix)]
pub fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `err`, then its source, the source's source, and so on.
pub fn chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

/// `[kind] message: source: source…`, for the observations the tests print.
pub fn describe(kind: impl Display, err: &(dyn std::error::Error + 'static)) -> String {
    let messages: Vec<String> = chain(err).map(ToString::to_string).collect();
    format!("[{kind}] {}", messages.join(": "))
}
