//! Named connections, as pymilvus's `connections`: the default alias from the user's
//! environment, a second alias to the same server with its own timeout, then
//! `list_connections`, `get_connection_addr` and `disconnect`. Needs a running Milvus:
//!
//! ```sh
//! MILVUS_URI=http://localhost:19530 MILVUS_TOKEN=root:Milvus \
//!     cargo run -p conn-registry --example named
//! ```
//!
//! The input, highest first: explicit `ConnectArgs`, then the environment (`MILVUS_URI`,
//! `MILVUS_TOKEN`, `MILVUS_DB_NAME`, `MILVUS_CONN_TIMEOUT`), then a `.env` file, then
//! `http://localhost:19530`. Exits 2 when the input is invalid and 1 when a connection
//! fails, printing the error's kind and message (never a password or token).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error as StdError;
use std::process::ExitCode;

use conn_registry::conn_config::{ConnectArgs, ConnectionSpec};
use conn_registry::conn_transport_tonic::Error as TransportError;
use conn_registry::{Error, connections};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // What the default alias resolves to; every problem at once, each naming its source.
    let spec = match ConnectArgs::new().resolve() {
        Ok(spec) => spec,
        Err(errors) => {
            eprintln!("error: {errors}");
            return ExitCode::from(2);
        }
    };
    // `target: 127.0.0.1:19530 (tcp) (from MILVUS_URI (environment))`; secrets are never shown.
    for row in spec.explain() {
        println!("{row}");
    }
    match run(&spec).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = e.to_string();
            let mut cause = e.source();
            while let Some(c) = cause {
                message = format!("{message}: {c}");
                cause = c.source();
            }
            eprintln!("error ({}): {message}", kind(&*e));
            ExitCode::FAILURE
        }
    }
}

/// The transport's kind of error (`unreachable`, `authentication`, `tls`, …), what a caller
/// branches on; `registry` for the registry's own errors (a bad alias, say).
fn kind(e: &(dyn StdError + 'static)) -> &'static str {
    if let Some(e) = e.downcast_ref::<TransportError>() {
        return e.kind().as_str();
    }
    match e.downcast_ref::<Error<TransportError>>() {
        Some(Error::Connect { source, .. }) => source.kind().as_str(),
        _ => "registry",
    }
}

async fn run(spec: &ConnectionSpec) -> Result<(), Box<dyn StdError>> {
    // Process-wide, like pymilvus's `connections`; it resolves against the environment and
    // `.env` at each operation.
    let registry = connections();

    // pymilvus's `connections.connect()`: no arguments, so the environment decides.
    let default = spec.alias().as_str();
    registry.connect(default, ConnectArgs::new()).await?;

    // A second alias to the same server with a longer timeout, for batch jobs: the default's
    // arguments (target, credentials, database, TLS) under another name. An alias can also
    // name another database (`.db_name("analytics")`), once that database exists: Milvus
    // refuses to connect to one that does not.
    let batch = spec.to_connect_args().alias("batch").timeout(60);
    registry.add_connection("batch", batch).await?;
    registry.connect("batch", ConnectArgs::new()).await?;

    // Call paths look a connection up by alias, without a lock.
    for (alias, connection) in registry.list_connections() {
        let Some(connection) = connection else {
            continue;
        };
        println!(
            "{alias}: timeout {:?}, identifier {}, server version {}",
            connection.timeout(),
            connection.identifier().unwrap_or_default(),
            connection.get_version().await?,
        );
    }
    // Address, user, database and TLS of each alias; never a secret.
    for alias in [default, "batch"] {
        if let Some(addr) = registry.get_connection_addr(alias)? {
            println!("{addr}");
        }
    }

    // disconnect closes the connection and keeps the alias's configuration.
    registry.disconnect("batch").await;
    for (alias, connection) in registry.list_connections() {
        let state = if connection.is_some() {
            "connected"
        } else {
            "configured, not connected"
        };
        println!("after disconnect: {alias} {state}");
    }
    registry.disconnect(default).await;
    Ok(())
}
