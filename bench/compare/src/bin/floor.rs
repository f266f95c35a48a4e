//! The floor: a hand-written tonic 0.14 client with no resolver, no error classification
//! and no timeouts. `Endpoint::connect` (TCP + HTTP/2), then one `Connect` RPC through a
//! closure interceptor that adds `authorization` and `dbname`; `GetVersion` through the
//! same client. The messages are generated from milvus-proto (`tests/sdk-client`, the
//! client an SDK generates).
//!
//! `--variant ours-headers`: the closure adds `identifier` too (the server's, from the
//! `Connect` reply), and each `GetVersion` carries the deadline `MilvusConnection::get_version`
//! sets (a 10 s `grpc-timeout` header and `tokio::time::timeout_at`): the floor with exactly
//! our wire headers, to tell the server's share from ours.
//!
//! TLS (`https://`): tonic's own rustls, configured once per process when the endpoint is
//! made (which the first connect's time includes): `--ca` read into the configuration, or
//! tonic's native roots (rustls-native-certs, which honours `SSL_CERT_FILE`).
//!
//! `--variant fresh-tls`: every connect makes its endpoint (and so its TLS configuration)
//! anew, as ours and milvus-sdk-rust do: no TLS session is resumed across connects.
//!
//! `--variant ours-endpoint`: the endpoint gets the settings conn-transport-tonic gives its
//! own (connect timeout, HTTP/2 keepalive every 10 s with a 5 s timeout, also while idle).
//! `--variant ours-connect`: the `Connect` request carries the `ClientInfo` ours sends
//! (host, local time, user) and our deadline.

use milvus_conn_sdk_client::common::ClientInfo;
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use milvus_conn_sdk_client::milvus::{ConnectRequest, GetVersionRequest};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use milvus_conn_compare::{BoxError, Options, Report, time};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

type Headers =
    Box<dyn FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Send>;
type Client = MilvusServiceClient<InterceptedService<Channel, Headers>>;

async fn connect(
    endpoint: &Endpoint,
    authorization: &MetadataValue<Ascii>,
    send_identifier: bool,
    ours_connect: Option<&ClientInfo>,
) -> Result<Client, BoxError> {
    let channel = endpoint.connect().await?;
    let authorization = authorization.clone();
    let dbname: MetadataValue<Ascii> = MetadataValue::from_static("default");
    let identifier = Arc::new(OnceLock::<MetadataValue<Ascii>>::new());
    let set_identifier = identifier.clone();
    let headers: Headers = Box::new(move |mut request: tonic::Request<()>| {
        if let Some(identifier) = identifier.get() {
            request
                .metadata_mut()
                .insert("identifier", identifier.clone());
        }
        request
            .metadata_mut()
            .insert("authorization", authorization.clone());
        request.metadata_mut().insert("dbname", dbname.clone());
        Ok(request)
    });
    let mut client = MilvusServiceClient::with_interceptor(channel, headers);
    let response = match ours_connect {
        None => client
            .connect(ConnectRequest {
                base: None,
                client_info: Some(ClientInfo {
                    sdk_type: "Rust".to_owned(),
                    sdk_version: "0.0.0".to_owned(),
                    ..ClientInfo::default()
                }),
            })
            .await?
            .into_inner(),
        Some(info) => {
            let mut request = tonic::Request::new(ConnectRequest {
                base: None,
                client_info: Some(info.clone()),
            });
            request.set_timeout(Duration::from_secs(10));
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            tokio::time::timeout_at(deadline, client.connect(request))
                .await??
                .into_inner()
        }
    };
    // error_code: the legacy code Milvus 2.3 still fills in.
    #[allow(deprecated)]
    if response
        .status
        .as_ref()
        .is_some_and(|s| s.code != 0 || s.error_code != 0)
    {
        return Err(format!("Connect refused: {:?}", response.status).into());
    }
    if send_identifier {
        let _ = set_identifier.set(MetadataValue::from(response.identifier));
    }
    Ok(client)
}

async fn version(client: &mut Client, with_deadline: bool) -> Result<String, BoxError> {
    if !with_deadline {
        return Ok(client
            .get_version(GetVersionRequest {})
            .await?
            .into_inner()
            .version);
    }
    let mut request = tonic::Request::new(GetVersionRequest {});
    request.set_timeout(Duration::from_secs(10));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let response = tokio::time::timeout_at(deadline, client.get_version(request)).await??;
    Ok(response.into_inner().version)
}

/// The endpoint, with tonic's TLS when the URI is `https://`.
fn endpoint(options: &Options) -> Result<Endpoint, BoxError> {
    let endpoint = Endpoint::from_shared(options.uri.clone())?.tcp_nodelay(true);
    if !options.tls() {
        return Ok(endpoint);
    }
    let tls = match &options.ca {
        Some(ca) => {
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(std::fs::read(ca)?))
        }
        None => ClientTlsConfig::new().with_native_roots(),
    };
    Ok(endpoint.tls_config(tls)?)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse("floor: hand-written tonic 0.14")?;
    // Made in the first connect's time (with TLS, that is where the roots are loaded).
    let started = std::time::Instant::now();
    let endpoint = endpoint(&options)?;
    let endpoint_ms = started.elapsed().as_secs_f64() * 1e3;
    let authorization: MetadataValue<Ascii> = base64::engine::general_purpose::STANDARD
        .encode(options.token.as_bytes())
        .parse()?;
    let (ours_headers, ours_endpoint) = match options.variant.as_str() {
        "default" => (false, false),
        "ours-headers" => (true, false),
        "ours-endpoint" => (false, true),
        "ours-connect" | "fresh-tls" => (false, false),
        other => return Err(format!("unknown variant {other}").into()),
    };
    // `ours-connect`: the Connect request carries our ClientInfo (host, local_time, user)
    // and our deadline.
    let info = (options.variant == "ours-connect").then(|| {
        let spec = conn_config::ConnectArgs::new()
            .uri(options.uri.as_str())
            .token(options.token.as_str())
            .resolve_isolated();
        spec.map(|spec| {
            // Ours, field by field, in the milvus-proto message (ours keeps its protobuf
            // types private).
            let ours = conn_transport_tonic::Connector::new().client_info(&spec);
            ClientInfo {
                sdk_type: ours.sdk_type().to_owned(),
                sdk_version: ours.sdk_version().to_owned(),
                local_time: ours.local_time().to_owned(),
                user: ours.user().to_owned(),
                host: ours.host().to_owned(),
                reserved: ours.reserved().clone().into_iter().collect(),
            }
        })
    });
    let info = info.transpose()?;
    let endpoint = if ours_endpoint {
        // The settings conn-transport-tonic gives its endpoint.
        endpoint
            .connect_timeout(Duration::from_secs(10))
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_secs(5))
            .keep_alive_while_idle(true)
    } else {
        endpoint
    };
    let (first_connect_ms, first) =
        time(|| connect(&endpoint, &authorization, ours_headers, info.as_ref())).await?;
    let first_connect_ms = first_connect_ms + endpoint_ms;
    drop(first);
    let mut connect_ms = Vec::with_capacity(options.iterations);
    let fresh = options.variant == "fresh-tls";
    for _ in 0..options.iterations {
        let (ms, client) = time(|| async {
            let fresh_endpoint = if fresh {
                Some(self::endpoint(&options)?)
            } else {
                None
            };
            connect(
                fresh_endpoint.as_ref().unwrap_or(&endpoint),
                &authorization,
                ours_headers,
                info.as_ref(),
            )
            .await
        })
        .await?;
        connect_ms.push(ms);
        drop(client);
    }
    let mut client = connect(&endpoint, &authorization, ours_headers, info.as_ref()).await?;
    let mut server_version = String::new();
    for _ in 0..5 {
        server_version = version(&mut client, ours_headers).await?;
    }
    let mut get_version_ms = Vec::with_capacity(options.iterations);
    for _ in 0..options.iterations {
        let started = std::time::Instant::now();
        version(&mut client, ours_headers).await?;
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
