//! Secrets in outputs: the marker, the URI password splitter, the no-secret checks.

use conn_config::ConnectArgs;

/// The marker that makes a secret searchable in outputs (compared ASCII case-insensitively).
pub const MARKER: &str = "QzX";

/// Whether `s` holds [`MARKER`], in any case.
pub fn holds_marker(s: &str) -> bool {
    s.to_ascii_lowercase()
        .contains(&MARKER.to_ascii_lowercase())
}

/// The secrets worth searching for in outputs: those that hold [`MARKER`], provided that no
/// public input holds it, as written or percent-decoded. Empty when the marker is public
/// (a host or a database named like it may then be shown legitimately).
pub fn checkable_secrets<'a>(secrets: &[&'a str], public: &[&str]) -> Vec<&'a str> {
    let public_has_marker = public.iter().any(|p| {
        holds_marker(p)
            || holds_marker(&percent_encoding::percent_decode_str(p).decode_utf8_lossy())
    });
    if public_has_marker {
        return Vec::new();
    }
    secrets
        .iter()
        .copied()
        .filter(|s| holds_marker(s))
        .collect()
}

/// The scheme of a value that starts with `scheme://`, as [`split_uri_password`] reads it: a
/// letter, then letters, digits, `+`, `-` or `.` (RFC 3986), other than `unix`. `None` for
/// anything else, which is a path or not a URI, and so has no userinfo.
///
/// ```
/// use conn_testkit::uri_scheme;
/// assert_eq!(uri_scheme("hTTpS://u@h"), Some("hTTpS"));
/// assert_eq!(uri_scheme("unix://u:p@h"), None);
/// assert_eq!(uri_scheme("http:u:p@h"), None);
/// ```
pub fn uri_scheme(uri: &str) -> Option<&str> {
    let scheme = &uri[..uri.find("://")?];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !scheme.eq_ignore_ascii_case("unix");
    valid.then_some(scheme)
}

/// Splits a URI into the password of its userinfo, as written, and everything else.
///
/// Only a value that starts with a scheme (RFC 3986: a letter, then letters, digits, `+`,
/// `-` or `.`) other than `unix`, followed by `://`, has a userinfo: anything else is a
/// path (`unix:` socket or `.db` file) or not a URI. The password runs from the first `:`
/// after `scheme://` to the last `@` before the query (`?`) or fragment (`#`); with
/// `through_query`, to the last `@` anywhere, which is how a URI whose password holds an
/// unencoded `?` or `#` must be read when it fails to parse. `(None, uri)` when there is
/// no password.
///
/// ```
/// use conn_testkit::split_uri_password;
/// assert_eq!(split_uri_password("http://u:p@h:1/db", false), (Some("p"), "http://u:@h:1/db".to_owned()));
/// assert_eq!(split_uri_password("http://u:p#x@h", false).0, None);
/// assert_eq!(split_uri_password("http://u:p#x@h", true).0, Some("p#x"));
/// // Paths, not URIs:
/// assert_eq!(split_uri_password("unix://u:p@h", false).0, None);
/// assert_eq!(split_uri_password("a%b://u:p@h.db", false).0, None);
/// ```
pub fn split_uri_password(uri: &str, through_query: bool) -> (Option<&str>, String) {
    let Some(start) = uri_scheme(uri).map(|scheme| scheme.len() + 3) else {
        return (None, uri.to_owned());
    };
    let rest = &uri[start..];
    let end = if through_query {
        rest.len()
    } else {
        rest.find(['?', '#']).unwrap_or(rest.len())
    };
    let Some(at) = rest[..end].rfind('@') else {
        return (None, uri.to_owned());
    };
    let Some(colon) = rest[..at].find(':') else {
        return (None, uri.to_owned());
    };
    let (from, to) = (start + colon + 1, start + at);
    let password = &uri[from..to];
    if password.is_empty() {
        return (None, uri.to_owned());
    }
    (Some(password), format!("{}{}", &uri[..from], &uri[to..]))
}

/// Panics if `text` shows one of `secrets`, or the [`MARKER`] of a secret that holds it.
///
/// Pass only secrets that cannot appear legitimately (see [`checkable_secrets`]).
pub fn check_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for (i, s) in secrets.iter().enumerate() {
        assert!(
            s.is_empty() || !text.contains(s),
            "invariant broken: {what} shows secret #{i} in full"
        );
    }
    if secrets.iter().any(|s| holds_marker(s)) {
        assert!(
            !holds_marker(text),
            "invariant broken: {what} shows (part of) a secret: the marker {MARKER} is in {text:?}"
        );
    }
}

/// Panics unless `args`'s `Debug` hides every one of `secrets`.
pub fn check_args_redacted(args: &ConnectArgs, secrets: &[&str]) {
    check_no_secret("Debug of ConnectArgs", &format!("{args:?}"), secrets);
}
