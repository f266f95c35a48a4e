//! Issue 11 (items 1, 5, 6, 7), at the level of the command line: hostile or careless
//! timeouts, credentials, variables and host names are resolve errors (exit 2) that name the
//! flag or variable, never a panic, a connect attempt or a secret on the screen.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;

use common::{Dir, Run, run, run_os};

const RESOLVE: &[&str] = &["resolve", "--format", "json", "--no-dotenv"];

fn args<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

/// `RESOLVE FLAGS…` in `dir` with exactly the variables `env`.
fn resolve(dir: &Dir, env: &[(&str, &str)], flags: &[&str]) -> Run {
    run(&dir.path, env, &args(RESOLVE, flags))
}

/// [`RESOLVE`], and `ping` of `uri` with JSON output: the commands that resolve (ping
/// stops at the resolve errors, before any connection).
fn resolve_and_ping(uri: &str) -> [Vec<&str>; 2] {
    let ping = ["ping", "--no-dotenv", "--format", "json", "--uri", uri];
    [RESOLVE.to_vec(), ping.to_vec()]
}

/// The `(field, origin, message)` of each problem of a failed run (exit 2, JSON on stdout).
fn problems(run: &Run) -> Vec<(String, String, String)> {
    run.expect_code(2);
    let v = run.json();
    v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array: {run:#?}"))
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("field"), s("origin"), s("message"))
        })
        .collect()
}

/// Asserts that the run failed with exactly one problem, of `field` from `origin`, whose
/// message contains `needle`.
#[track_caller]
fn one_problem(run: &Run, field: &str, origin: &str, needle: &str) {
    let p = problems(run);
    assert_eq!(p.len(), 1, "{p:#?}");
    let (f, o, m) = &p[0];
    assert_eq!((f.as_str(), o.as_str()), (field, origin), "{m}");
    assert!(m.contains(needle), "{m:?} does not contain {needle:?}");
}

#[test]
fn item_1_huge_timeouts_are_resolve_errors_naming_the_source() {
    let dir = Dir::new();
    // The command (it exited 101, "overflow when adding duration to instant").
    for cmd in resolve_and_ping("http://127.0.0.1:1") {
        let out = run(
            &dir.path,
            &[],
            &args(&cmd, &["--timeout", "18446744073709551615"]),
        );
        one_problem(
            &out,
            "timeout",
            "timeout (argument)",
            "is too large; a timeout is at most 86400 seconds (one day)",
        );
    }
    for t in ["1e12", "86400.000000001", "1e400"] {
        let out = resolve(&dir, &[], &["--timeout", t]);
        one_problem(&out, "timeout", "timeout (argument)", "is too large");
    }
    let out = resolve(&dir, &[("MILVUS_CONN_TIMEOUT", "1e12")], &[]);
    one_problem(
        &out,
        "MILVUS_CONN_TIMEOUT",
        "MILVUS_CONN_TIMEOUT (environment)",
        "timeout \"1e12\" in MILVUS_CONN_TIMEOUT (environment) is too large",
    );
    // A day is the limit, and it is fine.
    let v = resolve(&dir, &[], &["--timeout", "86400"])
        .expect_code(0)
        .json();
    assert_eq!(v["timeout_s"], 86400.0);
}

#[test]
fn item_5_credentials_are_never_mixed_and_the_password_never_shown() {
    let dir = Dir::new();
    // The command (it sent other:Secret).
    let out = resolve(
        &dir,
        &[],
        &["--uri", "http://uu:Secret@h:1", "--user", "other"],
    );
    one_problem(
        &out,
        "user",
        "user (argument)",
        "user in user (argument) has no password",
    );
    assert!(
        !out.stdout.contains("Secret") && !out.stderr.contains("Secret"),
        "{out:#?}"
    );
    // The other way: the URI's user under an explicit password.
    let out = resolve(
        &dir,
        &[],
        &["--uri", "http://uu:Secret@h:1", "--password", "pw"],
    );
    one_problem(&out, "password", "password (argument)", "has no user");
    assert!(!out.stdout.contains("Secret") && !out.stderr.contains("Secret"));
    // Half a userinfo in MILVUS_URI beside an explicit pair or token: an error, as from --uri.
    for more in [
        &["--user", "a", "--password", "b"][..],
        &["--token", "t"][..],
    ] {
        let out = resolve(&dir, &[("MILVUS_URI", "http://uu@h:1")], more);
        one_problem(
            &out,
            "MILVUS_URI",
            "MILVUS_URI (environment)",
            "user in MILVUS_URI (environment) has no password",
        );
    }
    // The same from .env.
    dir.write(".env", "MILVUS_URI=http://uu@h:1\n");
    let out = run(
        &dir.path,
        &[],
        &["resolve", "--format", "json", "--token", "t"],
    );
    let p = problems(&out);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].0, "MILVUS_URI");
    assert!(p[0].1.starts_with("MILVUS_URI (.env "), "{p:?}");
}

#[test]
fn item_6_a_non_unicode_milvus_token_is_an_error_naming_it() {
    let dir = Dir::new();
    let bad = OsStr::from_bytes(b"t\xffk");
    let out = run_os(&dir.path, &[("MILVUS_TOKEN", bad)], RESOLVE);
    one_problem(
        &out,
        "MILVUS_TOKEN",
        "MILVUS_TOKEN (environment)",
        "MILVUS_TOKEN (environment) is not valid unicode",
    );
    // Not used, so not an error, when a token is given.
    run_os(
        &dir.path,
        &[("MILVUS_TOKEN", bad)],
        &args(RESOLVE, &["--token", "t"]),
    )
    .expect_code(0);
}

#[test]
fn item_7_host_names_and_server_names_are_checked_by_resolve() {
    let dir = Dir::new();
    let long_label = format!("http://{}.example:19530", "a".repeat(64));
    let rows: [(&[&str], &str, &str); 4] = [
        (
            &["--host", "{}"],
            "host",
            "a character not allowed in a host name",
        ),
        (&["--uri", "http://a..b:19530"], "uri", "an empty label"),
        (
            &["--uri", &long_label],
            "uri",
            "a label of a host name is at most 63 characters",
        ),
        (&["--address", "a..b:1"], "address", "an empty label"),
    ];
    for (flags, field, needle) in rows {
        let out = resolve(&dir, &[], flags);
        one_problem(&out, field, &format!("{field} (argument)"), needle);
    }
    let out = resolve(&dir, &[("MILVUS_URI", "http://a..b:19530")], &[]);
    one_problem(
        &out,
        "MILVUS_URI",
        "MILVUS_URI (environment)",
        "an empty label",
    );
    for (name, needle) in [
        ("a..b", "an empty label"),
        ("*.example", "a character not allowed in a host name"),
        ("h:19530", "a server name has no port"),
    ] {
        // ping used to exit 4 ("tls is not available") on these.
        for cmd in resolve_and_ping("https://127.0.0.1:1") {
            let out = run(&dir.path, &[], &args(&cmd, &["--server-name", name]));
            one_problem(&out, "server_name", "server_name (argument)", needle);
        }
    }
    // A 100 kB host (one argument is at most 128 KiB on Linux): named by its length, not
    // echoed.
    let huge = "h".repeat(100_000);
    let out = resolve(&dir, &[], &["--host", &huge]);
    one_problem(
        &out,
        "host",
        "host (argument)",
        "host (argument) is 100000 bytes long; a value is at most 65536 bytes (64 KiB)",
    );
    assert!(
        out.stdout.len() + out.stderr.len() < 2048,
        "{} bytes of output",
        out.stdout.len() + out.stderr.len()
    );
}
