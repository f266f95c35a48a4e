use conn_config::ConnectArgs;
use conn_transport_tonic::{MilvusService, prost::Message as _};
use milvus_conn_sdk_client::{common::*, milvus::milvus_service_client::*, milvus::*, schema::*};

pub type Client = MilvusServiceClient<MilvusService>;
type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Resolves `args`, connects (TLS, credentials, `Connect` handshake), wraps the generated client.
pub async fn client(args: &ConnectArgs) -> Res<Client> {
    let conn = conn_transport_tonic::connect(&args.resolve()?).await?;
    let max = conn.call_defaults().max_decoding_message_size; // 256 MiB unless the Connector says
    Ok(MilvusServiceClient::new(conn.service()).max_decoding_message_size(max))
}

/// The `k` nearest neighbours (L2) of `v` in the vector field `vec` of collection `coll`.
pub async fn search(c: &mut Client, coll: &str, v: &[f32], k: u32) -> Res<SearchResultData> {
    let values = vec![v.iter().flat_map(|x| x.to_le_bytes()).collect()];
    let (tag, r#type) = ("$0".to_owned(), PlaceholderType::FloatVector.into());
    let placeholders = vec![PlaceholderValue { tag, r#type, values }];
    let params = [("anns_field", "vec"), ("topk", &k.to_string()), ("metric_type", "L2")];
    let request = SearchRequest {
        collection_name: coll.into(),
        placeholder_group: PlaceholderGroup { placeholders }.encode_to_vec(),
        dsl_type: DslType::BoolExprV1.into(),
        search_params: params.into_iter().chain([("params", "{}")]).map(kv).collect(),
        nq: 1,
        ..Default::default()
    };
    let reply = c.search(request).await?.into_inner();
    match reply.status {
        Some(s) if s.code != 0 => Err(format!("search: code {}, {}", s.code, s.reason).into()),
        _ => Ok(reply.results.unwrap_or_default()),
    }
}

fn kv((key, value): (&str, &str)) -> KeyValuePair {
    KeyValuePair { key: key.into(), value: value.into() }
}
