//! Connecting to an in-process server on 127.0.0.1 (a new channel and the `Connect`
//! handshake each time), plaintext and TLS, beside the floor: a hand-written tonic client
//! (`Endpoint::connect`, then one `Connect` RPC). Then the `GetVersion` round trip on one
//! connection, ours beside the floor (sending the same headers), and the floor with the
//! deadline `MilvusConnection::get_version` sets (a `grpc-timeout` header, `timeout_at`).
//!
//! Then what a TLS connect does before any network I/O (`tls_setup`): platform roots or a CA
//! file, with and without a pool hit.
//!
//! `cargo bench -p milvus-conn-bench --bench connect`
//!
//! The server is `milvus_conn_bench::FastServer` (answers at once, records nothing,
//! `TCP_NODELAY` on accepted sockets), not the transport crate's `TestServer`, whose
//! accepted sockets keep Nagle's algorithm on: there the first reply on every new
//! connection waits for the client's delayed ACK and a connect measures 8-30 ms.
//!
//! Client and server share one Tokio runtime (2 worker threads) in this process, on a
//! 2-core machine: the figures include the server's work. Each iteration makes a TCP
//! connection and drops it, so a run leaves a few thousand sockets in TIME_WAIT on
//! loopback (the kernel reuses them for new connections).
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::Duration;

use conn_transport_tonic::Connector;
use criterion::{Criterion, criterion_group, criterion_main};
use milvus_conn_bench::{FastServer, Pki, fast_args, fast_floor_endpoint, floor_connect};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use tonic::metadata::{Ascii, MetadataValue};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn connect(c: &mut Criterion) {
    let rt = runtime();
    let pki = Pki::generate().unwrap();
    let connector = Connector::new();
    for (name, pki) in [("plaintext", None), ("tls", Some(&pki))] {
        let server = rt.block_on(FastServer::start(pki)).unwrap();
        let args = fast_args(&server, pki);
        let spec = args.resolve_isolated().unwrap();
        let endpoint = fast_floor_endpoint(&server, pki).unwrap();
        // Both paths work before anything is timed.
        rt.block_on(async {
            let connection = connector.connect(&spec).await.unwrap();
            assert_eq!(connection.identifier(), Some(4242));
            floor_connect(&endpoint).await.unwrap();
        });

        let mut g = c.benchmark_group(format!("connect/{name}"));
        g.sample_size(30)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        g.bench_function("floor: TCP + HTTP/2 only (Endpoint::connect)", |b| {
            b.iter(|| rt.block_on(endpoint.connect()).unwrap())
        });
        g.bench_function("floor: new channel + Connect RPC", |b| {
            b.iter(|| rt.block_on(floor_connect(&endpoint)).unwrap())
        });
        g.bench_function("ours: Connector::connect(&spec)", |b| {
            b.iter(|| rt.block_on(connector.connect(&spec)).unwrap())
        });
        g.bench_function("ours: resolve_isolated + Connector::connect", |b| {
            b.iter(|| {
                rt.block_on(async {
                    let spec = args.resolve_isolated().unwrap();
                    connector.connect(&spec).await.unwrap()
                })
            })
        });
        g.finish();
        drop(server);
    }
}

fn get_version(c: &mut Criterion) {
    let rt = runtime();
    let server = rt.block_on(FastServer::start(None)).unwrap();
    let spec = fast_args(&server, None).resolve_isolated().unwrap();
    let endpoint = fast_floor_endpoint(&server, None).unwrap();
    let (connection, channel) = rt.block_on(async {
        (
            conn_transport_tonic::connect(&spec).await.unwrap(),
            floor_connect(&endpoint).await.unwrap(),
        )
    });
    assert_eq!(
        rt.block_on(connection.get_version()).unwrap(),
        "v0.0.0-fast"
    );
    // The floor sends the same three headers as ours: equal server work.
    let mut authorization: MetadataValue<Ascii> = MetadataValue::from_static("cm9vdDpNaWx2dXM=");
    authorization.set_sensitive(true);
    let headers = move |mut request: tonic::Request<()>| {
        let metadata = request.metadata_mut();
        metadata.insert("identifier", MetadataValue::from_static("4242"));
        metadata.insert("dbname", MetadataValue::from_static("default"));
        metadata.insert("authorization", authorization.clone());
        Ok(request)
    };
    let floor = MilvusServiceClient::with_interceptor(channel, headers);
    let ours = MilvusServiceClient::new(connection.service());
    // The same channel and interceptor without `MilvusService`'s handshake gate (what
    // `service()` returned before lazy connections handshook first): the gate's cost on a
    // handshaken connection is the difference between this row and the one above it.
    let ungated = MilvusServiceClient::with_interceptor(
        connection.channel().clone(),
        connection.interceptor().clone(),
    );

    let mut g = c.benchmark_group("get_version/plaintext");
    g.sample_size(50);
    g.bench_function("floor: one client, closure with the same 3 headers", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut client = floor.clone();
                client.get_version(GetVersionRequest {}).await.unwrap()
            })
        })
    });
    g.bench_function(
        "floor + grpc-timeout and timeout_at (as get_version does)",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut client = floor.clone();
                    let mut request = tonic::Request::new(GetVersionRequest {});
                    request.set_timeout(Duration::from_secs(10));
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                    tokio::time::timeout_at(deadline, client.get_version(request))
                        .await
                        .unwrap()
                        .unwrap()
                })
            })
        },
    );
    g.bench_function("ours: one client on connection.service()", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut client = ours.clone();
                client.get_version(GetVersionRequest {}).await.unwrap()
            })
        })
    });
    g.bench_function(
        "ours without the handshake gate: intercepted channel",
        |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut client = ungated.clone();
                    client.get_version(GetVersionRequest {}).await.unwrap()
                })
            })
        },
    );
    g.bench_function("ours: MilvusConnection::get_version", |b| {
        b.iter(|| rt.block_on(connection.get_version()).unwrap())
    });
    g.finish();
    drop(server);
}

/// Everything a connect does before any network I/O, for a TLS spec (issue 16): a lazy
/// connect (`Connector::connect_lazy`: TLS files, platform roots, rustls configuration),
/// without a pool and with a pool that already holds the channel. Platform roots: no CA file
/// (the OS store; no server is needed, nothing is dialled). A CA file: `pki`'s.
fn tls_setup(c: &mut Criterion) {
    let rt = runtime();
    let _entered = rt.enter();
    let pki = Pki::generate().unwrap();
    let platform = conn_config::ConnectArgs::new()
        .uri("https://127.0.0.1:1")
        .resolve_isolated()
        .unwrap();
    let ca_file = conn_config::ConnectArgs::new()
        .uri("https://127.0.0.1:1")
        .ca_pem_path(pki.ca_path())
        .resolve_isolated()
        .unwrap();
    let mut g = c.benchmark_group("tls_setup");
    g.sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    for (name, spec) in [("platform roots", &platform), ("ca file", &ca_file)] {
        let unpooled = Connector::new();
        g.bench_function(format!("connect_lazy, {name}"), |b| {
            b.iter(|| unpooled.connect_lazy(spec).unwrap())
        });
        let pooled = Connector::new().channel_pool(conn_transport_tonic::ChannelPool::new());
        let _held = pooled.connect_lazy(spec).unwrap();
        g.bench_function(format!("connect_lazy, {name}, pool hit"), |b| {
            b.iter(|| pooled.connect_lazy(spec).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, connect, get_version, tls_setup);
criterion_main!(benches);
