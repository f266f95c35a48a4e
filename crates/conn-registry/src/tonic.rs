//! The tonic transport (feature `tonic`, on by default) and the process-wide registry over it.

use std::sync::{Arc, OnceLock};

use conn_config::ConnectionSpec;
use conn_transport_tonic::{ChannelPool, Connector, MilvusConnection};

use crate::registry::Registry;
use crate::transport::Transport;

/// [`Transport`] over `conn-transport-tonic`: each alias connected and handshaken
/// (`Connect` RPC) within the spec's timeout.
///
/// Aliases whose specs have the same channel identity (target, connect timeout, TLS
/// material and server name) share one tonic channel, through a [`ChannelPool`] of this
/// transport: one socket and one server-side connection, not one per alias. Each alias
/// still sends its own credentials and database, and runs its own `Connect` handshake (its
/// own identifier). [`TonicTransport::with_dedicated_channels`] opens a channel per alias
/// instead.
///
/// Connections are `Arc<MilvusConnection>`, so handing one out is a reference count, not a
/// copy of the connection's settings. Closing drops the registry's handle; the channel
/// closes when the last connection on it (clones handed out included) is dropped.
///
/// ```
/// use conn_registry::{Registry, TonicTransport};
/// use conn_transport_tonic::Connector;
///
/// // A registry of its own, sending this SDK's name in the Connect handshake.
/// let registry = Registry::new(TonicTransport::with_connector(
///     Connector::new().sdk_type("MyRustSdk").sdk_version("1.2.3"),
/// ));
/// assert!(registry.list_connections().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct TonicTransport {
    connector: Connector,
}

impl Default for TonicTransport {
    fn default() -> Self {
        TonicTransport::new()
    }
}

impl TonicTransport {
    /// The default [`Connector`] (`ClientInfo.sdk_type` "Rust"), sharing channels between
    /// aliases through a pool of its own.
    pub fn new() -> TonicTransport {
        TonicTransport::with_connector(Connector::new())
    }

    /// Connects with this connector (the `ClientInfo` a downstream SDK sends). Aliases share
    /// channels through the connector's [`ChannelPool`], or through a new one when it has
    /// none.
    pub fn with_connector(connector: Connector) -> TonicTransport {
        let connector = match connector.pool() {
            Some(_) => connector,
            None => connector.channel_pool(ChannelPool::new()),
        };
        TonicTransport { connector }
    }

    /// Connects with this connector, each alias on a channel of its own (one TCP connection
    /// per alias, as pymilvus's `connections` does).
    pub fn with_dedicated_channels(connector: Connector) -> TonicTransport {
        TonicTransport {
            connector: connector.dedicated_channels(),
        }
    }

    /// The connector.
    pub fn connector(&self) -> &Connector {
        &self.connector
    }
}

impl Transport for TonicTransport {
    type Connection = Arc<MilvusConnection>;
    type Error = conn_transport_tonic::Error;

    /// [`Connector::connect`]: TCP or Unix socket, TLS, HTTP/2 and the `Connect` handshake.
    async fn connect(&self, spec: &ConnectionSpec) -> Result<Self::Connection, Self::Error> {
        self.connector.connect(spec).await.map(Arc::new)
    }
}

/// The process-wide registry over the tonic transport: pymilvus's `connections`.
///
/// Created on first use; creating it reads nothing. It resolves against the process
/// environment and a `.env` file searched from the current directory, at each operation.
/// For another environment or another [`Connector`], make a [`Registry`] of your own.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use conn_config::ConnectArgs;
/// use conn_registry::connections;
///
/// connections()
///     .connect("default", ConnectArgs::new().uri("http://localhost:19530"))
///     .await?;
/// let conn = connections().fetch("default")?;
/// println!("{}", conn.get_version().await?);
/// connections().disconnect("default").await;
/// # Ok(()) }
/// ```
pub fn connections() -> &'static Registry<TonicTransport> {
    static CONNECTIONS: OnceLock<Registry<TonicTransport>> = OnceLock::new();
    CONNECTIONS.get_or_init(|| Registry::new(TonicTransport::new()))
}
