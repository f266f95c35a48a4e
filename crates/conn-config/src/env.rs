//! The seam through which the resolver sees the process environment and the current
//! directory. [`ProcessEnv`] is the one production implementation and the only code in the
//! workspace that reads the process environment; tests use [`MapEnv`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The ambient inputs of resolution: environment variables and the current directory (where
/// the `.env` search starts).
///
/// Nothing is read until [`Resolver::resolve`](crate::Resolver::resolve) runs, and nothing is
/// ever written.
pub trait Environment: Send + Sync {
    /// The value of a variable, `None` when it is not set. Set to the empty string is
    /// `Some("")`, which hides the same key in a `.env` file.
    fn var(&self, name: &str) -> Option<OsString>;

    /// The directory the `.env` search starts from; `None` when it cannot be known.
    fn current_dir(&self) -> Option<PathBuf>;
}

impl<E: Environment + ?Sized> Environment for &E {
    fn var(&self, name: &str) -> Option<OsString> {
        (**self).var(name)
    }
    fn current_dir(&self) -> Option<PathBuf> {
        (**self).current_dir()
    }
}

impl<E: Environment + ?Sized> Environment for std::sync::Arc<E> {
    fn var(&self, name: &str) -> Option<OsString> {
        (**self).var(name)
    }
    fn current_dir(&self) -> Option<PathBuf> {
        (**self).current_dir()
    }
}

/// The real process environment and working directory, read when asked.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    #[allow(clippy::disallowed_methods)] // the one place that reads the process environment
    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }

    fn current_dir(&self) -> Option<PathBuf> {
        std::env::current_dir().ok()
    }
}

/// A fixed environment: a map of variables and an optional current directory. For tests,
/// and for callers that want resolution to ignore the process environment.
///
/// ```
/// use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
/// # fn main() -> Result<(), conn_config::Errors> {
/// let env = MapEnv::from_pairs([("MILVUS_URI", "https://milvus.example.com")]);
/// let spec = Resolver::with_env(env).dotenv(DotEnv::Disabled).resolve(&ConnectArgs::new())?;
/// assert_eq!(spec.target().address(), "milvus.example.com:443");
///
/// let env = MapEnv::new().set("MILVUS_TOKEN", "s3cr3t");
/// assert_eq!(format!("{env:?}"), r#"MapEnv { vars: ["MILVUS_TOKEN"], cwd: None }"#);
/// # Ok(()) }
/// ```
///
/// `Debug` lists the variable names only: values may be secrets (`MILVUS_TOKEN`).
#[derive(Clone, Default)]
pub struct MapEnv {
    vars: BTreeMap<String, OsString>,
    cwd: Option<PathBuf>,
}

impl MapEnv {
    /// An empty environment with no current directory.
    pub fn new() -> MapEnv {
        MapEnv::default()
    }

    /// An environment holding these variables.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> MapEnv
    where
        K: Into<String>,
        V: Into<OsString>,
    {
        let mut env = MapEnv::new();
        for (k, v) in pairs {
            env.vars.insert(k.into(), v.into());
        }
        env
    }

    /// Sets a variable.
    #[must_use]
    pub fn set(mut self, name: impl Into<String>, value: impl Into<OsString>) -> MapEnv {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets the directory the `.env` search starts from.
    #[must_use]
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> MapEnv {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }
}

impl std::fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapEnv")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .field("cwd", &self.cwd)
            .finish()
    }
}

impl Environment for MapEnv {
    fn var(&self, name: &str) -> Option<OsString> {
        self.vars.get(name).cloned()
    }

    fn current_dir(&self) -> Option<PathBuf> {
        self.cwd.clone()
    }
}
