//! The resolver, a pipeline read top to bottom:
//!
//! 1. [`sources`]: each source (explicit arguments, stored arguments, the environment,
//!    `.env`, the defaults) is read once into a typed [`Layer`](sources::Layer) tagged
//!    with its [`SourceKind`];
//! 2. [`view`]: the layers merge into one [`View`](view::View): for each key, the value
//!    of the highest [`SourceKind`], with its [`Origin`](crate::Origin);
//! 3. [`rules`]: the rules of docs/resolution.md, one function per field in the order of
//!    its table, turn the view into a [`ConnectionSpec`] with its origins;
//! 4. [`overridden`]: what some source gave and the spec does not use.

mod overridden;
mod rules;
mod sources;
#[cfg(test)]
mod tests;
mod view;

use std::path::PathBuf;

use crate::args::ConnectArgs;
use crate::dotenv::{self, DotEnvFile};
use crate::env::{Environment, MapEnv, ProcessEnv};
use crate::error::{Error, Errors};
use crate::origin::SourceKind;
use crate::spec::{Alias, ConnectionSpec};
use crate::text::trim;
use crate::vars;
use sources::{Layer, is_too_long, read_vars};
use view::View;

/// Where the `.env` file comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DotEnv {
    /// A file named `.env` in the current directory or its nearest ancestor that has one
    /// (dotenvy's search). No file is fine; a `.env` that is not a regular file (a FIFO, a
    /// device, a directory) is passed over, as dotenvy does.
    #[default]
    Search,
    /// This file; an error if it cannot be read, is not a regular file
    /// ([`Error::DotEnvNotAFile`]) or is larger than 1 MiB ([`Error::DotEnvTooLarge`]).
    Path(PathBuf),
    /// No `.env` file.
    Disabled,
}

/// Resolves [`ConnectArgs`] into a [`ConnectionSpec`]: explicit arguments > the alias's
/// stored arguments > environment > `.env` > defaults.
///
/// Creating a resolver reads nothing; each [`resolve`](Resolver::resolve) reads the
/// environment and the `.env` file once.
///
/// ```
/// use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
/// # fn main() -> Result<(), conn_config::Errors> {
/// let env = MapEnv::from_pairs([("MILVUS_URI", "http://env-host:19530"), ("MILVUS_DB_NAME", "analytics")]);
/// let resolver = Resolver::with_env(env).dotenv(DotEnv::Disabled);
///
/// // The environment supplies what the arguments leave out.
/// let spec = resolver.resolve(&ConnectArgs::new().token("t0k3n"))?;
/// assert_eq!(spec.target().address(), "env-host:19530");
/// assert_eq!(spec.db_name().as_str(), "analytics");
/// assert_eq!(spec.origin(conn_config::Field::Target).to_string(), "MILVUS_URI (environment)");
///
/// // An explicit target beats MILVUS_URI as a whole.
/// let spec = resolver.resolve(&ConnectArgs::new().host("other"))?;
/// assert_eq!(spec.target().address(), "other:19530");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Resolver<E = ProcessEnv> {
    env: E,
    dotenv: DotEnv,
}

impl Resolver<ProcessEnv> {
    /// The process environment, and a `.env` file searched from the current directory.
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
    /// No environment variables and no `.env` file: only arguments and defaults.
    pub fn isolated() -> Self {
        Resolver {
            env: MapEnv::new(),
            dotenv: DotEnv::Disabled,
        }
    }
}

impl<E: Environment> Resolver<E> {
    /// Reads variables and the current directory from `env` (a `.env` search by default).
    pub fn with_env(env: E) -> Self {
        Resolver {
            env,
            dotenv: DotEnv::Search,
        }
    }

    /// Sets where the `.env` file comes from.
    #[must_use]
    pub fn dotenv(mut self, dotenv: DotEnv) -> Self {
        self.dotenv = dotenv;
        self
    }

    /// The environment this resolver reads.
    pub fn env(&self) -> &E {
        &self.env
    }

    /// Resolves explicit arguments.
    ///
    /// # Errors
    ///
    /// [`Errors`] listing every problem: each bad value with its field and origin
    /// ([`Error::PortOutOfRange`], [`Error::UnsupportedScheme`], [`Error::InvalidHost`],
    /// [`Error::InvalidServerName`], [`Error::TimeoutTooLarge`], …), a value over
    /// 64 KiB ([`Error::ValueTooLong`]), a variable that is not Unicode
    /// ([`Error::NotUnicode`]), conflicts ([`Error::HttpsWithSecureFalse`],
    /// [`Error::UserWithoutPassword`], …),
    /// [`Error::NoTarget`] for a non-default alias nobody configured, and `.env` problems
    /// ([`Error::DotEnvRead`], [`Error::DotEnvParse`], [`Error::DotEnvNotAFile`],
    /// [`Error::DotEnvTooLarge`], [`Error::DotEnvValueTooLarge`],
    /// [`Error::DotEnvInterpolationBudget`]). At most [`Errors::MAX_STORED`] problems are
    /// kept; the rest are counted ([`Errors::omitted`]).
    pub fn resolve(&self, args: &ConnectArgs) -> Result<ConnectionSpec, Errors> {
        self.resolve_with_stored(args, None)
    }

    /// Resolves explicit arguments over the arguments stored for the alias (the registry's
    /// `add_connection`): explicit > stored > environment > `.env` > defaults.
    ///
    /// # Errors
    ///
    /// As [`Resolver::resolve`].
    pub fn resolve_with_stored(
        &self,
        args: &ConnectArgs,
        stored: Option<&ConnectArgs>,
    ) -> Result<ConnectionSpec, Errors> {
        self.with_view(args, stored, rules::build)
    }

    /// The default alias: `MILVUS_CONN_ALIAS` (environment, else `.env`), else `default`.
    /// Read now, as each resolution does; nothing else is read or checked.
    ///
    /// ```
    /// use conn_config::{DotEnv, MapEnv, Resolver};
    /// let r = Resolver::with_env(MapEnv::from_pairs([("MILVUS_CONN_ALIAS", "prod")])).dotenv(DotEnv::Disabled);
    /// assert_eq!(r.default_alias().unwrap().as_str(), "prod");
    /// assert_eq!(Resolver::isolated().default_alias().unwrap().as_str(), "default");
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::ControlCharacter`] or [`Error::NotUnicode`] for a bad `MILVUS_CONN_ALIAS`;
    /// [`Error::DotEnvRead`], [`Error::DotEnvParse`] and the other `.env` variants for a
    /// `.env` file that cannot be read or parsed.
    pub fn default_alias(&self) -> Result<Alias, Errors> {
        self.with_view(&ConnectArgs::new(), None, rules::default_alias)
    }

    /// Reads the sources once, merges them, and runs `f` over the result; every problem `f`
    /// or the reading found is returned.
    fn with_view<R>(
        &self,
        args: &ConnectArgs,
        stored: Option<&ConnectArgs>,
        f: impl FnOnce(&View<'_>, &mut Vec<Error>) -> Option<R>,
    ) -> Result<R, Errors> {
        let mut errors = Vec::new();
        // Problems past `Errors::MAX_STORED`, counted, not kept (only `.env` lines can be
        // that many; the other sources have a fixed number of fields).
        let mut omitted = 0;
        let dotenv_file = self.read_dotenv(&mut errors, &mut omitted);
        let stored_alias = stored
            .and_then(|s| s.alias.as_deref())
            .or(args.alias.as_deref())
            .map_or_else(
                || "default".to_owned(),
                // Origins carry the alias and are cloned freely: a too-long one (itself an
                // error when used) is named by its length.
                |a| {
                    if is_too_long(a.len()) {
                        format!("<an alias of {} bytes>", a.len())
                    } else {
                        a.to_owned()
                    }
                },
            );
        let env = read_vars(|name| self.env.var(name));
        let mut layers = vec![Layer::defaults(), Layer::env(&env)];
        layers.extend(dotenv_file.as_ref().map(Layer::dotenv));
        layers.extend(stored.map(|s| Layer::args(SourceKind::Stored, s)));
        layers.push(Layer::args(SourceKind::Explicit, args));
        let view = View::merge(layers, stored_alias, dotenv_file.as_ref());
        match f(&view, &mut errors) {
            Some(out) if errors.is_empty() => Ok(out),
            _ => Err(Errors::new(errors, omitted)),
        }
    }

    fn read_dotenv(&self, errors: &mut Vec<Error>, omitted: &mut usize) -> Option<DotEnvFile> {
        // `${VAR}` in the file is answered by the environment seam.
        let lookup = |name: &str| self.env.var(name).and_then(|v| v.into_string().ok());
        match &self.dotenv {
            DotEnv::Disabled => None,
            DotEnv::Path(p) => dotenv::read(p, &lookup, errors, omitted),
            DotEnv::Search => {
                if self.search_disabled() {
                    return None;
                }
                let start = self.env.current_dir()?;
                let found = dotenv::find(&start)?;
                dotenv::read(&found, &lookup, errors, omitted)
            }
        }
    }

    /// python-dotenv's switch, honoured as pymilvus 3 does: `PYTHON_DOTENV_DISABLED` set to
    /// `1`, `true`, `t`, `yes` or `y` (any case) turns the `.env` search off.
    fn search_disabled(&self) -> bool {
        self.env
            .var(vars::PYTHON_DOTENV_DISABLED)
            .and_then(|v| v.into_string().ok())
            .is_some_and(|v| {
                matches!(
                    trim(&v).to_ascii_lowercase().as_str(),
                    "1" | "true" | "t" | "yes" | "y"
                )
            })
    }
}

impl ConnectArgs {
    /// Resolves these arguments against the process environment, a `.env` file found from
    /// the current directory, and the defaults. Shorthand for
    /// `Resolver::new().resolve(&self)`.
    ///
    /// # Errors
    ///
    /// Every problem found, as [`Errors`](Errors).
    pub fn resolve(&self) -> Result<ConnectionSpec, Errors> {
        Resolver::new().resolve(self)
    }

    /// Resolves these arguments alone: no environment variable, no `.env` file, only the
    /// defaults beneath them. Shorthand for `Resolver::isolated().resolve(&self)`.
    ///
    /// # Errors
    ///
    /// Every problem found, as [`Errors`](Errors).
    pub fn resolve_isolated(&self) -> Result<ConnectionSpec, Errors> {
        Resolver::isolated().resolve(self)
    }
}
