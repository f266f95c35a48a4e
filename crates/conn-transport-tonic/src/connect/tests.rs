//! Unit tests of the dialer's endpoints and deadlines, and of calls with huge timeouts.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use conn_config::ConnectArgs;

use super::dialer::{Prepared, Route, prepare};

fn prepared(args: ConnectArgs) -> Prepared {
    prepare(
        &args.resolve_isolated().unwrap(),
        false,
        None,
        Default::default(),
    )
    .unwrap()
}

#[test]
fn endpoints_are_built_from_the_specs_parts() {
    let cases = [
        ("http://127.0.0.1:1234", "http://127.0.0.1:1234/"),
        ("http://LocalHost:19530", "http://localhost:19530/"),
        ("http://[::1]:19530", "http://[::1]:19530/"),
        (
            "tcp://milvus.example.com",
            "http://milvus.example.com:19530/",
        ),
        ("unix:/tmp/milvus.sock", "http://localhost/"),
        ("https://127.0.0.1:1234", "http://127.0.0.1:1234/"),
    ];
    for (uri, expected) in cases {
        let p = prepared(
            ConnectArgs::new()
                .uri(uri)
                .timeout(Duration::from_millis(2500)),
        );
        assert_eq!(p.endpoint.uri().to_string(), expected, "{uri}");
        assert!(p.endpoint.get_tcp_nodelay(), "{uri}");
        assert_eq!(
            p.endpoint.get_connect_timeout(),
            Some(Duration::from_millis(2500)),
            "{uri}"
        );
    }
}

#[test]
fn a_deadline_never_overflows() {
    use super::dialer::{FAR_FUTURE, deadline_after};
    use tokio::time::Instant;
    let now = Instant::now();
    let far = deadline_after(Duration::MAX);
    assert!(far >= now + FAR_FUTURE, "{:?}", far - now);
    let near = deadline_after(Duration::from_secs(3));
    assert!(near > now && near <= Instant::now() + Duration::from_secs(3));
}

/// tonic panics when it writes a `grpc-timeout` over its limit: the limit here is
/// exactly tonic's (a tonic upgrade that changes it fails this test).
#[tokio::test]
async fn grpc_timeouts_are_clamped_to_what_tonic_can_send() {
    use super::dialer::{MAX_GRPC_TIMEOUT, grpc_timeout};
    use crate::proto::milvus::GetVersionRequest;
    use crate::proto::milvus::milvus_service_client::MilvusServiceClient;

    assert_eq!(grpc_timeout(Duration::MAX), MAX_GRPC_TIMEOUT);
    assert_eq!(grpc_timeout(Duration::from_secs(3)), Duration::from_secs(3));

    let server = conn_test_server::TestServer::builder()
        .serve_tcp()
        .await
        .unwrap();
    let channel = tonic::transport::Endpoint::from_shared(server.uri())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let call = |timeout: Duration| {
        let channel = channel.clone();
        tokio::spawn(async move {
            let mut request = tonic::Request::new(GetVersionRequest {});
            request.set_timeout(timeout);
            MilvusServiceClient::new(channel).get_version(request).await
        })
    };
    let at_limit = call(grpc_timeout(Duration::MAX)).await.unwrap();
    assert_eq!(at_limit.unwrap().into_inner().version, "v0.0.0-test");
    let over = call(MAX_GRPC_TIMEOUT + Duration::from_secs(3600)).await;
    assert!(over.is_err_and(|e| e.is_panic()), "tonic's limit moved");
    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].header("grpc-timeout"), Some("99999999H"));
}

/// A connection whose timeout is larger than any clock or `grpc-timeout` can hold
/// (the resolver caps the timeout at a day; the transport does not rely on it).
#[tokio::test]
async fn calls_with_an_enormous_timeout_do_not_panic() {
    use std::sync::Arc;
    let server = conn_test_server::TestServer::builder()
        .serve_tcp()
        .await
        .unwrap();
    let spec = ConnectArgs::new()
        .uri(server.uri())
        .resolve_isolated()
        .unwrap();
    let lazy = super::connect_lazy(&spec).unwrap();
    let info = &lazy.link.info;
    let mut ctx = info.ctx.clone();
    ctx.timeout = Duration::MAX;
    let huge = super::MilvusConnection {
        link: super::connection::Link {
            info: Arc::new(super::connection::Info {
                ctx,
                alias: info.alias.clone(),
                tls: info.tls,
                user: info.user.clone(),
                pooled: None,
                lite: Default::default(),
            }),
            ..lazy.link.clone()
        },
        ..lazy.clone()
    };
    // The handshake, then each call, all with the enormous timeout.
    assert_eq!(huge.get_version().await.unwrap(), "v0.0.0-test");
    assert!(huge.check_health().await.unwrap().is_healthy());
    let rpcs: Vec<_> = server.calls().iter().map(|c| c.rpc).collect();
    assert_eq!(rpcs, ["Connect", "GetVersion", "CheckHealth"]);
    // The handshake sends the time left to its deadline (saturated at about 30 years,
    // 15,768,000 minutes); the calls, the clamped timeout.
    let timeouts: Vec<_> = server
        .calls()
        .iter()
        .map(|c| c.header("grpc-timeout").unwrap().to_owned())
        .collect();
    assert!(timeouts[0].starts_with("157679"), "{timeouts:?}");
    assert!(timeouts[0].ends_with('M'), "{timeouts:?}");
    assert_eq!(timeouts[1..], ["99999999H", "99999999H"]);
}

#[cfg(feature = "tls-native-roots")]
#[test]
fn tls_endpoints_dial_through_this_crates_tls() {
    let p = prepared(ConnectArgs::new().uri("https://milvus.example.com"));
    // The dialer runs TLS; tonic sees http and adds none of its own.
    assert_eq!(
        p.endpoint.uri().to_string(),
        "http://milvus.example.com:443/"
    );
    assert!(matches!(p.route, Route::Tls(_)));
    assert_eq!(p.tls, "platform_roots");
    assert_eq!(p.ctx.address, "milvus.example.com:443");
}
