//! From a [`ConnectionSpec`] to a [`MilvusConnection`]: endpoint, TLS, channel, handshake.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use conn_config::{ConnectionSpec, Target};
use tokio::time::{Instant, timeout_at};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint, Uri};
use tracing::Instrument as _;

use crate::error::{Ctx, Error};
use crate::info::{ClientInfo, QuotaState, ServerInfo};
use crate::interceptor::MilvusInterceptor;
use crate::pool::{ChannelKey, ChannelPool, KeyTarget, PooledChannel};
use crate::proto::milvus::milvus_service_client::MilvusServiceClient;
use crate::proto::milvus::{CheckHealthRequest, ConnectRequest, GetVersionRequest};
use crate::service::MilvusService;

/// The HTTP/2 keepalive ping interval (pymilvus 3's `grpc.keepalive_time_ms`).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// How long to wait for a keepalive ping's answer (pymilvus 3's `grpc.keepalive_timeout_ms`).
pub const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The `sdk_type` sent in the handshake unless [`Connector::sdk_type`] says otherwise.
pub const DEFAULT_SDK_TYPE: &str = "Rust";
/// The `sdk_version` sent in the handshake unless [`Connector::sdk_version`] says otherwise:
/// this crate's version.
pub const DEFAULT_SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Makes connections; holds what the client tells the server about itself in the `Connect`
/// handshake (`ClientInfo`), which a downstream SDK sets to its own name and version.
///
/// ```
/// use conn_transport_tonic::Connector;
/// let connector = Connector::new()
///     .sdk_type("MyRustSdk")
///     .sdk_version("1.2.3")
///     .reserved("cluster_id", "c1");
/// # let _ = connector;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Connector {
    sdk_type: String,
    sdk_version: String,
    host: Option<String>,
    reserved: BTreeMap<String, String>,
    pool: Option<ChannelPool>,
    call_defaults: CallDefaults,
    // [lite] how a `.db` target starts Milvus Lite (crate::lite).
    lite: crate::lite::LiteOptions,
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl Connector {
    /// `sdk_type` "Rust", `sdk_version` this crate's version, `host` the machine's host
    /// name, no reserved entries.
    pub fn new() -> Connector {
        Connector {
            sdk_type: DEFAULT_SDK_TYPE.to_owned(),
            sdk_version: DEFAULT_SDK_VERSION.to_owned(),
            host: None,
            reserved: BTreeMap::new(),
            pool: None,
            call_defaults: CallDefaults::DEFAULT,
            lite: crate::lite::LiteOptions::default(),
        }
    }

    /// Shares channels through `pool`: a connect for a spec with the same channel identity
    /// as a live connection of the pool (target, connect timeout, TLS material and server
    /// name) reuses its channel and runs only its own `Connect` handshake. See
    /// [`ChannelPool`].
    ///
    /// Without a pool (the default), every connect opens a channel of its own.
    pub fn channel_pool(self, pool: ChannelPool) -> Connector {
        Connector {
            pool: Some(pool),
            ..self
        }
    }

    /// Every connect opens a channel of its own (the default; undoes
    /// [`Connector::channel_pool`]).
    pub fn dedicated_channels(self) -> Connector {
        Connector { pool: None, ..self }
    }

    /// The largest reply an SDK's client should accept (its `max_decoding_message_size`),
    /// in bytes; see [`CallDefaults`]. Default 256 MiB.
    pub fn max_decoding_message_size(mut self, bytes: usize) -> Connector {
        self.call_defaults.max_decoding_message_size = bytes;
        self
    }

    /// The largest request an SDK's client should send (its `max_encoding_message_size`),
    /// in bytes; see [`CallDefaults`]. Default `usize::MAX` (no limit; the server has its
    /// own).
    pub fn max_encoding_message_size(mut self, bytes: usize) -> Connector {
        self.call_defaults.max_encoding_message_size = bytes;
        self
    }

    /// A deadline for every call through [`MilvusConnection::service`] that does not set
    /// its own (`tonic::Request::set_timeout`): the service adds it as `grpc-timeout`, and
    /// tonic enforces it. Default none (as pymilvus: calls wait as long as they take).
    pub fn call_timeout(mut self, timeout: Duration) -> Connector {
        self.call_defaults.timeout = Some(timeout);
        self
    }

    // [lite]
    /// The Milvus Lite executable a `.db` target runs (as `PROGRAM server --data-dir
    /// DIR --host 127.0.0.1 --port PORT`), instead of `MILVUS_LITE_BIN`, `milvus-lite` on
    /// `PATH` or `python3 -m milvus_lite`. A bare name is looked up on `PATH`. See
    /// docs/transport.md, "Milvus Lite".
    #[cfg(all(feature = "lite", unix))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "lite", unix))))]
    pub fn lite_executable(mut self, program: impl Into<PathBuf>) -> Connector {
        self.lite.executable = Some(program.into());
        self
    }

    /// The pool this connector shares channels through, if any.
    pub fn pool(&self) -> Option<&ChannelPool> {
        self.pool.as_ref()
    }

    /// The `ClientInfo.sdk_type` to send (pymilvus sends "Python", the Go SDK "Golang").
    pub fn sdk_type(self, sdk_type: impl Into<String>) -> Connector {
        Connector {
            sdk_type: sdk_type.into(),
            ..self
        }
    }

    /// The `ClientInfo.sdk_version` to send.
    pub fn sdk_version(self, sdk_version: impl Into<String>) -> Connector {
        Connector {
            sdk_version: sdk_version.into(),
            ..self
        }
    }

    /// The `ClientInfo.host` to send instead of the machine's host name; `""` sends none.
    pub fn host_name(self, host: impl Into<String>) -> Connector {
        Connector {
            host: Some(host.into()),
            ..self
        }
    }

    /// Adds an entry to `ClientInfo.reserved` (pymilvus 3 sends its `option` map there).
    pub fn reserved(mut self, key: impl Into<String>, value: impl Into<String>) -> Connector {
        self.reserved.insert(key.into(), value.into());
        self
    }

    /// The `ClientInfo` this connector sends for a spec, with `local_time` now (RFC 3339,
    /// UTC) and `user` the spec's user name when it authenticates with user and password.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = conn_config::ConnectArgs::new()
    ///     .uri("http://localhost:19530")
    ///     .user("alice")
    ///     .password("secret")
    ///     .resolve_isolated()?;
    /// let info = conn_transport_tonic::Connector::new().client_info(&spec);
    /// assert_eq!(info.sdk_type(), "Rust");
    /// assert_eq!(info.user(), "alice");
    /// assert!(info.local_time().ends_with('Z'));
    /// # Ok(()) }
    /// ```
    pub fn client_info(&self, spec: &ConnectionSpec) -> ClientInfo {
        self.client_info_for(spec.auth().user())
    }

    fn client_info_for(&self, user: Option<&str>) -> ClientInfo {
        let host = match &self.host {
            Some(h) => h.clone(),
            None => gethostname::gethostname().to_string_lossy().into_owned(),
        };
        ClientInfo {
            sdk_type: self.sdk_type.clone(),
            sdk_version: self.sdk_version.clone(),
            local_time: humantime::format_rfc3339_micros(SystemTime::now()).to_string(),
            user: user.unwrap_or_default().to_owned(),
            host,
            reserved: self.reserved.clone().into_iter().collect(),
        }
    }

    /// Connects now: TCP (or Unix socket), TLS, HTTP/2, then the `Connect` handshake, all
    /// within the spec's timeout. The returned connection holds the server's `ServerInfo`
    /// and identifier.
    ///
    /// Must run inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// Before any network I/O: [`Error::UnsupportedTarget`] (a milvus-lite `.db` path),
    /// [`Error::FileUnreadable`], [`Error::FileNotRegular`], [`Error::FileTooLarge`],
    /// [`Error::FileReadTimedOut`], [`Error::FileNotPem`], [`Error::ClientIdentity`] (TLS
    /// files), [`Error::TlsUnavailable`]. Then [`Error::Unreachable`], [`Error::TimedOut`],
    /// [`Error::Tls`], [`Error::Authentication`], [`Error::Unimplemented`] (not a Milvus
    /// gRPC port), [`Error::ServerStatus`] (for example an unknown database), or
    /// [`Error::Rpc`].
    pub async fn connect(&self, spec: &ConnectionSpec) -> Result<MilvusConnection, Error> {
        // One deadline for everything: reading the TLS files, TCP, TLS, HTTP/2, `Connect`.
        let deadline = deadline_after(spec.timeout());
        // [lite] A `.db` target: the Milvus Lite server of its data directory, started (or
        // reused) and healthy within the deadline; the connection keeps it running.
        let lite = crate::lite::start_for(spec, &self.lite, deadline).await?;
        let material = match (spec.target(), spec.security().tls()) {
            // The unsupported target is reported by `prepare`, before any file is read.
            (Target::Lite(_), _) | (_, None) => None,
            (target, Some(tls)) => {
                Some(crate::tls::load_by(tls, &target.address(), deadline, spec.timeout()).await?)
            }
        };
        let mut prepared = prepare(spec, self.pool.is_some(), material, lite)?;
        let span = prepared.span("milvus.connect");
        async move {
            let (channel, pooled) = match self.pooled(&prepared) {
                Some(pooled) => (pooled.channel.clone(), Some(pooled)),
                None => {
                    let channel = match timeout_at(deadline, prepared.connect_channel()).await {
                        Err(_) => return Err(prepared.ctx.timed_out("connect")),
                        Ok(Err(e)) => {
                            let err = prepared.ctx.transport(e, "connect");
                            return Err(prepared.ctx.plaintext_to_tls(err, deadline).await);
                        }
                        Ok(Ok(channel)) => channel,
                    };
                    self.pool_insert(&mut prepared, channel)
                }
            };
            let connection = prepared.into_connection(channel, pooled, self.clone());
            connection.handshake_by(deadline).await?;
            tracing::debug!("connected");
            Ok(connection)
        }
        .instrument(span)
        .await
    }

    /// Makes a connection without network I/O: the channel connects on the first call,
    /// and the `Connect` handshake runs before the first call goes out: the first
    /// [`MilvusConnection::handshake`], [`MilvusConnection::get_version`],
    /// [`MilvusConnection::check_health`] or call through [`MilvusConnection::service`]
    /// (see [`MilvusService`]: once, shared by concurrent first calls; a failure fails
    /// those calls with the handshake's classified error).
    ///
    /// The TLS files are read and checked now, blocking the calling thread for at most the
    /// spec's timeout.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedTarget`], [`Error::FileUnreadable`], [`Error::FileNotRegular`],
    /// [`Error::FileTooLarge`], [`Error::FileReadTimedOut`], [`Error::FileNotPem`],
    /// [`Error::ClientIdentity`], [`Error::TlsUnavailable`], and [`Error::NoRuntime`]
    /// outside a Tokio runtime.
    pub fn connect_lazy(&self, spec: &ConnectionSpec) -> Result<MilvusConnection, Error> {
        // [lite] No server is started here: a `.db` target fails in `prepare`.
        let mut prepared = prepare(spec, self.pool.is_some(), None, Default::default())?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let _entered = prepared.span("milvus.connect_lazy").entered();
        let (channel, pooled) = match self.pooled(&prepared) {
            Some(pooled) => (pooled.channel.clone(), Some(pooled)),
            None => {
                let channel = prepared.connect_channel_lazy();
                self.pool_insert(&mut prepared, channel)
            }
        };
        Ok(prepared.into_connection(channel, pooled, self.clone()))
    }

    /// The pool's live channel for the prepared spec, if this connector has a pool.
    fn pooled(&self, prepared: &Prepared) -> Option<Arc<PooledChannel>> {
        let (pool, key) = (self.pool.as_ref()?, prepared.key.as_ref()?);
        let pooled = pool.get(key)?;
        tracing::debug!("reusing a pooled channel");
        Some(pooled)
    }

    /// Puts a new channel in this connector's pool, and returns the channel to use: the
    /// pool's (the new one, or one a concurrent connect put there first). Without a pool,
    /// the new channel, unpooled.
    fn pool_insert(
        &self,
        prepared: &mut Prepared,
        channel: Channel,
    ) -> (Channel, Option<Arc<PooledChannel>>) {
        match (self.pool.as_ref(), prepared.key.take()) {
            (Some(pool), Some(key)) => {
                let pooled = pool.insert(key, channel);
                (pooled.channel.clone(), Some(pooled))
            }
            _ => (channel, None),
        }
    }
}

/// What a connection tells an SDK's generated client about its calls: the message size
/// limits to give the client, and the deadline its service adds to calls without one. Set
/// on the [`Connector`], read with [`MilvusConnection::call_defaults`].
///
/// tonic's generated clients accept replies of at most 4 MiB unless told otherwise, and
/// Milvus's search and query replies are often larger; Milvus 2.3 itself sends at most
/// 256 MiB (`proxy.grpc.serverMaxSendSize`), hence the default. pymilvus sets no limit.
///
/// ```
/// use conn_transport_tonic::{CallDefaults, Connector};
/// let defaults = CallDefaults::default();
/// assert_eq!(defaults.max_decoding_message_size, 256 << 20);
/// assert_eq!(defaults.max_encoding_message_size, usize::MAX);
/// assert_eq!(defaults.timeout, None);
/// let connector = Connector::new()
///     .max_decoding_message_size(1 << 30)
///     .call_timeout(std::time::Duration::from_secs(30));
/// # let _ = connector;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallDefaults {
    /// For the client's `max_decoding_message_size`: the largest reply, in bytes.
    pub max_decoding_message_size: usize,
    /// For the client's `max_encoding_message_size`: the largest request, in bytes.
    pub max_encoding_message_size: usize,
    /// The deadline [`MilvusService`] gives a call that has none of its own.
    pub timeout: Option<Duration>,
}

impl CallDefaults {
    const DEFAULT: CallDefaults = CallDefaults {
        max_decoding_message_size: 256 << 20,
        max_encoding_message_size: usize::MAX,
        timeout: None,
    };
}

impl Default for CallDefaults {
    fn default() -> Self {
        CallDefaults::DEFAULT
    }
}

/// Connects with the default [`Connector`]; see [`Connector::connect`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = conn_config::ConnectArgs::new()
///     .uri("http://localhost:19530")
///     .token("root:Milvus")
///     .resolve()?;
/// let connection = conn_transport_tonic::connect(&spec).await?;
/// println!("{}", connection.get_version().await?);
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Connector::connect`].
pub async fn connect(spec: &ConnectionSpec) -> Result<MilvusConnection, Error> {
    Connector::new().connect(spec).await
}

/// Makes a lazy connection with the default [`Connector`]; see [`Connector::connect_lazy`].
///
/// # Errors
///
/// As [`Connector::connect_lazy`].
pub fn connect_lazy(spec: &ConnectionSpec) -> Result<MilvusConnection, Error> {
    Connector::new().connect_lazy(spec)
}

/// What the `Connect` handshake returned.
#[derive(Clone, Debug)]
pub struct Handshake {
    server_info: ServerInfo,
    identifier: i64,
}

impl Handshake {
    /// The server's build information (`build_tags` such as `v2.3.5-lite`, `deploy_mode`).
    pub fn server_info(&self) -> &ServerInfo {
        &self.server_info
    }

    /// The identifier the server gave this connection, sent back as the `identifier` header.
    pub fn identifier(&self) -> i64 {
        self.identifier
    }
}

/// The `Connect` handshake of one connection (and its clones): it succeeds once; callers
/// that wait for the same attempt share it, and its failure; a caller after a failure
/// tries again.
#[derive(Default)]
struct HandshakeCell {
    done: OnceLock<Handshake>,
    /// How many attempts have failed.
    failures: AtomicU64,
    /// Held while an attempt runs; the last failure, for the callers that waited for it.
    attempt: tokio::sync::Mutex<Option<Arc<Error>>>,
}

/// How a handshake failed for one caller.
enum Failure {
    /// This caller ran the attempt: the error as classified.
    Own(Error),
    /// Another caller's attempt, which this one waited for.
    Shared(Arc<Error>),
}

impl HandshakeCell {
    fn get(&self) -> Option<&Handshake> {
        self.done.get()
    }

    async fn get_or_run<F>(&self, run: impl FnOnce() -> F) -> Result<&Handshake, Failure>
    where
        F: Future<Output = Result<Handshake, Error>>,
    {
        if let Some(done) = self.done.get() {
            return Ok(done);
        }
        let seen = self.failures.load(Ordering::Acquire);
        let mut last = self.attempt.lock().await;
        if let Some(done) = self.done.get() {
            return Ok(done);
        }
        if self.failures.load(Ordering::Acquire) != seen
            && let Some(failure) = last.as_ref()
        {
            return Err(Failure::Shared(failure.clone()));
        }
        match run().await {
            Ok(handshake) => Ok(self.done.get_or_init(|| handshake)),
            Err(e) => {
                *last = Some(Arc::new(e.replicate()));
                self.failures.fetch_add(1, Ordering::Release);
                Err(Failure::Own(e))
            }
        }
    }
}

/// What `CheckHealth` returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    healthy: bool,
    reasons: Vec<String>,
    quota_states: Vec<QuotaState>,
}

impl Health {
    /// Whether the server says it is healthy.
    pub fn is_healthy(&self) -> bool {
        self.healthy
    }

    /// Why it is not.
    pub fn reasons(&self) -> &[String] {
        &self.reasons
    }

    /// The quota limits in force (unknown values are left out).
    pub fn quota_states(&self) -> &[QuotaState] {
        &self.quota_states
    }
}

/// A channel to one Milvus server, with its interceptor and (once done) its handshake.
///
/// Cheap to clone: clones share the channel, the interceptor's identifier and the
/// handshake. `Debug` shows the address, alias, TLS mode, database and identifier, never a
/// secret.
#[derive(Clone)]
pub struct MilvusConnection {
    channel: Channel,
    interceptor: MilvusInterceptor,
    handshake: Arc<HandshakeCell>,
    /// Shared, so that a clone allocates nothing (the connector holds strings and a map).
    connector: Arc<Connector>,
    info: Arc<Info>,
}

/// The non-secret facts of a connection, for `Debug`, spans and errors.
struct Info {
    ctx: Ctx,
    alias: String,
    tls: &'static str,
    user: Option<String>,
    /// Keeps a pooled channel in its pool while this connection (or a clone) lives.
    pooled: Option<Arc<PooledChannel>>,
    /// [lite] Keeps the Milvus Lite server of a `.db` target running while this connection
    /// (or a clone) lives. The pool needs none of its own: it holds its channels weakly, so
    /// a pooled channel lives only as long as a connection on it.
    #[cfg_attr(not(all(feature = "lite", unix)), allow(dead_code))]
    lite: crate::lite::Held,
}

impl MilvusConnection {
    /// The intercepted channel behind this connection's handshake, to hand to a generated
    /// Milvus client: see [`MilvusService`].
    ///
    /// A downstream SDK generates its own `MilvusServiceClient` from the full milvus-proto
    /// and plugs this in. Raise tonic's default 4 MiB decode limit ([`CallDefaults`]):
    /// search and query results are often larger.
    ///
    /// ```no_run
    /// # mod my_sdk { pub mod proto { pub use milvus_conn_sdk_client::milvus; } }
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// // In the SDK: `tonic::include_proto!("milvus.proto.milvus")` generated this client.
    /// use my_sdk::proto::milvus::milvus_service_client::MilvusServiceClient;
    ///
    /// let spec = conn_config::ConnectArgs::new().uri("http://localhost:19530").resolve()?;
    /// let connection = conn_transport_tonic::Connector::new()
    ///     .sdk_type("MyRustSdk")
    ///     .sdk_version("1.2.3")
    ///     .connect(&spec)
    ///     .await?;
    ///
    /// let defaults = connection.call_defaults();
    /// let client = MilvusServiceClient::new(connection.service())
    ///     .max_decoding_message_size(defaults.max_decoding_message_size)
    ///     .max_encoding_message_size(defaults.max_encoding_message_size);
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn service(&self) -> MilvusService {
        MilvusService::new(self.raw_service(), self.clone())
    }

    /// The intercepted channel without the handshake gate (for the handshake's own call,
    /// and the calls that ran the handshake first).
    fn raw_service(&self) -> InterceptedService<Channel, MilvusInterceptor> {
        InterceptedService::new(self.channel.clone(), self.interceptor.clone())
    }

    /// Whether the handshake has succeeded: one atomic load.
    #[inline]
    pub(crate) fn handshake_done(&self) -> bool {
        self.handshake.get().is_some()
    }

    /// Runs the handshake for a call of [`MilvusService`], if it has not run: the spec's
    /// timeout from now. A failure is shared by the calls that waited for the attempt.
    pub(crate) async fn handshake_for_call(&self) -> Result<(), Arc<Error>> {
        let deadline = deadline_after(self.info.ctx.timeout);
        match self
            .handshake
            .get_or_run(|| self.run_handshake(deadline))
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure::Own(e)) => Err(Arc::new(e)),
            Err(Failure::Shared(e)) => Err(e),
        }
    }

    /// The classified [`Error`] for a failed call `rpc` made through this connection (by an
    /// SDK's generated client), with the same classes and [`Error::is_transient`] as this
    /// crate's own calls; [`classify`](crate::classify) gives only the class.
    ///
    /// A status that tonic made from a failed connection is [`Error::Unreachable`],
    /// [`Error::TimedOut`] or [`Error::Tls`] (naming the spec's timeout); one the server sent
    /// is [`Error::Authentication`], [`Error::Unimplemented`], [`Error::TimedOut`] or
    /// [`Error::Rpc`] (whose [`kind`](Error::kind) tells unavailable, rate limited,
    /// permission denied, invalid argument); a status this connection's
    /// [`MilvusService`] failed a call with because the lazy handshake failed gives the
    /// handshake's error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::{ErrorKind, tonic::Status};
    /// let spec = conn_config::ConnectArgs::new().uri("http://localhost:19530").resolve_isolated()?;
    /// let connection = conn_transport_tonic::connect_lazy(&spec)?;
    /// let err = connection.error_from_status(Status::permission_denied("no"), "DropCollection");
    /// assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    /// assert!(!err.is_transient());
    /// # Ok(()) }
    /// ```
    pub fn error_from_status(&self, status: tonic::Status, rpc: &'static str) -> Error {
        self.info.ctx.status(status, rpc)
    }

    /// The classified [`Error`] for a non-zero Milvus `common.Status` in a reply to `rpc`
    /// (gRPC `OK`, but the server refused): [`Error::ServerStatus`], whose
    /// [`kind`](Error::kind) is [`classify_milvus`](crate::classify_milvus)'s class. `Ok` when
    /// `code` and `error_code` are both 0. Pass the fields of the SDK's own generated
    /// `Status`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_transport_tonic::ErrorKind;
    /// let spec = conn_config::ConnectArgs::new().uri("http://localhost:19530").resolve_isolated()?;
    /// let connection = conn_transport_tonic::connect_lazy(&spec)?;
    /// assert!(connection.check_status("Search", 0, 0, "", false).is_ok());
    /// let err = connection
    ///     .check_status("Insert", 8, 49, "rate limit exceeded[rate=0.1]", false)
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::RateLimited);
    /// assert!(err.is_transient());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::ServerStatus`] when `code` or `error_code` is non-zero.
    pub fn check_status(
        &self,
        rpc: &'static str,
        code: i32,
        error_code: i32,
        reason: &str,
        retriable: bool,
    ) -> Result<(), Error> {
        self.info
            .ctx
            .check_fields(rpc, code, error_code, reason, retriable)
    }

    /// The bare channel (no Milvus metadata on its calls).
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The interceptor this connection's [`service`](MilvusConnection::service) uses.
    pub fn interceptor(&self) -> &MilvusInterceptor {
        &self.interceptor
    }

    // [lite]
    /// The Milvus Lite server this connection keeps running: for a `.db` target, the
    /// server of its data directory (shared with every connection to it).
    #[cfg(all(feature = "lite", unix))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "lite", unix))))]
    pub fn lite_server(&self) -> Option<&crate::LiteServer> {
        self.info.lite.server.as_deref()
    }

    /// The target address (`host:port` or `unix:PATH`; `127.0.0.1:PORT` of its Milvus Lite
    /// server for a `.db` target).
    pub fn address(&self) -> &str {
        &self.info.ctx.address
    }

    /// The alias of the spec this connection was made from.
    pub fn alias(&self) -> &str {
        &self.info.alias
    }

    /// The call defaults of the [`Connector`] that made this connection: the message size
    /// limits to give a generated client, and the deadline [`MilvusConnection::service`]
    /// adds to calls without one.
    pub fn call_defaults(&self) -> CallDefaults {
        self.connector.call_defaults
    }

    /// The timeout of the spec (connect and handshake bound).
    pub fn timeout(&self) -> Duration {
        self.info.ctx.timeout
    }

    /// The handshake's result, once it has run.
    pub fn handshake_result(&self) -> Option<&Handshake> {
        self.handshake.get()
    }

    /// The server's build information, once the handshake has run.
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.handshake.get().map(Handshake::server_info)
    }

    /// The server-given identifier, once the handshake has run.
    pub fn identifier(&self) -> Option<i64> {
        self.handshake.get().map(Handshake::identifier)
    }

    /// Runs the `Connect` handshake if it has not run yet (lazy connections), within the
    /// spec's timeout, and returns its result. Concurrent callers share one handshake; a
    /// failed one is tried again on the next call.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`], from [`Error::Unreachable`] on.
    pub async fn handshake(&self) -> Result<&Handshake, Error> {
        self.handshake_by(deadline_after(self.info.ctx.timeout))
            .await
    }

    async fn handshake_by(&self, deadline: Instant) -> Result<&Handshake, Error> {
        match self
            .handshake
            .get_or_run(|| self.run_handshake(deadline))
            .await
        {
            Ok(handshake) => Ok(handshake),
            Err(Failure::Own(e)) => Err(e),
            Err(Failure::Shared(e)) => Err(e.replicate()),
        }
    }

    async fn run_handshake(&self, deadline: Instant) -> Result<Handshake, Error> {
        let ctx = &self.info.ctx;
        let info = self.connector.client_info_for(self.info.user.as_deref());
        let span = tracing::info_span!(
            "milvus.handshake",
            address = %ctx.address,
            alias = %self.info.alias,
            sdk_type = %info.sdk_type,
            sdk_version = %info.sdk_version,
            user = self.info.user.as_deref().unwrap_or(""),
        );
        async move {
            let mut client = MilvusServiceClient::new(self.raw_service());
            let mut request = tonic::Request::new(ConnectRequest {
                client_info: Some(info.into()),
            });
            request.set_timeout(grpc_timeout(
                deadline.saturating_duration_since(Instant::now()),
            ));
            let response = match timeout_at(deadline, client.connect(request)).await {
                Err(_) => return Err(ctx.timed_out("Connect")),
                Ok(Err(status)) => {
                    let err = ctx.status(status, "Connect");
                    return Err(ctx.plaintext_to_tls(err, deadline).await);
                }
                Ok(Ok(response)) => response.into_inner(),
            };
            ctx.check(response.status.as_ref(), "Connect")?;
            self.interceptor.set_identifier(response.identifier);
            let server_info = ServerInfo::from(response.server_info.unwrap_or_default());
            tracing::debug!(
                identifier = response.identifier,
                build_tags = %server_info.build_tags(),
                deploy_mode = %server_info.deploy_mode(),
                "handshake done"
            );
            Ok(Handshake {
                server_info,
                identifier: response.identifier,
            })
        }
        .instrument(span)
        .await
    }

    /// The server's version (`GetVersion`), for example `v2.3.5-lite`; runs the handshake
    /// first if it has not run. Bounded by the spec's timeout.
    ///
    /// # Errors
    ///
    /// As [`MilvusConnection::handshake`], then the same classes for `GetVersion`.
    pub async fn get_version(&self) -> Result<String, Error> {
        self.handshake().await?;
        let ctx = &self.info.ctx;
        let deadline = deadline_after(ctx.timeout);
        let mut client = MilvusServiceClient::new(self.raw_service());
        let mut request = tonic::Request::new(GetVersionRequest {});
        request.set_timeout(grpc_timeout(ctx.timeout));
        let response = match timeout_at(deadline, client.get_version(request)).await {
            Err(_) => return Err(ctx.timed_out("GetVersion")),
            Ok(Err(status)) => return Err(ctx.status(status, "GetVersion")),
            Ok(Ok(response)) => response.into_inner(),
        };
        ctx.check(response.status.as_ref(), "GetVersion")?;
        Ok(response.version)
    }

    /// The server's health (`CheckHealth`); runs the handshake first if it has not run.
    /// Bounded by the spec's timeout. An unhealthy server is an `Ok` with
    /// [`Health::is_healthy`] false.
    ///
    /// # Errors
    ///
    /// As [`MilvusConnection::handshake`], then the same classes for `CheckHealth`.
    pub async fn check_health(&self) -> Result<Health, Error> {
        self.handshake().await?;
        let ctx = &self.info.ctx;
        let deadline = deadline_after(ctx.timeout);
        let mut client = MilvusServiceClient::new(self.raw_service());
        let mut request = tonic::Request::new(CheckHealthRequest {});
        request.set_timeout(grpc_timeout(ctx.timeout));
        let response = match timeout_at(deadline, client.check_health(request)).await {
            Err(_) => return Err(ctx.timed_out("CheckHealth")),
            Ok(Err(status)) => return Err(ctx.status(status, "CheckHealth")),
            Ok(Ok(response)) => response.into_inner(),
        };
        ctx.check(response.status.as_ref(), "CheckHealth")?;
        Ok(Health {
            healthy: response.is_healthy,
            quota_states: response
                .quota_states
                .iter()
                .filter_map(|&q| QuotaState::from_wire(q))
                .collect(),
            reasons: response.reasons,
        })
    }
}

impl fmt::Debug for MilvusConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MilvusConnection")
            .field("address", &self.info.ctx.address)
            .field("alias", &self.info.alias)
            .field("tls", &self.info.tls)
            .field("pooled", &self.info.pooled.is_some())
            .field("interceptor", &self.interceptor)
            .field("server", &self.server_info().map(ServerInfo::build_tags))
            .finish_non_exhaustive()
    }
}

/// How to reach the target.
enum Route {
    /// Plaintext TCP: tonic's own HTTP connector.
    Tcp,
    /// A Unix socket, or TLS: this crate's dialer.
    Dial(Arc<Dialer>),
}

/// Opens the byte stream under HTTP/2: TCP or a Unix socket, then TLS when the spec asks.
struct Dialer {
    target: DialTarget,
    #[cfg(feature = "_tls")]
    tls: Option<crate::tls::TlsConnector>,
}

enum DialTarget {
    /// `http://host:port`, for hyper's TCP connector (name resolution, TCP_NODELAY).
    Tcp(Uri),
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Dialer {
    async fn dial(&self) -> Result<Box<dyn crate::tls::Io>, crate::BoxError> {
        use tower::ServiceExt as _;
        let io: Box<dyn crate::tls::Io> = match &self.target {
            DialTarget::Tcp(uri) => {
                let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
                http.enforce_http(false);
                http.set_nodelay(true);
                let stream = http.oneshot(uri.clone()).await?;
                Box::new(stream.into_inner())
            }
            #[cfg(unix)]
            DialTarget::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        };
        #[cfg(feature = "_tls")]
        if let Some(tls) = &self.tls {
            return Ok(tls.handshake(io).await?);
        }
        Ok(io)
    }
}

/// The dialer as the connector tonic calls for every (re)connection.
fn dial_service(
    dialer: Arc<Dialer>,
) -> impl tower::Service<
    Uri,
    Response = hyper_util::rt::TokioIo<Box<dyn crate::tls::Io>>,
    Error = crate::BoxError,
    Future = impl Send,
> + Send
+ 'static {
    tower::service_fn(move |_: Uri| {
        let dialer = dialer.clone();
        async move { dialer.dial().await.map(hyper_util::rt::TokioIo::new) }
    })
}

/// Everything checked and built before any network I/O.
struct Prepared {
    /// [lite] The Milvus Lite server of a `.db` target.
    lite: crate::lite::Held,
    endpoint: Endpoint,
    /// The channel identity, when the connector has a pool.
    key: Option<ChannelKey>,
    route: Route,
    ctx: Ctx,
    interceptor: MilvusInterceptor,
    alias: String,
    tls: &'static str,
    db: String,
    auth: &'static str,
    user: Option<String>,
}

fn uri(scheme: &str, authority: &str, address: &str) -> Result<Uri, Error> {
    Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query("/")
        .build()
        .map_err(|e| Error::InvalidAddress {
            address: address.to_owned(),
            source: Box::new(e),
        })
}

/// The longest `grpc-timeout` tonic can send: the header holds at most 8 digits, and its
/// largest unit is the hour, so 99,999,999 hours (about 11,400 years). tonic panics ("duration
/// is unrealistically large") on a longer timeout when it writes the header.
pub(crate) const MAX_GRPC_TIMEOUT: Duration = Duration::from_secs(99_999_999 * 3600);

/// `d` as a `grpc-timeout` tonic accepts: at most [`MAX_GRPC_TIMEOUT`].
pub(crate) fn grpc_timeout(d: Duration) -> Duration {
    d.min(MAX_GRPC_TIMEOUT)
}

/// About 30 years: the deadline of a timeout too large to add to now (tokio's own
/// stand-in for "never").
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `d` from now, never panicking: a `d` too large to add to the clock gives a
/// deadline about 30 years away. (`Instant + Duration` panics on overflow.)
pub(crate) fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

/// Everything before any network I/O. `material` is the spec's TLS files, read by the
/// caller within its deadline; when `None` for a TLS spec, they are read here, blocking for
/// at most the spec's timeout.
fn prepare(
    spec: &ConnectionSpec,
    with_key: bool,
    material: Option<crate::tls::TlsMaterial>,
    lite: crate::lite::Held,
) -> Result<Prepared, Error> {
    let mut address = spec.target().address();
    let timeout = spec.timeout();
    let tls_spec = spec.security().tls();
    // The authority of the requests, and the name TLS checks unless server_name is set.
    // gRPC's authority for a Unix socket is "localhost".
    let (authority, tls_host, target, key_target) = match spec.target() {
        // [lite] The loopback port of the started server, as a plaintext TCP target.
        Target::Lite(_) => {
            let Some(port) = lite.port() else {
                return Err(crate::lite::not_started(spec));
            };
            let authority = format!("127.0.0.1:{port}");
            address = authority.clone();
            let dial = DialTarget::Tcp(uri("http", &authority, &address)?);
            let key = KeyTarget::Tcp(authority.clone());
            (authority, "127.0.0.1".to_owned(), dial, key)
        }
        Target::Tcp { host, port } => {
            let authority = format!("{}:{port}", host.to_uri_host());
            let dial = DialTarget::Tcp(uri("http", &authority, &address)?);
            let key = KeyTarget::Tcp(authority.clone());
            (authority, host.to_string(), dial, key)
        }
        #[cfg(unix)]
        Target::Unix(path) => (
            "localhost".to_owned(),
            "localhost".to_owned(),
            DialTarget::Unix(path.clone()),
            KeyTarget::Unix(path.clone()),
        ),
        // A kind of target this crate does not know (or a Unix socket off Unix).
        #[allow(unreachable_patterns)]
        _ => return Err(Error::UnsupportedTarget { target: address }),
    };
    let plaintext_tcp = match (&target, tls_spec) {
        (DialTarget::Tcp(_), None) => Some((authority.clone(), tls_host.clone())),
        _ => None,
    };
    let ctx = Ctx {
        address: address.clone(),
        timeout,
        tls: tls_spec.is_some(),
        client_cert: tls_spec.is_some_and(|t| t.client_identity().is_some()),
        plaintext_tcp,
    };
    let endpoint = Endpoint::from(uri("http", &authority, &address)?)
        .connect_timeout(timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true);

    let tls_mode = tls_spec.map_or("plaintext", |t| t.mode().as_str());
    let mut key = with_key.then_some(ChannelKey {
        target: key_target,
        connect_timeout: timeout,
        tls: None,
    });
    let (endpoint, route) = match tls_spec {
        None => match target {
            DialTarget::Tcp(_) => (endpoint, Route::Tcp),
            #[cfg(unix)]
            unix @ DialTarget::Unix(_) => (
                endpoint,
                Route::Dial(Arc::new(Dialer {
                    target: unix,
                    #[cfg(feature = "_tls")]
                    tls: None,
                })),
            ),
        },
        Some(tls) => {
            let material = match material {
                Some(material) => material,
                None => crate::tls::load_within(tls, &address, timeout)?,
            };
            #[cfg(feature = "_tls")]
            {
                if let Some(key) = &mut key {
                    key.tls = Some(material.channel_key(tls.server_name().unwrap_or(&tls_host)));
                }
                let connector =
                    crate::tls::TlsConnector::new(tls, material, &tls_host, &address, timeout)?;
                // The connector dials http:// (so tonic adds no TLS of its own); the
                // requests say https.
                let endpoint = endpoint.origin(uri("https", &authority, &address)?);
                let dialer = Dialer {
                    target,
                    tls: Some(connector),
                };
                (endpoint, Route::Dial(Arc::new(dialer)))
            }
            #[cfg(not(feature = "_tls"))]
            {
                let _ = (material, tls_host, target, &mut key);
                return Err(Error::TlsUnavailable {
                    address,
                    reason:
                        "this build has no tls support: enable the tls-ring (or tls-aws-lc) feature"
                            .to_owned(),
                    source: None,
                });
            }
        }
    };

    if spec.auth().authorization().is_some()
        && tls_spec.is_none()
        && spec.target().host().is_some_and(|h| !h.is_loopback())
    {
        tracing::warn!(
            address = %address,
            alias = %spec.alias(),
            "credentials are sent in plaintext to a non-loopback host; use https:// or secure=true"
        );
    }

    Ok(Prepared {
        lite,
        endpoint,
        key,
        route,
        ctx,
        interceptor: MilvusInterceptor::new(spec),
        alias: spec.alias().to_string(),
        tls: tls_mode,
        db: spec.db_name().to_string(),
        auth: spec.auth().kind().as_str(),
        user: spec.auth().user().map(str::to_owned),
    })
}

impl Prepared {
    fn span(&self, name: &'static str) -> tracing::Span {
        match name {
            "milvus.connect_lazy" => tracing::info_span!(
                "milvus.connect_lazy",
                address = %self.ctx.address,
                alias = %self.alias,
                tls = self.tls,
                db = %self.db,
                auth = self.auth,
            ),
            _ => tracing::info_span!(
                "milvus.connect",
                address = %self.ctx.address,
                alias = %self.alias,
                tls = self.tls,
                db = %self.db,
                auth = self.auth,
                timeout = ?self.ctx.timeout,
            ),
        }
    }

    async fn connect_channel(&self) -> Result<Channel, tonic::transport::Error> {
        match &self.route {
            Route::Tcp => self.endpoint.connect().await,
            Route::Dial(dialer) => {
                self.endpoint
                    .connect_with_connector(dial_service(dialer.clone()))
                    .await
            }
        }
    }

    fn connect_channel_lazy(&self) -> Channel {
        match &self.route {
            Route::Tcp => self.endpoint.connect_lazy(),
            Route::Dial(dialer) => self
                .endpoint
                .connect_with_connector_lazy(dial_service(dialer.clone())),
        }
    }

    fn into_connection(
        self,
        channel: Channel,
        pooled: Option<Arc<PooledChannel>>,
        connector: Connector,
    ) -> MilvusConnection {
        MilvusConnection {
            channel,
            interceptor: self.interceptor.detached(),
            handshake: Arc::new(HandshakeCell::default()),
            connector: Arc::new(connector),
            info: Arc::new(Info {
                ctx: self.ctx,
                alias: self.alias,
                tls: self.tls,
                user: self.user,
                pooled,
                lite: self.lite,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use conn_config::ConnectArgs;

    use super::prepare;

    fn prepared(args: ConnectArgs) -> super::Prepared {
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
        use super::{FAR_FUTURE, deadline_after};
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
        use super::{MAX_GRPC_TIMEOUT, grpc_timeout};
        use crate::proto::milvus::GetVersionRequest;
        use crate::proto::milvus::milvus_service_client::MilvusServiceClient;

        assert_eq!(grpc_timeout(Duration::MAX), MAX_GRPC_TIMEOUT);
        assert_eq!(grpc_timeout(Duration::from_secs(3)), Duration::from_secs(3));

        let server = crate::test_server::TestServer::builder()
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
        let server = crate::test_server::TestServer::builder()
            .serve_tcp()
            .await
            .unwrap();
        let spec = ConnectArgs::new()
            .uri(server.uri())
            .resolve_isolated()
            .unwrap();
        let lazy = super::connect_lazy(&spec).unwrap();
        let info = &lazy.info;
        let mut ctx = info.ctx.clone();
        ctx.timeout = Duration::MAX;
        let huge = super::MilvusConnection {
            info: Arc::new(super::Info {
                ctx,
                alias: info.alias.clone(),
                tls: info.tls,
                user: info.user.clone(),
                pooled: None,
                lite: Default::default(),
            }),
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
        assert!(matches!(p.route, super::Route::Dial(_)));
        assert_eq!(p.tls, "platform_roots");
        assert_eq!(p.ctx.address, "milvus.example.com:443");
    }
}
