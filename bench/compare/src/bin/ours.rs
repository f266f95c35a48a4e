//! This project: `ConnectArgs` -> `resolve()` (process environment and `.env` search, as an
//! application would) -> `Connector::connect` (channel + `Connect` handshake), then
//! `MilvusConnection::get_version`.

use conn_config::ConnectArgs;
use conn_transport_tonic::Connector;
use milvus_conn_compare::{BoxError, Options, Report, time};

async fn connect(options: &Options) -> Result<conn_transport_tonic::MilvusConnection, BoxError> {
    let spec = ConnectArgs::new()
        .uri(options.uri.as_str())
        .token(options.token.as_str())
        .resolve()?;
    Ok(Connector::new().connect(&spec).await?)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse("milvus-conn (this project)")?;
    let (first_connect_ms, first) = time(|| connect(&options)).await?;
    drop(first);
    let mut connect_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let (ms, connection) = time(|| connect(&options)).await?;
        connect_ms.push(ms);
        drop(connection);
    }
    let connection = connect(&options).await?;
    let mut server_version = String::new();
    for _ in 0..5 {
        server_version = connection.get_version().await?;
    }
    let mut get_version_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let (ms, _) = time(|| async { Ok(connection.get_version().await?) }).await?;
        get_version_ms.push(ms);
    }
    Report {
        label: options.label,
        server_version,
        first_connect_ms,
        connect_ms,
        get_version_ms,
    }
    .print();
    Ok(())
}
