//! From a [`ConnectionSpec`] to a [`MilvusConnection`], in three parts:
//!
//! | file | job |
//! |---|---|
//! | `builder.rs` | [`Connector`]: the `ClientInfo` settings, the pool, [`CallDefaults`]; `connect` and `connect_lazy` |
//! | `connection.rs` | [`MilvusConnection`]: running the `Connect` handshake, `GetVersion`, `CheckHealth` ([`Health`]) |
//! | `handshake.rs` | [`Handshake`], and the cell that runs it for a connection and its clones (in a task of its own, shared by its waiters) |
//! | `dialer.rs` | `prepare` (target, endpoint, TLS, before any network I/O), the dialer under HTTP/2, deadlines |

use conn_config::ConnectionSpec;

use crate::error::Error;

mod builder;
mod connection;
mod dialer;
mod handshake;
#[cfg(test)]
mod tests;

pub use builder::{CallDefaults, Connector, DEFAULT_SDK_TYPE, DEFAULT_SDK_VERSION};
pub use connection::{Health, MilvusConnection};
pub use dialer::{KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT};
pub(crate) use dialer::{deadline_after, grpc_timeout};
pub use handshake::Handshake;

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
