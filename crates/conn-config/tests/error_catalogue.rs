//! Every error variant, produced from a real input, and checked against the catalogue in
//! `docs/resolution.md` so the documentation cannot drift from the messages.

use conn_config::{ConnectArgs, DotEnv, Error, MapEnv, Resolver};

/// One example: (variant, explicit args, environment, optional .env content) for one example of each
/// variant.
type Example = (
    &'static str,
    ConnectArgs,
    Vec<(&'static str, &'static str)>,
    DotEnv,
);

/// An example given by explicit arguments alone.
fn arg(variant: &'static str, args: ConnectArgs) -> Example {
    (variant, args, vec![], DotEnv::Disabled)
}

/// An example given by one environment variable alone.
fn var(variant: &'static str, pair: (&'static str, &'static str)) -> Example {
    (variant, ConnectArgs::new(), vec![pair], DotEnv::Disabled)
}

/// An example given by a `.env` file alone.
fn file(variant: &'static str, path: std::path::PathBuf) -> Example {
    (variant, ConnectArgs::new(), vec![], DotEnv::Path(path))
}

fn examples(dir: &std::path::Path) -> Vec<Example> {
    let bad_env = dir.join("bad.env");
    std::fs::write(&bad_env, "MILVUS_URI=http://h:1\nnot an assignment\n").expect("write");
    let missing = dir.join("missing.env");
    let not_a_file = dir.join("dir.env");
    std::fs::create_dir(&not_a_file).expect("mkdir");
    let too_large = dir.join("large.env");
    std::fs::write(&too_large, "#".repeat((1 << 20) + 1)).expect("write");
    let long_value = dir.join("long.env");
    std::fs::write(&long_value, format!("A={}\n", "v".repeat((64 << 10) + 1))).expect("write");
    let budget = dir.join("budget.env");
    std::fs::write(
        &budget,
        format!("A={}\n{}", "v".repeat(60 << 10), "B=$A\n".repeat(18)),
    )
    .expect("write");
    vec![
        arg("UnsupportedScheme", ConnectArgs::new().uri("ftp://h:21")),
        var("NotAUri", ("MILVUS_URI", "localhost:19530")),
        arg("InvalidUri", ConnectArgs::new().uri("http://[::1")),
        arg(
            "UnencodedUserinfo",
            ConnectArgs::new().uri("http://root:pa#ss@h:19530"),
        ),
        arg("EmptyHost", ConnectArgs::new().uri("http://:19530")),
        arg("InvalidHost", ConnectArgs::new().host("milvus host")),
        arg("PortNotNumeric", ConnectArgs::new().port("+19530")),
        var("PortOutOfRange", ("MILVUS_URI", "http://h:70000")),
        arg("InvalidAddress", ConnectArgs::new().address("::1:19530")),
        arg("EmptySocketPath", ConnectArgs::new().uri("unix:")),
        arg(
            "PercentEncoding",
            ConnectArgs::new().uri("http://root:p%zz@h"),
        ),
        arg("ControlCharacter", ConnectArgs::new().db_name("db\u{7}")),
        var("InvalidTimeout", ("MILVUS_CONN_TIMEOUT", "abc")),
        var("TimeoutTooLarge", ("MILVUS_CONN_TIMEOUT", "1e12")),
        arg("ValueTooLong", ConnectArgs::new().host("h".repeat(70_000))),
        arg(
            "UserWithoutPassword",
            ConnectArgs::new().uri("http://root@h"),
        ),
        arg("PasswordWithoutUser", ConnectArgs::new().password("p")),
        arg(
            "IncompleteClientIdentity",
            ConnectArgs::new().client_pem_path("client.pem"),
        ),
        arg(
            "HttpsWithSecureFalse",
            ConnectArgs::new().uri("https://h").secure(false),
        ),
        arg(
            "TlsSettingWithSecureFalse",
            ConnectArgs::new().ca_pem_path("ca.pem").secure(false),
        ),
        arg("InvalidDbName", ConnectArgs::new().db_name("données")),
        arg(
            "InvalidServerName",
            ConnectArgs::new().server_name("my host"),
        ),
        arg("NoTarget", ConnectArgs::new().alias("prod")),
        file("DotEnvRead", missing),
        file("DotEnvParse", bad_env),
        file("DotEnvNotAFile", not_a_file),
        file("DotEnvTooLarge", too_large),
        file("DotEnvValueTooLarge", long_value),
        file("DotEnvInterpolationBudget", budget),
    ]
}

fn variant(e: &Error) -> String {
    let dbg = format!("{e:?}");
    dbg.split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn every_variant_has_an_example_in_docs_resolution_md() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/resolution.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/resolution.md exists");
    let mut missing = Vec::new();
    for (name, args, env, dotenv) in examples(dir.path()) {
        let errors = Resolver::with_env(MapEnv::from_pairs(env))
            .dotenv(dotenv)
            .resolve(&args)
            .expect_err(name);
        assert_eq!(errors.len(), 1, "{name}: {errors}");
        let e = errors.first();
        assert_eq!(variant(e), name, "{name}: {e:?}");
        // Temporary paths vary: the catalogue writes them as /tmp/x.
        let message = e
            .to_string()
            .replace(&dir.path().display().to_string(), "/tmp/x");
        let line = format!("| `{name}` | `{message}` |");
        if !doc.contains(&line) {
            missing.push(line);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/resolution.md lacks these catalogue rows:\n{}",
        missing.join("\n")
    );
}
