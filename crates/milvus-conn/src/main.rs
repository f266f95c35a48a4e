//! `milvus-conn`: resolve Milvus connection settings exactly as the library does, show where
//! every value came from, and check that the server answers.
//!
//! ```text
//! milvus-conn resolve [FLAGS] [--format table|json] [--show-secrets]
//! milvus-conn ping    [FLAGS] [--format table|json] [--count N]
//! ```
//!
//! Exit statuses are listed in [`Exit`] and in `docs/cli.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod flags;
mod out;
mod ping;
mod problem;
mod resolve_cmd;

use std::io::{self, IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::flags::ConnFlags;
use crate::out::Painter;

/// Two lines on precedence, shown under every `--help`.
const PRECEDENCE: &str = "\
Precedence: flags > environment (MILVUS_URI, MILVUS_TOKEN, MILVUS_DB_NAME, ...) > .env file > defaults.
Target: --address > --uri > --host/--port > MILVUS_URI > MILVUS_DEFAULT_CONNECTION > http://localhost:19530.";

/// Resolve Milvus connection settings and show where each value came from.
#[derive(Parser)]
#[command(name = "milvus-conn", version, about, after_help = PRECEDENCE)]
struct Cli {
    /// Log what happens to stderr: -v info, -vv debug, -vvv trace (warnings are always shown).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// When to colour the output: auto colours on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true, value_name = "WHEN")]
    color: ColorWhen,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Resolve flags, MILVUS_* variables, .env and defaults into one connection spec, and show
    /// every value with its origin.
    #[command(after_help = PRECEDENCE)]
    Resolve {
        #[command(flatten)]
        conn: ConnFlags,

        /// Output format.
        // `help_heading = None` (here and below): under "Options", not the connection
        // flags' last heading, which clap carries over to the flags declared after them.
        #[arg(long, value_enum, default_value_t = Format::Table, help_heading = None)]
        format: Format,

        /// Show the `authorization` header value (base64 of the token or user:password)
        /// instead of `<redacted>`.
        #[arg(long, help_heading = None)]
        show_secrets: bool,
    },

    /// Connect (TCP or Unix socket, TLS, the Connect handshake), then GetVersion and
    /// CheckHealth; print the server version, deploy mode, health and each step's time.
    #[command(after_help = PING_AFTER_HELP)]
    Ping {
        #[command(flatten)]
        conn: ConnFlags,

        /// Output format.
        // `help_heading = None`: as for `resolve`.
        #[arg(long, value_enum, default_value_t = Format::Table, help_heading = None)]
        format: Format,

        /// Call GetVersion N times and print the min/median/max round trip.
        #[arg(long, value_name = "N", default_value_t = 1, help_heading = None,
              value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
}

/// `ping --help`: precedence, then the exit statuses.
const PING_AFTER_HELP: &str = "\
Precedence: flags > environment (MILVUS_URI, MILVUS_TOKEN, MILVUS_DB_NAME, ...) > .env file > defaults.
Target: --address > --uri > --host/--port > MILVUS_URI > MILVUS_DEFAULT_CONNECTION > http://localhost:19530.
A local path ending in .db starts Milvus Lite for it: MILVUS_LITE_BIN, else milvus-lite on
PATH, else python3 -m milvus_lite (pip install milvus-lite).

Exit status: 0 ok, 1 internal error, 2 bad input, 3 unreachable or timed out, 4 TLS,
5 authentication, 6 server error, 7 not a Milvus gRPC port, 8 server not healthy.";

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table for people.
    Table,
    /// One JSON object for scripts (schema in docs/cli.md).
    Json,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set to a non-empty value.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The exit statuses of `milvus-conn`; scripts can act on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Exit {
    /// Success.
    Ok = 0,
    /// Something outside the user's input failed (writing the output, starting the runtime;
    /// Milvus Lite not installed, locked, or exited while starting).
    Internal = 1,
    /// Bad input: a bad flag, variable or `.env` line, an unreadable TLS file, a milvus-lite
    /// `.db` target whose directory is missing or that has TLS settings; nothing was sent.
    BadInput = 2,
    /// `ping`: nothing answered at the address, or a step did not finish within the timeout.
    Unreachable = 3,
    /// `ping`: the TLS handshake failed (untrusted or mismatched certificate, client
    /// certificate required or rejected, not a TLS port), or this build cannot do TLS.
    Tls = 4,
    /// `ping`: the server rejected the credentials (gRPC `UNAUTHENTICATED`).
    Authentication = 5,
    /// `ping`: the server answered with an error status (an unknown database, say) or
    /// another gRPC error.
    Server = 6,
    /// `ping`: the address does not implement Milvus's calls (gRPC `UNIMPLEMENTED`): not a
    /// Milvus gRPC port.
    NotMilvus = 7,
    /// `ping`: every call worked but `CheckHealth` says the server is not healthy.
    Unhealthy = 8,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse().and_then(Cli::check) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let stdout_colour = colour(cli.color, io::stdout().is_terminal());
    let stderr_colour = colour(cli.color, io::stderr().is_terminal());
    init_tracing(cli.verbose, stderr_colour);
    let out = Painter::new(stdout_colour);
    let err = Painter::new(stderr_colour);
    let (Command::Resolve { conn, format, .. } | Command::Ping { conn, format, .. }) = &cli.command;
    let exit = match (conn.resolve(), &cli.command) {
        (Err(problems), _) => problem::report(&problems, *format, err),
        (Ok(spec), Command::Resolve { show_secrets, .. }) => {
            resolve_cmd::run(&spec, *format, *show_secrets, out)
        }
        (Ok(spec), Command::Ping { count, .. }) => ping::run(&spec, *format, *count, out, err),
    };
    match exit {
        Ok(exit) => exit.into(),
        // A reader that went away (`milvus-conn resolve | head -1`) is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Ok.into(),
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot write output: {e}");
            Exit::Internal.into()
        }
    }
}

impl Cli {
    /// What clap's own rules cannot say: `--dotenv PATH` conflicts with `--no-dotenv` only
    /// when `PATH` is not empty (an empty value is not given).
    fn check(self) -> Result<Cli, clap::Error> {
        let (name, conn) = match &self.command {
            Command::Resolve { conn, .. } => ("resolve", conn),
            Command::Ping { conn, .. } => ("ping", conn),
        };
        if conn.dotenv_conflict() {
            use clap::CommandFactory as _;
            let mut cli = Cli::command();
            cli.build();
            let kind = clap::error::ErrorKind::ArgumentConflict;
            let message = "the argument '--dotenv <PATH>' cannot be used with '--no-dotenv'";
            return Err(match cli.find_subcommand_mut(name) {
                Some(command) => command.error(kind, message),
                None => cli.error(kind, message),
            });
        }
        Ok(self)
    }
}

/// Whether to colour a stream: `--color`, else a terminal without a non-empty `NO_COLOR`.
fn colour(when: ColorWhen, is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => is_terminal && !no_color(),
    }
}

/// `NO_COLOR` set to a non-empty value (<https://no-color.org>), read through conn-config's
/// [`ProcessEnv`](conn_config::ProcessEnv), the workspace's one reader of the environment.
fn no_color() -> bool {
    use conn_config::Environment as _;
    conn_config::ProcessEnv
        .var("NO_COLOR")
        .is_some_and(|v| !v.is_empty())
}

/// Warnings always; `-v` info, `-vv` debug, `-vvv` trace; to stderr.
fn init_tracing(verbose: u8, ansi: bool) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_max_level(level)
        .with_ansi(ansi)
        .with_target(verbose >= 2)
        .without_time()
        .init();
}

/// A command line clap cannot parse: clap's message on stderr (help and version on stdout),
/// and with `--format json` an errors object on stdout.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        let _ = e.print();
        return if e.exit_code() == 0 {
            Exit::Ok.into()
        } else {
            Exit::BadInput.into()
        };
    }
    if wants_json(std::env::args_os()) {
        let first_line = e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        let problem = problem::Problem {
            field: "arguments".to_owned(),
            origin: Some("command line".to_owned()),
            message: first_line,
            more: 0,
        };
        let _ = problem::write_json(&mut io::stdout().lock(), &[problem]);
    }
    let _ = e.print();
    Exit::BadInput.into()
}

/// Whether the raw command line asks for `--format json` (used only when clap cannot parse it).
fn wants_json(args: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<_> = args.collect();
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|n| n == "json"))
    })
}
