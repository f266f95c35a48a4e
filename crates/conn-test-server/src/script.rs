//! Scripted failures: the next calls of an RPC fail as told ([`TestServer::fail`]), or wait
//! at a [`Gate`] the test opens.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
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
    /// No answer until the gate opens ([`Gate::open`]), then the normal one: for tests of
    /// what a client does while a call is in flight, by the order of events rather than
    /// by the clock.
    Hold(Gate),
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
            Some(Failure::Hold(gate)) => {
                gate.pass().await;
                Ok(None)
            }
        }
    }
}

/// A gate that holds the calls scripted with [`Failure::Hold`] until the test opens it, and
/// tells the test when a call has reached it and when a held call was given up (its client
/// reset the call or closed the connection, so the server dropped it). Clones share the gate.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use conn_test_server::{Failure, Gate, TestServer};
/// let server = TestServer::builder().serve_tcp().await?;
/// let spec = conn_config::ConnectArgs::new().uri(server.uri()).resolve_isolated()?;
/// let connection = conn_transport_tonic::connect(&spec).await?;
/// let gate = Gate::new();
/// server.fail("GetVersion", 1, Failure::Hold(gate.clone()));
/// let call = tokio::spawn(async move { connection.get_version().await });
/// gate.reached().await;
/// assert!(!call.is_finished());
/// gate.open();
/// assert_eq!(call.await??, "v0.0.0-test");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Gate(Arc<GateState>);

#[derive(Default)]
struct GateState {
    open: watch::Sender<bool>,
    /// How many calls have reached the gate.
    reached: watch::Sender<usize>,
    /// How many calls held at the gate were dropped before it opened.
    abandoned: watch::Sender<usize>,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Opens the gate: the calls held at it are answered, and later ones pass at once.
    pub fn open(&self) {
        self.0.open.send_replace(true);
    }

    /// Whether the gate is open.
    pub fn is_open(&self) -> bool {
        *self.0.open.borrow()
    }

    /// Returns once a call has reached the gate (held there, or passed it).
    pub async fn reached(&self) {
        let mut reached = self.0.reached.subscribe();
        let _ = reached.wait_for(|&n| n > 0).await;
    }

    /// Returns once a call held at the gate has been dropped before the gate opened: its
    /// client reset it or closed the connection.
    pub async fn abandoned(&self) {
        let mut abandoned = self.0.abandoned.subscribe();
        let _ = abandoned.wait_for(|&n| n > 0).await;
    }

    /// Holds a call until the gate opens; a call dropped while held counts as abandoned.
    async fn pass(&self) {
        /// Counts the call as abandoned if dropped before the gate opened.
        struct Held<'a>(&'a GateState);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                if !*self.0.open.borrow() {
                    self.0.abandoned.send_modify(|n| *n += 1);
                }
            }
        }
        let mut open = self.0.open.subscribe();
        self.0.reached.send_modify(|n| *n += 1);
        let _held = Held(&self.0);
        // The sender lives in `self`: the wait ends only when the gate opens.
        let _ = open.wait_for(|&open| open).await;
    }
}

impl fmt::Debug for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("open", &self.is_open())
            .field("reached", &*self.0.reached.borrow())
            .field("abandoned", &*self.0.abandoned.borrow())
            .finish()
    }
}

/// The same gate.
impl PartialEq for Gate {
    fn eq(&self, other: &Gate) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl TestServer {
    /// The next `times` calls of `rpc` (`"Connect"`, `"GetVersion"` or `"CheckHealth"`) fail
    /// as `failure` says (after the call is recorded and the `authorization` is checked; a
    /// `Connect` answered with [`Failure::Status`] carries it in its `ConnectResponse`);
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
