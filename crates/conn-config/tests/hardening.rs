//! Regression tests for issue 11, items 1, 5, 6 and 7: each reproduction of the issue,
//! translated from the command line to `ConnectArgs` and `MapEnv`, is now a typed error of
//! `resolve()` naming the argument or variable and its source.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;
use std::time::Duration;

use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Error, Errors, MapEnv, Origin, Resolver};

fn resolver(env: MapEnv) -> Resolver<MapEnv> {
    Resolver::with_env(env).dotenv(DotEnv::Disabled)
}

/// The one error of a failed resolution.
#[track_caller]
fn only(result: Result<ConnectionSpec, Errors>) -> Error {
    let errors = result.expect_err("must fail");
    assert_eq!(errors.len(), 1, "{errors}");
    errors.into_vec().remove(0)
}

/// Item 1: `ping --uri http://127.0.0.1:1 --timeout 18446744073709551615` exited 101;
/// `--timeout 1e12` and `MILVUS_CONN_TIMEOUT=1e12` panicked in tonic.
#[test]
fn item_1_timeouts_are_at_most_a_day() {
    let uri = ConnectArgs::new().uri("http://127.0.0.1:1");
    for t in ["18446744073709551615", "1e12", "86400.000000001"] {
        let e = only(uri.clone().timeout(t).resolve_isolated());
        assert!(
            matches!(&e, Error::TimeoutTooLarge { origin: Origin::Explicit { arg: "timeout" }, value, .. } if value == t),
            "{t}: {e:?}"
        );
        assert_eq!(e.field(), "timeout");
    }
    let e = only(resolver(MapEnv::new().set("MILVUS_CONN_TIMEOUT", "1e12")).resolve(&uri));
    assert_eq!(
        e.to_string(),
        "timeout \"1e12\" in MILVUS_CONN_TIMEOUT (environment) is too large; a timeout is at most 86400 seconds (one day)"
    );
    // TimeoutArg's typed forms do not bypass the limit.
    for args in [
        uri.clone().timeout(u64::MAX),
        uri.clone().timeout(1e12_f64),
        uri.clone().timeout(Duration::MAX),
        uri.clone().timeout(Duration::from_secs(86_401)),
    ] {
        let e = only(args.resolve_isolated());
        assert!(matches!(e, Error::TimeoutTooLarge { .. }), "{e:?}");
    }
    let spec = uri
        .clone()
        .timeout(86_400u32)
        .resolve_isolated()
        .expect("a day is fine");
    assert_eq!(spec.timeout(), ConnectionSpec::MAX_TIMEOUT);
    // The stored arguments of an alias (the registry's add_connection) too.
    let e = only(resolver(MapEnv::new()).resolve_with_stored(
        &ConnectArgs::new().alias("a"),
        Some(&uri.clone().alias("a").timeout("1e12")),
    ));
    assert_eq!(
        e.origin().map(Origin::to_string).as_deref(),
        Some("timeout (stored for alias \"a\")")
    );
}

/// Item 5: `resolve --uri http://uu:Secret@h:1 --user other` sent `other:Secret`;
/// `--password` beside a URI with userinfo mixed the other way; half a userinfo in
/// `MILVUS_URI` was accepted beside an explicit pair or token.
#[test]
fn item_5_credentials_come_from_one_place() {
    let e = only(
        ConnectArgs::new()
            .uri("http://uu:Secret@h:1")
            .user("other")
            .resolve_isolated(),
    );
    assert_eq!(
        e.to_string(),
        "user in user (argument) has no password; give both a user and a password, or neither"
    );
    assert!(!format!("{e} {e:?}").contains("Secret"));
    let e = only(
        ConnectArgs::new()
            .uri("http://uu:Secret@h:1")
            .password("pw")
            .resolve_isolated(),
    );
    assert!(
        matches!(
            e,
            Error::PasswordWithoutUser {
                origin: Origin::Explicit { arg: "password" },
                ..
            }
        ),
        "{e:?}"
    );
    // Both explicit: the pair, never the URI's half.
    let spec = ConnectArgs::new()
        .uri("http://uu:Secret@h:1")
        .user("other")
        .password("pw")
        .resolve_isolated()
        .expect("a whole pair");
    assert_eq!(spec.auth().user(), Some("other"));
    // Half a userinfo in the URI that supplies the target, from any source, beside anything.
    let beside = [
        ConnectArgs::new().token("t"),
        ConnectArgs::new().user("a").password("b"),
        ConnectArgs::new(),
    ];
    for var in ["MILVUS_URI", "MILVUS_DEFAULT_CONNECTION"] {
        for uri in ["http://uu@h:1", "http://:pw@h:1"] {
            for args in &beside {
                let e = only(resolver(MapEnv::new().set(var, uri)).resolve(args));
                assert!(
                    matches!(&e, Error::UserWithoutPassword { origin: Origin::Env { var: v }, .. }
                        | Error::PasswordWithoutUser { origin: Origin::Env { var: v }, .. } if *v == var),
                    "{var}={uri} beside {args:?}: {e:?}"
                );
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    std::fs::write(&path, "MILVUS_URI=http://uu@h:1\n").expect("write .env");
    let e = only(
        Resolver::with_env(MapEnv::new())
            .dotenv(DotEnv::Path(path))
            .resolve(&ConnectArgs::new().token("t")),
    );
    assert!(
        matches!(
            &e,
            Error::UserWithoutPassword {
                origin: Origin::DotEnv {
                    var: "MILVUS_URI",
                    line: 1,
                    ..
                },
                ..
            }
        ),
        "{e:?}"
    );
    // Stored arguments (the registry's add_connection): the same rules.
    let stored = ConnectArgs::new()
        .alias("a")
        .uri("http://uu:Secret@h:1")
        .user("other");
    let e = only(
        resolver(MapEnv::new()).resolve_with_stored(&ConnectArgs::new().alias("a"), Some(&stored)),
    );
    assert!(
        matches!(
            e,
            Error::UserWithoutPassword {
                origin: Origin::Stored { arg: "user", .. },
                ..
            }
        ),
        "{e:?}"
    );
    let stored = ConnectArgs::new().alias("a").uri("http://uu:up@h:1");
    let spec = resolver(MapEnv::new())
        .resolve_with_stored(&ConnectArgs::new().alias("a"), Some(&stored))
        .expect("a stored URI's whole userinfo");
    assert_eq!(spec.auth().user(), Some("uu"));
    // A URI that does not supply the target is not validated.
    let spec = resolver(MapEnv::new().set("MILVUS_URI", "http://uu@h:1"))
        .resolve(&ConnectArgs::new().host("x").token("t"))
        .expect("MILVUS_URI is not used");
    assert_eq!(spec.target().address(), "x:19530");
}

/// Item 6: a non-UTF-8 `MILVUS_TOKEN` was dropped silently (auth none, exit 0).
#[test]
fn item_6_a_non_unicode_milvus_token_is_an_error() {
    let bad = OsString::from_vec(vec![b't', 0xff, b'k']);
    let e = only(resolver(MapEnv::new().set("MILVUS_TOKEN", bad)).resolve(&ConnectArgs::new()));
    assert!(
        matches!(
            e,
            Error::NotUnicode {
                origin: Origin::Env {
                    var: "MILVUS_TOKEN"
                },
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.field(), "MILVUS_TOKEN");
}

/// Item 7: `--host "{}"`, `http://a..b:19530`, a 64-character label and a 50 MB host all
/// resolved; `--server-name a..b`, `*.example` and `h:19530` resolved and `ping` then
/// failed with "tls is not available".
#[test]
fn item_7_host_names_and_server_names_are_checked() {
    let label = format!("http://{}.example:19530", "a".repeat(64));
    let cases = [
        (
            ConnectArgs::new().host("{}").resolve_isolated(),
            Origin::Explicit { arg: "host" },
        ),
        (
            ConnectArgs::new()
                .uri("http://a..b:19530")
                .resolve_isolated(),
            Origin::Explicit { arg: "uri" },
        ),
        (
            resolver(MapEnv::new().set("MILVUS_URI", label)).resolve(&ConnectArgs::new()),
            Origin::Env { var: "MILVUS_URI" },
        ),
    ];
    for (result, expected) in cases {
        let e = only(result);
        assert!(
            matches!(&e, Error::InvalidHost { origin, .. } if *origin == expected),
            "{e:?}"
        );
    }
    let e = only(
        ConnectArgs::new()
            .host("h".repeat(50_000_000))
            .resolve_isolated(),
    );
    assert!(
        matches!(
            e,
            Error::ValueTooLong {
                len: 50_000_000,
                ..
            }
        ),
        "{e:?}"
    );
    for name in ["a..b", "*.example", "h:19530"] {
        let e = only(ConnectArgs::new().server_name(name).resolve_isolated());
        assert!(
            matches!(&e, Error::InvalidServerName { origin: Origin::Explicit { arg: "server_name" }, value, .. } if value == name),
            "{name}: {e:?}"
        );
    }
}
