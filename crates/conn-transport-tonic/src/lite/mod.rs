//! Milvus Lite: a `.db` target starts (or reuses) a local Milvus Lite server and the
//! connection goes to it over loopback (docs/transport.md, "Milvus Lite").
//!
//! What `connect.rs` needs from here, feature or not: [`LiteOptions`] (on the
//! [`Connector`](crate::Connector)), [`start_for`] (before `prepare`), [`Held`] (the server a
//! connection keeps alive) and [`not_started`] (the error of a `.db` target that was not
//! started: `connect_lazy`, or a build without the `lite` feature).

use std::path::PathBuf;
#[cfg(all(feature = "lite", unix))]
use std::sync::Arc;

use conn_config::{ConnectionSpec, Target};
use tokio::time::Instant;

use crate::error::Error;

#[cfg(all(feature = "lite", unix))]
mod process;

#[cfg(all(feature = "lite", unix))]
pub use process::LiteServer;

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
        let server = process::shared(path, spec, options, deadline).await?;
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
            return Error::Lite {
                data_dir: data_dir_or_given(path),
                problem: crate::LiteProblem::Lazy,
                detail: String::new(),
                output: String::new(),
            };
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
