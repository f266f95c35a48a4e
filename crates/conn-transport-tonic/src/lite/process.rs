//! The Milvus Lite server process: spawned behind a watcher, its output kept, stopped
//! without blocking anyone.
//!
//! # The watcher (no orphans)
//!
//! The server runs as `sh -c WATCHER milvus-lite-watch PROGRAM ARGS…`: the shell starts a
//! background subshell that reads the shell's stdin, then `exec`s the server, so the
//! server's PID is the child's PID (this process signals and reaps it itself). The stdin is
//! a pipe whose only write end is in this process (std opens it close-on-exec, so no other
//! child inherits it), and nothing is ever written to it.
//!
//! The shell (so the server) leads a process group of its own, and the signals go to the
//! group: an executable that is a wrapper script (`MILVUS_LITE_BIN=run-lite.sh` running
//! `milvus-lite` without `exec`) does not leave its children running (they would hold the
//! data directory's lock and the port). The watcher is a member of the group until this
//! process kills the group (the last step of every stop): while it lives, the group ID is
//! not reused, even after the server was reaped, so signalling the group is safe.
//!
//! - this process stops the server (see [`LiteServer::stop`]) and kills the watcher with
//!   the rest of the group at the end;
//! - when this process dies in any way (exit, panic, SIGKILL; also in the middle of a
//!   stop), the kernel closes the write end; the watcher (which ignores SIGTERM) reads
//!   end-of-file, sends the group SIGTERM, waits for the server to exit (at most 5 s), and
//!   0.5 s later sends the group (what is left of it: the server's children, the watcher)
//!   SIGKILL.
//!
//! No `unsafe` (no `pre_exec`, no `PR_SET_PDEATHSIG`, which would also fire when the
//! *thread* that spawned the server exits, and tokio's threads come and go).
//!
//! # Stopping never blocks
//!
//! Dropping the last holder of a server (or a failed start-up) sends SIGTERM to the group
//! at once and leaves the rest to a thread of its own (`milvus-lite-stop`, a std thread, so
//! it works with no runtime, or one shutting down): up to [`STOP_GRACE`] for the server to
//! exit, SIGKILL to the group, reap, and up to [`KILL_GRACE`] until no other process of
//! the group runs (a wrapper's child that is still exiting holds the directory's lock). A
//! server that exited by itself has the same end on the same kind of thread. A [`Gone`]
//! resolves when that is done: a new start for
//! the same data directory waits for it (start.rs), and [`wait_for_lite_stops`] waits for
//! every stop under way.

use std::collections::VecDeque;
use std::fmt;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustix::process::Signal;
use tokio::sync::watch;

use super::launcher::Launcher;
use super::{LOG_TARGET, lite_error};
use crate::error::{Error, LITE_OUTPUT_TAIL, LiteProblem};

/// How long a stopped server has after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How long a stop waits for the server to be gone after SIGKILL before it gives up reaping
/// it (a process in uninterruptible sleep, say on a hung NFS mount, outlives SIGKILL).
const KILL_GRACE: Duration = Duration::from_secs(5);

/// How often a stop looks whether the server has exited.
const STOP_POLL: Duration = Duration::from_millis(10);

/// `$0` of the watcher shell (shown by `ps`).
const WATCHER_NAME: &str = "milvus-lite-watch";

/// The watcher shell script (see the module docs). fd 3 is the pipe from this process: an
/// asynchronous list's stdin is `/dev/null` in a non-interactive shell, so the subshell
/// reads a copy of it. Nothing is written to the pipe: `read` returns at end-of-file, when
/// this process is gone. The server gets neither (its stdin is `/dev/null`).
const WATCHER: &str = r#"exec 3<&0
PATH=${PATH:-/usr/bin:/bin}
server=$$
(
  trap '' TERM
  read -r _ <&3
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
/// Dropping the last connection holding it stops it without blocking: SIGTERM to its
/// process group at once; up to 5 s for it to exit, SIGKILL and reaping on a thread of its
/// own ([`wait_for_lite_stops`] waits for that). If this process dies first, a watcher
/// process stops it (docs/transport.md, "Milvus Lite").
pub struct LiteServer {
    data_dir: PathBuf,
    pub(super) port: u16,
    pub(super) pid: u32,
    program: String,
    state: Mutex<State>,
    /// Resolves when the process is gone (see [`Gone`]).
    gone: Gone,
    output: Arc<Tail>,
}

/// The server's process, while this process owns it.
struct Process {
    child: Child,
    /// The write end of the watcher's pipe (see the module docs); never written to.
    _watcher: Option<ChildStdin>,
    /// Dropped when the process is gone: resolves its [`Gone`].
    _gone: watch::Sender<()>,
}

/// Where a server's process is.
enum State {
    /// Running, or exited and not yet noticed.
    Running(Process),
    /// Exited by itself (its status, if it could be read), noticed by [`LiteServer::status`]:
    /// reaped, what was left of its group killed.
    Exited(Option<ExitStatus>),
    /// Stopped by [`LiteServer::stop`] (the stop may still be under way on its thread).
    Stopped,
}

/// What [`LiteServer::status`] found.
#[derive(Clone, Copy, Debug)]
pub(super) enum Status {
    Running,
    /// Exited by itself: its status, if it could be read (not when something else in this
    /// process reaped it, say with `SIGCHLD` ignored).
    Exited(Option<ExitStatus>),
    /// Stopped by this process.
    Stopped,
}

/// Resolves once a server's process is gone: reaped (or given up on after SIGKILL) and its
/// group killed. Its sender is dropped with the [`Process`]; nothing is ever sent.
#[derive(Clone, Debug)]
pub(super) struct Gone {
    pub(super) pid: u32,
    done: watch::Receiver<()>,
}

impl Gone {
    pub(super) fn is_done(&self) -> bool {
        // An error: the sender is dropped.
        self.done.has_changed().is_err()
    }

    pub(super) async fn wait(mut self) {
        // Nothing is sent: `changed` returns (an error) when the sender is dropped.
        let _ = self.done.changed().await;
    }
}

/// The stops under way, for [`wait_for_lite_stops`].
static STOPPING: Mutex<Vec<Gone>> = Mutex::new(Vec::new());

/// Waits until every Milvus Lite server whose stop has begun in this process (its last
/// connection was dropped, or a failed connect cleaned it up) is gone: exited, or killed
/// after the 5 s grace, and reaped, with its process group.
///
/// Dropping a connection does not wait for its server (a server that ignores SIGTERM
/// takes 5 s); a program that must see the servers gone before it goes on, say before it
/// exits so that the next program can open the data directory at once, awaits this after
/// dropping its connections. Without it the servers still go: on a thread of this process,
/// or, if it exits first, through their watcher (docs/transport.md, "Milvus Lite").
/// Servers still held by a connection are not waited for. It returns within 15 s of the
/// last stop's start (5 s for SIGTERM, at most 5 s for the reap after SIGKILL, at most 5 s
/// for the rest of the server's process group), within about 5 s for a server that ignores
/// SIGTERM.
#[cfg_attr(docsrs, doc(cfg(all(feature = "lite", unix))))]
pub async fn wait_for_lite_stops() {
    let pending = lock(&STOPPING).clone();
    for gone in pending {
        gone.wait().await;
    }
    lock(&STOPPING).retain(|g| !g.is_done());
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

    /// Whether the process is still running. A server that exited by itself is then
    /// reaped, and what was left of its process group (children of a wrapper script) is
    /// killed.
    pub fn is_running(&self) -> bool {
        matches!(self.status(), Status::Running)
    }

    /// What became of the process, noticing an exit (see [`is_running`](Self::is_running)).
    pub(super) fn status(&self) -> Status {
        let mut state = lock(&self.state);
        let process = match &mut *state {
            State::Running(process) => process,
            State::Exited(status) => return Status::Exited(*status),
            State::Stopped => return Status::Stopped,
        };
        let status = match process.child.try_wait() {
            Ok(None) => return Status::Running,
            Ok(Some(status)) => Some(status),
            // Reaped by something else in this process: gone all the same.
            Err(_) => None,
        };
        tracing::debug!(target: LOG_TARGET, pid = self.pid, ?status, "milvus lite exited by itself");
        // What is left of its group (children of a wrapper script, the watcher) goes with
        // it; the watcher's membership keeps the group ID from reuse until this signal.
        // Its `Gone` resolves once they have exited too (a child still exiting may hold
        // the directory's lock), on the stop's thread.
        let State::Running(process) = std::mem::replace(&mut *state, State::Exited(status)) else {
            return Status::Exited(status);
        };
        drop(state);
        self.finish_elsewhere(process, Duration::ZERO);
        Status::Exited(status)
    }

    /// Resolves when the process is gone, after a stop or its own exit.
    pub(super) fn gone(&self) -> Gone {
        self.gone.clone()
    }

    /// Starts stopping the server and returns at once: SIGTERM to its process group now;
    /// on a thread of its own, up to [`STOP_GRACE`] for it to exit, SIGKILL to what is left
    /// of the group (children of a wrapper script that outlived it, the watcher), reaping.
    /// Milvus Lite exits on SIGTERM at once (milliseconds). Without a thread (the OS
    /// refused one), SIGKILL at once and the reaping here (milliseconds).
    fn stop(&mut self) {
        let state = std::mem::replace(&mut *lock(&self.state), State::Stopped);
        let State::Running(process) = state else {
            return;
        };
        // The server leads its group; the watcher, a member until the group is killed,
        // keeps the group ID from reuse even if the server has exited and been reaped.
        signal_group(self.pid, Signal::TERM);
        self.finish_elsewhere(process, STOP_GRACE);
    }

    /// Hands the rest of a stop ([`finish_stop`]) to a thread of its own, noted in
    /// [`STOPPING`]; here when no thread starts (with no grace: SIGKILL at once).
    fn finish_elsewhere(&self, process: Process, grace: Duration) {
        {
            let mut stopping = lock(&STOPPING);
            stopping.retain(|g| !g.is_done());
            stopping.push(self.gone.clone());
        }
        let (pid, data_dir) = (self.pid, self.data_dir.clone());
        // Shared so that it can be taken back when no thread starts (the closure is then
        // dropped without running).
        let handoff = Arc::new(Mutex::new(Some(process)));
        let theirs = handoff.clone();
        let dir = data_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("milvus-lite-stop".to_owned())
            .spawn(move || {
                if let Some(process) = lock(&theirs).take() {
                    finish_stop(process, pid, &dir, grace);
                }
            });
        if let Err(e) = spawned
            && let Some(process) = lock(&handoff).take()
        {
            tracing::warn!(target: LOG_TARGET, pid, error = %e, "no thread to stop milvus lite on; killing it at once");
            finish_stop(process, pid, &data_dir, Duration::ZERO);
        }
    }
}

/// The rest of a stop after SIGTERM: up to `grace` for the server to exit, SIGKILL to the
/// group, reaping (at most [`KILL_GRACE`] after SIGKILL), then up to [`KILL_GRACE`] until no
/// other process of the group runs. Dropping `process` at the end resolves its [`Gone`].
fn finish_stop(mut process: Process, pid: u32, data_dir: &Path, grace: Duration) {
    let exited = reap_within(&mut process.child, grace);
    if !exited && !grace.is_zero() {
        tracing::warn!(target: LOG_TARGET, pid, data_dir = %data_dir.display(), "milvus lite did not stop on SIGTERM; killing it");
    }
    // What is left of the group: nothing but the watcher, or children of a wrapper script
    // that outlived it (they had SIGTERM with it), or the server itself. Only the server is
    // this process's child (reaped); the others are waited for below, by their state. The
    // watcher was a member up to here, so the group ID was not reused.
    signal_group(pid, Signal::KILL);
    if !exited && !reap_within(&mut process.child, KILL_GRACE) {
        tracing::warn!(target: LOG_TARGET, pid, data_dir = %data_dir.display(), "milvus lite outlived SIGKILL (uninterruptible sleep?); left unreaped");
        return;
    }
    // The other members (a wrapper script's milvus-lite child) had SIGKILL, but a process
    // takes a moment to exit (a large one, tens of milliseconds), and until it has it holds
    // the directory's lock: the stop is done once none runs.
    if !group_gone_within(pid, KILL_GRACE) {
        tracing::warn!(target: LOG_TARGET, pid, data_dir = %data_dir.display(), "a process of milvus lite's group outlived SIGKILL (uninterruptible sleep?)");
        return;
    }
    tracing::debug!(target: LOG_TARGET, pid, data_dir = %data_dir.display(), "milvus lite stopped");
}

/// Waits (polling, at most `within`) until no process of the group `pgid` runs; whether
/// none does.
fn group_gone_within(pgid: u32, within: Duration) -> bool {
    let until = std::time::Instant::now() + within;
    while group_running(pgid) {
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(STOP_POLL);
    }
    true
}

/// Whether a process of the group `pgid` runs. A zombie does not count on Linux (read from
/// `/proc`): it holds no file or lock, and one whose parent is a PID 1 that does not reap
/// (some containers) stays for good. Elsewhere, whether the group can still be signalled.
fn group_running(pgid: u32) -> bool {
    #[cfg(target_os = "linux")]
    if let Ok(processes) = std::fs::read_dir("/proc") {
        return processes.flatten().any(|process| {
            let numeric = process
                .file_name()
                .to_str()
                .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()));
            numeric
                && std::fs::read_to_string(process.path().join("stat"))
                    .is_ok_and(|stat| runs_in_group(&stat, pgid))
        });
    }
    i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .is_some_and(|group| rustix::process::test_kill_process_group(group).is_ok())
}

/// From a `/proc/PID/stat` line (`PID (COMM) STATE PPID PGRP …`, where COMM may hold
/// spaces and parentheses): whether the process is in the group `pgid` and not a zombie
/// (`Z`) or dead (`X`).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn runs_in_group(stat: &str, pgid: u32) -> bool {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let mut fields = rest.split_whitespace();
    let state = fields.next();
    let group = fields.nth(1).and_then(|g| g.parse::<u32>().ok());
    group == Some(pgid) && !matches!(state, Some("Z" | "X" | "x"))
}

/// Reaps `child` if it exits within `within` (polling); whether it did.
fn reap_within(child: &mut Child, within: Duration) -> bool {
    let until = std::time::Instant::now() + within;
    loop {
        // An error: reaped by something else in this process; gone all the same.
        if !matches!(child.try_wait(), Ok(None)) {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(STOP_POLL);
    }
}

/// `signal` to the process group `pid` leads (or led).
fn signal_group(pid: u32, signal: Signal) {
    if let Some(group) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(group, signal);
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
        // The shell leads the group and is not reaped: the group ID is its own. Killed, it
        // is reaped in milliseconds.
        signal_group(child.id(), Signal::KILL);
        let _ = child.wait();
        return Err(spawn_error(e));
    }
    let (sender, done) = watch::channel(());
    let pid = child.id();
    Ok(LiteServer {
        data_dir: data_dir.to_path_buf(),
        port,
        pid,
        program: launcher.describe(),
        state: Mutex::new(State::Running(Process {
            _watcher: child.stdin.take(),
            child,
            _gone: sender,
        })),
        gone: Gone { pid, done },
        output,
    })
}

#[cfg(test)]
mod tests {
    use super::runs_in_group;

    /// `/proc/PID/stat` lines: the group is the fifth field, after a name that may hold
    /// spaces and parentheses; a zombie or dead process does not run.
    #[test]
    fn stat_lines_are_read_after_the_name() {
        assert!(runs_in_group("42 (milvus-lite) S 1 42 42 0 -1", 42));
        assert!(runs_in_group("43 (a) b) (c) R 42 42 42 0", 42));
        assert!(!runs_in_group("43 (a) b) (c) R 42 41 42 0", 42));
        assert!(!runs_in_group("44 (python3) Z 1 42 42 0", 42));
        assert!(!runs_in_group("44 (python3) X 1 42 42 0", 42));
        assert!(!runs_in_group("garbage", 42));
        assert!(!runs_in_group("45 (sh) S 1", 42));
    }
}
