//! The TLS handshake over a byte stream (waiting briefly for a TLS 1.3 server's verdict on
//! the client certificate), and asking a port whether it speaks TLS.

use std::sync::Arc;

use super::config::TlsConnector;
use super::roots::provider;
use super::{CLOSED_AFTER_HANDSHAKE, Io, NO_H2};

impl TlsConnector {
    /// The TLS handshake over `io`.
    ///
    /// With TLS 1.3 a server checks the client's certificate only after the client has
    /// finished its side of the handshake, and reports a missing or refused one with an
    /// alert on the client's first read. hyper would read that alert in its connection task,
    /// racing the first request, which then often sees only "connection closed". So when the
    /// server asked for a client certificate, this waits (briefly) for the server's first
    /// bytes here, where the alert becomes this handshake's error; the bytes read are replayed
    /// to hyper.
    pub(crate) async fn handshake<S>(&self, io: S) -> std::io::Result<Box<dyn Io>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        use tokio::io::AsyncReadExt as _;

        let asked = Arc::new(AtomicBool::new(false));
        // The configuration is shared by every connect with the same trust and identity
        // (config.rs), so that a later handshake can resume this one's session; its
        // resolver notes the server's certificate request in this handshake's task-local.
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        // A server that asked for a client certificate and then hangs up (a reset, a broken
        // pipe, an early end) did not accept what we sent, or our sending none: its alert,
        // if it sent one, was lost with the connection.
        let hung_up = |e: std::io::Error| {
            if asked.load(Ordering::Relaxed) && is_hangup(&e) {
                std::io::Error::new(e.kind(), CLOSED_AFTER_HANDSHAKE)
            } else {
                e
            }
        };
        let mut stream = ASKED
            .scope(asked.clone(), connector.connect(self.name.clone(), io))
            .await
            .map_err(hung_up)?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(std::io::Error::other(NO_H2));
        }
        let tls13 = stream.get_ref().1.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        if !(tls13 && asked.load(Ordering::Relaxed)) {
            return Ok(Box::new(stream));
        }
        let mut first = vec![0u8; 16 * 1024];
        match tokio::time::timeout(self.settle, stream.read(&mut first)).await {
            Err(_) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(hung_up(e)),
            Ok(Ok(0)) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                CLOSED_AFTER_HANDSHAKE,
            )),
            Ok(Ok(n)) => {
                first.truncate(n);
                Ok(Box::new(Replay {
                    first,
                    at: 0,
                    inner: stream,
                }))
            }
        }
    }
}

/// Whether the server at `authority` (`host:port`) answers a TLS ClientHello with a TLS
/// record (a handshake record or an alert): the port wants TLS. Asked only after a plaintext
/// connection to it failed as unreachable; the caller bounds it by the connect's deadline.
pub(crate) async fn speaks_tls(authority: &str, server_name: &str) -> bool {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(hello) = client_hello(server_name) else {
        return false;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(authority).await else {
        return false;
    };
    if stream.write_all(&hello).await.is_err() {
        return false;
    }
    let mut head = [0_u8; 3];
    if stream.read_exact(&mut head).await.is_err() {
        return false;
    }
    // Content type 22 (handshake) or 21 (alert), record version 3.x.
    matches!(head, [0x15 | 0x16, 0x03, 0x00..=0x04])
}

/// The bytes of a rustls ClientHello for `server_name` (an IP address or a DNS name).
fn client_hello(server_name: &str) -> Option<Vec<u8>> {
    let config = rustls::ClientConfig::builder_with_provider(provider()?)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(server_name.to_owned())
        .or_else(|_| rustls::pki_types::ServerName::try_from("localhost"))
        .ok()?;
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut hello = Vec::new();
    connection.write_tls(&mut hello).ok()?;
    Some(hello)
}

/// Whether an I/O error means the peer went away.
fn is_hangup(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof | K::ConnectionAborted
    )
}

tokio::task_local! {
    /// Set by [`RecordRequest`] when the server of the handshake running in this task asks
    /// for a client certificate.
    static ASKED: Arc<std::sync::atomic::AtomicBool>;
}

/// Delegates to the configured client-certificate resolver and notes, in the running
/// handshake's [`ASKED`], that the server asked for a certificate (rustls asks the resolver
/// only then). One per rustls configuration, so that sessions resume across handshakes
/// (rustls resumes only under the same resolver).
#[derive(Debug)]
pub(super) struct RecordRequest {
    pub(super) inner: std::sync::Arc<dyn rustls::client::ResolvesClientCert>,
}

impl rustls::client::ResolvesClientCert for RecordRequest {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[rustls::SignatureScheme],
    ) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
        let _ = ASKED.try_with(|asked| asked.store(true, std::sync::atomic::Ordering::Relaxed));
        self.inner.resolve(root_hint_subjects, sigschemes)
    }

    fn has_certs(&self) -> bool {
        self.inner.has_certs()
    }
}

/// A stream whose first bytes were already read: they are read again, then the stream.
struct Replay<S> {
    first: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Replay<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.at < this.first.len() {
            let n = buf.remaining().min(this.first.len() - this.at);
            buf.put_slice(&this.first[this.at..this.at + n]);
            this.at += n;
            if this.at == this.first.len() {
                this.first = Vec::new();
                this.at = 0;
            }
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Replay<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
