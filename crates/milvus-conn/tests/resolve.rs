//! `milvus-conn resolve`, driven as a user drives it: the built binary, in a temporary
//! directory, with a controlled environment and `.env` files.

mod common;

use common::{Dir, assert_contains, run};
use serde_json::{Value, json};

/// `--no-dotenv` keeps a stray `.env` above the temporary directory out of the defaults.
const ISOLATED: &[&str] = &["resolve", "--format", "json", "--no-dotenv"];

fn args<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// `resolve --format json --no-dotenv FLAGS…` in `dir`, which succeeds: its JSON.
fn resolved(dir: &Dir, flags: &[&str]) -> Value {
    run(&dir.path, &[], &args(ISOLATED, flags))
        .expect_code(0)
        .json()
}

/// `resolve --format json FLAGS…` in `dir` (the `.env` search on), which exits with
/// `code`: its JSON.
fn resolve_json(dir: &Dir, flags: &[&str], code: i32) -> Value {
    let all = args(&["resolve", "--format", "json"], flags);
    run(&dir.path, &[], &all).expect_code(code).json()
}

/// The cells of a table, row by row: each line split at runs of two or more spaces.
fn cells(table: &str) -> Vec<Vec<&str>> {
    table
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect()
}

#[test]
fn json_defaults_field_by_field() {
    let dir = Dir::new();
    let v = run(&dir.path, &[], ISOLATED).expect_code(0).json();
    assert_eq!(
        keys(&v),
        [
            "alias",
            "auth",
            "db_name",
            "origins",
            "secure",
            "target",
            "timeout_s",
            "tls"
        ]
    );
    assert_eq!(v["alias"], "default");
    assert_eq!(keys(&v["target"]), ["address", "host", "kind", "port"]);
    assert_eq!(v["target"]["kind"], "tcp");
    assert_eq!(v["target"]["address"], "localhost:19530");
    assert_eq!(v["target"]["host"], "localhost");
    assert_eq!(v["target"]["port"], 19530);
    assert_eq!(v["secure"], false);
    assert_eq!(
        keys(&v["tls"]),
        [
            "ca",
            "ca_files",
            "client_cert",
            "client_key",
            "mode",
            "server_name"
        ]
    );
    assert_eq!(v["tls"]["mode"], "none");
    assert_eq!(v["tls"]["ca"], Value::Null);
    assert_eq!(v["tls"]["ca_files"], json!([]));
    assert_eq!(v["tls"]["client_cert"], Value::Null);
    assert_eq!(v["tls"]["client_key"], Value::Null);
    assert_eq!(v["tls"]["server_name"], Value::Null);
    assert_eq!(v["db_name"], "default");
    assert_eq!(keys(&v["auth"]), ["authorization", "kind", "user"]);
    assert_eq!(v["auth"]["kind"], "none");
    assert_eq!(v["auth"]["user"], Value::Null);
    assert_eq!(v["auth"]["authorization"], Value::Null);
    assert_eq!(v["timeout_s"], json!(10.0));
    assert!(v["timeout_s"].is_f64(), "timeout_s is a float: {v}");
    assert_eq!(
        v["origins"],
        json!({"alias": "default", "target": "default", "security": "default",
               "auth": "default", "db_name": "default", "timeout": "default",
               "keep_alive": "default", "secure": "default"})
    );
    // The order of the keys is the documented one.
    let run = run(&dir.path, &[], ISOLATED);
    let order = [
        "\"alias\"",
        "\"target\"",
        "\"secure\"",
        "\"tls\"",
        "\"db_name\"",
        "\"auth\"",
        "\"timeout_s\"",
        "\"origins\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| run.stdout.find(k).expect(k)).collect();
    assert!(positions.is_sorted(), "{}", run.stdout);
}

#[test]
fn flags_env_and_dotenv_at_once_each_named_in_origins() {
    let dir = Dir::new();
    let dotenv = dir.write(
        ".env",
        "# settings for the test\nMILVUS_CONN_TIMEOUT=2.5\nMILVUS_URI=http://ignored-by-env:1\nMILVUS_DB_NAME=from_dotenv\n",
    );
    let env = [("MILVUS_URI", "https://Milvus.Example.com:19531")];
    let run = run(
        &dir.path,
        &env,
        &[
            "resolve",
            "--format",
            "json",
            "--user",
            "root",
            "--password",
            "S3cr3t-pw-xyz",
            "--alias",
            "prod",
        ],
    );
    let v = run.expect_code(0).json();
    let dotenv = dotenv.display();
    assert_eq!(v["alias"], "prod");
    assert_eq!(v["target"]["address"], "milvus.example.com:19531");
    assert_eq!(v["target"]["host"], "milvus.example.com");
    assert_eq!(v["target"]["port"], 19531);
    assert_eq!(v["secure"], true);
    assert_eq!(v["tls"]["mode"], "platform_roots");
    assert_eq!(v["db_name"], "from_dotenv");
    assert_eq!(v["auth"]["kind"], "user_password");
    assert_eq!(v["auth"]["user"], "root");
    assert_eq!(v["auth"]["authorization"], "<redacted>");
    assert_eq!(v["timeout_s"], json!(2.5));
    assert_eq!(
        v["origins"],
        json!({
            "target": "MILVUS_URI (environment)",
            "auth": "user (argument)",
            "db_name": format!("MILVUS_DB_NAME (.env {dotenv}:4)"),
            "timeout": format!("MILVUS_CONN_TIMEOUT (.env {dotenv}:2)"),
            "alias": "alias (argument)",
            "security": "MILVUS_URI (environment)",
            "keep_alive": "default",
            // The name `security` had before; kept for existing readers (docs/cli.md).
            "secure": "MILVUS_URI (environment)",
        })
    );
}

#[test]
fn table_shows_every_field_with_its_origin() {
    let dir = Dir::new();
    let dotenv = dir.write(".env", "MILVUS_TOKEN=123456\nMILVUS_CONN_TIMEOUT=3\n");
    let run = run(
        &dir.path,
        &[("MILVUS_URI", "http://env-host:19530/analytics")],
        &["resolve", "--db-name", "sales"],
    );
    run.expect_code(0);
    let dotenv = dotenv.display();
    let lines = cells(&run.stdout);
    let expected: Vec<Vec<String>> = [
        vec!["FIELD", "VALUE", "ORIGIN"],
        vec!["alias", "default", "default"],
        vec!["target", "env-host:19530 (tcp)", "MILVUS_URI (environment)"],
        vec!["security", "plaintext", "default"],
        vec!["auth", "token", &format!("MILVUS_TOKEN (.env {dotenv}:1)")],
        vec!["authorization", "<redacted>"],
        vec!["db_name", "sales", "db_name (argument)"],
        vec![
            "timeout",
            "3s",
            &format!("MILVUS_CONN_TIMEOUT (.env {dotenv}:2)"),
        ],
        vec!["keep_alive", "false", "default"],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(str::to_owned).collect())
    .collect();
    assert_eq!(lines, expected, "{}", run.stdout);
    // Columns line up: every ORIGIN starts where the header's does.
    let origin_col = run.stdout.lines().next().and_then(|h| h.find("ORIGIN"));
    for line in run.stdout.lines().filter(|l| l.contains("(environment)")) {
        assert_eq!(line.find("MILVUS_URI"), origin_col, "{}", run.stdout);
    }
    assert!(
        run.stdout.lines().all(|l| l == l.trim_end()),
        "no trailing spaces"
    );
    assert!(!run.stdout.contains('\x1b'), "no colour when piped");
}

#[test]
fn table_shows_tls_settings() {
    let dir = Dir::new();
    let run = run(
        &dir.path,
        &[],
        &[
            "resolve",
            "--no-dotenv",
            "--host",
            "db.internal",
            "--server-pem-path",
            "/certs/server.pem",
            "--ca-pem-path",
            "/certs/ca.pem",
            "--client-pem-path",
            "/certs/client.pem",
            "--client-key-path",
            "/certs/client.key",
            "--server-name",
            "milvus.internal",
        ],
    );
    run.expect_code(0);
    for row in [
        "security         tls (mutual)",
        "tls.ca           /certs/server.pem, /certs/ca.pem",
        "tls.client_cert  /certs/client.pem",
        "tls.client_key   /certs/client.key",
        "tls.server_name  milvus.internal",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(row)),
            "missing {row:?} in\n{}",
            run.stdout
        );
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = Dir::new();
    let plain = run(&dir.path, &[], &["resolve", "--no-dotenv"]);
    assert!(!plain.stdout.contains('\x1b'));
    let coloured = run(
        &dir.path,
        &[],
        &["--color", "always", "resolve", "--no-dotenv"],
    );
    assert!(coloured.stdout.contains("\x1b[1mFIELD"), "{coloured:?}");
    let never = run(
        &dir.path,
        &[],
        &["resolve", "--no-dotenv", "--color", "never"],
    );
    assert_eq!(never.stdout, plain.stdout);
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), so `--color auto` sees a
/// terminal.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_colour_unless_no_color() {
    let dir = Dir::new();
    let bin = env!("CARGO_BIN_EXE_milvus-conn");
    let on_tty = |env: &[(&str, &str)]| {
        let out = std::process::Command::new("/usr/bin/script")
            .args(["-qec", &format!("{bin} resolve --no-dotenv"), "/dev/null"])
            .current_dir(&dir.path)
            .env_clear()
            .env("SHELL", "/bin/sh")
            .envs(env.iter().copied())
            .output()
            .expect("util-linux script must be installed to run this test");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let tty = on_tty(&[]);
    assert!(
        tty.contains("\x1b[1mFIELD"),
        "colour on a terminal: {tty:?}"
    );
    assert!(tty.contains("target"), "{tty:?}");
    let no_color = on_tty(&[("NO_COLOR", "1")]);
    assert!(no_color.contains("FIELD"), "{no_color:?}");
    assert!(!no_color.contains('\x1b'), "NO_COLOR: {no_color:?}");
    // An empty NO_COLOR does not count (no-color.org).
    let empty = on_tty(&[("NO_COLOR", "")]);
    assert!(empty.contains('\x1b'), "{empty:?}");
}

#[test]
fn target_kinds() {
    let dir = Dir::new();
    let data_dir = dir.path.join("local.db").display().to_string();
    let cases: &[(&[&str], Value)] = &[
        (
            &["--uri", "unix:/run/milvus.sock"],
            json!({"kind": "unix", "address": "unix:/run/milvus.sock", "host": null, "port": null}),
        ),
        (
            &["--uri", "./local.db"],
            json!({"kind": "lite", "address": "./local.db", "host": null, "port": null, "data_dir": data_dir}),
        ),
        (
            &["--uri", "http://[0:0::1]:19530"],
            json!({"kind": "tcp", "address": "[::1]:19530", "host": "::1", "port": 19530}),
        ),
        (
            &["--host", "::1"],
            json!({"kind": "tcp", "address": "[::1]:19530", "host": "::1", "port": 19530}),
        ),
        (
            &["--address", "Example.COM:1"],
            json!({"kind": "tcp", "address": "example.com:1", "host": "example.com", "port": 1}),
        ),
        (
            &["--port", "443"],
            json!({"kind": "tcp", "address": "localhost:443", "host": "localhost", "port": 443}),
        ),
    ];
    for (flags, target) in cases {
        let v = resolved(&dir, flags);
        assert_eq!(&v["target"], target, "{flags:?}");
    }
}

#[test]
fn target_origin_names_the_flag_or_variable() {
    let dir = Dir::new();
    let origin = |env: &[(&str, &str)], flags: &[&str]| {
        run(&dir.path, env, &args(ISOLATED, flags))
            .expect_code(0)
            .json()["origins"]["target"]
            .clone()
    };
    assert_eq!(origin(&[], &["--uri", "http://h:1"]), "uri (argument)");
    assert_eq!(origin(&[], &["--address", "h:1"]), "address (argument)");
    assert_eq!(origin(&[], &["--host", "h"]), "host (argument)");
    assert_eq!(
        origin(&[("MILVUS_DEFAULT_CONNECTION", "http://legacy:1")], &[]),
        "MILVUS_DEFAULT_CONNECTION (environment)"
    );
    // --address beats --uri beats MILVUS_URI.
    assert_eq!(
        origin(
            &[("MILVUS_URI", "http://env:1")],
            &["--uri", "http://u:1", "--address", "a:1"]
        ),
        "address (argument)"
    );
}

#[test]
fn tls_modes_and_ca_files() {
    let dir = Dir::new();
    let tls = |flags: &[&str]| {
        let v = resolved(&dir, flags);
        (
            v["secure"].clone(),
            v["tls"].clone(),
            v["origins"]["secure"].clone(),
        )
    };
    let (secure, t, origin) = tls(&[]);
    assert_eq!(
        (secure, t["mode"].clone(), origin),
        (json!(false), json!("none"), json!("default"))
    );

    let (secure, t, origin) = tls(&["--secure"]);
    assert_eq!(secure, true);
    assert_eq!(t["mode"], "platform_roots");
    assert_eq!(t["ca"], Value::Null);
    assert_eq!(origin, "secure (argument)");

    let (secure, t, _) = tls(&["--secure", "true"]);
    assert_eq!(
        (secure, t["mode"].clone()),
        (json!(true), json!("platform_roots"))
    );
    let (secure, _, origin) = tls(&["--secure", "false"]);
    assert_eq!((secure, origin), (json!(false), json!("secure (argument)")));
    let (secure, _, _) = tls(&["--secure", ""]);
    assert_eq!(secure, false, "an empty value counts as not given");

    let (_, t, origin) = tls(&["--ca-pem-path", "/c/ca.pem"]);
    assert_eq!(t["mode"], "one_way");
    assert_eq!(t["ca"], "/c/ca.pem");
    assert_eq!(t["ca_files"], json!(["/c/ca.pem"]));
    assert_eq!(origin, "ca_pem_path (argument)");

    // (flags, fields of `tls` and their values)
    let server = ["--server-pem-path", "/c/server.pem"];
    // Both trusted: `ca` is the --ca-pem-path file, `ca_files` lists both.
    let both = [&server[..], &["--ca-pem-path", "/c/ca.pem"]].concat();
    let named = [&both[..], &["--server-name", "milvus.local"]].concat();
    let client = ["--client-pem-path", "/c/client.pem"];
    let mutual = [&client[..], &["--client-key-path", "/c/client.key"]].concat();
    let rows = [
        (
            &server[..],
            json!({"mode": "one_way", "ca": "/c/server.pem"}),
        ),
        (
            &named[..],
            json!({
                "mode": "one_way",
                "ca": "/c/ca.pem",
                "ca_files": ["/c/server.pem", "/c/ca.pem"],
                "server_name": "milvus.local",
            }),
        ),
        (
            &mutual[..],
            json!({
                "mode": "mutual",
                "ca": null,
                "client_cert": "/c/client.pem",
                "client_key": "/c/client.key",
            }),
        ),
    ];
    for (flags, fields) in rows {
        let (_, t, _) = tls(flags);
        for (field, value) in fields.as_object().expect("an object") {
            assert_eq!(&t[field], value, "{field} for {flags:?}");
        }
    }
}

#[test]
fn auth_kinds_and_show_secrets() {
    let dir = Dir::new();
    let auth = |flags: &[&str]| {
        let v = resolved(&dir, flags);
        (v["auth"].clone(), v["origins"]["auth"].clone())
    };
    let pw = ["--user", "root", "--password", "S3cr3t-pw-xyz"];
    assert_eq!(
        auth(&pw),
        (
            json!({"kind": "user_password", "user": "root", "authorization": "<redacted>"}),
            json!("user (argument)")
        )
    );
    assert_eq!(
        auth(&args(&pw, &["--show-secrets"])).0["authorization"],
        "cm9vdDpTM2NyM3QtcHcteHl6"
    );
    assert_eq!(
        auth(&["--token", "123456"]),
        (
            json!({"kind": "token", "user": null, "authorization": "<redacted>"}),
            json!("token (argument)")
        )
    );
    assert_eq!(
        auth(&["--token", "123456", "--show-secrets"]).0["authorization"],
        "MTIzNDU2"
    );
    // A token beats user/password; the user is dropped.
    assert_eq!(
        auth(&args(&pw, &["--token", "123456"])).0,
        json!({"kind": "token", "user": null, "authorization": "<redacted>"})
    );
    // URI userinfo.
    assert_eq!(
        auth(&["--uri", "http://alice:S3cr3t-pw-xyz@h:1"]),
        (
            json!({"kind": "user_password", "user": "alice", "authorization": "<redacted>"}),
            json!("uri (argument)")
        )
    );
}

#[test]
fn dotenv_is_searched_from_the_current_directory_up() {
    let dir = Dir::new();
    let dotenv = dir.write(".env", "MILVUS_URI=http://from-parent:1\n");
    let child = dir.path.join("a/b");
    std::fs::create_dir_all(&child).expect("mkdir");
    let v = run(&child, &[], &["resolve", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(v["target"]["address"], "from-parent:1");
    assert_eq!(
        v["origins"]["target"],
        format!("MILVUS_URI (.env {}:1)", dotenv.display())
    );
    // --no-dotenv switches it off.
    let v = run(&child, &[], &["resolve", "--format", "json", "--no-dotenv"])
        .expect_code(0)
        .json();
    assert_eq!(v["target"]["address"], "localhost:19530");
}

#[test]
fn explicit_dotenv_path() {
    let dir = Dir::new();
    dir.write(".env", "MILVUS_URI=http://searched:1\n");
    let other = dir.write("conf/prod.env", "\n\nMILVUS_URI=http://explicit:2\n");
    let v = resolve_json(&dir, &["--dotenv", "conf/prod.env"], 0);
    assert_eq!(v["target"]["address"], "explicit:2");
    let origin = v["origins"]["target"].as_str().expect("string").to_owned();
    assert!(
        origin.starts_with("MILVUS_URI (.env ") && origin.ends_with("prod.env:3)"),
        "{origin}"
    );
    assert!(other.exists());
    // --dotenv and --no-dotenv together is a usage error.
    run(
        &dir.path,
        &[],
        &["resolve", "--dotenv", "x.env", "--no-dotenv"],
    )
    .expect_code(2);
}

/// Issue 11, item 8: an empty value of a TLS path flag counts as not given, as for every
/// other flag (clap used to refuse it: "a value is required"), in both spellings.
#[test]
fn empty_tls_path_flags_count_as_not_given() {
    let dir = Dir::new();
    for flag in [
        "--server-pem-path",
        "--ca-pem-path",
        "--client-pem-path",
        "--client-key-path",
    ] {
        let joined = format!("{flag}=");
        for spelling in [vec![flag, ""], vec![joined.as_str()]] {
            let v = run(&dir.path, &[], &args(ISOLATED, &spelling))
                .expect_code(0)
                .json();
            assert_eq!(v["secure"], false, "{spelling:?}");
            assert_eq!(v["tls"]["mode"], "none", "{spelling:?}");
            assert_eq!(v["origins"]["secure"], "default", "{spelling:?}");
        }
    }
    // An empty one beside a given one: the given one alone, as without the empty one.
    let v = run(
        &dir.path,
        &[],
        &args(
            ISOLATED,
            &["--server-pem-path", "", "--ca-pem-path", "/c/ca.pem"],
        ),
    )
    .expect_code(0)
    .json();
    assert_eq!(v["tls"]["mode"], "one_way");
    assert_eq!(v["tls"]["ca_files"], json!(["/c/ca.pem"]));
    // The key is not given, so the certificate lacks its pair: the library's error.
    let v = run(
        &dir.path,
        &[],
        &args(
            ISOLATED,
            &[
                "--client-pem-path",
                "/c/client.pem",
                "--client-key-path",
                "",
            ],
        ),
    )
    .expect_code(2)
    .json();
    assert_eq!(v["errors"][0]["field"], "client_key_path");
    assert_eq!(v["errors"][0]["origin"], "client_pem_path (argument)");
}

/// Issue 11, item 8: `--dotenv ""` counts as not given: the search runs as without the
/// flag, and `--no-dotenv` beside it is no conflict (it switches `.env` off).
#[test]
fn empty_dotenv_flag_counts_as_not_given() {
    let dir = Dir::new();
    dir.write(".env", "MILVUS_URI=http://searched:1\n");
    let address = |flags: &[&str]| {
        run(
            &dir.path,
            &[],
            &args(&["resolve", "--format", "json"], flags),
        )
        .expect_code(0)
        .json()["target"]["address"]
            .clone()
    };
    assert_eq!(address(&[]), "searched:1");
    assert_eq!(address(&["--dotenv", ""]), "searched:1");
    assert_eq!(address(&["--dotenv="]), "searched:1");
    assert_eq!(address(&["--dotenv", "", "--no-dotenv"]), "localhost:19530");
    assert_eq!(address(&["--no-dotenv", "--dotenv="]), "localhost:19530");
    // A non-empty path with --no-dotenv is still a usage error, for both commands.
    for command in ["resolve", "ping"] {
        let v = run(
            &dir.path,
            &[],
            &[
                command,
                "--format",
                "json",
                "--dotenv",
                "x.env",
                "--no-dotenv",
            ],
        )
        .expect_code(2)
        .json();
        assert_eq!(
            v["errors"][0]["message"],
            "the argument '--dotenv <PATH>' cannot be used with '--no-dotenv'"
        );
    }
}

#[test]
fn real_environment_beats_dotenv_and_empty_hides_it() {
    let dir = Dir::new();
    dir.write(
        ".env",
        "MILVUS_URI=http://dotenv:1\nMILVUS_DEFAULT_CONNECTION=http://legacy-dotenv:2\n",
    );
    let target = |env: &[(&str, &str)]| {
        run(&dir.path, env, &["resolve", "--format", "json"])
            .expect_code(0)
            .json()["target"]["address"]
            .clone()
    };
    assert_eq!(target(&[]), "dotenv:1");
    assert_eq!(target(&[("MILVUS_URI", "http://env:3")]), "env:3");
    // An empty MILVUS_URI hides the .env one and falls through to MILVUS_DEFAULT_CONNECTION.
    assert_eq!(target(&[("MILVUS_URI", "")]), "legacy-dotenv:2");
}

#[test]
fn bad_input_exits_2_and_lists_every_problem() {
    let dir = Dir::new();
    let run = run(
        &dir.path,
        &[("MILVUS_CONN_TIMEOUT", "soon")],
        &[
            "resolve",
            "--format",
            "json",
            "--no-dotenv",
            "--port",
            "70000",
            "--secure",
            "maybe",
            "--user",
            "root",
            "--client-pem-path",
            "/c/client.pem",
        ],
    );
    run.expect_code(2);
    let v = run.json();
    assert_eq!(keys(&v), ["errors"]);
    let errors = v["errors"].as_array().expect("array");
    for e in errors {
        assert_eq!(keys(e), ["field", "message", "origin"], "{e}");
        assert!(!e["message"].as_str().expect("message").is_empty());
    }
    let fields: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["field"].as_str().expect("field"),
                e["origin"].as_str().expect("origin"),
            )
        })
        .collect();
    for expected in [
        ("secure", "secure (argument)"),
        ("port", "port (argument)"),
        ("MILVUS_CONN_TIMEOUT", "MILVUS_CONN_TIMEOUT (environment)"),
        ("user", "user (argument)"),
        ("client_key_path", "client_pem_path (argument)"),
    ] {
        assert!(fields.contains(&expected), "{expected:?} not in {fields:?}");
    }
    assert_eq!(errors.len(), 5, "{v:#}");
    // A readable message on stderr too, one line per problem.
    assert!(
        run.stderr
            .starts_with("error: cannot resolve the connection (5 problems)\n"),
        "{}",
        run.stderr
    );
    for e in errors {
        let message = e["message"].as_str().expect("message");
        assert!(run.stderr.contains(message), "{message} not on stderr");
    }
}

#[test]
fn bad_input_in_table_mode_prints_nothing_on_stdout() {
    let dir = Dir::new();
    let run = run(&dir.path, &[], &["resolve", "--no-dotenv", "--port", "0"]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: cannot resolve the connection\n  - port 0 in port (argument) is out of range 1..=65535\n"
    );
}

#[test]
fn errors_name_dotenv_files_and_lines() {
    let dir = Dir::new();
    // The first error of `resolve --format json FLAGS` in `dir`, which fails.
    let first_error = |dir: &Dir, flags: &[&str]| resolve_json(dir, flags, 2)["errors"][0].clone();
    let dotenv = dir.write(".env", "MILVUS_CONN_TIMEOUT=5\nMILVUS_URI=ftp://nope\n");
    let e = first_error(&dir, &[]);
    assert_eq!(e["field"], "MILVUS_URI");
    let origin = format!("MILVUS_URI (.env {}:2)", dotenv.display());
    assert_eq!(e["origin"], origin);

    // A line dotenvy cannot parse.
    let dir = Dir::new();
    let dotenv = dir.write(".env", "MILVUS_URI=http://h:1\nnot a valid line\n");
    let e = first_error(&dir, &[]);
    assert_eq!(e["field"], ".env");
    assert_eq!(e["origin"], format!(".env {}:2", dotenv.display()));

    // An explicit .env path that does not exist.
    let e = first_error(&dir, &["--dotenv", "missing.env"]);
    assert_eq!(e["field"], ".env");
    let message = e["message"].as_str().expect("message");
    assert!(
        message.starts_with("cannot read .env file ") && message.contains("missing.env: "),
        "the OS reason follows: {message}"
    );
}

#[test]
fn unknown_alias_without_a_target_is_an_error() {
    let dir = Dir::new();
    let v = run(&dir.path, &[], &args(ISOLATED, &["--alias", "mistyped"]))
        .expect_code(2)
        .json();
    assert_eq!(v["errors"][0]["field"], "target");
    assert_eq!(v["errors"][0]["origin"], Value::Null);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("\"mistyped\"")
    );
    // MILVUS_CONN_ALIAS names the default alias, which gets the built-in target.
    let v = run(
        &dir.path,
        &[("MILVUS_CONN_ALIAS", "mine")],
        &args(ISOLATED, &["--alias", "mine"]),
    )
    .expect_code(0)
    .json();
    assert_eq!(v["alias"], "mine");
    assert_eq!(v["target"]["address"], "localhost:19530");
}

#[test]
fn usage_errors_exit_2_with_json_when_asked() {
    let dir = Dir::new();
    let plain = run(&dir.path, &[], &["resolve", "--bogus"]);
    plain.expect_code(2);
    assert_eq!(plain.stdout, "");
    assert_contains(&plain.stderr, "--bogus");

    let v = resolve_json(&dir, &["--bogus"], 2);
    assert_eq!(v["errors"][0]["field"], "arguments");
    assert_eq!(v["errors"][0]["origin"], "command line");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("--bogus")
    );
    run(&dir.path, &[], &["resolve", "--format", "yaml"]).expect_code(2);
    run(&dir.path, &[], &[]).expect_code(2);
}

#[test]
fn help_explains_precedence_and_version_prints() {
    let dir = Dir::new();
    for cmd in [
        &["--help"][..],
        &["resolve", "--help"],
        &["help", "resolve"],
    ] {
        let run = run(&dir.path, &[], cmd);
        run.expect_code(0);
        let precedence: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("Precedence:") || l.starts_with("Target:"))
            .collect();
        assert_eq!(
            precedence,
            [
                "Precedence: flags > environment (MILVUS_URI, MILVUS_TOKEN, MILVUS_DB_NAME, ...) > .env file > defaults.",
                "Target: --address > --uri > --host/--port > MILVUS_URI > MILVUS_DEFAULT_CONNECTION > http://localhost:19530.",
            ],
            "{cmd:?}"
        );
    }
    let help = run(&dir.path, &[], &["resolve", "--help"]).stdout;
    for flag in [
        "--alias",
        "--uri",
        "--address",
        "--host",
        "--port",
        "--user",
        "--password",
        "--token",
        "--db-name",
        "--secure",
        "--server-pem-path",
        "--ca-pem-path",
        "--client-pem-path",
        "--client-key-path",
        "--server-name",
        "--timeout",
        "--dotenv",
        "--no-dotenv",
        "--format",
        "--show-secrets",
        "--keep-alive",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let version = run(&dir.path, &[], &["--version"]);
    version.expect_code(0);
    assert_eq!(
        version.stdout,
        format!("milvus-conn {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn verbose_traces_to_stderr_only() {
    let dir = Dir::new();
    let quiet = run(&dir.path, &[], ISOLATED);
    quiet.expect_code(0);
    assert_eq!(quiet.stderr, "");
    let loud = run(&dir.path, &[], &args(&["-vv"], ISOLATED));
    loud.expect_code(0);
    assert_contains(&loud.stderr, "DEBUG");
    assert_contains(&loud.stderr, "resolving");
    assert_eq!(loud.json(), quiet.json(), "stdout unchanged by -v");
    // Warnings show without -v: a token beating user/password.
    let warned = run(
        &dir.path,
        &[],
        &args(
            ISOLATED,
            &["--token", "t", "--user", "u", "--password", "p"],
        ),
    );
    warned.expect_code(0);
    assert!(
        warned.stderr.contains("WARN") && warned.stderr.contains("the token wins"),
        "{}",
        warned.stderr
    );
}

/// Output that cannot be written is an internal error (1), said on stderr.
#[cfg(target_os = "linux")]
#[test]
fn unwritable_output_exits_1() {
    let dir = Dir::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_milvus-conn"))
        .args(["resolve", "--no-dotenv"])
        .current_dir(&dir.path)
        .env_clear()
        .stdout(full)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        stderr.starts_with("error: cannot write output: "),
        "{stderr}"
    );
}

#[test]
fn the_table_lists_values_that_are_not_used_and_what_beat_them() {
    let dir = Dir::new();
    dir.write(".env", "MILVUS_URI=http://dotenv:1\n");
    let out = run(
        &dir.path,
        &[("MILVUS_URI", "http://envhost:19530")],
        &["resolve", "--address", "a:1", "--uri", "http://b:2"],
    )
    .expect_code(0)
    .stdout
    .clone();
    let env_file = dir.path.join(".env");
    let expected = format!(
        "NOT USED                                BECAUSE\n\
         uri (argument)                          target comes from address (argument)\n\
         MILVUS_URI (environment)                target comes from address (argument)\n\
         MILVUS_URI (.env {}:1)  target comes from address (argument)\n",
        env_file.display()
    );
    let section = out
        .split_once("\n\n")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no second section:\n{out}"));
    // Column widths depend on the temporary path: compare cell by cell.
    assert_eq!(cells(section), cells(&expected), "{out}");

    // With nothing overridden there is no second section.
    let out = run(&dir.path, &[], &["resolve", "--no-dotenv"])
        .expect_code(0)
        .stdout
        .clone();
    assert!(!out.contains("NOT USED"), "{out}");
}
