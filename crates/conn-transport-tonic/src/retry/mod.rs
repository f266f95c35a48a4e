//! Retries of an SDK's own unary calls, by pymilvus's rules (`retry_on_rpc_failure`): see
//! [`RetryPolicy`], and `docs/sdk-integration.md`, "Retries", for the rules side by side
//! with pymilvus 3.0.2's.
//!
//! | file | holds |
//! |---|---|
//! | `policy.rs` | [`RetryPolicy`] and its builder: the knobs, the delays, what is retried |
//! | `call.rs` | [`RetryPolicy::call`]: the attempts, the deadline, the logs; [`Attempt`] |
//! | `reply.rs` | [`MilvusReply`] and [`ReplyStatus`]: the Milvus status inside an `OK` reply |

use std::time::Duration;

mod call;
mod policy;
mod reply;
#[cfg(test)]
mod tests;

pub use call::Attempt;
pub use policy::{RetryPolicy, RetryPolicyBuilder, RetryPolicyError};
pub use reply::{MilvusReply, ReplyStatus};

/// pymilvus 3.0.2's `retry_times`: 75 retries after the first attempt (76 attempts).
pub const DEFAULT_RETRIES: u32 = 75;
/// pymilvus 3.0.2's `initial_back_off`: 10 ms before the first retry.
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(10);
/// pymilvus 3.0.2's `back_off_multiplier`: each delay is 3 times the one before.
pub const DEFAULT_MULTIPLIER: f32 = 3.0;
/// pymilvus 3.0.2's `max_back_off`: no delay longer than 3 s.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(3);
