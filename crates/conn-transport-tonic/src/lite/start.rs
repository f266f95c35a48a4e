//! Starting Milvus Lite for a connect: one server per data directory, shared; started
//! (a few times, if the port it was given was taken) and waited for until it answers
//! `CheckHealth`, or why not. A new server for a directory is started only once the
//! previous one is gone (its stop runs on a thread of its own: process.rs).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use conn_config::ConnectionSpec;
use tokio::time::{Instant, sleep, timeout_at};

use super::launcher::{Launcher, launcher};
use super::process::{Gone, LiteServer, Status, lock, spawn};
use super::{LOG_TARGET, LiteOptions, data_dir_or_given, lite_error, lite_error_with_output};
use crate::error::{Error, LiteProblem};

/// How often start-up polls `CheckHealth` (and whether the process exited).
const POLL: Duration = Duration::from_millis(50);

/// How many ports are tried when the one picked was taken before the server bound it.
const PORT_ATTEMPTS: usize = 3;

/// What a data directory has: the server, if one runs, and the last server started for it,
/// until it is gone (it may be stopping: a new one must not race it for the directory's
/// lock and would fail with `Locked`).
#[derive(Default)]
struct Entry {
    server: Weak<LiteServer>,
    last: Option<Gone>,
}

impl Entry {
    /// Whether nothing runs or stops for the directory any more.
    fn is_idle(&self) -> bool {
        self.server.strong_count() == 0 && self.last.as_ref().is_none_or(Gone::is_done)
    }
}

/// One slot per data directory; its lock is held while a server starts.
type Slot = Arc<tokio::sync::Mutex<Entry>>;

/// The servers of this process, by data directory.
static SERVERS: Mutex<Option<HashMap<PathBuf, Slot>>> = Mutex::new(None);

/// The running server of the data directory of `path`, or a new one, healthy by `deadline`.
pub(super) async fn shared(
    path: &Path,
    spec: &ConnectionSpec,
    options: &LiteOptions,
    deadline: Instant,
) -> Result<Arc<LiteServer>, Error> {
    let data_dir = data_dir_or_given(path);
    if spec.security().tls().is_some() {
        return Err(lite_error(&data_dir, LiteProblem::TlsNotSupported, ""));
    }
    let slot = {
        let mut servers = lock(&SERVERS);
        let servers = servers.get_or_insert_with(HashMap::new);
        // Forget the directories that no start is using and where nothing runs or stops.
        servers.retain(|_, slot| {
            Arc::strong_count(slot) > 1 || slot.try_lock().map_or(true, |e| !e.is_idle())
        });
        servers.entry(data_dir.clone()).or_default().clone()
    };
    let timeout = spec.timeout();
    let Ok(mut entry) = timeout_at(deadline, slot.lock()).await else {
        return Err(not_healthy(
            &data_dir,
            format!(
                "another connect was still starting it after {}",
                humantime::format_duration(timeout)
            ),
        ));
    };
    // A server that exited by itself while held is reaped, and its group killed, by
    // `is_running`: a new one is started.
    if let Some(server) = entry.server.upgrade()
        && server.is_running()
    {
        tracing::debug!(target: LOG_TARGET, data_dir = %data_dir.display(), pid = server.pid, "reusing milvus lite");
        return Ok(server);
    }
    let server = start(&mut entry, &data_dir, options, timeout, deadline).await?;
    entry.server = Arc::downgrade(&server);
    Ok(server)
}

/// A `NotHealthy` error for `data_dir`.
fn not_healthy(data_dir: &Path, detail: String) -> Error {
    lite_error(data_dir, LiteProblem::NotHealthy, detail)
}

/// Waits until the last server started for the directory is gone, at most until
/// `deadline`.
async fn previous_gone(
    entry: &Entry,
    data_dir: &Path,
    timeout: Duration,
    deadline: Instant,
) -> Result<(), Error> {
    let Some(last) = entry.last.clone().filter(|g| !g.is_done()) else {
        return Ok(());
    };
    let pid = last.pid;
    tracing::debug!(target: LOG_TARGET, data_dir = %data_dir.display(), pid, "waiting for the previous milvus lite to stop");
    timeout_at(deadline, last.wait()).await.map_err(|_| {
        not_healthy(
            data_dir,
            format!(
                "the previous server of this directory (PID {pid}) was still stopping after {}",
                humantime::format_duration(timeout)
            ),
        )
    })
}

/// Starts a server for `data_dir` (once the last one is gone) and waits until it answers
/// `CheckHealth`.
async fn start(
    entry: &mut Entry,
    data_dir: &Path,
    options: &LiteOptions,
    timeout: Duration,
    deadline: Instant,
) -> Result<Arc<LiteServer>, Error> {
    let parent = data_dir.parent().unwrap_or(Path::new("/"));
    if !parent.is_dir() {
        return Err(lite_error(
            data_dir,
            LiteProblem::ParentMissing,
            format!("{} does not exist", parent.display()),
        ));
    }
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(lite_error(data_dir, LiteProblem::NotADirectory, ""));
    }
    let launcher = launcher(options, data_dir)?;
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        previous_gone(entry, data_dir, timeout, deadline).await?;
        let server = spawn(&launcher, data_dir)?;
        // Before any await: a cancelled connect still leaves it for the next to wait for.
        entry.last = Some(server.gone());
        match wait_healthy(&server, deadline).await {
            Ok(()) => {
                tracing::debug!(
                    target: LOG_TARGET,
                    data_dir = %data_dir.display(),
                    pid = server.pid,
                    port = server.port,
                    elapsed = ?started.elapsed(),
                    "milvus lite is healthy"
                );
                return Ok(Arc::new(server));
            }
            Err(Waited::TimedOut) => {
                let (output, address) = (server.output_tail(), server.address());
                // Stops it without waiting (process.rs): the error is not delayed by a
                // server that ignores SIGTERM.
                drop(server);
                return Err(lite_error_with_output(
                    data_dir,
                    LiteProblem::NotHealthy,
                    format!(
                        "no healthy answer to CheckHealth at {address} within {} ({})",
                        humantime::format_duration(timeout),
                        launcher.describe()
                    ),
                    output,
                ));
            }
            Err(Waited::Exited(status)) => {
                // Reaped, and what it left in its group killed, when its exit was noticed.
                let output = server.output_tail();
                drop(server);
                let problem = classify_exit(status, &output);
                if problem == Exited::PortTaken && attempt < PORT_ATTEMPTS {
                    tracing::debug!(target: LOG_TARGET, "the port was taken before milvus lite bound it; another");
                    continue;
                }
                return Err(exited_error(data_dir, &launcher, problem, status, output));
            }
        }
    }
}

/// The error of a server that exited while starting.
fn exited_error(
    data_dir: &Path,
    launcher: &Launcher,
    problem: Exited,
    status: Option<std::process::ExitStatus>,
    output: String,
) -> Error {
    let problem = match problem {
        Exited::Locked => LiteProblem::Locked,
        Exited::NotInstalled => LiteProblem::NotInstalled,
        Exited::PortTaken | Exited::Other => LiteProblem::Exited,
    };
    let status = status.map_or_else(
        || "exit status unknown (reaped elsewhere in this process)".to_owned(),
        |s| s.to_string(),
    );
    lite_error_with_output(
        data_dir,
        problem,
        format!("{}, {status}", launcher.describe()),
        output,
    )
}

/// How start-up ended without a healthy server.
enum Waited {
    TimedOut,
    /// Its status, if it could be read.
    Exited(Option<std::process::ExitStatus>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Exited {
    Locked,
    NotInstalled,
    PortTaken,
    Other,
}

/// Why a server exited while starting, from its exit status and output.
fn classify_exit(status: Option<std::process::ExitStatus>, output: &str) -> Exited {
    if output.contains("DataDirLockedError") {
        Exited::Locked
    } else if output.contains("No module named milvus_lite")
        || output.contains("No module named 'milvus_lite'")
        || matches!(status.and_then(|s| s.code()), Some(126 | 127))
    {
        Exited::NotInstalled
    } else if output.contains("Failed to bind") || output.contains("Address already in use") {
        Exited::PortTaken
    } else {
        Exited::Other
    }
}

/// Polls `CheckHealth` until the server says it is healthy, it exits, or `deadline`.
async fn wait_healthy(server: &LiteServer, deadline: Instant) -> Result<(), Waited> {
    use crate::proto::milvus::CheckHealthRequest;
    use crate::proto::milvus::milvus_service_client::MilvusServiceClient;

    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", server.address()))
        .map_err(|_| Waited::TimedOut)?
        .connect_timeout(Duration::from_secs(1));
    let mut client = MilvusServiceClient::new(endpoint.connect_lazy());
    loop {
        match server.status() {
            Status::Running => {}
            Status::Exited(status) => return Err(Waited::Exited(status)),
            // Only a drop stops it, and this start holds it.
            Status::Stopped => return Err(Waited::Exited(None)),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Waited::TimedOut);
        }
        let attempt_by = deadline.min(now + Duration::from_secs(1));
        let mut request = tonic::Request::new(CheckHealthRequest {});
        request.set_timeout(attempt_by.saturating_duration_since(now));
        if let Ok(Ok(reply)) = timeout_at(attempt_by, client.check_health(request)).await
            && reply.into_inner().is_healthy
        {
            return Ok(());
        }
        let next = Instant::now() + POLL;
        if next >= deadline {
            // One last look at the process before giving up.
            sleep(deadline.saturating_duration_since(Instant::now())).await;
            continue;
        }
        sleep(POLL).await;
    }
}
