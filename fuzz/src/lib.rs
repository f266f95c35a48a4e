//! The bodies of the fuzz targets (`fuzz_targets/*.rs` only call these), so that the
//! inputs and the secret bookkeeping live in one place (and, while a reported bug is open,
//! a guard that steps around it, so that runs keep finding new ones).
//!
//! Every check is one of `conn_testkit`, the same functions the property tests
//! (`crates/conn-config/tests/properties.rs`) call. A broken invariant panics, which
//! libFuzzer reports as a crash and saves under `fuzz/artifacts/<target>/`.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use conn_testkit::{
    DotEnvLineKind, check_args_redacted, check_dotenv_error_lines, check_dotenv_origin_lines,
    check_dotenv_parse, check_resolution, checkable_secrets, split_uri_password, uri_scheme,
};
use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Error, Errors, MapEnv, Resolver};

/// [`check_args_redacted`] of the arguments, and of a spec rendered back to arguments
/// (which carries user and password in its URI).
fn check_args(args: &ConnectArgs, result: &Result<ConnectionSpec, Errors>, secrets: &[&str]) {
    check_args_redacted(args, secrets);
    if let Ok(spec) = result {
        check_args_redacted(&spec.to_connect_args(), secrets);
    }
}

/// The reference classification of a logical `.env` line: dotenvy 0.15's.
pub fn dotenvy_kind(text: &str) -> DotEnvLineKind {
    match dotenvy::from_read_iter(text.as_bytes()).next() {
        None => DotEnvLineKind::Skipped,
        Some(Ok((key, _))) => DotEnvLineKind::Assignment(key),
        Some(Err(_)) => DotEnvLineKind::Error,
    }
}

/// Whether a URI parsed: the resolution succeeded, or failed only on the database name
/// (which is checked after parsing).
fn uri_parsed(result: &Result<ConnectionSpec, Errors>) -> bool {
    match result {
        Ok(_) => true,
        Err(errors) => errors
            .iter()
            .all(|e| matches!(e, Error::InvalidDbName { .. })),
    }
}

fn isolated(env: MapEnv) -> Resolver<MapEnv> {
    Resolver::with_env(env).dotenv(DotEnv::Disabled)
}

// ---------------------------------------------------------------------------------------
// parse_uri

/// Target `parse_uri`: the bytes (lossily UTF-8) as the `uri` argument, as `MILVUS_URI`,
/// and as the `address`, `host` and `port` arguments. No panic; a success satisfies the
/// spec invariants and round-trips; a failure is well-formed; no output shows the URI's
/// password; `uri` and `MILVUS_URI` accept the same strings and give the same spec.
pub fn parse_uri(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    let args = ConnectArgs::new().uri(s);
    let result = args.resolve_isolated();
    // A URI that parses has its query and fragment after the userinfo (WHATWG); one that
    // does not may hold a password with an unencoded '?' or '#': take the widest reading.
    let (password, public) = split_uri_password(s, !uri_parsed(&result));
    let secrets = checkable_secrets(&[password.unwrap_or("")], &[public.as_str()]);
    check_resolution(&result, &secrets);
    check_args(&args, &result, &secrets);

    let from_env = isolated(MapEnv::new().set("MILVUS_URI", s)).resolve(&ConnectArgs::new());
    check_resolution(&from_env, &secrets);
    match (&result, &from_env) {
        (Ok(a), Ok(b)) => assert!(
            a.same_as(b),
            "uri and MILVUS_URI give different specs: {a:?} and {b:?}"
        ),
        (Err(a), Err(b)) => assert_eq!(
            a.len(),
            b.len(),
            "uri and MILVUS_URI give different numbers of errors: {a} and {b}"
        ),
        (a, b) => panic!(
            "uri and MILVUS_URI disagree: {:?} and {:?}",
            a.as_ref().map(|_| "ok"),
            b.as_ref().map(|_| "ok")
        ),
    }

    for args in [
        ConnectArgs::new().address(s),
        ConnectArgs::new().host(s),
        ConnectArgs::new().port(s),
    ] {
        check_resolution(&args.resolve_isolated(), &[]);
    }
}

// ---------------------------------------------------------------------------------------
// dotenv

/// A directory of this process for the `.env` files the targets write: in `/dev/shm` when
/// there is one (rewriting a file on a disk file system costs more than the resolution).
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("conn-config-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a").join("b")).expect("scratch directory");
        dir
    })
}

/// The secrets and public values of a `.env` file: `MILVUS_TOKEN` values and the
/// passwords of the URI variables are secrets, unless the file interpolates (`$`), which
/// may copy them anywhere.
fn classify_dotenv(content: &str, out: &mut Secrets) {
    if content.contains('$') {
        out.public.push(content.to_owned());
        return;
    }
    for line in content.lines() {
        let l = line.trim_start();
        let l = l.strip_prefix("export").map_or(l, str::trim_start);
        match l.split_once('=') {
            Some((k, v)) if k.trim_end() == "MILVUS_TOKEN" => {
                out.public.push(k.to_owned());
                out.secrets.push(v.to_owned());
            }
            Some((k, v)) if matches!(k.trim_end(), "MILVUS_URI" | "MILVUS_DEFAULT_CONNECTION") => {
                out.public.push(k.to_owned());
                out.uri(v);
            }
            _ => out.public.push(line.to_owned()),
        }
    }
}

/// Target `dotenv`: the bytes as a `.env` file given by path. No panic; a file that is not
/// UTF-8 is a read error; otherwise parse errors come one per logical line dotenvy cannot
/// parse, each within that line (so never line 0); values taken from the file name the
/// line where their last assignment starts; a success satisfies the spec invariants and
/// round-trips; no output shows a `MILVUS_TOKEN` or a URI password from the file; the
/// crate's parser, on its own, gives no value over 64 KiB and stays within its linear step
/// bound (`check_dotenv_parse`).
pub fn dotenv(data: &[u8]) {
    let path = scratch().join(".env");
    std::fs::write(&path, data).expect("write .env");
    let resolver = Resolver::with_env(MapEnv::new()).dotenv(DotEnv::Path(path.clone()));
    let Ok(content) = std::str::from_utf8(data) else {
        let result = resolver.resolve(&ConnectArgs::new());
        match &result {
            Err(errors) => assert!(
                errors
                    .iter()
                    .any(|e| matches!(e, Error::DotEnvRead { .. } | Error::DotEnvTooLarge { .. })),
                "a .env file that is not UTF-8 gives {errors}"
            ),
            Ok(spec) => panic!("a .env file that is not UTF-8 resolves to {spec:?}"),
        }
        check_resolution(&result, &[]);
        return;
    };
    let result = resolver.resolve(&ConnectArgs::new());
    let mut s = Secrets::default();
    classify_dotenv(content, &mut s);
    s.public.push(path.display().to_string());
    check_resolution(&result, &s.checkable());
    check_dotenv_error_lines(content, &path, &result, &dotenvy_kind);
    check_dotenv_origin_lines(content, &path, &result, &dotenvy_kind);
    check_dotenv_parse(content);
}

// ---------------------------------------------------------------------------------------
// resolve

/// Values that seed structured inputs: the URIs, addresses, hosts and ports of the pymilvus
/// oracle's recorded cases and of the unit-test tables (see `corpus/README.md`).
const POOL: &str = include_str!("pool.txt");

fn pool(i: u16) -> &'static str {
    static LINES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let lines = LINES.get_or_init(|| POOL.lines().collect());
    lines[usize::from(i) % lines.len()]
}

/// A string: as generated, one of the pool's, a URI built from parts, or a long value.
#[derive(Arbitrary, Debug)]
pub enum Text {
    /// Any string.
    Raw(String),
    /// A value of the pool.
    Pool(u16),
    /// A URI assembled from parts.
    Uri(UriParts),
    /// A prefix, then a piece repeated to about `bytes % LONG_MAX` bytes: values around
    /// the limits (63/64-byte labels, 253/254-byte hosts, 64 KiB values), which a
    /// fuzzer's short inputs cannot reach otherwise.
    Long {
        /// Written once, first (a scheme, `86400.`, …).
        prefix: String,
        /// Repeated (an empty piece repeats `a`).
        piece: String,
        /// The length to reach, modulo [`LONG_MAX`].
        bytes: u32,
    },
}

/// The longest [`Text::Long`]: a little over the 64 KiB limit of a value.
pub const LONG_MAX: u32 = 70_000;

fn long_text(prefix: &str, piece: &str, bytes: u32) -> String {
    let piece = if piece.is_empty() { "a" } else { piece };
    let len = usize::try_from(bytes % LONG_MAX).unwrap_or(0);
    let mut v = String::with_capacity(len + piece.len() + prefix.len());
    v.push_str(prefix);
    while v.len() < len {
        v.push_str(piece);
    }
    v
}

/// A URI's parts; the password is a secret, the rest public.
#[derive(Arbitrary, Debug)]
pub struct UriParts {
    scheme: u8,
    separator: u8,
    user: Option<String>,
    password: Option<String>,
    host: HostPart,
    port: Option<String>,
    path: Vec<String>,
    tail: Option<String>,
}

/// A URI's host.
#[derive(Arbitrary, Debug)]
pub enum HostPart {
    /// Any string.
    Raw(String),
    /// A value of the pool.
    Pool(u16),
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address, in brackets.
    V6([u16; 8]),
}

const SCHEMES: [&str; 10] = [
    "http", "https", "tcp", "grpc", "HTTP", "hTTpS", "unix", "ftp", "", "h2c",
];
const SEPARATORS: [&str; 4] = ["://", ":", ":///", ""];

impl UriParts {
    /// The URI, its password as written, and whether that is a userinfo password (after
    /// a real scheme other than `unix` and `://`, as `split_uri_password` reads it).
    fn render(&self) -> (String, Option<String>, bool) {
        let mut s = String::new();
        s.push_str(SCHEMES[usize::from(self.scheme) % SCHEMES.len()]);
        s.push_str(SEPARATORS[usize::from(self.separator) % SEPARATORS.len()]);
        if self.user.is_some() || self.password.is_some() {
            s.push_str(self.user.as_deref().unwrap_or(""));
            if let Some(p) = &self.password {
                s.push(':');
                s.push_str(p);
            }
            s.push('@');
        }
        match &self.host {
            HostPart::Raw(h) => s.push_str(h),
            HostPart::Pool(i) => s.push_str(pool(*i)),
            HostPart::V4(o) => s.push_str(&std::net::Ipv4Addr::from(*o).to_string()),
            HostPart::V6(g) => s.push_str(&format!("[{}]", std::net::Ipv6Addr::from(*g))),
        }
        if let Some(p) = &self.port {
            s.push(':');
            s.push_str(p);
        }
        for seg in &self.path {
            s.push('/');
            s.push_str(seg);
        }
        if let Some(t) = &self.tail {
            s.push_str(t);
        }
        let scheme = SCHEMES[usize::from(self.scheme) % SCHEMES.len()];
        let userinfo = SEPARATORS[usize::from(self.separator) % SEPARATORS.len()] == "://"
            && !scheme.is_empty()
            && !scheme.eq_ignore_ascii_case("unix");
        if !userinfo && uri_scheme(&s).is_some() {
            // The parts wrote a `scheme://` of their own (a user or password that starts
            // with `//` after a scheme and no separator): the value is a URI, whose userinfo
            // (a user alone, or `user:password`) is read as any URI's is (bugs 11 and 12 of
            // fuzz/README.md were this case misread).
            return (s, None, false);
        }
        (s, self.password.clone(), userinfo)
    }
}

/// Secrets fed in, and the public values beside them.
#[derive(Default, Debug)]
pub struct Secrets {
    secrets: Vec<String>,
    public: Vec<String>,
    /// The "password" of a `user:password@` written where it is not a URI's userinfo
    /// (after `unix:`, after a scheme without `//`, in a `.db` path): part of a path or of
    /// a rejected value, so a spec or an error may show it, but `Debug` of the arguments,
    /// which hides everything from the first `:` to the last `@` of such a value, may not.
    path_passwords: Vec<String>,
}

impl Secrets {
    /// A value given where a URI is expected: its password is a secret.
    fn uri(&mut self, v: &str) {
        let (password, rest) = split_uri_password(v, false);
        if let Some(p) = password {
            self.secrets.push(p.to_owned());
        }
        self.public.push(rest);
    }

    /// The secrets to look for in specs and errors, where path passwords may show.
    fn checkable(&self) -> Vec<&str> {
        self.checkable_where(false)
    }

    /// The secrets to look for in `Debug` of the arguments, which hides path passwords too.
    fn checkable_in_args(&self) -> Vec<&str> {
        self.checkable_where(true)
    }

    fn checkable_where(&self, path_passwords_hidden: bool) -> Vec<&str> {
        let mut secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let mut public: Vec<&str> = self.public.iter().map(String::as_str).collect();
        let paths = self.path_passwords.iter().map(String::as_str);
        if path_passwords_hidden {
            secrets.extend(paths);
        } else {
            public.extend(paths);
        }
        checkable_secrets(&secrets, &public)
    }
}

/// How a field's value is classified.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    Secret,
    Uri,
}

impl Text {
    fn render(&self, kind: Kind, s: &mut Secrets) -> String {
        let (value, password, userinfo) = match self {
            Text::Raw(v) => (v.clone(), None, false),
            Text::Pool(i) => (pool(*i).to_owned(), None, false),
            Text::Uri(parts) => parts.render(),
            Text::Long {
                prefix,
                piece,
                bytes,
            } => (long_text(prefix, piece, *bytes), None, false),
        };
        match (kind, password) {
            (Kind::Secret, _) => s.secrets.push(value.clone()),
            (Kind::Uri, Some(p)) if !userinfo => {
                s.path_passwords.push(p.clone());
                s.public.push(value.replacen(&p, "", 1));
            }
            (Kind::Uri, Some(p)) => {
                s.secrets.push(p.clone());
                s.public.push(value.replacen(&p, "", 1));
            }
            (Kind::Uri, None) => s.uri(&value),
            // A URI built where no URI is expected is public as a whole.
            (Kind::Public, _) => s.public.push(value.clone()),
        }
        value
    }
}

/// Every argument of `connect()`.
#[derive(Arbitrary, Debug)]
pub struct Args {
    alias: Option<Text>,
    uri: Option<Text>,
    address: Option<Text>,
    host: Option<Text>,
    port: Option<Text>,
    user: Option<Text>,
    password: Option<Text>,
    token: Option<Text>,
    db_name: Option<Text>,
    secure: Option<bool>,
    server_pem_path: Option<Text>,
    ca_pem_path: Option<Text>,
    client_pem_path: Option<Text>,
    client_key_path: Option<Text>,
    server_name: Option<Text>,
    timeout: Option<Text>,
    keep_alive: Option<bool>,
}

impl Args {
    fn build(&self, s: &mut Secrets) -> ConnectArgs {
        let mut a = ConnectArgs::new();
        let mut r = |t: &Option<Text>, kind: Kind| t.as_ref().map(|t| t.render(kind, s));
        if let Some(v) = r(&self.alias, Kind::Public) {
            a = a.alias(v);
        }
        if let Some(v) = r(&self.uri, Kind::Uri) {
            a = a.uri(v);
        }
        if let Some(v) = r(&self.address, Kind::Public) {
            a = a.address(v);
        }
        if let Some(v) = r(&self.host, Kind::Public) {
            a = a.host(v);
        }
        if let Some(v) = r(&self.port, Kind::Public) {
            a = a.port(v);
        }
        if let Some(v) = r(&self.user, Kind::Public) {
            a = a.user(v);
        }
        if let Some(v) = r(&self.password, Kind::Secret) {
            a = a.password(v);
        }
        if let Some(v) = r(&self.token, Kind::Secret) {
            a = a.token(v);
        }
        if let Some(v) = r(&self.db_name, Kind::Public) {
            a = a.db_name(v);
        }
        if let Some(v) = r(&self.server_pem_path, Kind::Public) {
            a = a.server_pem_path(v);
        }
        if let Some(v) = r(&self.ca_pem_path, Kind::Public) {
            a = a.ca_pem_path(v);
        }
        if let Some(v) = r(&self.client_pem_path, Kind::Public) {
            a = a.client_pem_path(v);
        }
        if let Some(v) = r(&self.client_key_path, Kind::Public) {
            a = a.client_key_path(v);
        }
        if let Some(v) = r(&self.server_name, Kind::Public) {
            a = a.server_name(v);
        }
        if let Some(v) = r(&self.timeout, Kind::Public) {
            a = a.timeout(v);
        }
        if let Some(b) = self.secure {
            a = a.secure(b);
        }
        if let Some(b) = self.keep_alive {
            a = a.keep_alive(b);
        }
        a
    }
}

/// An environment or `.env` variable.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Var {
    /// `MILVUS_URI`.
    Uri,
    /// `MILVUS_DEFAULT_CONNECTION`.
    DefaultConnection,
    /// `MILVUS_CONN_ALIAS`.
    Alias,
    /// `MILVUS_CONN_TIMEOUT`.
    Timeout,
    /// `MILVUS_TOKEN`.
    Token,
    /// `MILVUS_DB_NAME`.
    DbName,
    /// Another variable, ignored by resolution.
    Other,
}

impl Var {
    fn name(self) -> &'static str {
        match self {
            Var::Uri => "MILVUS_URI",
            Var::DefaultConnection => "MILVUS_DEFAULT_CONNECTION",
            Var::Alias => "MILVUS_CONN_ALIAS",
            Var::Timeout => "MILVUS_CONN_TIMEOUT",
            Var::Token => "MILVUS_TOKEN",
            Var::DbName => "MILVUS_DB_NAME",
            Var::Other => "OTHER_VAR",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Var::Uri | Var::DefaultConnection => Kind::Uri,
            Var::Token => Kind::Secret,
            _ => Kind::Public,
        }
    }
}

/// A value of the process environment.
#[derive(Arbitrary, Debug)]
pub enum EnvValue {
    /// A Unicode value.
    Text(Text),
    /// A value that is not valid Unicode.
    NotUnicode(Vec<u8>),
}

/// A line of a `.env` file.
#[derive(Arbitrary, Debug)]
pub enum DotLine {
    /// `[export ]KEY<eq><quote>value<quote>[ # comment]`.
    Assign {
        /// Prefix with `export `.
        export: bool,
        /// The key.
        key: Var,
        /// Which of `=`, ` = `, `=\t`.
        eq: u8,
        /// No quote, `'` or `"`.
        quote: u8,
        /// The value.
        value: Text,
        /// Append ` # comment`.
        comment: bool,
    },
    /// Any line.
    Raw(String),
}

/// A `.env` file.
#[derive(Arbitrary, Debug)]
pub struct DotEnvInput {
    /// Found by the search from a subdirectory instead of given by path.
    search: bool,
    /// Lines joined by `\r\n` instead of `\n`.
    crlf: bool,
    /// The lines.
    lines: Vec<DotLine>,
}

/// The structured input of the `resolve` target.
#[derive(Arbitrary, Debug)]
pub struct Input {
    /// Explicit arguments.
    args: Args,
    /// Arguments stored for the alias (the registry's `add_connection`).
    stored: Option<Args>,
    /// The process environment.
    env: Vec<(Var, EnvValue)>,
    /// A `.env` file.
    dotenv: Option<DotEnvInput>,
}

/// One resolution to run and check.
struct Case {
    args: ConnectArgs,
    stored: Option<ConnectArgs>,
    env: MapEnv,
    /// `.env` content, and whether it is found by the search.
    dotenv: Option<(String, bool)>,
    secrets: Secrets,
}

impl Input {
    fn case(&self) -> Case {
        let mut s = Secrets::default();
        let args = self.args.build(&mut s);
        let stored = self.stored.as_ref().map(|a| a.build(&mut s));
        let mut env = MapEnv::new();
        for (var, value) in &self.env {
            match value {
                EnvValue::Text(t) => {
                    env = env.set(var.name(), t.render(var.kind(), &mut s));
                }
                EnvValue::NotUnicode(bytes) => {
                    let mut b = bytes.clone();
                    b.push(0xff);
                    env = env.set(var.name(), OsString::from_vec(b));
                }
            }
        }
        let dotenv = self.dotenv.as_ref().map(|d| {
            let mut lines = Vec::new();
            let mut file_secrets = Secrets::default();
            for l in &d.lines {
                lines.push(match l {
                    DotLine::Assign {
                        export,
                        key,
                        eq,
                        quote,
                        value,
                        comment,
                    } => {
                        let v = value.render(key.kind(), &mut file_secrets);
                        let q = ["", "'", "\""][usize::from(*quote) % 3];
                        format!(
                            "{}{}{}{q}{v}{q}{}",
                            if *export { "export " } else { "" },
                            key.name(),
                            ["=", " = ", "=\t"][usize::from(*eq) % 3],
                            if *comment { " # comment" } else { "" }
                        )
                    }
                    DotLine::Raw(r) => {
                        file_secrets.public.push(r.clone());
                        r.clone()
                    }
                });
            }
            let content = lines.join(if d.crlf { "\r\n" } else { "\n" });
            if content.contains('$') {
                // Interpolation may copy a secret into any other value.
                s.public.push(content.clone());
            } else {
                s.secrets.extend(file_secrets.secrets);
                s.public.extend(file_secrets.public);
                s.path_passwords.extend(file_secrets.path_passwords);
            }
            (content, d.search)
        });
        Case {
            args,
            stored,
            env,
            dotenv,
            secrets: s,
        }
    }
}

/// A pymilvus oracle case (`../shared/oracle/cases_in.jsonl`) as a [`Case`]: the first
/// `connect`/`milvus_client` call's keyword arguments, over the arguments of an earlier
/// `add_connection` for the same alias, with the case's environment and `.env` file.
fn oracle_case(json: &serde_json::Value) -> Case {
    use serde_json::Value;
    let mut s = Secrets::default();
    let text = |v: &Value| -> Option<String> {
        match v {
            Value::String(t) => Some(t.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_owned()),
            _ => None,
        }
    };
    let build = |kw: &serde_json::Map<String, Value>, s: &mut Secrets| {
        let mut a = ConnectArgs::new();
        for (k, v) in kw {
            if let ("secure" | "keep_alive", Value::Bool(b)) = (k.as_str(), v) {
                a = if k == "secure" {
                    a.secure(*b)
                } else {
                    a.keep_alive(*b)
                };
                continue;
            }
            let Some(t) = text(v) else { continue };
            match k.as_str() {
                "password" | "token" => s.secrets.push(t.clone()),
                "uri" => s.uri(&t),
                _ => s.public.push(t.clone()),
            }
            a = match k.as_str() {
                "alias" => a.alias(t),
                "uri" => a.uri(t),
                "address" => a.address(t),
                "host" => a.host(t),
                "port" => a.port(t),
                "user" => a.user(t),
                "password" => a.password(t),
                "token" => a.token(t),
                "db_name" => a.db_name(t),
                "server_pem_path" => a.server_pem_path(t),
                "ca_pem_path" => a.ca_pem_path(t),
                "client_pem_path" => a.client_pem_path(t),
                "client_key_path" => a.client_key_path(t),
                "server_name" => a.server_name(t),
                "timeout" => a.timeout(t),
                _ => a,
            };
        }
        a
    };
    let empty = serde_json::Map::new();
    let mut explicit = None;
    let mut stored = None;
    let mut steps: Vec<&Value> = json
        .get("steps")
        .and_then(Value::as_array)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    steps.push(json);
    for step in steps {
        let op = step.get("op").and_then(Value::as_str).unwrap_or("");
        let kwargs = step
            .get("kwargs")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        match op {
            "add_connection" if stored.is_none() => {
                if let Some((alias, Value::Object(kw))) = kwargs.iter().next() {
                    stored = Some((alias.clone(), build(kw, &mut s)));
                }
            }
            "connect" | "milvus_client" => {
                explicit = Some(build(kwargs, &mut s));
                break;
            }
            _ => {}
        }
    }
    let mut args = explicit.unwrap_or_default();
    if let Some((alias, _)) = &stored
        && args.alias_name().is_none()
    {
        args = args.alias(alias.clone());
    }
    let mut env = MapEnv::new();
    if let Some(vars) = json.get("env").and_then(Value::as_object) {
        for (k, v) in vars {
            let Some(t) = text(v) else { continue };
            match k.as_str() {
                "MILVUS_TOKEN" => s.secrets.push(t.clone()),
                "MILVUS_URI" | "MILVUS_DEFAULT_CONNECTION" => s.uri(&t),
                _ => s.public.push(t.clone()),
            }
            env = env.set(k.clone(), t);
        }
    }
    let dotenv = json.get("dotenv").and_then(Value::as_str).map(|d| {
        classify_dotenv(d, &mut s);
        (d.to_owned(), false)
    });
    Case {
        args,
        stored: stored.map(|(_, a)| a),
        env,
        dotenv,
        secrets: s,
    }
}

/// What a `resolve` input decodes to (the structured input, or the oracle case's JSON), and
/// the values rendered from it with their classification, for reading a crash input:
/// `cargo run --example show -- fuzz/artifacts/resolve/crash-…`.
pub fn describe_resolve_input(data: &[u8]) -> String {
    if data.first() == Some(&b'{') {
        return String::from_utf8_lossy(data).into_owned();
    }
    match Input::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(input) => {
            let case = input.case();
            format!(
                "{input:#?}\n\nexplicit: {:?}\nstored: {:?}\nenv: {:?}\n.env: {:?}\nsecrets: {:#?}",
                case.args, case.stored, case.env, case.dotenv, case.secrets
            )
        }
        Err(e) => format!("not an input: {e}"),
    }
}

/// Target `resolve`: a structured input (arguments, stored arguments, environment, `.env`
/// file; values up to [`LONG_MAX`] bytes), or a pymilvus oracle case when the bytes are a
/// JSON object. No panic; a success satisfies the spec invariants (among them
/// `check_limits`: no value in the spec exceeds its limit — timeout at most 86400 s, host
/// and server name at most 253 bytes of valid labels, every string at most 64 KiB) and
/// round-trips; a failure is well-formed; no output shows a secret; the `.env` line numbers
/// are right.
pub fn resolve(data: &[u8]) {
    let case = if data.first() == Some(&b'{') {
        match serde_json::from_slice::<serde_json::Value>(data) {
            Ok(json) => oracle_case(&json),
            Err(_) => return,
        }
    } else {
        match Input::arbitrary_take_rest(Unstructured::new(data)) {
            Ok(input) => input.case(),
            Err(_) => return,
        }
    };
    let mut secrets = case.secrets;
    let dir = scratch();
    let path = dir.join(".env");
    let dotenv = match &case.dotenv {
        None => DotEnv::Disabled,
        Some((content, search)) => {
            std::fs::write(&path, content).expect("write .env");
            secrets.public.push(path.display().to_string());
            if *search {
                DotEnv::Search
            } else {
                DotEnv::Path(path.clone())
            }
        }
    };
    let env = case.env.current_dir(dir.join("a").join("b"));
    let resolver = Resolver::with_env(env).dotenv(dotenv);
    let result = resolver.resolve_with_stored(&case.args, case.stored.as_ref());
    let checkable = secrets.checkable();
    check_resolution(&result, &checkable);
    check_args(&case.args, &result, &secrets.checkable_in_args());
    if let Some((content, _)) = &case.dotenv {
        check_dotenv_error_lines(content, &path, &result, &dotenvy_kind);
        check_dotenv_origin_lines(content, &path, &result, &dotenvy_kind);
        check_dotenv_parse(content);
    }
}
