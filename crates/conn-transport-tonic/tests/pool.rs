//! Channel sharing ([`ChannelPool`]) against in-process tonic servers on 127.0.0.1:0: which
//! specs share a channel, counted by the connections the server accepted, and what stays
//! per connection (credentials, database, handshake).
#![allow(clippy::unwrap_used)]

mod common;

use common::{Ca, args, serve, spec, write};
use conn_config::ConnectArgs;
use conn_test_server::TestServer;
use conn_transport_tonic::{ChannelPool, Connector};

fn pooled() -> (ChannelPool, Connector) {
    let pool = ChannelPool::new();
    (pool.clone(), Connector::new().channel_pool(pool))
}

#[tokio::test]
async fn without_a_pool_every_connect_opens_its_own_connection() {
    let server = serve(TestServer::builder()).await;
    let connector = Connector::new();
    assert!(connector.pool().is_none());
    let spec = spec(args(&server));
    let a = connector.connect(&spec).await.unwrap();
    let b = connector.connect(&spec).await.unwrap();
    assert_eq!(a.get_version().await.unwrap(), "v0.0.0-test");
    assert_eq!(b.get_version().await.unwrap(), "v0.0.0-test");
    assert_eq!(server.connections(), 2);
    assert!(format!("{a:?}").contains("pooled: false"), "{a:?}");
}

#[tokio::test]
async fn same_target_shares_one_connection_with_credentials_and_database_per_connection() {
    let server = serve(TestServer::builder()).await;
    let (pool, connector) = pooled();
    let root = spec(args(&server).user("root").password("Milvus").alias("a"));
    let token = spec(args(&server).token("tok").db_name("db2").alias("b"));
    let a = connector.connect(&root).await.unwrap();
    let b = connector.connect(&token).await.unwrap();
    assert_eq!(pool.len(), 1);
    assert!(format!("{b:?}").contains("pooled: true"), "{b:?}");
    a.get_version().await.unwrap();
    b.get_version().await.unwrap();
    assert_eq!(server.connections(), 1, "one TCP connection for both");

    // Each ran its own handshake and each call carried its own headers.
    let calls = server.calls();
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = calls
        .iter()
        .map(|c| (c.rpc, c.header("authorization"), c.header("dbname")))
        .collect();
    assert_eq!(
        seen,
        [
            ("Connect", Some("cm9vdDpNaWx2dXM="), Some("default")),
            ("Connect", Some("dG9r"), Some("db2")),
            ("GetVersion", Some("cm9vdDpNaWx2dXM="), Some("default")),
            ("GetVersion", Some("dG9r"), Some("db2")),
        ]
    );
    assert!(a.identifier().is_some() && b.identifier().is_some());
}

#[tokio::test]
async fn a_different_target_or_connect_timeout_opens_another_channel() {
    let one = serve(TestServer::builder()).await;
    let two = serve(TestServer::builder()).await;
    let (pool, connector) = pooled();
    let _a = connector
        .connect(&spec(ConnectArgs::new().uri(one.uri())))
        .await
        .unwrap();
    let _b = connector
        .connect(&spec(ConnectArgs::new().uri(two.uri())))
        .await
        .unwrap();
    let _c = connector
        .connect(&spec(ConnectArgs::new().uri(one.uri()).timeout("7")))
        .await
        .unwrap();
    assert_eq!(pool.len(), 3);
    assert_eq!((one.connections(), two.connections()), (2, 1));
}

#[tokio::test]
async fn dropping_one_connection_leaves_the_other_working_and_the_last_one_frees_the_channel() {
    let server = serve(TestServer::builder()).await;
    let (pool, connector) = pooled();
    let spec = spec(args(&server));
    let a = connector.connect(&spec).await.unwrap();
    let a_clone = a.clone();
    let b = connector.connect(&spec).await.unwrap();
    drop(a);
    assert_eq!(pool.len(), 1, "a's clone and b still hold it");
    drop(a_clone);
    assert_eq!(b.get_version().await.unwrap(), "v0.0.0-test");
    assert_eq!(pool.len(), 1);
    drop(b);
    assert!(pool.is_empty());
    assert_eq!(server.connections(), 1);

    // The next connect opens a new channel.
    let c = connector.connect(&spec).await.unwrap();
    c.get_version().await.unwrap();
    assert_eq!(pool.len(), 1);
    assert_eq!(server.connections(), 2);
}

#[tokio::test]
async fn lazy_connections_share_too_and_each_handshakes_on_first_use() {
    let server = serve(TestServer::builder()).await;
    let (pool, connector) = pooled();
    let spec = spec(args(&server));
    let a = connector.connect_lazy(&spec).unwrap();
    let b = connector.connect_lazy(&spec).unwrap();
    let c = connector.connect(&spec).await.unwrap();
    assert_eq!(pool.len(), 1);
    assert_eq!(
        server.connections(),
        1,
        "c connected the shared lazy channel"
    );
    assert_eq!(a.get_version().await.unwrap(), "v0.0.0-test");
    assert_eq!(b.get_version().await.unwrap(), "v0.0.0-test");
    let rpcs: Vec<&str> = server.calls().iter().map(|c| c.rpc).collect();
    assert_eq!(
        rpcs,
        ["Connect", "Connect", "GetVersion", "Connect", "GetVersion"]
    );
    assert_eq!(server.connections(), 1);
    drop(c);
}

#[tokio::test]
async fn concurrent_connects_converge_on_one_pooled_channel() {
    let server = serve(TestServer::builder()).await;
    let (pool, connector) = pooled();
    let spec = spec(args(&server));
    let connects = (0..16).map(|_| {
        let (connector, spec) = (connector.clone(), spec.clone());
        async move { connector.connect(&spec).await }
    });
    let connections: Vec<_> = join_all(connects).await;
    assert_eq!(pool.len(), 1);
    // Channels opened by racing connects were dropped: every call now uses the pooled one.
    let before = server.connections();
    for c in &connections {
        c.as_ref().unwrap().get_version().await.unwrap();
    }
    assert_eq!(
        server.connections(),
        before,
        "no connection opened for the calls"
    );
    assert!(before <= 16);
}

/// `join_all` without a new dependency: spawn each and await in order.
async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[cfg(feature = "tls-ring")]
#[tokio::test]
async fn tls_shares_by_the_material_read_not_by_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("pool test ca");
    let leaf = ca.server(&["localhost", "127.0.0.1"]);
    let server = serve(
        TestServer::builder()
            .tls(&leaf.cert_pem, &leaf.key_pem)
            .client_ca(&ca.pem),
    )
    .await;
    let ca_path = write(dir.path(), "ca.pem", &ca.pem);
    let same_ca_elsewhere = write(dir.path(), "copy-of-ca.pem", &ca.pem);
    let client = |tag: &str| {
        let c = ca.client();
        (
            write(dir.path(), &format!("{tag}.pem"), &c.cert_pem),
            write(dir.path(), &format!("{tag}.key"), &c.key_pem),
        )
    };
    let (cert1, key1) = client("one");
    let (cert2, key2) = client("two");
    let mutual = |ca: &std::path::Path, cert: &std::path::Path, key: &std::path::Path| {
        spec(
            args(&server)
                .ca_pem_path(ca)
                .client_pem_path(cert)
                .client_key_path(key),
        )
    };
    let (pool, connector) = pooled();
    let a = connector
        .connect(&mutual(&ca_path, &cert1, &key1))
        .await
        .unwrap();
    // The same bytes under another path: the same channel.
    let b = connector
        .connect(&mutual(&same_ca_elsewhere, &cert1, &key1))
        .await
        .unwrap();
    assert_eq!((pool.len(), server.connections()), (1, 1));
    // Another client identity: a channel of its own.
    let c = connector
        .connect(&mutual(&ca_path, &cert2, &key2))
        .await
        .unwrap();
    assert_eq!((pool.len(), server.connections()), (2, 2));
    // The first identity's files rewritten with the second's: read again, not shared with a.
    std::fs::copy(&cert2, &cert1).unwrap();
    std::fs::copy(&key2, &key1).unwrap();
    let d = connector
        .connect(&mutual(&ca_path, &cert1, &key1))
        .await
        .unwrap();
    assert_eq!((pool.len(), server.connections()), (2, 2), "d shares c's");
    // Another server name (the certificate names both): a channel of its own.
    let e = connector
        .connect(&spec(
            args(&server)
                .ca_pem_path(&ca_path)
                .client_pem_path(&cert2)
                .client_key_path(&key2)
                .server_name("localhost"),
        ))
        .await
        .unwrap();
    assert_eq!((pool.len(), server.connections()), (3, 3));
    for conn in [&a, &b, &c, &d, &e] {
        assert_eq!(conn.get_version().await.unwrap(), "v0.0.0-test");
    }
    assert_eq!(server.connections(), 3);
    // The pool's Debug holds the count only: its keys hold the client keys.
    assert_eq!(format!("{pool:?}"), "ChannelPool { channels: 3 }");
}
