//! The resolver: sources are figment providers merged in precedence order; the merged
//! figment says which source supplied each key, and the rules of CONTRACT.md sections 2–4
//! turn the winners into a [`ConnectionSpec`].

use std::path::PathBuf;
use std::time::Duration;

use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use secrecy::{ExposeSecret, SecretString};

use crate::args::ConnectArgs;
use crate::dotenv::{self, DotEnvFile};
use crate::env::{Environment, MapEnv, ProcessEnv};
use crate::error::{Error, Errors};
use crate::origin::{Field, Key, Origin, Origins, Overridden, SourceKind};
use crate::spec::{
    Alias, Auth, ClientIdentity, ConnectionSpec, DbName, Host, Port, Security, Target, TlsSpec,
};
use crate::uri::{self, ParsedUri, Scheme};
use crate::vars::{self, VARS};

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
        self.with_view(args, stored, build)
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
        self.with_view(&ConnectArgs::new(), None, |view, errors| {
            let given = arg_or_var(view, "alias", vars::MILVUS_CONN_ALIAS, errors)?;
            Alias::new(&given.value)
        })
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
        let sources = Sources {
            explicit: args,
            stored,
            stored_alias,
            dotenv: dotenv_file.as_ref(),
            env: VARS.map(|name| (name, self.env.var(name))),
        };
        let figment = sources.figment();
        // The merged values, taken once: figment's `find_value` re-merges on every call.
        let merged = Provider::data(&figment)
            .ok()
            .and_then(|mut profiles| profiles.remove(&Profile::Default))
            .unwrap_or_default();
        let view = View {
            figment: &figment,
            merged: &merged,
            sources: &sources,
        };
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
                    uri::trim(&v).to_ascii_lowercase().as_str(),
                    "1" | "true" | "t" | "yes" | "y"
                )
            })
    }
}

// ---------------------------------------------------------------------------------------
// Sources as figment providers.

/// The names of the providers' metadata; a key's winning provider is found by name.
const EXPLICIT: &str = "explicit arguments";
const STORED: &str = "stored alias configuration";
const ENVIRONMENT: &str = "process environment";
const DOTENV: &str = ".env file";
const DEFAULTS: &str = "built-in defaults";

// What the figment holds for a key is the value's text, or one of these markers; each
// marker is a distinct figment value kind, so no text can be mistaken for one:
//
// - `Bool(true)` for a secret key (`password`, `token`, `MILVUS_TOKEN`) with a value: the
//   value is taken from the winning source itself, so a secret never enters figment (nor
//   its errors);
// - `Char('\0')` for a variable whose value is not Unicode;
// - `Num(len)` for a value longer than `ConnectArgs::MAX_VALUE_LEN`, whatever its key
//   (never copied, never parsed).
//
// A marker that wins its key is reported (`Error::NotUnicode`, `Error::ValueTooLong`)
// when the key is used, secret or not: no value is dropped silently.

/// The secret marker (see above).
const SECRET_MARKER: bool = true;

/// The marker of a value that is not Unicode (see above).
const NOT_UNICODE: char = '\0';

/// The marker of a value longer than the limit (see above).
fn too_long(len: usize) -> Value {
    Value::from(u64::try_from(len).unwrap_or(u64::MAX))
}

/// Whether a value is longer than the limit of every value.
fn is_too_long(len: usize) -> bool {
    len > ConnectArgs::MAX_VALUE_LEN
}

/// A text value, or the marker of a value too long to take.
fn text_value(v: &str) -> Value {
    if is_too_long(v.len()) {
        too_long(v.len())
    } else {
        Value::from(v.to_owned())
    }
}

/// One source, as a figment provider.
///
/// Figment asks a provider for its data once, when it is merged; the dict is handed over
/// then instead of cloned (a second call would see an empty source).
struct Layer {
    name: &'static str,
    source: Option<PathBuf>,
    dict: std::cell::Cell<Dict>,
}

impl Layer {
    fn new(name: &'static str, source: Option<PathBuf>, dict: Dict) -> Layer {
        Layer {
            name,
            source,
            dict: std::cell::Cell::new(dict),
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        let meta = Metadata::named(self.name);
        match &self.source {
            Some(path) => meta.source(Source::File(path.clone())),
            None => meta,
        }
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.take()))
    }
}

/// The raw inputs of one resolution.
struct Sources<'a> {
    explicit: &'a ConnectArgs,
    stored: Option<&'a ConnectArgs>,
    stored_alias: String,
    dotenv: Option<&'a DotEnvFile>,
    /// The variables of the process environment, each read once.
    env: [(&'static str, Option<std::ffi::OsString>); 6],
}

fn args_dict(args: &ConnectArgs) -> Dict {
    let mut d = Dict::new();
    let mut text = |key: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !uri::trim(v).is_empty()) {
            d.insert(key.to_owned(), text_value(v));
        }
    };
    text("alias", &args.alias);
    text("uri", &args.uri);
    text("address", &args.address);
    text("host", &args.host);
    text("port", &args.port);
    text("user", &args.user);
    text("db_name", &args.db_name);
    text("server_name", &args.server_name);
    text("timeout", &args.timeout);
    let mut path = |key: &str, v: &Option<PathBuf>| {
        if let Some(p) = v {
            let len = p.as_os_str().len();
            let value = if is_too_long(len) {
                too_long(len)
            } else {
                Value::from(p.to_string_lossy().into_owned())
            };
            d.insert(key.to_owned(), value);
        }
    };
    path("server_pem_path", &args.server_pem_path);
    path("ca_pem_path", &args.ca_pem_path);
    path("client_pem_path", &args.client_pem_path);
    path("client_key_path", &args.client_key_path);
    let mut secret = |key: &str, v: &Option<SecretString>| {
        if let Some(s) = v.as_ref().map(ExposeSecret::expose_secret) {
            if is_too_long(s.len()) {
                d.insert(key.to_owned(), too_long(s.len()));
            } else if !uri::trim(s).is_empty() {
                d.insert(key.to_owned(), Value::from(SECRET_MARKER));
            }
        }
    };
    secret("password", &args.password);
    secret("token", &args.token);
    if let Some(b) = args.secure {
        d.insert("secure".to_owned(), Value::from(b));
    }
    if let Some(b) = args.keep_alive {
        d.insert("keep_alive".to_owned(), Value::from(b));
    }
    d
}

impl Sources<'_> {
    fn env_var(&self, name: &str) -> Option<&std::ffi::OsString> {
        self.env
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    }

    /// defaults < `.env` < environment < stored < explicit: the order of `merge` calls is
    /// the precedence.
    fn figment(&self) -> Figment {
        let mut defaults = Dict::new();
        defaults.insert("alias".into(), Value::from("default"));
        defaults.insert("uri".into(), Value::from("http://localhost:19530"));
        defaults.insert("db_name".into(), Value::from("default"));
        defaults.insert("timeout".into(), Value::from("10"));
        let mut figment = Figment::new().merge(Layer::new(DEFAULTS, None, defaults));
        if let Some(file) = self.dotenv {
            let dict = file
                .vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), dotenv_value(k, &v.value)))
                .collect();
            figment = figment.merge(Layer::new(DOTENV, Some(file.path.clone()), dict));
        }
        let mut env = Dict::new();
        for (name, value) in &self.env {
            if let Some(value) = value {
                // Set, even to "", hides the same key in `.env`. The length is checked
                // before the UTF-8 validation, which reads the whole value.
                let v = if is_too_long(value.len()) {
                    too_long(value.len())
                } else {
                    match value.to_str() {
                        Some(s) => dotenv_value(name, s),
                        None => Value::from(NOT_UNICODE),
                    }
                };
                env.insert((*name).to_owned(), v);
            }
        }
        if !env.is_empty() {
            figment = figment.merge(Layer::new(ENVIRONMENT, None, env));
        }
        if let Some(stored) = self.stored {
            figment = figment.merge(Layer::new(STORED, None, args_dict(stored)));
        }
        figment.merge(Layer::new(EXPLICIT, None, args_dict(self.explicit)))
    }
}

/// The rank of stored arguments: arguments at this rank or above beat the environment.
const STORED_RANK: SourceKind = SourceKind::Stored;

/// A variable's value (from the environment or `.env`) as the figment holds it: the secret
/// marker for a non-empty `MILVUS_TOKEN`, the too-long marker for a value over the limit,
/// else the text ("" included: it hides the key in a lower source).
fn dotenv_value(name: &str, value: &str) -> Value {
    if is_too_long(value.len()) {
        too_long(value.len())
    } else if name == vars::MILVUS_TOKEN && !uri::trim(value).is_empty() {
        Value::from(SECRET_MARKER)
    } else {
        Value::from(value.to_owned())
    }
}

// ---------------------------------------------------------------------------------------
// Reading the merged figment.

/// A value that won its key, trimmed, with where it came from.
#[derive(Debug, Clone)]
struct Given {
    value: String,
    origin: Origin,
}

impl Given {
    fn source_kind(&self) -> SourceKind {
        self.origin.source_kind()
    }
}

struct View<'a> {
    figment: &'a Figment,
    merged: &'a Dict,
    sources: &'a Sources<'a>,
}

impl View<'_> {
    fn origin(&self, key: &'static str) -> Option<Origin> {
        let meta = self.figment.get_metadata(self.merged.get(key)?.tag())?;
        Some(match meta.name.as_ref() {
            EXPLICIT => Origin::Explicit { arg: key },
            STORED => Origin::Stored {
                alias: self.sources.stored_alias.clone(),
                arg: key,
            },
            ENVIRONMENT => Origin::Env { var: key },
            DOTENV => {
                let file = self.sources.dotenv?;
                Origin::DotEnv {
                    var: key,
                    path: file.path.clone(),
                    line: file.vars.get(key).map_or(0, |v| v.line),
                }
            }
            _ => Origin::Default,
        })
    }

    /// The winning value of a key, trimmed; `None` when absent or empty.
    fn get(&self, key: &'static str, errors: &mut Vec<Error>) -> Option<Given> {
        let value = self.merged.get(key)?;
        let origin = self.origin(key)?;
        let raw = match value {
            Value::String(_, s) => s.as_str(),
            Value::Char(..) | Value::Num(..) => {
                errors.push(marker_error(value, origin));
                return None;
            }
            _ => return None,
        };
        match uri::clean(raw, &origin) {
            Ok("") => None,
            Ok(v) => Some(Given {
                value: v.to_owned(),
                origin,
            }),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    fn get_bool(&self, key: &'static str) -> Option<(bool, Origin)> {
        match self.merged.get(key)? {
            Value::Bool(_, b) => Some((*b, self.origin(key)?)),
            _ => None,
        }
    }

    /// Whether a secret key is present (with a value, or with a value that is not Unicode
    /// or too long, which [`View::secret`] reports), and where its winning value is.
    fn secret_origin(&self, key: &'static str) -> Option<Origin> {
        match self.merged.get(key)? {
            Value::Bool(_, true) | Value::Char(..) | Value::Num(..) => self.origin(key),
            _ => None,
        }
    }

    /// The secret itself, read from the source that won the key; a value that is not
    /// Unicode or too long is an error.
    fn secret(&self, key: &'static str, errors: &mut Vec<Error>) -> Option<(SecretString, Origin)> {
        let origin = self.secret_origin(key)?;
        if let Some(marker @ (Value::Char(..) | Value::Num(..))) = self.merged.get(key) {
            errors.push(marker_error(marker, origin));
            return None;
        }
        let raw: SecretString = match &origin {
            Origin::Explicit { .. } => pick_secret(self.sources.explicit, key)?,
            Origin::Stored { .. } => pick_secret(self.sources.stored?, key)?,
            Origin::Env { var } => match self.sources.env_var(var)?.to_str() {
                Some(s) => SecretString::from(s.to_owned()),
                None => {
                    errors.push(Error::NotUnicode { origin });
                    return None;
                }
            },
            Origin::DotEnv { var, .. } => {
                SecretString::from(self.sources.dotenv?.vars.get(var)?.value.clone())
            }
            Origin::Default => return None,
        };
        match uri::clean(raw.expose_secret(), &origin) {
            Ok("") => None,
            Ok(v) => Some((SecretString::from(v.to_owned()), origin)),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }
}

/// The error a marker stands for (see [`SECRET_MARKER`]).
fn marker_error(marker: &Value, origin: Origin) -> Error {
    match marker {
        Value::Num(_, n) => Error::ValueTooLong {
            origin,
            len: n
                .to_u128()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(usize::MAX),
        },
        _ => Error::NotUnicode { origin },
    }
}

fn pick_secret(args: &ConnectArgs, key: &str) -> Option<SecretString> {
    match key {
        "password" => args.password.clone(),
        "token" => args.token.clone(),
        _ => None,
    }
}

/// The first of `first` (an argument key) and `var` (an environment variable) by rank,
/// the argument's default last.
fn arg_or_var(
    view: &View<'_>,
    key: &'static str,
    var: &'static str,
    errors: &mut Vec<Error>,
) -> Option<Given> {
    let arg = view.get(key, errors);
    if arg.as_ref().is_some_and(|a| a.source_kind() >= STORED_RANK) {
        return arg;
    }
    view.get(var, errors).or(arg)
}

// ---------------------------------------------------------------------------------------
// What was given but not used.

/// The field an argument or variable feeds.
fn field_of(key: &str) -> Field {
    match key {
        "alias" | vars::MILVUS_CONN_ALIAS => Field::Alias,
        "user" | "password" | "token" | vars::MILVUS_TOKEN => Field::Auth,
        "db_name" | vars::MILVUS_DB_NAME => Field::DbName,
        "timeout" | vars::MILVUS_CONN_TIMEOUT => Field::Timeout,
        "keep_alive" => Field::KeepAlive,
        "secure" | "server_pem_path" | "ca_pem_path" | "client_pem_path" | "client_key_path"
        | "server_name" => Field::Security,
        _ => Field::Target,
    }
}

/// Every value some source gave (non-empty), with its origin.
fn given_values(view: &View<'_>) -> Vec<Origin> {
    let src = view.sources;
    let mut out = Vec::new();
    let mut from_args = |args: &ConnectArgs, make: &dyn Fn(&'static str) -> Origin| {
        out.extend(present_keys(args).map(make));
    };
    from_args(src.explicit, &|arg| Origin::Explicit { arg });
    if let Some(stored) = src.stored {
        from_args(stored, &|arg| Origin::Stored {
            alias: src.stored_alias.clone(),
            arg,
        });
    }
    for (var, value) in &src.env {
        if value
            .as_ref()
            .is_some_and(|v| is_too_long(v.len()) || !uri::trim(&v.to_string_lossy()).is_empty())
        {
            out.push(Origin::Env { var });
        }
    }
    if let Some(file) = src.dotenv {
        for (var, v) in &file.vars {
            if !uri::trim(&v.value).is_empty() {
                out.push(Origin::DotEnv {
                    var,
                    path: file.path.clone(),
                    line: v.line,
                });
            }
        }
    }
    out
}

/// The keys of the arguments that are given (non-empty after trimming), in pymilvus's
/// argument order.
fn present_keys(args: &ConnectArgs) -> impl Iterator<Item = &'static str> + '_ {
    let text = |v: &Option<String>| v.as_deref().is_some_and(|v| !uri::trim(v).is_empty());
    let secret = |v: &Option<SecretString>| {
        v.as_ref()
            .is_some_and(|s| !uri::trim(s.expose_secret()).is_empty())
    };
    let present = [
        text(&args.alias),
        text(&args.uri),
        text(&args.address),
        text(&args.host),
        text(&args.port),
        text(&args.user),
        secret(&args.password),
        secret(&args.token),
        text(&args.db_name),
        args.secure.is_some(),
        args.server_pem_path.is_some(),
        args.ca_pem_path.is_some(),
        args.client_pem_path.is_some(),
        args.client_key_path.is_some(),
        text(&args.server_name),
        text(&args.timeout),
        args.keep_alive.is_some(),
    ];
    ARG_KEYS
        .into_iter()
        .zip(present)
        .filter_map(|(k, p)| p.then_some(k))
}

/// The argument keys, as `&'static str`.
const ARG_KEYS: [&str; 17] = [
    "alias",
    "uri",
    "address",
    "host",
    "port",
    "user",
    "password",
    "token",
    "db_name",
    "secure",
    "server_pem_path",
    "ca_pem_path",
    "client_pem_path",
    "client_key_path",
    "server_name",
    "timeout",
    "keep_alive",
];

/// The values some source gave that the spec does not use, and what beat each.
fn overridden(view: &View<'_>, spec: &ConnectionSpec) -> Vec<Overridden> {
    let same_source = |a: &Origin, b: &Origin| a.source_kind() == b.source_kind();
    given_values(view)
        .into_iter()
        .filter_map(|origin| {
            let key = origin.key_str()?;
            let field = field_of(key);
            let by = spec.origin(field);
            let used = match field {
                _ if &origin == by => true,
                // host and port together supply one target.
                Field::Target => {
                    matches!(key, "host" | "port")
                        && matches!(by.key_str(), Some("host" | "port"))
                        && same_source(&origin, by)
                }
                // user and password together; the URI's userinfo fills a missing half.
                Field::Auth => {
                    matches!(key, "user" | "password")
                        && matches!(spec.auth(), Auth::UserPassword { .. })
                        && same_source(&origin, by)
                }
                // Each TLS setting that won its key is used while TLS is on.
                Field::Security => {
                    key != "secure"
                        && spec.is_secure()
                        && view.origin(key).as_ref() == Some(&origin)
                        || key == "secure" && view.origin(key).as_ref() == Some(&origin)
                }
                _ => false,
            };
            (!used).then(|| Overridden {
                origin,
                field,
                by: by.clone(),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The rules.

/// The target, as the source that supplied it wrote it.
struct ResolvedTarget {
    target: Target,
    origin: Origin,
    /// Set when the target came from a URI (credentials, database, https).
    uri: Option<ParsedUri>,
}

fn build(view: &View<'_>, errors: &mut Vec<Error>) -> Option<ConnectionSpec> {
    let mut origins = Origins::new();

    // Alias: explicit > stored > MILVUS_CONN_ALIAS > default.
    let alias_given = arg_or_var(view, "alias", vars::MILVUS_CONN_ALIAS, errors);
    let alias = alias_given.as_ref().and_then(|g| {
        origins.set(Field::Alias, g.origin.clone());
        Alias::new(&g.value)
    });

    let target = resolve_target(view, errors);
    if let Some(t) = &target {
        origins.set(Field::Target, t.origin.clone());
        if t.origin == Origin::Default
            && let Some(a) = &alias
        {
            let default_alias = view
                .get(vars::MILVUS_CONN_ALIAS, &mut Vec::new())
                .map_or_else(|| "default".to_owned(), |g| g.value);
            if a.as_str() != default_alias {
                errors.push(Error::NoTarget {
                    alias: a.to_string(),
                    default_alias,
                });
            }
        }
    }

    let auth = resolve_auth(view, target.as_ref(), &mut origins, errors);
    let db_name = resolve_db(view, target.as_ref(), &mut origins, errors);
    let security = resolve_security(view, target.as_ref(), &mut origins, errors);

    let timeout = arg_or_var(view, "timeout", vars::MILVUS_CONN_TIMEOUT, errors).and_then(|g| {
        origins.set(Field::Timeout, g.origin.clone());
        parse_timeout(&g.value, &g.origin, errors)
    });

    let keep_alive = match view.get_bool("keep_alive") {
        Some((b, origin)) => {
            origins.set(Field::KeepAlive, origin);
            b
        }
        None => false,
    };

    let mut spec = ConnectionSpec {
        alias: alias?,
        target: target?.target,
        security: security?,
        auth: auth?,
        db_name: db_name?,
        timeout: timeout?,
        keep_alive,
        origins,
        overridden: Vec::new(),
    };
    spec.overridden = overridden(view, &spec);
    for o in &spec.overridden {
        tracing::debug!(given = %o.origin(), by = %o.by(), "value not used: {o}");
    }
    Some(spec)
}

fn resolve_target(view: &View<'_>, errors: &mut Vec<Error>) -> Option<ResolvedTarget> {
    let mut local = Vec::new();
    let keys = ["address", "uri", "host", "port"].map(|k| view.get(k, &mut local));
    // The arguments' highest source (explicit or stored) supplies the target as a whole; a
    // value rejected by `get` (a control character) still counts as given.
    let top = keys
        .iter()
        .flatten()
        .map(Given::source_kind)
        .chain(
            local
                .iter()
                .filter_map(|e| e.origin().map(Origin::source_kind)),
        )
        .max()
        .unwrap_or(SourceKind::Default);
    let from_args = top >= STORED_RANK;
    let [address, uri_arg, host, port] = keys.map(|g| g.filter(|g| g.source_kind() == top));
    if from_args {
        // Only the winning source's values are validated.
        let before = errors.len();
        errors.extend(
            local
                .into_iter()
                .filter(|e| e.origin().is_some_and(|o| o.source_kind() == top)),
        );
        if errors.len() > before {
            return None;
        }
        if let Some(a) = address {
            let (host, port) = uri::parse_address(&a.value, &a.origin)
                .map_err(|e| errors.push(e))
                .ok()?;
            return Some(ResolvedTarget {
                target: Target::Tcp { host, port },
                origin: a.origin,
                uri: None,
            });
        }
        if let Some(u) = uri_arg {
            return from_uri(&u, errors);
        }
        let origin = host
            .as_ref()
            .or(port.as_ref())
            .map(|g| g.origin.clone())
            .unwrap_or(Origin::Default);
        let h = match &host {
            Some(h) => uri::parse_host(&h.value, &h.origin)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(Host::localhost()),
        };
        let p = match &port {
            Some(p) => uri::parse_port(&p.value, &p.origin)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(Port::MILVUS),
        };
        return Some(ResolvedTarget {
            target: Target::Tcp { host: h?, port: p? },
            origin,
            uri: None,
        });
    }
    // The environment: MILVUS_URI, else MILVUS_DEFAULT_CONNECTION (an empty value counts as
    // not given), else the default URI.
    if let Some(env_uri) = view
        .get(vars::MILVUS_URI, errors)
        .or_else(|| view.get(vars::MILVUS_DEFAULT_CONNECTION, errors))
    {
        return from_uri(&env_uri, errors);
    }
    let default = view.get("uri", errors)?;
    from_uri(&default, errors)
}

fn from_uri(given: &Given, errors: &mut Vec<Error>) -> Option<ResolvedTarget> {
    match uri::parse_uri(&given.value, &given.origin) {
        Ok(parsed) => Some(ResolvedTarget {
            target: parsed.target.clone(),
            origin: given.origin.clone(),
            uri: Some(parsed),
        }),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Credentials: explicit token > explicit user+password > the userinfo of the explicit
/// URI > the same for stored arguments > the userinfo of the environment's URI >
/// `MILVUS_TOKEN` > none.
///
/// The highest source that gives any of a token, a user, a password or (in the URI that
/// supplied the target) a userinfo decides. A user and a password come both from the
/// dedicated arguments or both from that URI's userinfo, never one from each: a dedicated
/// user without a dedicated password (or the reverse) is half a pair, whatever the URI
/// holds, and is an error even beside a token. Half a userinfo in the URI that supplied the
/// target is an error whatever its source and whatever else is given.
fn resolve_auth(
    view: &View<'_>,
    target: Option<&ResolvedTarget>,
    origins: &mut Origins,
    errors: &mut Vec<Error>,
) -> Option<Auth> {
    let token = view.secret_origin("token");
    let user = view.get("user", errors);
    let password = view.secret_origin("password");
    // The target's URI, with its source.
    let uri = target.and_then(|t| t.uri.as_ref().map(|u| (u, &t.origin)));
    let mut ok = true;
    let uri_pair = match uri {
        Some((u, origin)) => match (&u.user, &u.password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone(), origin)),
            (Some(_), None) => {
                errors.push(Error::UserWithoutPassword {
                    origin: origin.clone(),
                });
                ok = false;
                None
            }
            (None, Some(_)) => {
                errors.push(Error::PasswordWithoutUser {
                    origin: origin.clone(),
                });
                ok = false;
                None
            }
            (None, None) => None,
        },
        None => None,
    };
    let uri_has_userinfo = uri.is_some_and(|(u, _)| u.user.is_some() || u.password.is_some());
    let ranks = [
        token.as_ref().map(Origin::source_kind),
        user.as_ref().map(Given::source_kind),
        password.as_ref().map(Origin::source_kind),
        uri.filter(|_| uri_has_userinfo)
            .map(|(_, o)| o.source_kind()),
    ];
    let Some(top) = ranks
        .iter()
        .flatten()
        .copied()
        .max()
        .filter(|&r| r >= SourceKind::DotEnv)
    else {
        let auth = env_token(view, origins, errors);
        return ok.then_some(auth);
    };
    let at_top = |o: &Origin| o.source_kind() == top;

    // The deciding source's pair: from its dedicated arguments if it gives either, else
    // from its URI's userinfo.
    let user = user.filter(|g| at_top(&g.origin));
    let password = password.filter(at_top);
    let pair = match (user, password) {
        (Some(u), Some(_)) => match view.secret("password", errors) {
            Some((p, _)) => Some((u.value, p, u.origin)),
            None => {
                ok = false;
                None
            }
        },
        (Some(u), None) => {
            errors.push(Error::UserWithoutPassword { origin: u.origin });
            ok = false;
            None
        }
        (None, Some(origin)) => {
            errors.push(Error::PasswordWithoutUser { origin });
            ok = false;
            None
        }
        (None, None) => uri_pair
            .filter(|(_, _, o)| at_top(o))
            .map(|(u, p, o)| (u, p, o.clone())),
    };
    if let Some(t_origin) = token.filter(at_top) {
        if pair.is_some() {
            tracing::warn!(
                source = %t_origin,
                "both a token and a user/password are given; the token wins"
            );
        }
        let (secret, origin) = view.secret("token", errors)?;
        if !ok {
            return None;
        }
        origins.set(Field::Auth, origin);
        return Some(Auth::Token(secret));
    }
    let (user, password, origin) = pair.filter(|_| ok)?;
    origins.set(Field::Auth, origin);
    Some(Auth::UserPassword { user, password })
}

/// `MILVUS_TOKEN`, the last source of credentials.
fn env_token(view: &View<'_>, origins: &mut Origins, errors: &mut Vec<Error>) -> Auth {
    match view.secret(vars::MILVUS_TOKEN, errors) {
        Some((secret, origin)) => {
            origins.set(Field::Auth, origin);
            Auth::Token(secret)
        }
        None => Auth::None,
    }
}

/// Database: explicit `db_name` > the explicit URI's path > the same for stored arguments >
/// the environment URI's path > `MILVUS_DB_NAME` > `default`.
fn resolve_db(
    view: &View<'_>,
    target: Option<&ResolvedTarget>,
    origins: &mut Origins,
    errors: &mut Vec<Error>,
) -> Option<DbName> {
    let dedicated = view.get("db_name", errors);
    let from_path = target.and_then(|t| {
        let db = t.uri.as_ref()?.db.clone()?;
        Some(Given {
            value: db,
            origin: t.origin.clone(),
        })
    });
    let explicit_like = dedicated.clone().filter(|g| g.source_kind() >= STORED_RANK);
    let chosen = match (explicit_like, from_path) {
        (Some(d), Some(p)) => Some(if d.source_kind() >= p.source_kind() {
            d
        } else {
            p
        }),
        (Some(d), None) => Some(d),
        (None, Some(p)) => Some(p),
        (None, None) => None,
    };
    let chosen = chosen
        .or_else(|| view.get(vars::MILVUS_DB_NAME, errors))
        .or(dedicated)?;
    origins.set(Field::DbName, chosen.origin.clone());
    validate_db(chosen, errors)
}

fn validate_db(given: Given, errors: &mut Vec<Error>) -> Option<DbName> {
    let reason = if given
        .value
        .chars()
        .any(|c| !c.is_ascii() || c.is_ascii_control())
    {
        Some("it travels in the dbname header, so it must be printable ASCII")
    } else {
        None
    };
    match reason {
        Some(reason) => {
            errors.push(Error::InvalidDbName {
                origin: given.origin,
                value: given.value.escape_debug().to_string(),
                reason,
            });
            None
        }
        None => Some(DbName(given.value)),
    }
}

/// TLS: `https`, `secure=true` or any TLS setting turns it on; `secure=false` with either of
/// the others is an error naming both.
fn resolve_security(
    view: &View<'_>,
    target: Option<&ResolvedTarget>,
    origins: &mut Origins,
    errors: &mut Vec<Error>,
) -> Option<Security> {
    let secure = view.get_bool("secure");
    let https = target.and_then(|t| {
        t.uri
            .as_ref()
            .filter(|u| u.scheme == Scheme::Https)
            .map(|_| t.origin.clone())
    });
    let server_pem = view.get("server_pem_path", errors);
    let ca_pem = view.get("ca_pem_path", errors);
    let client_pem = view.get("client_pem_path", errors);
    let client_key = view.get("client_key_path", errors);
    let server_name = view.get("server_name", errors);
    let settings: Vec<&Given> = [&server_pem, &ca_pem, &client_pem, &client_key, &server_name]
        .into_iter()
        .flatten()
        .collect();

    let mut ok = true;
    if let Some((false, secure_origin)) = &secure {
        if let Some(uri) = &https {
            errors.push(Error::HttpsWithSecureFalse {
                uri: uri.clone(),
                secure: secure_origin.clone(),
            });
            ok = false;
        }
        for s in &settings {
            errors.push(Error::TlsSettingWithSecureFalse {
                setting: s.origin.clone(),
                secure: secure_origin.clone(),
            });
            ok = false;
        }
        if ok {
            origins.set(Field::Security, secure_origin.clone());
            return Some(Security::Plaintext);
        }
        return None;
    }

    let on_origin = match (&secure, &https, settings.first()) {
        (Some((true, o)), _, _) => Some(o.clone()),
        (_, Some(o), _) => Some(o.clone()),
        (_, _, Some(s)) => Some(s.origin.clone()),
        _ => None,
    };
    let Some(on_origin) = on_origin else {
        return Some(Security::Plaintext);
    };
    origins.set(Field::Security, on_origin);

    let client = match (&client_pem, &client_key) {
        (Some(c), Some(k)) => Some(ClientIdentity {
            cert: PathBuf::from(&c.value),
            key: PathBuf::from(&k.value),
        }),
        (Some(c), None) => {
            errors.push(Error::IncompleteClientIdentity {
                present: c.origin.clone(),
                missing: Key::ClientKeyPath,
            });
            ok = false;
            None
        }
        (None, Some(k)) => {
            errors.push(Error::IncompleteClientIdentity {
                present: k.origin.clone(),
                missing: Key::ClientPemPath,
            });
            ok = false;
            None
        }
        (None, None) => None,
    };
    let server_name = match server_name {
        Some(g) => match uri::parse_server_name(&g.value, &g.origin) {
            Ok(name) => Some(name),
            Err(e) => {
                errors.push(e);
                ok = false;
                None
            }
        },
        None => None,
    };
    let ca_files = [&server_pem, &ca_pem]
        .into_iter()
        .flatten()
        .map(|g| PathBuf::from(&g.value))
        .collect();
    ok.then_some(Security::Tls(TlsSpec {
        ca_files,
        has_server_pem: server_pem.is_some(),
        client,
        server_name,
    }))
}

/// Parses a timeout: a decimal number of seconds, positive and finite, at most
/// [`ConnectionSpec::MAX_TIMEOUT`] (one day).
fn parse_timeout(s: &str, origin: &Origin, errors: &mut Vec<Error>) -> Option<Duration> {
    match timeout_value(s) {
        Ok(d) => Some(d),
        Err(problem) => {
            let (origin, value) = (origin.clone(), s.to_owned());
            errors.push(match problem {
                TimeoutProblem::Invalid => Error::InvalidTimeout { origin, value },
                TimeoutProblem::TooLarge => Error::TimeoutTooLarge { origin, value },
            });
            None
        }
    }
}

/// Why a timeout is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeoutProblem {
    /// Not a positive, finite number (or zero once truncated to nanoseconds).
    Invalid,
    /// More than [`ConnectionSpec::MAX_TIMEOUT`].
    TooLarge,
}

/// A timeout's value: plain decimals exactly, anything else as an `f64` (`1e1`, `+3`).
fn timeout_value(s: &str) -> Result<Duration, TimeoutProblem> {
    if let Some(exact) = exact_decimal(s) {
        return exact;
    }
    let secs: f64 = s.parse().map_err(|_| TimeoutProblem::Invalid)?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(TimeoutProblem::Invalid);
    }
    if secs.is_infinite() {
        // `inf` is not a number of seconds; `1e400` is one, too large for an f64.
        return Err(if s.bytes().any(|b| b.is_ascii_digit()) {
            TimeoutProblem::TooLarge
        } else {
            TimeoutProblem::Invalid
        });
    }
    if secs > ConnectionSpec::MAX_TIMEOUT.as_secs_f64() {
        return Err(TimeoutProblem::TooLarge);
    }
    // In range, so the conversion cannot fail; a value below a nanosecond becomes zero.
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(TimeoutProblem::Invalid),
    }
}

/// `123` or `123.456789`: parsed exactly (to the nanosecond, extra digits truncated), with
/// no overflow on any number of digits. `None` when `s` is not of that form.
fn exact_decimal(s: &str) -> Option<Result<Duration, TimeoutProblem>> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let max = ConnectionSpec::MAX_TIMEOUT;
    let whole = whole.trim_start_matches('0');
    // More digits than the limit's whole seconds have: too large, whatever they are.
    if whole.len() > max.as_secs().to_string().len() {
        return Some(Err(TimeoutProblem::TooLarge));
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = 0u32;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(b - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
    }
    let beyond_nanos = frac.bytes().skip(9).any(|b| b != b'0');
    let d = Duration::new(secs, nanos);
    Some(if d > max || (d == max && beyond_nanos) {
        Err(TimeoutProblem::TooLarge)
    } else if d.is_zero() {
        Err(TimeoutProblem::Invalid)
    } else {
        Ok(d)
    })
}

#[cfg(test)]
mod tests;
