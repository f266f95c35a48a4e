//! The connection flags shared by `resolve` and `ping`, and their resolution.

use std::convert::Infallible;
use std::path::PathBuf;

use clap::Args;
use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, Resolver};
use secrecy::SecretString;

use crate::problem::Problem;

/// One flag per explicit argument of `ConnectArgs`, plus where `.env` comes from. An empty
/// value counts as not given. No flag reads the environment itself: the resolver does.
#[derive(Args)]
pub(crate) struct ConnFlags {
    /// Connection alias (else MILVUS_CONN_ALIAS, else "default").
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    alias: Option<String>,

    /// Target URI: http://, https://, tcp:// or grpc://HOST:PORT/DB (port and database optional), unix:PATH, or a .db path.
    #[arg(
        long,
        value_name = "URI",
        help_heading = "Connection",
        allow_hyphen_values = true
    )]
    uri: Option<String>,

    /// Target as HOST:PORT (an IPv6 host in brackets); beats --uri and --host/--port.
    #[arg(long, value_name = "HOST:PORT", help_heading = "Connection")]
    address: Option<String>,

    /// Target host (port 19530 unless --port is given).
    #[arg(long, value_name = "HOST", help_heading = "Connection")]
    host: Option<String>,

    /// Target port, 1..=65535 (host localhost unless --host is given).
    #[arg(
        long,
        value_name = "PORT",
        help_heading = "Connection",
        allow_hyphen_values = true
    )]
    port: Option<String>,

    /// User name; needs --password.
    #[arg(
        long,
        value_name = "USER",
        help_heading = "Credentials",
        allow_hyphen_values = true
    )]
    user: Option<String>,

    /// Password; needs --user. Never printed.
    #[arg(long, value_name = "PASSWORD", help_heading = "Credentials",
          value_parser = secret, allow_hyphen_values = true)]
    password: Option<SecretString>,

    /// Token (an API key, or user:password); beats --user/--password. Never printed.
    #[arg(long, value_name = "TOKEN", help_heading = "Credentials",
          value_parser = secret, allow_hyphen_values = true)]
    token: Option<SecretString>,

    /// Database (beats the URI's path and MILVUS_DB_NAME).
    #[arg(
        long,
        value_name = "DB",
        help_heading = "Connection",
        allow_hyphen_values = true
    )]
    db_name: Option<String>,

    /// TLS on or off; `--secure` alone means true. https and TLS flags turn it on.
    #[arg(long, value_name = "true|false", help_heading = "TLS",
          num_args = 0..=1, default_missing_value = "true")]
    secure: Option<String>,

    /// PEM file with the server's certificate to trust (one-way TLS).
    #[arg(long, value_name = "PATH", help_heading = "TLS", value_parser = path())]
    server_pem_path: Option<PathBuf>,

    /// PEM file with the CA certificate to trust.
    #[arg(long, value_name = "PATH", help_heading = "TLS", value_parser = path())]
    ca_pem_path: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS; needs --client-key-path.
    #[arg(long, value_name = "PATH", help_heading = "TLS", value_parser = path())]
    client_pem_path: Option<PathBuf>,

    /// Client private key (PEM) for mutual TLS; needs --client-pem-path.
    #[arg(long, value_name = "PATH", help_heading = "TLS", value_parser = path())]
    client_key_path: Option<PathBuf>,

    /// Name to check in the server's certificate instead of the host.
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    server_name: Option<String>,

    /// Connect timeout in seconds, a positive number (else MILVUS_CONN_TIMEOUT, else 10).
    #[arg(
        long,
        value_name = "SECONDS",
        help_heading = "Connection",
        allow_hyphen_values = true
    )]
    timeout: Option<String>,

    /// Ask the connection layer to reconnect when idle (pymilvus's keep_alive).
    #[arg(long, value_name = "true|false", help_heading = "Connection",
          num_args = 0..=1, default_missing_value = "true")]
    keep_alive: Option<String>,

    /// Read this .env file instead of searching for .env from the current directory up.
    // Not `conflicts_with = "no_dotenv"`: clap would count an empty `--dotenv ""`, which is
    // "not given"; `dotenv_conflict` checks it instead.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = ".env file",
        value_parser = path()
    )]
    dotenv: Option<PathBuf>,

    /// Read no .env file.
    #[arg(long, help_heading = ".env file")]
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
fn parse_bool(flag: &'static str, value: Option<&str>) -> Result<Option<bool>, Problem> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
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
        self.no_dotenv
            && self
                .dotenv
                .as_ref()
                .is_some_and(|p| !p.as_os_str().is_empty())
    }

    /// Where the `.env` file comes from: `--no-dotenv`, `--dotenv PATH`, else the search
    /// (an empty `--dotenv ""` is not given: the search).
    fn dotenv(&self) -> DotEnv {
        match &self.dotenv {
            _ if self.no_dotenv => DotEnv::Disabled,
            Some(p) if !p.as_os_str().is_empty() => DotEnv::Path(p.clone()),
            _ => DotEnv::Search,
        }
    }

    /// The names of the connection flags that are given (values are never logged).
    fn given(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        macro_rules! given {
            ($($name:ident),*) => {$(
                if self.$name.is_some() {
                    names.push(stringify!($name));
                }
            )*};
        }
        given!(
            alias,
            uri,
            address,
            host,
            port,
            user,
            password,
            token,
            db_name,
            secure,
            server_pem_path,
            ca_pem_path,
            client_pem_path,
            client_key_path,
            server_name,
            timeout,
            keep_alive
        );
        names
    }

    /// The flags as `ConnectArgs`, and the problems of the flags the library does not check
    /// (`--secure`, `--keep-alive` values other than true/false).
    fn to_connect_args(&self) -> (ConnectArgs, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut args = ConnectArgs::new();
        macro_rules! set {
            ($($name:ident),*) => {$(
                if let Some(v) = &self.$name {
                    args = args.$name(v.clone());
                }
            )*};
        }
        set!(
            alias,
            uri,
            address,
            host,
            port,
            user,
            password,
            token,
            db_name,
            server_pem_path,
            ca_pem_path,
            client_pem_path,
            client_key_path,
            server_name,
            timeout
        );
        match parse_bool("secure", self.secure.as_deref()) {
            Ok(Some(b)) => args = args.secure(b),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
        match parse_bool("keep_alive", self.keep_alive.as_deref()) {
            Ok(Some(b)) => args = args.keep_alive(b),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
        (args, problems)
    }

    /// Resolves the flags against the process environment, `.env` and the defaults, as
    /// `conn_config::Resolver::new()` does.
    ///
    /// # Errors
    ///
    /// Every problem: the flags' own, then the resolver's.
    pub(crate) fn resolve(&self) -> Result<ConnectionSpec, Vec<Problem>> {
        let (args, mut problems) = self.to_connect_args();
        let dotenv = self.dotenv();
        // Names only: `ConnectArgs`'s Debug shows a URI whole, userinfo password included.
        tracing::debug!(flags = ?self.given(), ?dotenv, "resolving");
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
