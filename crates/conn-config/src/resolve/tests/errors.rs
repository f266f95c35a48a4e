//! Rejected inputs: every problem reported at once, with its field and origin, and no
//! secret shown.

use super::*;

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
    let rows: Vec<Row1> = rows![
        "password without user", none,
            ConnectArgs::new().password("p"), "password in password (argument) has no user";
        "half pair even with a token", none,
            ConnectArgs::new().token("t").user("u"), "has no password";
        "uri user without password", none,
            ConnectArgs::new().uri("http://u@h"), "user in uri (argument) has no password";
        // Both halves of a pair come from one place (docs/resolution.md, "Security"; issue 11 item 5).
        // This row used to combine the URI's user with the password argument.
        "uri user + explicit password do not combine", none,
            ConnectArgs::new().uri("http://uu@h").password("p"),
            "password in password (argument) has no user";
        "explicit user + a complete uri userinfo: half a pair", none,
            ConnectArgs::new().uri("http://uu:Secret@h:1").user("other"),
            "user in user (argument) has no password";
        "explicit password + a complete uri userinfo: half a pair", none,
            ConnectArgs::new().uri("http://uu:Secret@h:1").password("p"),
            "password in password (argument) has no user";
        "explicit user + a complete MILVUS_URI userinfo: half a pair",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().user("u"), "user in user (argument) has no password";
        "MILVUS_URI user without password, beside an explicit pair",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().user("u").password("p"),
            "user in MILVUS_URI (environment) has no password";
        "MILVUS_URI user without password, beside an explicit token",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().token("t"), "user in MILVUS_URI (environment) has no password";
        "MILVUS_URI password without user, beside MILVUS_TOKEN",
            &[("MILVUS_URI", "http://:ep@h"), ("MILVUS_TOKEN", "t")],
            ConnectArgs::new(), "password in MILVUS_URI (environment) has no user";
        "MILVUS_DEFAULT_CONNECTION user without password, beside a token",
            &[("MILVUS_DEFAULT_CONNECTION", "http://eu@h")],
            ConnectArgs::new().token("t"),
            "user in MILVUS_DEFAULT_CONNECTION (environment) has no password";
        "uri user without password, beside an explicit pair", none,
            ConnectArgs::new().uri("http://u@h").user("a").password("b"),
            "user in uri (argument) has no password";
        "uri password without user", none,
            ConnectArgs::new().uri("http://:p@h"), "password in uri (argument) has no user";
        "port 0", none, ConnectArgs::new().port(0), "port 0 in port (argument) is out of range";
        "port 65536", none,
            ConnectArgs::new().host("h").port(65536),
            "port 65536 in port (argument) is out of range";
        "port with sign", none,
            ConnectArgs::new().port("+5"), "port \"+5\" in port (argument) is not a number";
        "unknown scheme in MILVUS_URI", &[("MILVUS_URI", "ftp://h:21")],
            ConnectArgs::new(), "unsupported scheme \"ftp\" in MILVUS_URI (environment)";
        "schemeless MILVUS_URI", &[("MILVUS_URI", "localhost:19530")],
            ConnectArgs::new(), "MILVUS_URI (environment) is not a URI";
        "control character", none,
            ConnectArgs::new().host("h\u{1}x"), "host (argument) contains a control character";
        "inner tab", none,
            ConnectArgs::new().uri("http://h\t:1"), "uri (argument) contains a control character";
        "zero timeout", none, ConnectArgs::new().timeout(0), "timeout \"0\" in timeout (argument)";
        "negative timeout", none, ConnectArgs::new().timeout(-1), "timeout \"-1\"";
        "nan timeout", none, ConnectArgs::new().timeout("NaN"), "timeout \"NaN\"";
        "inf timeout", none, ConnectArgs::new().timeout("inf"), "timeout \"inf\"";
        "timeout beyond u64", none,
            ConnectArgs::new().timeout("18446744073709551615"),
            "timeout \"18446744073709551615\" in timeout (argument) is too large; a timeout is at most 86400 seconds (one day)";
        "timeout 1e12 in MILVUS_CONN_TIMEOUT", &[("MILVUS_CONN_TIMEOUT", "1e12")],
            ConnectArgs::new(),
            "timeout \"1e12\" in MILVUS_CONN_TIMEOUT (environment) is too large";
        "timeout a nanosecond over a day", none,
            ConnectArgs::new().timeout("86400.000000001"), "is too large";
        "timeout less than a nanosecond over a day", none,
            ConnectArgs::new().timeout("86400.0000000001"), "is too large";
        "timeout as u64::MAX", none, ConnectArgs::new().timeout(u64::MAX), "is too large";
        "timeout as an f64 of 1e12", none, ConnectArgs::new().timeout(1e12_f64), "is too large";
        "timeout as Duration::MAX", none, ConnectArgs::new().timeout(Duration::MAX), "is too large";
        "timeout beyond f64", none, ConnectArgs::new().timeout("1e400"), "is too large";
        "timeout of 10,000 digits", none,
            ConnectArgs::new().timeout("9".repeat(10_000)),
            "… (10000 bytes) in timeout (argument) is too large";
        "timeout of f64 infinity", none,
            ConnectArgs::new().timeout(f64::INFINITY),
            "timeout \"inf\" in timeout (argument) is not a positive, finite number";
        "host {}", none,
            ConnectArgs::new().host("{}"),
            "invalid host \"{}\" in host (argument): a character not allowed in a host name";
        "empty label in a uri host", none,
            ConnectArgs::new().uri("http://a..b:19530"),
            "invalid host \"a..b\" in uri (argument): an empty label";
        "leading dot in MILVUS_URI", &[("MILVUS_URI", "http://.a:1")],
            ConnectArgs::new(), "in MILVUS_URI (environment): an empty label";
        "a 64-character label in address", none,
            ConnectArgs::new().address(format!("{}.example:1", "a".repeat(64))),
            "in address (argument): a label of a host name is at most 63 characters";
        "a 254-character host", none,
            ConnectArgs::new().host(vec!["a".repeat(63); 4].join(".")[..254].to_owned()),
            "in host (argument): a host name is at most 253 characters";
        "a 50 MB host", none,
            ConnectArgs::new().host("h".repeat(50 << 20)),
            "host (argument) is 52428800 bytes long; a value is at most 65536 bytes (64 KiB)";
        "server name with an empty label", none,
            ConnectArgs::new().server_name("a..b"),
            "server name \"a..b\" in server_name (argument) is invalid: an empty label";
        "wildcard server name", none,
            ConnectArgs::new().server_name("*.example"),
            "server name \"*.example\" in server_name (argument) is invalid: a character not allowed";
        "server name with a port", none,
            ConnectArgs::new().server_name("h:19530"),
            "server name \"h:19530\" in server_name (argument) is invalid: a server name has no port";
        "server name with a leading hyphen", none,
            ConnectArgs::new().server_name("-h.example"), "neither starts nor ends with '-'";
        "empty host", none, ConnectArgs::new().uri("http://:1"), "empty host in uri (argument)";
        "unix without path", none, ConnectArgs::new().uri("unix:"), "no socket path";
        "alias with no target", none,
            ConnectArgs::new().alias("prod"), "no target for alias \"prod\"";
        "MILVUS_CONN_ALIAS names the default alias", &[("MILVUS_CONN_ALIAS", "prod")],
            ConnectArgs::new().alias("default"), "no target for alias \"default\"";
    ];
    for (row, env, args, needle) in rows {
        err(row, &resolver(env), &args, &[needle]);
    }
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
    for var in crate::origin::Key::variables().map(crate::origin::Key::as_str) {
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
