//! Resolve connection arguments the way an SDK would — explicit arguments, then `MILVUS_*`
//! variables, then `.env`, then defaults — and show where every value came from.
//!
//! ```sh
//! cargo run -p conn-config --example explain -- uri=https://root:Milvus@db.example.com/analytics
//! MILVUS_CONN_TIMEOUT=3 cargo run -p conn-config --example explain -- db_name=reports
//! cargo run -p conn-config --example explain -- uri=http://h:70000 user=root   # two problems
//! ```
//!
//! Arguments are `key=value` with the keys of `ConnectArgs`: `uri`, `address`, `host`,
//! `port`, `user`, `password`, `token`, `db_name`, `timeout`, `alias`, `server_name`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use conn_config::{ConnectArgs, ConnectionSpec, Field};

fn main() -> ExitCode {
    let mut args = ConnectArgs::new();
    for arg in std::env::args().skip(1) {
        let Some((key, value)) = arg.split_once('=') else {
            println!("expected key=value, got {arg:?}");
            return ExitCode::from(2);
        };
        args = match key {
            "uri" => args.uri(value),
            "address" => args.address(value),
            "host" => args.host(value),
            "port" => args.port(value),
            "user" => args.user(value),
            "password" => args.password(value),
            "token" => args.token(value),
            "db_name" => args.db_name(value),
            "timeout" => args.timeout(value),
            "alias" => args.alias(value),
            "server_name" => args.server_name(value),
            _ => {
                println!("unknown key {key:?}");
                return ExitCode::from(2);
            }
        };
    }

    // `resolve()` reads the process environment and the nearest `.env`; tests and embedders
    // use `Resolver::with_env(MapEnv::..)` instead.
    match args.resolve() {
        Ok(spec) => {
            explain(&spec);
            ExitCode::SUCCESS
        }
        Err(errors) => {
            // Every problem at once, each naming its field and where the value came from.
            println!("{errors}");
            ExitCode::from(2)
        }
    }
}

fn explain(spec: &ConnectionSpec) {
    let security = match spec.security().tls() {
        Some(tls) => format!("tls ({})", tls.mode().as_str()),
        None => "plaintext".to_owned(),
    };
    let auth = match (spec.auth().user(), spec.authorization()) {
        (Some(user), _) => format!("user {user}, password <redacted>"),
        (None, Some(_)) => "token <redacted>".to_owned(),
        (None, None) => "none".to_owned(),
    };
    let rows = [
        (Field::Alias, spec.alias().to_string()),
        (Field::Target, spec.target().to_string()),
        (Field::Security, security),
        (Field::Auth, auth),
        (Field::DbName, spec.db_name().to_string()),
        (Field::Timeout, format!("{:?}", spec.timeout())),
        (Field::KeepAlive, spec.keep_alive().to_string()),
    ];
    println!("{:<10}  {:<40}  ORIGIN", "FIELD", "VALUE");
    for (field, value) in rows {
        println!(
            "{:<10}  {value:<40}  {}",
            field.to_string(),
            spec.origin(field)
        );
    }
    // Values that were given but lost to a higher-precedence source.
    for unused in spec.overridden() {
        println!("unused: {unused}");
    }
}
