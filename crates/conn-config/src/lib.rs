//! Resolve what a user typed — arguments, `MILVUS_URI`, a `.env` file, defaults — into one
//! validated, typed [`ConnectionSpec`] for a Milvus connection, with the origin of every
//! value.
//!
//! The rules are pymilvus's `connections.connect()` on every well-formed input, with its bugs
//! fixed on purpose (`docs/deviations.md`).
//!
//! # Precedence
//!
//! | field | first that is given wins |
//! |---|---|
//! | target | `address` > `uri` > `host`/`port` (missing half: `localhost` / `19530`) > stored alias config > `MILVUS_URI` > `MILVUS_DEFAULT_CONNECTION` > `http://localhost:19530` (default alias only) |
//! | credentials | `token` > `user`+`password` > userinfo of the URI that supplied the target > `MILVUS_TOKEN` > none |
//! | database | `db_name` > first path segment of the URI that supplied the target > `MILVUS_DB_NAME` > `default` |
//! | timeout | `timeout` > `MILVUS_CONN_TIMEOUT` > 10 s |
//! | alias | `alias` > `MILVUS_CONN_ALIAS` > `default` |
//! | TLS | on with `https`, `secure=true` or any TLS path/`server_name`; `secure=false` with either is an error |
//!
//! Sources, highest first: explicit arguments > the alias's stored arguments (registry) >
//! the process environment > `.env` (fills in variables absent from the environment) >
//! built-in defaults. Within one source, a dedicated argument beats the part of a URI that
//! carries the same thing. An empty value counts as not given; a value that a higher source
//! overrides is not validated.
//!
//! # Example
//!
//! ```
//! use conn_config::{ConnectArgs, DotEnv, Field, MapEnv, Resolver, TlsMode};
//! # fn main() -> Result<(), conn_config::Errors> {
//! // Tests and embedders pass their own environment; `Resolver::new()` reads the process's.
//! let env = MapEnv::from_pairs([("MILVUS_URI", "https://db.example.com/analytics"), ("MILVUS_CONN_TIMEOUT", "3")]);
//! let resolver = Resolver::with_env(env).dotenv(DotEnv::Disabled);
//!
//! let spec = resolver.resolve(&ConnectArgs::new().user("root").password("Milvus"))?;
//! assert_eq!(spec.target().address(), "db.example.com:443");
//! assert_eq!(spec.security().tls().map(|t| t.mode()), Some(TlsMode::PlatformRoots));
//! assert_eq!(spec.db_name().as_str(), "analytics");
//! assert_eq!(spec.timeout(), std::time::Duration::from_secs(3));
//! assert_eq!(spec.origin(Field::Auth).to_string(), "user (argument)");
//! assert_eq!(spec.origin(Field::Timeout).to_string(), "MILVUS_CONN_TIMEOUT (environment)");
//! // Secrets stay out of Debug output.
//! assert!(!format!("{spec:?}").contains("Milvus\""));
//! # Ok(()) }
//! ```
//!
//! Bad input is reported all at once, each problem naming its field and source:
//!
//! ```
//! use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
//! let env = MapEnv::from_pairs([("MILVUS_URI", "http://h:70000")]);
//! let errors = Resolver::with_env(env)
//!     .dotenv(DotEnv::Disabled)
//!     .resolve(&ConnectArgs::new().user("root"))
//!     .unwrap_err();
//! assert_eq!(errors.len(), 2);
//! assert_eq!(
//!     errors.to_string(),
//!     "2 problems: port 70000 in MILVUS_URI (environment) is out of range 1..=65535; \
//!      user in user (argument) has no password; give both a user and a password, or neither"
//! );
//! ```
//!
//! [`ConnectionSpec::explain`] gives every field's value (never a secret) with its origin,
//! the rows `milvus-conn resolve` prints; [`Error::field`] names the argument or variable
//! at fault as a [`Key`].
//!
//! # API stability
//!
//! Enums that can grow are `#[non_exhaustive]` (match them with a `_` arm, and `Error`'s
//! variants with `..`); types with an invariant ([`Host`], [`Port`], [`DbName`], [`Alias`],
//! [`TlsSpec`]) keep their representation private; kinds are enums with `as_str()`
//! ([`TargetKind`], [`AuthKind`], [`SourceKind`], [`Key`]); every `Display` honours width
//! and fill. The only other crate in the API is [`secrecy`], re-exported.
//!
//! # The environment seam
//!
//! Nothing reads the process environment until [`Resolver::resolve`] runs, and then only
//! through [`Environment`]: [`ProcessEnv`] in production, [`MapEnv`] in tests. Nothing writes
//! to it. `.env` is parsed in dotenvy's dialect into a map and never exported; its `${VAR}`
//! interpolation asks the same seam.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// `Display` by `as_str()`, honouring width and fill.
macro_rules! display_by_as_str {
    ($($t:ty),+) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    )+};
}

/// `Debug` as the `Debug` of `as_str()` (a quoted name).
macro_rules! debug_by_as_str {
    ($($t:ty),+) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(self.as_str(), f)
            }
        }
    )+};
}

/// `From` each type for a newtype over the value's text (`to_string()`).
macro_rules! from_display {
    ($t:ident: $($from:ty),+) => {$(
        impl From<$from> for $t {
            fn from(v: $from) -> $t {
                $t(v.to_string())
            }
        }
    )+};
}

mod args;
mod dotenv;
mod env;
mod error;
pub mod file;
mod origin;
mod render;
mod resolve;
mod spec;
mod text;
mod uri;
mod vars;

/// The `.env` parser's entry point, its step bound and its logical-line splitter, for the
/// invariant checks of the unpublished `conn-testkit` crate (property tests and fuzz
/// targets). Not part of the API: no semver promise.
#[doc(hidden)]
pub mod __dotenv_parser {
    pub use crate::dotenv::{
        Entry, LineKind, LogicalLine, LogicalLines, MAX_VALUE, logical_lines, parse_with,
        step_bound,
    };
}

pub use args::{ConnectArgs, PortArg, TimeoutArg};
pub use env::{Environment, MapEnv, ProcessEnv};
pub use error::{Error, Errors, Hint};
pub use file::FileKind;
pub use origin::{Field, Key, Origin, Overridden, SourceKind};
pub use resolve::{DotEnv, Resolver};
pub use spec::{
    Alias, Auth, AuthKind, ClientIdentity, ConnectionSpec, DbName, ExplainRow, Host, Port,
    Security, Target, TargetKind, TlsMode, TlsSpec,
};

/// The `secrecy` crate, whose [`SecretString`](secrecy::SecretString) and
/// [`ExposeSecret`](secrecy::ExposeSecret) appear in this crate's API (passwords, tokens,
/// [`Auth::authorization`]). Use this re-export, so the versions match:
///
/// ```
/// use conn_config::secrecy::{ExposeSecret, SecretString};
/// let args = conn_config::ConnectArgs::new().token(SecretString::from("t"));
/// let spec = args.resolve_isolated()?;
/// assert_eq!(spec.authorization().unwrap().expose_secret(), "dA==");
/// # Ok::<(), conn_config::Errors>(())
/// ```
pub use secrecy;

/// The README's example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
