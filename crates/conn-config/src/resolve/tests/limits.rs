//! Limits: timeouts, host names, the length of every value; the alias and the timeout.

use super::*;

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
    for var in crate::origin::Key::variables().map(crate::origin::Key::as_str) {
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
