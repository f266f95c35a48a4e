//! A spec rendered back into arguments, the one renderer: everything
//! ([`ConnectionSpec::to_connect_args`], the round trip) or only what arguments gave
//! ([`ConnectionSpec::to_stored_args`], what the registry keeps for an alias).

use secrecy::ExposeSecret;

use crate::args::ConnectArgs;
use crate::origin::Field;
use crate::spec::{Auth, ConnectionSpec, Security, Target};

impl ConnectionSpec {
    /// Explicit arguments that resolve back to this spec (origins aside): the target as a
    /// URI (credentials percent-encoded in its userinfo, the database as its path), plus
    /// `secure`, the TLS paths, the token, the timeout, the alias and `keep_alive`.
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// use conn_config::ConnectArgs;
    /// let spec = ConnectArgs::new().uri("https://u:p%40ss@Example.com/db1").resolve_isolated()?;
    /// let again = spec.to_connect_args().resolve_isolated()?;
    /// assert!(spec.same_as(&again));
    /// # Ok(()) }
    /// ```
    pub fn to_connect_args(&self) -> ConnectArgs {
        render(self, Scope::Everything)
    }

    /// The arguments to store for this spec's alias (the registry's, after a connect):
    /// resolved as the alias's stored arguments, they give the same values this spec got
    /// from arguments, explicit or stored ([`SourceKind::is_argument`](crate::SourceKind::is_argument)),
    /// and leave every other field to the environment, `.env` and the defaults, read
    /// again at the next resolution.
    ///
    /// Per field: the target as `address` (TCP) or `uri` (`unix:`, `.db`); the credentials;
    /// the database; `secure` when an argument set it; the TLS settings (only arguments
    /// give them); the timeout; `keep_alive`.
    ///
    /// ```
    /// # fn main() -> Result<(), conn_config::Errors> {
    /// use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
    /// let env = MapEnv::from_pairs([("MILVUS_DB_NAME", "analytics")]);
    /// let r = Resolver::with_env(env).dotenv(DotEnv::Disabled);
    /// let spec = r.resolve(&ConnectArgs::new().host("h"))?;
    /// let stored = spec.to_stored_args();
    /// // The target is kept; the database is left to MILVUS_DB_NAME.
    /// let again = r.resolve_with_stored(&ConnectArgs::new(), Some(&stored))?;
    /// assert!(spec.same_as(&again));
    /// assert_eq!(again.origin(conn_config::Field::DbName).to_string(), "MILVUS_DB_NAME (environment)");
    /// # Ok(()) }
    /// ```
    pub fn to_stored_args(&self) -> ConnectArgs {
        render(self, Scope::Arguments)
    }
}

/// What to render.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every field, the target as a URI holding the credentials and the database.
    Everything,
    /// The fields arguments gave, each as its own argument.
    Arguments,
}

fn render(spec: &ConnectionSpec, scope: Scope) -> ConnectArgs {
    let take =
        |field: Field| scope == Scope::Everything || spec.origin(field).source_kind().is_argument();
    let mut args = ConnectArgs::new().alias(spec.alias().as_str());
    args = match scope {
        Scope::Everything => target_as_uri(spec, args),
        Scope::Arguments => target_and_auth(spec, args, take),
    };
    if take(Field::DbName) {
        args = args.db_name(spec.db_name().as_str());
    }
    if take(Field::Security) {
        args = args.secure(spec.is_secure());
    }
    args = tls_settings(spec, args);
    if take(Field::Timeout) {
        args = args.timeout(spec.timeout());
    }
    if take(Field::KeepAlive) {
        args = args.keep_alive(spec.keep_alive());
    }
    args
}

/// The target as `address` (TCP) or `uri`, and the credentials as `token` or
/// `user` + `password`, each when `take` says its field came from arguments.
fn target_and_auth(
    spec: &ConnectionSpec,
    mut args: ConnectArgs,
    take: impl Fn(Field) -> bool,
) -> ConnectArgs {
    if take(Field::Target) {
        args = match spec.target() {
            Target::Tcp { .. } => args.address(spec.target().address()),
            // `unix:PATH`, a `.db` path (and any kind added later) round-trip as a URI.
            _ => args.uri(spec.target().address()),
        };
    }
    if take(Field::Auth) {
        args = match spec.auth() {
            Auth::Token(token) => args.token(token.clone()),
            Auth::UserPassword { user, password } => {
                args.user(user.clone()).password(password.clone())
            }
            Auth::None => args,
        };
    }
    args
}

/// The target as a URI with the credentials in its userinfo and the database as its path,
/// unless that makes it longer than a value may be (each part is within the limit, not
/// always their sum): then the URI holds the host and port only, and user and password
/// are arguments of their own. A token is an argument.
fn target_as_uri(spec: &ConnectionSpec, mut args: ConnectArgs) -> ConnectArgs {
    let userinfo = match spec.auth() {
        Auth::UserPassword { user, password } => format!(
            "{}:{}@",
            encode_component(user),
            encode_component(password.expose_secret())
        ),
        Auth::Token(t) => {
            args = args.token(t.clone());
            String::new()
        }
        Auth::None => String::new(),
    };
    let mut in_uri = true;
    let uri = match spec.target() {
        Target::Tcp { host, port } => {
            let scheme = if spec.is_secure() { "https" } else { "http" };
            let full = format!(
                "{scheme}://{userinfo}{}:{port}/{}",
                host.to_uri_host(),
                encode_component(spec.db_name().as_str())
            );
            if full.len() <= ConnectArgs::MAX_VALUE_LEN {
                full
            } else {
                in_uri = false;
                format!("{scheme}://{}:{port}", host.to_uri_host())
            }
        }
        Target::Unix(p) => {
            in_uri = false;
            format!("unix:{}", p.display())
        }
        Target::Lite(p) => {
            in_uri = false;
            p.display().to_string()
        }
    };
    if !in_uri && let Auth::UserPassword { user, password } = spec.auth() {
        args = args.user(user.clone()).password(password.clone());
    }
    args.uri(uri)
}

/// The TLS settings, whichever source turned TLS on (only arguments give them); each
/// turns TLS on again when resolved.
fn tls_settings(spec: &ConnectionSpec, mut args: ConnectArgs) -> ConnectArgs {
    let Security::Tls(tls) = spec.security() else {
        return args;
    };
    if let Some(path) = tls.server_pem_path() {
        args = args.server_pem_path(path);
    }
    if let Some(path) = tls.ca_pem_path() {
        args = args.ca_pem_path(path);
    }
    if let Some(id) = tls.client_identity() {
        args = args
            .client_pem_path(id.cert_path().to_path_buf())
            .client_key_path(id.key_path().to_path_buf());
    }
    if let Some(name) = tls.server_name() {
        args = args.server_name(name);
    }
    args
}

/// Percent-encodes a URI userinfo part or path segment.
fn encode_component(s: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    // Everything but unreserved characters (RFC 3986 section 2.3).
    const SET: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'!')
        .add(b'"')
        .add(b'#')
        .add(b'$')
        .add(b'%')
        .add(b'&')
        .add(b'\'')
        .add(b'(')
        .add(b')')
        .add(b'*')
        .add(b'+')
        .add(b',')
        .add(b'/')
        .add(b':')
        .add(b';')
        .add(b'<')
        .add(b'=')
        .add(b'>')
        .add(b'?')
        .add(b'@')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests;
