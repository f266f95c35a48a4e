//! The rules of docs/resolution.md ("Sources and precedence"), one function per field, in
//! the order of its table: alias, target, credentials, database, TLS, timeout, keep-alive.
//! Each reads the merged [`View`], records the origin of what it chose, and reports every
//! problem; [`build`] puts the results together.

mod auth;
mod security;
mod target;
pub(super) mod timeout;

use super::overridden::overridden;
use super::view::View;
use crate::error::Error;
use crate::origin::{Field, Key, Origin, Origins};
use crate::spec::{Alias, ConnectionSpec};

pub(super) use target::ResolvedTarget;

/// What the rules of credentials, database and TLS read and write: the view, the origins
/// chosen so far, the problems found.
pub(super) struct Cx<'v, 'a> {
    view: &'v View<'a>,
    origins: Origins,
    errors: &'v mut Vec<Error>,
}

/// The spec, with its origins and what was not used; `None` when a rule failed (its
/// problems are in `errors`).
pub(super) fn build(view: &View<'_>, errors: &mut Vec<Error>) -> Option<ConnectionSpec> {
    let mut cx = Cx {
        view,
        origins: Origins::new(),
        errors,
    };
    let alias = alias(view, &mut cx.origins, cx.errors);
    let target = target::resolve_target(view, cx.errors);
    if let Some(t) = &target {
        cx.origins.set(Field::Target, t.origin.clone());
        default_target_for_default_alias(view, t, alias.as_ref(), cx.errors);
    }
    let auth = auth::resolve_auth(&mut cx, target.as_ref());
    let db_name = auth::resolve_db(&mut cx, target.as_ref());
    let security = security::resolve_security(&mut cx, target.as_ref());
    let timeout = timeout(view, &mut cx.origins, cx.errors);
    let keep_alive = keep_alive(view, &mut cx.origins);
    let origins = cx.origins;

    let mut spec = ConnectionSpec {
        alias: alias?,
        target: target?.target,
        security: security?,
        auth: auth?,
        db_name: db_name?,
        timeout: timeout?,
        keep_alive,
        origins,
        overridden: Vec::new(),
    };
    spec.overridden = overridden(view, &spec);
    for o in &spec.overridden {
        tracing::debug!(given = %o.origin(), by = %o.by(), "value not used: {o}");
    }
    Some(spec)
}

/// Alias: explicit > stored > `MILVUS_CONN_ALIAS` > `default`.
fn alias(view: &View<'_>, origins: &mut Origins, errors: &mut Vec<Error>) -> Option<Alias> {
    let given = view.arg_or_var(Key::Alias, Key::MilvusConnAlias, errors)?;
    origins.set(Field::Alias, given.origin.clone());
    Alias::new(&given.value)
}

/// The default alias's name: `MILVUS_CONN_ALIAS` (environment, else `.env`), else
/// `default`. Read for [`Resolver::default_alias`](crate::Resolver::default_alias).
pub(super) fn default_alias(view: &View<'_>, errors: &mut Vec<Error>) -> Option<Alias> {
    let given = view.arg_or_var(Key::Alias, Key::MilvusConnAlias, errors)?;
    Alias::new(&given.value)
}

/// "The default target belongs to the default alias only": a non-default alias that
/// nobody gave a target is an error.
fn default_target_for_default_alias(
    view: &View<'_>,
    target: &ResolvedTarget,
    alias: Option<&Alias>,
    errors: &mut Vec<Error>,
) {
    let Some(alias) = alias.filter(|_| target.origin == Origin::Default) else {
        return;
    };
    let default_alias = view
        .get(Key::MilvusConnAlias, &mut Vec::new())
        .map_or_else(|| "default".to_owned(), |g| g.value);
    if alias.as_str() != default_alias {
        errors.push(Error::NoTarget {
            alias: alias.to_string(),
            default_alias,
        });
    }
}

/// Timeout: `timeout` > stored `timeout` > `MILVUS_CONN_TIMEOUT` > 10 s.
fn timeout(
    view: &View<'_>,
    origins: &mut Origins,
    errors: &mut Vec<Error>,
) -> Option<std::time::Duration> {
    let given = view.arg_or_var(Key::Timeout, Key::MilvusConnTimeout, errors)?;
    origins.set(Field::Timeout, given.origin.clone());
    timeout::parse_timeout(&given.value, &given.origin, errors)
}

/// Keep-alive: `keep_alive` > stored > `false`.
fn keep_alive(view: &View<'_>, origins: &mut Origins) -> bool {
    match view.get_bool(Key::KeepAlive) {
        Some((b, origin)) => {
            origins.set(Field::KeepAlive, origin);
            b
        }
        None => false,
    }
}
