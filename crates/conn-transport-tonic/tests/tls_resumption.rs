//! TLS session resumption across connects (issue 16): connects with the same trust share one
//! rustls configuration, so a later one resumes the session an earlier one made with the
//! same server; a connect with other trust (another CA file) or another client certificate
//! makes a full handshake, which checks the server again. Observed on the server: a rustls
//! TLS terminator (its own session cache, as any TLS 1.3 server has) in front of the
//! plaintext test server, noting each handshake's kind.
#![cfg(feature = "tls-ring")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{Ca, Leaf, spec, write};
use conn_config::ConnectArgs;
use conn_test_server::TestServer;
use rustls::HandshakeKind;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A rustls server for `leaf` (asking for a client certificate signed by `client_ca`, if
/// given, but not requiring one) that forwards the plaintext to `backend`; returns its
/// address and the kinds of the handshakes it completed, in order.
async fn terminator(
    leaf: &Leaf,
    client_ca: Option<&str>,
    backend: SocketAddr,
) -> (SocketAddr, Arc<Mutex<Vec<HandshakeKind>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
                .unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .allow_unauthenticated()
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(leaf.cert_pem.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let noted = kinds.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, noted) = (acceptor.clone(), noted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let kind = tls.get_ref().1.handshake_kind().unwrap();
                noted.lock().unwrap().push(kind);
                let mut plain = tokio::net::TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (address, kinds)
}

/// A CA, a TLS terminator with a server certificate of it for `127.0.0.1` (asking for a
/// client certificate of the CA when `ask` is set), and the plaintext test server behind.
struct Site {
    dir: tempfile::TempDir,
    ca: Ca,
    ca_path: std::path::PathBuf,
    uri: String,
    kinds: Arc<Mutex<Vec<HandshakeKind>>>,
    _backend: TestServer,
}

impl Site {
    async fn new(ask: bool) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::new("resumption test ca");
        let ca_path = write(dir.path(), "ca.pem", &ca.pem);
        let backend = TestServer::builder().serve_tcp().await.unwrap();
        let client_ca = ask.then_some(ca.pem.as_str());
        let server = ca.server(&["127.0.0.1"]);
        let (address, kinds) = terminator(&server, client_ca, backend.local_addr().unwrap()).await;
        Site {
            uri: format!("https://127.0.0.1:{}", address.port()),
            dir,
            ca,
            ca_path,
            kinds,
            _backend: backend,
        }
    }

    /// Connects with these arguments (the site's URI added) and makes one call.
    async fn connect(&self, args: ConnectArgs) {
        let conn = conn_transport_tonic::connect(&spec(args.uri(self.uri.clone())))
            .await
            .unwrap();
        assert_eq!(conn.get_version().await.unwrap(), "v0.0.0-test");
    }
}

#[tokio::test]
async fn a_second_connect_with_the_same_ca_resumes_and_another_ca_file_does_not() {
    let site = Site::new(false).await;
    // The same CA with an unrelated one added: other trust, though it trusts this server.
    let other = Ca::new("another ca");
    let both = write(
        site.dir.path(),
        "both.pem",
        &format!("{}{}", site.ca.pem, other.pem),
    );
    for path in [&site.ca_path, &site.ca_path, &both, &both] {
        site.connect(ConnectArgs::new().ca_pem_path(path)).await;
    }
    use HandshakeKind::{Full, Resumed};
    assert_eq!(*site.kinds.lock().unwrap(), [Full, Resumed, Full, Resumed]);
}

#[tokio::test]
async fn a_session_is_resumed_only_with_the_client_certificate_that_made_it() {
    let site = Site::new(true).await;
    let files = |tag: &str| {
        let client = site.ca.client();
        (
            write(site.dir.path(), &format!("{tag}.pem"), &client.cert_pem),
            write(site.dir.path(), &format!("{tag}.key"), &client.key_pem),
        )
    };
    let first = files("first");
    let second = files("second");
    for identity in [
        Some(&first),
        Some(&first),
        Some(&second),
        None,
        Some(&first),
    ] {
        let args = ConnectArgs::new().ca_pem_path(&site.ca_path);
        site.connect(match identity {
            Some((cert, key)) => args.client_pem_path(cert).client_key_path(key),
            None => args,
        })
        .await;
    }
    use HandshakeKind::{Full, Resumed};
    // The last connect takes a session the first identity's earlier connects left.
    assert_eq!(
        *site.kinds.lock().unwrap(),
        [Full, Resumed, Full, Full, Resumed]
    );
}
