//! What an SDK writes to use [`RetryPolicy::call`](conn_transport_tonic::retry::RetryPolicy::call)
//! on its generated client: [`MilvusReply`] for every reply type that carries a Milvus
//! `common.Status` (the replies of milvus-proto 2.3.5 with a `status` field, and
//! `common.Status` itself, which 30 calls return).

use conn_transport_tonic::retry::{MilvusReply, ReplyStatus};

use crate::common::Status;
use crate::milvus::*;

impl MilvusReply for Status {
    // The legacy `error_code` is deprecated in the proto; a Milvus 2.2 fills only it.
    #[allow(deprecated)]
    fn reply_status(&self) -> Option<ReplyStatus<'_>> {
        Some(ReplyStatus::new(
            self.code,
            self.error_code,
            &self.reason,
            self.retriable,
        ))
    }
}

/// `impl MilvusReply` for replies whose `status` field is an `Option<common::Status>`.
macro_rules! status_field {
    ($($reply:ty,)*) => {$(
        impl MilvusReply for $reply {
            fn reply_status(&self) -> Option<ReplyStatus<'_>> {
                self.status.as_ref().and_then(MilvusReply::reply_status)
            }
        }
    )*};
}

status_field! {
    DescribeAliasResponse,
    ListAliasesResponse,
    BoolResponse,
    StringResponse,
    DescribeCollectionResponse,
    GetStatisticsResponse,
    GetCollectionStatisticsResponse,
    ShowCollectionsResponse,
    GetPartitionStatisticsResponse,
    ShowPartitionsResponse,
    DescribeSegmentResponse,
    ShowSegmentsResponse,
    DescribeIndexResponse,
    GetIndexBuildProgressResponse,
    GetIndexStateResponse,
    MutationResult,
    SearchResults,
    QueryResults,
    CalcDistanceResults,
    FlushAllResponse,
    GetPersistentSegmentInfoResponse,
    GetQuerySegmentInfoResponse,
    RegisterLinkResponse,
    GetMetricsResponse,
    ComponentStates,
    ManualCompactionResponse,
    GetCompactionStateResponse,
    GetCompactionPlansResponse,
    GetFlushStateResponse,
    GetFlushAllStateResponse,
    ImportResponse,
    GetImportStateResponse,
    ListImportTasksResponse,
    GetReplicasResponse,
    ListCredUsersResponse,
    SelectRoleResponse,
    SelectUserResponse,
    SelectGrantResponse,
    GetLoadingProgressResponse,
    GetLoadStateResponse,
    GetVersionResponse,
    CheckHealthResponse,
    ListResourceGroupsResponse,
    DescribeResourceGroupResponse,
    GetIndexStatisticsResponse,
    ConnectResponse,
    AllocTimestampResponse,
    ListDatabasesResponse,
    ReplicateMessageResponse,
}
