//! The sources: stored arguments, `.env` files, what is not used, origins and `Debug`.

use super::*;

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

mod dotenv_files {
    use super::*;
    use std::fs;

    fn dir_with(content: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".env"), content).expect("write .env");
        dir
    }

    /// Resolves no arguments with `vars` set, the `.env` searched from `dir`.
    fn resolve_in(dir: &tempfile::TempDir, vars: &[(&str, &str)]) -> ConnectionSpec {
        let env = MapEnv::from_pairs(vars.iter().copied()).current_dir(dir.path());
        Resolver::with_env(env)
            .resolve(&ConnectArgs::new())
            .expect("resolves")
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
        let spec = resolve_in(&dir, &[("MILVUS_URI", "http://realenv:1")]);
        assert_eq!(spec.target().address(), "realenv:1");
        assert_eq!(spec.timeout(), Duration::from_secs(7));

        let spec = resolve_in(&dir, &[("MILVUS_URI", "")]);
        assert_eq!(spec.target().address(), "localhost:19530");
    }

    #[test]
    fn a_dotenv_uri_beats_a_real_legacy_variable() {
        let dir = dir_with("MILVUS_URI=http://dotenvhost:2\n");
        let spec = resolve_in(&dir, &[("MILVUS_DEFAULT_CONNECTION", "http://legacy:1")]);
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
        let spec = resolve_in(&dir, &[]);
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
        let spec = resolve_in(&dir, &[]);
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
    let arg_keys = "alias uri address host port user password token db_name secure \
                    server_pem_path ca_pem_path client_pem_path client_key_path server_name \
                    timeout keep_alive";
    let arg_keys: Vec<&'static str> = arg_keys.split_whitespace().collect();
    assert_eq!(arg_keys.len(), 17);
    for arg in arg_keys.iter().copied() {
        let origin = Origin::Explicit { arg };
        let key = origin.key().unwrap_or_else(|| panic!("{arg} has no Key"));
        assert!(key.is_argument() && key.as_str() == arg, "{arg}");
    }
    for var in crate::origin::Key::variables().map(crate::origin::Key::as_str) {
        let origin = Origin::Env { var };
        let key = origin.key().unwrap_or_else(|| panic!("{var} has no Key"));
        assert!(key.is_variable() && key.as_str() == var, "{var}");
    }
    for key in Key::ALL.into_iter().filter(|k| k.is_argument()) {
        assert!(arg_keys.contains(&key.as_str()), "{key}");
    }
}
