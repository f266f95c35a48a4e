//! A password or token given by flag, environment or `.env` never shows in stdout or stderr
//! without `--show-secrets`: on success and on every error path, in both formats, with and
//! without `-vvv` tracing.

mod common;

use common::{Dir, Run, run};

const PASSWORD: &str = "S3cr3t-pw-xyz";
const NUMERIC_TOKEN: &str = "123456";
const TOKEN: &str = "T0k3n-abc-987";

/// Pieces of the secrets and of their base64 forms (the `authorization` header is a secret
/// too): any of them in the output is a leak.
const FORBIDDEN: &[&str] = &[
    "S3cr3t",
    "123456",
    "T0k3n",
    "UzNjcjN0",         // base64 of "S3cr3t-pw-xyz"
    "cm9vdDpTM2NyM3Qt", // base64 of "root:S3cr3t-"
    "YWxpY2U6UzNjcjN0", // base64 of "alice:S3cr3t"
    "MTIzNDU2",         // base64 of "123456"
    "VDBrM24t",         // base64 of "T0k3n-"
];

#[track_caller]
fn assert_no_secret(what: &str, run: &Run) {
    for f in FORBIDDEN {
        assert!(
            !run.stdout.contains(f) && !run.stderr.contains(f),
            "{what}: {f:?} leaked:\n{run:#?}"
        );
    }
}

/// One scenario: variables, a `.env` file, flags, and the exit status it must end with.
struct Case {
    name: &'static str,
    env: Vec<(&'static str, String)>,
    dotenv: Option<String>,
    flags: Vec<String>,
    code: i32,
}

fn case(name: &'static str, code: i32) -> Case {
    Case {
        name,
        env: Vec::new(),
        dotenv: None,
        flags: Vec::new(),
        code,
    }
}

impl Case {
    fn env(mut self, k: &'static str, v: impl Into<String>) -> Case {
        self.env.push((k, v.into()));
        self
    }
    fn dotenv(mut self, contents: impl Into<String>) -> Case {
        self.dotenv = Some(contents.into());
        self
    }
    fn flags(mut self, flags: &[&str]) -> Case {
        self.flags.extend(flags.iter().map(|f| (*f).to_owned()));
        self
    }
}

fn cases() -> Vec<Case> {
    let pw = PASSWORD;
    let num = NUMERIC_TOKEN;
    let tok = TOKEN;
    vec![
        // Success.
        case("user/password flags", 0).flags(&["--user", "root", "--password", pw]),
        case("numeric token flag", 0).flags(&["--token", num]),
        case("token flag", 0).flags(&["--token", tok]),
        case("numeric MILVUS_TOKEN", 0).env("MILVUS_TOKEN", num),
        case("MILVUS_URI userinfo", 0).env("MILVUS_URI", format!("http://root:{pw}@h:1")),
        case("--uri userinfo", 0).flags(&["--uri", &format!("http://root:{pw}@h:1")]),
        case(".env token and URI userinfo", 0).dotenv(format!(
            "MILVUS_TOKEN={tok}\nMILVUS_URI=http://alice:{pw}@h:1\n"
        )),
        case(".env numeric token", 0).dotenv(format!("MILVUS_TOKEN={num}\n")),
        case("token beats user/password (warning)", 0).flags(&[
            "--token",
            num,
            "--user",
            "root",
            "--password",
            pw,
        ]),
        // Errors from the resolver.
        case("password without user", 2).flags(&["--password", pw]),
        case("token, password without user", 2).flags(&["--token", num, "--password", pw]),
        case("password and a bad port", 2).flags(&[
            "--user",
            "root",
            "--password",
            pw,
            "--port",
            "70000",
        ]),
        case("userinfo and a port out of range", 2)
            .env("MILVUS_URI", format!("http://root:{pw}@h:70000")),
        case("userinfo and a non-numeric port", 2)
            .flags(&["--uri", &format!("http://root:{pw}@h:abc")]),
        case("userinfo, unsupported scheme", 2).dotenv(format!("MILVUS_URI=ftp://root:{pw}@h\n")),
        case("userinfo without a scheme", 2).flags(&["--uri", &format!("root:{pw}@h:1")]),
        case("unencoded '#' in the password", 2)
            .flags(&["--uri", &format!("http://root:{pw}#x@h:1")]),
        case("bad percent-escape in the password", 2)
            .flags(&["--uri", &format!("http://root:{pw}%zz@h:1")]),
        case("control character in the password", 2).flags(&[
            "--user",
            "root",
            "--password",
            &format!("{pw}\u{1}x"),
        ]),
        case("control character in MILVUS_TOKEN", 2).env("MILVUS_TOKEN", format!("{num}\u{7}")),
        case("userinfo password without user", 2).flags(&["--uri", &format!("http://:{pw}@h:1")]),
        case("token and a bad timeout", 2)
            .env("MILVUS_TOKEN", num)
            .env("MILVUS_CONN_TIMEOUT", "-1"),
        case("malformed .env next to a secret", 2)
            .dotenv(format!("MILVUS_TOKEN={num}\nthis line {pw} is broken\n")),
        case("missing --dotenv file with a token", 2).flags(&[
            "--token",
            num,
            "--dotenv",
            "missing.env",
        ]),
        case("bad --secure with a password", 2).flags(&[
            "--user",
            "root",
            "--password",
            pw,
            "--secure",
            "maybe",
        ]),
        case("unknown alias with a token", 2).flags(&["--alias", "nope", "--token", tok]),
        // Errors from the command line parser.
        case("unknown flag after a token", 2).flags(&["--token", num, "--bogus"]),
        case("unknown flag after a password", 2).flags(&[
            "--password",
            pw,
            "--user",
            "root",
            "--bogus",
            pw,
        ]),
        case("a password that looks like a flag", 2).flags(&["--password", "-S3cr3t-pw"]),
        case("password given twice", 2).flags(&["--password", pw, "--password", pw]),
        case("missing value after a token", 2).flags(&["--token", num, "--port"]),
        case("bad --format with a token", 2).flags(&["--token", tok, "--format", "yaml"]),
    ]
}

fn run_case(c: &Case, format: &[&str], verbose: &[&str]) -> Run {
    let dir = Dir::new();
    if let Some(contents) = &c.dotenv {
        dir.write(".env", contents);
    }
    let env: Vec<(&str, &str)> = c.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args: Vec<&str> = verbose.to_vec();
    args.push("resolve");
    args.extend(format);
    args.extend(c.flags.iter().map(String::as_str));
    run(&dir.path, &env, &args)
}

#[test]
fn no_secret_in_any_output_without_show_secrets() {
    let mut checked = 0;
    for c in cases() {
        for format in [&[][..], &["--format", "json"], &["--format", "table"]] {
            for verbose in [&[][..], &["-vvv"]] {
                let what = format!("{} {format:?} {verbose:?}", c.name);
                let run = run_case(&c, format, verbose);
                run.expect_code(c.code);
                assert_no_secret(&what, &run);
                if c.code == 2 {
                    assert!(!run.stderr.is_empty(), "{what}: says why on stderr");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, cases().len() * 6);
}

/// The check above can fail: with `--show-secrets` the header value does show.
#[test]
fn show_secrets_shows_the_authorization_value() {
    let by_flag = run_case(
        &case("flags", 0).flags(&["--user", "root", "--password", PASSWORD, "--show-secrets"]),
        &["--format", "json"],
        &[],
    );
    by_flag.expect_code(0);
    assert!(
        by_flag.stdout.contains("cm9vdDpTM2NyM3QtcHcteHl6"),
        "{by_flag:?}"
    );

    let by_dotenv = run_case(
        &case(".env", 0)
            .dotenv(format!("MILVUS_TOKEN={NUMERIC_TOKEN}\n"))
            .flags(&["--show-secrets"]),
        &[],
        &[],
    );
    by_dotenv.expect_code(0);
    assert!(
        by_dotenv
            .stdout
            .lines()
            .any(|l| l.starts_with("authorization") && l.ends_with("MTIzNDU2")),
        "{by_dotenv:?}"
    );

    let by_env = run_case(
        &case("env", 0)
            .env("MILVUS_TOKEN", TOKEN)
            .flags(&["--show-secrets"]),
        &["--format", "json"],
        &[],
    );
    by_env.expect_code(0);
    assert_eq!(
        by_env.json()["auth"]["authorization"],
        "VDBrM24tYWJjLTk4Nw=="
    );
}
