use conn_transport_tonic::{Error, MilvusConnection, retry::RetryPolicy};
use milvus_conn_sdk_client::milvus::{milvus_service_client::MilvusServiceClient, *};

/// Inserts `request`, retried by pymilvus's rules: outages and rate limits with back-off,
/// never a wrong password or a bad request; a Milvus error inside an OK reply is an `Error`.
pub async fn insert(
    conn: &MilvusConnection,
    policy: &RetryPolicy,
    request: InsertRequest,
) -> Result<MutationResult, Error> {
    let client = MilvusServiceClient::new(conn.service());
    let reply = policy
        .call(conn, "Insert", |attempt| {
            let (mut client, request) = (client.clone(), attempt.request(request.clone()));
            async move { client.insert(request).await }
        })
        .await?;
    Ok(reply.into_inner())
}
