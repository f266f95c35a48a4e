//! Problems with the input, as the CLI reports them: one line each on stderr, and
//! `{"errors": [...]}` on stdout with `--format json`.

use std::io::{self, Write};

use serde::Serialize;

use crate::out::Painter;
use crate::{Exit, Format};

/// Problems with the input: a message on stderr, and with `--format json` the errors object on
/// stdout. Exit 2.
///
/// # Errors
///
/// Writing failed.
pub(crate) fn report(problems: &[Problem], format: Format, err: Painter) -> io::Result<Exit> {
    if format == Format::Json {
        let mut stdout = io::stdout().lock();
        write_json(&mut stdout, problems)?;
        stdout.flush()?;
    }
    write_text(
        &mut io::stderr().lock(),
        err,
        "cannot resolve the connection",
        problems,
    )?;
    Ok(Exit::BadInput)
}

/// One problem: the argument or variable at fault, where its value came from, and what is
/// wrong. Never holds a secret value (conn-config's errors never do, and the CLI's own
/// messages only quote `--secure`/`--keep-alive` values).
#[derive(Debug, Serialize)]
pub(crate) struct Problem {
    /// The argument or variable at fault (`port`, `MILVUS_URI`, `.env`, `target`, …).
    pub(crate) field: String,
    /// Where the value came from (`port (argument)`, `MILVUS_URI (.env /p/.env:3)`), when one
    /// place is at fault.
    pub(crate) origin: Option<String>,
    /// The full message, with its causes.
    pub(crate) message: String,
    /// For the last entry of a capped list only (`and N more problems`): how many problems
    /// it stands for. Zero for a real problem.
    #[serde(skip)]
    pub(crate) more: usize,
}

impl Problem {
    /// The entry that ends a list capped at `conn_config::Errors::MAX_STORED`: field
    /// `problems`, no origin, message `and N more problems`.
    pub(crate) fn more(n: usize) -> Problem {
        Problem {
            field: "problems".to_owned(),
            origin: None,
            message: match n {
                1 => "and 1 more problem".to_owned(),
                n => format!("and {n} more problems"),
            },
            more: n,
        }
    }
}

impl From<&conn_config::Error> for Problem {
    fn from(e: &conn_config::Error) -> Problem {
        use conn_config::Error;
        let origin = match e {
            Error::DotEnvParse { path, line, .. }
            | Error::DotEnvValueTooLarge { path, line, .. }
            | Error::DotEnvInterpolationBudget { path, line, .. } => {
                Some(format!(".env {}:{line}", path.display()))
            }
            Error::DotEnvRead { path, .. }
            | Error::DotEnvNotAFile { path, .. }
            | Error::DotEnvTooLarge { path, .. } => Some(format!(".env {}", path.display())),
            other => other.origin().map(ToString::to_string),
        };
        Problem {
            field: e.field().as_str().to_owned(),
            origin,
            message: with_causes(e),
            more: 0,
        }
    }
}

/// An error's message followed by its sources, `: `-separated.
pub(crate) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        // Some layers (tonic, hyper) repeat their source in their own message.
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// `{"errors": [...]}` and a newline.
pub(crate) fn write_json(w: &mut impl Write, problems: &[Problem]) -> io::Result<()> {
    #[derive(Serialize)]
    struct Errors<'a> {
        errors: &'a [Problem],
    }
    serde_json::to_writer_pretty(&mut *w, &Errors { errors: problems })?;
    writeln!(w)
}

/// `milvus-conn: cannot resolve the connection (N problems):` then one line per problem.
pub(crate) fn write_text(
    w: &mut impl Write,
    p: Painter,
    what: &str,
    problems: &[Problem],
) -> io::Result<()> {
    // A capped list ends with an entry that stands for the problems left out.
    let total: usize = problems.iter().map(|p| p.more.max(1)).sum();
    let count = match total {
        1 => String::new(),
        n => format!(" ({n} problems)"),
    };
    writeln!(w, "{}: {what}{count}", p.error("error"))?;
    for problem in problems {
        writeln!(w, "  - {}", problem.message)?;
    }
    Ok(())
}
