//! The Milvus Lite server process: found, started behind a watcher, waited for, shared per
//! data directory, stopped.
//!
//! # The watcher (no orphans)
//!
//! The server runs as `sh -c WATCHER milvus-lite-watch PROGRAM ARGS…`: the shell starts a
//! background subshell that reads the shell's stdin, then `exec`s the server, so the
//! server's PID is the child's PID (this process signals and reaps it itself). The stdin is
//! a pipe whose only write end is in this process (std opens it close-on-exec, so no other
//! child inherits it):
//!
//! - this process stops the server by writing a line to the pipe (the watcher then exits
//!   without doing anything), then SIGTERM by PID, [`STOP_GRACE`], SIGKILL, and reaps it;
//! - when this process dies in any way (exit, panic, SIGKILL), the kernel closes the write
//!   end; the watcher reads end-of-file without a line, sends the server SIGTERM, and
//!   SIGKILL if it is still alive 5 s later.
//!
//! No `unsafe` (no `pre_exec`, no `PR_SET_PDEATHSIG`, which would also fire when the
//! *thread* that spawned the server exits, and tokio's threads come and go).

use std::collections::HashMap;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use conn_config::{ConnectionSpec, Environment as _, ProcessEnv};
use tokio::time::{Instant, sleep, timeout_at};

use crate::error::{Error, LITE_OUTPUT_TAIL, LiteProblem};
use crate::lite::{LiteOptions, data_dir_or_given};

/// How long a stopped server has after SIGTERM before SIGKILL.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// The environment variable naming the Milvus Lite executable (docs/transport.md).
pub(crate) const MILVUS_LITE_BIN: &str = "MILVUS_LITE_BIN";

/// How often start-up polls `CheckHealth` (and whether the process exited).
const POLL: Duration = Duration::from_millis(50);

/// How many ports are tried when the one picked was taken before the server bound it.
const PORT_ATTEMPTS: usize = 3;

/// `$0` of the watcher shell (shown by `ps`).
const WATCHER_NAME: &str = "milvus-lite-watch";

/// The watcher shell script (see the module docs). fd 3 is the pipe from this process: an
/// asynchronous list's stdin is `/dev/null` in a non-interactive shell, so the subshell
/// reads a copy of it. The server gets neither (its stdin is `/dev/null`).
const WATCHER: &str = r#"exec 3<&0
PATH=${PATH:-/usr/bin:/bin}
server=$$
(
  if read -r _ <&3; then exit 0; fi
  kill -TERM "$server" 2>/dev/null || exit 0
  i=0
  while [ "$i" -lt 50 ] && kill -0 "$server" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$server" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
exec "$@" </dev/null 3<&-
"#;

/// A Milvus Lite server this process started for one data directory (a `.db` path), shared
/// by every connection to that path;
/// [`MilvusConnection::lite_server`](crate::MilvusConnection::lite_server) returns it.
///
/// It is stopped (SIGTERM, up to 5 s, then SIGKILL) when the last connection holding it
/// is dropped; if this process dies first, a watcher process stops it (docs/transport.md,
/// "Milvus Lite").
pub struct LiteServer {
    data_dir: PathBuf,
    port: u16,
    pid: u32,
    program: String,
    child: Mutex<Option<Child>>,
    stdin: Mutex<Option<ChildStdin>>,
    output: Arc<Tail>,
}

impl LiteServer {
    /// The data directory (the `.db` path, absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The loopback port it listens on (`127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The server's process ID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The last lines it printed (at most [`LITE_OUTPUT_TAIL`] bytes).
    pub fn output_tail(&self) -> String {
        self.output.text()
    }

    /// Whether the process is still running.
    pub fn is_running(&self) -> bool {
        let mut child = lock(&self.child);
        match child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops the server: tells the watcher to stand down, SIGTERM, up to [`STOP_GRACE`],
    /// SIGKILL, reaps it. Blocks the calling thread until the process is gone (Milvus Lite
    /// exits on SIGTERM at once: milliseconds).
    fn stop(&self) {
        if let Some(mut stdin) = lock(&self.stdin).take() {
            // The watcher may be gone already (EPIPE); nothing to do then.
            let _ = stdin.write_all(b"stop\n");
        }
        let Some(mut child) = lock(&self.child).take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        // Unreaped, so the PID is still this child's.
        if let Some(pid) = rustix::process::Pid::from_raw(self.pid as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = std::time::Instant::now() + STOP_GRACE;
        while std::time::Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => {
                    tracing::debug!(pid = self.pid, data_dir = %self.data_dir.display(), "milvus lite stopped");
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        tracing::warn!(pid = self.pid, data_dir = %self.data_dir.display(), "milvus lite did not stop on SIGTERM; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for LiteServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for LiteServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiteServer")
            .field("data_dir", &self.data_dir)
            .field("address", &self.address())
            .field("pid", &self.pid)
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every change is one `take`: consistent after any panic.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The last [`LITE_OUTPUT_TAIL`] bytes a server printed, filled by a thread of its own.
#[derive(Default)]
struct Tail {
    bytes: Mutex<VecDeque<u8>>,
}

impl Tail {
    fn push(&self, chunk: &[u8]) {
        let mut bytes = lock(&self.bytes);
        bytes.extend(chunk);
        let over = bytes.len().saturating_sub(LITE_OUTPUT_TAIL);
        bytes.drain(..over);
    }

    /// The tail as text, from the first whole line, trimmed.
    fn text(&self) -> String {
        let bytes: Vec<u8> = lock(&self.bytes).iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        let full = bytes.len() >= LITE_OUTPUT_TAIL;
        let text = match (full, text.find('\n')) {
            (true, Some(i)) => &text[i + 1..],
            _ => &text[..],
        };
        text.trim().to_owned()
    }
}

/// What runs Milvus Lite, and where that choice came from (for errors).
struct Launcher {
    program: PathBuf,
    args: Vec<OsString>,
    from: &'static str,
}

impl Launcher {
    fn describe(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        format!("{s} (from {})", self.from)
    }
}

/// The executable: the connector's, else `MILVUS_LITE_BIN`, else `milvus-lite` on `PATH`,
/// else `python3 -m milvus_lite` (`python3` on `PATH`).
fn launcher(options: &LiteOptions, data_dir: &Path) -> Result<Launcher, Error> {
    let env = ProcessEnv;
    let named = match (&options.executable, env.var(MILVUS_LITE_BIN)) {
        (Some(p), _) => Some((p.clone(), "Connector::lite_executable")),
        (None, Some(v)) if !v.is_empty() => Some((PathBuf::from(v), MILVUS_LITE_BIN)),
        _ => None,
    };
    if let Some((program, from)) = named {
        let program = if program.components().count() == 1 {
            // A bare name: looked up on PATH, as a shell would.
            on_path(&env, program.as_os_str()).unwrap_or(program)
        } else {
            program
        };
        if !program.is_file() {
            return Err(lite_error(
                data_dir,
                LiteProblem::NotInstalled,
                format!("{from} names {}, which does not exist", program.display()),
                String::new(),
            ));
        }
        return Ok(Launcher {
            program,
            args: Vec::new(),
            from,
        });
    }
    if let Some(program) = on_path(&env, "milvus-lite".as_ref()) {
        return Ok(Launcher {
            program,
            args: Vec::new(),
            from: "PATH",
        });
    }
    if let Some(program) = on_path(&env, "python3".as_ref()) {
        return Ok(Launcher {
            program,
            args: vec!["-m".into(), "milvus_lite".into()],
            from: "no MILVUS_LITE_BIN, no milvus-lite on PATH",
        });
    }
    Err(lite_error(
        data_dir,
        LiteProblem::NotInstalled,
        "no MILVUS_LITE_BIN, and neither milvus-lite nor python3 on PATH".to_owned(),
        String::new(),
    ))
}

/// The first executable file `name` in the `PATH` directories.
fn on_path(env: &ProcessEnv, name: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = env.var("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn lite_error(data_dir: &Path, problem: LiteProblem, detail: String, output: String) -> Error {
    Error::Lite {
        data_dir: data_dir.to_path_buf(),
        problem,
        detail,
        output,
    }
}

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
        return Err(lite_error(
            &data_dir,
            LiteProblem::TlsNotSupported,
            String::new(),
            String::new(),
        ));
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
                String::new(),
            ));
        }
    };
    if let Some(server) = current.upgrade()
        && server.is_running()
    {
        tracing::debug!(data_dir = %data_dir.display(), pid = server.pid, "reusing milvus lite");
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
            String::new(),
        ));
    }
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(lite_error(
            data_dir,
            LiteProblem::NotADirectory,
            String::new(),
            String::new(),
        ));
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
                return Err(lite_error(
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
                    tracing::debug!("the port was taken before milvus lite bound it; another");
                    continue;
                }
                let problem = match problem {
                    Exited::Locked => LiteProblem::Locked,
                    Exited::NotInstalled => LiteProblem::NotInstalled,
                    Exited::PortTaken | Exited::Other => LiteProblem::Exited,
                };
                return Err(lite_error(
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

/// A free port on 127.0.0.1 (bound, then released for the server to bind).
fn free_port(data_dir: &Path) -> Result<u16, Error> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| {
            lite_error(
                data_dir,
                LiteProblem::Spawn,
                format!("no free port on 127.0.0.1: {e}"),
                String::new(),
            )
        })
}

/// Starts the watcher shell, which becomes the server.
fn spawn(launcher: &Launcher, data_dir: &Path) -> Result<LiteServer, Error> {
    let port = free_port(data_dir)?;
    let spawn_error = |e: std::io::Error| {
        lite_error(
            data_dir,
            LiteProblem::Spawn,
            format!("{}: {e}", launcher.describe()),
            String::new(),
        )
    };
    // One pipe for stdout and stderr, so the tail keeps their order.
    let (reader, writer) = std::io::pipe().map_err(spawn_error)?;
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(WATCHER)
        .arg(WATCHER_NAME)
        .arg(&launcher.program)
        .args(&launcher.args)
        .arg("server")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--host")
        .arg("127.0.0.1")
        .arg("--port")
        .arg(port.to_string())
        // Its output as it happens (a traceback is printed at exit either way).
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::piped())
        .stdout(writer.try_clone().map_err(spawn_error)?)
        .stderr(writer);
    let mut child = command.spawn().map_err(spawn_error)?;
    // The write ends were moved into `command`: dropped with it, so the reader sees
    // end-of-file when the server (and the watcher) are gone.
    drop(command);
    let output = Arc::new(Tail::default());
    let sink = output.clone();
    let mut reader = reader;
    let read = std::thread::Builder::new()
        .name("milvus-lite-output".to_owned())
        .spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.push(&buf[..n]);
            }
        });
    if let Err(e) = read {
        let _ = child.kill();
        let _ = child.wait();
        return Err(spawn_error(e));
    }
    let stdin = child.stdin.take();
    Ok(LiteServer {
        data_dir: data_dir.to_path_buf(),
        port,
        pid: child.id(),
        program: launcher.describe(),
        child: Mutex::new(Some(child)),
        stdin: Mutex::new(stdin),
        output,
    })
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
