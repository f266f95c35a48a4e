//! Invariants of resolution, shared by the property tests (`tests/properties.rs`) and the
//! fuzz targets (`fuzz/` at the top of the workspace).
//!
//! Each `check_*` function panics, with a message that names the broken invariant, when a
//! value breaks it: that is what proptest and libFuzzer detect. Nothing here is needed to
//! use the crate. The module is compiled only with the non-default `invariants` feature,
//! so these panicking helpers stay out of the default API and its semver promise; the
//! crate's own tests turn the feature on through a dev-dependency on the crate itself,
//! and `fuzz/Cargo.toml` turns it on for the fuzz targets.
//!
//! # Secrets
//!
//! A check cannot tell a leaked password from a host that happens to be spelled the same,
//! so secrets are searched for only when they cannot appear legitimately: a caller passes
//! the secrets it fed in and the public inputs beside them to [`checkable_secrets`], which
//! keeps the secrets that hold [`MARKER`] (in any case) when no public input holds it, raw
//! or percent-decoded. For those, any appearance of the marker in an output is a leak of
//! at least part of a secret. Property tests build their secrets around the marker; fuzz
//! targets find it through their dictionary.
//!
//! ```
//! use conn_config::ConnectArgs;
//! use conn_config::invariants::{check_resolution, checkable_secrets, split_uri_password};
//!
//! let uri = "http://root:QzX-s3cret@localhost:19530/db1";
//! let (password, public) = split_uri_password(uri, false);
//! assert_eq!(password, Some("QzX-s3cret"));
//! let secrets = checkable_secrets(&[password.unwrap_or("")], &[public.as_str()]);
//! assert_eq!(secrets, ["QzX-s3cret"]);
//! // Ok: the spec is checked and round-tripped; Err: the errors are checked.
//! check_resolution(&ConnectArgs::new().uri(uri).resolve_isolated(), &secrets);
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use secrecy::ExposeSecret;

use crate::{
    Auth, ConnectArgs, ConnectionSpec, Error, Errors, Field, Host, Origin, Security, Target,
    TlsMode,
};

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
/// use conn_config::invariants::uri_scheme;
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
/// use conn_config::invariants::split_uri_password;
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

/// Panics unless `spec` is valid: a TCP target with a non-empty, lower-case host (written so
/// that it parses back as an `address` and as a `host`) and a port in 1..=65535, a `unix:`
/// socket with a path, or a path ending in `.db`; a TLS mode that matches the files
/// (mutual with a client pair, one-way with CA files and no client pair, platform roots
/// with neither), a server name without whitespace; credentials that are non-empty and
/// encoded as `base64(user:password)` or `base64(token)`; a printable-ASCII database; a
/// non-empty alias without control characters; a positive timeout; `.env` origins with a
/// line number; unused values ([`ConnectionSpec::overridden`]) beaten by the field's own
/// origin, from a source no higher than it (or the default); and `Debug`/`Display` outputs that show none
/// of `secrets`.
pub fn check_spec(spec: &ConnectionSpec, secrets: &[&str]) {
    // Alias.
    let alias = spec.alias().as_str();
    assert!(
        !alias.is_empty() && !alias.chars().any(char::is_control),
        "invariant broken: alias {alias:?} is empty or holds a control character"
    );
    assert_eq!(
        alias,
        crate::uri::trim(alias),
        "invariant broken: alias {alias:?} has surrounding whitespace"
    );

    // Target.
    match spec.target() {
        Target::Tcp { host, port } => {
            assert!(port.get() >= 1, "invariant broken: port 0");
            if let Some(d) = host.as_name() {
                assert!(!d.is_empty(), "invariant broken: empty domain");
                assert!(
                    !d.chars().any(|c| c.is_ascii_uppercase()
                        || c.is_whitespace()
                        || c.is_control()
                        || matches!(c, ':' | '/' | '?' | '#' | '@' | '[' | ']' | '%' | '\\')),
                    "invariant broken: domain {d:?} is not lower-case or holds a character a host cannot"
                );
            }
            let address = spec.target().address();
            let again = ConnectArgs::new().address(&address).resolve_isolated();
            match again {
                Ok(s) => assert_eq!(
                    s.target(),
                    spec.target(),
                    "invariant broken: address {address:?} parses to another target"
                ),
                Err(e) => panic!(
                    "invariant broken: the target's address {address:?} does not parse as an address: {e}"
                ),
            }
            let bare = host.to_string();
            match ConnectArgs::new()
                .host(&bare)
                .port(port.get())
                .resolve_isolated()
            {
                Ok(s) => assert_eq!(
                    s.target(),
                    spec.target(),
                    "invariant broken: host {bare:?} parses to another target"
                ),
                Err(e) => {
                    panic!("invariant broken: the target's host {bare:?} does not parse: {e}")
                }
            }
        }
        Target::Unix(p) => {
            let s = p.to_string_lossy();
            assert!(
                !s.is_empty() && !s.chars().any(char::is_control),
                "invariant broken: socket path {s:?} is empty or holds a control character"
            );
        }
        Target::Lite(p) => {
            let s = p.to_string_lossy();
            assert!(
                s.ends_with(".db") && !s.chars().any(char::is_control),
                "invariant broken: milvus-lite path {s:?} does not end in .db or holds a control character"
            );
        }
    }
    assert_eq!(
        spec.target().to_string(),
        spec.target().address(),
        "invariant broken: Display of the target is not its address"
    );

    // Security.
    assert_eq!(spec.is_secure(), spec.security().is_tls());
    match spec.security() {
        Security::Plaintext => {}
        Security::Tls(tls) => {
            let expected = match (tls.client_identity(), tls.ca_files().is_empty()) {
                (Some(_), _) => TlsMode::Mutual,
                (None, false) => TlsMode::OneWay,
                (None, true) => TlsMode::PlatformRoots,
            };
            assert_eq!(
                tls.mode(),
                expected,
                "invariant broken: TLS mode does not match the files"
            );
            assert!(
                tls.ca_files().len() <= 2,
                "invariant broken: more than two CA files"
            );
            let named: Vec<&Path> = [tls.server_pem_path(), tls.ca_pem_path()]
                .into_iter()
                .flatten()
                .collect();
            let files: Vec<&Path> = tls.ca_files().iter().map(|p| p.as_path()).collect();
            assert_eq!(
                named, files,
                "invariant broken: ca_files is not server_pem_path then ca_pem_path"
            );
            for f in tls.ca_files() {
                assert!(!f.as_os_str().is_empty(), "invariant broken: empty CA path");
            }
            if let Some(id) = tls.client_identity() {
                assert!(
                    !id.cert_path().as_os_str().is_empty() && !id.key_path().as_os_str().is_empty(),
                    "invariant broken: empty client certificate or key path"
                );
            }
            if let Some(name) = tls.server_name() {
                assert!(
                    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control()),
                    "invariant broken: server name {name:?} is empty or holds whitespace"
                );
            }
        }
    }
    if spec.origin(Field::Security) == &Origin::Default {
        assert!(
            !spec.is_secure(),
            "invariant broken: TLS is on but its origin is the default"
        );
    }

    // Credentials.
    let engine = &base64::engine::general_purpose::STANDARD;
    let header = spec
        .authorization()
        .map(|h| engine.decode(h.expose_secret()));
    match spec.auth() {
        Auth::None => assert!(
            header.is_none(),
            "invariant broken: no credentials but an authorization header"
        ),
        Auth::Token(t) => {
            assert!(
                !t.expose_secret().is_empty(),
                "invariant broken: empty token"
            );
            let ok = matches!(&header, Some(Ok(h)) if h.as_slice() == t.expose_secret().as_bytes());
            assert!(
                ok,
                "invariant broken: the authorization header is not base64(token)"
            );
        }
        Auth::UserPassword { user, password } => {
            assert!(
                !user.is_empty() && !password.expose_secret().is_empty(),
                "invariant broken: empty user or password"
            );
            assert!(
                !user.chars().any(char::is_control),
                "invariant broken: user holds a control character"
            );
            let plain = format!("{user}:{}", password.expose_secret());
            let ok = matches!(&header, Some(Ok(h)) if h.as_slice() == plain.as_bytes());
            assert!(
                ok,
                "invariant broken: the authorization header is not base64(user:password)"
            );
        }
    }

    // Database, timeout, keep-alive.
    let db = spec.db_name().as_str();
    assert!(
        !db.is_empty() && db.chars().all(|c| c.is_ascii() && !c.is_ascii_control()),
        "invariant broken: database {db:?} is empty or not printable ASCII"
    );
    assert!(!spec.timeout().is_zero(), "invariant broken: zero timeout");
    if spec.origin(Field::KeepAlive) == &Origin::Default {
        assert!(
            !spec.keep_alive(),
            "invariant broken: keep_alive is on by default"
        );
    }

    // Origins, and the values the spec does not use.
    for f in Field::ALL {
        check_origin(&format!("origin of {f}"), spec.origin(f));
    }
    for o in spec.overridden() {
        let what = format!("unused value {o}");
        check_origin(&what, o.origin());
        check_origin(&what, o.by());
        assert_eq!(
            o.by(),
            spec.origin(o.field()),
            "invariant broken: {what}: what beat it is not the origin of {}",
            o.field()
        );
        assert_ne!(
            o.origin(),
            o.by(),
            "invariant broken: {what}: a value cannot beat itself"
        );
        // A value hidden by a variable set to "" in the real environment is beaten by
        // whatever supplies the field then, which may be the default. The environment and
        // `.env` are read as one environment: a `.env` variable can beat a *different*
        // real one (a `.env` MILVUS_URI beats a real MILVUS_DEFAULT_CONNECTION).
        let one_environment = matches!(o.origin(), Origin::Env { .. })
            && matches!(o.by(), Origin::DotEnv { .. })
            && o.origin().key() != o.by().key();
        assert!(
            o.origin().source_kind() <= o.by().source_kind()
                || o.by() == &Origin::Default
                || one_environment,
            "invariant broken: {what}: a value from a higher source is not used"
        );
        check_no_secret("an unused value", &format!("{o} {o:?}"), secrets);
    }

    check_limits(spec);

    // Secrets.
    check_no_secret("Debug of ConnectionSpec", &format!("{spec:?}"), secrets);
    check_no_secret("Debug of Auth", &format!("{:?}", spec.auth()), secrets);
    check_no_secret("Display of Target", &spec.target().to_string(), secrets);
    let origins: String = Field::ALL
        .iter()
        .map(|f| format!("{} {:?}; ", spec.origin(*f), spec.origin(*f)))
        .collect();
    check_no_secret("origins", &origins, secrets);
}

/// Panics unless every value in `spec` is within its limit (docs/resolution.md, "Limits"):
/// the timeout at most [`ConnectionSpec::MAX_TIMEOUT`]; a domain host, and a DNS
/// `server_name`, at most [`Host::MAX_LEN`] bytes of labels of ASCII letters, digits, `-`
/// and `_`, each 1..=[`Host::MAX_LABEL_LEN`] bytes (one trailing dot allowed); every
/// string (alias, user, password, token, database, paths, server name) at most
/// [`ConnectArgs::MAX_VALUE_LEN`] bytes.
pub fn check_limits(spec: &ConnectionSpec) {
    let timeout = spec.timeout();
    assert!(
        timeout <= ConnectionSpec::MAX_TIMEOUT,
        "invariant broken: timeout {timeout:?} is more than {:?}",
        ConnectionSpec::MAX_TIMEOUT
    );
    let max = ConnectArgs::MAX_VALUE_LEN;
    let within = |what: &str, len: usize| {
        assert!(
            len <= max,
            "invariant broken: {what} is {len} bytes, more than {max}"
        );
    };
    within("the alias", spec.alias().as_str().len());
    within("the database", spec.db_name().as_str().len());
    match spec.auth() {
        Auth::None => {}
        Auth::Token(t) => within("the token", t.expose_secret().len()),
        Auth::UserPassword { user, password } => {
            within("the user", user.len());
            within("the password", password.expose_secret().len());
        }
    }
    match spec.target() {
        Target::Tcp { host, .. } => {
            if let Some(d) = host.as_name() {
                check_host_name("host", d);
            }
        }
        Target::Unix(p) | Target::Lite(p) => within("the target path", p.as_os_str().len()),
    }
    if let Security::Tls(tls) = spec.security() {
        for f in tls.ca_files() {
            within("a CA path", f.as_os_str().len());
        }
        if let Some(id) = tls.client_identity() {
            within(
                "the client certificate path",
                id.cert_path().as_os_str().len(),
            );
            within("the client key path", id.key_path().as_os_str().len());
        }
        if let Some(name) = tls.server_name()
            && name.parse::<std::net::IpAddr>().is_err()
        {
            check_host_name("server name", name);
        }
    }
}

/// Panics unless `name` follows the host-name rule: at most [`Host::MAX_LEN`] bytes of
/// dot-separated labels of lower-case ASCII letters, digits, `-` and `_`, each
/// 1..=[`Host::MAX_LABEL_LEN`] bytes, with one optional trailing dot.
fn check_host_name(what: &str, name: &str) {
    assert!(
        name.len() <= Host::MAX_LEN,
        "invariant broken: {what} {name:?} is {} bytes, more than {}",
        name.len(),
        Host::MAX_LEN
    );
    for label in name.strip_suffix('.').unwrap_or(name).split('.') {
        assert!(
            (1..=Host::MAX_LABEL_LEN).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'_')),
            "invariant broken: {what} {name:?} has a label {label:?} that breaks the host-name rule"
        );
    }
}

fn check_origin(what: &str, origin: &Origin) {
    match origin {
        Origin::DotEnv { path, line, var } => {
            assert!(
                *line >= 1,
                "invariant broken: {what}: {var} from .env {} has line {line}",
                path.display()
            );
            assert!(
                !path.as_os_str().is_empty(),
                "invariant broken: {what}: .env origin without a path"
            );
        }
        Origin::Explicit { arg } | Origin::Stored { arg, .. } => {
            assert!(
                !arg.is_empty(),
                "invariant broken: {what}: empty argument name"
            );
        }
        Origin::Env { var } => {
            assert!(
                var.starts_with("MILVUS_"),
                "invariant broken: {what}: variable {var}"
            );
        }
        Origin::Default => {}
    }
}

/// Panics unless `spec` round-trips: [`ConnectionSpec::to_connect_args`] resolved alone
/// gives a spec [`same_as`](ConnectionSpec::same_as) `spec` (alias, target, security,
/// credentials, database, timeout, keep-alive), whose target comes from the `uri`
/// argument.
pub fn check_round_trip(spec: &ConnectionSpec) {
    let args = spec.to_connect_args();
    let again = match args.resolve_isolated() {
        Ok(s) => s,
        Err(e) => {
            panic!("invariant broken: {spec:?} rendered back to arguments does not resolve: {e}")
        }
    };
    let diff = spec.differences(&again);
    assert!(
        diff.is_empty(),
        "invariant broken: {spec:?} rendered back and resolved gives {again:?}, which differs in {diff:?}"
    );
    assert_eq!(
        again.origin(Field::Target),
        &Origin::Explicit { arg: "uri" },
        "invariant broken: the rendered target does not come from the uri argument"
    );
}

/// Every origin an error names.
fn error_origins(e: &Error) -> Vec<&Origin> {
    match e {
        Error::HttpsWithSecureFalse { uri, secure } => vec![uri, secure],
        Error::TlsSettingWithSecureFalse { setting, secure } => vec![setting, secure],
        other => other.origin().into_iter().collect(),
    }
}

/// Panics unless `errors` is well-formed: at least one error; each with a non-empty
/// message and field, `.env` lines at least 1; and no message, `Debug` or source showing
/// one of `secrets`.
pub fn check_errors(errors: &Errors, secrets: &[&str]) {
    assert!(
        errors.iter().next().is_some() && !errors.is_empty(),
        "invariant broken: an empty Errors"
    );
    check_no_secret("Display of Errors", &errors.to_string(), secrets);
    check_no_secret("Debug of Errors", &format!("{errors:?}"), secrets);
    for e in errors {
        let text = e.to_string();
        assert!(!text.is_empty(), "invariant broken: an empty error message");
        assert!(
            !e.field().as_str().is_empty(),
            "invariant broken: an error without a field"
        );
        check_no_secret("Display of Error", &text, secrets);
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            check_no_secret("source of Error", &s.to_string(), secrets);
            source = s.source();
        }
        if let Error::DotEnvParse { line, path } = e {
            assert!(
                *line >= 1,
                "invariant broken: .env parse error in {} with line {line}",
                path.display()
            );
        }
        for o in error_origins(e) {
            check_origin(&format!("error {text:?}"), o);
        }
    }
}

/// Checks a resolution: a spec with [`check_spec`] and [`check_round_trip`], errors with
/// [`check_errors`].
pub fn check_resolution(result: &Result<ConnectionSpec, Errors>, secrets: &[&str]) {
    match result {
        Ok(spec) => {
            check_spec(spec, secrets);
            check_round_trip(spec);
        }
        Err(errors) => check_errors(errors, secrets),
    }
}

/// Panics unless this crate's `.env` parser, run over `content` both without an
/// environment and with one that answers every name with a 4 KiB value, ends without a
/// panic, gives no value longer than 64 KiB, and takes no more steps (its own count of
/// the bytes and characters it looks at and copies) than a fixed multiple of the input's
/// size plus the interpolation budget: linear time on every input.
pub fn check_dotenv_parse(content: &str) {
    use crate::dotenv::{Entry, MAX_VALUE, parse_with, step_bound};
    let none = |_: &str| None;
    let four_kib = |_: &str| Some("v".repeat(4096));
    type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;
    let lookups: [(&str, Lookup<'_>); 2] =
        [("no environment", &none), ("4 KiB per variable", &four_kib)];
    for (env, lookup) in lookups {
        let mut longest = 0;
        let steps = parse_with(content, lookup, &mut |e| {
            if let Entry::Pair { value, .. } = e {
                longest = longest.max(value.len());
            }
        });
        assert!(
            longest <= MAX_VALUE,
            "invariant broken: a .env value of {longest} bytes ({env}), over the limit of {MAX_VALUE}"
        );
        let bound = step_bound(content.len());
        assert!(
            steps <= bound,
            "invariant broken: {steps} steps to parse {} bytes of .env ({env}), over {bound}",
            content.len()
        );
    }
    // The collecting form agrees with the streaming one.
    assert!(
        crate::dotenv::parse(content, &none).len() <= content.len() + 1,
        "invariant broken: more .env entries than bytes"
    );
}

/// A logical line of a `.env` file as dotenvy reads it: one physical line, or several when
/// a quote is open or a line ends in an escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvLine {
    /// The 1-based physical line it starts on.
    pub first: u32,
    /// The 1-based physical line it ends on.
    pub last: u32,
    /// What dotenvy makes of it.
    pub kind: DotEnvLineKind,
}

/// What dotenvy makes of a logical `.env` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DotEnvLineKind {
    /// A blank line or a comment.
    Skipped,
    /// An assignment to this key.
    Assignment(String),
    /// A line dotenvy cannot parse.
    Error,
}

/// dotenvy 0.15's `QuotedLines` end-of-line state machine (`iter.rs`, MIT), restated so
/// the checks can find the physical lines of each logical line independently of the code
/// under test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Complete,
    Escape,
    StrongOpen,
    StrongOpenEscape,
    WeakOpen,
    WeakOpenEscape,
    Comment,
    WhiteSpace,
}

fn end_state(mut state: State, buf: &str) -> State {
    for c in buf.chars() {
        state = match state {
            State::WhiteSpace => match c {
                '#' => return State::Comment,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::Escape | State::Comment => State::Complete,
            State::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => State::WhiteSpace,
                '\\' => State::Escape,
                '"' => State::WeakOpen,
                '\'' => State::StrongOpen,
                _ => State::Complete,
            },
            State::WeakOpen => match c {
                '\\' => State::WeakOpenEscape,
                '"' => State::Complete,
                _ => State::WeakOpen,
            },
            State::WeakOpenEscape => State::WeakOpen,
            State::StrongOpen => match c {
                '\\' => State::StrongOpenEscape,
                '\'' => State::Complete,
                _ => State::StrongOpen,
            },
            State::StrongOpenEscape => State::StrongOpen,
        };
    }
    state
}

/// Classifies one logical `.env` line (its text, final line break included). The checks
/// take it as an argument so that this crate does not depend on the reference parser;
/// the property tests and the fuzz targets pass dotenvy 0.15:
///
/// ```
/// use conn_config::invariants::DotEnvLineKind;
/// fn dotenvy_kind(text: &str) -> DotEnvLineKind {
///     match dotenvy::from_read_iter(text.as_bytes()).next() {
///         None => DotEnvLineKind::Skipped,
///         Some(Ok((key, _))) => DotEnvLineKind::Assignment(key),
///         Some(Err(_)) => DotEnvLineKind::Error,
///     }
/// }
/// assert_eq!(dotenvy_kind("export MILVUS_URI = 'x' # c\n"), DotEnvLineKind::Assignment("MILVUS_URI".into()));
/// assert_eq!(dotenvy_kind("not an assignment\n"), DotEnvLineKind::Error);
/// ```
pub type Classify<'a> = &'a dyn Fn(&str) -> DotEnvLineKind;

/// Splits `.env` content into dotenvy's logical lines (after a leading UTF-8 byte order
/// mark, which dotenvy's own loaders and this crate skip), each classified by `classify`.
/// A file that ends inside quotes or after an escape ends with an [`DotEnvLineKind::Error`]
/// line.
pub fn dotenv_lines(content: &str, classify: Classify<'_>) -> Vec<DotEnvLine> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut out = Vec::new();
    let physical: Vec<&str> = content.split_inclusive('\n').collect();
    let mut i = 0;
    while i < physical.len() {
        let first = i;
        let mut buf = String::new();
        let mut state = State::Complete;
        let mut complete = false;
        while i < physical.len() {
            buf.push_str(physical[i]);
            i += 1;
            if buf.trim_start().starts_with('#') {
                complete = true;
                break;
            }
            state = end_state(state, physical[i - 1]);
            if matches!(state, State::Complete | State::Comment) {
                complete = true;
                break;
            }
        }
        let kind = if complete {
            classify(&buf)
        } else {
            DotEnvLineKind::Error
        };
        let line = |n: usize| u32::try_from(n + 1).unwrap_or(u32::MAX);
        out.push(DotEnvLine {
            first: line(first),
            last: line(i - 1),
            kind,
        });
    }
    out
}

/// Panics unless the `.env` line numbers in `result` are right for a `.env` file at `path`
/// holding `content`, its lines classified by `classify`: both [`check_dotenv_error_lines`] and [`check_dotenv_origin_lines`].
pub fn check_dotenv_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    check_dotenv_error_lines(content, path, result, classify);
    check_dotenv_origin_lines(content, path, result, classify);
}

/// Panics unless the parse errors of a `.env` file at `path` holding `content` are right:
/// as many as the logical lines dotenvy cannot parse, the n-th within the n-th such line,
/// and none (so no success) when dotenvy parses every line. When the problems were capped
/// ([`Errors::omitted`]), the stored ones are the first of those lines, in order.
pub fn check_dotenv_error_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    let lines = dotenv_lines(content, classify);
    let bad: Vec<&DotEnvLine> = lines
        .iter()
        .filter(|l| l.kind == DotEnvLineKind::Error)
        .collect();
    let (reported, capped): (Vec<u32>, bool) = match result {
        Ok(_) => (Vec::new(), false),
        Err(errors) => (
            errors
                .iter()
                .filter_map(|e| match e {
                    Error::DotEnvParse { path: p, line } if p == path => Some(*line),
                    _ => None,
                })
                .collect(),
            errors.omitted() > 0,
        ),
    };
    if let Err(errors) = result {
        assert!(
            errors.len() <= Errors::MAX_STORED
                && (errors.omitted() == 0 || errors.len() == Errors::MAX_STORED),
            "invariant broken: {} problems stored and {} omitted (the cap is {})",
            errors.len(),
            errors.omitted(),
            Errors::MAX_STORED
        );
    }
    assert!(
        reported.len() == bad.len() || (capped && reported.len() < bad.len()),
        "invariant broken: {} .env parse errors reported (lines {reported:?}) for {} logical lines dotenvy cannot parse {bad:?}",
        reported.len(),
        bad.len()
    );
    for (line, l) in reported.iter().zip(&bad) {
        assert!(
            (l.first..=l.last).contains(line),
            "invariant broken: .env parse error reported on line {line}, but the bad logical line spans lines {}..={}",
            l.first,
            l.last
        );
    }
}

/// Panics unless every value `result` says comes from the `.env` file at `path` holding
/// `content` (in the spec's origins or in an error) names the line where the variable's
/// last assignment starts. An assignment whose value is past a limit
/// ([`Error::DotEnvValueTooLarge`], [`Error::DotEnvInterpolationBudget`]) assigns
/// nothing; when problems were capped, those lines are not all known and nothing is
/// checked.
pub fn check_dotenv_origin_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    let mut over_limit = std::collections::BTreeSet::new();
    if let Err(errors) = result {
        if errors.omitted() > 0 {
            return;
        }
        for e in errors {
            match e {
                Error::DotEnvValueTooLarge { path: p, line, .. }
                | Error::DotEnvInterpolationBudget { path: p, line, .. }
                    if p == path =>
                {
                    over_limit.insert(*line);
                }
                _ => {}
            }
        }
    }
    let mut last_assignment: BTreeMap<String, u32> = BTreeMap::new();
    for l in dotenv_lines(content, classify) {
        if let DotEnvLineKind::Assignment(k) = l.kind
            && !over_limit.contains(&l.first)
        {
            last_assignment.insert(k, l.first);
        }
    }
    let check = |o: &Origin| {
        if let Origin::DotEnv { var, path: p, line } = o
            && p == path
        {
            let expected = last_assignment.get(*var).copied();
            assert_eq!(
                Some(*line),
                expected,
                "invariant broken: {var} is said to come from .env line {line}, but its last assignment starts on line {expected:?}"
            );
        }
    };
    match result {
        Ok(spec) => {
            for f in Field::ALL {
                check(spec.origin(f));
            }
        }
        Err(errors) => {
            for e in errors {
                for o in error_origins(e) {
                    check(o);
                }
            }
        }
    }
}
