//! The rendered chain of an error of each class (its `Display`, then each `source()`'s):
//! no error in the chain repeats the text of its source, and no text appears twice. Against
//! in-process servers on 127.0.0.1:0 (TLS with rcgen certificates).
#![cfg(feature = "tls-ring")]
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::{Ca, closed_port, serve, spec, write};
use conn_config::ConnectArgs;
use conn_test_server::TestServer;
use conn_transport_tonic::{Error, ErrorKind};

/// The texts of the chain: the error's, then each source's.
fn chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    milvus_conn_tests::fixtures::chain(err)
        .map(ToString::to_string)
        .collect()
}

/// No text in the chain contains the text of its source, and no text appears twice.
fn assert_no_repetition(what: &str, err: &Error) {
    let texts = chain(err);
    eprintln!("observed {what} [{}]: {}", err.kind(), texts.join(" | "));
    for pair in texts.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{what}: {:?} repeats its source {:?} (chain {texts:?})",
            pair[0],
            pair[1]
        );
    }
    for (i, text) in texts.iter().enumerate() {
        assert!(
            !texts[i + 1..].contains(text),
            "{what}: {text:?} appears twice in {texts:?}"
        );
    }
}

async fn connect_err(args: ConnectArgs) -> Error {
    conn_transport_tonic::connect(&spec(args.timeout(Duration::from_secs(3))))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn no_error_class_repeats_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("chains ca");
    let leaf = ca.server(&["localhost", "127.0.0.1"]);
    let ca_path = write(dir.path(), "ca.pem", &ca.pem);
    let other = Ca::new("other ca");
    let other_path = write(dir.path(), "other.pem", &other.pem);
    let not_pem = write(dir.path(), "not.pem", "hello");
    let client = ca.client();
    let client_cert = write(dir.path(), "client.pem", &client.cert_pem);
    let other_key = write(dir.path(), "other.key", &ca.client().key_pem);

    let tls = serve(TestServer::builder().tls(&leaf.cert_pem, &leaf.key_pem)).await;
    let mutual = serve(
        TestServer::builder()
            .tls(&leaf.cert_pem, &leaf.key_pem)
            .client_ca(&ca.pem),
    )
    .await;
    let plain = serve(TestServer::builder()).await;
    let auth = serve(TestServer::builder().require_authorization("cm9vdDpNaWx2dXM=")).await;
    let status =
        serve(TestServer::builder().connect_status(800, "database not found[database=nope]")).await;
    let unimplemented = serve(TestServer::builder().unimplemented()).await;
    let slow = serve(TestServer::builder().delay(Duration::from_secs(30))).await;
    let tls_port = tls.local_addr().unwrap().port();
    let plain_port = plain.local_addr().unwrap().port();

    let at = |uri: String| ConnectArgs::new().uri(uri);
    let closed = format!("http://127.0.0.1:{}", closed_port());
    // (what, its class, the arguments that fail so): one row a line.
    #[rustfmt::skip]
    let rows: Vec<(&str, ErrorKind, ConnectArgs)> = vec![
        ("closed port", ErrorKind::Unreachable, at(closed)),
        ("untrusted certificate", ErrorKind::Tls, at(tls.uri()).ca_pem_path(&other_path)),
        ("name mismatch", ErrorKind::Tls, at(tls.uri()).ca_pem_path(&ca_path).server_name("wrong.example")),
        ("no client certificate", ErrorKind::Tls, at(mutual.uri()).ca_pem_path(&ca_path)),
        ("tls to a plaintext port", ErrorKind::Tls, at(format!("https://127.0.0.1:{plain_port}")).ca_pem_path(&ca_path)),
        ("plaintext to a tls port", ErrorKind::Tls, at(format!("http://127.0.0.1:{tls_port}"))),
        ("wrong password", ErrorKind::Authentication, at(auth.uri()).user("root").password("wrong")),
        ("unknown database", ErrorKind::ServerStatus, at(status.uri())),
        ("not milvus", ErrorKind::Unimplemented, at(unimplemented.uri())),
        ("missing ca file", ErrorKind::LocalFile, at(tls.uri()).ca_pem_path(dir.path().join("missing.pem"))),
        ("ca file not pem", ErrorKind::LocalFile, at(tls.uri()).ca_pem_path(&not_pem)),
        ("mismatched client key", ErrorKind::LocalFile,
            at(mutual.uri()).ca_pem_path(&ca_path).client_pem_path(&client_cert).client_key_path(&other_key)),
    ];
    let mut cases = Vec::new();
    for (what, kind, args) in rows {
        cases.push((what, kind, connect_err(args).await));
    }
    // With its own timeout (connect_err's is 3 s).
    let slow = at(slow.uri()).timeout(Duration::from_millis(300));
    let err = conn_transport_tonic::connect(&spec(slow))
        .await
        .unwrap_err();
    cases.push(("timed out", ErrorKind::TimedOut, err));
    for (what, kind, err) in &cases {
        assert_eq!(err.kind(), *kind, "{what}: {err:?}");
        assert_no_repetition(what, err);
    }
}
