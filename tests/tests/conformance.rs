//! Conformance with pymilvus 3.0.2: every recorded `connect`/`add_connection` case of
//! `shared/oracle/cases.jsonl` is replayed through conn-config and must agree with
//! pymilvus, or be a deliberate deviation (`docs/deviations.md`), or
//! be not applicable for a stated reason. Each deviation case also pins our own result.
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};

use conn_config::{ConnectArgs, DotEnv, Environment, MapEnv, ProcessEnv, Resolver};
use milvus_conn_tests::conformance::{
    Case, Replay, StepComparison, cases_path, load_cases, replay,
};

/// Cases that deviate on purpose, with the numbers of the deviations that explain every
/// difference, all in `docs/deviations.md`: 1-22 from the first list, 23-24 and 28 settled by
/// the precedence, security and registry rules (docs/resolution.md, docs/registry.md).
const DEVIATIONS: &[(&str, &[u8])] = &[
    ("orm_ipv6_literal_uri", &[1]),
    ("orm_ipv6_address_kwarg", &[1]),
    ("orm_hostport_host_with_colon", &[1]),
    ("orm_uri_port_0", &[2]),
    ("orm_uri_port_65535", &[2]),
    ("orm_hostport_port_65535", &[2]),
    ("orm_percent_encoded_userinfo_not_decoded", &[3]),
    ("env_uri_used_by_connect_no_params", &[4, 22]),
    ("orm_uri_userinfo_beats_args", &[5]),
    ("env_uri_beats_cached_alias_config", &[6]),
    ("orm_uri_one_segment_db_default_arg", &[7]),
    ("orm_user_without_password_no_auth", &[8]),
    ("orm_none_credentials", &[8]),
    ("registry_disconnect_vs_remove", &[8]),
    ("registry_cached_config_drops_token", &[8]),
    ("orm_tls_incomplete_mutual_uses_system_roots", &[8, 15]),
    ("orm_https_explicit_secure_false_is_overridden", &[9]),
    ("dotenv_script_mode_cwd_not_loaded", &[10]),
    ("dotenv_package_ancestor_loaded", &[10]),
    ("orm_bad_scheme_add_connection", &[12]),
    ("registry_same_alias_same_address_new_params", &[14]),
    ("orm_tls_server_pem_wins_over_mutual", &[15]),
    ("orm_address_unchecked_port_range", &[16]),
    ("orm_uri_trailing_whitespace", &[17]),
    ("orm_hostport_host_whitespace", &[17]),
    ("orm_hostport_port_whitespace_and_underscore", &[17, 21]),
    ("orm_unix_socket_uppercase", &[18]),
    ("env_uri_unix_import_error", &[18]),
    ("env_uri_bad_scheme_accepted", &[18]),
    ("orm_timeout_kwarg_and_bad_timeout", &[19]),
    ("orm_uri_empty_host_keeps_port", &[20]),
    ("env_uri_empty_masks_legacy", &[20]),
    ("orm_token_beats_user_password", &[22]),
    ("orm_uri_userinfo_plus_token", &[22]),
    ("registry_connect_twice_no_params", &[23]),
    ("registry_reconnect_cached_after_disconnect", &[23]),
    ("registry_cached_https_then_secure_kwarg", &[23]),
    ("registry_no_config_for_alias", &[24]),
    ("orm_uri_user_only_plus_arg_password", &[28]),
];

/// Cases that the replay could compare but that exercise something outside resolution.
/// (Cases with MilvusClient-only ops, or inputs with no Rust equivalent, are found
/// not applicable by the replay itself, with the reason.)
const NOT_APPLICABLE: &[(&str, &str)] = &[
    (
        "lite_orm_missing_parent_dir",
        "milvus-lite start-up: pymilvus checks the .db file's directory when it starts milvus-lite; here resolution gives Target::Lite and the transport (feature lite) checks the directory when it starts Milvus Lite (LiteProblem::ParentMissing, conn-transport-tonic tests/lite.rs)",
    ),
    (
        "lite_orm_not_installed",
        "milvus-lite start-up: pymilvus fails because the milvus-lite package is missing; here the transport (feature lite) fails with LiteProblem::NotInstalled when it starts Milvus Lite (conn-transport-tonic tests/lite.rs), not resolution",
    ),
    (
        "connect_failure_closed_loopback_port",
        "transport: the connect fails against a closed port (resolution gives 127.0.0.1:1, as pymilvus's handler shows); the failure and deviation 13 belong to the transport and registry crates",
    ),
];

/// Disagreements that no deviation explains: conn-config bugs or contract gaps, reported
/// to the lead. The lead empties this list (by a fix, or by a new documented deviation).
/// A case listed here that starts to agree fails the test, so the list cannot go stale.
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// A compared step (`None`: the implied `connect()`) and our exact outcome there.
type PinnedStep = (Option<usize>, &'static str);

/// Our own result for each deviation case: for every step that shows the deviation, the
/// exact outcome we produce (`ok {...}` or `error: <message>`). Step `None` is the
/// `connect()` implied by an import-time-configuration case.
const PINNED: &[(&str, &[PinnedStep])] = &[
    (
        "orm_ipv6_literal_uri",
        &[(
            Some(0),
            r#"ok {alias="a", address="[::1]:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_ipv6_address_kwarg",
        &[(
            Some(0),
            r#"ok {alias="a", address="[::1]:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_hostport_host_with_colon",
        &[(
            Some(0),
            r#"ok {alias="a", address="[::1]:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_uri_port_0",
        &[(
            Some(0),
            "error: port 0 in uri (argument) is out of range 1..=65535",
        )],
    ),
    (
        "orm_uri_port_65535",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:65535", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_hostport_port_65535",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:65535", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_percent_encoded_userinfo_not_decoded",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="r@ot", authorization=Some("r@ot:p@ss:w"), tls=None, timeout=10}"#,
        )],
    ),
    (
        "env_uri_used_by_connect_no_params",
        &[(
            Some(1),
            r#"ok {alias="default", address="envhost:443", secure=true, db="argdb", user="", authorization=Some("argtoken"), tls=Some(TlsView { roots: [], client: None, server_name: None }), timeout=10}"#,
        )],
    ),
    (
        "orm_uri_userinfo_beats_args",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="arguser", authorization=Some("arguser:argpass"), tls=None, timeout=10}"#,
        )],
    ),
    (
        "env_uri_beats_cached_alias_config",
        &[(
            Some(1),
            r#"ok {alias="other", address="cachedhost:1234", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_uri_one_segment_db_default_arg",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="mydb", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_user_without_password_no_auth",
        &[(
            Some(0),
            "error: user in user (argument) has no password; give both a user and a password, or neither",
        )],
    ),
    (
        "orm_uri_user_only_plus_arg_password",
        &[(
            Some(0),
            "error: 2 problems: user in uri (argument) has no password; give both a user and a password, or neither; password in password (argument) has no user; give both a user and a password, or neither",
        )],
    ),
    (
        "orm_none_credentials",
        &[(
            Some(0),
            "error: password in password (argument) has no user; give both a user and a password, or neither",
        )],
    ),
    (
        "registry_disconnect_vs_remove",
        &[(
            Some(0),
            "error: user in user (argument) has no password; give both a user and a password, or neither",
        )],
    ),
    (
        "registry_cached_config_drops_token",
        &[
            (
                Some(0),
                r#"error: user in user (stored for alias "a") has no password; give both a user and a password, or neither"#,
            ),
            (
                Some(1),
                r#"error: no target for alias "a": give uri, address or host/port, set MILVUS_URI, or add the alias first (the built-in http://localhost:19530 belongs to the default alias "default" only)"#,
            ),
        ],
    ),
    (
        "orm_tls_incomplete_mutual_uses_system_roots",
        &[(
            Some(0),
            "error: client_pem_path (argument) has no client_key_path; mutual TLS needs both client_pem_path and client_key_path",
        )],
    ),
    (
        "orm_https_explicit_secure_false_is_overridden",
        &[(
            Some(0),
            "error: uri (argument) uses https, but secure (argument) is false",
        )],
    ),
    (
        "dotenv_script_mode_cwd_not_loaded",
        &[(
            None,
            r#"ok {alias="fromdotenv", address="dotenvhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "dotenv_package_ancestor_loaded",
        &[(
            None,
            r#"ok {alias="default", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_bad_scheme_add_connection",
        &[(
            Some(0),
            r#"error: unsupported scheme "ftp" in uri (stored for alias "a"); expected http://, https://, tcp://, grpc://, unix:PATH or a local path ending in .db"#,
        )],
    ),
    (
        "registry_same_alias_same_address_new_params",
        &[(
            Some(1),
            r#"error: alias "a" is connected with a different configuration (auth, db_name)"#,
        )],
    ),
    (
        "orm_tls_server_pem_wins_over_mutual",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=true, db="default", user="", authorization=None, tls=Some(TlsView { roots: ["SERVER-PEM", "CA-PEM"], client: Some(("CLIENT-PEM", "CLIENT-KEY")), server_name: None }), timeout=10}"#,
        )],
    ),
    (
        "orm_address_unchecked_port_range",
        &[(
            Some(0),
            "error: port 99999 in address (argument) is out of range 1..=65535",
        )],
    ),
    (
        "orm_uri_trailing_whitespace",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_hostport_host_whitespace",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_hostport_port_whitespace_and_underscore",
        &[
            (
                Some(0),
                r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
            ),
            (
                Some(1),
                r#"error: port "19_530" in port (argument) is not a number; a port is digits only, 1..=65535"#,
            ),
        ],
    ),
    (
        "orm_unix_socket_uppercase",
        &[(
            Some(0),
            r#"ok {alias="a", address="unix:/tmp/milvus.sock", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "env_uri_unix_import_error",
        &[(
            None,
            r#"ok {alias="default", address="unix:/tmp/milvus.sock", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "env_uri_bad_scheme_accepted",
        &[(
            None,
            r#"error: unsupported scheme "ftp" in MILVUS_URI (environment); expected http://, https://, tcp://, grpc://, unix:PATH or a local path ending in .db"#,
        )],
    ),
    (
        "orm_timeout_kwarg_and_bad_timeout",
        &[(
            Some(1),
            r#"ok {alias="b", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=5}"#,
        )],
    ),
    (
        "orm_uri_empty_host_keeps_port",
        &[(Some(0), "error: empty host in uri (argument)")],
    ),
    (
        "env_uri_empty_masks_legacy",
        &[(
            None,
            r#"ok {alias="default", address="legacy:1234", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_token_beats_user_password",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="", authorization=Some("tok123"), tls=None, timeout=10}"#,
        )],
    ),
    (
        "orm_uri_userinfo_plus_token",
        &[(
            Some(0),
            r#"ok {alias="a", address="localhost:19530", secure=false, db="default", user="", authorization=Some("tk"), tls=None, timeout=10}"#,
        )],
    ),
    (
        "registry_connect_twice_no_params",
        &[(
            Some(1),
            r#"ok {alias="default", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "registry_reconnect_cached_after_disconnect",
        &[(
            Some(2),
            r#"ok {alias="a", address="h1:1", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
    (
        "registry_cached_https_then_secure_kwarg",
        &[(
            Some(2),
            r#"ok {alias="a", address="h1:443", secure=true, db="default", user="", authorization=None, tls=Some(TlsView { roots: [], client: None, server_name: None }), timeout=10}"#,
        )],
    ),
    (
        "registry_no_config_for_alias",
        &[(
            Some(2),
            r#"ok {alias="default", address="localhost:19530", secure=false, db="default", user="", authorization=None, tls=None, timeout=10}"#,
        )],
    ),
];

/// The recorded cases, or `None` (with the reason printed) when the file is missing outside
/// CI. Under `CI=true` a missing file is a failure.
fn cases() -> Option<Vec<Case>> {
    let path = cases_path();
    if !path.exists() {
        let ci = ProcessEnv.var("CI").is_some_and(|v| v == "true");
        assert!(
            !ci,
            "{} is missing; CI must provide shared/oracle beside the checkout",
            path.display()
        );
        println!(
            "skipped: {} is missing (shared/oracle must sit beside the checkout)",
            path.display()
        );
        return None;
    }
    match load_cases(&path) {
        Ok(cases) => Some(cases),
        Err(e) => panic!("{e}"),
    }
}

fn describe(name: &str, steps: &[StepComparison]) -> String {
    let mut out = format!("{name}:\n");
    for s in steps {
        let diffs = s.differences();
        if diffs.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "  step {} ({}) {}\n    pymilvus 3.0.2: {}\n    ours:           {}\n",
            s.index.map_or_else(|| "-".to_owned(), |i| i.to_string()),
            s.op,
            s.input,
            s.pymilvus,
            s.ours
        ));
        for d in diffs {
            out.push_str(&format!("    - {d}\n"));
        }
    }
    out
}

#[test]
fn every_connect_case_agrees_with_pymilvus_or_is_a_documented_deviation() {
    let Some(cases) = cases() else { return };
    let deviations: BTreeMap<&str, &[u8]> = DEVIATIONS.iter().copied().collect();
    let not_applicable: BTreeMap<&str, &str> = NOT_APPLICABLE.iter().copied().collect();
    let known_bugs: BTreeMap<&str, &str> = KNOWN_BUGS.iter().copied().collect();

    // The tables name real cases, each in one table only, with real deviation numbers.
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let mut listed = BTreeSet::new();
    for name in deviations
        .keys()
        .chain(not_applicable.keys())
        .chain(known_bugs.keys())
    {
        assert!(names.contains(name), "{name} is listed but is not a case");
        assert!(listed.insert(*name), "{name} is listed twice");
    }
    for (name, numbers) in &deviations {
        assert!(!numbers.is_empty(), "{name}: no deviation number");
        for n in *numbers {
            // 25 is the transport's (channel sharing); 26-32 are issue 11's (limits and
            // credentials), of which 28 has a recorded case.
            assert!(
                (1..=24).contains(n) || (26..=32).contains(n),
                "{name}: no deviation {n}"
            );
        }
    }

    let mut agree = Vec::new();
    let mut deviate = Vec::new();
    let mut na: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut bugs = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.name.as_str();
        let steps = match replay(case) {
            Err(e) => {
                failures.push(format!("{name}: cannot replay: {e}"));
                continue;
            }
            Ok(Replay::NotApplicable(reason)) => {
                if listed.contains(name) {
                    failures.push(format!(
                        "{name} is listed in a table but is not applicable: {reason}"
                    ));
                }
                na.entry(reason).or_default().push(name);
                continue;
            }
            Ok(Replay::Compared(steps)) => steps,
        };
        let differs = steps.iter().any(|s| !s.differences().is_empty());
        if let Some(reason) = not_applicable.get(name) {
            na.entry((*reason).to_owned()).or_default().push(name);
        } else if let Some(numbers) = deviations.get(name) {
            if differs {
                deviate.push((name, *numbers));
            } else {
                failures.push(format!(
                    "{name} is listed as deviation {numbers:?} but agrees with pymilvus: remove it from DEVIATIONS"
                ));
            }
        } else if let Some(why) = known_bugs.get(name) {
            if differs {
                println!("KNOWN BUG {}  [{why}]", describe(name, &steps));
                bugs.push(name);
            } else {
                failures.push(format!(
                    "{name} is in KNOWN_BUGS but now agrees with pymilvus: remove it"
                ));
            }
        } else if differs {
            failures.push(format!(
                "unexplained disagreement with pymilvus 3.0.2 in {}",
                describe(name, &steps)
            ));
        } else {
            agree.push(name);
        }
    }

    let na_count: usize = na.values().map(Vec::len).sum();
    println!(
        "pymilvus 3.0.2 conformance over {} cases: {} agree, {} deviate on purpose, {} not applicable, {} known bugs",
        cases.len(),
        agree.len(),
        deviate.len(),
        na_count,
        bugs.len()
    );
    for (name, numbers) in &deviate {
        println!("  deviate {numbers:?}: {name}");
    }
    for (reason, names) in &na {
        println!("  not applicable ({}): {reason}", names.len());
        for n in names {
            println!("    {n}");
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Each deliberate deviation case, with our own result pinned: every row names its case.
#[test]
fn deviation_cases_pin_our_result() {
    let Some(cases) = cases() else { return };
    let by_name: BTreeMap<&str, &Case> = cases.iter().map(|c| (c.name.as_str(), c)).collect();
    let pinned: BTreeSet<&str> = PINNED.iter().map(|(n, _)| *n).collect();
    let listed: BTreeSet<&str> = DEVIATIONS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        pinned, listed,
        "every deviation case has a pinned result, and only those"
    );
    let mut failures = Vec::new();
    for (name, expected) in PINNED {
        let Some(case) = by_name.get(name) else {
            failures.push(format!("{name}: no such case"));
            continue;
        };
        let steps = match replay(case) {
            Ok(Replay::Compared(steps)) => steps,
            other => {
                failures.push(format!("{name}: not compared: {other:?}"));
                continue;
            }
        };
        for (index, want) in *expected {
            match steps.iter().find(|s| s.index == *index) {
                Some(s) if s.ours.to_string() == *want => {}
                Some(s) => failures.push(format!(
                    "{name} step {index:?}:\n  want {want}\n  got  {}",
                    s.ours
                )),
                None => failures.push(format!("{name}: no compared step {index:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Deviation 11, whose cases (`env_conn_timeout_invalid_import_error`,
/// `env_uri_without_scheme_import_error`) agree on `connect()` with no arguments (pymilvus
/// fails at import, we fail at resolve): a bad variable is an error only when its value
/// is used, and the error names it. pymilvus fails at `import pymilvus` either way.
#[test]
fn deviation_11_a_bad_variable_matters_only_when_used() {
    let resolver = |var: &str, value: &str| {
        Resolver::with_env(MapEnv::from_pairs([(var, value)])).dotenv(DotEnv::Disabled)
    };
    let timeout = resolver("MILVUS_CONN_TIMEOUT", "abc");
    let err = match timeout.resolve(&ConnectArgs::new()) {
        Ok(spec) => panic!("a bad MILVUS_CONN_TIMEOUT resolved: {spec:?}"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("MILVUS_CONN_TIMEOUT"), "{err}");
    let spec = timeout
        .resolve(&ConnectArgs::new().timeout(3u64))
        .unwrap_or_else(|e| panic!("an explicit timeout hides MILVUS_CONN_TIMEOUT: {e}"));
    assert_eq!(spec.timeout().as_secs(), 3);

    let uri = resolver("MILVUS_URI", "localhost:19530");
    let err = match uri.resolve(&ConnectArgs::new()) {
        Ok(spec) => panic!("a MILVUS_URI without a scheme resolved: {spec:?}"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("MILVUS_URI"), "{err}");
    let spec = uri
        .resolve(&ConnectArgs::new().uri("http://h:1"))
        .unwrap_or_else(|e| panic!("an explicit uri hides MILVUS_URI: {e}"));
    assert_eq!(spec.target().address(), "h:1");
}
