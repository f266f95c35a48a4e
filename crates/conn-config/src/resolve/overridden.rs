//! What was given but not used: every value some source gave that the spec does not use,
//! with what beat it ([`ConnectionSpec::overridden`]).

use super::view::View;
use crate::origin::{Field, Key, Origin, Overridden, SourceKind};
use crate::spec::{Auth, ConnectionSpec};

/// The field an argument or variable feeds.
fn field_of(key: Key) -> Field {
    match key {
        Key::Alias | Key::MilvusConnAlias => Field::Alias,
        Key::User | Key::Password | Key::Token | Key::MilvusToken => Field::Auth,
        Key::DbName | Key::MilvusDbName => Field::DbName,
        Key::Timeout | Key::MilvusConnTimeout => Field::Timeout,
        Key::KeepAlive => Field::KeepAlive,
        Key::Secure
        | Key::ServerPemPath
        | Key::CaPemPath
        | Key::ClientPemPath
        | Key::ClientKeyPath
        | Key::ServerName => Field::Security,
        _ => Field::Target,
    }
}

/// Every value some source gave (non-empty), highest source first, with its key and
/// origin; the defaults are not given by anyone.
fn given_values(view: &View<'_>) -> Vec<(Key, Origin)> {
    view.layers()
        .filter(|layer| layer.kind != SourceKind::Default)
        .flat_map(|layer| {
            layer
                .entries
                .iter()
                .filter(|e| e.raw.is_given())
                .map(|e| (e.key, view.origin_of(layer.kind, e.key, e.line)))
        })
        .collect()
}

/// The values some source gave that `spec` does not use, and what beat each.
pub(super) fn overridden(view: &View<'_>, spec: &ConnectionSpec) -> Vec<Overridden> {
    let same_source = |a: &Origin, b: &Origin| a.source_kind() == b.source_kind();
    given_values(view)
        .into_iter()
        .filter_map(|(key, origin)| {
            let field = field_of(key);
            let by = spec.origin(field);
            let won_its_key = || view.origin(key).as_ref() == Some(&origin);
            let used = match field {
                _ if &origin == by => true,
                // host and port together supply one target.
                Field::Target => {
                    matches!(key, Key::Host | Key::Port)
                        && matches!(by.key(), Some(Key::Host | Key::Port))
                        && same_source(&origin, by)
                }
                // user and password together; the URI's userinfo fills a missing half.
                Field::Auth => {
                    matches!(key, Key::User | Key::Password)
                        && matches!(spec.auth(), Auth::UserPassword { .. })
                        && same_source(&origin, by)
                }
                // `secure`, when it won its key; each TLS setting that won its key, while
                // TLS is on.
                Field::Security => (key == Key::Secure || spec.is_secure()) && won_its_key(),
                _ => false,
            };
            (!used).then(|| Overridden {
                origin,
                field,
                by: by.clone(),
            })
        })
        .collect()
}
