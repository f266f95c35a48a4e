//! Credentials and database, which a URI's userinfo and path can also give.

use super::{Cx, ResolvedTarget};
use crate::error::Error;
use crate::origin::{Field, Key, Origin, Origins, SourceKind};
use crate::resolve::view::{Given, View};
use crate::spec::{Auth, DbName};

/// Credentials: explicit token > explicit user+password > the userinfo of the explicit
/// URI > the same for stored arguments > the userinfo of the environment's URI >
/// `MILVUS_TOKEN` > none.
///
/// The highest source that gives any of a token, a user, a password or (in the URI that
/// supplied the target) a userinfo decides. A user and a password come both from the
/// dedicated arguments or both from that URI's userinfo, never one from each: a dedicated
/// user without a dedicated password (or the reverse) is half a pair, whatever the URI
/// holds, and is an error even beside a token. Half a userinfo in the URI that supplied the
/// target is an error whatever its source and whatever else is given.
pub(super) fn resolve_auth(cx: &mut Cx<'_, '_>, target: Option<&ResolvedTarget>) -> Option<Auth> {
    let (view, origins, errors) = (cx.view, &mut cx.origins, &mut *cx.errors);
    let token = view.secret_origin(Key::Token);
    let user = view.get(Key::User, errors);
    let password = view.secret_origin(Key::Password);
    // The target's URI, with its source.
    let uri = target.and_then(|t| t.uri.as_ref().map(|u| (u, &t.origin)));
    let mut ok = true;
    let uri_pair = match uri {
        Some((u, origin)) => match (&u.user, &u.password) {
            (Some(user), Some(password)) => Some((user.clone(), password.clone(), origin)),
            (Some(_), None) => {
                errors.push(Error::UserWithoutPassword {
                    origin: origin.clone(),
                });
                ok = false;
                None
            }
            (None, Some(_)) => {
                errors.push(Error::PasswordWithoutUser {
                    origin: origin.clone(),
                });
                ok = false;
                None
            }
            (None, None) => None,
        },
        None => None,
    };
    let uri_has_userinfo = uri.is_some_and(|(u, _)| u.user.is_some() || u.password.is_some());
    let kinds = [
        token.as_ref().map(Origin::source_kind),
        user.as_ref().map(Given::source_kind),
        password.as_ref().map(Origin::source_kind),
        uri.filter(|_| uri_has_userinfo)
            .map(|(_, o)| o.source_kind()),
    ];
    let Some(top) = kinds
        .iter()
        .flatten()
        .copied()
        .max()
        .filter(|&r| r >= SourceKind::DotEnv)
    else {
        let auth = env_token(view, origins, errors);
        return ok.then_some(auth);
    };
    let at_top = |o: &Origin| o.source_kind() == top;

    // The deciding source's pair: from its dedicated arguments if it gives either, else
    // from its URI's userinfo.
    let user = user.filter(|g| at_top(&g.origin));
    let password = password.filter(at_top);
    let pair = match (user, password) {
        (Some(u), Some(_)) => match view.secret(Key::Password, errors) {
            Some((p, _)) => Some((u.value, p, u.origin)),
            None => {
                ok = false;
                None
            }
        },
        (Some(u), None) => {
            errors.push(Error::UserWithoutPassword { origin: u.origin });
            ok = false;
            None
        }
        (None, Some(origin)) => {
            errors.push(Error::PasswordWithoutUser { origin });
            ok = false;
            None
        }
        (None, None) => uri_pair
            .filter(|(_, _, o)| at_top(o))
            .map(|(u, p, o)| (u, p, o.clone())),
    };
    if let Some(t_origin) = token.filter(at_top) {
        if pair.is_some() {
            tracing::warn!(
                source = %t_origin,
                "both a token and a user/password are given; the token wins"
            );
        }
        let (secret, origin) = view.secret(Key::Token, errors)?;
        if !ok {
            return None;
        }
        origins.set(Field::Auth, origin);
        return Some(Auth::Token(secret));
    }
    let (user, password, origin) = pair.filter(|_| ok)?;
    origins.set(Field::Auth, origin);
    Some(Auth::UserPassword { user, password })
}

/// `MILVUS_TOKEN`, the last source of credentials.
fn env_token(view: &View<'_>, origins: &mut Origins, errors: &mut Vec<Error>) -> Auth {
    match view.secret(Key::MilvusToken, errors) {
        Some((secret, origin)) => {
            origins.set(Field::Auth, origin);
            Auth::Token(secret)
        }
        None => Auth::None,
    }
}

/// Database: explicit `db_name` > the explicit URI's path > the same for stored arguments >
/// the environment URI's path > `MILVUS_DB_NAME` > `default`.
pub(super) fn resolve_db(cx: &mut Cx<'_, '_>, target: Option<&ResolvedTarget>) -> Option<DbName> {
    let (view, origins, errors) = (cx.view, &mut cx.origins, &mut *cx.errors);
    let dedicated = view.get(Key::DbName, errors);
    let from_path = target.and_then(|t| {
        let db = t.uri.as_ref()?.db.clone()?;
        Some(Given {
            value: db,
            origin: t.origin.clone(),
        })
    });
    let explicit_like = dedicated.clone().filter(|g| g.source_kind().is_argument());
    let chosen = match (explicit_like, from_path) {
        (Some(d), Some(p)) => Some(if d.source_kind() >= p.source_kind() {
            d
        } else {
            p
        }),
        (Some(d), None) => Some(d),
        (None, Some(p)) => Some(p),
        (None, None) => None,
    };
    let chosen = chosen
        .or_else(|| view.get(Key::MilvusDbName, errors))
        .or(dedicated)?;
    origins.set(Field::DbName, chosen.origin.clone());
    validate_db(chosen, errors)
}

fn validate_db(given: Given, errors: &mut Vec<Error>) -> Option<DbName> {
    let reason = if given
        .value
        .chars()
        .any(|c| !c.is_ascii() || c.is_ascii_control())
    {
        Some("it travels in the dbname header, so it must be printable ASCII")
    } else {
        None
    };
    match reason {
        Some(reason) => {
            errors.push(Error::InvalidDbName {
                origin: given.origin,
                value: given.value.escape_debug().to_string(),
                reason,
            });
            None
        }
        None => Some(DbName(given.value)),
    }
}
