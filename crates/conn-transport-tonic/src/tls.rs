//! TLS: reading and checking the spec's PEM files before any network I/O, then handing them
//! to tonic's rustls connector.

use std::path::Path;

use conn_config::TlsSpec;

use crate::error::{Error, TlsFileField};

/// The field that named the `index`-th CA file of the spec.
///
/// The spec lists `server_pem_path` then `ca_pem_path`, whichever are given, without saying
/// which is which; with two files the order tells, with one it cannot.
fn ca_field(tls: &TlsSpec, index: usize) -> TlsFileField {
    match (tls.ca_files().len(), index) {
        (2, 0) => TlsFileField::ServerPemPath,
        (2, _) => TlsFileField::CaPemPath,
        _ => TlsFileField::ServerOrCaPemPath,
    }
}

fn read(field: TlsFileField, path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::FileUnreadable {
        field,
        path: path.to_owned(),
        source,
    })
}

/// The PEM material of a [`TlsSpec`], read and checked.
pub(crate) struct TlsMaterial {
    /// The CA files' PEM text (each holds at least one certificate).
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(crate) cas: Vec<Vec<u8>>,
    /// The client certificate chain and key, PEM.
    #[cfg_attr(not(feature = "_tls"), allow(dead_code))]
    pub(crate) identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("cas", &self.cas.len())
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Reads every file the spec names and checks it holds what it should, so that a missing or
/// wrong file is reported, naming the file and the setting, before anything is sent.
pub(crate) fn load(tls: &TlsSpec) -> Result<TlsMaterial, Error> {
    let mut cas = Vec::with_capacity(tls.ca_files().len());
    for (i, path) in tls.ca_files().iter().enumerate() {
        let field = ca_field(tls, i);
        let pem = read(field, path)?;
        check_certificates(&pem, field, path)?;
        cas.push(pem);
    }
    let identity = match tls.client_identity() {
        Some(id) => {
            let cert = read(TlsFileField::ClientPemPath, id.cert_path())?;
            check_certificates(&cert, TlsFileField::ClientPemPath, id.cert_path())?;
            let key = read(TlsFileField::ClientKeyPath, id.key_path())?;
            check_private_key(&key, id.key_path())?;
            Some((cert, key))
        }
        None => None,
    };
    Ok(TlsMaterial { cas, identity })
}

#[cfg(feature = "_tls")]
fn check_certificates(pem: &[u8], field: TlsFileField, path: &Path) -> Result<(), Error> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut n = 0usize;
    for cert in CertificateDer::pem_slice_iter(pem) {
        if cert.is_err() {
            n = 0;
            break;
        }
        n += 1;
    }
    if n == 0 {
        return Err(Error::FileNotPem {
            field,
            path: path.to_owned(),
            expected: "certificate",
        });
    }
    Ok(())
}

#[cfg(feature = "_tls")]
fn check_private_key(pem: &[u8], path: &Path) -> Result<(), Error> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    // The parse error is dropped on purpose: it could quote part of the key.
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::FileNotPem {
            field: TlsFileField::ClientKeyPath,
            path: path.to_owned(),
            expected: "private key",
        }),
    }
}

/// Without a TLS backend the files are still read (so a missing one is reported as such),
/// and their PEM armour checked by hand.
#[cfg(not(feature = "_tls"))]
fn check_certificates(pem: &[u8], field: TlsFileField, path: &Path) -> Result<(), Error> {
    if contains(pem, b"-----BEGIN CERTIFICATE-----") {
        Ok(())
    } else {
        Err(Error::FileNotPem {
            field,
            path: path.to_owned(),
            expected: "certificate",
        })
    }
}

#[cfg(not(feature = "_tls"))]
fn check_private_key(pem: &[u8], path: &Path) -> Result<(), Error> {
    if contains(pem, b"PRIVATE KEY-----") {
        Ok(())
    } else {
        Err(Error::FileNotPem {
            field: TlsFileField::ClientKeyPath,
            path: path.to_owned(),
            expected: "private key",
        })
    }
}

#[cfg(not(feature = "_tls"))]
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Applies TLS to an endpoint (whose URI must be `https`).
#[cfg(feature = "_tls")]
pub(crate) fn apply(
    endpoint: tonic::transport::Endpoint,
    tls: &TlsSpec,
    material: TlsMaterial,
    address: &str,
    timeout: std::time::Duration,
) -> Result<tonic::transport::Endpoint, Error> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};

    #[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        return Err(Error::TlsUnavailable {
            address: address.to_owned(),
            reason: "no rustls crypto provider: enable the tls-ring or tls-aws-lc feature, or install a process-wide default provider".to_owned(),
            source: None,
        });
    }

    let mut config = ClientTlsConfig::new().timeout(timeout);
    if material.cas.is_empty() {
        if !cfg!(any(
            feature = "tls-native-roots",
            feature = "tls-webpki-roots"
        )) {
            return Err(Error::TlsUnavailable {
                address: address.to_owned(),
                reason: "no ca_pem_path/server_pem_path given and no platform root store compiled in: enable the tls-native-roots or tls-webpki-roots feature".to_owned(),
                source: None,
            });
        }
        config = config.with_enabled_roots();
    }
    for pem in material.cas {
        config = config.ca_certificate(Certificate::from_pem(pem));
    }
    let identity_paths = tls
        .client_identity()
        .map(|id| (id.cert_path().to_owned(), id.key_path().to_owned()));
    if let Some((cert, key)) = material.identity {
        config = config.identity(Identity::from_pem(cert, key));
    }
    if let Some(name) = tls.server_name() {
        config = config.domain_name(name);
    }
    endpoint.tls_config(config).map_err(|err| {
        let rustls_refused = crate::error::find_rustls(&err).is_some();
        match identity_paths {
            Some((cert, key)) if rustls_refused => Error::ClientIdentity {
                cert,
                key,
                source: Box::new(err),
            },
            _ => Error::TlsUnavailable {
                address: address.to_owned(),
                reason: "tonic refused the tls set-up".to_owned(),
                source: Some(Box::new(err)),
            },
        }
    })
}
