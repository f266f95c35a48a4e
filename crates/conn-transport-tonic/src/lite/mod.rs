//! Milvus Lite: a `.db` target starts (or reuses) a local Milvus Lite server and the
//! connection goes to it over loopback (docs/transport.md, "Milvus Lite").
//!
//! What `connect.rs` needs from here, feature or not: [`LiteOptions`] (on the
//! [`Connector`](crate::Connector)), [`start_for`] (before `prepare`), [`Held`] (the server a
//! connection keeps alive) and [`not_started`] (the error of a `.db` target that was not
//! started: `connect_lazy`, or a build without the `lite` feature).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | what `connect` needs (above), the data directory of a `.db` path, the `Error::Lite` constructors |
//! | `start.rs` | one server per data directory, shared; start-up until `CheckHealth` answers, and why it failed |
//! | `launcher.rs` | which executable runs Milvus Lite (`Connector::lite_executable`, `MILVUS_LITE_BIN`, `PATH`, `python3`) |
//! | `process.rs` | the server process: spawned behind a watcher (no orphans), its output's tail, stopped on a thread of its own; `LiteServer`, `wait_for_lite_stops` |

use std::path::PathBuf;
#[cfg(all(feature = "lite", unix))]
use std::sync::Arc;

use conn_config::{ConnectionSpec, Target};
use tokio::time::Instant;

use crate::error::Error;

#[cfg(all(feature = "lite", unix))]
mod launcher;
#[cfg(all(feature = "lite", unix))]
mod process;
#[cfg(all(feature = "lite", unix))]
mod start;

#[cfg(all(feature = "lite", unix))]
pub use process::{LiteServer, wait_for_lite_stops};

/// The `tracing` target of the Milvus Lite events, the same for the files of this module
/// (it was the target of `lite/process.rs` when they were one file).
#[cfg(all(feature = "lite", unix))]
const LOG_TARGET: &str = "conn_transport_tonic::lite::process";

/// The Milvus Lite settings of a [`Connector`](crate::Connector).
#[derive(Clone, Debug, Default)]
pub(crate) struct LiteOptions {
    /// The executable, instead of `MILVUS_LITE_BIN` / `PATH` / `python3 -m milvus_lite`.
    #[cfg_attr(not(all(feature = "lite", unix)), allow(dead_code))]
    pub(crate) executable: Option<PathBuf>,
}

/// The Milvus Lite server a connection keeps running (none for other targets).
#[derive(Clone, Default)]
pub(crate) struct Held {
    #[cfg(all(feature = "lite", unix))]
    pub(crate) server: Option<Arc<LiteServer>>,
}

impl Held {
    /// The loopback port of the server, if there is one.
    pub(crate) fn port(&self) -> Option<u16> {
        #[cfg(all(feature = "lite", unix))]
        {
            self.server.as_ref().map(|s| s.port())
        }
        #[cfg(not(all(feature = "lite", unix)))]
        {
            None
        }
    }
}

/// For a `.db` target: the shared Milvus Lite server of its data directory, started if
/// none runs, healthy by `deadline`. For any other target: nothing.
///
/// # Errors
///
/// [`Error::Lite`].
pub(crate) async fn start_for(
    spec: &ConnectionSpec,
    options: &LiteOptions,
    deadline: Instant,
) -> Result<Held, Error> {
    let Target::Lite(path) = spec.target() else {
        return Ok(Held::default());
    };
    #[cfg(all(feature = "lite", unix))]
    {
        let server = start::shared(path, spec, options, deadline).await?;
        Ok(Held {
            server: Some(server),
        })
    }
    #[cfg(not(all(feature = "lite", unix)))]
    {
        let _ = (path, options, deadline);
        Ok(Held::default())
    }
}

/// The error for a `.db` target that was not started: [`Error::Lite`] with
/// [`LiteProblem::Lazy`](crate::LiteProblem::Lazy) from `connect_lazy` in a build with
/// Milvus Lite, [`Error::UnsupportedTarget`] without it.
pub(crate) fn not_started(spec: &ConnectionSpec) -> Error {
    #[cfg(all(feature = "lite", unix))]
    {
        if let Target::Lite(path) = spec.target() {
            return lite_error(&data_dir_or_given(path), crate::LiteProblem::Lazy, "");
        }
    }
    Error::UnsupportedTarget {
        target: spec.target().address(),
    }
}

/// The data directory of a `.db` path: absolute (relative to the current directory) and
/// lexically normalized (`.` and `..` removed, as Python's `os.path.abspath`, which
/// pymilvus uses). Symbolic links are not resolved.
///
/// # Errors
///
/// The current directory cannot be read (for a relative path).
pub fn data_dir_for(path: &std::path::Path) -> std::io::Result<PathBuf> {
    use std::path::Component;
    let absolute = std::path::absolute(path)?;
    let mut out = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// [`data_dir_for`], or the path as given when the current directory cannot be read (for
/// error messages).
#[cfg_attr(not(all(feature = "lite", unix)), allow(dead_code))]
pub(crate) fn data_dir_or_given(path: &std::path::Path) -> PathBuf {
    data_dir_for(path).unwrap_or_else(|_| path.to_path_buf())
}

/// An [`Error::Lite`] for `data_dir`, with no output from a server.
#[cfg(all(feature = "lite", unix))]
fn lite_error(
    data_dir: &std::path::Path,
    problem: crate::LiteProblem,
    detail: impl Into<String>,
) -> Error {
    lite_error_with_output(data_dir, problem, detail.into(), String::new())
}

/// An [`Error::Lite`] for `data_dir` with the tail of the server's `output`.
#[cfg(all(feature = "lite", unix))]
fn lite_error_with_output(
    data_dir: &std::path::Path,
    problem: crate::LiteProblem,
    detail: String,
    output: String,
) -> Error {
    Error::Lite {
        data_dir: data_dir.to_path_buf(),
        problem,
        detail,
        output,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::path::Path;

    use super::data_dir_for;

    #[test]
    fn data_dirs_are_absolute_and_normalized() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(data_dir_for(Path::new("x.db")).unwrap(), cwd.join("x.db"));
        assert_eq!(data_dir_for(Path::new("./x.db")).unwrap(), cwd.join("x.db"));
        assert_eq!(
            data_dir_for(Path::new("/a/b/../c/./x.db")).unwrap(),
            Path::new("/a/c/x.db")
        );
        assert_eq!(
            data_dir_for(Path::new("/../x.db")).unwrap(),
            Path::new("/x.db")
        );
    }
}
