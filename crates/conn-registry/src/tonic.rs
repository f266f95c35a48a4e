//! The tonic transport (feature `tonic`, on by default) and the process-wide registry over it.

use std::sync::{Arc, OnceLock};

use conn_config::ConnectionSpec;
use conn_transport_tonic::{Connector, MilvusConnection};

use crate::registry::Registry;
use crate::transport::Transport;

/// [`Transport`] over `conn-transport-tonic`: a tonic channel per alias, connected and
/// handshaken (`Connect` RPC) within the spec's timeout.
///
/// Connections are `Arc<MilvusConnection>`, so handing one out is a reference count, not a
/// copy of the connection's settings. Closing drops the registry's handle; the channel
/// closes when the last clone handed out is dropped too.
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
#[derive(Clone, Debug, Default)]
pub struct TonicTransport {
    connector: Connector,
}

impl TonicTransport {
    /// The default [`Connector`] (`ClientInfo.sdk_type` "Rust").
    pub fn new() -> TonicTransport {
        TonicTransport::default()
    }

    /// Connects with this connector (the `ClientInfo` a downstream SDK sends).
    pub fn with_connector(connector: Connector) -> TonicTransport {
        TonicTransport { connector }
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
