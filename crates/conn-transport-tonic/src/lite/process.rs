//! The Milvus Lite server process: spawned behind a watcher, its output kept, stopped.
//!
//! # The watcher (no orphans)
//!
//! The server runs as `sh -c WATCHER milvus-lite-watch PROGRAM ARGS…`: the shell starts a
//! background subshell that reads the shell's stdin, then `exec`s the server, so the
//! server's PID is the child's PID (this process signals and reaps it itself). The stdin is
//! a pipe whose only write end is in this process (std opens it close-on-exec, so no other
//! child inherits it):
//!
//! The shell (so the server) leads a process group of its own, and the signals go to the
//! group: an executable that is a wrapper script (`MILVUS_LITE_BIN=run-lite.sh` running
//! `milvus-lite` without `exec`) does not leave its children running (they would hold the
//! data directory's lock and the port).
//!
//! - this process stops the server by writing a line to the pipe (the watcher then exits
//!   without doing anything), then SIGTERM to the group, up to [`STOP_GRACE`] for the
//!   server to exit, SIGKILL to what is left of the group, and reaps the server;
//! - when this process dies in any way (exit, panic, SIGKILL), the kernel closes the write
//!   end; the watcher (which ignores SIGTERM) reads end-of-file without a line, sends the
//!   group SIGTERM, waits for the server to exit (at most 5 s), and 0.5 s later sends the
//!   group (what is left of it: the server's children, the watcher) SIGKILL.
//!
//! No `unsafe` (no `pre_exec`, no `PR_SET_PDEATHSIG`, which would also fire when the
//! *thread* that spawned the server exits, and tokio's threads come and go).

use std::collections::VecDeque;
use std::fmt;
use std::io::{Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::launcher::Launcher;
use super::{LOG_TARGET, lite_error};
use crate::error::{Error, LITE_OUTPUT_TAIL, LiteProblem};

/// How long a stopped server has after SIGTERM before SIGKILL.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(5);

/// `$0` of the watcher shell (shown by `ps`).
const WATCHER_NAME: &str = "milvus-lite-watch";

/// The watcher shell script (see the module docs). fd 3 is the pipe from this process: an
/// asynchronous list's stdin is `/dev/null` in a non-interactive shell, so the subshell
/// reads a copy of it. The server gets neither (its stdin is `/dev/null`).
const WATCHER: &str = r#"exec 3<&0
PATH=${PATH:-/usr/bin:/bin}
server=$$
(
  trap '' TERM
  if read -r _ <&3; then exit 0; fi
  kill -TERM "-$server" 2>/dev/null || exit 0
  i=0
  while [ "$i" -lt 50 ] && kill -0 "$server" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
  kill -KILL "-$server" 2>/dev/null
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
    pub(super) port: u16,
    pub(super) pid: u32,
    program: String,
    pub(super) child: Mutex<Option<Child>>,
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

    /// Stops the server: tells the watcher to stand down, SIGTERM to its process group, up
    /// to [`STOP_GRACE`] for it to exit, SIGKILL to what is left of the group, reaps it. Blocks the calling thread until
    /// the process is gone (Milvus Lite exits on SIGTERM at once: milliseconds).
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
        // The server leads its group, and is unreaped: the group ID is still its own.
        let group = rustix::process::Pid::from_raw(self.pid as i32);
        let signal_group = |signal| {
            if let Some(group) = group {
                let _ = rustix::process::kill_process_group(group, signal);
            }
        };
        signal_group(rustix::process::Signal::TERM);
        let deadline = std::time::Instant::now() + STOP_GRACE;
        let mut reaped = false;
        while !reaped && std::time::Instant::now() < deadline {
            reaped = !matches!(child.try_wait(), Ok(None));
            if !reaped {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        if !reaped {
            tracing::warn!(target: LOG_TARGET, pid = self.pid, data_dir = %self.data_dir.display(), "milvus lite did not stop on SIGTERM; killing it");
        }
        // What is left of the group: nothing, zombies (the watcher's, until the init
        // process reaps it, which can take seconds), or children of a wrapper script that
        // outlived it (they had SIGTERM with the server). Not waited for: a group test
        // counts zombies. The group ID is not reused while a member (even a zombie) is
        // left; once the group is empty, only a PID wrap-around since the reap above could
        // make it another group's.
        signal_group(rustix::process::Signal::KILL);
        if !reaped {
            let _ = child.kill();
            let _ = child.wait();
        }
        tracing::debug!(target: LOG_TARGET, pid = self.pid, data_dir = %self.data_dir.display(), "milvus lite stopped");
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

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
            )
        })
}

/// Starts the watcher shell, which becomes the server.
pub(super) fn spawn(launcher: &Launcher, data_dir: &Path) -> Result<LiteServer, Error> {
    let port = free_port(data_dir)?;
    let spawn_error = |e: std::io::Error| {
        lite_error(
            data_dir,
            LiteProblem::Spawn,
            format!("{}: {e}", launcher.describe()),
        )
    };
    // One pipe for stdout and stderr, so the tail keeps their order.
    let (reader, writer) = std::io::pipe().map_err(spawn_error)?;
    let mut command = Command::new("/bin/sh");
    command
        // A group of its own, signalled as one (see the module docs).
        .process_group(0)
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
