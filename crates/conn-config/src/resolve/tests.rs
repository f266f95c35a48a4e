//! Table-driven tests of the resolution rules. Each row prints its input on failure.

use super::rules::timeout::{TimeoutProblem, timeout_value};
use super::*;
use crate::{Auth, Error, Field, Key, MapEnv, Origin, TlsMode, TlsSpec};
use secrecy::ExposeSecret;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

/// An environment as name/value pairs.
type Vars = &'static [(&'static str, &'static str)];
/// (row name, environment, arguments, expected).
type Row1 = (&'static str, Vars, ConnectArgs, &'static str);
/// (row name, environment, arguments, expected, expected origin).
type Row2 = (&'static str, Vars, ConnectArgs, &'static str, &'static str);

fn resolver(env: &[(&str, &str)]) -> Resolver<MapEnv> {
    Resolver::with_env(MapEnv::from_pairs(env.iter().copied())).dotenv(DotEnv::Disabled)
}

/// What a row expects of a successful resolution.
#[derive(Debug, Default, Clone, Copy)]
struct Expect {
    address: &'static str,
    secure: bool,
    db: &'static str,
    /// The decoded `authorization` header (`user:password` or the token), "" for none.
    auth: &'static str,
    /// `Display` of the target's origin, "" to skip.
    target_origin: &'static str,
}

fn check(row: &str, spec: &ConnectionSpec, e: &Expect) {
    use base64::Engine as _;
    assert_eq!(spec.target().address(), e.address, "address: {row}");
    assert_eq!(spec.is_secure(), e.secure, "secure: {row}");
    assert_eq!(spec.db_name().as_str(), e.db, "db: {row}");
    let auth = spec
        .authorization()
        .map(|h| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(h.expose_secret())
                .expect("base64");
            String::from_utf8(bytes).expect("utf8")
        })
        .unwrap_or_default();
    assert_eq!(auth, e.auth, "auth: {row}");
    if !e.target_origin.is_empty() {
        assert_eq!(
            spec.origin(Field::Target).to_string(),
            e.target_origin,
            "target origin: {row}"
        );
    }
}

fn ok(row: &str, r: &Resolver<MapEnv>, args: &ConnectArgs, e: Expect) {
    match r.resolve(args) {
        Ok(spec) => check(row, &spec, &e),
        Err(errs) => panic!("{row}: unexpected error: {errs}"),
    }
}

fn err(row: &str, r: &Resolver<MapEnv>, args: &ConnectArgs, needles: &[&str]) -> Errors {
    match r.resolve(args) {
        Ok(spec) => panic!("{row}: expected an error, got {spec:?}"),
        Err(errs) => {
            let text = errs.to_string();
            for n in needles {
                assert!(text.contains(n), "{row}: {text:?} does not contain {n:?}");
            }
            errs
        }
    }
}

#[test]
fn defaults() {
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new())
        .expect("defaults resolve");
    assert_eq!(spec.alias().as_str(), "default");
    assert_eq!(spec.target().address(), "localhost:19530");
    assert!(!spec.is_secure());
    assert_eq!(spec.db_name().as_str(), "default");
    assert_eq!(spec.timeout(), Duration::from_secs(10));
    assert!(matches!(spec.auth(), Auth::None));
    assert!(!spec.keep_alive());
    for f in Field::ALL {
        assert_eq!(spec.origin(f), &Origin::Default, "{f}");
    }
}

#[test]
fn target_precedence() {
    let none: Vars = &[];
    let env: Vars = &[
        ("MILVUS_URI", "http://envhost:1"),
        ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),
    ];
    let rows: Vec<Row2> = vec![
        (
            "address > uri > host/port",
            none,
            ConnectArgs::new()
                .address("a:1")
                .uri("http://u:2")
                .host("h")
                .port(3),
            "a:1",
            "address (argument)",
        ),
        (
            "uri > host/port",
            none,
            ConnectArgs::new().uri("http://u:2").host("h").port(3),
            "u:2",
            "uri (argument)",
        ),
        (
            "host alone",
            none,
            ConnectArgs::new().host("h"),
            "h:19530",
            "host (argument)",
        ),
        (
            "port alone",
            none,
            ConnectArgs::new().port("5"),
            "localhost:5",
            "port (argument)",
        ),
        (
            "host/port > env",
            env,
            ConnectArgs::new().port(7),
            "localhost:7",
            "",
        ),
        (
            "MILVUS_URI > legacy",
            env,
            ConnectArgs::new(),
            "envhost:1",
            "MILVUS_URI (environment)",
        ),
        (
            "legacy alone",
            &[("MILVUS_DEFAULT_CONNECTION", "http://legacy:2")],
            ConnectArgs::new(),
            "legacy:2",
            "MILVUS_DEFAULT_CONNECTION (environment)",
        ),
        (
            "empty MILVUS_URI falls through to legacy",
            &[
                ("MILVUS_URI", ""),
                ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),
            ],
            ConnectArgs::new(),
            "legacy:2",
            "",
        ),
        (
            "whitespace MILVUS_URI counts as empty",
            &[
                ("MILVUS_URI", " \t"),
                ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),
            ],
            ConnectArgs::new(),
            "legacy:2",
            "",
        ),
        (
            "empty uri argument is not given",
            env,
            ConnectArgs::new().uri(""),
            "envhost:1",
            "",
        ),
        (
            "a broken MILVUS_URI does not matter when uri is given",
            &[("MILVUS_URI", "ftp://nope:0")],
            ConnectArgs::new().uri("http://ok:1"),
            "ok:1",
            "",
        ),
        (
            "unix in MILVUS_URI",
            &[("MILVUS_URI", "unix:/tmp/m.sock")],
            ConnectArgs::new(),
            "unix:/tmp/m.sock",
            "",
        ),
        (
            "lite in MILVUS_URI",
            &[("MILVUS_URI", "./x.db")],
            ConnectArgs::new(),
            "./x.db",
            "",
        ),
        (
            "ipv6 host without brackets",
            none,
            ConnectArgs::new().host("::1"),
            "[::1]:19530",
            "",
        ),
        (
            "host lower-cased",
            none,
            ConnectArgs::new().host("MiLvUs"),
            "milvus:19530",
            "",
        ),
        (
            "address lower-cased",
            none,
            ConnectArgs::new().address("MiLvUs:01"),
            "milvus:1",
            "",
        ),
        (
            "trimmed",
            none,
            ConnectArgs::new().uri("  http://h:1 \n"),
            "h:1",
            "",
        ),
    ];
    for (row, env, args, address, origin) in rows {
        ok(
            row,
            &resolver(env),
            &args,
            Expect {
                address,
                db: "default",
                target_origin: origin,
                ..Expect::default()
            },
        );
    }
}

#[test]
fn credentials_precedence() {
    let none: Vars = &[];
    let rows: Vec<Row2> = vec![
        (
            "token > user/password (explicit)",
            none,
            ConnectArgs::new().token("tok").user("u").password("p"),
            "tok",
            "token (argument)",
        ),
        (
            "explicit user/password > uri userinfo",
            none,
            ConnectArgs::new()
                .uri("http://uu:up@h")
                .user("u")
                .password("p"),
            "u:p",
            "user (argument)",
        ),
        (
            "uri userinfo",
            none,
            ConnectArgs::new().uri("http://uu:up@h"),
            "uu:up",
            "uri (argument)",
        ),
        (
            "percent-decoded userinfo",
            none,
            ConnectArgs::new().uri("http://r%40ot:p%40ss%3Aw@h"),
            "r@ot:p@ss:w",
            "",
        ),
        (
            "MILVUS_URI keeps an explicit token",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().token("tok"),
            "tok",
            "",
        ),
        (
            "MILVUS_URI keeps explicit user/password",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().user("u").password("p"),
            "u:p",
            "",
        ),
        (
            "MILVUS_URI userinfo",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new(),
            "eu:ep",
            "MILVUS_URI (environment)",
        ),
        (
            "MILVUS_URI userinfo > MILVUS_TOKEN",
            &[("MILVUS_URI", "http://eu:ep@h"), ("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new(),
            "eu:ep",
            "",
        ),
        (
            "MILVUS_TOKEN",
            &[("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new(),
            "envtok",
            "MILVUS_TOKEN (environment)",
        ),
        (
            "numeric MILVUS_TOKEN stays a string",
            &[("MILVUS_TOKEN", "123456")],
            ConnectArgs::new(),
            "123456",
            "",
        ),
        (
            "explicit user/password > MILVUS_TOKEN",
            &[("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new().user("u").password("p"),
            "u:p",
            "",
        ),
        (
            "userinfo of a URI that did not supply the target is ignored",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().host("x"),
            "",
            "default",
        ),
        (
            "half userinfo of a URI that did not supply the target is not validated",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().host("x").token("t"),
            "t",
            "token (argument)",
        ),
        (
            "explicit pair beside a complete uri userinfo: the pair, never mixed",
            none,
            ConnectArgs::new()
                .uri("http://uu:up@h")
                .user("u")
                .password("p"),
            "u:p",
            "user (argument)",
        ),
    ];
    for (row, env, args, auth, origin) in rows {
        let spec = resolver(env)
            .resolve(&args)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        use base64::Engine as _;
        let decoded = spec
            .authorization()
            .map(|h| {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(h.expose_secret())
                        .expect("base64"),
                )
                .expect("utf8")
            })
            .unwrap_or_default();
        assert_eq!(decoded, auth, "{row}");
        if !origin.is_empty() {
            assert_eq!(spec.origin(Field::Auth).to_string(), origin, "{row}");
        }
    }
}

#[test]
fn a_winning_token_drops_the_user() {
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new().token("tok").user("u").password("p"))
        .expect("resolves");
    assert!(matches!(spec.auth(), Auth::Token(_)));
    assert_eq!(spec.auth().user(), None);
}

#[test]
fn database_precedence() {
    let none: Vars = &[];
    let rows: Vec<Row1> = vec![
        (
            "explicit db_name > uri path",
            none,
            ConnectArgs::new().uri("http://h/p").db_name("x"),
            "x",
        ),
        (
            "uri path",
            none,
            ConnectArgs::new().uri("http://h/db1/coll"),
            "db1",
        ),
        (
            "double slash",
            none,
            ConnectArgs::new().uri("http://h//dbx"),
            "dbx",
        ),
        (
            "no path",
            none,
            ConnectArgs::new().uri("http://h/"),
            "default",
        ),
        (
            "query ignored",
            none,
            ConnectArgs::new().uri("http://h/db9?x=1#f"),
            "db9",
        ),
        (
            "uri path > MILVUS_DB_NAME",
            &[("MILVUS_DB_NAME", "e")],
            ConnectArgs::new().uri("http://h/p"),
            "p",
        ),
        (
            "MILVUS_DB_NAME",
            &[("MILVUS_DB_NAME", "e")],
            ConnectArgs::new().uri("http://h"),
            "e",
        ),
        (
            "MILVUS_URI path > MILVUS_DB_NAME",
            &[("MILVUS_URI", "http://h/envdb"), ("MILVUS_DB_NAME", "e")],
            ConnectArgs::new(),
            "envdb",
        ),
        (
            "explicit db_name > MILVUS_URI path",
            &[("MILVUS_URI", "http://h/envdb")],
            ConnectArgs::new().db_name("argdb"),
            "argdb",
        ),
        (
            "the path of a URI that lost is ignored",
            &[("MILVUS_URI", "http://h/envdb")],
            ConnectArgs::new().host("x"),
            "default",
        ),
        (
            "unix carries no database",
            none,
            ConnectArgs::new().uri("unix:/s/db"),
            "default",
        ),
        (
            "percent-decoded path",
            none,
            ConnectArgs::new().uri("http://h/d%62"),
            "db",
        ),
    ];
    for (row, env, args, db) in rows {
        let spec = resolver(env)
            .resolve(&args)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        assert_eq!(spec.db_name().as_str(), db, "{row}");
    }
}

#[test]
fn security_rules() {
    let r = resolver(&[]);
    let tls = |args: ConnectArgs| r.resolve(&args).expect("resolves");
    assert!(tls(ConnectArgs::new().uri("https://h")).is_secure());
    assert_eq!(
        tls(ConnectArgs::new().uri("https://h")).target().address(),
        "h:443"
    );
    assert!(tls(ConnectArgs::new().uri("http://h").secure(true)).is_secure());
    assert!(!tls(ConnectArgs::new().uri("http://h").secure(false)).is_secure());
    let s = tls(ConnectArgs::new().uri("http://h").ca_pem_path("ca.pem"));
    let t = s.security().tls().expect("tls on");
    assert_eq!(t.mode(), TlsMode::OneWay);
    assert_eq!(t.ca_files(), [PathBuf::from("ca.pem")]);
    assert_eq!(
        s.origin(Field::Security).to_string(),
        "ca_pem_path (argument)"
    );
    let s = tls(ConnectArgs::new()
        .uri("http://h")
        .server_pem_path("s.pem")
        .ca_pem_path("ca.pem")
        .client_pem_path("c.pem")
        .client_key_path("c.key")
        .server_name("sn"));
    let t = s.security().tls().expect("tls on");
    assert_eq!(t.mode(), TlsMode::Mutual);
    assert_eq!(
        t.ca_files(),
        [PathBuf::from("s.pem"), PathBuf::from("ca.pem")]
    );
    assert_eq!(t.server_pem_path(), Some(Path::new("s.pem")));
    assert_eq!(t.ca_pem_path(), Some(Path::new("ca.pem")));
    let only_ca = tls(ConnectArgs::new().ca_pem_path("ca.pem"));
    let only_ca = only_ca.security().tls().expect("tls on");
    assert_eq!(
        (only_ca.server_pem_path(), only_ca.ca_pem_path()),
        (None, Some(Path::new("ca.pem")))
    );
    let only_server = tls(ConnectArgs::new().server_pem_path("s.pem"));
    let only_server = only_server.security().tls().expect("tls on");
    assert_eq!(
        (only_server.server_pem_path(), only_server.ca_pem_path()),
        (Some(Path::new("s.pem")), None)
    );
    assert_eq!(t.server_name(), Some("sn"));
    let s = tls(ConnectArgs::new()
        .client_pem_path("c.pem")
        .client_key_path("c.key"));
    assert_eq!(s.security().tls().map(TlsSpec::mode), Some(TlsMode::Mutual));
    assert!(s.security().tls().is_some_and(|t| t.ca_files().is_empty()));
    let s = tls(ConnectArgs::new().secure(true));
    assert_eq!(
        s.security().tls().map(TlsSpec::mode),
        Some(TlsMode::PlatformRoots)
    );
    assert_eq!(s.origin(Field::Security).to_string(), "secure (argument)");

    err(
        "https with secure=false",
        &r,
        &ConnectArgs::new().uri("https://h").secure(false),
        &["uri (argument) uses https, but secure (argument) is false"],
    );
    err(
        "MILVUS_URI https with secure=false",
        &resolver(&[("MILVUS_URI", "https://h")]),
        &ConnectArgs::new().secure(false),
        &["MILVUS_URI (environment) uses https, but secure (argument) is false"],
    );
    err(
        "TLS setting with secure=false",
        &r,
        &ConnectArgs::new().secure(false).ca_pem_path("ca.pem"),
        &["ca_pem_path (argument) is a TLS setting, but secure (argument) is false"],
    );
    err(
        "half a client pair",
        &r,
        &ConnectArgs::new().client_pem_path("c.pem"),
        &["client_pem_path (argument) has no client_key_path"],
    );
    err(
        "the other half",
        &r,
        &ConnectArgs::new().client_key_path("c.key").secure(true),
        &["client_key_path (argument) has no client_pem_path"],
    );
}

#[test]
fn errors_name_field_and_origin_and_come_all_at_once() {
    let r = resolver(&[
        ("MILVUS_CONN_TIMEOUT", "abc"),
        ("MILVUS_URI", "http://h:70000"),
    ]);
    let errs = err(
        "several",
        &r,
        &ConnectArgs::new().user("u").db_name("d\u{e9}"),
        &[
            "port 70000 in MILVUS_URI (environment) is out of range 1..=65535",
            "user in user (argument) has no password",
            "timeout \"abc\" in MILVUS_CONN_TIMEOUT (environment) is not a positive, finite number of seconds",
            "database name \"dé\" in db_name (argument) is invalid",
        ],
    );
    assert_eq!(errs.len(), 4, "{errs}");
    let fields: Vec<&str> = errs.iter().map(|e| e.field().as_str()).collect();
    assert_eq!(
        fields,
        ["MILVUS_URI", "user", "db_name", "MILVUS_CONN_TIMEOUT"]
    );
}

#[test]
fn rejected_inputs() {
    let none: Vars = &[];
    let rows: Vec<Row1> = vec![
        (
            "password without user",
            none,
            ConnectArgs::new().password("p"),
            "password in password (argument) has no user",
        ),
        (
            "half pair even with a token",
            none,
            ConnectArgs::new().token("t").user("u"),
            "has no password",
        ),
        (
            "uri user without password",
            none,
            ConnectArgs::new().uri("http://u@h"),
            "user in uri (argument) has no password",
        ),
        // Both halves of a pair come from one place (CONTRACT section 4, issue 11 item 5).
        // This row used to combine the URI's user with the password argument.
        (
            "uri user + explicit password do not combine",
            none,
            ConnectArgs::new().uri("http://uu@h").password("p"),
            "password in password (argument) has no user",
        ),
        (
            "explicit user + a complete uri userinfo: half a pair",
            none,
            ConnectArgs::new().uri("http://uu:Secret@h:1").user("other"),
            "user in user (argument) has no password",
        ),
        (
            "explicit password + a complete uri userinfo: half a pair",
            none,
            ConnectArgs::new().uri("http://uu:Secret@h:1").password("p"),
            "password in password (argument) has no user",
        ),
        (
            "explicit user + a complete MILVUS_URI userinfo: half a pair",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().user("u"),
            "user in user (argument) has no password",
        ),
        (
            "MILVUS_URI user without password, beside an explicit pair",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().user("u").password("p"),
            "user in MILVUS_URI (environment) has no password",
        ),
        (
            "MILVUS_URI user without password, beside an explicit token",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().token("t"),
            "user in MILVUS_URI (environment) has no password",
        ),
        (
            "MILVUS_URI password without user, beside MILVUS_TOKEN",
            &[("MILVUS_URI", "http://:ep@h"), ("MILVUS_TOKEN", "t")],
            ConnectArgs::new(),
            "password in MILVUS_URI (environment) has no user",
        ),
        (
            "MILVUS_DEFAULT_CONNECTION user without password, beside a token",
            &[("MILVUS_DEFAULT_CONNECTION", "http://eu@h")],
            ConnectArgs::new().token("t"),
            "user in MILVUS_DEFAULT_CONNECTION (environment) has no password",
        ),
        (
            "uri user without password, beside an explicit pair",
            none,
            ConnectArgs::new().uri("http://u@h").user("a").password("b"),
            "user in uri (argument) has no password",
        ),
        (
            "uri password without user",
            none,
            ConnectArgs::new().uri("http://:p@h"),
            "password in uri (argument) has no user",
        ),
        (
            "port 0",
            none,
            ConnectArgs::new().port(0),
            "port 0 in port (argument) is out of range",
        ),
        (
            "port 65536",
            none,
            ConnectArgs::new().host("h").port(65536),
            "port 65536 in port (argument) is out of range",
        ),
        (
            "port with sign",
            none,
            ConnectArgs::new().port("+5"),
            "port \"+5\" in port (argument) is not a number",
        ),
        (
            "unknown scheme in MILVUS_URI",
            &[("MILVUS_URI", "ftp://h:21")],
            ConnectArgs::new(),
            "unsupported scheme \"ftp\" in MILVUS_URI (environment)",
        ),
        (
            "schemeless MILVUS_URI",
            &[("MILVUS_URI", "localhost:19530")],
            ConnectArgs::new(),
            "MILVUS_URI (environment) is not a URI",
        ),
        (
            "control character",
            none,
            ConnectArgs::new().host("h\u{1}x"),
            "host (argument) contains a control character",
        ),
        (
            "inner tab",
            none,
            ConnectArgs::new().uri("http://h\t:1"),
            "uri (argument) contains a control character",
        ),
        (
            "zero timeout",
            none,
            ConnectArgs::new().timeout(0),
            "timeout \"0\" in timeout (argument)",
        ),
        (
            "negative timeout",
            none,
            ConnectArgs::new().timeout(-1),
            "timeout \"-1\"",
        ),
        (
            "nan timeout",
            none,
            ConnectArgs::new().timeout("NaN"),
            "timeout \"NaN\"",
        ),
        (
            "inf timeout",
            none,
            ConnectArgs::new().timeout("inf"),
            "timeout \"inf\"",
        ),
        (
            "timeout beyond u64",
            none,
            ConnectArgs::new().timeout("18446744073709551615"),
            "timeout \"18446744073709551615\" in timeout (argument) is too large; a timeout is at most 86400 seconds (one day)",
        ),
        (
            "timeout 1e12 in MILVUS_CONN_TIMEOUT",
            &[("MILVUS_CONN_TIMEOUT", "1e12")],
            ConnectArgs::new(),
            "timeout \"1e12\" in MILVUS_CONN_TIMEOUT (environment) is too large",
        ),
        (
            "timeout a nanosecond over a day",
            none,
            ConnectArgs::new().timeout("86400.000000001"),
            "is too large",
        ),
        (
            "timeout less than a nanosecond over a day",
            none,
            ConnectArgs::new().timeout("86400.0000000001"),
            "is too large",
        ),
        (
            "timeout as u64::MAX",
            none,
            ConnectArgs::new().timeout(u64::MAX),
            "is too large",
        ),
        (
            "timeout as an f64 of 1e12",
            none,
            ConnectArgs::new().timeout(1e12_f64),
            "is too large",
        ),
        (
            "timeout as Duration::MAX",
            none,
            ConnectArgs::new().timeout(Duration::MAX),
            "is too large",
        ),
        (
            "timeout beyond f64",
            none,
            ConnectArgs::new().timeout("1e400"),
            "is too large",
        ),
        (
            "timeout of 10,000 digits",
            none,
            ConnectArgs::new().timeout("9".repeat(10_000)),
            "… (10000 bytes) in timeout (argument) is too large",
        ),
        (
            "timeout of f64 infinity",
            none,
            ConnectArgs::new().timeout(f64::INFINITY),
            "timeout \"inf\" in timeout (argument) is not a positive, finite number",
        ),
        (
            "host {}",
            none,
            ConnectArgs::new().host("{}"),
            "invalid host \"{}\" in host (argument): a character not allowed in a host name",
        ),
        (
            "empty label in a uri host",
            none,
            ConnectArgs::new().uri("http://a..b:19530"),
            "invalid host \"a..b\" in uri (argument): an empty label",
        ),
        (
            "leading dot in MILVUS_URI",
            &[("MILVUS_URI", "http://.a:1")],
            ConnectArgs::new(),
            "in MILVUS_URI (environment): an empty label",
        ),
        (
            "a 64-character label in address",
            none,
            ConnectArgs::new().address(format!("{}.example:1", "a".repeat(64))),
            "in address (argument): a label of a host name is at most 63 characters",
        ),
        (
            "a 254-character host",
            none,
            ConnectArgs::new().host(vec!["a".repeat(63); 4].join(".")[..254].to_owned()),
            "in host (argument): a host name is at most 253 characters",
        ),
        (
            "a 50 MB host",
            none,
            ConnectArgs::new().host("h".repeat(50 << 20)),
            "host (argument) is 52428800 bytes long; a value is at most 65536 bytes (64 KiB)",
        ),
        (
            "server name with an empty label",
            none,
            ConnectArgs::new().server_name("a..b"),
            "server name \"a..b\" in server_name (argument) is invalid: an empty label",
        ),
        (
            "wildcard server name",
            none,
            ConnectArgs::new().server_name("*.example"),
            "server name \"*.example\" in server_name (argument) is invalid: a character not allowed",
        ),
        (
            "server name with a port",
            none,
            ConnectArgs::new().server_name("h:19530"),
            "server name \"h:19530\" in server_name (argument) is invalid: a server name has no port",
        ),
        (
            "server name with a leading hyphen",
            none,
            ConnectArgs::new().server_name("-h.example"),
            "neither starts nor ends with '-'",
        ),
        (
            "empty host",
            none,
            ConnectArgs::new().uri("http://:1"),
            "empty host in uri (argument)",
        ),
        (
            "unix without path",
            none,
            ConnectArgs::new().uri("unix:"),
            "no socket path",
        ),
        (
            "alias with no target",
            none,
            ConnectArgs::new().alias("prod"),
            "no target for alias \"prod\"",
        ),
        (
            "MILVUS_CONN_ALIAS names the default alias",
            &[("MILVUS_CONN_ALIAS", "prod")],
            ConnectArgs::new().alias("default"),
            "no target for alias \"default\"",
        ),
    ];
    for (row, env, args, needle) in rows {
        err(row, &resolver(env), &args, &[needle]);
    }
}

#[test]
fn alias_and_timeout() {
    let r = resolver(&[
        ("MILVUS_CONN_ALIAS", "prod"),
        ("MILVUS_CONN_TIMEOUT", "2.5"),
    ]);
    let spec = r.resolve(&ConnectArgs::new()).expect("resolves");
    assert_eq!(spec.alias().as_str(), "prod");
    assert_eq!(spec.target().address(), "localhost:19530");
    assert_eq!(spec.timeout(), Duration::from_millis(2500));
    assert_eq!(
        spec.origin(Field::Alias).to_string(),
        "MILVUS_CONN_ALIAS (environment)"
    );
    let spec = r
        .resolve(
            &ConnectArgs::new()
                .alias("other")
                .uri("http://h")
                .timeout(Duration::from_millis(1500)),
        )
        .expect("resolves");
    assert_eq!(spec.alias().as_str(), "other");
    assert_eq!(spec.timeout(), Duration::from_millis(1500));
    let spec = resolver(&[("MILVUS_CONN_ALIAS", ""), ("MILVUS_CONN_TIMEOUT", "")])
        .resolve(&ConnectArgs::new())
        .expect("empty variables count as not given");
    assert_eq!(spec.alias().as_str(), "default");
    assert_eq!(spec.timeout(), Duration::from_secs(10));
    for (text, expected) in [("1e1", 10_000), ("0.001", 1), (" 7 ", 7000), ("+3", 3000)] {
        let spec = resolver(&[("MILVUS_CONN_TIMEOUT", text)])
            .resolve(&ConnectArgs::new())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(spec.timeout().as_millis(), expected, "{text}");
    }
}

#[test]
fn stored_arguments_sit_between_explicit_and_environment() {
    let r = resolver(&[
        ("MILVUS_URI", "http://envhost:1"),
        ("MILVUS_TOKEN", "envtok"),
    ]);
    let stored = ConnectArgs::new()
        .alias("a")
        .host("storedhost")
        .user("su")
        .password("sp")
        .db_name("sdb")
        .timeout(3);
    let spec = r
        .resolve_with_stored(&ConnectArgs::new().alias("a"), Some(&stored))
        .expect("resolves");
    assert_eq!(spec.target().address(), "storedhost:19530");
    assert_eq!(
        spec.origin(Field::Target).to_string(),
        "host (stored for alias \"a\")"
    );
    assert_eq!(spec.auth().user(), Some("su"));
    assert_eq!(spec.db_name().as_str(), "sdb");
    assert_eq!(spec.timeout(), Duration::from_secs(3));

    // Explicit arguments beat the stored ones, the target as a whole.
    let spec = r
        .resolve_with_stored(
            &ConnectArgs::new().alias("a").port(5).token("t"),
            Some(&stored),
        )
        .expect("resolves");
    assert_eq!(spec.target().address(), "localhost:5");
    assert!(matches!(spec.auth(), Auth::Token(_)));
    assert_eq!(spec.db_name().as_str(), "sdb");

    // An explicit URI's path beats the stored db_name.
    let spec = r
        .resolve_with_stored(&ConnectArgs::new().uri("http://x/pathdb"), Some(&stored))
        .expect("resolves");
    assert_eq!(spec.db_name().as_str(), "pathdb");

    // A broken stored value does not matter when the explicit source supplies the target.
    let broken = ConnectArgs::new().uri("ftp://x");
    let spec = r
        .resolve_with_stored(&ConnectArgs::new().uri("http://ok"), Some(&broken))
        .expect("resolves");
    assert_eq!(spec.target().address(), "ok:19530");
}

#[test]
fn debug_output_is_pinned_and_redacted() {
    let args = ConnectArgs::new()
        .uri("http://h:1")
        .user("root")
        .password("hunter2")
        .token("123456");
    assert_eq!(
        format!("{args:?}"),
        r#"ConnectArgs { uri: "http://h:1", user: "root", password: "<redacted>", token: "<redacted>" }"#
    );
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new().uri("https://root:hunter2@h:1/db"))
        .expect("resolves");
    assert_eq!(
        format!("{spec:?}"),
        "ConnectionSpec { alias: \"default\", target: Tcp { host: \"h\", port: 1 }, \
         security: Tls(TlsSpec { ca_files: [], has_server_pem: false, client: None, server_name: None }), \
         auth: UserPassword { user: \"root\", password: \"<redacted>\" }, db_name: \"db\", \
         timeout: 10s, keep_alive: false, .. }"
    );
    let spec = resolver(&[("MILVUS_TOKEN", "123456")])
        .resolve(&ConnectArgs::new())
        .expect("resolves");
    assert_eq!(format!("{:?}", spec.auth()), "Token(\"<redacted>\")");
}

#[test]
fn secrets_never_appear_in_errors() {
    let secret = "S3cr3t-123456";
    let cases = [
        ConnectArgs::new().password(secret),
        ConnectArgs::new().token(secret).user("u"),
        ConnectArgs::new().uri(format!("http://:{secret}@h")),
        ConnectArgs::new().uri(format!("http://u:{secret}#@h:x")),
        ConnectArgs::new().uri(format!("http://u:{secret}\u{1}@h")),
        ConnectArgs::new().token(format!("{secret}\u{7}")),
        ConnectArgs::new().uri(format!("http://u:{secret}@h:0")),
    ];
    for args in cases {
        let errs = resolver(&[]).resolve(&args).expect_err("must fail");
        let text = format!("{errs} {errs:?}");
        assert!(!text.contains(secret), "{text}");
    }
    let errs = resolver(&[("MILVUS_TOKEN", "123456\u{1}")])
        .resolve(&ConnectArgs::new())
        .expect_err("control character");
    assert!(!format!("{errs} {errs:?}").contains("123456"));
}

#[test]
fn non_unicode_variables_are_errors_when_used() {
    use std::os::unix::ffi::OsStringExt;
    let bad = std::ffi::OsString::from_vec(vec![0x66, 0xff]);
    let env = MapEnv::new().set("MILVUS_URI", bad.clone());
    let errs = Resolver::with_env(env)
        .dotenv(DotEnv::Disabled)
        .resolve(&ConnectArgs::new())
        .expect_err("not unicode");
    assert!(
        errs.to_string()
            .contains("MILVUS_URI (environment) is not valid unicode"),
        "{errs}"
    );
    let env = MapEnv::new().set("MILVUS_URI", bad);
    let spec = Resolver::with_env(env)
        .dotenv(DotEnv::Disabled)
        .resolve(&ConnectArgs::new().uri("http://h"))
        .expect("an overridden variable is not validated");
    assert_eq!(spec.target().address(), "h:19530");
}

#[test]
fn timeouts_up_to_a_day_are_accepted() {
    for (text, expected) in [
        ("86400", Duration::from_secs(86_400)),
        ("86400.000000000", Duration::from_secs(86_400)),
        ("086400", Duration::from_secs(86_400)),
        ("86399.999999999", Duration::new(86_399, 999_999_999)),
        ("8.64e4", Duration::from_secs(86_400)),
        ("0.000000001", Duration::from_nanos(1)),
    ] {
        let spec = resolver(&[("MILVUS_CONN_TIMEOUT", text)])
            .resolve(&ConnectArgs::new())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(spec.timeout(), expected, "{text}");
    }
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new().timeout(ConnectionSpec::MAX_TIMEOUT))
        .expect("a day as a Duration");
    assert_eq!(spec.timeout(), ConnectionSpec::MAX_TIMEOUT);
    assert_eq!(
        timeout_value(&"0".repeat(100_000)),
        Err(TimeoutProblem::Invalid)
    );
    assert_eq!(
        timeout_value(&format!("{}1", "0".repeat(100_000))),
        Ok(Duration::from_secs(1))
    );
}

#[test]
fn hosts_follow_the_host_name_rule_everywhere() {
    let ok: &[(&str, ConnectArgs, &str)] = &[
        (
            "idna",
            ConnectArgs::new().host("bücher.example"),
            "xn--bcher-kva.example:19530",
        ),
        (
            "idna in a uri",
            ConnectArgs::new().uri("http://Bücher.Example:1"),
            "xn--bcher-kva.example:1",
        ),
        (
            "underscore",
            ConnectArgs::new().host("my_host.local"),
            "my_host.local:19530",
        ),
        ("hyphens", ConnectArgs::new().host("-a-.b"), "-a-.b:19530"),
        (
            "trailing dot",
            ConnectArgs::new().uri("http://milvus.example.:1"),
            "milvus.example.:1",
        ),
        (
            "63-character label",
            ConnectArgs::new().host("a".repeat(63)),
            "",
        ),
        (
            "253 characters",
            ConnectArgs::new().host(vec!["a".repeat(63); 4].join(".")[..253].to_owned()),
            "",
        ),
    ];
    for (row, args, address) in ok {
        let spec = resolver(&[])
            .resolve(args)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        if !address.is_empty() {
            assert_eq!(spec.target().address(), *address, "{row}");
        }
    }
    // The same host is checked the same way from every place it can come from.
    let long_label = format!("{}.example", "a".repeat(64));
    for host in ["{}", "a..b", ".a", long_label.as_str(), "."] {
        let places: Vec<(ConnectArgs, Vec<(&str, String)>)> = vec![
            (ConnectArgs::new().host(host), vec![]),
            (ConnectArgs::new().address(format!("{host}:1")), vec![]),
            (ConnectArgs::new().uri(format!("http://{host}:1")), vec![]),
            (
                ConnectArgs::new(),
                vec![("MILVUS_URI", format!("http://{host}:1"))],
            ),
            (
                ConnectArgs::new(),
                vec![("MILVUS_DEFAULT_CONNECTION", format!("tcp://{host}"))],
            ),
        ];
        for (args, env) in places {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let errs = resolver(&env)
                .resolve(&args)
                .expect_err(&format!("{host:?} via {args:?} {env:?}"));
            assert!(
                errs.iter()
                    .all(|e| matches!(e, Error::InvalidHost { .. } | Error::EmptyHost { .. })),
                "{host:?} via {args:?} {env:?}: {errs}"
            );
        }
    }
}

#[test]
fn server_names() {
    for (given, expected) in [
        ("milvus.example.com", "milvus.example.com"),
        ("Milvus.Example.COM", "milvus.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
        ("host.", "host."),
    ] {
        let spec = resolver(&[])
            .resolve(&ConnectArgs::new().server_name(given))
            .unwrap_or_else(|e| panic!("{given}: {e}"));
        let tls = spec.security().tls().expect("tls");
        assert_eq!(tls.server_name(), Some(expected), "{given}");
    }
    for given in [
        "a..b",
        "*.example",
        "h:19530",
        "[::1]:19530",
        "my host",
        "a/b",
        "x-.example",
        ".",
        "{}",
    ] {
        let errs = resolver(&[])
            .resolve(&ConnectArgs::new().server_name(given))
            .expect_err(given);
        assert!(
            matches!(errs.first(), Error::InvalidServerName { .. }) && errs.len() == 1,
            "{given}: {errs}"
        );
        assert_eq!(errs.first().field(), "server_name", "{given}");
    }
}

#[test]
fn every_value_is_at_most_64_kib() {
    use std::os::unix::ffi::OsStringExt;
    let max = ConnectArgs::MAX_VALUE_LEN;
    let at = "a".repeat(max);
    let over = "a".repeat(max + 1);
    // At the limit: the value is parsed (and fails or not on its own merits).
    let errs = resolver(&[]).resolve(&ConnectArgs::new().token(at.clone()));
    assert!(errs.is_ok(), "a 64 KiB token is taken");
    let too_long = |errs: &Errors, origin: &str| {
        assert!(
            errs.iter().any(
                |e| matches!(e, Error::ValueTooLong { len, .. } if *len == max + 1)
                    && e.to_string()
                        == format!(
                            "{origin} is 65537 bytes long; a value is at most 65536 bytes (64 KiB)"
                        )
            ),
            "{origin}: {errs}"
        );
        assert!(!errs.to_string().contains("aaaa"), "{errs}");
    };
    let rows: Vec<(&str, ConnectArgs)> = vec![
        ("uri (argument)", ConnectArgs::new().uri(over.clone())),
        (
            "address (argument)",
            ConnectArgs::new().address(over.clone()),
        ),
        ("host (argument)", ConnectArgs::new().host(over.clone())),
        ("port (argument)", ConnectArgs::new().port(over.clone())),
        (
            "user (argument)",
            ConnectArgs::new().user(over.clone()).password("p"),
        ),
        (
            "password (argument)",
            ConnectArgs::new().user("u").password(over.clone()),
        ),
        ("token (argument)", ConnectArgs::new().token(over.clone())),
        (
            "db_name (argument)",
            ConnectArgs::new().db_name(over.clone()),
        ),
        (
            "server_pem_path (argument)",
            ConnectArgs::new().server_pem_path(over.clone()),
        ),
        (
            "ca_pem_path (argument)",
            ConnectArgs::new().ca_pem_path(over.clone()),
        ),
        (
            "client_pem_path (argument)",
            ConnectArgs::new()
                .client_pem_path(over.clone())
                .client_key_path("k"),
        ),
        (
            "client_key_path (argument)",
            ConnectArgs::new()
                .client_pem_path("c")
                .client_key_path(over.clone()),
        ),
        (
            "server_name (argument)",
            ConnectArgs::new().server_name(over.clone()),
        ),
        (
            "timeout (argument)",
            ConnectArgs::new().timeout(over.clone()),
        ),
        (
            "alias (argument)",
            ConnectArgs::new().alias(over.clone()).uri("http://h"),
        ),
    ];
    for (origin, args) in rows {
        let errs = resolver(&[]).resolve(&args).expect_err(origin);
        too_long(&errs, origin);
    }
    for var in crate::origin::Key::VARIABLES.map(crate::origin::Key::as_str) {
        let errs = Resolver::with_env(MapEnv::new().set(var, over.clone()))
            .dotenv(DotEnv::Disabled)
            .resolve(&ConnectArgs::new())
            .expect_err(var);
        too_long(&errs, &format!("{var} (environment)"));
        // Not Unicode and too long: the length is checked first.
        let mut bytes = over.clone().into_bytes();
        bytes[0] = 0xff;
        let errs = Resolver::with_env(MapEnv::new().set(var, std::ffi::OsString::from_vec(bytes)))
            .dotenv(DotEnv::Disabled)
            .resolve(&ConnectArgs::new())
            .expect_err(var);
        too_long(&errs, &format!("{var} (environment)"));
    }
    // Stored arguments.
    let errs = resolver(&[])
        .resolve_with_stored(
            &ConnectArgs::new().alias("a"),
            Some(&ConnectArgs::new().alias("a").uri(over.clone())),
        )
        .expect_err("stored");
    too_long(&errs, "uri (stored for alias \"a\")");
    // A .env value (the file is read as text; only values are bounded here).
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    std::fs::write(&path, format!("MILVUS_URI=http://{over}\n")).expect("write .env");
    let errs = Resolver::with_env(MapEnv::new())
        .dotenv(DotEnv::Path(path))
        .resolve(&ConnectArgs::new())
        .expect_err(".env");
    assert!(
        errs.iter().all(|e| e.to_string().len() < 1024) && errs.to_string().contains(".env"),
        "{}",
        &errs.to_string()[..errs.to_string().len().min(300)]
    );
    // A too-long value that a higher source overrides is not used, so not reported.
    let spec = Resolver::with_env(MapEnv::new().set("MILVUS_URI", over.clone()))
        .dotenv(DotEnv::Disabled)
        .resolve(&ConnectArgs::new().uri("http://h"))
        .expect("overridden");
    assert_eq!(spec.target().address(), "h:19530");
}

#[test]
fn a_non_unicode_milvus_token_is_an_error_when_used() {
    use std::os::unix::ffi::OsStringExt;
    let bad = std::ffi::OsString::from_vec(vec![b't', 0xff, b'k']);
    let r =
        Resolver::with_env(MapEnv::new().set("MILVUS_TOKEN", bad.clone())).dotenv(DotEnv::Disabled);
    let errs = r.resolve(&ConnectArgs::new()).expect_err("not unicode");
    assert_eq!(
        errs.to_string(),
        "MILVUS_TOKEN (environment) is not valid unicode"
    );
    assert_eq!(errs.first().field(), "MILVUS_TOKEN");
    // Not used when a higher source gives credentials.
    let spec = r
        .resolve(&ConnectArgs::new().token("t"))
        .expect("MILVUS_TOKEN is not used");
    assert!(matches!(spec.auth(), Auth::Token(_)));
    let spec = r
        .resolve(&ConnectArgs::new().uri("http://u:p@h"))
        .expect("MILVUS_TOKEN is not used");
    assert_eq!(spec.auth().user(), Some("u"));
    // Every variable, not only the token.
    for var in crate::origin::Key::VARIABLES.map(crate::origin::Key::as_str) {
        let errs = Resolver::with_env(MapEnv::new().set(var, bad.clone()))
            .dotenv(DotEnv::Disabled)
            .resolve(&ConnectArgs::new())
            .expect_err(var);
        assert_eq!(
            errs.to_string(),
            format!("{var} (environment) is not valid unicode")
        );
    }
}

mod dotenv_files {
    use super::*;
    use std::fs;

    fn dir_with(content: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".env"), content).expect("write .env");
        dir
    }

    #[test]
    fn found_from_the_current_directory_or_an_ancestor() {
        let dir = dir_with("MILVUS_URI=http://dotenvhost:2\n\nMILVUS_DB_NAME=ddb\n");
        let sub = dir.path().join("a/b");
        fs::create_dir_all(&sub).expect("mkdir");
        let spec = Resolver::with_env(MapEnv::new().current_dir(&sub))
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "dotenvhost:2");
        assert_eq!(
            spec.origin(Field::Target),
            &Origin::DotEnv {
                var: "MILVUS_URI",
                path: dir.path().join(".env"),
                line: 1
            }
        );
        assert_eq!(
            spec.origin(Field::DbName).to_string(),
            format!(
                "MILVUS_DB_NAME (.env {}:3)",
                dir.path().join(".env").display()
            )
        );
    }

    #[test]
    fn the_real_environment_wins_even_when_empty() {
        let dir = dir_with("MILVUS_URI=http://dotenvhost:2\nMILVUS_CONN_TIMEOUT=7\n");
        let env = MapEnv::new()
            .set("MILVUS_URI", "http://realenv:1")
            .current_dir(dir.path());
        let spec = Resolver::with_env(env)
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "realenv:1");
        assert_eq!(spec.timeout(), Duration::from_secs(7));

        let env = MapEnv::new().set("MILVUS_URI", "").current_dir(dir.path());
        let spec = Resolver::with_env(env)
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "localhost:19530");
    }

    #[test]
    fn a_dotenv_uri_beats_a_real_legacy_variable() {
        let dir = dir_with("MILVUS_URI=http://dotenvhost:2\n");
        let env = MapEnv::new()
            .set("MILVUS_DEFAULT_CONNECTION", "http://legacy:1")
            .current_dir(dir.path());
        let spec = Resolver::with_env(env)
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "dotenvhost:2");
    }

    #[test]
    fn explicit_path_disabled_and_missing() {
        let dir = dir_with("MILVUS_URI=http://dotenvhost:2\n");
        let other = tempfile::tempdir().expect("tempdir");
        let env = MapEnv::new().current_dir(other.path());
        let spec = Resolver::with_env(env.clone())
            .dotenv(DotEnv::Path(dir.path().join(".env")))
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "dotenvhost:2");

        let env_here = MapEnv::new().current_dir(dir.path());
        let spec = Resolver::with_env(env_here)
            .dotenv(DotEnv::Disabled)
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "localhost:19530");

        let missing = other.path().join("nope.env");
        let errs = Resolver::with_env(env)
            .dotenv(DotEnv::Path(missing.clone()))
            .resolve(&ConnectArgs::new())
            .expect_err("missing file");
        assert!(
            errs.to_string()
                .contains(&format!("cannot read .env file {}", missing.display())),
            "{errs}"
        );
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let dir = dir_with("MILVUS_URI=http://h:1\nnot an assignment\n");
        let errs = Resolver::with_env(MapEnv::new().current_dir(dir.path()))
            .resolve(&ConnectArgs::new())
            .expect_err("malformed");
        assert!(
            errs.to_string().contains(&format!(
                ".env file {} line 2 cannot be parsed",
                dir.path().join(".env").display()
            )),
            "{errs}"
        );
    }

    #[test]
    fn quotes_export_comments_and_interpolation() {
        let dir = dir_with(
            "INNER=interp-host\nexport MILVUS_URI=\"http://${INNER}:19530\"\nMILVUS_CONN_ALIAS='quoted alias' # comment\nMILVUS_TOKEN=123456\n",
        );
        let spec = Resolver::with_env(MapEnv::new().current_dir(dir.path()))
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "interp-host:19530");
        assert_eq!(spec.alias().as_str(), "quoted alias");
        assert_eq!(
            spec.authorization().map(|h| h.expose_secret().to_owned()),
            Some("MTIzNDU2".to_owned())
        );
    }

    #[test]
    fn other_keys_are_ignored() {
        let dir = dir_with("PATH=/nope\nHOME=/nope\nMILVUS_PORT=1\n");
        let spec = Resolver::with_env(MapEnv::new().current_dir(dir.path()))
            .resolve(&ConnectArgs::new())
            .expect("resolves");
        assert_eq!(spec.target().address(), "localhost:19530");
    }
}

#[test]
fn values_that_are_not_used_are_listed_with_what_beat_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join(".env"),
        "MILVUS_URI=http://dotenv:1\nMILVUS_CONN_TIMEOUT=4\n",
    )
    .expect("write");
    let env = MapEnv::from_pairs([
        ("MILVUS_URI", "http://env:1"),
        ("MILVUS_DB_NAME", "envdb"),
        ("MILVUS_CONN_ALIAS", "prod"),
    ])
    .current_dir(dir.path());
    let r = Resolver::with_env(env);
    let rows: Vec<(&str, ConnectArgs, Vec<String>)> = vec![
        (
            "address beats uri; explicit target beats MILVUS_URI",
            ConnectArgs::new()
                .alias("a")
                .address("a:1")
                .uri("http://b:2"),
            vec![
                "uri (argument) is not used: target comes from address (argument)".into(),
                "MILVUS_URI (environment) is not used: target comes from address (argument)".into(),
                "MILVUS_CONN_ALIAS (environment) is not used: alias comes from alias (argument)"
                    .into(),
                format!(
                    "MILVUS_URI (.env {}:1) is not used: target comes from address (argument)",
                    dir.path().join(".env").display()
                ),
            ],
        ),
        (
            "token beats user/password; db_name beats MILVUS_DB_NAME",
            ConnectArgs::new()
                .token("t")
                .user("u")
                .password("p")
                .db_name("d")
                .host("h")
                .port(1),
            vec![
                "user (argument) is not used: auth comes from token (argument)".into(),
                "password (argument) is not used: auth comes from token (argument)".into(),
                "MILVUS_URI (environment) is not used: target comes from host (argument)".into(),
                "MILVUS_DB_NAME (environment) is not used: db_name comes from db_name (argument)"
                    .into(),
                format!(
                    "MILVUS_URI (.env {}:1) is not used: target comes from host (argument)",
                    dir.path().join(".env").display()
                ),
            ],
        ),
        (
            "everything used",
            ConnectArgs::new()
                .secure(true)
                .ca_pem_path("ca.pem")
                .server_name("sn")
                .user("u")
                .password("p"),
            vec![format!(
                "MILVUS_URI (.env {}:1) is not used: target comes from MILVUS_URI (environment)",
                dir.path().join(".env").display()
            )],
        ),
    ];
    for (row, args, expected) in rows {
        let spec = r.resolve(&args).unwrap_or_else(|e| panic!("{row}: {e}"));
        let got: Vec<String> = spec.overridden().iter().map(ToString::to_string).collect();
        assert_eq!(got, expected, "{row}");
    }
}

/// `Origin::key()` maps the names the resolver puts into origins to `Key`s: every argument
/// key and every variable has one, of the right sort, and every argument `Key` is a key
/// the resolver reads.
#[test]
fn every_origin_name_is_a_key() {
    // pymilvus's `connect()` arguments, as it spells them.
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
    for arg in ARG_KEYS {
        let origin = Origin::Explicit { arg };
        let key = origin.key().unwrap_or_else(|| panic!("{arg} has no Key"));
        assert!(key.is_argument() && key.as_str() == arg, "{arg}");
    }
    for var in crate::origin::Key::VARIABLES.map(crate::origin::Key::as_str) {
        let origin = Origin::Env { var };
        let key = origin.key().unwrap_or_else(|| panic!("{var} has no Key"));
        assert!(key.is_variable() && key.as_str() == var, "{var}");
    }
    for key in Key::ALL.into_iter().filter(|k| k.is_argument()) {
        assert!(ARG_KEYS.contains(&key.as_str()), "{key}");
    }
}
