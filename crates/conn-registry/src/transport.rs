//! The plug between the registry and a network stack.

use std::future::Future;

use conn_config::ConnectionSpec;

/// Turns a resolved [`ConnectionSpec`] into a live connection, and closes it again.
///
/// The registry calls [`connect`](Transport::connect) at most once per alias at a time and
/// hands the connection out by cloning it, so a connection is a cheap handle
/// (`tonic::transport::Channel`, or an `Arc` around anything heavier). The registry calls
/// [`close`](Transport::close) with its own handle when an alias is disconnected; clones
/// handed out earlier stay usable for as long as the transport lets them.
///
/// ```
/// use conn_config::ConnectionSpec;
/// use conn_registry::Transport;
///
/// /// A transport that "connects" by remembering the address.
/// struct Echo;
///
/// impl Transport for Echo {
///     type Connection = std::sync::Arc<str>;
///     type Error = std::io::Error;
///
///     async fn connect(&self, spec: &ConnectionSpec) -> Result<Self::Connection, Self::Error> {
///         Ok(spec.target().address().into())
///     }
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// A live connection: a handle that is cheap to clone and safe to share.
    type Connection: Clone + Send + Sync + 'static;

    /// Why a connection could not be made.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Opens a connection as the spec says (target, TLS, credentials, database, timeout).
    ///
    /// The spec is already validated; a transport converts it and does not check it again.
    /// Keep the spec's timeout: every caller of the alias that arrives while this runs
    /// waits for its outcome (see [`Registry::connect`](crate::Registry::connect)).
    ///
    /// # Errors
    ///
    /// The transport's own error: unreachable, TLS, authentication, and so on.
    fn connect(
        &self,
        spec: &ConnectionSpec,
    ) -> impl Future<Output = Result<Self::Connection, Self::Error>> + Send;

    /// Closes the registry's handle of a connection. The default drops it, which is all a
    /// tonic channel needs.
    fn close(&self, connection: Self::Connection) -> impl Future<Output = ()> + Send {
        async move { drop(connection) }
    }
}
