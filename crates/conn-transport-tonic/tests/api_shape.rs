//! The public surface's promises (issue 12): `Display` of every public kind honours width
//! and fill, kinds have `as_str()`, and what the handshake carries is reachable through this
//! crate's own types (its generated protobuf code is private).
#![allow(clippy::unwrap_used)]

mod common;

use std::fmt::Display;

use common::{args, serve};
use conn_test_server::TestServer;
use conn_transport_tonic::{
    Connector, ErrorKind, FileKind, LiteProblem, QuotaState, TlsFileField, TlsProblem,
};

/// `{:<w}|` pads on the right and `{:>w}|` on the left to `w` characters, with `w` six more
/// than the value's text; `{:*^w}` centres with the fill.
fn pads(what: &str, value: &dyn Display) {
    let plain = value.to_string();
    let n = plain.chars().count();
    let w = n + 6;
    assert_eq!(
        format!("{value:<w$}|"),
        format!("{plain}{}|", " ".repeat(6)),
        "{what}"
    );
    assert_eq!(
        format!("{value:>w$}|"),
        format!("{}{plain}|", " ".repeat(6)),
        "{what}"
    );
    assert_eq!(format!("{value:*^w$}"), format!("***{plain}***"), "{what}");
    // A precision truncates, as for a str.
    assert_eq!(
        format!("{value:.2}"),
        plain.chars().take(2).collect::<String>(),
        "{what}"
    );
}

/// The listed variants of an enum, as an array: `variants![ErrorKind: Tls, Rpc]`.
macro_rules! variants {
    ($ty:ty: $($variant:ident),+ $(,)?) => {
        [$(<$ty>::$variant),+]
    };
}

#[test]
fn display_honours_width_and_fill() {
    for kind in variants![ErrorKind:
        UnsupportedTarget, Lite, LocalFile, Setup, Unreachable, TimedOut, Tls, Authentication,
        ServerStatus, Unimplemented, Rpc, Unavailable, RateLimited, PermissionDenied,
        InvalidArgument,
    ] {
        pads("ErrorKind", &kind);
        assert_eq!(kind.to_string(), kind.as_str());
    }
    for field in variants![TlsFileField: ServerPemPath, CaPemPath, ClientPemPath, ClientKeyPath] {
        pads("TlsFileField", &field);
        assert_eq!(field.to_string(), field.as_str());
    }
    for kind in variants![FileKind: Directory, Fifo, CharDevice, BlockDevice, Socket, Other] {
        pads("FileKind", &kind);
        assert_eq!(kind.to_string(), kind.as_str());
        // The transport's `FileKind` is conn-config's (the one bounded file reader).
        let same: conn_config::file::FileKind = kind;
        assert_eq!(same, kind);
    }
    for problem in variants![TlsProblem:
        UntrustedCertificate, NameMismatch, CertificateExpired, ClientCertificateRequired,
        ClientCertificateRejected, NotTls, ServerRequiresTls, NoHttp2, Other,
    ] {
        pads("TlsProblem", &problem);
    }
    for problem in variants![LiteProblem:
        NotInstalled, ParentMissing, NotADirectory, Locked, NotHealthy, Exited, Spawn,
        TlsNotSupported, Lazy,
    ] {
        pads("LiteProblem", &problem);
        assert!(!problem.as_str().is_empty());
    }
    for kind in variants![conn_transport_tonic::PemKind: Certificate, PrivateKey] {
        pads("PemKind", &kind);
        assert_eq!(kind.to_string(), kind.as_str());
    }
    for state in variants![QuotaState:
        Unknown, ReadLimited, WriteLimited, DenyToRead, DenyToWrite, DenyToDdl,
    ] {
        pads("QuotaState", &state);
        assert_eq!(state.to_string(), state.as_str());
    }
}

/// The handshake's `ServerInfo` and the `ClientInfo` sent are this crate's own types, with
/// the values on the wire.
#[tokio::test]
async fn server_and_client_info_are_our_own_types() {
    let server = serve(
        TestServer::builder()
            .version("v9.9.9")
            .build_tags("v9.9.9-custom")
            .deploy_mode("CLUSTER"),
    )
    .await;
    let spec = args(&server)
        .user("alice")
        .password("pw")
        .resolve_isolated()
        .unwrap();
    let connector = Connector::new()
        .sdk_type("MySdk")
        .sdk_version("9.0")
        .host_name("h")
        .reserved("k", "v");
    let connection = connector.connect(&spec).await.unwrap();
    let info: &conn_transport_tonic::ServerInfo = connection.server_info().unwrap();
    assert_eq!(info.build_tags(), "v9.9.9-custom");
    assert_eq!(info.deploy_mode(), "CLUSTER");
    assert_eq!(info.git_commit(), "");
    assert!(info.reserved().is_empty());
    assert_eq!(connection.get_version().await.unwrap(), "v9.9.9");

    // What the server received, and what the connector builds: the same fields.
    let sent = server.calls()[0].client_info.clone().unwrap();
    let built: conn_transport_tonic::ClientInfo = connector.client_info(&spec);
    let expected = ("MySdk", "9.0", "alice", "h", Some("v"));
    let k = sent.reserved.get("k").map(String::as_str);
    assert_eq!(
        (
            &*sent.sdk_type,
            &*sent.sdk_version,
            &*sent.user,
            &*sent.host,
            k
        ),
        expected
    );
    let k = built.reserved().get("k").map(String::as_str);
    assert_eq!(
        (
            built.sdk_type(),
            built.sdk_version(),
            built.user(),
            built.host(),
            k
        ),
        expected
    );
}

/// The test server's health and call-failure settings reach the public `Health` and `Error`.
#[tokio::test]
async fn an_unhealthy_test_server_and_a_refused_call() {
    let server = serve(
        TestServer::builder()
            .unhealthy(["querynode down"])
            .get_version_error(conn_transport_tonic::tonic::Code::PermissionDenied, "no"),
    )
    .await;
    let spec = args(&server).resolve_isolated().unwrap();
    let connection = Connector::new().connect(&spec).await.unwrap();
    let health = connection.check_health().await.unwrap();
    assert!(!health.is_healthy());
    assert_eq!(health.reasons(), ["querynode down"]);
    assert!(health.quota_states().is_empty());
    let err = connection.get_version().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

/// A server that records nothing still answers.
#[tokio::test]
async fn without_recording_the_server_answers_and_keeps_no_calls() {
    let server = serve(TestServer::builder().without_recording()).await;
    let spec = args(&server).resolve_isolated().unwrap();
    let connection = Connector::new().connect(&spec).await.unwrap();
    assert_eq!(connection.get_version().await.unwrap(), "v0.0.0-test");
    assert!(server.calls().is_empty());
}
