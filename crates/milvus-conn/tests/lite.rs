//! `milvus-conn ping --uri ./demo.db` starts Milvus Lite (the `lite` feature, on by default)
//! and prints its version; `resolve` shows the absolute data directory. Against the real
//! `milvus-lite` of `tests/milvus/setup.sh`; under `CI=true` a missing one fails.
#![cfg(all(unix, feature = "lite"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;

use common::{Dir, run};
use milvus_conn_tests::lite::{alive, executable_or_skip, server_pids, venv};

#[test]
fn ping_a_db_path_starts_milvus_lite_and_prints_its_version() {
    let Some(bin) = executable_or_skip() else {
        return;
    };
    let dir = Dir::new();
    let env = [("MILVUS_LITE_BIN", bin.to_str().unwrap())];
    let out = run(&dir.path, &env, &["ping", "--uri", "./demo.db"]);
    out.expect_code(0);
    let data_dir = dir.path.join("demo.db");
    assert!(out.stdout.contains("milvus_lite-3.2.2"), "{out:#?}");
    assert!(
        out.stdout
            .contains(&format!("milvus lite  {}", data_dir.display())),
        "{out:#?}"
    );
    assert!(data_dir.join("LOCK").is_file());
    assert!(server_pids(&data_dir).is_empty(), "stopped when ping ended");

    let out = run(
        &dir.path,
        &env,
        &["ping", "--uri", "./demo.db", "--format", "json"],
    );
    let json = out.expect_code(0).json();
    assert_eq!(json["server"]["version"], "milvus_lite-3.2.2");
    assert_eq!(json["target"]["kind"], "lite");
    assert_eq!(json["lite"]["data_dir"], data_dir.display().to_string());
    assert!(json["lite"]["pid"].as_u64().unwrap() > 0);
    assert!(json["healthy"].as_bool().unwrap());
}

#[test]
fn resolve_shows_the_absolute_data_directory() {
    let dir = Dir::new();
    let out = run(&dir.path, &[], &["resolve", "--uri", "./sub/../demo.db"]);
    out.expect_code(0);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("data_dir"))
        .unwrap_or_else(|| panic!("{out:#?}"));
    assert_eq!(
        line.split_whitespace().nth(1),
        Some(dir.path.join("demo.db").to_str().unwrap())
    );
    let json = run(
        &dir.path,
        &[],
        &["resolve", "--uri", "./demo.db", "--format", "json"],
    )
    .json();
    assert_eq!(
        json["target"]["data_dir"],
        dir.path.join("demo.db").display().to_string()
    );
    let json = run(
        &dir.path,
        &[],
        &["resolve", "--uri", "http://h:1", "--format", "json"],
    )
    .json();
    assert!(json["target"].get("data_dir").is_none(), "{json}");
}

/// A `python3` on `PATH` that runs the venv's python (with or without its site-packages).
fn fake_python(dir: &Dir, with_site: bool) -> String {
    let python = venv().unwrap().join("bin/python3");
    let flags = if with_site { "" } else { "-S " };
    let script = dir.write(
        "bin/python3",
        &format!("#!/bin/sh\nexec {} {flags}\"$@\"\n", python.display()),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script.parent().unwrap().display().to_string()
}

/// Without `MILVUS_LITE_BIN` and `milvus-lite` on `PATH`, `python3 -m milvus_lite` runs;
/// a `python3` without the package is "not installed", naming the package.
#[test]
fn python3_m_milvus_lite_is_the_fallback() {
    if executable_or_skip().is_none() {
        return;
    }
    let dir = Dir::new();
    let path = format!("{}:/usr/bin:/bin", fake_python(&dir, true));
    let out = run(&dir.path, &[("PATH", &path)], &["ping", "--uri", "./py.db"]);
    out.expect_code(0);
    assert!(out.stdout.contains("milvus_lite-3.2.2"), "{out:#?}");

    let without = Dir::new();
    let path = format!("{}:/usr/bin:/bin", fake_python(&without, false));
    let out = run(
        &without.path,
        &[("PATH", &path)],
        &["ping", "--uri", "./py.db"],
    );
    out.expect_code(1);
    assert!(
        out.stderr.contains("milvus lite is not installed"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("pip install milvus-lite"), "{out:#?}");
    assert!(
        out.stderr.contains("No module named milvus_lite"),
        "{out:#?}"
    );
}

/// The exit statuses of the start-up failures (docs/cli.md).
#[test]
fn lite_failures_exit_with_their_class() {
    let dir = Dir::new();
    // The directory holding the .db does not exist: bad input, whatever is installed.
    let out = run(&dir.path, &[], &["ping", "--uri", "./missing/demo.db"]);
    out.expect_code(2);
    assert!(out.stderr.contains("does not exist"), "{out:#?}");
    // Not installed: MILVUS_LITE_BIN names nothing.
    let out = run(
        &dir.path,
        &[("MILVUS_LITE_BIN", "/nonexistent/milvus-lite")],
        &["ping", "--uri", "./demo.db"],
    );
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("MILVUS_LITE_BIN names /nonexistent/milvus-lite"),
        "{out:#?}"
    );
    // TLS for a .db target: bad input.
    let out = run(&dir.path, &[], &["ping", "--uri", "./demo.db", "--secure"]);
    out.expect_code(2);
    assert!(
        out.stderr.contains("plaintext grpc on loopback only"),
        "{out:#?}"
    );
}

/// `ping` exits once the server it started is gone, even one that ignores SIGTERM (killed
/// after the 5 s grace); the error is printed first (docs/cli.md).
#[test]
fn ping_exits_once_a_server_ignoring_sigterm_is_gone() {
    let dir = Dir::new();
    let fake = dir.write(
        "fake-lite",
        "#!/bin/sh\necho $$ > server.pid\ntrap '' TERM\nexec sleep 600\n",
    );
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(
        &dir.path,
        &[("MILVUS_LITE_BIN", fake.to_str().unwrap())],
        &["ping", "--uri", "./x.db", "--timeout", "1"],
    );
    out.expect_code(3);
    assert!(
        out.stderr.contains("did not answer CheckHealth in time"),
        "{out:#?}"
    );
    let pid: u32 = std::fs::read_to_string(dir.path.join("server.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !alive(pid),
        "ping exited with its server {pid} still running"
    );
}
