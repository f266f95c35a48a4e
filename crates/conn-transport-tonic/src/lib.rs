//! From a resolved [`conn_config::ConnectionSpec`] to a live, handshaken tonic channel to
//! Milvus.
//!
//! | step | what happens | bounded by |
//! |---|---|---|
//! | check | a milvus-lite `.db` target is refused; TLS files are read and checked as PEM | (no network I/O) |
//! | endpoint | `http://host:port`, `https://host:port` or a Unix socket, from the spec's parts; TCP_NODELAY; HTTP/2 keepalive every 10 s, 5 s to answer, also while idle | |
//! | connect | TCP (or Unix socket), then TLS through rustls: platform roots, the spec's CA files, a client certificate, `server_name` | the spec's timeout |
//! | handshake | Milvus's `Connect` RPC with a `ClientInfo` (sdk_type, sdk_version, local_time, user, host, reserved); its `ServerInfo` and identifier are kept | the same timeout (one deadline for both steps) |
//! | every call | [`MilvusInterceptor`] adds `authorization` (if credentials), `dbname`, and `identifier` (after the handshake) | |
//!
//! Failures come back as one [`Error`] whose [`kind`](Error::kind) tells the class:
//! unreachable, timed out, TLS (untrusted certificate, name mismatch, client certificate
//! required, …), authentication, server status, unimplemented (not a Milvus gRPC port),
//! a bad local file, an unsupported target.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let spec = conn_config::ConnectArgs::new()
//!     .uri("https://milvus.example.com:19530")
//!     .user("root")
//!     .password("Milvus")
//!     .ca_pem_path("/etc/milvus/ca.pem")
//!     .resolve()?;
//! let connection = conn_transport_tonic::Connector::new()
//!     .sdk_type("MyRustSdk")
//!     .sdk_version("1.2.3")
//!     .connect(&spec)
//!     .await?;
//! println!("server {}", connection.get_version().await?);
//! // Hand `connection.service()` to your own generated MilvusServiceClient.
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `tls-ring` | yes | rustls with the *ring* crypto backend |
//! | `tls-aws-lc` | no | rustls with the aws-lc-rs crypto backend (needs cmake) |
//! | `tls-native-roots` | yes | trust the operating system's root certificates when no CA file is given |
//! | `tls-webpki-roots` | no | trust Mozilla's roots compiled into the binary when no CA file is given |
//! | `test-server` | no | the `test_server` module: an in-process Milvus look-alike for tests and benches |
//!
//! Without any `tls-*` feature, a spec that asks for TLS fails with
//! [`Error::TlsUnavailable`] (after its files have been checked).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod connect;
mod error;
mod interceptor;
mod pool;
mod tls;

#[cfg(feature = "test-server")]
pub mod test_server;

pub use connect::{
    Connector, DEFAULT_SDK_TYPE, DEFAULT_SDK_VERSION, Handshake, Health, KEEPALIVE_INTERVAL,
    KEEPALIVE_TIMEOUT, MilvusConnection, MilvusService, connect, connect_lazy,
};
pub use error::{BoxError, Error, ErrorKind, TlsFileField, TlsProblem};
pub use interceptor::{AUTHORIZATION, DBNAME, IDENTIFIER, MilvusInterceptor};
pub use pool::ChannelPool;
pub use proto::common::{ClientInfo, ServerInfo};
pub use proto::milvus::QuotaState;

/// The few Milvus protobuf messages this crate uses (`Connect`, `GetVersion`,
/// `CheckHealth`, `common.Status`), compiled from this crate's own minimal `.proto` files
/// (`proto/` in the source), and a client for them.
///
/// These are not the full Milvus API: a downstream SDK generates its own client from
/// milvus-proto and plugs in [`MilvusConnection::service`]. Messages here decode replies
/// from a real Milvus (unknown fields are skipped).
pub mod proto {
    /// Package `milvus.proto.common`: `Status`, `ClientInfo`, `ServerInfo`.
    pub mod common {
        #![allow(missing_docs, clippy::all, unreachable_pub)]
        include!("generated/common.rs");
    }
    /// Package `milvus.proto.milvus`: the `Connect`, `GetVersion` and `CheckHealth`
    /// messages and `MilvusService` client.
    pub mod milvus {
        #![allow(missing_docs, clippy::all, unreachable_pub)]
        include!("generated/milvus.rs");
    }
}

/// The README's example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
