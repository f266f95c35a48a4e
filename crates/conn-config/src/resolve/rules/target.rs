//! Target: `address` > `uri` > `host`/`port` > the same for stored arguments >
//! `MILVUS_URI` > `MILVUS_DEFAULT_CONNECTION` > `http://localhost:19530`; the first source
//! that gives any of them supplies the target as a whole.

use crate::error::Error;
use crate::origin::{Key, Origin, SourceKind};
use crate::resolve::view::{Given, View};
use crate::spec::{Host, Port, Target};
use crate::uri::{self, ParsedUri};

/// The target, as the source that supplied it wrote it.
pub(in crate::resolve) struct ResolvedTarget {
    pub(in crate::resolve) target: Target,
    pub(in crate::resolve) origin: Origin,
    /// Set when the target came from a URI (credentials, database, https).
    pub(in crate::resolve) uri: Option<ParsedUri>,
}

pub(super) fn resolve_target(view: &View<'_>, errors: &mut Vec<Error>) -> Option<ResolvedTarget> {
    let mut local = Vec::new();
    let keys = [Key::Address, Key::Uri, Key::Host, Key::Port].map(|k| view.get(k, &mut local));
    // The arguments' highest source (explicit or stored) supplies the target as a whole; a
    // value rejected by `get` (a control character) still counts as given.
    let top = keys
        .iter()
        .flatten()
        .map(Given::source_kind)
        .chain(
            local
                .iter()
                .filter_map(|e| e.origin().map(Origin::source_kind)),
        )
        .max()
        .unwrap_or(SourceKind::Default);
    let from_args = top.is_argument();
    let [address, uri_arg, host, port] = keys.map(|g| g.filter(|g| g.source_kind() == top));
    if from_args {
        // Only the winning source's values are validated.
        let before = errors.len();
        errors.extend(
            local
                .into_iter()
                .filter(|e| e.origin().is_some_and(|o| o.source_kind() == top)),
        );
        if errors.len() > before {
            return None;
        }
        if let Some(a) = address {
            let (host, port) = uri::parse_address(&a.value, &a.origin)
                .map_err(|e| errors.push(e))
                .ok()?;
            return Some(ResolvedTarget {
                target: Target::Tcp { host, port },
                origin: a.origin,
                uri: None,
            });
        }
        if let Some(u) = uri_arg {
            return from_uri(&u, errors);
        }
        let origin = host
            .as_ref()
            .or(port.as_ref())
            .map(|g| g.origin.clone())
            .unwrap_or(Origin::Default);
        let h = match &host {
            Some(h) => uri::parse_host(&h.value, &h.origin)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(Host::localhost()),
        };
        let p = match &port {
            Some(p) => uri::parse_port(&p.value, &p.origin)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(Port::MILVUS),
        };
        return Some(ResolvedTarget {
            target: Target::Tcp { host: h?, port: p? },
            origin,
            uri: None,
        });
    }
    // The environment: MILVUS_URI, else MILVUS_DEFAULT_CONNECTION (an empty value counts as
    // not given), else the default URI.
    if let Some(env_uri) = view
        .get(Key::MilvusUri, errors)
        .or_else(|| view.get(Key::MilvusDefaultConnection, errors))
    {
        return from_uri(&env_uri, errors);
    }
    let default = view.get(Key::Uri, errors)?;
    from_uri(&default, errors)
}

fn from_uri(given: &Given, errors: &mut Vec<Error>) -> Option<ResolvedTarget> {
    match uri::parse_uri(&given.value, &given.origin) {
        Ok(parsed) => Some(ResolvedTarget {
            target: parsed.target.clone(),
            origin: given.origin.clone(),
            uri: Some(parsed),
        }),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}
