//! The floor: a hand-written tonic 0.14 client with no resolver, no error classification
//! and no timeouts. `Endpoint::connect` (TCP + HTTP/2), then one `Connect` RPC through a
//! closure interceptor that adds `authorization` and `dbname`; `GetVersion` through the
//! same client. The messages are this project's generated ones (the wire format is
//! Milvus's).

use conn_transport_tonic::proto::common::ClientInfo;
use conn_transport_tonic::proto::milvus::milvus_service_client::MilvusServiceClient;
use conn_transport_tonic::proto::milvus::{ConnectRequest, GetVersionRequest};
use base64::Engine as _;
use milvus_conn_compare::{BoxError, Options, Report, time};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

type Headers = Box<dyn FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Send>;
type Client = MilvusServiceClient<InterceptedService<Channel, Headers>>;

async fn connect(endpoint: &Endpoint, authorization: &MetadataValue<Ascii>) -> Result<Client, BoxError> {
    let channel = endpoint.connect().await?;
    let authorization = authorization.clone();
    let dbname: MetadataValue<Ascii> = MetadataValue::from_static("default");
    let headers: Headers = Box::new(move |mut request: tonic::Request<()>| {
        request.metadata_mut().insert("authorization", authorization.clone());
        request.metadata_mut().insert("dbname", dbname.clone());
        Ok(request)
    });
    let mut client = MilvusServiceClient::with_interceptor(channel, headers);
    let response = client
        .connect(ConnectRequest {
            client_info: Some(ClientInfo {
                sdk_type: "Rust".to_owned(),
                sdk_version: "0.0.0".to_owned(),
                ..ClientInfo::default()
            }),
        })
        .await?
        .into_inner();
    if response.status.as_ref().is_some_and(|s| s.code != 0 || s.error_code != 0) {
        return Err(format!("Connect refused: {:?}", response.status).into());
    }
    Ok(client)
}

async fn version(client: &mut Client) -> Result<String, BoxError> {
    Ok(client.get_version(GetVersionRequest {}).await?.into_inner().version)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse("floor: hand-written tonic 0.14")?;
    let endpoint = Endpoint::from_shared(options.uri.clone())?.tcp_nodelay(true);
    let authorization: MetadataValue<Ascii> = base64::engine::general_purpose::STANDARD
        .encode(options.token.as_bytes())
        .parse()?;
    let (first_connect_ms, first) = time(|| connect(&endpoint, &authorization)).await?;
    drop(first);
    let mut connect_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let (ms, client) = time(|| connect(&endpoint, &authorization)).await?;
        connect_ms.push(ms);
        drop(client);
    }
    let mut client = connect(&endpoint, &authorization).await?;
    let mut server_version = String::new();
    for _ in 0..5 {
        server_version = version(&mut client).await?;
    }
    let mut get_version_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let started = std::time::Instant::now();
        version(&mut client).await?;
        get_version_ms.push(started.elapsed().as_secs_f64() * 1e3);
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
