//! Starting Milvus Lite for a connect: one server per data directory, shared; started
//! (a few times, if the port it was given was taken) and waited for until it answers
//! `CheckHealth`, or why not.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use conn_config::ConnectionSpec;
use tokio::time::{Instant, sleep, timeout_at};

use super::launcher::launcher;
use super::process::{LiteServer, lock, spawn};
use super::{LOG_TARGET, LiteOptions, data_dir_or_given, lite_error, lite_error_with_output};
use crate::error::{Error, LiteProblem};

/// How often start-up polls `CheckHealth` (and whether the process exited).
const POLL: Duration = Duration::from_millis(50);

/// How many ports are tried when the one picked was taken before the server bound it.
const PORT_ATTEMPTS: usize = 3;

/// One slot per data directory: the server, if one runs; its lock is held while one starts.
type Slot = Arc<tokio::sync::Mutex<Weak<LiteServer>>>;

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
        // Forget the directories whose server is gone and that no start is using.
        servers.retain(|_, slot| {
            Arc::strong_count(slot) > 1 || slot.try_lock().map_or(true, |w| w.strong_count() > 0)
        });
        servers.entry(data_dir.clone()).or_default().clone()
    };
    let timeout = spec.timeout();
    let mut current = match timeout_at(deadline, slot.lock()).await {
        Ok(current) => current,
        Err(_) => {
            return Err(lite_error(
                &data_dir,
                LiteProblem::NotHealthy,
                format!(
                    "another connect was still starting it after {}",
                    humantime::format_duration(timeout)
                ),
            ));
        }
    };
    if let Some(server) = current.upgrade()
        && server.is_running()
    {
        tracing::debug!(target: LOG_TARGET, data_dir = %data_dir.display(), pid = server.pid, "reusing milvus lite");
        return Ok(server);
    }
    let server = start(&data_dir, options, timeout, deadline).await?;
    *current = Arc::downgrade(&server);
    Ok(server)
}

/// Starts a server for `data_dir` and waits until it answers `CheckHealth`.
async fn start(
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
        let server = spawn(&launcher, data_dir)?;
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
                let output = server.output_tail();
                drop(server);
                let problem = classify_exit(status, &output);
                if problem == Exited::PortTaken && attempt < PORT_ATTEMPTS {
                    tracing::debug!(target: LOG_TARGET, "the port was taken before milvus lite bound it; another");
                    continue;
                }
                let problem = match problem {
                    Exited::Locked => LiteProblem::Locked,
                    Exited::NotInstalled => LiteProblem::NotInstalled,
                    Exited::PortTaken | Exited::Other => LiteProblem::Exited,
                };
                return Err(lite_error_with_output(
                    data_dir,
                    problem,
                    format!("{}, {status}", launcher.describe()),
                    output,
                ));
            }
        }
    }
}

/// How start-up ended without a healthy server.
enum Waited {
    TimedOut,
    Exited(std::process::ExitStatus),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Exited {
    Locked,
    NotInstalled,
    PortTaken,
    Other,
}

/// Why a server exited while starting, from its exit status and output.
fn classify_exit(status: std::process::ExitStatus, output: &str) -> Exited {
    if output.contains("DataDirLockedError") {
        Exited::Locked
    } else if output.contains("No module named milvus_lite")
        || output.contains("No module named 'milvus_lite'")
        || matches!(status.code(), Some(126 | 127))
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
        if let Some(status) = lock(&server.child)
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
        {
            return Err(Waited::Exited(status));
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
