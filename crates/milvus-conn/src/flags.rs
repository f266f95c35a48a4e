//! The connection flags shared by `resolve` and `ping`, and their resolution.

use std::convert::Infallible;
use std::path::PathBuf;

use clap::Args;
use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Resolver};
use secrecy::SecretString;

use crate::problem::Problem;

/// One flag per explicit argument of `ConnectArgs`, plus where `.env` comes from. An empty
/// value counts as not given. No flag reads the environment itself: the resolver does.
///
/// The flags stand in `--help`'s order, one group per heading. A value that may start with
/// `-` (a port, a user, a timeout, a secret) has `allow_hyphen_values`, so that `--port -1`
/// reaches the resolver's check.
#[derive(Args)]
pub(crate) struct ConnFlags {
    #[command(flatten)]
    connection: ConnectionFlags,
    #[command(flatten)]
    credentials: CredentialFlags,
    #[command(flatten)]
    tls: TlsFlags,
    #[command(flatten)]
    dotenv: DotEnvFlags,
}

/// `--help` heading "Connection".
#[derive(Args)]
#[command(next_help_heading = "Connection")]
struct ConnectionFlags {
    /// Connection alias (else MILVUS_CONN_ALIAS, else "default").
    #[arg(long, value_name = "NAME")]
    alias: Option<String>,

    /// Target URI: http://, https://, tcp:// or grpc://HOST:PORT/DB (port and database optional), unix:PATH, or a .db path.
    #[arg(long, value_name = "URI", allow_hyphen_values = true)]
    uri: Option<String>,

    /// Target as HOST:PORT (an IPv6 host in brackets); beats --uri and --host/--port.
    #[arg(long, value_name = "HOST:PORT")]
    address: Option<String>,

    /// Target host (port 19530 unless --port is given).
    #[arg(long, value_name = "HOST")]
    host: Option<String>,

    /// Target port, 1..=65535 (host localhost unless --host is given).
    #[arg(long, value_name = "PORT", allow_hyphen_values = true)]
    port: Option<String>,

    /// Database (beats the URI's path and MILVUS_DB_NAME).
    #[arg(long, value_name = "DB", allow_hyphen_values = true)]
    db_name: Option<String>,

    /// Connect timeout in seconds, a positive number (else MILVUS_CONN_TIMEOUT, else 10).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    timeout: Option<String>,

    /// Ask the connection layer to reconnect when idle (pymilvus's keep_alive).
    #[arg(long, value_name = "true|false", num_args = 0..=1, default_missing_value = "true")]
    keep_alive: Option<String>,
}

/// `--help` heading "Credentials".
#[derive(Args)]
#[command(next_help_heading = "Credentials")]
struct CredentialFlags {
    /// User name; needs --password.
    #[arg(long, value_name = "USER", allow_hyphen_values = true)]
    user: Option<String>,

    /// Password; needs --user. Never printed.
    #[arg(long, value_name = "PASSWORD", value_parser = secret, allow_hyphen_values = true)]
    password: Option<SecretString>,

    /// Token (an API key, or user:password); beats --user/--password. Never printed.
    #[arg(long, value_name = "TOKEN", value_parser = secret, allow_hyphen_values = true)]
    token: Option<SecretString>,
}

/// `--help` heading "TLS".
#[derive(Args)]
#[command(next_help_heading = "TLS")]
struct TlsFlags {
    /// TLS on or off; `--secure` alone means true. https and TLS flags turn it on.
    #[arg(long, value_name = "true|false", num_args = 0..=1, default_missing_value = "true")]
    secure: Option<String>,

    /// PEM file with the server's certificate to trust (one-way TLS).
    #[arg(long, value_name = "PATH", value_parser = path())]
    server_pem_path: Option<PathBuf>,

    /// PEM file with the CA certificate to trust.
    #[arg(long, value_name = "PATH", value_parser = path())]
    ca_pem_path: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS; needs --client-key-path.
    #[arg(long, value_name = "PATH", value_parser = path())]
    client_pem_path: Option<PathBuf>,

    /// Client private key (PEM) for mutual TLS; needs --client-pem-path.
    #[arg(long, value_name = "PATH", value_parser = path())]
    client_key_path: Option<PathBuf>,

    /// Name to check in the server's certificate instead of the host.
    #[arg(long, value_name = "NAME")]
    server_name: Option<String>,
}

/// `--help` heading ".env file".
#[derive(Args)]
#[command(next_help_heading = ".env file")]
struct DotEnvFlags {
    /// Read this .env file instead of searching for .env from the current directory up.
    // Not `conflicts_with = "no_dotenv"`: clap would count an empty `--dotenv ""`, which is
    // "not given"; `dotenv_conflict` checks it instead.
    #[arg(long, value_name = "PATH", value_parser = path())]
    dotenv: Option<PathBuf>,

    /// Read no .env file.
    #[arg(long)]
    no_dotenv: bool,
}

/// A path flag's parser: any value, the empty one included (clap's `PathBuf` parser refuses
/// `""` with "a value is required"; here it reaches the library, where it counts as not
/// given, as for every other flag). Not necessarily UTF-8.
fn path() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// Parses a secret flag straight into a [`SecretString`].
fn secret(s: &str) -> Result<SecretString, Infallible> {
    Ok(SecretString::from(s))
}

/// `true` or `false` (any case); an empty value is "not given".
fn parse_bool(flag: &'static str, value: &str) -> Result<Option<bool>, Problem> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.eq_ignore_ascii_case("true") {
        Ok(Some(true))
    } else if v.eq_ignore_ascii_case("false") {
        Ok(Some(false))
    } else {
        Err(Problem {
            field: flag.to_owned(),
            origin: Some(format!("{flag} (argument)")),
            message: format!("{flag} {v:?} in {flag} (argument) is not true or false"),
            more: 0,
        })
    }
}

impl ConnFlags {
    /// `--dotenv PATH` together with `--no-dotenv`, a usage error. An empty `--dotenv ""`
    /// is not given, so it goes with `--no-dotenv`.
    pub(crate) fn dotenv_conflict(&self) -> bool {
        let DotEnvFlags { dotenv, no_dotenv } = &self.dotenv;
        *no_dotenv && dotenv.as_ref().is_some_and(|p| !p.as_os_str().is_empty())
    }

    /// Where the `.env` file comes from: `--no-dotenv`, `--dotenv PATH`, else the search
    /// (an empty `--dotenv ""` is not given: the search).
    fn dotenv(&self) -> DotEnv {
        match &self.dotenv {
            DotEnvFlags {
                no_dotenv: true, ..
            } => DotEnv::Disabled,
            DotEnvFlags {
                dotenv: Some(p), ..
            } if !p.as_os_str().is_empty() => DotEnv::Path(p.clone()),
            _ => DotEnv::Search,
        }
    }

    /// The flags as `ConnectArgs`; the names of the connection flags that are given (for
    /// the log: values are never logged), in `ConnectArgs`'s order; and the problems of the
    /// flags the library does not check (`--secure`, `--keep-alive` values other than
    /// true/false).
    fn to_connect_args(&self) -> (ConnectArgs, Vec<&'static str>, Vec<Problem>) {
        let (mut args, mut given, mut problems) = (ConnectArgs::new(), Vec::new(), Vec::new());
        // `set!(group: names)`: each flag given is named and passed to the setter of the same
        // name; `set!(group: bool name)`: a true/false flag, checked here.
        macro_rules! set {
            ($group:ident: $($name:ident),+) => {$(
                if let Some(v) = &self.$group.$name {
                    given.push(stringify!($name));
                    args = args.$name(v.clone());
                }
            )+};
            ($group:ident: bool $name:ident) => {
                if let Some(v) = &self.$group.$name {
                    given.push(stringify!($name));
                    match parse_bool(stringify!($name), v) {
                        Ok(Some(b)) => args = args.$name(b),
                        Ok(None) => {}
                        Err(p) => problems.push(p),
                    }
                }
            };
        }
        set! { connection: alias, uri, address, host, port }
        set! { credentials: user, password, token }
        set! { connection: db_name }
        set! { tls: bool secure }
        set! { tls: server_pem_path, ca_pem_path, client_pem_path, client_key_path, server_name }
        set! { connection: timeout }
        set! { connection: bool keep_alive }
        (args, given, problems)
    }

    /// Resolves the flags against the process environment, `.env` and the defaults, as
    /// `conn_config::Resolver::new()` does.
    ///
    /// # Errors
    ///
    /// Every problem: the flags' own, then the resolver's.
    pub(crate) fn resolve(&self) -> Result<ConnectionSpec, Vec<Problem>> {
        let (args, given, mut problems) = self.to_connect_args();
        let dotenv = self.dotenv();
        // Names only: values (a user name, a path) stay out of the log.
        tracing::debug!(flags = ?given, ?dotenv, "resolving");
        match Resolver::new().dotenv(dotenv).resolve(&args) {
            Ok(spec) if problems.is_empty() => {
                tracing::debug!(?spec, "resolved");
                Ok(spec)
            }
            Ok(_) => Err(problems),
            Err(errors) => {
                problems.extend(errors.iter().map(Problem::from));
                if errors.omitted() > 0 {
                    problems.push(Problem::more(errors.omitted()));
                }
                Err(problems)
            }
        }
    }
}
