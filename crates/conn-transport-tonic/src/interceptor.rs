//! The interceptor that puts Milvus's metadata on every call.

use std::fmt;
use std::sync::{Arc, OnceLock};

use conn_config::ConnectionSpec;
use secrecy::ExposeSecret;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The `authorization` header: padded standard base64 of `user:password` or of the token.
pub const AUTHORIZATION: &str = "authorization";
/// The `dbname` header: the database.
pub const DBNAME: &str = "dbname";
/// The `identifier` header: the decimal identifier the server returned from `Connect`.
pub const IDENTIFIER: &str = "identifier";

/// Adds `authorization` (when the spec has credentials), `dbname` and, once the `Connect`
/// handshake has returned, `identifier` to every call.
///
/// The header values are built once, when the interceptor is made; a call only clones them
/// (a reference-count increment each). The `authorization` value is marked sensitive, so
/// HTTP/2 header compression never indexes it and tonic's `Debug` shows `Sensitive`.
///
/// Clones share the identifier slot: a clone taken before the handshake sends `identifier`
/// once the handshake is done.
///
/// A `dbname` the caller already put on a request is kept, so an SDK can address another
/// database for one call; `authorization` and `identifier` are always this connection's.
///
/// `Debug` shows whether credentials are present, never their value:
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use conn_transport_tonic::MilvusInterceptor;
/// let spec = conn_config::ConnectArgs::new()
///     .uri("http://localhost:19530/db1")
///     .user("root")
///     .password("Milvus")
///     .resolve_isolated()?;
/// let interceptor = MilvusInterceptor::new(&spec);
/// assert_eq!(
///     format!("{interceptor:?}"),
///     r#"MilvusInterceptor { authorization: Some("<redacted>"), dbname: "db1", identifier: None }"#
/// );
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MilvusInterceptor {
    authorization: Option<MetadataValue<Ascii>>,
    dbname: MetadataValue<Ascii>,
    identifier: Arc<OnceLock<(i64, MetadataValue<Ascii>)>>,
}

impl MilvusInterceptor {
    /// The interceptor for a spec: its credentials and database, no identifier yet.
    pub fn new(spec: &ConnectionSpec) -> MilvusInterceptor {
        let authorization = spec.authorization().and_then(|secret| {
            // Base64 text is always a valid header value.
            let mut value = MetadataValue::try_from(secret.expose_secret()).ok()?;
            value.set_sensitive(true);
            Some(value)
        });
        // A DbName is non-empty printable ASCII, so always a valid header value; the
        // fallback never runs.
        let dbname = MetadataValue::try_from(spec.db_name().as_str())
            .unwrap_or_else(|_| MetadataValue::from_static("default"));
        MilvusInterceptor {
            authorization,
            dbname,
            identifier: Arc::new(OnceLock::new()),
        }
    }

    /// The identifier sent with every call, once the handshake has set it.
    pub fn identifier(&self) -> Option<i64> {
        self.identifier.get().map(|(id, _)| *id)
    }

    /// Whether an `authorization` header is sent.
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }

    /// The `dbname` header value.
    pub fn db_name(&self) -> &str {
        self.dbname.to_str().unwrap_or("default")
    }

    /// Sets the identifier (once; later calls are ignored, the first handshake wins).
    pub(crate) fn set_identifier(&self, identifier: i64) {
        let _ = self
            .identifier
            .set((identifier, MetadataValue::from(identifier)));
    }

    /// A copy that does not share the identifier slot (for a fresh handshake).
    pub(crate) fn detached(&self) -> MilvusInterceptor {
        MilvusInterceptor {
            authorization: self.authorization.clone(),
            dbname: self.dbname.clone(),
            identifier: Arc::new(OnceLock::new()),
        }
    }
}

impl Interceptor for MilvusInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let metadata = request.metadata_mut();
        if let Some(identifier) = self.identifier.get() {
            metadata.insert(IDENTIFIER, identifier.1.clone());
        }
        if !metadata.contains_key(DBNAME) {
            metadata.insert(DBNAME, self.dbname.clone());
        }
        if let Some(authorization) = &self.authorization {
            metadata.insert(AUTHORIZATION, authorization.clone());
        }
        Ok(request)
    }
}

impl fmt::Debug for MilvusInterceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MilvusInterceptor")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("dbname", &self.db_name())
            .field("identifier", &self.identifier())
            .finish()
    }
}
