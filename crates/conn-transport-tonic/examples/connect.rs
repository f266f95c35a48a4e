//! Connect to Milvus as an SDK does: resolve the user's input by pymilvus's rules, open a
//! handshaken channel, and ask for the server's version. Prints every resolved value with
//! where it came from, and what the `Connect` handshake returned. Needs a running Milvus:
//!
//! ```sh
//! MILVUS_URI=http://localhost:19530 MILVUS_TOKEN=root:Milvus \
//!     cargo run -p conn-transport-tonic --example connect
//! ```
//!
//! The input, highest first: explicit `ConnectArgs` (none here), then the environment
//! (`MILVUS_URI`, `MILVUS_TOKEN`, `MILVUS_DB_NAME`, `MILVUS_CONN_TIMEOUT`), then a `.env`
//! file, then `http://localhost:19530`. Exits 2 when the input is invalid and 1 when the
//! connection fails, printing the error's kind and message (never a password or token).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error as _;
use std::process::ExitCode;

use conn_config::ConnectArgs;
use conn_transport_tonic::Connector;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Every problem at once, each naming its field and where the value came from.
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

    // Your SDK's name and version go into the handshake (the server logs them).
    let connector = Connector::new()
        .sdk_type("ExampleSdk")
        .sdk_version(env!("CARGO_PKG_VERSION"));
    let connection = match connector.connect(&spec).await {
        Ok(connection) => connection,
        Err(e) => return fail(&e),
    };
    println!("connected to {}", connection.address());
    // The identifier the server gave this client; every later call carries it.
    match connection.identifier() {
        Some(identifier) => println!("identifier: {identifier}"),
        None => println!("identifier: none (the server has no Connect RPC)"),
    }
    if let Some(info) = connection.server_info() {
        println!(
            "server info: build {} ({}), git {}, deploy mode {}",
            info.build_tags(),
            info.build_time(),
            info.git_commit(),
            info.deploy_mode()
        );
    }
    match connection.get_version().await {
        Ok(version) => println!("server version: {version}"),
        Err(e) => return fail(&e),
    }
    // Hand `connection.service()` to the MilvusServiceClient your SDK generates.
    ExitCode::SUCCESS
}

/// Prints the error's kind (what a caller branches on: `unreachable`, `authentication`,
/// `tls`, …) and its message with its causes, then exits 1.
fn fail(e: &conn_transport_tonic::Error) -> ExitCode {
    let mut message = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        message = format!("{message}: {c}");
        cause = c.source();
    }
    eprintln!("error ({}): {message}", e.kind());
    ExitCode::FAILURE
}
