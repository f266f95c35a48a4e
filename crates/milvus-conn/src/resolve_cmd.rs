//! `milvus-conn resolve`: the resolved spec with the origin of every value, as a table or as
//! the JSON object of `docs/cli.md`.

use std::io::{self, Write};
use std::path::Path;

use conn_config::{ConnectionSpec, Field, Origin};
use secrecy::ExposeSecret as _;
use serde::Serialize;

use crate::out::{Cell, Painter, origin_style, write_table};
use crate::{Exit, Format};

/// What `<redacted>` secrets show as.
pub(crate) const REDACTED: &str = "<redacted>";

/// Prints the resolved spec (exit 0).
///
/// # Errors
///
/// Writing to stdout failed.
pub(crate) fn run(
    spec: &ConnectionSpec,
    format: Format,
    show_secrets: bool,
    out: Painter,
) -> io::Result<Exit> {
    let mut stdout = io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &SpecJson::new(spec, show_secrets))?;
            writeln!(stdout)?;
        }
        Format::Table => {
            write_table(
                &mut stdout,
                out,
                &["FIELD", "VALUE", "ORIGIN"],
                &table_rows(spec, show_secrets),
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
    /// For a `.db` target only: the Milvus Lite data directory (the path made absolute).
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<String>,
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

/// Where each field came from, keyed by [`Field`] name (one key per row of
/// `ConnectionSpec::explain`), plus `secure`: the name the `security` field had before
/// (docs/cli.md), kept so existing readers go on working.
struct OriginsJson(Vec<(&'static str, String)>);

impl Serialize for OriginsJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl OriginsJson {
    fn new(spec: &ConnectionSpec) -> OriginsJson {
        let mut origins: Vec<(&'static str, String)> = spec
            .explain()
            .map(|row| (row.field().as_str(), row.origin().to_string()))
            .collect();
        origins.push(("secure", spec.origin(Field::Security).to_string()));
        OriginsJson(origins)
    }
}

/// The Milvus Lite data directory of a `.db` target: its path made absolute and normalized
/// (as `ping` starts it; docs/transport.md, "Milvus Lite").
fn lite_data_dir(spec: &ConnectionSpec) -> Option<String> {
    match spec.target() {
        conn_config::Target::Lite(path) => Some(match conn_transport_tonic::lite_data_dir(path) {
            Ok(dir) => path_string(&dir),
            Err(e) => format!("{} (cannot be made absolute: {e})", path.display()),
        }),
        _ => None,
    }
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
        SpecJson {
            alias: spec.alias().as_str(),
            target: TargetJson {
                kind: target.kind().as_str(),
                address: target.address(),
                host: target.host().map(ToString::to_string),
                port: target.port().map(|p| p.get()),
                data_dir: lite_data_dir(spec),
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
                kind: spec.auth().kind().as_str(),
                user: spec.auth().user(),
                authorization: authorization(spec, show_secrets),
            },
            timeout_s: spec.timeout().as_secs_f64(),
            origins: OriginsJson::new(spec),
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

/// The rows of the `resolve` table: one per row of [`ConnectionSpec::explain`], each TLS
/// setting under `security` when TLS is on, and the `authorization` header (redacted unless
/// `show_secrets`) under `auth`.
fn table_rows(spec: &ConnectionSpec, show_secrets: bool) -> Vec<Vec<Cell>> {
    let opt_path = |p: Option<&Path>| p.map_or_else(|| "-".to_owned(), path_string);
    let mut rows = Vec::new();
    for row in spec.explain() {
        rows.push(vec![
            Cell::plain(row.field().as_str()),
            Cell::plain(row.value()),
            origin_cell(row.origin()),
        ]);
        if row.field() == Field::Target
            && let Some(dir) = lite_data_dir(spec)
        {
            rows.push(vec![Cell::plain("data_dir"), Cell::plain(dir)]);
        }
        if row.field() == Field::Security
            && let Some(tls) = spec.security().tls()
        {
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
        if row.field() == Field::Auth
            && let Some(a) = authorization(spec, show_secrets)
        {
            rows.push(vec![Cell::plain("authorization"), Cell::plain(a)]);
        }
    }
    rows
}
