//! `milvus-conn ping` against a genuine Milvus 2.3.5 (started by the project's
//! `tests/milvus/start.sh` through `milvus_conn_tests::milvus`, stopped by PID): the exit
//! codes a script acts on, and what the tool prints.
//!
//! Under `CI=true` a Milvus that is not set up or does not start fails this test; elsewhere
//! it skips with a printed reason when `tests/milvus/setup.sh` was never run.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use common::{Dir, Run, assert_contains, run};
use milvus_conn_tests::milvus::{Mode, RealMilvus};

/// `milvus-conn ping --no-dotenv --uri URI --user root --password PASSWORD FLAGS…` in `dir`,
/// with an empty environment.
fn ping(dir: &Dir, uri: &str, password: &str, flags: &[&str]) -> Run {
    let mut args = vec![
        "ping",
        "--no-dotenv",
        "--uri",
        uri,
        "--user",
        "root",
        "--password",
        password,
    ];
    args.extend(flags);
    run(&dir.path, &[], &args)
}

#[test]
fn ping_a_real_milvus_in_plain_and_mutual_tls_modes() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Plain) else {
        return;
    };
    let dir = Dir::new();
    let uri = milvus.uri().to_owned();
    let ok = ping(&dir, &uri, "Milvus", &["--count", "5"])
        .expect_code(0)
        .stdout
        .clone();
    eprintln!("plain:\n{ok}");
    assert!(ok.contains(milvus.server_version()), "{ok}");
    assert!(ok.contains("STANDALONE"), "{ok}");
    assert!(ok.contains("healthy"), "{ok}");

    // Wrong password: authentication, exit 5, and the password never shows.
    let bad = ping(&dir, &uri, "Wr0ng-pw-xyz", &[]);
    bad.expect_code(5);
    assert!(!bad.stdout.contains("Wr0ng-pw-xyz") && !bad.stderr.contains("Wr0ng-pw-xyz"));
    eprintln!("wrong password: {}", bad.stderr.trim());

    // A database that does not exist: Milvus refuses Connect with status 800, exit 6.
    let nodb = ping(&dir, &uri, "Milvus", &["--db-name", "no_such_db"]);
    nodb.expect_code(6);
    assert_contains(&nodb.stderr, "database not found");

    let milvus = milvus.restart(Mode::Tls2).unwrap();
    let uri = milvus.uri().to_owned();
    let ca = milvus.ca().unwrap().display().to_string();
    let cert = milvus.client_cert().unwrap().display().to_string();
    let key = milvus.client_key().unwrap().display().to_string();
    let mutual = ping(
        &dir,
        &uri,
        "Milvus",
        &[
            "--ca-pem-path",
            &ca,
            "--client-pem-path",
            &cert,
            "--client-key-path",
            &key,
        ],
    )
    .expect_code(0)
    .stdout
    .clone();
    eprintln!("mutual tls:\n{mutual}");
    assert!(mutual.contains("mutual"), "{mutual}");

    // Without the client certificate: a TLS failure, exit 4.
    let refused = ping(&dir, &uri, "Milvus", &["--ca-pem-path", &ca]);
    refused.expect_code(4);
    eprintln!("no client certificate: {}", refused.stderr.trim());
}
