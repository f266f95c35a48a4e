//! The environment variables resolution reads.

/// The target, when no explicit one is given.
pub(crate) const MILVUS_URI: &str = "MILVUS_URI";
/// Legacy fallback for `MILVUS_URI`.
pub(crate) const MILVUS_DEFAULT_CONNECTION: &str = "MILVUS_DEFAULT_CONNECTION";
/// The default alias's name.
pub(crate) const MILVUS_CONN_ALIAS: &str = "MILVUS_CONN_ALIAS";
/// The connect timeout in seconds.
pub(crate) const MILVUS_CONN_TIMEOUT: &str = "MILVUS_CONN_TIMEOUT";
/// Extension: the token.
pub(crate) const MILVUS_TOKEN: &str = "MILVUS_TOKEN";
/// Extension: the database.
pub(crate) const MILVUS_DB_NAME: &str = "MILVUS_DB_NAME";

/// python-dotenv's off switch for the `.env` search (honoured as pymilvus 3 does).
pub(crate) const PYTHON_DOTENV_DISABLED: &str = "PYTHON_DOTENV_DISABLED";
