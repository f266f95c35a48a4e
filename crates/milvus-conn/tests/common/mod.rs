//! Helpers shared by the CLI tests: run the built binary in a temporary directory with a
//! controlled environment.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

/// The output of one run of the binary.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout parsed as JSON; panics with both streams when it is not.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts the exit status, showing both streams otherwise.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code, code, "unexpected exit status: {self:#?}");
        self
    }
}

/// Asserts that `text` contains `needle`, showing both otherwise.
#[track_caller]
pub(crate) fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} is not in:\n{text}");
}

/// A temporary working directory (canonical, so paths compare with what the binary prints).
pub(crate) struct Dir {
    pub(crate) tmp: tempfile::TempDir,
    pub(crate) path: PathBuf,
}

impl Dir {
    pub(crate) fn new() -> Dir {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().canonicalize().expect("canonical temp dir");
        Dir { tmp, path }
    }

    /// Writes `name` (relative to the directory) and returns its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// Makes a FIFO (named pipe) `name` in the directory and returns its path.
    #[cfg(unix)]
    pub(crate) fn fifo(&self, name: &str) -> PathBuf {
        let p = self.path.join(name);
        milvus_conn_tests::fixtures::mkfifo(&p);
        p
    }
}

/// Runs `milvus-conn ARGS` in `dir` with exactly the variables `env`.
pub(crate) fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let env: Vec<(&str, &std::ffi::OsStr)> = env
        .iter()
        .map(|(k, v)| (*k, std::ffi::OsStr::new(*v)))
        .collect();
    run_os(dir, &env, args)
}

/// [`run`] with variables whose values need not be Unicode.
pub(crate) fn run_os(dir: &Path, env: &[(&str, &std::ffi::OsStr)], args: &[&str]) -> Run {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_milvus-conn"))
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run milvus-conn");
    Run {
        code: out.status.code().expect("exit status, not a signal"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}
