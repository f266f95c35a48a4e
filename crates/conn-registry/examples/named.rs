//! Named connections, as pymilvus's `connections`: configure two aliases, connect them, look
//! them up by name, disconnect one. Runs against two in-process Milvus look-alikes (the
//! unpublished conn-test-server crate), so it needs no real Milvus:
//!
//! ```sh
//! cargo run -p conn-registry --example named
//! ```
//!
//! In an application, use the process-wide `conn_registry::connections()` (it resolves
//! against the process environment and `.env`) instead of building a `Registry`.
#![allow(clippy::print_stdout)]

use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
use conn_registry::{Registry, TonicTransport};
use conn_test_server::TestServer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let prod = TestServer::builder()
        .version("v2.5.0-prod")
        .serve_tcp()
        .await?;
    let staging = TestServer::builder()
        .version("v2.4.0-staging")
        .serve_tcp()
        .await?;

    // An empty environment, so MILVUS_* variables and .env of this machine play no part.
    let registry = Registry::with_resolver(
        TonicTransport::new(),
        Resolver::with_env(MapEnv::new()).dotenv(DotEnv::Disabled),
    );

    // add_connection stores (and checks) the arguments; nothing is connected yet.
    registry
        .add_connection("prod", ConnectArgs::new().uri(prod.uri()).token("prod-key"))
        .await?;
    registry
        .add_connection(
            "staging",
            ConnectArgs::new().uri(staging.uri()).db_name("test"),
        )
        .await?;
    println!("configured: {:?}", names(&registry));

    // connect(alias) with no arguments uses what was stored.
    registry.connect("prod", ConnectArgs::new()).await?;
    registry.connect("staging", ConnectArgs::new()).await?;

    // Call paths look connections up by alias, without a lock.
    for alias in ["prod", "staging"] {
        let conn = registry.fetch(alias)?;
        let addr = registry.get_connection_addr(alias)?;
        let db = addr.as_ref().map_or("?", |a| a.db_name().as_str());
        println!(
            "{alias:<8} {} db={db} version={}",
            conn.address(),
            conn.get_version().await?
        );
    }

    registry.disconnect("staging").await;
    println!(
        "after disconnect: staging connected = {}",
        registry.has_connection("staging")
    );
    Ok(())
}

fn names(registry: &Registry<TonicTransport, MapEnv>) -> Vec<String> {
    registry
        .list_connections()
        .into_iter()
        .map(|(alias, conn)| {
            format!(
                "{alias} ({})",
                if conn.is_some() {
                    "connected"
                } else {
                    "not connected"
                }
            )
        })
        .collect()
}
