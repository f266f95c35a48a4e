//! Milvus Lite for integration tests: the `milvus-lite` executable that
//! `tests/milvus/setup.sh` installs in its venv (`milvus-lite==3.2.2`, from
//! `tests/milvus/requirements.txt`), with the CI policy of [`crate::milvus`]: under
//! `CI=true` a missing executable fails the test; elsewhere the test is skipped with a
//! printed reason.
//!
//! Milvus Lite needs no machine-wide lock: each server has its own data directory (a temp
//! directory per test) and its own free port.

use std::path::PathBuf;

use conn_config::{Environment, ProcessEnv};

use crate::milvus::is_ci;

/// The venv of `tests/milvus/setup.sh`: `$MILVUS_IT_VENV`, else
/// `$MILVUS_CONN_CACHE/milvus-venv`, else `$HOME/.cache/milvus-conn/milvus-venv` (as
/// `tests/milvus/lib.sh`).
pub fn venv() -> Option<PathBuf> {
    let env = ProcessEnv;
    if let Some(v) = env.var("MILVUS_IT_VENV").filter(|v| !v.is_empty()) {
        return Some(v.into());
    }
    let cache = match env.var("MILVUS_CONN_CACHE").filter(|v| !v.is_empty()) {
        Some(c) => PathBuf::from(c),
        None => PathBuf::from(env.var("HOME")?).join(".cache/milvus-conn"),
    };
    Some(cache.join("milvus-venv"))
}

/// The venv's `milvus-lite` executable, if it is installed.
pub fn installed() -> Result<PathBuf, String> {
    let venv = venv().ok_or("HOME is not set")?;
    let bin = venv.join("bin/milvus-lite");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} does not exist; run tests/milvus/setup.sh (it installs milvus-lite==3.2.2)",
            bin.display()
        ))
    }
}

/// The `milvus-lite` executable, or `None` after printing why the test is skipped.
///
/// # Panics
///
/// Under `CI=true` when it is not installed.
#[allow(clippy::print_stderr)]
pub fn executable_or_skip() -> Option<PathBuf> {
    match installed() {
        Ok(bin) => Some(bin),
        Err(reason) if is_ci(&ProcessEnv) => {
            panic!("CI is true but Milvus Lite is not installed: {reason}")
        }
        Err(reason) => {
            eprintln!("skipped: Milvus Lite not installed: {reason}");
            None
        }
    }
}

/// The PIDs of the running `milvus-lite server` processes whose command line names
/// `data_dir` (read from `/proc`; Linux). The transport's watcher shells are not counted
/// (see [`watcher_pids`]).
pub fn server_pids(data_dir: &std::path::Path) -> Vec<u32> {
    pids_of(data_dir, false)
}

/// The PIDs of the transport's watcher shells (`milvus-lite-watch`) for `data_dir`.
pub fn watcher_pids(data_dir: &std::path::Path) -> Vec<u32> {
    pids_of(data_dir, true)
}

fn pids_of(data_dir: &std::path::Path, watcher: bool) -> Vec<u32> {
    let needle = data_dir.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            // A zombie has an empty command line: not running.
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            args.iter().any(|a| a.ends_with(b"milvus-lite"))
                && args.contains(&b"server".as_slice())
                && args.contains(&needle)
                && args.contains(&b"milvus-lite-watch".as_slice()) == watcher
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// Whether process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: "Z" is a zombie.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// `path` (absolute) relative to the current directory, with as many `..` as needed: how a
/// test spells a temp path relative to its working directory.
///
/// # Panics
///
/// When the current directory cannot be read.
pub fn relative_to_cwd(path: &std::path::Path) -> PathBuf {
    #[allow(clippy::unwrap_used)]
    let cwd = std::env::current_dir().unwrap();
    let mut up = PathBuf::new();
    let mut base = cwd.as_path();
    loop {
        if let Ok(rest) = path.strip_prefix(base) {
            return up.join(rest);
        }
        up.push("..");
        match base.parent() {
            Some(parent) => base = parent,
            None => return path.to_path_buf(),
        }
    }
}
