//! Property tests: well-formed inputs resolve and round-trip; arbitrary strings in any
//! argument, environment variable or `.env` line never make resolution panic; errors and
//! `Debug` output never show a secret.
//!
//! The invariants themselves live in the unpublished `conn-testkit` crate and
//! are shared with the fuzz targets in `fuzz/`. Case counts are fixed per property (see
//! [`ROUND_TRIP_CASES`] and the others) and sized so that each property runs in a few
//! seconds in a debug build; failures are persisted in `proptest-regressions/properties.txt`
//! (relative to this crate) and replayed first on every run.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use conn_config::{
    ConnectArgs, ConnectionSpec, DotEnv, Error, Errors, Host, MapEnv, Port, Resolver, Target,
};
use conn_testkit::{
    DotEnvLineKind, MARKER, check_args_redacted, check_dotenv_lines, check_dotenv_parse,
    check_resolution, checkable_secrets, split_uri_password,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Cases of `well_formed_inputs_resolve_and_round_trip`.
const ROUND_TRIP_CASES: u32 = 2048;
/// Cases of `arbitrary_arguments_and_variables_never_panic`.
const ARBITRARY_ARGS_CASES: u32 = 2048;
/// Cases of `arbitrary_dotenv_files_never_panic` (each writes a real file).
const DOTENV_CASES: u32 = 1024;
/// Cases of `secrets_in_malformed_uris_never_leak`.
const SECRET_CASES: u32 = 2048;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Encoding helpers.

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes a string with random ASCII case.
fn mixed_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Well-formed inputs.

/// A host as written, and the host it must resolve to.
#[derive(Debug, Clone)]
struct HostCase {
    written: String,
    /// Written with brackets where a URI or address needs them.
    in_uri: String,
    expected: Host,
}

fn domain() -> impl Strategy<Value = (String, String)> {
    (
        proptest::collection::vec("[a-zA-Z][a-zA-Z0-9-]{0,8}", 1..4),
        any::<u64>(),
    )
        .prop_filter("xn-- labels are punycode", |(labels, _)| {
            labels
                .iter()
                .all(|l| !l.to_ascii_lowercase().starts_with("xn"))
        })
        .prop_map(|(labels, mask)| {
            let d = labels.join(".");
            let written = mixed_case(&d, mask);
            (written, d.to_ascii_lowercase())
        })
}

fn host() -> impl Strategy<Value = HostCase> {
    prop_oneof![
        domain().prop_map(|(written, lower)| HostCase {
            in_uri: written.clone(),
            written,
            expected: Host::parse(&lower).expect("a valid domain"),
        }),
        any::<u64>().prop_map(|mask| {
            let w = mixed_case("localhost", mask);
            HostCase {
                in_uri: w.clone(),
                written: w,
                expected: Host::localhost(),
            }
        }),
        any::<[u8; 4]>().prop_map(|o| {
            let ip = Ipv4Addr::from(o);
            HostCase {
                written: ip.to_string(),
                in_uri: ip.to_string(),
                expected: Host::from(ip),
            }
        }),
        (any::<[u16; 8]>(), any::<bool>(), any::<u64>()).prop_map(|(segs, full, mask)| {
            let ip = Ipv6Addr::from(segs);
            let text = if full {
                mixed_case(
                    &segs
                        .iter()
                        .map(|s| format!("{s:x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                    mask,
                )
            } else {
                ip.to_string()
            };
            HostCase {
                in_uri: format!("[{text}]"),
                written: text,
                expected: Host::from(ip),
            }
        }),
    ]
}

/// A port as written (maybe with leading zeros), and its value.
fn port() -> impl Strategy<Value = (String, u16)> {
    (1u16..=65535, 0usize..3).prop_map(|(p, zeros)| (format!("{}{p}", "0".repeat(zeros)), p))
}

/// Printable text for user names, passwords and databases: reserved characters included.
fn printable(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[a-zA-Z0-9._~!$&'()*+,;=:@/?#%\\[\\] -]{{{min},{max}}}"
    ))
    .expect("valid regex")
}

/// A password or token: the marker, then printable text (non-ASCII included).
fn secret() -> impl Strategy<Value = String> {
    (printable(0, 12), "[é€😀]{0,2}").prop_map(|(a, b)| format!("{MARKER}{a}{b}"))
}

/// Where the target comes from.
#[derive(Debug, Clone)]
enum TargetCase {
    Uri {
        scheme: String,
        https: bool,
        userinfo: Option<(String, String)>,
        host: HostCase,
        port: Option<(String, u16)>,
        db: Option<String>,
        tail: String,
        /// 0: `uri` argument, 1: `MILVUS_URI`, 2: `MILVUS_DEFAULT_CONNECTION`.
        source: u8,
    },
    Address {
        host: HostCase,
        port: (String, u16),
    },
    HostPort {
        host: Option<HostCase>,
        port: Option<(String, u16)>,
    },
    Unix {
        prefix: String,
        path: String,
    },
    Lite {
        path: String,
    },
}

fn target() -> impl Strategy<Value = TargetCase> {
    let uri = (
        prop_oneof![Just("http"), Just("https"), Just("tcp"), Just("grpc")],
        any::<u64>(),
        proptest::option::of((
            "[a-zA-Z0-9._~!$&'()*+,;=@ é-]{1,10}".prop_map(String::from),
            secret(),
        )),
        host(),
        proptest::option::of(port()),
        // "." and ".." are dot-segments, which URI path normalisation removes.
        proptest::option::of(
            "[a-zA-Z0-9_.~!$&'()*+,;=:@ -]{1,12}"
                .prop_filter("dot-segment", |d| d != "." && d != ".."),
        ),
        prop_oneof![
            Just(String::new()),
            Just("/coll".to_owned()),
            Just("?x=1".to_owned()),
            Just("#frag".to_owned()),
            Just("/c?q=/@x#f".to_owned()),
        ],
        0u8..3,
    )
        .prop_map(
            |(scheme, mask, userinfo, host, port, db, tail, source)| TargetCase::Uri {
                scheme: mixed_case(scheme, mask),
                https: scheme == "https",
                userinfo,
                host,
                port,
                db,
                tail,
                source,
            },
        );
    prop_oneof![
        4 => uri,
        1 => (host(), port()).prop_map(|(host, port)| TargetCase::Address { host, port }),
        // At least one of the two: with neither, the target is the default one, which
        // belongs to the default alias only.
        1 => (proptest::option::of(host()), proptest::option::of(port()))
            .prop_filter("host or port", |(h, p)| h.is_some() || p.is_some())
            .prop_map(|(host, port)| TargetCase::HostPort { host, port }),
        1 => (
            prop_oneof![Just("unix:"), Just("UNIX:"), Just("unix://")],
            "/[a-zA-Z0-9_./-]{1,20}",
        )
            .prop_map(|(prefix, path)| TargetCase::Unix {
                prefix: prefix.to_owned(),
                path,
            }),
        1 => "[a-zA-Z0-9_./-]{0,15}".prop_map(|p| TargetCase::Lite {
            path: format!("{p}milvus.db")
        }),
    ]
}

/// TLS settings: (server_pem, ca_pem, client pair, server_name).
type TlsCase = (
    Option<String>,
    Option<String>,
    Option<(String, String)>,
    Option<String>,
);

/// The rest of the explicit arguments.
#[derive(Debug, Clone)]
struct Extras {
    alias: Option<String>,
    credentials: Option<(String, String)>,
    token: Option<String>,
    db_name: Option<String>,
    secure: Option<bool>,
    tls: TlsCase,
    timeout: Option<String>,
    keep_alive: Option<bool>,
}

fn extras() -> impl Strategy<Value = Extras> {
    let path = || proptest::option::of("/[a-z0-9_./-]{1,16}\\.pem".prop_map(String::from));
    (
        proptest::option::of("[a-zA-Z][a-zA-Z0-9_ -]{0,10}[a-zA-Z0-9]".prop_map(String::from)),
        proptest::option::of(("[a-zA-Z0-9_.@-]{1,10}".prop_map(String::from), secret())),
        proptest::option::of(secret()),
        proptest::option::of(
            "[a-zA-Z0-9_][a-zA-Z0-9_. -]{0,10}[a-zA-Z0-9_]".prop_map(String::from),
        ),
        proptest::option::of(any::<bool>()),
        (
            path(),
            path(),
            proptest::option::of(("/[a-z]{1,8}\\.pem", "/[a-z]{1,8}\\.key")),
            // A DNS name: labels neither start nor end with '-' (server_name's rule).
            proptest::option::of(
                "[a-z]([a-z0-9-]{0,5}[a-z0-9])?(\\.[a-z]([a-z0-9-]{0,5}[a-z0-9])?){0,2}"
                    .prop_map(String::from),
            ),
        ),
        proptest::option::of(prop_oneof![
            // Up to a day, the limit.
            (1u32..=86_400).prop_map(|s| s.to_string()),
            (0u32..1000, 1u32..1_000_000_000)
                .prop_map(|(s, n)| format!("{s}.{}", format!("{n:09}").trim_end_matches('0'))),
        ]),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(alias, credentials, token, db_name, secure, tls, timeout, keep_alive)| Extras {
                alias,
                credentials,
                token,
                db_name,
                secure,
                tls,
                timeout,
                keep_alive,
            },
        )
}

/// A well-formed case: the arguments, the environment, and what must come out.
struct Built {
    args: ConnectArgs,
    env: MapEnv,
    target: Target,
    db: String,
    secure: bool,
    secrets: Vec<String>,
    public: Vec<String>,
}

fn build(t: &TargetCase, x: &Extras) -> Built {
    let mut args = ConnectArgs::new();
    let mut env = MapEnv::new();
    let mut secrets = Vec::new();
    let mut public = Vec::new();
    let mut uri_db = None;
    let mut https = false;
    let target = match t {
        TargetCase::Uri {
            scheme,
            https: is_https,
            userinfo,
            host,
            port,
            db,
            tail,
            source,
        } => {
            https = *is_https;
            let ui = match userinfo {
                Some((u, p)) => {
                    secrets.push(p.clone());
                    public.push(u.clone());
                    format!("{}:{}@", encode(u), encode(p))
                }
                None => String::new(),
            };
            let port_text = port
                .as_ref()
                .map(|(w, _)| format!(":{w}"))
                .unwrap_or_default();
            let path = db
                .as_ref()
                .map(|d| format!("/{}", encode(d)))
                .unwrap_or_default();
            // The database is trimmed like every value; a blank one is not given.
            uri_db = db
                .as_deref()
                .map(|d| d.trim_matches([' ', '\t', '\r', '\n']).to_owned())
                .filter(|d| !d.is_empty());
            // A tail that starts a path would name the database when the URI has none.
            let tail = if db.is_none() && tail.starts_with('/') {
                ""
            } else {
                tail
            };
            let uri = format!("{scheme}://{ui}{}{port_text}{path}{tail}", host.in_uri);
            public.push(split_uri_password(&uri, false).1);
            match source {
                0 => args = args.uri(uri),
                1 => env = env.set("MILVUS_URI", uri),
                _ => env = env.set("MILVUS_DEFAULT_CONNECTION", uri),
            }
            let default_port = if https { Port::HTTPS } else { Port::MILVUS };
            Target::Tcp {
                host: host.expected.clone(),
                port: port
                    .as_ref()
                    .and_then(|(_, p)| Port::new(*p))
                    .unwrap_or(default_port),
            }
        }
        TargetCase::Address { host, port } => {
            let a = format!("{}:{}", host.in_uri, port.0);
            public.push(a.clone());
            args = args.address(a);
            Target::Tcp {
                host: host.expected.clone(),
                port: Port::new(port.1).expect("non-zero"),
            }
        }
        TargetCase::HostPort { host, port } => {
            if let Some(h) = host {
                public.push(h.written.clone());
                args = args.host(h.written.clone());
            }
            if let Some((w, _)) = port {
                public.push(w.clone());
                args = args.port(w.as_str());
            }
            Target::Tcp {
                host: host
                    .as_ref()
                    .map_or_else(Host::localhost, |h| h.expected.clone()),
                port: port
                    .as_ref()
                    .and_then(|(_, p)| Port::new(*p))
                    .unwrap_or(Port::MILVUS),
            }
        }
        TargetCase::Unix { prefix, path } => {
            public.push(path.clone());
            let written = if prefix == "unix://" {
                format!("unix://{path}")
            } else {
                format!("{prefix}{path}")
            };
            args = args.uri(written);
            Target::Unix(PathBuf::from(path))
        }
        TargetCase::Lite { path } => {
            public.push(path.clone());
            args = args.uri(path.clone());
            Target::Lite(PathBuf::from(path))
        }
    };
    // A public text argument: shown in outputs legitimately, so kept out of the secrets.
    let public_arg = |args: ConnectArgs,
                      public: &mut Vec<String>,
                      v: &Option<String>,
                      set: fn(ConnectArgs, String) -> ConnectArgs| match v {
        Some(v) => {
            public.push(v.clone());
            set(args, v.clone())
        }
        None => args,
    };
    args = public_arg(args, &mut public, &x.alias, ConnectArgs::alias);
    if let Some((u, p)) = &x.credentials {
        public.push(u.clone());
        secrets.push(p.clone());
        args = args.user(u.clone()).password(p.clone());
    }
    if let Some(tok) = &x.token {
        secrets.push(tok.clone());
        args = args.token(tok.clone());
    }
    args = public_arg(args, &mut public, &x.db_name, ConnectArgs::db_name);
    // `secure=false` with https or a TLS setting is an error: keep the case well-formed.
    let (server_pem, ca_pem, client, server_name) = &x.tls;
    let any_tls =
        server_pem.is_some() || ca_pem.is_some() || client.is_some() || server_name.is_some();
    let secure = match x.secure {
        Some(false) if https || any_tls => None,
        other => other,
    };
    if let Some(s) = secure {
        args = args.secure(s);
    }
    args = public_arg(args, &mut public, server_pem, ConnectArgs::server_pem_path);
    args = public_arg(args, &mut public, ca_pem, ConnectArgs::ca_pem_path);
    args = public_arg(args, &mut public, server_name, ConnectArgs::server_name);
    if let Some((c, k)) = client {
        public.push(c.clone());
        public.push(k.clone());
        args = args.client_pem_path(c.clone()).client_key_path(k.clone());
    }
    args = public_arg(args, &mut public, &x.timeout, |a, t| a.timeout(t));
    if let Some(k) = x.keep_alive {
        args = args.keep_alive(k);
    }
    let db = x
        .db_name
        .clone()
        .or_else(|| uri_db.clone())
        .unwrap_or_else(|| "default".to_owned());
    Built {
        args,
        env,
        target,
        db,
        secure: secure == Some(true) || https || any_tls,
        secrets,
        public,
    }
}

fn resolver(env: MapEnv) -> Resolver<MapEnv> {
    Resolver::with_env(env).dotenv(DotEnv::Disabled)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

proptest! {
    #![proptest_config(config(ROUND_TRIP_CASES))]

    /// Structured, well-formed inputs (hosts of every kind in any case, ports with leading
    /// zeros, userinfo and databases with reserved characters percent-encoded, every scheme
    /// in any case, `unix:` and `.db` targets, TLS settings, credentials, timeouts) resolve
    /// to what they say, and the spec rendered back to arguments resolves to the same spec.
    #[test]
    fn well_formed_inputs_resolve_and_round_trip(t in target(), x in extras()) {
        let b = build(&t, &x);
        let result = resolver(b.env.clone()).resolve(&b.args);
        let spec = match &result {
            Ok(spec) => spec,
            Err(e) => return Err(TestCaseError::fail(format!("{:?} did not resolve: {e}", b.args))),
        };
        prop_assert_eq!(spec.target(), &b.target);
        prop_assert_eq!(spec.db_name().as_str(), b.db.as_str());
        prop_assert_eq!(spec.is_secure(), b.secure);
        let secrets = checkable_secrets(&strs(&b.secrets), &strs(&b.public));
        check_resolution(&result, &secrets);
    }
}

// ---------------------------------------------------------------------------------------
// Arbitrary strings.

/// URI-ish tokens, glued together by the `soup` strategy.
const TOKENS: &[&str] = &[
    "http://",
    "HTTPS://",
    "tcp://",
    "grpc://",
    "ftp://",
    "unix:",
    "unix:///",
    ".db",
    "@",
    ":",
    "[",
    "]",
    "::1",
    "::ffff:1.2.3.4",
    "%",
    "%40",
    "%zz",
    "%ff",
    "%0A",
    "/",
    "//",
    "?",
    "#",
    "localhost",
    "LocalHost",
    "19530",
    "0",
    "65536",
    "99999999999",
    "127.0.0.1",
    "xn--",
    "é",
    "€",
    "😀",
    " ",
    "\t",
    "\r\n",
    "\u{0}",
    "\u{7f}",
    "\u{a0}",
    "QzX",
    "${A}",
    "$",
    "\"",
    "'",
    "\\",
    "=",
    "export ",
    "MILVUS_URI",
    "1e400",
    "-1",
    ".5",
    "NaN",
    "inf",
];

fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 0..8).prop_map(|t| t.concat())
}

/// Any string: unconstrained Unicode, URI-ish token soup, or short ASCII with controls.
fn wild() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), soup(), "[ -~\t\r\n\u{0}\u{1b}é]{0,24}",]
}

fn opt_wild() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.4, wild())
}

/// Every string argument of `connect()`, and the two booleans.
#[derive(Debug, Clone)]
struct WildArgs {
    text: Vec<Option<String>>,
    secure: Option<bool>,
    keep_alive: Option<bool>,
}

/// The string arguments, in the order `WildArgs::text` holds them; password and token are
/// the secrets.
const ARG_NAMES: [&str; 15] = [
    "alias",
    "uri",
    "address",
    "host",
    "port",
    "user",
    "password",
    "token",
    "db_name",
    "server_pem_path",
    "ca_pem_path",
    "client_pem_path",
    "client_key_path",
    "server_name",
    "timeout",
];

fn wild_args() -> impl Strategy<Value = WildArgs> {
    (
        proptest::collection::vec(opt_wild(), ARG_NAMES.len()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(text, secure, keep_alive)| WildArgs {
            text,
            secure,
            keep_alive,
        })
}

impl WildArgs {
    fn to_args(&self) -> ConnectArgs {
        let mut a = ConnectArgs::new();
        for (name, v) in ARG_NAMES.iter().zip(&self.text) {
            let Some(v) = v.clone() else { continue };
            a = match *name {
                "alias" => a.alias(v),
                "uri" => a.uri(v),
                "address" => a.address(v),
                "host" => a.host(v),
                "port" => a.port(v),
                "user" => a.user(v),
                "password" => a.password(v),
                "token" => a.token(v),
                "db_name" => a.db_name(v),
                "server_pem_path" => a.server_pem_path(v),
                "ca_pem_path" => a.ca_pem_path(v),
                "client_pem_path" => a.client_pem_path(v),
                "client_key_path" => a.client_key_path(v),
                "server_name" => a.server_name(v),
                _ => a.timeout(v),
            };
        }
        if let Some(s) = self.secure {
            a = a.secure(s);
        }
        if let Some(k) = self.keep_alive {
            a = a.keep_alive(k);
        }
        a
    }

    /// Adds the values to `secrets` or `public`; a URI's password is a secret.
    fn classify(&self, secrets: &mut Vec<String>, public: &mut Vec<String>) {
        for (name, v) in ARG_NAMES.iter().zip(&self.text) {
            let Some(v) = v else { continue };
            match *name {
                "password" | "token" => secrets.push(v.clone()),
                "uri" => classify_uri(v, secrets, public),
                _ => public.push(v.clone()),
            }
        }
    }
}

fn classify_uri(v: &str, secrets: &mut Vec<String>, public: &mut Vec<String>) {
    let (password, rest) = split_uri_password(v, false);
    if let Some(p) = password {
        secrets.push(p.to_owned());
    }
    public.push(rest);
}

const VARS: [&str; 6] = [
    "MILVUS_URI",
    "MILVUS_DEFAULT_CONNECTION",
    "MILVUS_CONN_ALIAS",
    "MILVUS_CONN_TIMEOUT",
    "MILVUS_TOKEN",
    "MILVUS_DB_NAME",
];

/// The environment: each variable maybe set (maybe to a non-Unicode value).
fn wild_env() -> impl Strategy<Value = Vec<Option<Result<String, Vec<u8>>>>> {
    proptest::collection::vec(
        proptest::option::weighted(
            0.3,
            prop_oneof![
                9 => wild().prop_map(Ok),
                1 => Just(Err(vec![b'h', 0xff, 0xfe])),
            ],
        ),
        VARS.len(),
    )
}

fn to_env(
    values: &[Option<Result<String, Vec<u8>>>],
    secrets: &mut Vec<String>,
    public: &mut Vec<String>,
) -> MapEnv {
    use std::os::unix::ffi::OsStringExt as _;
    let mut env = MapEnv::new();
    for (name, v) in VARS.iter().zip(values) {
        match v {
            None => {}
            Some(Ok(s)) => {
                match *name {
                    "MILVUS_TOKEN" => secrets.push(s.clone()),
                    "MILVUS_URI" | "MILVUS_DEFAULT_CONNECTION" => classify_uri(s, secrets, public),
                    _ => public.push(s.clone()),
                }
                env = env.set(*name, s.clone());
            }
            Some(Err(bytes)) => {
                env = env.set(*name, std::ffi::OsString::from_vec(bytes.clone()));
            }
        }
    }
    env
}

proptest! {
    #![proptest_config(config(ARBITRARY_ARGS_CASES))]

    /// Arbitrary strings in every argument (explicit and stored) and every variable never
    /// make resolution panic; a success satisfies the spec invariants and round-trips, a
    /// failure is a well-formed, non-empty error list; neither shows a secret.
    #[test]
    fn arbitrary_arguments_and_variables_never_panic(
        args in wild_args(),
        stored in proptest::option::weighted(0.2, wild_args()),
        env in wild_env(),
    ) {
        let mut secrets = Vec::new();
        let mut public = Vec::new();
        args.classify(&mut secrets, &mut public);
        if let Some(s) = &stored {
            s.classify(&mut secrets, &mut public);
        }
        let env = to_env(&env, &mut secrets, &mut public);
        let explicit = args.to_args();
        let stored_args = stored.as_ref().map(WildArgs::to_args);
        let result = resolver(env).resolve_with_stored(&explicit, stored_args.as_ref());
        let checkable = checkable_secrets(&strs(&secrets), &strs(&public));
        check_resolution(&result, &checkable);
    }
}

// ---------------------------------------------------------------------------------------
// Long and odd values, around every limit.

/// Cases of `long_values_are_bounded` (each builds values of up to 64 KiB).
const LONG_CASES: u32 = 256;

/// A value built to sit around a limit: a prefix, a piece repeated to about `len` bytes
/// (63/64 for a label, 253/254 for a host, 65536/65537 for any value, or anything up
/// to 300), and a suffix.
fn long_value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a"),
        Just("a."),
        Just("."),
        Just("9"),
        Just("0"),
        Just("é"),
        Just("-"),
        Just("_"),
        Just("xn--"),
        Just("{}"),
        Just("%41"),
        Just("😀"),
        Just("\u{ad}"),
        Just(" "),
    ];
    let len = prop_oneof![
        Just(62usize),
        Just(63),
        Just(64),
        Just(252),
        Just(253),
        Just(254),
        Just(65_535),
        Just(65_536),
        Just(65_537),
        0usize..300,
        65_400usize..65_700,
    ];
    let prefix = prop_oneof![
        Just(""),
        Just("http://"),
        Just("tcp://u:QzXp@"),
        Just("unix:"),
        Just("86400."),
        Just("1e"),
        Just("a.")
    ];
    let suffix = prop_oneof![Just(""), Just(":1"), Just(".db"), Just("/db"), Just("b")];
    (prefix, piece, len, suffix).prop_map(|(prefix, piece, len, suffix)| {
        let mut v = String::with_capacity(len + 16);
        v.push_str(prefix);
        while v.len() < len {
            v.push_str(piece);
        }
        v.push_str(suffix);
        v
    })
}

proptest! {
    #![proptest_config(config(LONG_CASES))]

    /// Long and odd values in any argument or variable never make resolution panic; a
    /// success holds every value within its limit (`check_limits`, part of
    /// `check_resolution`); a value over 64 KiB is reported by its length; no message
    /// echoes a long value (each stays under 1 KiB).
    #[test]
    fn long_values_are_bounded(
        value in long_value(),
        place in 0usize..(ARG_NAMES.len() + VARS.len()),
        second in proptest::option::of((long_value(), 0usize..(ARG_NAMES.len() + VARS.len()))),
    ) {
        let mut args = WildArgs { text: vec![None; ARG_NAMES.len()], secure: None, keep_alive: None };
        let mut env = vec![None; VARS.len()];
        let mut put = |v: &String, p: usize| {
            if p < ARG_NAMES.len() {
                args.text[p] = Some(v.clone());
            } else {
                env[p - ARG_NAMES.len()] = Some(Ok(v.clone()));
            }
        };
        put(&value, place);
        if let Some((v, p)) = &second {
            put(v, *p);
        }
        let mut secrets = Vec::new();
        let mut public = Vec::new();
        args.classify(&mut secrets, &mut public);
        let env = to_env(&env, &mut secrets, &mut public);
        let result = resolver(env).resolve(&args.to_args());
        let checkable = checkable_secrets(&strs(&secrets), &strs(&public));
        check_resolution(&result, &checkable);
        if let Err(errors) = &result {
            for e in errors {
                let text = e.to_string();
                prop_assert!(text.len() < 1024, "a message of {} bytes: {}", text.len(), &text[..200]);
                if let Error::ValueTooLong { len, .. } = e {
                    prop_assert!(*len > ConnectArgs::MAX_VALUE_LEN);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Arbitrary `.env` files.

/// The reference classification of a logical `.env` line: dotenvy 0.15's.
fn dotenvy_kind(text: &str) -> DotEnvLineKind {
    match dotenvy::from_read_iter(text.as_bytes()).next() {
        None => DotEnvLineKind::Skipped,
        Some(Ok((key, _))) => DotEnvLineKind::Assignment(key),
        Some(Err(_)) => DotEnvLineKind::Error,
    }
}

/// One line of a `.env` file.
fn dotenv_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => proptest::sample::select(&VARS[..]).prop_map(str::to_owned),
        1 => "[A-Z_][A-Z0-9_.]{0,8}",
    ];
    let assignment = (
        prop_oneof![Just(""), Just("export "), Just("  "), Just("export\t")],
        key,
        prop_oneof![Just("="), Just(" = "), Just("=\t")],
        prop_oneof![Just(""), Just("'"), Just("\"")],
        wild(),
        prop_oneof![Just(""), Just(" # comment"), Just(" ")],
    )
        .prop_map(|(export, key, eq, quote, value, tail)| {
            format!("{export}{key}{eq}{quote}{value}{quote}{tail}")
        });
    prop_oneof![
        6 => assignment,
        2 => wild(),
        1 => "#[ -~]{0,20}",
        1 => Just(String::new()),
    ]
}

/// A `.env` file: lines joined by LF or CRLF, maybe a BOM, maybe a final newline.
fn dotenv_file() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(dotenv_line(), 0..8),
        any::<bool>(),
        any::<bool>(),
        proptest::bool::weighted(0.05),
    )
        .prop_map(|(lines, crlf, final_newline, bom)| {
            let sep = if crlf { "\r\n" } else { "\n" };
            let mut s = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            s.push_str(&lines.join(sep));
            if final_newline && !lines.is_empty() {
                s.push_str(sep);
            }
            s
        })
}

/// A scratch directory for the `.env` files, shared by the cases of one test binary.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"))
        .path()
}

/// The secrets and public values of a `.env` file: `MILVUS_TOKEN` values and URI passwords
/// are secrets, unless the file interpolates (`$`), which may copy them anywhere.
fn classify_dotenv(content: &str, secrets: &mut Vec<String>, public: &mut Vec<String>) {
    if content.contains('$') {
        public.push(content.to_owned());
        return;
    }
    for line in content.lines() {
        let l = line.trim_start();
        let l = l.strip_prefix("export").map_or(l, str::trim_start);
        match l.split_once('=') {
            Some((k, v)) if k.trim_end() == "MILVUS_TOKEN" => {
                public.push(k.to_owned());
                secrets.push(v.to_owned());
            }
            Some((k, v)) if matches!(k.trim_end(), "MILVUS_URI" | "MILVUS_DEFAULT_CONNECTION") => {
                public.push(k.to_owned());
                classify_uri(v, secrets, public);
            }
            _ => public.push(line.to_owned()),
        }
    }
}

proptest! {
    #![proptest_config(config(DOTENV_CASES))]

    /// Arbitrary `.env` files (real files, found by path or by the search from a
    /// subdirectory) with arbitrary process variables beside them never make resolution
    /// panic; parse errors and `.env` origins name the right lines; nothing shows a secret.
    #[test]
    fn arbitrary_dotenv_files_never_panic(
        content in dotenv_file(),
        env in wild_env(),
        args in proptest::option::weighted(0.3, wild_args()),
        search in any::<bool>(),
    ) {
        let dir = tempfile::tempdir_in(scratch()).expect("case directory");
        let path = dir.path().join(".env");
        std::fs::write(&path, &content).expect("write .env");
        let sub = dir.path().join("a").join("b");
        std::fs::create_dir_all(&sub).expect("subdirectory");

        let mut secrets = Vec::new();
        let mut public = Vec::new();
        classify_dotenv(&content, &mut secrets, &mut public);
        public.push(path.display().to_string());
        let env = to_env(&env, &mut secrets, &mut public).current_dir(&sub);
        let explicit = match &args {
            Some(a) => {
                a.classify(&mut secrets, &mut public);
                a.to_args()
            }
            None => ConnectArgs::new(),
        };
        let dotenv = if search { DotEnv::Search } else { DotEnv::Path(path.clone()) };
        let result = Resolver::with_env(env).dotenv(dotenv).resolve(&explicit);
        let checkable = checkable_secrets(&strs(&secrets), &strs(&public));
        check_resolution(&result, &checkable);
        check_dotenv_lines(&content, &path, &result, &dotenvy_kind);
        check_dotenv_parse(&content);
    }
}

// ---------------------------------------------------------------------------------------
// Secrets in malformed URIs.

/// A URI whose password (holding the marker) is written raw, unencoded, next to parts that
/// are often broken: unencoded `/ ? # @ [ ] %`, bad ports, bad hosts, bad escapes.
fn leaky_uri() -> impl Strategy<Value = String> {
    let password = (
        "[a-zA-Z0-9:@/?#%\\[\\] .-]{0,6}",
        "[a-zA-Z0-9:@/?#%\\[\\] .-]{0,6}",
    )
        .prop_map(|(a, b)| format!("{a}{MARKER}{b}"));
    (
        prop_oneof![
            Just("http"),
            Just("https"),
            Just("tcp"),
            Just("ftp"),
            Just("")
        ],
        prop_oneof![Just("://"), Just(":"), Just(":///")],
        "[a-zA-Z0-9%-]{0,6}",
        password,
        prop_oneof![
            Just("h"),
            Just(""),
            Just("[::1"),
            Just("[::1]"),
            Just("ex ample"),
            Just("é"),
            Just("[notip]"),
        ],
        prop_oneof![
            Just(""),
            Just(":"),
            Just(":1"),
            Just(":0"),
            Just(":99999"),
            Just(":x"),
            Just(":-1")
        ],
        prop_oneof![
            Just(""),
            Just("/db"),
            Just("/%zz"),
            Just("/é"),
            Just("?q"),
            Just("#f"),
            Just("/a@b")
        ],
    )
        .prop_map(|(scheme, sep, user, password, host, port, tail)| {
            format!("{scheme}{sep}{user}:{password}@{host}{port}{tail}")
        })
}

proptest! {
    #![proptest_config(config(SECRET_CASES))]

    /// A password written raw into a URI, in any argument or variable that takes a URI,
    /// never shows in an error, a spec, or a rendering of a spec, even when the URI is
    /// malformed around it.
    #[test]
    fn secrets_in_malformed_uris_never_leak(
        uri in leaky_uri(),
        place in 0u8..3,
        token in proptest::option::of(secret()),
    ) {
        let mut args = ConnectArgs::new();
        let mut env = MapEnv::new();
        match place {
            0 => args = args.uri(uri.as_str()),
            1 => env = env.set("MILVUS_URI", uri.as_str()),
            _ => env = env.set("MILVUS_DEFAULT_CONNECTION", uri.as_str()),
        }
        let mut secrets = Vec::new();
        if let Some(t) = &token {
            env = env.set("MILVUS_TOKEN", t.as_str());
            secrets.push(t.clone());
        }
        let result = resolver(env).resolve(&args);
        // What is not the password is public. A URI that parses has its query and
        // fragment after the userinfo (WHATWG); one that does not may hold a password with
        // an unencoded '?' or '#', so take the widest reading. A bad database name is
        // found after parsing.
        let parsed = match &result {
            Ok(_) => true,
            Err(errors) => errors.iter().all(|e| matches!(e, Error::InvalidDbName { .. })),
        };
        let (password, public) = split_uri_password(&uri, !parsed);
        let mut secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        secrets.extend(password);
        let secrets = checkable_secrets(&secrets, &[public.as_str()]);
        check_resolution(&result, &secrets);
    }
}

// ---------------------------------------------------------------------------------------
// `Debug` of arguments.

proptest! {
    #![proptest_config(config(ROUND_TRIP_CASES))]

    /// `Debug` of the arguments hides every secret, including a password written in the
    /// userinfo of the `uri` argument, and so does `Debug` of a spec rendered back to
    /// arguments (which carries user and password in its URI).
    #[test]
    fn debug_of_arguments_hides_secrets(t in target(), x in extras()) {
        let b = build(&t, &x);
        let secrets = checkable_secrets(&strs(&b.secrets), &strs(&b.public));
        check_args_redacted(&b.args, &secrets);
        let spec: Result<ConnectionSpec, Errors> = resolver(b.env.clone()).resolve(&b.args);
        if let Ok(spec) = spec {
            check_args_redacted(&spec.to_connect_args(), &secrets);
        }
    }
}
