//! Connect to an in-process Milvus look-alike (conn-test-server), do the `Connect`
//! handshake and `GetVersion`, and show what the server received. No network beyond
//! 127.0.0.1, no real Milvus:
//!
//! ```sh
//! cargo run -p conn-transport-tonic --example connect
//! ```
//!
//! Against a real server, drop the test server and resolve your own arguments:
//! `ConnectArgs::new().uri("http://localhost:19530").resolve()?`.
#![allow(clippy::print_stdout)]

use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
use conn_test_server::TestServer;
use conn_transport_tonic::Connector;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A server on 127.0.0.1:<free port> that answers like Milvus 2.x.
    let server = TestServer::builder()
        .version("v2.5.0-example")
        .identifier(42)
        .serve_tcp()
        .await?;

    // Resolve against an empty environment, so MILVUS_* variables and .env of the machine
    // running the example do not change what it does.
    let spec = Resolver::with_env(MapEnv::new())
        .dotenv(DotEnv::Disabled)
        .resolve(&ConnectArgs::new().uri(server.uri()).db_name("analytics"))?;

    let connection = Connector::new()
        .sdk_type("ExampleSdk")
        .sdk_version("0.1.0")
        .connect(&spec)
        .await?;
    println!("connected to {}", connection.address());
    println!("identifier  {:?}", connection.identifier());
    println!("version     {}", connection.get_version().await?);

    // Every call carried Milvus's headers; the server recorded them.
    for call in server.calls() {
        println!(
            "{:<11} dbname={} identifier={}",
            call.rpc,
            call.header("dbname").unwrap_or("-"),
            call.header("identifier").unwrap_or("-"),
        );
    }
    Ok(())
}
