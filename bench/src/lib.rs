//! Shared set-up for milvus-conn's benchmarks: certificates made with rcgen, the transport
//! crate's in-process test server in plaintext or TLS, specs that point at it, the floor
//! (a hand-written tonic client) to compare with, and the process's resident memory.
//!
//! The benches are in `benches/` (`cargo bench -p milvus-conn-bench`), the memory
//! measurement is the `memory` binary, and the comparison with pymilvus and milvus-sdk-rust
//! against a real Milvus is `bench/compare.sh`. `docs/performance.md` has the figures.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::alloc::System;
use std::path::PathBuf;
use std::time::Duration;

use conn_config::{ConnectArgs, ConnectionSpec};
use conn_test_server::TestServer;
use conn_transport_tonic::MilvusInterceptor;
use milvus_conn_sdk_client::common::ClientInfo;
use milvus_conn_sdk_client::milvus::ConnectRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use stats_alloc::{Region, StatsAlloc};
use tonic::Request;
use tonic::metadata::{Ascii, MetadataKey, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

/// The error type of the set-up helpers (they run before any measurement).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The credentials the benches send: a token, so every call carries `authorization`.
pub const TOKEN: &str = "root:Milvus";

/// A CA and a server certificate for `localhost` and `127.0.0.1`, written to a temporary
/// directory (removed when this is dropped).
pub struct Pki {
    dir: tempfile::TempDir,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub server_cert_pem: String,
    /// The server key, PEM.
    pub server_key_pem: String,
}

impl Pki {
    /// Generates the CA and the server certificate, and writes `ca.pem`.
    ///
    /// # Errors
    ///
    /// When rcgen fails or the temporary directory cannot be written.
    pub fn generate() -> Result<Pki, BoxError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "bench ca");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate()?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, "bench");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &issuer)?;

        let dir = tempfile::tempdir()?;
        let pki = Pki {
            dir,
            ca_pem: ca_cert.pem(),
            server_cert_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
        };
        std::fs::write(pki.ca_path(), &pki.ca_pem)?;
        Ok(pki)
    }

    /// The path of `ca.pem`.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// Starts the test server on `127.0.0.1:0`: plaintext, or TLS with `pki`'s server
/// certificate. Must run inside a Tokio runtime.
///
/// # Errors
///
/// When the port cannot be bound or the TLS set-up is refused.
pub async fn serve(pki: Option<&Pki>) -> Result<TestServer, BoxError> {
    let builder = TestServer::builder();
    let builder = match pki {
        Some(pki) => builder.tls(&pki.server_cert_pem, &pki.server_key_pem),
        None => builder,
    };
    Ok(builder.serve_tcp().await?)
}

/// The transport crate's [`TestServer`] set up for timing: `Connect`, `GetVersion` and
/// `CheckHealth` answered at once, nothing recorded
/// ([`without_recording`](conn_test_server::TestServerBuilder::without_recording)),
/// accepted sockets with `TCP_NODELAY` (as Milvus's Go server sets them). Stops when
/// dropped.
pub struct FastServer {
    uri: String,
    _server: TestServer,
}

impl FastServer {
    /// Serves on `127.0.0.1:0`, plaintext or TLS with `pki`'s server certificate. Must run
    /// inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound or the TLS set-up is refused.
    pub async fn start(pki: Option<&Pki>) -> Result<FastServer, BoxError> {
        let builder = TestServer::builder()
            .without_recording()
            .version("v0.0.0-fast")
            .identifier(4242);
        let builder = match pki {
            Some(pki) => builder.tls(&pki.server_cert_pem, &pki.server_key_pem),
            None => builder,
        };
        let server = builder.serve_tcp().await?;
        Ok(FastServer {
            uri: server.uri(),
            _server: server,
        })
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

/// The arguments for a [`FastServer`], as [`args`] makes them for a [`TestServer`].
pub fn fast_args(server: &FastServer, pki: Option<&Pki>) -> ConnectArgs {
    args_for(server.uri(), pki)
}

/// The floor's endpoint for a [`FastServer`] (see [`floor_endpoint`]).
///
/// # Errors
///
/// When the URI or the TLS configuration is refused.
pub fn fast_floor_endpoint(server: &FastServer, pki: Option<&Pki>) -> Result<Endpoint, BoxError> {
    endpoint_for(server.uri().to_owned(), pki)
}

/// The arguments for `server`, with a token and (for a TLS server) `pki`'s CA.
pub fn args(server: &TestServer, pki: Option<&Pki>) -> ConnectArgs {
    args_for(&server.uri(), pki)
}

fn args_for(uri: &str, pki: Option<&Pki>) -> ConnectArgs {
    let args = ConnectArgs::new()
        .uri(uri)
        .token(TOKEN)
        .timeout(Duration::from_secs(10));
    match pki {
        Some(pki) => args.ca_pem_path(pki.ca_path()),
        None => args,
    }
}

fn endpoint_for(uri: String, pki: Option<&Pki>) -> Result<Endpoint, BoxError> {
    let endpoint = Endpoint::from_shared(uri)?.tcp_nodelay(true);
    Ok(match pki {
        Some(pki) => endpoint.tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&pki.ca_pem))
                .domain_name("127.0.0.1"),
        )?,
        None => endpoint,
    })
}

/// [`args`] resolved without reading the environment or a `.env` file.
///
/// # Errors
///
/// When the arguments do not resolve (they always do for a running test server).
pub fn spec(server: &TestServer, pki: Option<&Pki>) -> Result<ConnectionSpec, BoxError> {
    Ok(args(server, pki).resolve_isolated()?)
}

/// The floor: what a hand-written tonic client does to connect. The endpoint for `server`
/// (tonic's own TLS with `pki`'s CA for a TLS server).
///
/// # Errors
///
/// When the URI or the TLS configuration is refused.
pub fn floor_endpoint(server: &TestServer, pki: Option<&Pki>) -> Result<Endpoint, BoxError> {
    endpoint_for(server.uri(), pki)
}

/// The floor of a handshaken connection: a new channel, then one `Connect` RPC with a
/// `ClientInfo`, no interceptor, no timeout, no error classification.
///
/// # Errors
///
/// When the channel cannot connect or the RPC fails.
pub async fn floor_connect(endpoint: &Endpoint) -> Result<Channel, BoxError> {
    let channel = endpoint.connect().await?;
    let mut client = MilvusServiceClient::new(channel.clone());
    client
        .connect(ConnectRequest {
            base: None,
            client_info: Some(ClientInfo {
                sdk_type: "Rust".to_owned(),
                sdk_version: "0.0.0".to_owned(),
                ..ClientInfo::default()
            }),
        })
        .await?;
    Ok(channel)
}

/// A `MilvusInterceptor` after a `Connect` handshake with the test server (identifier
/// 4242), so it sends `authorization`, `dbname` and `identifier`. The runtime and the server
/// it used are shut down before this returns: nothing else runs afterwards.
///
/// # Errors
///
/// When the server cannot start or the connection fails.
pub fn handshaken_interceptor() -> Result<MilvusInterceptor, BoxError> {
    let rt = tokio::runtime::Runtime::new()?;
    let interceptor = rt.block_on(async {
        let server = serve(None).await?;
        let connection = conn_transport_tonic::connect(&spec(&server, None)?).await?;
        Ok::<_, BoxError>(connection.interceptor().clone())
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(interceptor)
}

/// A request as tonic's client hands it to an interceptor: `te` and `content-type` set,
/// and `grpc-timeout` (every call of the transport has a timeout).
pub fn tonic_shaped_request() -> Request<()> {
    let mut request = Request::new(());
    let metadata = request.metadata_mut();
    metadata.insert("te", MetadataValue::from_static("trailers"));
    metadata.insert(
        "content-type",
        MetadataValue::from_static("application/grpc"),
    );
    request.set_timeout(Duration::from_secs(10));
    request
}

/// The floor of an interceptor: two prebuilt header values (`authorization`, marked
/// sensitive, and `dbname`) inserted unconditionally.
pub fn floor_interceptor() -> impl Fn(Request<()>) -> Result<Request<()>, tonic::Status> + Clone {
    let mut authorization: MetadataValue<Ascii> = MetadataValue::from_static("cm9vdDpNaWx2dXM=");
    authorization.set_sensitive(true);
    let dbname: MetadataValue<Ascii> = MetadataValue::from_static("default");
    move |mut request: Request<()>| {
        let metadata = request.metadata_mut();
        metadata.insert("authorization", authorization.clone());
        metadata.insert("dbname", dbname.clone());
        Ok(request)
    }
}

/// A candidate for `MilvusInterceptor`'s `call`, measured beside it (not used by any
/// crate): the same headers with the same rules (`identifier` once set, `dbname` unless the
/// caller set one, `authorization` when there are credentials), but with the header names
/// parsed once, here, instead of on every call (tonic validates a `&'static str` key on each
/// `insert` and parses a `&str` key on each `contains_key`), and one map look-up for
/// `dbname` (`entry`) instead of two.
#[derive(Clone, Debug)]
pub struct CandidateInterceptor {
    keys: Keys,
    authorization: Option<MetadataValue<Ascii>>,
    dbname: MetadataValue<Ascii>,
    identifier: Option<MetadataValue<Ascii>>,
}

#[derive(Clone, Debug)]
struct Keys {
    authorization: MetadataKey<Ascii>,
    dbname: MetadataKey<Ascii>,
    identifier: MetadataKey<Ascii>,
}

impl CandidateInterceptor {
    /// The headers `interceptor` sends, with pre-parsed names.
    pub fn like(interceptor: &MilvusInterceptor) -> CandidateInterceptor {
        let sent = tonic::service::Interceptor::call(&mut interceptor.clone(), Request::new(()))
            .unwrap_or_else(|_| Request::new(()));
        let metadata = sent.metadata();
        CandidateInterceptor {
            keys: Keys {
                authorization: MetadataKey::from_static("authorization"),
                dbname: MetadataKey::from_static("dbname"),
                identifier: MetadataKey::from_static("identifier"),
            },
            authorization: metadata.get("authorization").cloned(),
            dbname: metadata
                .get("dbname")
                .cloned()
                .unwrap_or_else(|| MetadataValue::from_static("default")),
            identifier: metadata.get("identifier").cloned(),
        }
    }
}

impl tonic::service::Interceptor for CandidateInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, tonic::Status> {
        let metadata = request.metadata_mut();
        if let Some(identifier) = &self.identifier {
            metadata.insert(&self.keys.identifier, identifier.clone());
        }
        if let Ok(entry) = metadata.entry(&self.keys.dbname) {
            entry.or_insert_with(|| self.dbname.clone());
        }
        if let Some(authorization) = &self.authorization {
            metadata.insert(&self.keys.authorization, authorization.clone());
        }
        Ok(request)
    }
}

/// The floor for exactly our headers: `identifier`, `dbname` and `authorization` with
/// static values (their clones cost nothing), inserted unconditionally.
pub fn floor_three_headers() -> impl Fn(Request<()>) -> Result<Request<()>, tonic::Status> + Clone {
    |mut request: Request<()>| {
        let metadata = request.metadata_mut();
        metadata.insert("identifier", MetadataValue::from_static("4242"));
        metadata.insert("dbname", MetadataValue::from_static("default"));
        metadata.insert(
            "authorization",
            MetadataValue::from_static("cm9vdDpNaWx2dXM="),
        );
        Ok(request)
    }
}

/// Heap allocations per run of a function, from [`allocations_per_call`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerCall {
    /// Allocations per run.
    pub allocations: f64,
    /// Reallocations per run.
    pub reallocations: f64,
    /// Bytes allocated per run.
    pub bytes: f64,
}

/// Counts what `f` allocates per run with `alloc` (the process's global allocator), over
/// `runs` runs after one uncounted run (one-time work, such as a header value's first
/// clone, is not per call). Counts every thread's allocations: run it while nothing else
/// in the process works.
pub fn allocations_per_call(
    alloc: &'static StatsAlloc<System>,
    runs: usize,
    mut f: impl FnMut(),
) -> PerCall {
    f();
    let region = Region::new(alloc);
    for _ in 0..runs {
        f();
    }
    let stats = region.change();
    let n = runs as f64;
    PerCall {
        allocations: stats.allocations as f64 / n,
        reallocations: stats.reallocations as f64 / n,
        bytes: stats.bytes_allocated as f64 / n,
    }
}

/// The process's resident memory (`VmRSS` of `/proc/self/status`) in KiB.
///
/// # Errors
///
/// When `/proc/self/status` cannot be read or has no `VmRSS` line (not Linux).
pub fn vm_rss_kib() -> Result<u64, BoxError> {
    status_kib("VmRSS:")
}

/// The peak resident memory (`VmHWM` of `/proc/self/status`) in KiB.
///
/// # Errors
///
/// As [`vm_rss_kib`].
pub fn vm_hwm_kib() -> Result<u64, BoxError> {
    status_kib("VmHWM:")
}

fn status_kib(key: &str) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .ok_or_else(|| format!("no {key} in /proc/self/status"))?;
    let value = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()?;
    Ok(value)
}

/// How many of this process's file descriptors are sockets (`/proc/self/fd/*` pointing at
/// `socket:[…]`).
///
/// # Errors
///
/// When `/proc/self/fd` cannot be read (not Linux).
pub fn open_sockets() -> Result<usize, BoxError> {
    let mut n = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Ok(target) = std::fs::read_link(entry?.path()) else {
            continue; // the directory's own fd, closed while listing
        };
        if target.to_string_lossy().starts_with("socket:") {
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::{Mutex, PoisonError};

    use super::*;

    /// The tests count this process's sockets and memory: one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn rss_and_sockets_are_read_from_proc() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let sockets = open_sockets().unwrap();
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        assert_eq!(open_sockets().unwrap(), sockets + 1);
        drop(listener);

        let before = vm_rss_kib().unwrap();
        assert!(before > 0);
        // 64 MiB touched page by page must show up in the resident set.
        let block = vec![1u8; 64 << 20];
        let after = vm_rss_kib().unwrap();
        assert!(after >= before + 60 * 1024, "{before} -> {after}");
        assert!(vm_hwm_kib().unwrap() >= after);
        drop(block);
    }

    #[test]
    fn ours_and_the_floor_connect_to_the_test_server_in_plaintext_and_tls() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let pki = Pki::generate().unwrap();
        for pki in [None, Some(&pki)] {
            rt.block_on(async {
                let server = serve(pki).await.unwrap();
                let connection = conn_transport_tonic::connect(&spec(&server, pki).unwrap())
                    .await
                    .unwrap();
                assert_eq!(connection.identifier(), Some(4242));
                assert_eq!(connection.get_version().await.unwrap(), "v0.0.0-test");
                let channel = floor_connect(&floor_endpoint(&server, pki).unwrap())
                    .await
                    .unwrap();
                let calls = server.calls();
                let rpcs: Vec<_> = calls.iter().map(|c| c.rpc).collect();
                assert_eq!(rpcs, ["Connect", "GetVersion", "Connect"]);
                assert_eq!(calls[0].header("authorization"), Some("cm9vdDpNaWx2dXM="));
                assert_eq!(calls[2].header("authorization"), None);
                drop(channel);
            });
        }
    }

    #[test]
    fn the_interceptor_and_the_floor_set_their_headers() {
        let mut ours = handshaken_interceptor().unwrap();
        let request = tonic::service::Interceptor::call(&mut ours, tonic_shaped_request()).unwrap();
        let m = request.metadata();
        assert_eq!(m.get("authorization").unwrap(), "cm9vdDpNaWx2dXM=");
        assert_eq!(m.get("dbname").unwrap(), "default");
        assert_eq!(m.get("identifier").unwrap(), "4242");
        assert_eq!(m.get("te").unwrap(), "trailers");
        assert_eq!(m.get("grpc-timeout").unwrap(), "10000000u");
        let floor = floor_interceptor()(tonic_shaped_request()).unwrap();
        assert_eq!(
            floor.metadata().get("authorization").unwrap(),
            "cm9vdDpNaWx2dXM="
        );
        assert_eq!(floor.metadata().get("dbname").unwrap(), "default");
        assert_eq!(floor.metadata().len(), 5);

        // The candidate sends exactly what ours sends, and keeps a caller's dbname.
        let mut candidate = CandidateInterceptor::like(&ours);
        let theirs = tonic::service::Interceptor::call(&mut candidate, tonic_shaped_request())
            .unwrap()
            .into_parts()
            .0
            .into_headers();
        assert_eq!(theirs, request.into_parts().0.into_headers());
        let mut own_db = Request::new(());
        own_db
            .metadata_mut()
            .insert("dbname", MetadataValue::from_static("other"));
        let kept = tonic::service::Interceptor::call(&mut candidate, own_db).unwrap();
        assert_eq!(kept.metadata().get("dbname").unwrap(), "other");
        assert_eq!(kept.metadata().len(), 3);
    }
}
