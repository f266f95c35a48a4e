//! The resolver.
use std::path::PathBuf;

use crate::{ConnectArgs, ConnectionSpec, Environment, Errors, MapEnv, ProcessEnv};

/// Where the `.env` file comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DotEnv {
    /// A file named `.env` in the current directory or its nearest ancestor that has one.
    #[default]
    Search,
    /// This file; an error if it cannot be read.
    Path(PathBuf),
    /// No `.env` file.
    Disabled,
}

/// Resolves [`ConnectArgs`] into a [`ConnectionSpec`].
#[derive(Clone, Debug)]
pub struct Resolver<E = ProcessEnv> {
    env: E,
    dotenv: DotEnv,
}

impl Resolver<ProcessEnv> {
    /// The process environment and a `.env` search from the current directory.
    pub fn new() -> Self {
        Resolver {
            env: ProcessEnv,
            dotenv: DotEnv::Search,
        }
    }
}

impl Default for Resolver<ProcessEnv> {
    fn default() -> Self {
        Self::new()
    }
}

impl Resolver<MapEnv> {
    /// No environment and no `.env`: only arguments and defaults.
    pub fn isolated() -> Self {
        Resolver {
            env: MapEnv::new(),
            dotenv: DotEnv::Disabled,
        }
    }
}

impl<E: Environment> Resolver<E> {
    /// Uses this environment.
    pub fn with_env(env: E) -> Self {
        Resolver {
            env,
            dotenv: DotEnv::Search,
        }
    }

    /// Sets where `.env` comes from.
    #[must_use]
    pub fn dotenv(mut self, dotenv: DotEnv) -> Self {
        self.dotenv = dotenv;
        self
    }

    /// Resolves explicit arguments.
    ///
    /// # Errors
    /// Every problem found.
    pub fn resolve(&self, args: &ConnectArgs) -> Result<ConnectionSpec, Errors> {
        self.resolve_with_stored(args, None)
    }

    /// Resolves explicit arguments over an alias's stored arguments.
    ///
    /// # Errors
    /// Every problem found.
    pub fn resolve_with_stored(
        &self,
        args: &ConnectArgs,
        stored: Option<&ConnectArgs>,
    ) -> Result<ConnectionSpec, Errors> {
        let _ = (args, stored, &self.env, &self.dotenv);
        todo!("resolver lands in the next commit")
    }
}
