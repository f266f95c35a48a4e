//! The official Rust SDK, milvus-sdk-rust 3.0.3: `ClientV2::new(&ConnectConfig)` (a lazy
//! channel, then its `Connect` handshake in `wait_for_server`), then
//! `ClientV2::server_version` (`GetVersion`). Default settings otherwise (telemetry on, as
//! a user gets it).

use milvus::v2::prelude::{ClientV2, ConnectConfig, GetServerVersionRequest};
use milvus_conn_compare::{BoxError, Options, Report, time};

async fn connect(options: &Options) -> Result<ClientV2, BoxError> {
    let config = ConnectConfig::new()
        .uri(options.uri.as_str())
        .token(options.token.as_str());
    // TLS with a CA file; an https:// URI without one uses the platform's roots (tonic's
    // native roots, which honour SSL_CERT_FILE).
    let config = match &options.ca {
        Some(ca) => config.ca_certificate(ca.as_str()),
        None => config,
    };
    Ok(ClientV2::new(&config).await?)
}

async fn version(client: &ClientV2) -> Result<String, BoxError> {
    let request = GetServerVersionRequest::builder().build()?;
    Ok(client.server_version(request).await?.version().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse("milvus-sdk-rust 3.0.3 ClientV2")?;
    let (first_connect_ms, first) = time(|| connect(&options)).await?;
    drop(first);
    let mut connect_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let (ms, client) = time(|| connect(&options)).await?;
        connect_ms.push(ms);
        drop(client);
    }
    let client = connect(&options).await?;
    let mut server_version = String::new();
    for _ in 0..5 {
        server_version = version(&client).await?;
    }
    let mut get_version_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let (ms, _) = time(|| version(&client)).await?;
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
