//! The builder: [`Connector`] (what the client tells the server about itself, the pool, the
//! call defaults) and its `connect` / `connect_lazy`, which share the pool's
//! look-up-or-insert.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use conn_config::{ConnectionSpec, Target};
use tonic::transport::Channel;
use tracing::Instrument as _;

use super::connection::MilvusConnection;
use super::dialer::{Prepared, deadline_after, prepare};
use crate::error::Error;
use crate::info::ClientInfo;
use crate::pool::{ChannelKey, ChannelPool, PooledChannel};

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
    pub(super) call_defaults: CallDefaults,
    /// How a `.db` target starts Milvus Lite (`crate::lite`).
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
    /// A zero time-out (this default, or a request's own) is taken as given: such a call is
    /// not sent and fails at once with `DEADLINE_EXCEEDED` (class `timed_out`).
    pub fn call_timeout(mut self, timeout: Duration) -> Connector {
        self.call_defaults.timeout = Some(timeout);
        self
    }

    /// The Milvus Lite executable a `.db` target runs (as `PROGRAM server --data-dir
    /// DIR --host 127.0.0.1 --port PORT`), instead of `MILVUS_LITE_BIN`, `milvus-lite` on
    /// `PATH` or `python3 -m milvus_lite`. A bare name is looked up on `PATH`. See
    /// docs/transport.md, "Milvus Lite".
    #[cfg(all(feature = "lite", unix))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "lite", unix))))]
    pub fn lite_executable(mut self, program: impl Into<std::path::PathBuf>) -> Connector {
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

    pub(super) fn client_info_for(&self, user: Option<&str>) -> ClientInfo {
        let host = match &self.host {
            Some(h) => h.clone(),
            None => machine_host_name().to_owned(),
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
        // A `.db` target: the Milvus Lite server of its data directory, started (or reused)
        // and healthy within the deadline; the connection keeps it running.
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
            let (channel, pooled) = match self.slot(&mut prepared) {
                Slot::Pooled(pooled) => Slot::reuse(pooled),
                Slot::Free(free) => free.fill(prepared.connect_channel(deadline).await?),
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
    /// (see [`MilvusService`](crate::MilvusService): once, in a task of its own, shared by
    /// concurrent first calls; a failure fails those calls with the handshake's classified
    /// error; a call's own time-out bounds its wait, not the handshake).
    ///
    /// The TLS files are read and checked now, blocking the calling thread for at most the
    /// spec's timeout.
    ///
    /// # Errors
    ///
    /// [`Error::NoRuntime`] outside a Tokio runtime (checked first, before any file is
    /// read); then [`Error::UnsupportedTarget`], [`Error::FileUnreadable`],
    /// [`Error::FileNotRegular`], [`Error::FileTooLarge`], [`Error::FileReadTimedOut`],
    /// [`Error::FileNotPem`], [`Error::ClientIdentity`], [`Error::TlsUnavailable`].
    pub fn connect_lazy(&self, spec: &ConnectionSpec) -> Result<MilvusConnection, Error> {
        // Checked first: without a runtime no file is read (a stuck one would hold this
        // thread for the whole timeout only to fail anyway).
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        // No server is started here: a `.db` target fails in `prepare`.
        let mut prepared = prepare(spec, self.pool.is_some(), None, Default::default())?;
        let _entered = prepared.span("milvus.connect_lazy").entered();
        let (channel, pooled) = match self.slot(&mut prepared) {
            Slot::Pooled(pooled) => Slot::reuse(pooled),
            Slot::Free(free) => free.fill(prepared.connect_channel_lazy()?),
        };
        Ok(prepared.into_connection(channel, pooled, self.clone()))
    }

    /// The pool's look-up for the prepared spec: its live channel, or the place a new
    /// channel goes (no pool: a channel of its own).
    fn slot(&self, prepared: &mut Prepared) -> Slot<'_> {
        let Some((pool, key)) = self.pool.as_ref().zip(prepared.key.take()) else {
            return Slot::Free(Free(None));
        };
        match pool.get(&key) {
            Some(pooled) => {
                tracing::debug!("reusing a pooled channel");
                Slot::Pooled(pooled)
            }
            None => Slot::Free(Free(Some((pool, key)))),
        }
    }
}

/// What the pool has for a spec ([`Connector::slot`]).
enum Slot<'a> {
    /// A live channel with the same identity.
    Pooled(Arc<PooledChannel>),
    /// None: a new channel is needed.
    Free(Free<'a>),
}

/// Where a new channel goes: into this pool under this key, or (no pool) nowhere.
struct Free<'a>(Option<(&'a ChannelPool, ChannelKey)>);

impl Slot<'_> {
    /// The pooled channel, and the pool entry the connection keeps alive.
    fn reuse(pooled: Arc<PooledChannel>) -> (Channel, Option<Arc<PooledChannel>>) {
        (pooled.channel.clone(), Some(pooled))
    }
}

impl Free<'_> {
    /// Puts a new channel in the pool, and returns the channel to use: the pool's (the new
    /// one, or one a concurrent connect put there first). Without a pool, the new channel,
    /// unpooled.
    fn fill(self, channel: Channel) -> (Channel, Option<Arc<PooledChannel>>) {
        match self.0 {
            Some((pool, key)) => Slot::reuse(pool.insert(key, channel)),
            None => (channel, None),
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
    /// The deadline [`MilvusService`](crate::MilvusService) gives a call that has none of its own.
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

/// The machine's host name (`ClientInfo.host` unless a connector sets its own), asked of the
/// OS once per process: a host renamed while the process runs keeps sending the old name
/// until it restarts, as a process that read it at start-up would.
fn machine_host_name() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| gethostname::gethostname().to_string_lossy().into_owned())
}
