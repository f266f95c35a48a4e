//! Named Milvus connections with the operations of pymilvus's `connections` object,
//! over any [`Transport`].
//!
//! | operation | what it does |
//! |---|---|
//! | [`add_connection`](Registry::add_connection) | checks that the arguments resolve, stores them for the alias |
//! | [`connect`](Registry::connect) | resolves `explicit > stored > environment > .env > defaults`, connects once, returns the connection |
//! | [`disconnect`](Registry::disconnect) | closes the connection, keeps the configuration |
//! | [`remove_connection`](Registry::remove_connection) | closes the connection, forgets the configuration |
//! | [`has_connection`](Registry::has_connection) | connected (not merely configured) |
//! | [`list_connections`](Registry::list_connections) | aliases in insertion order, each with its connection or `None` |
//! | [`get_connection_addr`](Registry::get_connection_addr) | a [`ConnectionAddr`]: address, user, database, TLS; no secret |
//! | [`get`](Registry::get) / [`fetch`](Registry::fetch) | the live connection, lock-free |
//! | [`reader`](Registry::reader) | a [`Reader`]: the same look-up for one thread or task, without atomic read-modify-writes |
//!
//! Where this differs from pymilvus, on purpose (numbers from the project's
//! `docs/deviations.md`): arguments stored with `add_connection` beat `MILVUS_URI` (6); a
//! failed connect keeps the stored arguments (13); reconnecting a connected alias compares
//! the whole resolved spec, secrets included but never shown, and returns the same
//! connection when nothing differs (14). `docs/registry.md` has the full table.
//!
//! A [`Registry`] is a value you create, over a transport and a
//! [`Resolver`](conn_config::Resolver).
//!
//! # Features
//!
//! `tonic` (on by default): `TonicTransport`, which connects through
//! `conn-transport-tonic`, and `connections()`, the process-wide registry over it (pymilvus's
//! `connections`). `lite` (off by default; implies `tonic`): conn-transport-tonic's `lite`
//! feature, so that an alias with a `.db` target starts Milvus Lite and its last
//! `disconnect` (with no connection handed out still alive) stops it.
#![cfg_attr(
    feature = "tonic",
    doc = r#"
See [`TonicTransport`] and [`connections()`].

```no_run
# async fn run() -> Result<(), Box<dyn std::error::Error>> {
use conn_config::ConnectArgs;
use conn_registry::connections;

connections()
    .add_connection("analytics", ConnectArgs::new().uri("https://analytics.example.com").token("…"))
    .await?;
connections().connect("analytics", ConnectArgs::new()).await?;
// Every call path then looks the connection up by alias, without a lock:
let conn = connections().fetch("analytics")?;
println!("{}", conn.get_version().await?);
# Ok(()) }
```
"#
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod addr;
mod error;
mod registry;
#[cfg(feature = "tonic")]
mod tonic;
mod transport;

pub use addr::ConnectionAddr;
pub use error::Error;
pub use registry::{Reader, Registry};
pub use transport::Transport;

#[cfg(feature = "tonic")]
pub use crate::tonic::{TonicTransport, connections};
/// conn-config, whose types ([`ConnectArgs`](conn_config::ConnectArgs),
/// [`ConnectionSpec`](conn_config::ConnectionSpec), [`Field`](conn_config::Field),
/// [`Errors`](conn_config::Errors), …) appear throughout this crate's API. Use this
/// re-export (and `conn_config::secrecy`), so the versions match.
pub use conn_config;
/// The tonic transport crate, for [`MilvusConnection`](conn_transport_tonic::MilvusConnection),
/// [`Connector`](conn_transport_tonic::Connector) and its error type.
#[cfg(feature = "tonic")]
pub use conn_transport_tonic;

/// The README's example, run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
