//! Issue 11 at the command line: hostile `.env` files end in exit 2 with a message naming
//! the file, promptly, with bounded output (docs/resolution.md, "Limits").

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Dir, Run, run};

/// Runs `milvus-conn resolve --dotenv PATH` (text, then JSON) and checks the common
/// promises: exit 2, the file named in stderr, no more than `max_bytes` of output, within
/// the helper's 60 s (a hang is killed there and fails the test).
fn resolve_dotenv(dir: &Path, path: &str, max_bytes: usize) -> (Run, Run) {
    let started = Instant::now();
    let text = run(dir, &[], &["resolve", "--dotenv", path]);
    let json = run(dir, &[], &["resolve", "--format", "json", "--dotenv", path]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    for r in [&text, &json] {
        r.expect_code(2);
        assert!(
            r.stderr.contains(path),
            "stderr does not name {path}: {r:#?}"
        );
        let size = r.stdout.len() + r.stderr.len();
        assert!(size <= max_bytes, "{size} bytes of output for {path}");
    }
    (text, json)
}

/// [`resolve_dotenv`] of `file`, whose text output says `.env file FILE WHAT`.
fn refused_as(dir: &Dir, file: &Path, what: &str) {
    let path = file.display().to_string();
    let (text, _) = resolve_dotenv(&dir.path, &path, 4096);
    assert!(
        text.stderr.contains(&format!(".env file {path} {what}")),
        "{text:#?}"
    );
}

#[test]
fn dotenv_dev_urandom_is_not_a_regular_file() {
    if !Path::new("/dev/urandom").exists() {
        return;
    }
    let dir = Dir::new();
    let (text, json) = resolve_dotenv(&dir.path, "/dev/urandom", 4096);
    assert!(
        text.stderr
            .contains(".env file /dev/urandom is a character device, not a regular file"),
        "{text:#?}"
    );
    let v = json.json();
    assert_eq!(v["errors"][0]["field"], ".env");
    assert_eq!(v["errors"][0]["origin"], ".env /dev/urandom");
}

#[cfg(unix)]
#[test]
fn dotenv_fifo_is_an_error_at_once() {
    let dir = Dir::new();
    let fifo = dir.fifo("pipe.env");
    refused_as(&dir, &fifo, "is a fifo, not a regular file");
}

#[test]
fn dotenv_value_doubling_itself_is_an_error_naming_the_line() {
    let dir = Dir::new();
    let p = dir.write("double.env", &format!("A=x\n{}", "A=$A$A\n".repeat(40)));
    let path = p.display().to_string();
    let (text, json) = resolve_dotenv(&dir.path, &path, 16 << 10);
    assert!(
        text.stderr.contains(&format!(
            ".env file {path} line 18: the value grows beyond 65536 bytes (interpolation included)"
        )),
        "{text:#?}"
    );
    let v = json.json();
    assert_eq!(v["errors"][0]["origin"], format!(".env {path}:18"));
}

#[test]
fn fifty_thousand_bad_lines_are_a_hundred_problems_and_a_count() {
    let dir = Dir::new();
    let p = dir.write("bad.env", &"bad\n".repeat(50_000));
    let path = p.display().to_string();
    let (text, json) = resolve_dotenv(&dir.path, &path, 64 << 10);
    assert!(
        text.stderr
            .starts_with("error: cannot resolve the connection (50000 problems)\n"),
        "{}",
        &text.stderr[..200.min(text.stderr.len())]
    );
    // One line per stored problem, then the count of the rest.
    assert_eq!(text.stderr.lines().count(), 1 + 100 + 1);
    assert!(
        text.stderr.ends_with("  - and 49900 more problems\n"),
        "{}",
        &text.stderr[text.stderr.len().saturating_sub(200)..]
    );
    let v = json.json();
    let errors = v["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 101);
    assert_eq!(errors[99]["origin"], format!(".env {path}:100"));
    assert_eq!(
        errors[100],
        serde_json::json!({"field": "problems", "origin": null, "message": "and 49900 more problems"})
    );
}

#[test]
fn dotenv_over_a_mebibyte_is_an_error() {
    let dir = Dir::new();
    let p = dir.write("big.env", &"#".repeat((1 << 20) + 1));
    refused_as(&dir, &p, "is larger than 1048576 bytes");
}
