//! An in-process Milvus look-alike for the tests and benches of milvus-conn's crates
//! (unpublished; a dev-dependency).
//!
//! It serves `Connect`, `GetVersion` and `CheckHealth` over plaintext TCP on `127.0.0.1:0`,
//! TLS (one-way or mutual) or a Unix socket, records the metadata and `ClientInfo` of every
//! call, and can be told to behave like a Milvus with authentication on, a server that
//! refuses `Connect` with a status, a gRPC server that is not Milvus (`UNIMPLEMENTED`), or
//! a slow one; [`TestServer::fail`] scripts failures of the next calls (or holds them at a
//! [`Gate`] until the test opens it). It stops when
//! dropped.
//!
//! Its protobuf code (messages and server) is generated from conn-transport-tonic's `proto/`
//! files into `src/generated/` by `cargo run -p milvus-conn-codegen`: the transport keeps its
//! own generated code private and ships no server side. What the client sent in `Connect`
//! is recorded as the generated [`ClientInfo`] message (public fields).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use conn_test_server::TestServer;
//! let server = TestServer::builder().identifier(7).serve_tcp().await?;
//! let spec = conn_config::ConnectArgs::new()
//!     .uri(server.uri())
//!     .token("t")
//!     .resolve_isolated()?;
//! let connection = conn_transport_tonic::connect(&spec).await?;
//! assert_eq!(connection.identifier(), Some(7));
//! let calls = server.calls();
//! assert_eq!(calls[0].rpc, "Connect");
//! assert_eq!(calls[0].header("authorization"), Some("dA=="));
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::{Request, Response, Status};

use proto::common::{ServerInfo, Status as MilvusStatus};
use proto::milvus::milvus_service_server::{MilvusService, MilvusServiceServer};
use proto::milvus::{
    CheckHealthRequest, CheckHealthResponse, ConnectRequest, ConnectResponse, GetVersionRequest,
    GetVersionResponse,
};

/// The generated messages and server side of the transport's minimal `MilvusService`
/// (private, but for [`ClientInfo`]: the server's behaviour is configured through
/// [`TestServerBuilder`]).
mod proto {
    #![allow(missing_docs, clippy::all, unreachable_pub, dead_code)]
    /// Package `milvus.proto.common`.
    pub mod common {
        include!("generated/common.rs");
    }
    /// Package `milvus.proto.milvus`: the messages and the server.
    pub mod milvus {
        include!("generated/milvus.rs");
    }
}

/// The `ClientInfo` message a `Connect` call carried, as received (its fields are those of
/// `conn_transport_tonic::ClientInfo`, which has no public constructor).
pub use proto::common::ClientInfo;

mod script;
use script::Script;
pub use script::{Failure, Gate};

/// One call the server received.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Call {
    /// `"Connect"`, `"GetVersion"` or `"CheckHealth"`.
    pub rpc: &'static str,
    /// Every metadata entry (header) of the call, in arrival order, values as text.
    pub metadata: Vec<(String, String)>,
    /// The `ClientInfo` of a `Connect` call.
    pub client_info: Option<ClientInfo>,
}

/// Headers that gRPC and HTTP/2 themselves put on a call (not Milvus's).
pub const TRANSPORT_HEADERS: &[&str] = &[
    "te",
    "content-type",
    "user-agent",
    "grpc-timeout",
    "grpc-accept-encoding",
    "grpc-encoding",
];

impl Call {
    /// The value of a header, if it was sent exactly once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .metadata
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next()?;
        match values.next() {
            Some(_) => None,
            None => Some(first),
        }
    }

    /// The names of the headers that are not gRPC's or HTTP/2's own
    /// ([`TRANSPORT_HEADERS`]), sorted.
    pub fn milvus_header_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .metadata
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !TRANSPORT_HEADERS.contains(k))
            .collect();
        names.sort_unstable();
        names
    }
}

/// How the server answers.
#[derive(Clone, Debug)]
struct Behaviour {
    authorization: Option<String>,
    unimplemented: bool,
    connect_status: Option<(i32, String)>,
    delay: Option<Duration>,
    identifier: i64,
    version: String,
    deploy_mode: String,
    build_tags: Option<String>,
    unhealthy: Option<Vec<String>>,
    get_version_error: Option<(tonic::Code, String)>,
    record: bool,
}

/// Configures a [`TestServer`].
#[derive(Clone, Debug)]
#[must_use]
pub struct TestServerBuilder {
    behaviour: Behaviour,
    tls: Option<tonic::transport::ServerTlsConfig>,
}

impl Default for TestServerBuilder {
    fn default() -> Self {
        TestServer::builder()
    }
}

impl TestServerBuilder {
    /// Requires this exact `authorization` value (base64, as sent) on every call, answering
    /// `UNAUTHENTICATED` with Milvus's messages otherwise.
    pub fn require_authorization(mut self, value: impl Into<String>) -> Self {
        self.behaviour.authorization = Some(value.into());
        self
    }

    /// Answers every call with `UNIMPLEMENTED`, like a gRPC server that is not Milvus.
    pub fn unimplemented(mut self) -> Self {
        self.behaviour.unimplemented = true;
        self
    }

    /// Answers `Connect` with this non-zero `common.Status` (as Milvus does for an unknown
    /// database: code 800, `database not found[database=…]`).
    pub fn connect_status(mut self, code: i32, reason: impl Into<String>) -> Self {
        self.behaviour.connect_status = Some((code, reason.into()));
        self
    }

    /// Waits this long before answering any call.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.behaviour.delay = Some(delay);
        self
    }

    /// The identifier `Connect` returns (default 4242).
    pub fn identifier(mut self, identifier: i64) -> Self {
        self.behaviour.identifier = identifier;
        self
    }

    /// The version `GetVersion` returns (default `v0.0.0-test`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.behaviour.version = version.into();
        self
    }

    /// The `deploy_mode` of the `ServerInfo` `Connect` returns (default `STANDALONE`); its
    /// `build_tags` is the [`version`](TestServerBuilder::version).
    pub fn deploy_mode(mut self, deploy_mode: impl Into<String>) -> Self {
        self.behaviour.deploy_mode = deploy_mode.into();
        self
    }

    /// The `build_tags` of the `ServerInfo` `Connect` returns (default: the
    /// [`version`](TestServerBuilder::version)).
    pub fn build_tags(mut self, build_tags: impl Into<String>) -> Self {
        self.behaviour.build_tags = Some(build_tags.into());
        self
    }

    /// Answers `CheckHealth` with `is_healthy = false` and these reasons.
    pub fn unhealthy<I, S>(mut self, reasons: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.behaviour.unhealthy = Some(reasons.into_iter().map(Into::into).collect());
        self
    }

    /// Answers `GetVersion` with this gRPC status (after the metadata checks), as a server
    /// that refuses one call after the handshake.
    pub fn get_version_error(mut self, code: tonic::Code, message: impl Into<String>) -> Self {
        self.behaviour.get_version_error = Some((code, message.into()));
        self
    }

    /// Records no calls ([`TestServer::calls`] stays empty): for timing, where the lock and
    /// the copy of each call's metadata would be measured too.
    pub fn without_recording(mut self) -> Self {
        self.behaviour.record = false;
        self
    }

    /// Serves TLS with this certificate chain and private key (PEM).
    pub fn tls(mut self, cert_pem: impl AsRef<[u8]>, key_pem: impl AsRef<[u8]>) -> Self {
        let identity = tonic::transport::Identity::from_pem(cert_pem, key_pem);
        let config = self.tls.take().unwrap_or_default().identity(identity);
        self.tls = Some(config);
        self
    }

    /// Requires a client certificate signed by this CA (PEM): mutual TLS. Needs
    /// [`tls`](TestServerBuilder::tls).
    pub fn client_ca(mut self, ca_pem: impl AsRef<[u8]>) -> Self {
        let config = self
            .tls
            .take()
            .unwrap_or_default()
            .client_ca_root(tonic::transport::Certificate::from_pem(ca_pem))
            .client_auth_optional(false);
        self.tls = Some(config);
        self
    }

    fn router(
        self,
        calls: Arc<Mutex<Vec<Call>>>,
        script: Script,
    ) -> std::io::Result<tonic::transport::server::Router> {
        let service = MilvusServiceServer::new(Fake {
            behaviour: self.behaviour,
            calls,
            script,
        });
        let mut builder = tonic::transport::Server::builder();
        if let Some(tls) = self.tls {
            builder = builder.tls_config(tls).map_err(std::io::Error::other)?;
        }
        Ok(builder.add_service(service))
    }

    /// Serves on `127.0.0.1:0` (a free port).
    ///
    /// # Errors
    ///
    /// When the port cannot be bound or the TLS set-up is refused.
    pub async fn serve_tcp(self) -> std::io::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let tls = self.tls.is_some();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let script = Script::default();
        let router = self.router(calls.clone(), script.clone())?;
        let (tx, rx) = oneshot::channel::<()>();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        // TCP_NODELAY on accepted sockets, as a real server sets it: without it every
        // connect waits for the client's delayed ACK (8 to 30 ms instead of about 0.5 ms).
        let incoming = tokio_stream::StreamExt::map(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            move |accepted| {
                accepted.and_then(|stream| {
                    counter.fetch_add(1, Ordering::Relaxed);
                    stream.set_nodelay(true)?;
                    Ok(stream)
                })
            },
        );
        let task = tokio::spawn(async move {
            let _ = router
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(TestServer {
            address: Address::Tcp { addr, tls },
            calls,
            script,
            accepted,
            shutdown: Some(tx),
            task,
        })
    }

    /// Serves on a Unix domain socket at `path` (which must not exist).
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound.
    #[cfg(unix)]
    pub async fn serve_unix(self, path: impl AsRef<Path>) -> std::io::Result<TestServer> {
        let path = path.as_ref().to_owned();
        let listener = tokio::net::UnixListener::bind(&path)?;
        let calls = Arc::new(Mutex::new(Vec::new()));
        let script = Script::default();
        let router = self.router(calls.clone(), script.clone())?;
        let (tx, rx) = oneshot::channel::<()>();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let incoming = tokio_stream::StreamExt::map(
            tokio_stream::wrappers::UnixListenerStream::new(listener),
            move |stream| {
                counter.fetch_add(usize::from(stream.is_ok()), Ordering::Relaxed);
                stream
            },
        );
        let task = tokio::spawn(async move {
            let _ = router
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(TestServer {
            address: Address::Unix(path),
            calls,
            script,
            accepted,
            shutdown: Some(tx),
            task,
        })
    }
}

#[derive(Debug)]
enum Address {
    Tcp { addr: SocketAddr, tls: bool },
    Unix(PathBuf),
}

/// A running in-process server; stops when dropped.
#[derive(Debug)]
pub struct TestServer {
    address: Address,
    calls: Arc<Mutex<Vec<Call>>>,
    script: Script,
    accepted: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// A builder: no authentication, identifier 4242, version `v0.0.0-test`, plaintext.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            behaviour: Behaviour {
                authorization: None,
                unimplemented: false,
                connect_status: None,
                delay: None,
                identifier: 4242,
                version: "v0.0.0-test".to_owned(),
                deploy_mode: "STANDALONE".to_owned(),
                build_tags: None,
                unhealthy: None,
                get_version_error: None,
                record: true,
            },
            tls: None,
        }
    }

    /// The TCP address, for TCP servers.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.address {
            Address::Tcp { addr, .. } => Some(*addr),
            Address::Unix(_) => None,
        }
    }

    /// A URI to give to `ConnectArgs::uri`: `http://127.0.0.1:PORT`, `https://…` for TLS
    /// servers, or `unix:PATH`.
    pub fn uri(&self) -> String {
        match &self.address {
            Address::Tcp { addr, tls: false } => format!("http://{addr}"),
            Address::Tcp { addr, tls: true } => format!("https://{addr}"),
            Address::Unix(path) => format!("unix:{}", path.display()),
        }
    }

    /// How many connections (TCP or Unix) the server has accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
    }
}

struct Fake {
    behaviour: Behaviour,
    calls: Arc<Mutex<Vec<Call>>>,
    script: Script,
}

impl Fake {
    async fn enter<T>(
        &self,
        rpc: &'static str,
        request: &Request<T>,
        client_info: Option<ClientInfo>,
    ) -> Result<(), Status> {
        if self.behaviour.record {
            let metadata = request
                .metadata()
                .clone()
                .into_headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(Call {
                    rpc,
                    metadata,
                    client_info,
                });
            }
        }
        if let Some(delay) = self.behaviour.delay {
            tokio::time::sleep(delay).await;
        }
        if self.behaviour.unimplemented {
            return Err(Status::unimplemented(format!("unknown method {rpc}")));
        }
        if let Some(expected) = &self.behaviour.authorization {
            match request.metadata().get("authorization") {
                None => return Err(Status::unauthenticated("missing authorization in header")),
                Some(v) if v.as_bytes() != expected.as_bytes() => {
                    return Err(Status::unauthenticated(
                        "auth check failure, please check username and password are correct",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[tonic::async_trait]
impl MilvusService for Fake {
    async fn get_version(
        &self,
        request: Request<GetVersionRequest>,
    ) -> Result<Response<GetVersionResponse>, Status> {
        self.enter("GetVersion", &request, None).await?;
        if let Some(status) = self.script.answer("GetVersion").await? {
            let status = Some(status);
            return Ok(Response::new(GetVersionResponse {
                status,
                ..Default::default()
            }));
        }
        if let Some((code, message)) = &self.behaviour.get_version_error {
            return Err(Status::new(*code, message.clone()));
        }
        Ok(Response::new(GetVersionResponse {
            status: Some(MilvusStatus::default()),
            version: self.behaviour.version.clone(),
        }))
    }

    async fn check_health(
        &self,
        request: Request<CheckHealthRequest>,
    ) -> Result<Response<CheckHealthResponse>, Status> {
        self.enter("CheckHealth", &request, None).await?;
        if let Some(status) = self.script.answer("CheckHealth").await? {
            let status = Some(status);
            return Ok(Response::new(CheckHealthResponse {
                status,
                ..Default::default()
            }));
        }
        Ok(Response::new(CheckHealthResponse {
            status: Some(MilvusStatus::default()),
            is_healthy: self.behaviour.unhealthy.is_none(),
            reasons: self.behaviour.unhealthy.clone().unwrap_or_default(),
            quota_states: Vec::new(),
        }))
    }

    async fn connect(
        &self,
        request: Request<ConnectRequest>,
    ) -> Result<Response<ConnectResponse>, Status> {
        let info = request.get_ref().client_info.clone();
        self.enter("Connect", &request, info).await?;
        if let Some(status) = self.script.answer("Connect").await? {
            return Ok(Response::new(ConnectResponse {
                status: Some(status),
                server_info: None,
                identifier: 0,
            }));
        }
        if let Some((code, reason)) = &self.behaviour.connect_status {
            return Ok(Response::new(ConnectResponse {
                status: Some(MilvusStatus {
                    error_code: 1,
                    reason: reason.clone(),
                    code: *code,
                    ..MilvusStatus::default()
                }),
                server_info: None,
                identifier: 0,
            }));
        }
        Ok(Response::new(ConnectResponse {
            status: Some(MilvusStatus::default()),
            server_info: Some(ServerInfo {
                build_tags: (self.behaviour.build_tags.as_ref())
                    .unwrap_or(&self.behaviour.version)
                    .clone(),
                deploy_mode: self.behaviour.deploy_mode.clone(),
                ..ServerInfo::default()
            }),
            identifier: self.behaviour.identifier,
        }))
    }
}
