//! No password, token, `authorization` value or key material in `Debug`, `Display`,
//! errors or tracing output; and the plaintext-credentials warning.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{args, capture_tracing, closed_port, serve, spec, write};
use conn_config::ConnectArgs;
use conn_test_server::TestServer;
use conn_transport_tonic::{Connector, ErrorKind};

const PASSWORD: &str = "pa55-Very-Secret";
const TOKEN: &str = "tok-Very-Secret-123";

fn forbidden() -> Vec<String> {
    use base64::Engine as _;
    let b64 = &base64::engine::general_purpose::STANDARD;
    vec![
        PASSWORD.to_owned(),
        TOKEN.to_owned(),
        b64.encode(format!("root:{PASSWORD}")),
        b64.encode(TOKEN),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} shows a secret: {text}");
    }
}

/// Every error of a chain, Display and Debug.
fn everything(err: &(dyn std::error::Error + 'static)) -> String {
    let each: Vec<String> = milvus_conn_tests::fixtures::chain(err)
        .map(|e| format!("{e} {e:?}"))
        .collect();
    each.join(" | ")
}

#[tokio::test]
async fn connections_interceptors_errors_and_spans_never_show_secrets() {
    let (captured, _guard) = capture_tracing();
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("root:{PASSWORD}"))
    };
    let server = serve(TestServer::builder().require_authorization(b64)).await;

    // A successful connection with user and password.
    let good = spec(args(&server).user("root").password(PASSWORD));
    let connector = Connector::new().sdk_type("S");
    let conn = connector.connect(&good).await.unwrap();
    conn.get_version().await.unwrap();
    assert_clean("MilvusConnection Debug", &format!("{conn:?}"));
    assert_clean(
        "MilvusInterceptor Debug",
        &format!("{:?}", conn.interceptor()),
    );
    assert_clean("MilvusService Debug", &format!("{:?}", conn.service()));
    assert_clean("Connector Debug", &format!("{connector:?}"));
    assert_clean(
        "ClientInfo Debug",
        &format!("{:?}", connector.client_info(&good)),
    );
    assert!(format!("{conn:?}").contains("<redacted>"));

    // Refused credentials: a token the server does not know.
    let token = spec(args(&server).token(TOKEN));
    let err = conn_transport_tonic::connect(&token).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert_clean("authentication error", &everything(&err));

    // Unreachable and timed out, with credentials in the spec.
    let closed = spec(
        ConnectArgs::new()
            .uri(format!("http://127.0.0.1:{}", closed_port()))
            .user("root")
            .password(PASSWORD),
    );
    let err = conn_transport_tonic::connect(&closed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable);
    assert_clean("unreachable error", &everything(&err));

    let slow = serve(TestServer::builder().delay(Duration::from_secs(30))).await;
    let timed = spec(
        ConnectArgs::new()
            .uri(slow.uri())
            .token(TOKEN)
            .timeout(Duration::from_millis(300)),
    );
    let err = conn_transport_tonic::connect(&timed).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert_clean("timed-out error", &everything(&err));

    // Spans and events were emitted (the capture works), and none shows a secret.
    let log = captured.text();
    assert!(log.contains("milvus.connect"), "{log}");
    assert!(log.contains("milvus.handshake"), "{log}");
    assert!(log.contains("alias=default"), "{log}");
    assert!(
        log.contains("tls=\"plaintext\"") || log.contains("tls=plaintext"),
        "{log}"
    );
    assert_clean("tracing output", &log);
}

#[tokio::test]
async fn credentials_in_plaintext_to_a_remote_host_are_warned_about() {
    let (captured, _guard) = capture_tracing();
    // Lazy: no network I/O, so an address nobody owns is fine.
    let remote = spec(
        ConnectArgs::new()
            .uri("http://192.0.2.10:19530")
            .token(TOKEN),
    );
    conn_transport_tonic::connect_lazy(&remote).unwrap();
    let log = captured.text();
    assert!(
        log.contains("WARN") && log.contains("credentials are sent in plaintext"),
        "{log}"
    );
    assert!(log.contains("192.0.2.10:19530"), "{log}");
    assert_clean("warning", &log);
}

#[tokio::test]
async fn no_warning_for_loopback_tls_or_no_credentials() {
    let (captured, _guard) = capture_tracing();
    let dir = tempfile::tempdir().unwrap();
    let ca = common::Ca::new("ca");
    let ca_path = write(dir.path(), "ca.pem", &ca.pem);
    for args in [
        ConnectArgs::new()
            .uri("http://127.0.0.1:19530")
            .token(TOKEN),
        ConnectArgs::new()
            .uri("http://localhost:19530")
            .token(TOKEN),
        ConnectArgs::new().uri("http://192.0.2.10:19530"),
        ConnectArgs::new()
            .uri("https://192.0.2.10:19530")
            .token(TOKEN)
            .ca_pem_path(&ca_path),
    ] {
        conn_transport_tonic::connect_lazy(&spec(args)).unwrap();
    }
    let log = captured.text();
    assert!(log.contains("milvus.connect_lazy"), "{log}");
    assert!(!log.contains("credentials are sent in plaintext"), "{log}");
}
