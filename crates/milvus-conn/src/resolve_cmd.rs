//! `milvus-conn resolve`: the resolved spec with the origin of every value, as a table or as
//! the JSON object of `docs/cli.md`.

use std::io::{self, Write};
use std::path::Path;

use conn_config::{ConnectionSpec, Field, Origin};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::flags::ConnFlags;
use crate::out::{Cell, Painter, origin_style, write_table};
use crate::problem::{self, Problem};
use crate::{Exit, Format};

/// What `<redacted>` secrets show as.
pub(crate) const REDACTED: &str = "<redacted>";

/// Resolves the flags and prints the spec (exit 0), or every problem (exit 2).
///
/// # Errors
///
/// Writing to stdout or stderr failed.
pub(crate) fn run(
    flags: &ConnFlags,
    format: Format,
    show_secrets: bool,
    out: Painter,
    err: Painter,
) -> io::Result<Exit> {
    let spec = match flags.resolve() {
        Ok(spec) => spec,
        Err(problems) => return report_problems(&problems, format, err),
    };
    let mut stdout = io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &SpecJson::new(&spec, show_secrets))?;
            writeln!(stdout)?;
        }
        Format::Table => {
            write_table(
                &mut stdout,
                out,
                &["FIELD", "VALUE", "ORIGIN"],
                &table_rows(&spec, show_secrets),
            )?;
            // Nothing given is dropped silently: list what lost, and to what.
            if !spec.overridden().is_empty() {
                writeln!(stdout)?;
                let rows: Vec<Vec<Cell>> = spec
                    .overridden()
                    .iter()
                    .map(|o| {
                        vec![
                            origin_cell(o.origin()),
                            Cell::plain(format!("{} comes from {}", o.field(), o.by())),
                        ]
                    })
                    .collect();
                write_table(&mut stdout, out, &["NOT USED", "BECAUSE"], &rows)?;
            }
        }
    }
    stdout.flush()?;
    Ok(Exit::Ok)
}

/// Problems with the input: a message on stderr, and with `--format json` the errors object on
/// stdout. Exit 2.
///
/// # Errors
///
/// Writing failed.
pub(crate) fn report_problems(
    problems: &[Problem],
    format: Format,
    err: Painter,
) -> io::Result<Exit> {
    if format == Format::Json {
        let mut stdout = io::stdout().lock();
        problem::write_json(&mut stdout, problems)?;
        stdout.flush()?;
    }
    problem::write_text(
        &mut io::stderr().lock(),
        err,
        "cannot resolve the connection",
        problems,
    )?;
    Ok(Exit::BadInput)
}

/// The `--format json` object. Field names are a contract (docs/cli.md).
#[derive(Serialize)]
struct SpecJson<'a> {
    alias: &'a str,
    target: TargetJson,
    secure: bool,
    tls: TlsJson,
    db_name: &'a str,
    auth: AuthJson<'a>,
    timeout_s: f64,
    origins: OriginsJson,
}

#[derive(Serialize)]
struct TargetJson {
    kind: &'static str,
    address: String,
    host: Option<String>,
    port: Option<u16>,
}

#[derive(Serialize)]
struct TlsJson {
    mode: &'static str,
    /// The trusted CA file: the one given, or with both `--server-pem-path` and
    /// `--ca-pem-path`, the `--ca-pem-path` one (all of them are in `ca_files`).
    ca: Option<String>,
    /// Every trusted file, `--server-pem-path` first.
    ca_files: Vec<String>,
    client_cert: Option<String>,
    client_key: Option<String>,
    server_name: Option<String>,
}

#[derive(Serialize)]
struct AuthJson<'a> {
    kind: &'static str,
    user: Option<&'a str>,
    authorization: Option<String>,
}

#[derive(Serialize)]
struct OriginsJson {
    target: String,
    auth: String,
    db_name: String,
    timeout: String,
    alias: String,
    secure: String,
}

fn path_string(p: &Path) -> String {
    p.display().to_string()
}

impl<'a> SpecJson<'a> {
    fn new(spec: &'a ConnectionSpec, show_secrets: bool) -> SpecJson<'a> {
        let target = spec.target();
        let tls = spec.security().tls();
        let ca_files: Vec<String> = tls
            .map(|t| t.ca_files().iter().map(|p| path_string(p)).collect())
            .unwrap_or_default();
        let client = tls.and_then(|t| t.client_identity());
        let origin = |f: Field| spec.origin(f).to_string();
        SpecJson {
            alias: spec.alias().as_str(),
            target: TargetJson {
                kind: target.kind(),
                address: target.address(),
                host: target.host().map(ToString::to_string),
                port: target.port().map(|p| p.get()),
            },
            secure: spec.is_secure(),
            tls: TlsJson {
                mode: tls.map_or("none", |t| t.mode().as_str()),
                ca: tls
                    .and_then(|t| t.ca_pem_path().or(t.server_pem_path()))
                    .map(path_string),
                ca_files,
                client_cert: client.map(|c| path_string(c.cert_path())),
                client_key: client.map(|c| path_string(c.key_path())),
                server_name: tls.and_then(|t| t.server_name()).map(str::to_owned),
            },
            db_name: spec.db_name().as_str(),
            auth: AuthJson {
                kind: spec.auth().kind(),
                user: spec.auth().user(),
                authorization: authorization(spec, show_secrets),
            },
            timeout_s: spec.timeout().as_secs_f64(),
            origins: OriginsJson {
                target: origin(Field::Target),
                auth: origin(Field::Auth),
                db_name: origin(Field::DbName),
                timeout: origin(Field::Timeout),
                alias: origin(Field::Alias),
                secure: origin(Field::Security),
            },
        }
    }
}

/// The `authorization` header value: `None` without credentials, `<redacted>` unless
/// `show_secrets`.
fn authorization(spec: &ConnectionSpec, show_secrets: bool) -> Option<String> {
    spec.authorization().map(|a| {
        if show_secrets {
            a.expose_secret().to_owned()
        } else {
            REDACTED.to_owned()
        }
    })
}

fn origin_cell(origin: &Origin) -> Cell {
    Cell::styled(origin.to_string(), origin_style(origin.source_kind()))
}

/// A seconds figure as the table writes it: `10s`, `2.5s`.
pub(crate) fn seconds(d: std::time::Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The rows of the `resolve` table.
fn table_rows(spec: &ConnectionSpec, show_secrets: bool) -> Vec<Vec<Cell>> {
    let opt_path = |p: Option<&Path>| p.map_or_else(|| "-".to_owned(), path_string);
    let mut rows = vec![
        vec![
            Cell::plain("alias"),
            Cell::plain(spec.alias().as_str()),
            origin_cell(spec.origin(Field::Alias)),
        ],
        vec![
            Cell::plain("target"),
            Cell::plain(format!(
                "{} ({})",
                spec.target().address(),
                spec.target().kind()
            )),
            origin_cell(spec.origin(Field::Target)),
        ],
        vec![
            Cell::plain("secure"),
            Cell::plain(spec.is_secure().to_string()),
            origin_cell(spec.origin(Field::Security)),
        ],
    ];
    match spec.security().tls() {
        None => rows.push(vec![Cell::plain("tls"), Cell::plain("none")]),
        Some(tls) => {
            let client = tls.client_identity();
            let ca = match tls.ca_files() {
                [] => "- (platform roots)".to_owned(),
                files => files
                    .iter()
                    .map(|p| path_string(p))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            rows.extend([
                vec![Cell::plain("tls"), Cell::plain(tls.mode().as_str())],
                vec![Cell::plain("tls.ca"), Cell::plain(ca)],
                vec![
                    Cell::plain("tls.client_cert"),
                    Cell::plain(opt_path(client.map(|c| c.cert_path()))),
                ],
                vec![
                    Cell::plain("tls.client_key"),
                    Cell::plain(opt_path(client.map(|c| c.key_path()))),
                ],
                vec![
                    Cell::plain("tls.server_name"),
                    Cell::plain(tls.server_name().unwrap_or("-")),
                ],
            ]);
        }
    }
    rows.push(vec![
        Cell::plain("db_name"),
        Cell::plain(spec.db_name().as_str()),
        origin_cell(spec.origin(Field::DbName)),
    ]);
    let auth = match spec.auth().user() {
        Some(user) => format!("{} (user {user})", spec.auth().kind()),
        None => spec.auth().kind().to_owned(),
    };
    rows.push(vec![
        Cell::plain("auth"),
        Cell::plain(auth),
        origin_cell(spec.origin(Field::Auth)),
    ]);
    if let Some(a) = authorization(spec, show_secrets) {
        rows.push(vec![Cell::plain("authorization"), Cell::plain(a)]);
    }
    rows.extend([
        vec![
            Cell::plain("timeout"),
            Cell::plain(seconds(spec.timeout())),
            origin_cell(spec.origin(Field::Timeout)),
        ],
        vec![
            Cell::plain("keep_alive"),
            Cell::plain(spec.keep_alive().to_string()),
            origin_cell(spec.origin(Field::KeepAlive)),
        ],
    ]);
    rows
}
