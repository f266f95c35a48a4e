//! A load of the platform's roots stuck in the kernel (here `SSL_CERT_FILE` names a FIFO no
//! one writes to, as a hung network file system would hold it) keeps one reader thread:
//! later connects that need the roots wait for that load by their own deadline instead of
//! each starting a thread that blocks behind it for ever.
#![cfg(all(unix, feature = "tls-native-roots"))]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::process::{Command, Stdio};

use conn_config::{ConnectArgs, Environment as _, ProcessEnv};
use conn_transport_tonic::{Connector, Error};

/// The environment variable that makes this test binary the child.
const CHILD: &str = "TLS_ROOTS_STUCK_CHILD";

/// How many connects the child makes while the roots load is stuck.
const CONNECTS: usize = 30;

/// The threads of this process that read TLS files (`milvus-tls-files`, which the kernel
/// keeps as its first 15 bytes).
fn reader_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|task| {
            let comm = task.as_ref().unwrap().path().join("comm");
            std::fs::read_to_string(comm).is_ok_and(|name| name.trim() == "milvus-tls-file")
        })
        .count()
}

#[test]
fn a_stuck_load_of_the_platform_roots_keeps_one_thread() {
    if ProcessEnv.var(CHILD).is_some() {
        return child();
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("roots.pem");
    milvus_conn_tests::fixtures::mkfifo(&fifo);
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "a_stuck_load_of_the_platform_roots_keeps_one_thread",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("SSL_CERT_FILE", &fifo)
        .env("SSL_CERT_DIR", dir.path().join("no-such-dir"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains(&format!("{CONNECTS} connects")), "{text}");
}

/// In the child: `CONNECTS` connects without CA files, each ending at its (short)
/// deadline while the first one's load of the roots is stuck on the FIFO.
fn child() {
    let port = common::closed_port();
    let runtime = milvus_conn_tests::fixtures::runtime(2);
    let spec = ConnectArgs::new()
        .uri(format!("https://127.0.0.1:{port}"))
        .timeout(0.05)
        .resolve_isolated()
        .unwrap();
    for _ in 0..CONNECTS {
        let err = runtime
            .block_on(Connector::new().dedicated_channels().connect(&spec))
            .unwrap_err();
        assert!(
            matches!(&err, Error::TlsUnavailable { reason, .. } if reason.contains("root certificates")),
            "{err}"
        );
    }
    // The stuck load's thread, and at most the two that wait for work (no connect here
    // read a file of its own, so none should, but a reader may be between jobs).
    let readers = reader_threads();
    assert!(
        readers <= 3,
        "{readers} reader threads after {CONNECTS} connects"
    );
    println!("{CONNECTS} connects, {readers} reader threads");
}
