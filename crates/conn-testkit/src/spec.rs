//! Checks of a resolved spec, of its round trip, and of errors.

use std::path::Path;

use base64::Engine as _;
use conn_config::secrecy::ExposeSecret;
use conn_config::{
    Auth, ConnectArgs, ConnectionSpec, Error, Errors, Field, Host, Origin, Security, Target,
    TlsMode,
};

use crate::secrets::check_no_secret;

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
        alias.trim_matches([' ', '\t', '\r', '\n']),
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
        other => panic!("conn-testkit does not know the target {other:?}"),
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
        other => panic!("conn-testkit does not know the security {other:?}"),
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
        other => panic!("conn-testkit does not know the credentials {other:?}"),
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
        other => panic!("conn-testkit does not know the credentials {other:?}"),
    }
    match spec.target() {
        Target::Tcp { host, .. } => {
            if let Some(d) = host.as_name() {
                check_host_name("host", d);
            }
        }
        Target::Unix(p) | Target::Lite(p) => within("the target path", p.as_os_str().len()),
        other => panic!("conn-testkit does not know the target {other:?}"),
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
        other => panic!("conn-testkit does not know the origin {other:?}"),
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
pub(crate) fn error_origins(e: &Error) -> Vec<&Origin> {
    match e {
        Error::HttpsWithSecureFalse { uri, secure, .. } => vec![uri, secure],
        Error::TlsSettingWithSecureFalse {
            setting, secure, ..
        } => vec![setting, secure],
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
        if let Error::DotEnvParse { line, path, .. } = e {
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
