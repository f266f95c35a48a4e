//! `.env` limits (docs/resolution.md, "Limits"): only regular files, at most 1 MiB, linear
//! parsing, values at most 64 KiB after interpolation, at most 100 problems reported.
//! Each test reproduces one item of issue 11 at the library level.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Error, Errors, FileKind, MapEnv, Resolver};

/// Resolves with `dotenv` and no environment on another thread, failing (instead of hanging
/// the test run) when it takes longer than a minute: a regression to a blocking open of a
/// FIFO, or to quadratic parsing, fails here.
fn resolve_within_a_minute(dotenv: DotEnv) -> Result<ConnectionSpec, Errors> {
    let (tx, rx) = mpsc::channel();
    let shown = format!("{dotenv:?}");
    std::thread::spawn(move || {
        let r = Resolver::with_env(MapEnv::new())
            .dotenv(dotenv)
            .resolve(&ConnectArgs::new());
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("resolving with {shown} did not finish in 60 s: {e}"))
}

fn errors_of(dotenv: DotEnv) -> Errors {
    match resolve_within_a_minute(dotenv) {
        Ok(spec) => panic!("resolved: {spec:?}"),
        Err(e) => e,
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

#[cfg(unix)]
#[test]
fn a_fifo_given_explicitly_is_an_error_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.env");
    mkfifo(&fifo);
    let errors = errors_of(DotEnv::Path(fifo.clone()));
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(
        matches!(errors.first(), Error::DotEnvNotAFile { path, kind: FileKind::Fifo, .. } if *path == fifo),
        "{errors:?}"
    );
    assert_eq!(
        errors.to_string(),
        format!(".env file {} is a fifo, not a regular file", fifo.display())
    );
    assert_eq!(errors.first().field(), ".env");
}

#[cfg(unix)]
#[test]
fn a_fifo_met_by_the_search_is_passed_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inner = dir.path().join("a");
    std::fs::create_dir(&inner).expect("mkdir");
    write(dir.path(), ".env", "MILVUS_DB_NAME=outer\n");
    mkfifo(&inner.join(".env"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = Resolver::with_env(MapEnv::new().current_dir(&inner)).resolve(&ConnectArgs::new());
        let _ = tx.send(r.map(|s| s.db_name().as_str().to_owned()));
    });
    let db = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the search finishes")
        .expect("resolves");
    assert_eq!(
        db, "outer",
        "the FIFO is skipped, the ancestor's file is read"
    );
}

#[cfg(unix)]
#[test]
fn devices_are_errors_and_are_not_read() {
    for dev in ["/dev/zero", "/dev/urandom", "/dev/null"] {
        if !Path::new(dev).exists() {
            continue;
        }
        let errors = errors_of(DotEnv::Path(dev.into()));
        assert_eq!(errors.len(), 1, "{dev}: {errors}");
        assert!(
            matches!(
                errors.first(),
                Error::DotEnvNotAFile {
                    kind: FileKind::CharDevice,
                    ..
                }
            ),
            "{dev}: {errors:?}"
        );
        assert_eq!(
            errors.to_string(),
            format!(".env file {dev} is a character device, not a regular file")
        );
    }
}

#[test]
fn a_directory_given_explicitly_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = errors_of(DotEnv::Path(dir.path().to_path_buf()));
    assert!(
        matches!(
            errors.first(),
            Error::DotEnvNotAFile {
                kind: FileKind::Directory,
                ..
            }
        ),
        "{errors:?}"
    );
    assert!(
        errors
            .to_string()
            .ends_with("is a directory, not a regular file"),
        "{errors}"
    );
}

#[test]
fn a_file_of_one_mebibyte_is_read_and_one_byte_more_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = "MILVUS_DB_NAME=big\n#";
    let mut content = head.to_owned();
    content.push_str(&"c".repeat((1 << 20) - head.len() - 1));
    content.push('\n');
    assert_eq!(content.len(), 1 << 20);
    let fits = write(dir.path(), "fits.env", &content);
    let spec = resolve_within_a_minute(DotEnv::Path(fits)).expect("1 MiB is fine");
    assert_eq!(spec.db_name().as_str(), "big");

    content.push('\n');
    let over = write(dir.path(), "over.env", &content);
    let errors = errors_of(DotEnv::Path(over.clone()));
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(
        matches!(errors.first(), Error::DotEnvTooLarge { path, limit: 1_048_576, .. } if *path == over),
        "{errors:?}"
    );
    assert_eq!(
        errors.to_string(),
        format!(".env file {} is larger than 1048576 bytes", over.display())
    );
}

#[test]
fn a_file_that_is_not_utf8_is_still_a_read_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "latin1.env", b"MILVUS_DB_NAME=caf\xe9\n");
    let errors = errors_of(DotEnv::Path(p));
    match errors.first() {
        Error::DotEnvRead { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
        }
        other => panic!("{other:?}"),
    }
}

/// Issue 11: `A=x` and 40 lines of `A=$A$A` aborted the process ("memory allocation of
/// 1 GiB failed").
#[test]
fn a_value_doubling_itself_is_an_error_naming_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "double.env",
        format!("A=x\n{}", "A=$A$A\n".repeat(40)),
    );
    let errors = errors_of(DotEnv::Path(p.clone()));
    // Lines 18 to 41: the first ones too large, the last ones over the file's budget.
    assert_eq!(errors.len(), 24, "{errors}");
    assert!(
        matches!(errors.first(), Error::DotEnvValueTooLarge { path, line: 18, limit: 65536, .. } if *path == p),
        "{errors:?}"
    );
    assert_eq!(
        errors.first().to_string(),
        format!(
            ".env file {} line 18: the value grows beyond 65536 bytes (interpolation included)",
            p.display()
        )
    );
    let last = errors.iter().last().expect("a last error");
    assert!(
        matches!(
            last,
            Error::DotEnvInterpolationBudget {
                line: 41,
                limit: 1_048_576,
                ..
            }
        ),
        "{last:?}"
    );
    assert_eq!(
        last.to_string(),
        format!(
            ".env file {} line 41: interpolation in this file copies more than 1048576 bytes in all",
            p.display()
        )
    );
}

/// Issue 11: 1 MiB of spaces, an open quote and 20,000 newlines took 19 s (the step count
/// is pinned in src/dotenv.rs; here the file goes through the resolver).
#[test]
fn a_megabyte_of_spaces_before_an_open_quote_is_one_parse_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = format!(
        "{}\"{}",
        " ".repeat((1 << 20) - 20_001),
        "\n".repeat(20_000)
    );
    let p = write(dir.path(), "spaces.env", content);
    let errors = errors_of(DotEnv::Path(p.clone()));
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(
        matches!(errors.first(), Error::DotEnvParse { path, line: 1, .. } if *path == p),
        "{errors:?}"
    );
}

/// Issue 11: a 50 MB `.env` of bad lines printed 620 MB. Now at most 100 problems are
/// kept, and the rest counted.
#[test]
fn fifty_thousand_bad_lines_are_a_hundred_problems_and_a_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "bad.env", "bad\n".repeat(50_000));
    let errors = errors_of(DotEnv::Path(p.clone()));
    assert_eq!(errors.len(), Errors::MAX_STORED);
    assert_eq!(errors.len(), 100);
    assert_eq!(errors.omitted(), 49_900);
    assert_eq!(errors.total(), 50_000);
    assert_eq!(errors.iter().count(), 100);
    for (i, e) in errors.iter().enumerate() {
        assert!(
            matches!(e, Error::DotEnvParse { line, .. } if *line as usize == i + 1),
            "{e:?}"
        );
    }
    let text = errors.to_string();
    assert!(
        text.starts_with("50000 problems: .env file "),
        "{}",
        &text[..80]
    );
    assert!(
        text.ends_with("line 100 cannot be parsed; and 49900 more problems"),
        "{}",
        &text[text.len() - 80..]
    );
    assert!(
        text.len() < 100 * (p.display().to_string().len() + 60),
        "{} bytes",
        text.len()
    );
    assert_eq!(errors.into_vec().len(), 100);
}

#[test]
fn one_problem_past_the_cap_is_counted_in_the_singular() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "bad.env", "bad\n".repeat(101));
    let errors = errors_of(DotEnv::Path(p));
    assert_eq!((errors.len(), errors.omitted()), (100, 1));
    let text = errors.to_string();
    assert!(text.starts_with("101 problems: "), "{text}");
    assert!(text.ends_with("; and 1 more problem"), "{text}");

    let p = write(dir.path(), "bad100.env", "bad\n".repeat(100));
    let errors = errors_of(DotEnv::Path(p));
    assert_eq!((errors.len(), errors.omitted()), (100, 0));
    assert!(errors.to_string().ends_with("line 100 cannot be parsed"));
}
