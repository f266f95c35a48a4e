//! Replays the pymilvus oracle's recorded cases (`shared/oracle/cases.jsonl`) through
//! conn-config and compares the outcome with what pymilvus 3.0.2 did.
//!
//! For each case this module produces, per compared step, two [`Outcome`]s: pymilvus's
//! (read from the recording) and ours (computed by running [`conn_config::Resolver`] on the
//! equivalent input, with a real `.env` file and real files in a temporary directory). The
//! test in `tests/tests/conformance.rs` classifies the differences.
//!
//! What is compared for a `connect` step: alias, target address, TLS on/off, database,
//! the user sent in `ClientInfo.user`, the decoded `authorization` header, the TLS material
//! (trusted roots, client certificate and key, server name override, compared by file
//! contents) and the connect timeout — each only where pymilvus recorded it.
//!
//! Where pymilvus 3.x keeps each value (observed in the recordings):
//! * address: the `address` kwarg of `GrpcHandler.__init__` (`grpc_handler_init`), which is
//!   also the channel target; for a `.db` path, the path handed to milvus-lite;
//! * TLS on/off: the handler's `secure`;
//! * database: the `db_name` kwarg of `GrpcHandler.__init__` (3.x sends it per call, not on
//!   `Connect`; the alias config stores the same value);
//! * user: `ClientInfo.user` of the `Connect` RPC on the wire (the handler's `user` when the
//!   case ran without the fake server);
//! * authorization: the decoded `authorization` header given to the interceptor;
//! * TLS material: `ssl_channel_credentials` arguments and `grpc.ssl_target_name_override`;
//! * timeout: the argument of `_wait_for_channel_ready`.
//!
//! Registry steps are modelled on the contract (section 6): `add_connection` stores the
//! arguments after validating them by resolving them (explicit > stored > environment >
//! `.env` > defaults, via [`conn_config::Resolver::resolve_with_stored`]); `connect` uses
//! the stored arguments of its alias; a second `connect` of a connected alias must resolve
//! to the same spec ([`conn_config::ConnectionSpec::differences`]); `disconnect` keeps the
//! stored arguments and `remove_connection` drops them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, MapEnv, Resolver, Target};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

/// The recorded cases, beside the checkout: `<workspace>/../shared/oracle/cases.jsonl`.
pub fn cases_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/oracle/cases.jsonl")
}

/// One recorded case: its input (`case`) and pymilvus's results per version (`results`).
#[derive(Clone, Debug)]
pub struct Case {
    /// The case's name.
    pub name: String,
    input: Value,
    results: Value,
}

impl Case {
    /// The case's input as recorded (`{"name", "env", "dotenv", "steps", ...}`).
    pub fn input(&self) -> &Value {
        &self.input
    }

    /// pymilvus 3.0.2's recorded result.
    pub fn result3(&self) -> &Value {
        &self.results["3"]
    }

    /// The case's steps, a single inline `op` made into one step.
    pub fn steps(&self) -> Vec<Value> {
        match self.input.get("steps").and_then(Value::as_array) {
            Some(steps) => steps.clone(),
            None => {
                let mut step = Map::new();
                for k in ["op", "args", "kwargs"] {
                    if let Some(v) = self.input.get(k) {
                        step.insert(k.to_owned(), v.clone());
                    }
                }
                vec![Value::Object(step)]
            }
        }
    }

    /// The ops of the steps, in order.
    pub fn ops(&self) -> Vec<String> {
        self.steps()
            .iter()
            .map(|s| s["op"].as_str().unwrap_or("?").to_owned())
            .collect()
    }
}

/// Reads a `cases.jsonl` file.
///
/// # Errors
///
/// A message naming the file and line when the file cannot be read or a line is not a case.
pub fn load_cases(path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        let name = v["case"]["name"]
            .as_str()
            .ok_or_else(|| format!("{} line {}: case without a name", path.display(), i + 1))?
            .to_owned();
        cases.push(Case {
            name,
            input: v["case"].clone(),
            results: v["results"].clone(),
        });
    }
    Ok(cases)
}

// ---------------------------------------------------------------------------------------
// Outcomes.

/// The TLS material of a connection, by file contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsView {
    /// The trusted root certificates (empty: the platform's roots).
    pub roots: Vec<String>,
    /// The client certificate chain and private key, for mutual TLS.
    pub client: Option<(String, String)>,
    /// The name checked in the server's certificate instead of the host.
    pub server_name: Option<String>,
}

/// What a successful step produced. `None` means "not observed" (pymilvus side) and is
/// not compared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observation {
    /// The alias.
    pub alias: Option<String>,
    /// The target as pymilvus writes its address (`host:port`, `unix:PATH`, `lite:PATH`).
    pub address: Option<String>,
    /// TLS on or off.
    pub secure: Option<bool>,
    /// The database.
    pub db: Option<String>,
    /// The user (pymilvus: `ClientInfo.user`; ours: the user of user/password auth), `""`
    /// for none.
    pub user: Option<String>,
    /// The decoded `authorization` header (`Some(None)`: no header).
    pub authorization: Option<Option<String>>,
    /// The TLS material (`Some(None)`: plaintext).
    pub tls: Option<Option<TlsView>>,
    /// The connect timeout in seconds.
    pub timeout: Option<f64>,
}

/// The outcome of one step.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The step succeeded.
    Ok(Box<Observation>),
    /// The step failed, with this message.
    Fail(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Fail(m) => write!(f, "error: {m}"),
            Outcome::Ok(o) => {
                let debug = |v: &dyn fmt::Debug| format!("{v:?}");
                let shown = [
                    ("alias", o.alias.as_ref().map(|v| debug(v))),
                    ("address", o.address.as_ref().map(|v| debug(v))),
                    ("secure", o.secure.map(|v| v.to_string())),
                    ("db", o.db.as_ref().map(|v| debug(v))),
                    ("user", o.user.as_ref().map(|v| debug(v))),
                    ("authorization", o.authorization.as_ref().map(|v| debug(v))),
                    ("tls", o.tls.as_ref().map(|v| debug(v))),
                    ("timeout", o.timeout.map(|v| v.to_string())),
                ];
                let parts: Vec<String> = shown
                    .into_iter()
                    .filter_map(|(name, v)| Some(format!("{name}={}", v?)))
                    .collect();
                write!(f, "ok {{{}}}", parts.join(", "))
            }
        }
    }
}

/// The fields in which `ours` differs from `pymilvus`, compared only where pymilvus
/// observed a value. Empty when they agree (both failing counts as agreeing).
pub fn differences(pymilvus: &Outcome, ours: &Outcome) -> Vec<String> {
    let (p, o) = match (pymilvus, ours) {
        (Outcome::Fail(_), Outcome::Fail(_)) => return Vec::new(),
        (Outcome::Ok(_), Outcome::Fail(_)) => return vec!["pymilvus succeeds, we fail".into()],
        (Outcome::Fail(_), Outcome::Ok(_)) => return vec!["pymilvus fails, we succeed".into()],
        (Outcome::Ok(p), Outcome::Ok(o)) => (p, o),
    };
    let mut out = Vec::new();
    fn check<T: PartialEq + fmt::Debug>(
        out: &mut Vec<String>,
        name: &str,
        p: &Option<T>,
        o: &Option<T>,
    ) {
        if let Some(pv) = p
            && o.as_ref() != Some(pv)
        {
            match o {
                Some(ov) => out.push(format!("{name}: pymilvus {pv:?}, ours {ov:?}")),
                None => out.push(format!("{name}: pymilvus {pv:?}, ours not observed")),
            }
        }
    }
    check(&mut out, "alias", &p.alias, &o.alias);
    check(&mut out, "address", &p.address, &o.address);
    check(&mut out, "secure", &p.secure, &o.secure);
    check(&mut out, "db", &p.db, &o.db);
    check(&mut out, "user", &p.user, &o.user);
    check(
        &mut out,
        "authorization",
        &p.authorization,
        &o.authorization,
    );
    check(&mut out, "tls", &p.tls, &o.tls);
    if let Some(pt) = p.timeout
        && o.timeout.is_none_or(|ot| (ot - pt).abs() > 1e-9)
    {
        out.push(format!("timeout: pymilvus {pt}, ours {:?}", o.timeout));
    }
    out
}

/// One compared step: its index in the case, its op, and both outcomes.
#[derive(Clone, Debug)]
pub struct StepComparison {
    /// The index of the step in the case (`None` for the implied `connect()` of a case that
    /// only records the import-time configuration).
    pub index: Option<usize>,
    /// The op (`connect`, `add_connection`, or `connect()` implied).
    pub op: String,
    /// The arguments as recorded.
    pub input: Value,
    /// What pymilvus 3.0.2 did.
    pub pymilvus: Outcome,
    /// What we do.
    pub ours: Outcome,
}

impl StepComparison {
    /// The fields that differ (see [`differences`]).
    pub fn differences(&self) -> Vec<String> {
        differences(&self.pymilvus, &self.ours)
    }
}

/// Why a case cannot be compared, or its compared steps.
#[derive(Clone, Debug)]
pub enum Replay {
    /// Not applicable, with the reason.
    NotApplicable(String),
    /// The compared steps.
    Compared(Vec<StepComparison>),
}

// ---------------------------------------------------------------------------------------
// Which cases apply.

/// Ops of the ORM registry that change state (compared or modelled).
const ORM_OPS: [&str; 4] = [
    "connect",
    "add_connection",
    "disconnect",
    "remove_connection",
];
/// Ops that only read the ORM state; ignored.
const READ_OPS: [&str; 4] = [
    "get_connection_addr",
    "list_connections",
    "has_connection",
    "list_collections",
];

/// How a case is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// It has `connect` or `add_connection` steps: each of those is compared.
    Steps,
    /// It only reads the import-time configuration (`config`, `get_connection_addr` of the
    /// default alias) under some environment or `.env`: compared as the `connect()` with no
    /// arguments that this configuration feeds.
    ImportState,
}

fn kind(case: &Case) -> Result<Kind, String> {
    let ops = case.ops();
    if ops.iter().any(|o| o == "connect" || o == "add_connection") {
        return Ok(Kind::Steps);
    }
    let has_env = case.input.get("env").is_some() || case.input.get("dotenv").is_some();
    if has_env
        && ops
            .iter()
            .all(|o| o == "config" || READ_OPS.contains(&o.as_str()))
    {
        return Ok(Kind::ImportState);
    }
    let others: Vec<&str> = ops
        .iter()
        .map(String::as_str)
        .filter(|o| !ORM_OPS.contains(o) && !READ_OPS.contains(o))
        .collect();
    if others
        .iter()
        .all(|o| o.starts_with("client") || *o == "milvus_client" || *o == "use_database")
    {
        return Err(
            "MilvusClient only (3.x ConnectionManager path, different rules from connect())".into(),
        );
    }
    if others.iter().all(|o| *o == "from_uri") {
        return Err(
            "ConnectionConfig.from_uri only (3.x MilvusClient's parser, different rules from connect())"
                .into(),
        );
    }
    if others
        .iter()
        .all(|o| *o == "parse_uri_internal" || *o == "get_full_address")
    {
        return Err("pymilvus-internal helper only (not an API of connect())".into());
    }
    let distinct: std::collections::BTreeSet<&str> = others.into_iter().collect();
    Err(format!(
        "no connect/add_connection step (ops: {})",
        distinct.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

// ---------------------------------------------------------------------------------------
// Translating pymilvus arguments.

fn untranslatable(key: &str, v: &Value, why: &str) -> String {
    format!("{key}={v} has no Rust equivalent ({why})")
}

/// Translates `connect()` kwargs (or an `add_connection` entry) into [`ConnectArgs`]; also
/// returns whether anything besides the alias was given.
fn translate(kwargs: &Map<String, Value>) -> Result<(ConnectArgs, bool), String> {
    let mut a = ConnectArgs::new();
    let mut given = false;
    for (k, v) in kwargs {
        if k != "alias" {
            given = true;
        }
        let text = |what: &str| -> Result<String, String> {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| untranslatable(k, v, what))
        };
        // pymilvus 3.x turns None into "" and anything else into str() for these three.
        let credential = || -> Result<String, String> {
            match v {
                Value::Null => Ok(String::new()),
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(untranslatable(k, v, "not a string")),
            }
        };
        a = match k.as_str() {
            "alias" => a.alias(text("a non-string alias")?),
            "uri" => a.uri(text("a non-string uri")?),
            "address" => a.address(text("a non-string address")?),
            "host" => a.host(text("a non-string host")?),
            // A JSON number is an i64 port when `as_i64` gives one.
            "port" => match (v, v.as_i64()) {
                (Value::String(s), _) => a.port(s.as_str()),
                (Value::Number(_), Some(n)) => a.port(n),
                _ => {
                    let why = "a port is a string or an integer in Rust";
                    return Err(untranslatable(k, v, why));
                }
            },
            "user" => a.user(credential()?),
            "password" => a.password(credential()?),
            "token" => a.token(credential()?),
            "db_name" => a.db_name(text("a non-string database name")?),
            "secure" => a.secure(v.as_bool().ok_or_else(|| {
                untranslatable(k, v, "secure is a bool in Rust; pymilvus raises ParamError")
            })?),
            "keep_alive" => a.keep_alive(
                v.as_bool()
                    .ok_or_else(|| untranslatable(k, v, "keep_alive is a bool"))?,
            ),
            "server_pem_path" => a.server_pem_path(text("a non-string path")?),
            "ca_pem_path" => a.ca_pem_path(text("a non-string path")?),
            "client_pem_path" => a.client_pem_path(text("a non-string path")?),
            "client_key_path" => a.client_key_path(text("a non-string path")?),
            "server_name" => a.server_name(text("a non-string server name")?),
            "timeout" => match v {
                Value::String(s) => a.timeout(s.as_str()),
                Value::Number(n) if n.is_u64() => {
                    a.timeout(n.as_u64().ok_or_else(|| untranslatable(k, v, "?"))?)
                }
                Value::Number(n) => a.timeout(n.as_f64().ok_or_else(|| untranslatable(k, v, "?"))?),
                _ => return Err(untranslatable(k, v, "a timeout is a number or a string")),
            },
            _ => {
                return Err(format!(
                    "keyword argument {k}={v} has no ConnectArgs equivalent"
                ));
            }
        };
    }
    Ok((a, given))
}

fn kwargs_of(step: &Value) -> Map<String, Value> {
    step.get("kwargs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn alias_arg(step: &Value) -> Result<Option<String>, String> {
    match step
        .get("args")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(untranslatable("alias", v, "a non-string alias")),
    }
}

// ---------------------------------------------------------------------------------------
// Our side.

/// The environment of one case: a temporary directory laid out as the oracle lays it out
/// (`<tmp>/cwd` holds `files` and `.env`; `package_ancestor` puts `.env` in
/// `<tmp>/pkgroot`, which is not an ancestor of the working directory), and a
/// [`MapEnv`] with the case's variables whose current directory is the case's `cwd`.
pub struct CaseEnv {
    _tmp: tempfile::TempDir,
    cwd: PathBuf,
    env: MapEnv,
}

impl CaseEnv {
    /// Lays out the case's files.
    ///
    /// # Errors
    ///
    /// A message when a file cannot be written, or when an ancestor of the temporary
    /// directory holds a `.env` file (it would be found by the `.env` search).
    pub fn new(input: &Value) -> Result<CaseEnv, String> {
        let tmp = tempfile::Builder::new()
            .prefix("conformance-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        if let Some(stray) = tmp
            .path()
            .ancestors()
            .map(|d| d.join(".env"))
            .find(|p| p.exists())
        {
            return Err(format!(
                "{} exists and would be found by the .env search; remove it or set TMPDIR",
                stray.display()
            ));
        }
        let root = tmp.path().join("cwd");
        let write = |p: &Path, content: &str| -> Result<(), String> {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(p, content).map_err(|e| format!("{}: {e}", p.display()))
        };
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        if let Some(files) = input.get("files").and_then(Value::as_object) {
            for (name, content) in files {
                write(&root.join(name), content.as_str().unwrap_or_default())?;
            }
        }
        if let Some(dotenv) = input.get("dotenv").and_then(Value::as_str) {
            let dir = match input.get("dotenv_mode").and_then(Value::as_str) {
                Some("package_ancestor") => tmp.path().join("pkgroot"),
                _ => root.clone(),
            };
            write(&dir.join(".env"), dotenv)?;
        }
        let cwd = match input.get("cwd").and_then(Value::as_str) {
            Some(sub) => root.join(sub),
            None => root,
        };
        std::fs::create_dir_all(&cwd).map_err(|e| format!("{}: {e}", cwd.display()))?;
        let mut env = MapEnv::new().current_dir(&cwd);
        if let Some(vars) = input.get("env").and_then(Value::as_object) {
            for (k, v) in vars {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                env = env.set(k.clone(), v);
            }
        }
        Ok(CaseEnv {
            _tmp: tmp,
            cwd,
            env,
        })
    }

    /// The working directory of the case.
    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// A resolver over this environment, with the `.env` search from the working directory.
    pub fn resolver(&self) -> Resolver<MapEnv> {
        Resolver::with_env(self.env.clone()).dotenv(DotEnv::Search)
    }
}

/// Our observation of a resolved spec. TLS files are read (relative to the working
/// directory) as the transport reads them; a file that cannot be read fails the step, as it
/// fails the connection.
pub fn observe(spec: &ConnectionSpec, cwd: &Path) -> Outcome {
    let address = match spec.target() {
        Target::Lite(p) => format!("lite:{}", p.display()),
        other => other.address(),
    };
    let authorization = spec.authorization().map(|a| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(a.expose_secret())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let read = |p: &Path| -> Result<String, String> {
        std::fs::read_to_string(cwd.join(p))
            .map_err(|e| format!("cannot read {} (as the transport would): {e}", p.display()))
    };
    let tls = match spec.security().tls() {
        None => None,
        Some(t) => {
            let mut roots = Vec::new();
            for f in t.ca_files() {
                match read(f) {
                    Ok(c) => roots.push(c),
                    Err(e) => return Outcome::Fail(e),
                }
            }
            let client = match t.client_identity() {
                Some(id) => match (read(id.cert_path()), read(id.key_path())) {
                    (Ok(c), Ok(k)) => Some((c, k)),
                    (Err(e), _) | (_, Err(e)) => return Outcome::Fail(e),
                },
                None => None,
            };
            Some(TlsView {
                roots,
                client,
                server_name: t.server_name().map(str::to_owned),
            })
        }
    };
    Outcome::Ok(Box::new(Observation {
        alias: Some(spec.alias().as_str().to_owned()),
        address: Some(address),
        secure: Some(spec.is_secure()),
        db: Some(spec.db_name().as_str().to_owned()),
        user: Some(spec.auth().user().unwrap_or_default().to_owned()),
        authorization: Some(authorization),
        tls: Some(tls),
        timeout: Some(spec.timeout().as_secs_f64()),
    }))
}

/// Our model of the alias registry (docs/registry.md) over conn-config.
struct Registry<'a> {
    case_env: &'a CaseEnv,
    resolver: Resolver<MapEnv>,
    stored: BTreeMap<String, ConnectArgs>,
    connected: BTreeMap<String, ConnectionSpec>,
    /// The default alias as the environment names it (`MILVUS_CONN_ALIAS`, else `default`).
    default_alias: String,
}

impl<'a> Registry<'a> {
    fn new(case_env: &'a CaseEnv, input: &Value) -> Self {
        let default_alias = input
            .get("env")
            .and_then(|e| e.get("MILVUS_CONN_ALIAS"))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("default")
            .to_owned();
        Registry {
            case_env,
            resolver: case_env.resolver(),
            stored: BTreeMap::new(),
            connected: BTreeMap::new(),
            default_alias,
        }
    }

    fn connect(&mut self, args: ConnectArgs, given: bool) -> Outcome {
        let alias = args
            .alias_name()
            .map_or_else(|| self.default_alias.clone(), str::to_owned);
        let spec = match self
            .resolver
            .resolve_with_stored(&args, self.stored.get(&alias))
        {
            Ok(spec) => spec,
            Err(e) => return Outcome::Fail(e.to_string()),
        };
        if let Some(live) = self.connected.get(&alias) {
            let diff = live.differences(&spec);
            if !diff.is_empty() {
                let fields: Vec<&str> = diff.iter().map(|f| f.as_str()).collect();
                return Outcome::Fail(format!(
                    "alias {alias:?} is connected with a different configuration ({})",
                    fields.join(", ")
                ));
            }
        }
        let outcome = observe(&spec, self.case_env.cwd());
        if matches!(outcome, Outcome::Ok(_)) {
            if given || !self.stored.contains_key(&alias) {
                self.stored.insert(alias.clone(), args);
            }
            self.connected.insert(alias, spec);
        }
        outcome
    }

    fn add_connection(&mut self, alias: &str, args: ConnectArgs) -> Outcome {
        let args = args.alias(alias);
        match self
            .resolver
            .resolve_with_stored(&ConnectArgs::new().alias(alias), Some(&args))
        {
            Ok(_) => {
                self.stored.insert(alias.to_owned(), args);
                Outcome::Ok(Box::default())
            }
            Err(e) => Outcome::Fail(e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// pymilvus's side.

fn bytes_field(v: &Value) -> Option<String> {
    v.get("$bytes").and_then(Value::as_str).map(str::to_owned)
}

/// pymilvus 3.0.2's outcome of one recorded step (a `connect`, or an `add_connection` for
/// which only success or failure is compared).
fn pymilvus_step(step_result: &Value) -> Outcome {
    if step_result["ok"] != Value::Bool(true) {
        let e = &step_result["error"];
        let msg = e
            .get("message")
            .or_else(|| e.get("str"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let ty = e["type"].as_str().unwrap_or("?");
        return Outcome::Fail(format!("{ty}: {msg}"));
    }
    if step_result["op"] != "connect" {
        return Outcome::Ok(Box::default());
    }
    let init = step_result["grpc_handler_init"]
        .as_array()
        .and_then(|a| a.last())
        .map(|i| &i["kwargs"]);
    let handler = &step_result["handler"];
    let lite = step_result["milvus_lite_calls"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|c| c["path"].as_str());
    let address = match lite {
        Some(path) => Some(format!("lite:{path}")),
        None => handler["address"]
            .as_str()
            .or_else(|| init.and_then(|i| i["address"].as_str()))
            .map(str::to_owned),
    };
    let secure = handler["secure"].as_bool();
    let db = init.and_then(|i| i["db_name"].as_str()).map(str::to_owned);
    let user = match step_result["wire"].as_array() {
        Some(wire) => wire
            .iter()
            .find(|w| w["rpc"] == "Connect")
            .map(|w| w["client_info"]["user"].as_str().unwrap_or("").to_owned()),
        None => handler["user"].as_str().map(str::to_owned),
    };
    let authorization = Some(
        step_result["headers_summary"]["authorization"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|h| h["b64decoded"].as_str())
            .map(str::to_owned),
    );
    let tls = match secure {
        Some(true) => {
            let creds = step_result["tls_credentials"]
                .as_array()
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or(Value::Null);
            let server_name = step_result["channels"]
                .as_array()
                .and_then(|c| c.first())
                .and_then(|c| c["options"].as_array())
                .and_then(|opts| {
                    opts.iter()
                        .find(|o| o[0] == "grpc.ssl_target_name_override")
                        .and_then(|o| o[1].as_str())
                        .map(str::to_owned)
                });
            let client = match (
                bytes_field(&creds["certificate_chain"]),
                bytes_field(&creds["private_key"]),
            ) {
                (Some(c), Some(k)) => Some((c, k)),
                _ => None,
            };
            Some(Some(TlsView {
                roots: bytes_field(&creds["root_certificates"])
                    .into_iter()
                    .collect(),
                client,
                server_name,
            }))
        }
        Some(false) => Some(None),
        None => None,
    };
    let timeout = step_result["wait_for_channel_ready"]
        .as_array()
        .and_then(|a| a.first())
        .and_then(|w| w["kwargs"]["timeout"].as_f64());
    Outcome::Ok(Box::new(Observation {
        alias: step_result["alias"].as_str().map(str::to_owned),
        address,
        secure,
        db,
        user,
        authorization,
        tls,
        timeout,
    }))
}

/// pymilvus's import-time state, as the `connect()` with no arguments that it feeds:
/// the default alias (`MILVUS_CONN_ALIAS`), its address and user, and the timeout.
fn pymilvus_import_state(r: &Value) -> Outcome {
    if let Some(e) = r.get("import_error") {
        let msg = e
            .get("message")
            .or_else(|| e.get("str"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Outcome::Fail(format!(
            "import pymilvus: {}: {msg}",
            e["type"].as_str().unwrap_or("?")
        ));
    }
    let alias = r["config"]["MILVUS_CONN_ALIAS"].as_str().map(str::to_owned);
    let stored = alias
        .as_deref()
        .map(|a| &r["initial_registry"]["alias_config"][a]);
    Outcome::Ok(Box::new(Observation {
        address: stored
            .and_then(|s| s["address"].as_str())
            .map(str::to_owned),
        user: stored.and_then(|s| s["user"].as_str()).map(str::to_owned),
        timeout: r["config"]["MILVUS_CONN_TIMEOUT"].as_f64(),
        alias,
        ..Observation::default()
    }))
}

// ---------------------------------------------------------------------------------------
// Replaying a case.

/// Replays a case: decides whether it applies and, if so, computes both outcomes of every
/// compared step.
///
/// # Errors
///
/// A message when the case's environment cannot be laid out, or pymilvus's result is
/// missing.
pub fn replay(case: &Case) -> Result<Replay, String> {
    let kind = match kind(case) {
        Ok(k) => k,
        Err(reason) => return Ok(Replay::NotApplicable(reason)),
    };
    let r3 = case.result3();
    if !r3.is_object() {
        return Err(format!("{}: no pymilvus 3 result recorded", case.name));
    }
    if r3.get("child_failed").is_some() {
        return Err(format!("{}: the oracle's child process failed", case.name));
    }
    let case_env = CaseEnv::new(&case.input)?;
    if kind == Kind::ImportState {
        let ours = match case_env.resolver().resolve(&ConnectArgs::new()) {
            Ok(spec) => observe(&spec, case_env.cwd()),
            Err(e) => Outcome::Fail(e.to_string()),
        };
        return Ok(Replay::Compared(vec![StepComparison {
            index: None,
            op: "connect() implied by the import-time configuration".into(),
            input: Value::Object(Map::new()),
            pymilvus: pymilvus_import_state(r3),
            ours,
        }]));
    }
    // Translate every step first: a case with any input that has no Rust equivalent is not
    // applicable as a whole.
    let steps = case.steps();
    let plans = match steps.iter().map(plan).collect::<Result<Vec<_>, _>>() {
        Ok(p) => p,
        Err(reason) => return Ok(Replay::NotApplicable(reason)),
    };
    let recorded = r3["steps"].as_array().cloned().unwrap_or_default();
    let import_failed = r3.get("import_error").map(|_| pymilvus_import_state(r3));
    let mut registry = Registry::new(&case_env, &case.input);
    let mut out = Vec::new();
    for (i, (step, plan)) in steps.iter().zip(plans).enumerate() {
        let ours = match plan {
            Plan::Connect(args, given) => registry.connect(*args, given),
            Plan::AddConnection(entries) => {
                let mut last = Outcome::Ok(Box::default());
                for (alias, args) in entries {
                    last = registry.add_connection(&alias, args);
                    if matches!(last, Outcome::Fail(_)) {
                        break;
                    }
                }
                last
            }
            Plan::Disconnect(alias) => {
                registry.connected.remove(&alias);
                continue;
            }
            Plan::Remove(alias) => {
                registry.connected.remove(&alias);
                registry.stored.remove(&alias);
                continue;
            }
            Plan::Ignore => continue,
        };
        let pymilvus = match (&import_failed, recorded.get(i)) {
            (Some(f), _) => f.clone(),
            (None, Some(r)) => pymilvus_step(r),
            (None, None) => return Err(format!("{}: step {i} not recorded", case.name)),
        };
        out.push(StepComparison {
            index: Some(i),
            op: step["op"].as_str().unwrap_or("?").to_owned(),
            input: step.get("kwargs").cloned().unwrap_or(Value::Null),
            pymilvus,
            ours,
        });
    }
    Ok(Replay::Compared(out))
}

/// What our side does for one step.
enum Plan {
    /// `connect(**kwargs)`: the arguments, and whether anything besides the alias is given.
    Connect(Box<ConnectArgs>, bool),
    /// `add_connection(alias=config, ...)`.
    AddConnection(Vec<(String, ConnectArgs)>),
    /// `disconnect(alias)`.
    Disconnect(String),
    /// `remove_connection(alias)`.
    Remove(String),
    /// A step that reads state only, or a MilvusClient step: not compared.
    Ignore,
}

/// The plan of one step; the error is a not-applicable reason.
fn plan(step: &Value) -> Result<Plan, String> {
    let op = step["op"].as_str().unwrap_or("?");
    let mut kwargs = kwargs_of(step);
    match op {
        "connect" => (|| {
            if let Some(a) = alias_arg(step)? {
                kwargs.insert("alias".into(), Value::String(a));
            }
            let (args, given) = translate(&kwargs)?;
            Ok(Plan::Connect(Box::new(args), given))
        })(),
        "add_connection" => (|| {
            let mut entries = Vec::new();
            for (alias, cfg) in &kwargs {
                let cfg = cfg
                    .as_object()
                    .ok_or_else(|| untranslatable(alias, cfg, "a non-dict configuration"))?;
                let (args, _) = translate(cfg)?;
                entries.push((alias.clone(), args));
            }
            Ok(Plan::AddConnection(entries))
        })(),
        "disconnect" | "remove_connection" => match alias_arg(step) {
            Ok(Some(a)) if op == "disconnect" => Ok(Plan::Disconnect(a)),
            Ok(Some(a)) => Ok(Plan::Remove(a)),
            Ok(None) => Err(format!("{op} without an alias")),
            Err(e) => Err(e),
        },
        _ => Ok(Plan::Ignore),
    }
}
