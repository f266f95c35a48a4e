//! TLS: reading and checking the spec's PEM files before any network I/O, the rustls client
//! configuration, and the handshake itself (the connector runs it; tonic's own TLS is not
//! used, so that the handshake's errors reach the classifier intact).
//!
//! Trust follows pymilvus (gRPC core), which accepts as `server_pem_path` either the CA
//! that signed the server's certificate or the server's certificate itself: every
//! certificate in the CA files is a root, and a server that presents exactly one of those
//! certificates is trusted even though nothing in the files issued it (gRPC's "partial
//! chain"). Its validity dates and its name are still checked.
//!
//! | file | holds |
//! |---|---|
//! | `files.rs` | the files a spec names, read with conn-config's bounded reader (regular, size-capped, no FIFO wait) |
//! | `load.rs` | reading all of a spec's files on a reader thread, within the deadline, and checking their PEM |
//! | `reader.rs` | the reader threads: detached (a stuck read holds nothing at exit), reused by back-to-back connects |
//! | `roots.rs` | the crypto provider and the platform's root certificates |
//! | `config.rs` | the rustls client configuration of a spec; the CA-file verifier (gRPC's partial chain) |
//! | `io.rs` | the handshake over a stream, and asking a port whether it speaks TLS |

#[cfg(feature = "_tls")]
mod config;
mod files;
#[cfg(feature = "_tls")]
mod io;
mod load;
mod reader;
#[cfg(feature = "_tls")]
mod roots;
#[cfg(test)]
mod tests;

#[cfg(feature = "_tls")]
pub(crate) use config::TlsConnector;
#[cfg(feature = "_tls")]
pub(crate) use io::speaks_tls;
pub(crate) use load::{TlsMaterial, load_by, load_within};

#[cfg(doc)]
use crate::Error;

/// The most a TLS file (`server_pem_path`, `ca_pem_path`, `client_pem_path`,
/// `client_key_path`) may hold: 4 MiB. A larger file is [`Error::FileTooLarge`]; at most one
/// byte more than this is ever read from it.
pub const MAX_TLS_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The error text when the server does not agree on HTTP/2.
pub(crate) const NO_H2: &str = "the server did not negotiate http/2 (alpn h2)";
/// The error text when a server that asked for a client certificate hangs up after the
/// handshake without an alert.
pub(crate) const CLOSED_AFTER_HANDSHAKE: &str =
    "the server closed the connection right after the tls handshake";

/// What the connector hands to hyper: any byte stream.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Io for T {}
