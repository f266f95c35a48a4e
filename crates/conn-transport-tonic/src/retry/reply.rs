//! What [`RetryPolicy::call`](super::RetryPolicy::call) needs to see inside a reply: the
//! Milvus `common.Status` an `OK` reply can carry.

/// The Milvus `common.Status` inside a reply, as [`MilvusReply::reply_status`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyStatus<'a> {
    /// `Status.code`.
    pub code: i32,
    /// The legacy `Status.error_code`.
    pub error_code: i32,
    /// `Status.reason`.
    pub reason: &'a str,
    /// `Status.retriable`.
    pub retriable: bool,
}

impl<'a> ReplyStatus<'a> {
    /// A status from the fields of the SDK's generated `common.Status`.
    pub fn new(code: i32, error_code: i32, reason: &'a str, retriable: bool) -> Self {
        ReplyStatus {
            code,
            error_code,
            reason,
            retriable,
        }
    }
}

/// A reply that carries a Milvus `common.Status`: the SDK implements it for its generated
/// reply types, so that [`RetryPolicy::call`](super::RetryPolicy::call) classifies a Milvus error inside a gRPC `OK`.
///
/// ```
/// use conn_transport_tonic::retry::{MilvusReply, ReplyStatus};
/// # mod common { #[derive(Default)] pub struct Status { pub error_code: i32, pub reason: String, pub code: i32, pub retriable: bool } }
/// # mod milvus { #[derive(Default)] pub struct MutationResult { pub status: Option<super::common::Status> } }
/// // `common` and `milvus` are the SDK's generated modules.
/// impl MilvusReply for milvus::MutationResult {
///     fn reply_status(&self) -> Option<ReplyStatus<'_>> {
///         let s = self.status.as_ref()?;
///         Some(ReplyStatus::new(s.code, s.error_code, &s.reason, s.retriable))
///     }
/// }
/// # fn main() {
/// assert!(milvus::MutationResult::default().reply_status().is_none());
/// # }
/// ```
pub trait MilvusReply {
    /// The reply's status; `None` when it has none (success).
    fn reply_status(&self) -> Option<ReplyStatus<'_>>;
}
