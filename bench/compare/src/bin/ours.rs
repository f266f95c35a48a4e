//! This project: `ConnectArgs` -> `resolve()` (process environment and `.env` search, as an
//! application would) -> `Connector::connect` (channel + `Connect` handshake), then
//! `MilvusConnection::get_version`.
//!
//! `--variant service`: the calls go through one generated client on
//! `MilvusConnection::service()` instead (the interceptor, without `get_version`'s deadline),
//! to tell the interceptor's share from the rest. `--variant spec-once`: resolve once, and
//! time `Connector::connect` alone. `--variant pooled`: the connector has a `ChannelPool`
//! (as the registry's transport does) and one connection stays open, so each timed connect
//! is another alias on the shared channel: `resolve()` and its own `Connect` handshake, no
//! TCP or HTTP/2 set-up. `--variant isolated`: `resolve_isolated()` (no process environment,
//! no `.env` search), to tell their share of a first connect.

use conn_config::ConnectArgs;
use conn_transport_tonic::{ChannelPool, Connector};
use milvus_conn_compare::{BoxError, Options, Report, time};
use milvus_conn_sdk_client::milvus::GetVersionRequest;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;

/// The arguments an application gives: URI, token and, for TLS with a CA file, the file.
fn args(options: &Options) -> ConnectArgs {
    let args = ConnectArgs::new()
        .uri(options.uri.as_str())
        .token(options.token.as_str());
    match &options.ca {
        Some(ca) => args.ca_pem_path(ca.as_str()),
        None => args,
    }
}

async fn connect(options: &Options) -> Result<conn_transport_tonic::MilvusConnection, BoxError> {
    let spec = if options.variant == "isolated" {
        args(options).resolve_isolated()?
    } else {
        args(options).resolve()?
    };
    Ok(Connector::new().connect(&spec).await?)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse("milvus-conn (this project)")?;
    let (first_connect_ms, first) = time(|| connect(&options)).await?;
    drop(first);
    let mut connect_ms = Vec::with_capacity(options.iterations);
    if options.variant == "spec-once" {
        // Resolve once; time Connector::connect alone.
        let spec = args(&options).resolve()?;
        let connector = Connector::new();
        for _ in 0..options.iterations {
            let (ms, connection) = time(|| async { Ok(connector.connect(&spec).await?) }).await?;
            connect_ms.push(ms);
            drop(connection);
        }
    } else if options.variant == "pooled" {
        let connector = Connector::new().channel_pool(ChannelPool::new());
        let resolve = || args(&options).resolve();
        let _holder = connector.connect(&resolve()?).await?;
        for _ in 0..options.iterations {
            let (ms, connection) =
                time(|| async { Ok(connector.connect(&resolve()?).await?) }).await?;
            connect_ms.push(ms);
            drop(connection);
        }
        if connector.pool().map(ChannelPool::len) != Some(1) {
            return Err("the pooled connects did not share one channel".into());
        }
    } else {
        for _ in 0..options.iterations {
            let (ms, connection) = time(|| connect(&options)).await?;
            connect_ms.push(ms);
            drop(connection);
        }
    }
    let connection = connect(&options).await?;
    let mut server_version = String::new();
    for _ in 0..5 {
        server_version = connection.get_version().await?;
    }
    let mut get_version_ms = Vec::with_capacity(options.iterations);
    match options.variant.as_str() {
        "default" | "spec-once" | "pooled" | "isolated" => {
            for _ in 0..options.iterations {
                let (ms, _) = time(|| async { Ok(connection.get_version().await?) }).await?;
                get_version_ms.push(ms);
            }
        }
        "service" => {
            let mut client = MilvusServiceClient::new(connection.service());
            for _ in 0..options.iterations {
                let started = std::time::Instant::now();
                client.get_version(GetVersionRequest {}).await?;
                get_version_ms.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        other => return Err(format!("unknown variant {other}").into()),
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
