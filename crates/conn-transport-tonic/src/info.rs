//! Our own types for what the `Connect` and `CheckHealth` RPCs carry: the crate's generated
//! protobuf messages stay private (a downstream SDK generates its own from milvus-proto).

use std::collections::BTreeMap;
use std::fmt;

use crate::proto;

/// What the client tells the server in the `Connect` handshake (`ClientInfo` of
/// milvus-proto): built by [`Connector::client_info`](crate::Connector::client_info) from the
/// connector's settings ([`Connector::sdk_type`](crate::Connector::sdk_type),
/// [`sdk_version`](crate::Connector::sdk_version),
/// [`host_name`](crate::Connector::host_name), [`reserved`](crate::Connector::reserved)) and
/// the spec's user.
///
/// Holds no secret: the user name only, never a password or token.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = conn_config::ConnectArgs::new()
///     .uri("http://localhost:19530")
///     .user("alice")
///     .password("secret")
///     .resolve_isolated()?;
/// let info = conn_transport_tonic::Connector::new()
///     .sdk_type("MyRustSdk")
///     .reserved("cluster_id", "c1")
///     .client_info(&spec);
/// assert_eq!(info.sdk_type(), "MyRustSdk");
/// assert_eq!(info.user(), "alice");
/// assert_eq!(info.reserved().get("cluster_id").map(String::as_str), Some("c1"));
/// assert!(info.local_time().ends_with('Z'));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientInfo {
    pub(crate) sdk_type: String,
    pub(crate) sdk_version: String,
    pub(crate) local_time: String,
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) reserved: BTreeMap<String, String>,
}

impl ClientInfo {
    /// The SDK's name (`Rust` unless [`Connector::sdk_type`](crate::Connector::sdk_type) set
    /// another; pymilvus sends `Python`).
    pub fn sdk_type(&self) -> &str {
        &self.sdk_type
    }

    /// The SDK's version.
    pub fn sdk_version(&self) -> &str {
        &self.sdk_version
    }

    /// The client's local time (RFC 3339, UTC, microseconds) when this was built.
    pub fn local_time(&self) -> &str {
        &self.local_time
    }

    /// The user name of user/password authentication; `""` otherwise.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The client's host name; `""` sends none.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Free-form entries (pymilvus 3 sends its `option` map here).
    pub fn reserved(&self) -> &BTreeMap<String, String> {
        &self.reserved
    }
}

impl From<ClientInfo> for proto::common::ClientInfo {
    fn from(info: ClientInfo) -> Self {
        proto::common::ClientInfo {
            sdk_type: info.sdk_type,
            sdk_version: info.sdk_version,
            local_time: info.local_time,
            user: info.user,
            host: info.host,
            reserved: info.reserved.into_iter().collect(),
        }
    }
}

/// The server's build information, from the `Connect` handshake (`ServerInfo` of
/// milvus-proto). A field the server leaves out is `""`.
///
/// ```
/// # async fn run(connection: conn_transport_tonic::MilvusConnection) {
/// if let Some(info) = connection.server_info() {
///     println!("{} ({})", info.build_tags(), info.deploy_mode());
/// }
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    build_tags: String,
    build_time: String,
    git_commit: String,
    go_version: String,
    deploy_mode: String,
    reserved: BTreeMap<String, String>,
}

impl ServerInfo {
    /// The server's version tag, such as `v2.3.5` or `v2.3.5-lite`.
    pub fn build_tags(&self) -> &str {
        &self.build_tags
    }

    /// When the server was built.
    pub fn build_time(&self) -> &str {
        &self.build_time
    }

    /// The commit the server was built from.
    pub fn git_commit(&self) -> &str {
        &self.git_commit
    }

    /// The Go version the server was built with.
    pub fn go_version(&self) -> &str {
        &self.go_version
    }

    /// `STANDALONE` or `CLUSTER` (as the server spells it).
    pub fn deploy_mode(&self) -> &str {
        &self.deploy_mode
    }

    /// Free-form entries the server adds.
    pub fn reserved(&self) -> &BTreeMap<String, String> {
        &self.reserved
    }
}

impl From<proto::common::ServerInfo> for ServerInfo {
    fn from(info: proto::common::ServerInfo) -> Self {
        ServerInfo {
            build_tags: info.build_tags,
            build_time: info.build_time,
            git_commit: info.git_commit,
            go_version: info.go_version,
            deploy_mode: info.deploy_mode,
            reserved: info.reserved.into_iter().collect(),
        }
    }
}

/// A quota limit the server reports in `CheckHealth` (see
/// [`Health::quota_states`](crate::Health::quota_states)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuotaState {
    /// No quota limit reported.
    Unknown,
    /// Reads are rate-limited.
    ReadLimited,
    /// Writes are rate-limited.
    WriteLimited,
    /// Reads are refused.
    DenyToRead,
    /// Writes are refused.
    DenyToWrite,
    /// DDL (collection and index changes) is refused.
    DenyToDdl,
}

impl QuotaState {
    /// The name milvus-proto gives the value: `Unknown`, `ReadLimited`, `WriteLimited`,
    /// `DenyToRead`, `DenyToWrite`, `DenyToDDL`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaState::Unknown => "Unknown",
            QuotaState::ReadLimited => "ReadLimited",
            QuotaState::WriteLimited => "WriteLimited",
            QuotaState::DenyToRead => "DenyToRead",
            QuotaState::DenyToWrite => "DenyToWrite",
            QuotaState::DenyToDdl => "DenyToDDL",
        }
    }

    /// The value on the wire, if it is one this crate knows.
    pub(crate) fn from_wire(value: i32) -> Option<QuotaState> {
        use proto::milvus::QuotaState as P;
        Some(match P::try_from(value).ok()? {
            P::Unknown => QuotaState::Unknown,
            P::ReadLimited => QuotaState::ReadLimited,
            P::WriteLimited => QuotaState::WriteLimited,
            P::DenyToRead => QuotaState::DenyToRead,
            P::DenyToWrite => QuotaState::DenyToWrite,
            P::DenyToDdl => QuotaState::DenyToDdl,
        })
    }
}

impl fmt::Display for QuotaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::QuotaState;

    /// Every wire value of the generated enum maps to ours, named as milvus-proto names it.
    #[test]
    fn quota_states_map_from_the_wire_by_name() {
        use crate::proto::milvus::QuotaState as P;
        for p in [
            P::Unknown,
            P::ReadLimited,
            P::WriteLimited,
            P::DenyToRead,
            P::DenyToWrite,
            P::DenyToDdl,
        ] {
            let ours = QuotaState::from_wire(p as i32).expect("known value");
            assert_eq!(ours.as_str(), p.as_str_name(), "{p:?}");
        }
        assert_eq!(QuotaState::from_wire(1), None);
        assert_eq!(QuotaState::from_wire(99), None);
    }
}
