//! The connection: [`MilvusConnection`], running its `Connect` handshake, and the two
//! calls of its own, `GetVersion` and `CheckHealth` ([`Health`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, timeout_at};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tracing::Instrument as _;

use super::builder::{CallDefaults, Connector};
use super::dialer::{deadline_after, grpc_timeout};
use super::handshake::{Handshake, HandshakeCell};
use crate::error::{Ctx, Error};
use crate::info::{QuotaState, ServerInfo};
use crate::interceptor::MilvusInterceptor;
use crate::pool::PooledChannel;
use crate::proto::common::Status as MilvusStatus;
use crate::proto::milvus::milvus_service_client::MilvusServiceClient;
use crate::proto::milvus::{
    CheckHealthRequest, CheckHealthResponse, ConnectRequest, ConnectResponse, GetVersionRequest,
    GetVersionResponse,
};
use crate::service::MilvusService;

/// The generated client on this connection's intercepted channel.
type Client = MilvusServiceClient<InterceptedService<Channel, MilvusInterceptor>>;

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
    pub(super) link: Link,
    pub(super) handshake: Arc<HandshakeCell>,
}

/// A connection but its handshake: the channel, the interceptor, the connector and the
/// connection's facts, which the handshake and this crate's own calls need. The task that
/// runs a lazy connection's handshake holds one, and not the [`HandshakeCell`], whose drop
/// (with the connection's last clone) aborts that task.
#[derive(Clone)]
pub(super) struct Link {
    pub(super) channel: Channel,
    pub(super) interceptor: MilvusInterceptor,
    /// Shared, so that a clone allocates nothing (the connector holds strings and a map).
    pub(super) connector: Arc<Connector>,
    pub(super) info: Arc<Info>,
}

/// The non-secret facts of a connection, for `Debug`, spans and errors.
pub(super) struct Info {
    pub(super) ctx: Ctx,
    pub(super) alias: String,
    pub(super) tls: &'static str,
    pub(super) user: Option<String>,
    /// Keeps a pooled channel in its pool while this connection (or a clone) lives.
    pub(super) pooled: Option<Arc<PooledChannel>>,
    /// Keeps the Milvus Lite server of a `.db` target running while this connection (or a
    /// clone) lives. The pool needs none of its own: it holds its channels weakly, so a
    /// pooled channel lives only as long as a connection on it.
    #[cfg_attr(not(all(feature = "lite", unix)), allow(dead_code))]
    pub(super) lite: crate::lite::Held,
}

impl MilvusConnection {
    /// A connection on `channel` whose handshake has not run.
    pub(super) fn new(
        channel: Channel,
        interceptor: MilvusInterceptor,
        connector: Connector,
        info: Info,
    ) -> MilvusConnection {
        MilvusConnection {
            link: Link {
                channel,
                interceptor,
                connector: Arc::new(connector),
                info: Arc::new(info),
            },
            handshake: Arc::new(HandshakeCell::default()),
        }
    }

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
        MilvusService::new(self.link.raw_service(), self.clone())
    }

    /// Whether the handshake has succeeded: one atomic load.
    #[inline]
    pub(crate) fn handshake_done(&self) -> bool {
        self.handshake.get().is_some()
    }

    /// Waits for the handshake for a call of [`MilvusService`]: the attempt in flight, or a
    /// new one (within the spec's timeout from now) when none is. A failure is shared by
    /// the calls that waited for the attempt. The attempt runs in a task of its own:
    /// dropping this future (the call's own time-out ran out) stops only this wait.
    pub(crate) async fn handshake_for_call(&self) -> Result<(), Arc<Error>> {
        self.shared_handshake().await.map(|_| ())
    }

    /// The handshake, shared by the callers that wait for one attempt (see
    /// [`HandshakeCell`]).
    async fn shared_handshake(&self) -> Result<&Handshake, Arc<Error>> {
        self.handshake
            .get_or_start(|| {
                let link = self.link.clone();
                let deadline = deadline_after(link.info.ctx.timeout);
                link.run_handshake(deadline)
            })
            .await
    }

    /// The classified [`Error`] for a failed call `rpc` made through this connection (by an
    /// SDK's generated client), with the same classes and [`Error::is_transient`] as this
    /// crate's own calls; [`classify`](crate::classify) gives only the class.
    ///
    /// A status that tonic made from a failed connection is [`Error::Unreachable`],
    /// [`Error::TimedOut`] or [`Error::Tls`] (naming the spec's timeout, which bounds
    /// connecting); a call whose own time-out ran out on this connection's [`MilvusService`]
    /// is [`Error::TimedOut`] naming that time-out (the request's `grpc-timeout`, else
    /// [`CallDefaults::timeout`]); one the server sent is [`Error::Authentication`],
    /// [`Error::Unimplemented`] or [`Error::Rpc`] (whose [`kind`](Error::kind) tells
    /// unavailable, timed out, rate limited, permission denied, invalid argument); a status
    /// this connection's [`MilvusService`] failed a call with because the lazy handshake
    /// failed gives the handshake's error.
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
        self.link.info.ctx.status(status, rpc, None)
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
        if code == 0 && error_code == 0 {
            return Ok(());
        }
        // The fields of the SDK's own generated `Status`, as ours.
        let status = MilvusStatus {
            code,
            error_code,
            reason: reason.to_owned(),
            retriable,
            ..MilvusStatus::default()
        };
        self.link.info.ctx.check(Some(&status), rpc)
    }

    /// The bare channel (no Milvus metadata on its calls).
    pub fn channel(&self) -> &Channel {
        &self.link.channel
    }

    /// The interceptor this connection's [`service`](MilvusConnection::service) uses.
    pub fn interceptor(&self) -> &MilvusInterceptor {
        &self.link.interceptor
    }

    /// The Milvus Lite server this connection keeps running: for a `.db` target, the
    /// server of its data directory (shared with every connection to it).
    #[cfg(all(feature = "lite", unix))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "lite", unix))))]
    pub fn lite_server(&self) -> Option<&crate::LiteServer> {
        self.link.info.lite.server.as_deref()
    }

    /// The target address (`host:port` or `unix:PATH`; `127.0.0.1:PORT` of its Milvus Lite
    /// server for a `.db` target).
    pub fn address(&self) -> &str {
        &self.link.info.ctx.address
    }

    /// The alias of the spec this connection was made from.
    pub fn alias(&self) -> &str {
        &self.link.info.alias
    }

    /// The call defaults of the [`Connector`] that made this connection: the message size
    /// limits to give a generated client, and the deadline [`MilvusConnection::service`]
    /// adds to calls without one.
    pub fn call_defaults(&self) -> CallDefaults {
        self.link.connector.call_defaults
    }

    /// The timeout of the spec (connect and handshake bound).
    pub fn timeout(&self) -> Duration {
        self.link.info.ctx.timeout
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
    /// spec's timeout, and returns its result. Concurrent callers (and calls through
    /// [`MilvusConnection::service`]) share one attempt, and its failure; a caller after a
    /// failed attempt starts another.
    ///
    /// The attempt runs in a Tokio task of its own: dropping this future stops only this
    /// caller's wait, and the attempt goes on for the others (and for the connection)
    /// within its deadline. When the connection's last clone is dropped, the attempt in
    /// flight is aborted.
    ///
    /// # Errors
    ///
    /// As [`Connector::connect`], from [`Error::Unreachable`] on; [`Error::NoRuntime`] when
    /// no Tokio runtime is running to start the attempt on.
    pub async fn handshake(&self) -> Result<&Handshake, Error> {
        self.shared_handshake().await.map_err(|e| e.replicate())
    }

    /// Runs the handshake here, within `deadline` (an eager connect: nobody else holds the
    /// connection yet).
    pub(super) async fn handshake_by(&self, deadline: Instant) -> Result<&Handshake, Error> {
        let handshake = self.link.clone().run_handshake(deadline).await?;
        Ok(self.handshake.set(handshake))
    }

    /// The server's version (`GetVersion`), for example `v2.3.5-lite`; runs the handshake
    /// first if it has not run. Bounded by the spec's timeout.
    ///
    /// # Errors
    ///
    /// As [`MilvusConnection::handshake`], then the same classes for `GetVersion`.
    pub async fn get_version(&self) -> Result<String, Error> {
        Ok(self
            .call_after_handshake(GetVersionRequest {})
            .await?
            .version)
    }

    /// The server's health (`CheckHealth`); runs the handshake first if it has not run.
    /// Bounded by the spec's timeout. An unhealthy server is an `Ok` with
    /// [`Health::is_healthy`] false.
    ///
    /// # Errors
    ///
    /// As [`MilvusConnection::handshake`], then the same classes for `CheckHealth`.
    pub async fn check_health(&self) -> Result<Health, Error> {
        let response = self.call_after_handshake(CheckHealthRequest {}).await?;
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

    /// A call of this crate's own after the handshake (run first if it has not run), with
    /// the spec's timeout from now as its deadline and `grpc-timeout`.
    async fn call_after_handshake<Q: Rpc>(&self, message: Q) -> Result<Q::Reply, Error> {
        self.handshake().await?;
        let timeout = self.link.info.ctx.timeout;
        self.link
            .call(message, deadline_after(timeout), timeout)
            .await
    }
}

impl Link {
    /// The intercepted channel without the handshake gate (for the handshake's own call,
    /// and the calls that ran the handshake first).
    fn raw_service(&self) -> InterceptedService<Channel, MilvusInterceptor> {
        InterceptedService::new(self.channel.clone(), self.interceptor.clone())
    }

    /// The `Connect` handshake within `deadline`, in a `milvus.handshake` span made now: a
    /// child of the caller's span, also when the handshake runs in a task of its own.
    fn run_handshake(
        self,
        deadline: Instant,
    ) -> impl Future<Output = Result<Handshake, Error>> + Send + 'static {
        let info = self.connector.client_info_for(self.info.user.as_deref());
        let span = tracing::info_span!(
            "milvus.handshake",
            address = %self.info.ctx.address,
            alias = %self.info.alias,
            sdk_type = %info.sdk_type,
            sdk_version = %info.sdk_version,
            user = self.info.user.as_deref().unwrap_or(""),
        );
        async move {
            let ctx = &self.info.ctx;
            let request = ConnectRequest {
                client_info: Some(info.into()),
            };
            // The time left to the deadline.
            let left = deadline.saturating_duration_since(Instant::now());
            let response = match self.call(request, deadline, left).await {
                Ok(response) => response,
                Err(err) => return Err(ctx.plaintext_to_tls(err, deadline).await),
            };
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
    }

    /// One call of this crate's own through the intercepted channel (no handshake gate),
    /// bounded by `deadline` and sending `timeout` as `grpc-timeout` (clamped); a failed
    /// call is classified, then the reply's `common.Status` checked.
    async fn call<Q: Rpc>(
        &self,
        message: Q,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<Q::Reply, Error> {
        let ctx = &self.info.ctx;
        let mut request = tonic::Request::new(message);
        request.set_timeout(grpc_timeout(timeout));
        let client = MilvusServiceClient::new(self.raw_service());
        let response = match timeout_at(deadline, Q::send(client, request)).await {
            Err(_) => return Err(ctx.timed_out(Q::NAME)),
            // Sent with the time left to `deadline`; a time-out names the whole of it.
            Ok(Err(status)) => return Err(ctx.status(status, Q::NAME, Some(ctx.timeout))),
            Ok(Ok(response)) => response.into_inner(),
        };
        ctx.check(Q::status(&response), Q::NAME)?;
        Ok(response)
    }
}

/// A request of this crate's own calls: the RPC's name, its reply, how the generated client
/// sends it, and where the reply keeps its Milvus `common.Status`.
trait Rpc: Sized + Send + 'static {
    const NAME: &'static str;
    type Reply;
    fn send(
        client: Client,
        request: tonic::Request<Self>,
    ) -> impl Future<Output = Result<tonic::Response<Self::Reply>, tonic::Status>>;
    fn status(reply: &Self::Reply) -> Option<&MilvusStatus>;
}

macro_rules! rpcs {
    ($($request:ty => $reply:ty: $name:literal, $method:ident;)*) => {$(
        impl Rpc for $request {
            const NAME: &'static str = $name;
            type Reply = $reply;
            async fn send(
                mut client: Client,
                request: tonic::Request<Self>,
            ) -> Result<tonic::Response<$reply>, tonic::Status> {
                client.$method(request).await
            }
            fn status(reply: &$reply) -> Option<&MilvusStatus> {
                reply.status.as_ref()
            }
        }
    )*};
}
rpcs! {
    ConnectRequest => ConnectResponse: "Connect", connect;
    GetVersionRequest => GetVersionResponse: "GetVersion", get_version;
    CheckHealthRequest => CheckHealthResponse: "CheckHealth", check_health;
}

impl fmt::Debug for MilvusConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = &self.link.info;
        f.debug_struct("MilvusConnection")
            .field("address", &info.ctx.address)
            .field("alias", &info.alias)
            .field("tls", &info.tls)
            .field("pooled", &info.pooled.is_some())
            .field("interceptor", &self.link.interceptor)
            .field("server", &self.server_info().map(ServerInfo::build_tags))
            .finish_non_exhaustive()
    }
}
