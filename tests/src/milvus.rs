//! A real Milvus 2.3.5 standalone for integration tests, driven by the scripts in
//! `tests/milvus/`.
//!
//! `tests/milvus/setup.sh` installs the PyPI package `milvus==2.3.5` (a genuine Go + C++
//! Milvus standalone with embedded etcd, local storage and rocksmq) into a cache directory
//! (default `~/.cache/milvus-conn`, or `$MILVUS_CONN_CACHE`). [`RealMilvus::start`] runs
//! `tests/milvus/start.sh`, which starts it on `127.0.0.1:19530` with authentication on
//! (`root` / `Milvus`) in one of three [`Mode`]s, always on a fresh data directory, and
//! returns once gRPC `CheckHealth` reports healthy. Dropping the [`RealMilvus`] stops the
//! server by its PID (`tests/milvus/stop.sh`).
//!
//! # One Milvus per machine
//!
//! Milvus 2.3 flocks `/run/milvus/standalone.pid` and binds fixed internal ports, so only one
//! can run on a machine. The harness serializes its users twice:
//!
//! - inside a test binary, a process-wide mutex: a second [`RealMilvus::start`] waits until
//!   the first [`RealMilvus`] is dropped (so never start a second one while holding the
//!   first on the same thread: that deadlocks; use [`RealMilvus::restart`]);
//! - across processes (several test binaries under `cargo nextest`, or two checkouts on one
//!   machine), an exclusive file lock on `$TMPDIR/milvus-conn-real-milvus.lock` held for the
//!   life of each [`RealMilvus`].
//!
//! Keep the real-Milvus tests of one crate in as few integration-test binaries as possible
//! (`tests/tests/real_milvus_*.rs`): each start costs about 3 s, and tests in one binary that
//! share a mode can share a server.
//!
//! # CI policy
//!
//! [`RealMilvus::start_or_skip`] is what tests call. When `CI` is `true` (read through
//! [`conn_config::ProcessEnv`]), a harness that is not set up, or a server that does not come
//! up, FAILS the test with the reason. Outside CI, a machine where `setup.sh` was never run
//! skips the test with a printed reason; a server that is set up but fails to start still
//! fails the test.
//!
//! ```no_run
//! use milvus_conn_tests::milvus::{Mode, RealMilvus};
//!
//! let Some(milvus) = RealMilvus::start_or_skip(Mode::Tls2) else {
//!     return; // not set up and not in CI: the reason was printed
//! };
//! assert_eq!(milvus.addr(), "127.0.0.1:19530");
//! let (cert, key) = (milvus.client_cert(), milvus.client_key()); // Some(..) in Mode::Tls2
//! # let _ = (cert, key);
//! // ... connect with milvus.ca(), milvus.server_name(), milvus.user(), milvus.password()
//! drop(milvus); // stops the server (it also stops at the end of scope)
//! ```

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use conn_config::{Environment, ProcessEnv};

/// The TLS mode a [`RealMilvus`] runs in. Authentication is on in every mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// gRPC without TLS (`common.security.tlsMode: 0`).
    Plain,
    /// One-way TLS (`tlsMode: 1`): the client verifies the server against [`RealMilvus::ca`].
    Tls1,
    /// Mutual TLS (`tlsMode: 2`): the client must also present [`RealMilvus::client_cert`].
    Tls2,
}

impl Mode {
    /// All modes, in the order the smoke test runs them.
    pub const ALL: [Mode; 3] = [Mode::Plain, Mode::Tls1, Mode::Tls2];

    /// The name `start.sh` takes and `server.env` reports: `plain`, `tls1` or `tls2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Tls1 => "tls1",
            Mode::Tls2 => "tls2",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = HarnessError;

    fn from_str(s: &str) -> Result<Mode, HarnessError> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| HarnessError::Description {
                problem: format!("unknown MILVUS_IT_MODE {s:?}"),
            })
    }
}

/// What went wrong while setting up, starting or stopping the real Milvus.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// `tests/milvus/setup.sh` has not been run on this machine.
    #[error("the real-Milvus harness is not set up ({reason}); run tests/milvus/setup.sh")]
    NotSetUp {
        /// Why `setup.sh --check` says it is not set up.
        reason: String,
    },
    /// Under `CI=true` the harness must be there; it is not.
    #[error(
        "CI is true but the real-Milvus harness is not set up ({reason}); \
         .ci/run must call tests/milvus/setup.sh before cargo test"
    )]
    MissingInCi {
        /// Why `setup.sh --check` says it is not set up.
        reason: String,
    },
    /// A script could not be run at all.
    #[error("could not run {}", script.display())]
    Spawn {
        /// The script.
        script: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A script ran and failed; `output` is the end of what it printed (Milvus's log tail
    /// for `start.sh`).
    #[error("{} {args} failed ({status}):\n{output}", script.display())]
    Script {
        /// The script.
        script: PathBuf,
        /// Its arguments, space-separated.
        args: String,
        /// How it exited.
        status: String,
        /// The last lines of its stderr and stdout.
        output: String,
    },
    /// `start.sh` succeeded but its description of the server is incomplete or malformed.
    #[error("start.sh described the server badly: {problem}")]
    Description {
        /// What is missing or malformed.
        problem: String,
    },
    /// The cross-process lock file could not be opened or locked.
    #[error("could not lock {}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Whether the harness can run on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// `setup.sh` has been run: the venv and the Milvus binaries are in the cache directory.
    Ready,
    /// `setup.sh` has not been run; the reason says what is missing.
    NotSetUp(String),
}

/// What a test does about a real Milvus, given [`Availability`] and whether it runs in CI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start the server (a failure to start fails the test).
    Start,
    /// Skip the test, printing the reason (outside CI only).
    Skip(String),
    /// Fail the test with this reason (CI without the harness).
    Fail(String),
}

/// Whether `CI` is set to `true` (or `1`, any case) in `env`.
pub fn is_ci(env: &impl Environment) -> bool {
    env.var("CI").is_some_and(|v| {
        let v = v.to_string_lossy();
        v.eq_ignore_ascii_case("true") || v == "1"
    })
}

/// The CI policy: in CI a missing harness fails; outside CI it skips.
pub fn decide(availability: &Availability, ci: bool) -> Decision {
    match availability {
        Availability::Ready => Decision::Start,
        Availability::NotSetUp(reason) if ci => Decision::Fail(
            HarnessError::MissingInCi {
                reason: reason.clone(),
            }
            .to_string(),
        ),
        Availability::NotSetUp(reason) => Decision::Skip(format!(
            "real Milvus not set up ({reason}); run tests/milvus/setup.sh to run this test"
        )),
    }
}

/// The directory holding `setup.sh`, `start.sh`, `stop.sh` and their helpers.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("milvus")
}

/// Whether `tests/milvus/setup.sh` has been run (asks `setup.sh --check`; installs nothing).
///
/// # Errors
///
/// [`HarnessError::Spawn`] when the script cannot run, [`HarnessError::Script`] when it
/// fails in an unexpected way.
pub fn availability() -> Result<Availability, HarnessError> {
    let script = scripts_dir().join("setup.sh");
    let out = run(&script, &["--check"])?;
    match out.status.code() {
        Some(0) => Ok(Availability::Ready),
        Some(3) => Ok(Availability::NotSetUp(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )),
        _ => Err(script_error(&script, &["--check"], &out)),
    }
}

/// Serializes the real-Milvus tests of one process.
static IN_PROCESS: Mutex<()> = Mutex::new(());

/// The locks that make the holder the only user of the machine's Milvus.
struct Lease {
    // Dropped in declaration order: the file lock (other processes) is released first,
    // then the mutex (other threads of this process).
    _file: File,
    _thread: MutexGuard<'static, ()>,
}

impl Lease {
    fn acquire() -> Result<Lease, HarnessError> {
        // A panicking test poisons the mutex; its RealMilvus was still stopped on unwind.
        let thread = IN_PROCESS.lock().unwrap_or_else(PoisonError::into_inner);
        let path = lock_path();
        let lock_err = |source| HarnessError::Lock {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(lock_err)?;
        // Fully qualified: the inherent std::fs::File::lock is newer than the crate's MSRV.
        if fs4::FileExt::try_lock(&file).is_err() {
            note(&format!(
                "waiting for another process's real Milvus to stop (lock {})",
                path.display()
            ));
            fs4::FileExt::lock(&file).map_err(lock_err)?;
        }
        Ok(Lease {
            _file: file,
            _thread: thread,
        })
    }
}

/// The machine-wide lock file (Milvus itself is machine-wide).
fn lock_path() -> PathBuf {
    std::env::temp_dir().join("milvus-conn-real-milvus.lock")
}

/// A running Milvus 2.3.5 standalone, stopped (by PID) when dropped.
///
/// See the [module docs](self) for the setup, the serialization and the CI policy.
pub struct RealMilvus {
    mode: Mode,
    vars: BTreeMap<String, String>,
    host: String,
    port: u16,
    pid: u32,
    running: bool,
    lease: Option<Lease>,
}

impl RealMilvus {
    /// Starts a fresh Milvus in `mode` (stopping any server a previous start left running)
    /// and waits until it is healthy. Blocks while another [`RealMilvus`] is alive in this
    /// process or another one.
    ///
    /// # Errors
    ///
    /// [`HarnessError::NotSetUp`] when `setup.sh` has not been run;
    /// [`HarnessError::Script`] with Milvus's log tail when it does not come up;
    /// [`HarnessError::Spawn`], [`HarnessError::Lock`], [`HarnessError::Description`].
    pub fn start(mode: Mode) -> Result<RealMilvus, HarnessError> {
        RealMilvus::start_env(mode, &[])
    }

    /// [`RealMilvus::start`] with `start.sh`'s environment knobs (`MILVUS_IT_INSERT_RATE_MB`).
    fn start_env(mode: Mode, env: &[(&str, String)]) -> Result<RealMilvus, HarnessError> {
        if let Availability::NotSetUp(reason) = availability()? {
            return Err(HarnessError::NotSetUp { reason });
        }
        let lease = Lease::acquire()?;
        RealMilvus::start_with(lease, mode, env)
    }

    /// Applies the CI policy: returns the started server; returns `None` after printing the
    /// reason when the harness is not set up and `CI` is not `true`.
    ///
    /// # Panics
    ///
    /// With a clear message when `CI` is `true` and the harness is not set up, and whenever
    /// the harness is set up but the server does not start: a test that needs Milvus fails.
    pub fn start_or_skip(mode: Mode) -> Option<RealMilvus> {
        RealMilvus::start_or_skip_env(mode, &[])
    }

    /// [`RealMilvus::start_or_skip`] with Milvus's insert rate capped at `mb_per_s` MB/s
    /// (`quotaAndLimits.dml.enabled: true`, `quotaAndLimits.dml.insertRate.max`; `start.sh`'s
    /// `MILVUS_IT_INSERT_RATE_MB`): over it, `Insert` answers "rate limit exceeded" (code 8,
    /// legacy error code 49) in its reply.
    ///
    /// # Panics
    ///
    /// As [`RealMilvus::start_or_skip`].
    pub fn start_or_skip_insert_rate_limited(mode: Mode, mb_per_s: f64) -> Option<RealMilvus> {
        RealMilvus::start_or_skip_env(mode, &[("MILVUS_IT_INSERT_RATE_MB", mb_per_s.to_string())])
    }

    fn start_or_skip_env(mode: Mode, env: &[(&str, String)]) -> Option<RealMilvus> {
        let availability = availability().unwrap_or_else(|e| panic!("real Milvus: {e}"));
        match decide(&availability, is_ci(&ProcessEnv)) {
            Decision::Start => {}
            Decision::Skip(reason) => {
                note(&format!("SKIPPED: {reason}"));
                return None;
            }
            Decision::Fail(reason) => panic!("{reason}"),
        }
        match RealMilvus::start_env(mode, env) {
            Ok(m) => Some(m),
            Err(e) => panic!("real Milvus ({mode}) did not start: {e}"),
        }
    }

    /// Stops this server and starts a fresh one in `mode`, without letting another test in
    /// between.
    ///
    /// # Errors
    ///
    /// As [`RealMilvus::start`].
    pub fn restart(mut self, mode: Mode) -> Result<RealMilvus, HarnessError> {
        let lease = self.lease.take();
        // start.sh stops the previous server itself; Drop need not.
        self.running = false;
        drop(self);
        let lease = match lease {
            Some(lease) => lease,
            None => Lease::acquire()?,
        };
        RealMilvus::start_with(lease, mode, &[])
    }

    /// Stops the server now, reporting a failure (dropping stops it too, ignoring failures).
    ///
    /// # Errors
    ///
    /// [`HarnessError::Spawn`] or [`HarnessError::Script`] when `stop.sh` fails.
    pub fn stop(mut self) -> Result<(), HarnessError> {
        self.running = false;
        stop_server()
    }

    fn start_with(
        lease: Lease,
        mode: Mode,
        env: &[(&str, String)],
    ) -> Result<RealMilvus, HarnessError> {
        let script = scripts_dir().join("start.sh");
        let out = run_env(&script, &[mode.as_str()], env)?;
        if !out.status.success() {
            return Err(script_error(&script, &[mode.as_str()], &out));
        }
        // From here on the server runs: a bad description still stops it (Drop).
        let vars = parse_env(&String::from_utf8_lossy(&out.stdout));
        let pid = vars
            .get("MILVUS_IT_PID")
            .and_then(|p| p.parse::<u32>().ok());
        let mut milvus = RealMilvus {
            mode,
            host: String::new(),
            port: 0,
            pid: pid.unwrap_or(0),
            running: true,
            lease: Some(lease),
            vars,
        };
        milvus.check_description()?;
        Ok(milvus)
    }

    fn check_description(&mut self) -> Result<(), HarnessError> {
        let bad = |problem: String| HarnessError::Description { problem };
        let reported: Mode = self.require("MILVUS_IT_MODE")?.parse()?;
        if reported != self.mode {
            return Err(bad(format!(
                "asked for mode {}, server.env says {reported}",
                self.mode
            )));
        }
        if self.pid == 0 {
            return Err(bad("MILVUS_IT_PID is missing or not a number".into()));
        }
        self.host = self.require("MILVUS_IT_HOST")?.to_owned();
        let port = self.require("MILVUS_IT_PORT")?;
        self.port = port
            .parse()
            .map_err(|_| bad(format!("MILVUS_IT_PORT {port:?} is not a port")))?;
        for key in [
            "MILVUS_IT_ADDR",
            "MILVUS_IT_URI",
            "MILVUS_IT_USER",
            "MILVUS_IT_PASSWORD",
            "MILVUS_IT_SERVER_VERSION",
            "MILVUS_IT_LOG_DIR",
            "MILVUS_IT_READY_MS",
        ] {
            self.require(key)?;
        }
        let mut files = Vec::new();
        if self.mode != Mode::Plain {
            files.extend(["MILVUS_IT_CA", "MILVUS_IT_OTHER_CA"]);
            self.require("MILVUS_IT_SERVER_NAME")?;
        }
        if self.mode == Mode::Tls2 {
            files.extend(["MILVUS_IT_CLIENT_CERT", "MILVUS_IT_CLIENT_KEY"]);
        }
        for key in files {
            let path = self.require(key)?;
            if !Path::new(path).is_file() {
                return Err(bad(format!("{key} {path} is not a file")));
            }
        }
        Ok(())
    }

    fn require(&self, key: &str) -> Result<&str, HarnessError> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| HarnessError::Description {
                problem: format!("no {key}"),
            })
    }

    fn var(&self, key: &str) -> &str {
        self.vars.get(key).map_or("", String::as_str)
    }

    fn path(&self, key: &str) -> Option<&Path> {
        self.vars.get(key).map(Path::new)
    }

    /// The mode it runs in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The host to dial: `127.0.0.1`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The gRPC port (default 19530; `MILVUS_IT_PORT` when set for `start.sh`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, e.g. `127.0.0.1:19530`.
    pub fn addr(&self) -> &str {
        self.var("MILVUS_IT_ADDR")
    }

    /// The URI a pymilvus user would pass: `http://127.0.0.1:19530` in [`Mode::Plain`],
    /// `https://...` in the TLS modes.
    pub fn uri(&self) -> &str {
        self.var("MILVUS_IT_URI")
    }

    /// The user with full rights: `root`.
    pub fn user(&self) -> &str {
        self.var("MILVUS_IT_USER")
    }

    /// The password of [`RealMilvus::user`]: `Milvus`.
    pub fn password(&self) -> &str {
        self.var("MILVUS_IT_PASSWORD")
    }

    /// Arguments for [`RealMilvus::uri`] with [`RealMilvus::user`] and
    /// [`RealMilvus::password`] (no TLS files).
    pub fn root_args(&self) -> conn_config::ConnectArgs {
        conn_config::ConnectArgs::new()
            .uri(self.uri())
            .user(self.user())
            .password(self.password())
    }

    /// The name the server certificate is issued to (`localhost`; the certificate also
    /// holds `IP:127.0.0.1`); `None` in [`Mode::Plain`].
    pub fn server_name(&self) -> Option<&str> {
        self.vars.get("MILVUS_IT_SERVER_NAME").map(String::as_str)
    }

    /// The PEM file of the CA that signed the server and client certificates; `None` in
    /// [`Mode::Plain`].
    pub fn ca(&self) -> Option<&Path> {
        self.path("MILVUS_IT_CA")
    }

    /// The PEM file of a second CA that signed nothing the server trusts or presents, for
    /// "wrong CA" tests; `None` in [`Mode::Plain`].
    pub fn other_ca(&self) -> Option<&Path> {
        self.path("MILVUS_IT_OTHER_CA")
    }

    /// The client certificate (PEM) the server accepts; `Some` only in [`Mode::Tls2`].
    pub fn client_cert(&self) -> Option<&Path> {
        self.path("MILVUS_IT_CLIENT_CERT")
    }

    /// The client certificate's private key (PEM, PKCS#8); `Some` only in [`Mode::Tls2`].
    pub fn client_key(&self) -> Option<&Path> {
        self.path("MILVUS_IT_CLIENT_KEY")
    }

    /// The server process's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// What gRPC `GetVersion` returned to the readiness probe: `v2.3.5-lite`.
    pub fn server_version(&self) -> &str {
        self.var("MILVUS_IT_SERVER_VERSION")
    }

    /// The directory of Milvus's logs (`stdout.log` holds most of what the Go side logs).
    pub fn log_dir(&self) -> &Path {
        Path::new(self.var("MILVUS_IT_LOG_DIR"))
    }

    /// How long the server took from launch until gRPC `CheckHealth` was healthy.
    pub fn ready_after(&self) -> Duration {
        Duration::from_millis(self.var("MILVUS_IT_READY_MS").parse().unwrap_or(0))
    }

    /// Every `KEY=VALUE` line `start.sh` printed (also in `$MILVUS_IT_RUN_DIR/server.env`).
    pub fn description(&self) -> &BTreeMap<String, String> {
        &self.vars
    }
}

impl fmt::Debug for RealMilvus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealMilvus")
            .field("mode", &self.mode)
            .field("addr", &self.addr())
            .field("user", &self.user())
            .field("password", &"<redacted>")
            .field("pid", &self.pid)
            .field("server_version", &self.server_version())
            .field("running", &self.running)
            .finish_non_exhaustive()
    }
}

impl Drop for RealMilvus {
    fn drop(&mut self) {
        if self.running {
            self.running = false;
            if let Err(e) = stop_server() {
                note(&format!("stopping real Milvus: {e}"));
            }
        }
    }
}

fn stop_server() -> Result<(), HarnessError> {
    let script = scripts_dir().join("stop.sh");
    let out = run(&script, &[])?;
    if out.status.success() {
        Ok(())
    } else {
        Err(script_error(&script, &[], &out))
    }
}

fn run(script: &Path, args: &[&str]) -> Result<Output, HarnessError> {
    run_env(script, args, &[])
}

fn run_env(script: &Path, args: &[&str], env: &[(&str, String)]) -> Result<Output, HarnessError> {
    Command::new("bash")
        .arg(script)
        .args(args.iter().map(OsStr::new))
        .envs(env.iter().map(|(k, v)| (k, v)))
        // The caller holds the machine-wide lock (`MachineLock`); the scripts take it otherwise.
        .env("MILVUS_IT_LOCK_HELD", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| HarnessError::Spawn {
            script: script.to_path_buf(),
            source,
        })
}

fn script_error(script: &Path, args: &[&str], out: &Output) -> HarnessError {
    const KEEP: usize = 60;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let lines: Vec<&str> = text.lines().collect();
    let output = lines[lines.len().saturating_sub(KEEP)..].join("\n");
    HarnessError::Script {
        script: script.to_path_buf(),
        args: args.join(" "),
        status: out.status.to_string(),
        output,
    }
}

/// Parses `KEY=VALUE` lines; other lines are ignored.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(k, _)| k.starts_with("MILVUS_IT_"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Prints a line to the real stderr, bypassing libtest's output capture so a skip reason
/// or a wait is visible in `cargo test` output.
fn note(msg: &str) {
    let _ = writeln!(std::io::stderr(), "real-milvus harness: {msg}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use conn_config::MapEnv;

    #[test]
    fn ci_is_read_from_the_environment() {
        for (value, ci) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("false", false),
            ("", false),
            ("0", false),
        ] {
            assert_eq!(
                is_ci(&MapEnv::from_pairs([("CI", value)])),
                ci,
                "CI={value:?}"
            );
        }
        assert!(!is_ci(&MapEnv::new()), "CI unset");
    }

    #[test]
    fn missing_harness_fails_in_ci_and_skips_outside() {
        let missing = Availability::NotSetUp("no venv at /x".into());
        match decide(&missing, true) {
            Decision::Fail(reason) => {
                assert!(reason.contains("CI is true"), "{reason}");
                assert!(reason.contains("no venv at /x"), "{reason}");
                assert!(reason.contains("tests/milvus/setup.sh"), "{reason}");
            }
            other => panic!("CI without harness must fail, got {other:?}"),
        }
        match decide(&missing, false) {
            Decision::Skip(reason) => assert!(reason.contains("no venv at /x"), "{reason}"),
            other => panic!("outside CI a missing harness skips, got {other:?}"),
        }
        assert_eq!(decide(&Availability::Ready, true), Decision::Start);
        assert_eq!(decide(&Availability::Ready, false), Decision::Start);
    }

    #[test]
    fn description_lines_are_parsed() {
        let vars = parse_env(
            "MILVUS_IT_MODE=tls1\nnoise line\nMILVUS_IT_URI=https://127.0.0.1:19530\n\
             MILVUS_IT_EMPTY=\nOTHER=x\nMILVUS_IT_EQ=a=b\n",
        );
        assert_eq!(vars.get("MILVUS_IT_MODE").map(String::as_str), Some("tls1"));
        assert_eq!(
            vars.get("MILVUS_IT_URI").map(String::as_str),
            Some("https://127.0.0.1:19530")
        );
        assert_eq!(vars.get("MILVUS_IT_EMPTY").map(String::as_str), Some(""));
        assert_eq!(vars.get("MILVUS_IT_EQ").map(String::as_str), Some("a=b"));
        assert!(!vars.contains_key("OTHER"));
        assert_eq!(vars.len(), 4);
    }

    #[test]
    fn modes_round_trip_through_their_names() {
        for mode in Mode::ALL {
            assert_eq!(mode.as_str().parse::<Mode>().ok(), Some(mode));
            assert_eq!(mode.to_string(), mode.as_str());
        }
        let err = "tls3".parse::<Mode>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("start.sh described the server badly: unknown MILVUS_IT_MODE \"tls3\"")
        );
    }
}
