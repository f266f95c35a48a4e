//! Scripted failures: the next calls of an RPC fail as told ([`TestServer::fail`]).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::Status;

use super::TestServer;
use crate::proto::common::Status as MilvusStatus;

/// How a scripted call fails (see [`TestServer::fail`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Failure {
    /// A gRPC error status, e.g. `UNAVAILABLE` or `UNAUTHENTICATED`.
    Grpc {
        /// The gRPC code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// A gRPC `OK` reply whose Milvus `common.Status` is this (e.g. code 8, error_code 49:
    /// a rate limit).
    Status {
        /// `Status.code`.
        code: i32,
        /// The legacy `Status.error_code`.
        error_code: i32,
        /// `Status.reason`.
        reason: String,
    },
    /// No answer for this long, then the normal one (for deadlines).
    Hang(Duration),
}

impl Failure {
    /// [`Failure::Grpc`].
    pub fn grpc(code: tonic::Code, message: impl Into<String>) -> Failure {
        Failure::Grpc {
            code,
            message: message.into(),
        }
    }

    /// [`Failure::Status`].
    pub fn status(code: i32, error_code: i32, reason: impl Into<String>) -> Failure {
        Failure::Status {
            code,
            error_code,
            reason: reason.into(),
        }
    }
}

/// The failures still to come, per RPC; shared by the server and its handle.
#[derive(Clone, Debug, Default)]
pub(super) struct Script(Arc<Mutex<HashMap<String, VecDeque<Failure>>>>);

impl Script {
    /// Answers a call of `rpc`: `Err` with the error status to return, `Ok(Some(status))`
    /// with the Milvus status to put in an `OK` reply, `Ok(None)` to answer normally (after
    /// a scripted hang).
    pub(super) async fn answer(&self, rpc: &str) -> Result<Option<MilvusStatus>, Status> {
        let next = self
            .0
            .lock()
            .ok()
            .and_then(|mut script| script.get_mut(rpc)?.pop_front());
        match next {
            None => Ok(None),
            Some(Failure::Grpc { code, message }) => Err(Status::new(code, message)),
            Some(Failure::Status {
                code,
                error_code,
                reason,
            }) => Ok(Some(MilvusStatus {
                code,
                error_code,
                reason,
                ..MilvusStatus::default()
            })),
            Some(Failure::Hang(duration)) => {
                tokio::time::sleep(duration).await;
                Ok(None)
            }
        }
    }
}

impl TestServer {
    /// The next `times` calls of `rpc` (`"GetVersion"` or `"CheckHealth"`) fail as
    /// `failure` says (after the call is recorded and the `authorization` is checked);
    /// later ones are answered as usual. Calls add up: `fail(rpc, 2, a)` then
    /// `fail(rpc, 1, b)` fails the next three, two with `a` then one with `b`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use conn_test_server::{Failure, TestServer};
    /// let server = TestServer::builder().serve_tcp().await?;
    /// let spec = conn_config::ConnectArgs::new().uri(server.uri()).resolve_isolated()?;
    /// let connection = conn_transport_tonic::connect(&spec).await?;
    /// server.fail("GetVersion", 1, Failure::grpc(tonic::Code::Unavailable, "restarting"));
    /// assert!(connection.get_version().await.is_err());
    /// assert!(connection.get_version().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn fail(&self, rpc: &str, times: usize, failure: Failure) {
        if let Ok(mut script) = self.script.0.lock() {
            let queue = script.entry(rpc.to_owned()).or_default();
            queue.extend(std::iter::repeat_n(failure, times));
        }
    }
}
