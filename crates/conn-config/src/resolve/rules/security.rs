//! TLS: on with `https`, `secure=true` or any TLS setting; `secure=false` with either of
//! the others is an error naming both (docs/resolution.md, "Security").

use std::path::PathBuf;

use super::{Cx, ResolvedTarget};
use crate::error::Error;
use crate::origin::{Field, Key};
use crate::resolve::view::Given;
use crate::spec::{ClientIdentity, Security, TlsSpec};
use crate::uri::{self, Scheme};

/// TLS: `https`, `secure=true` or any TLS setting turns it on; `secure=false` with either of
/// the others is an error naming both.
pub(super) fn resolve_security(
    cx: &mut Cx<'_, '_>,
    target: Option<&ResolvedTarget>,
) -> Option<Security> {
    let (view, origins, errors) = (cx.view, &mut cx.origins, &mut *cx.errors);
    let secure = view.get_bool(Key::Secure);
    let https = target.and_then(|t| {
        t.uri
            .as_ref()
            .filter(|u| u.scheme == Scheme::Https)
            .map(|_| t.origin.clone())
    });
    let server_pem = view.get(Key::ServerPemPath, errors);
    let ca_pem = view.get(Key::CaPemPath, errors);
    let client_pem = view.get(Key::ClientPemPath, errors);
    let client_key = view.get(Key::ClientKeyPath, errors);
    let server_name = view.get(Key::ServerName, errors);
    let settings: Vec<&Given> = [&server_pem, &ca_pem, &client_pem, &client_key, &server_name]
        .into_iter()
        .flatten()
        .collect();

    let mut ok = true;
    if let Some((false, secure_origin)) = &secure {
        if let Some(uri) = &https {
            errors.push(Error::HttpsWithSecureFalse {
                uri: uri.clone(),
                secure: secure_origin.clone(),
            });
            ok = false;
        }
        for s in &settings {
            errors.push(Error::TlsSettingWithSecureFalse {
                setting: s.origin.clone(),
                secure: secure_origin.clone(),
            });
            ok = false;
        }
        if ok {
            origins.set(Field::Security, secure_origin.clone());
            return Some(Security::Plaintext);
        }
        return None;
    }

    let on_origin = match (&secure, &https, settings.first()) {
        (Some((true, o)), _, _) => Some(o.clone()),
        (_, Some(o), _) => Some(o.clone()),
        (_, _, Some(s)) => Some(s.origin.clone()),
        _ => None,
    };
    let Some(on_origin) = on_origin else {
        return Some(Security::Plaintext);
    };
    origins.set(Field::Security, on_origin);

    let client = match (&client_pem, &client_key) {
        (Some(c), Some(k)) => Some(ClientIdentity {
            cert: PathBuf::from(&c.value),
            key: PathBuf::from(&k.value),
        }),
        (Some(c), None) => {
            errors.push(Error::IncompleteClientIdentity {
                present: c.origin.clone(),
                missing: Key::ClientKeyPath,
            });
            ok = false;
            None
        }
        (None, Some(k)) => {
            errors.push(Error::IncompleteClientIdentity {
                present: k.origin.clone(),
                missing: Key::ClientPemPath,
            });
            ok = false;
            None
        }
        (None, None) => None,
    };
    let server_name = match server_name {
        Some(g) => match uri::parse_server_name(&g.value, &g.origin) {
            Ok(name) => Some(name),
            Err(e) => {
                errors.push(e);
                ok = false;
                None
            }
        },
        None => None,
    };
    let ca_files = [&server_pem, &ca_pem]
        .into_iter()
        .flatten()
        .map(|g| PathBuf::from(&g.value))
        .collect();
    ok.then_some(Security::Tls(TlsSpec {
        ca_files,
        has_server_pem: server_pem.is_some(),
        client,
        server_name,
    }))
}
