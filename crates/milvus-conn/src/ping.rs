//! `milvus-conn ping`: connect (TCP or Unix socket, TLS, HTTP/2, the `Connect` handshake),
//! then `GetVersion` (`--count` times) and `CheckHealth`, each timed.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use conn_config::ConnectionSpec;
use conn_transport_tonic::{Connector, ErrorKind, Health, LiteProblem, MilvusConnection};
use serde::Serialize;

use crate::out::{Cell, Painter, write_table};
use crate::problem::with_causes;
use crate::{Exit, Format};

/// What a successful ping learnt.
struct Report {
    connect: Duration,
    build_tags: String,
    deploy_mode: String,
    identifier: i64,
    version: String,
    get_version: Vec<Duration>,
    health: Health,
    check_health: Duration,
    /// The Milvus Lite server of a `.db` target.
    lite: Option<LiteJson>,
}

/// The Milvus Lite server a `.db` target started (`ping --format json`: `lite`).
#[derive(Serialize)]
struct LiteJson {
    data_dir: String,
    address: String,
    pid: u32,
}

/// Where a ping failed.
struct Failure {
    step: &'static str,
    error: conn_transport_tonic::Error,
}

/// Pings the resolved spec and prints the result.
///
/// # Errors
///
/// Writing to stdout or stderr failed.
pub(crate) fn run(
    spec: &ConnectionSpec,
    format: Format,
    count: u32,
    out: Painter,
    err: Painter,
) -> io::Result<Exit> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            writeln!(
                io::stderr().lock(),
                "{}: cannot start the async runtime: {e}",
                err.error("error")
            )?;
            return Ok(Exit::Internal);
        }
    };
    let result = runtime.block_on(ping(spec, count));
    let mut stdout = io::stdout().lock();
    let exit = match result {
        Ok(report) => {
            match format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut stdout, &ReportJson::new(spec, &report))?;
                    writeln!(stdout)?;
                }
                Format::Table => write_table(
                    &mut stdout,
                    out,
                    &["STEP", "RESULT", "TIME"],
                    &report_rows(spec, &report),
                )?,
            }
            if report.health.is_healthy() {
                Exit::Ok
            } else {
                let reasons = report.health.reasons().join("; ");
                writeln!(
                    io::stderr().lock(),
                    "{}: milvus at {} is not healthy{}{reasons}",
                    err.error("error"),
                    spec.target().address(),
                    if reasons.is_empty() { "" } else { ": " },
                )?;
                Exit::Unhealthy
            }
        }
        Err(failure) => {
            let exit = exit_for(&failure.error);
            let message = with_causes(&failure.error);
            if format == Format::Json {
                #[derive(Serialize)]
                struct FailureJson<'a> {
                    error: ErrorJson<'a>,
                }
                #[derive(Serialize)]
                struct ErrorJson<'a> {
                    step: &'a str,
                    kind: &'a str,
                    exit_code: u8,
                    message: &'a str,
                }
                let json = FailureJson {
                    error: ErrorJson {
                        step: failure.step,
                        kind: failure.error.kind().as_str(),
                        exit_code: exit as u8,
                        message: &message,
                    },
                };
                serde_json::to_writer_pretty(&mut stdout, &json)?;
                writeln!(stdout)?;
            }
            writeln!(
                io::stderr().lock(),
                "{}: ping failed at {}: {message}",
                err.error("error"),
                failure.step
            )?;
            exit
        }
    };
    stdout.flush()?;
    drop(stdout);
    // The connection is dropped, and its Milvus Lite server (or the one a failed start
    // left) is stopping: `ping` exits once it is gone, so the next program can open the
    // data directory at once (docs/cli.md). The result is already printed.
    #[cfg(feature = "lite")]
    runtime.block_on(conn_transport_tonic::wait_for_lite_stops());
    Ok(exit)
}

/// Connects and runs the calls, timing each.
async fn ping(spec: &ConnectionSpec, count: u32) -> Result<Report, Failure> {
    let fail = |step| move |error| Failure { step, error };
    let start = Instant::now();
    let connection: MilvusConnection = Connector::new()
        .connect(spec)
        .await
        .map_err(fail("connect"))?;
    let connect = start.elapsed();
    tracing::info!(elapsed = ?connect, "connected and handshaken");
    let (build_tags, deploy_mode) = connection
        .server_info()
        .map(|s| (s.build_tags().to_owned(), s.deploy_mode().to_owned()))
        .unwrap_or_default();
    let identifier = connection.identifier().unwrap_or_default();
    #[cfg(feature = "lite")]
    let lite = connection.lite_server().map(|s| LiteJson {
        data_dir: s.data_dir().display().to_string(),
        address: s.address(),
        pid: s.pid(),
    });
    #[cfg(not(feature = "lite"))]
    let lite = None;

    let mut get_version = Vec::with_capacity(count as usize);
    let mut version = String::new();
    for _ in 0..count {
        let start = Instant::now();
        version = connection.get_version().await.map_err(fail("GetVersion"))?;
        get_version.push(start.elapsed());
    }
    tracing::info!(calls = count, "GetVersion done");

    let start = Instant::now();
    let health = connection
        .check_health()
        .await
        .map_err(fail("CheckHealth"))?;
    let check_health = start.elapsed();
    Ok(Report {
        connect,
        build_tags,
        deploy_mode,
        identifier,
        version,
        get_version,
        health,
        check_health,
        lite,
    })
}

/// The exit status for a transport error (see [`Exit`]).
fn exit_for(e: &conn_transport_tonic::Error) -> Exit {
    match e.kind() {
        ErrorKind::UnsupportedTarget | ErrorKind::LocalFile => Exit::BadInput,
        // A `.db` target whose Milvus Lite could not be started: the user's input (a
        // missing directory, TLS settings), the machine (not installed, locked), or a
        // server that did not come up in time.
        ErrorKind::Lite => match e {
            conn_transport_tonic::Error::Lite { problem, .. } => match problem {
                LiteProblem::ParentMissing
                | LiteProblem::NotADirectory
                | LiteProblem::TlsNotSupported => Exit::BadInput,
                LiteProblem::NotHealthy => Exit::Unreachable,
                _ => Exit::Internal,
            },
            _ => Exit::Internal,
        },
        ErrorKind::Unreachable | ErrorKind::TimedOut => Exit::Unreachable,
        ErrorKind::Tls => Exit::Tls,
        ErrorKind::Setup if matches!(e, conn_transport_tonic::Error::TlsUnavailable { .. }) => {
            Exit::Tls
        }
        ErrorKind::Authentication => Exit::Authentication,
        // The classes an `Rpc` or a `ServerStatus` can have.
        ErrorKind::ServerStatus
        | ErrorKind::Rpc
        | ErrorKind::Unavailable
        | ErrorKind::RateLimited
        | ErrorKind::PermissionDenied
        | ErrorKind::InvalidArgument => Exit::Server,
        ErrorKind::Unimplemented => Exit::NotMilvus,
        _ => Exit::Internal,
    }
}

/// min, median, max.
fn stats(samples: &[Duration]) -> (Duration, Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    if n == 0 {
        return (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    }
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    };
    (sorted[0], median, sorted[n - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `0.42 ms`, `12.3 ms`, `1.52 s`.
fn human(d: Duration) -> String {
    let ms = ms(d);
    if ms >= 1000.0 {
        format!("{:.2} s", d.as_secs_f64())
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn security(spec: &ConnectionSpec) -> &'static str {
    spec.security()
        .tls()
        .map_or("plaintext", |t| t.mode().as_str())
}

fn report_rows(spec: &ConnectionSpec, r: &Report) -> Vec<Vec<Cell>> {
    let (min, median, max) = stats(&r.get_version);
    let get_version = if r.get_version.len() == 1 {
        (r.version.clone(), human(median))
    } else {
        (
            format!("{} ({} calls)", r.version, r.get_version.len()),
            format!(
                "min {} / median {} / max {}",
                human(min),
                human(median),
                human(max)
            ),
        )
    };
    let health = if r.health.is_healthy() {
        "healthy".to_owned()
    } else if r.health.reasons().is_empty() {
        "NOT healthy".to_owned()
    } else {
        format!("NOT healthy: {}", r.health.reasons().join("; "))
    };
    let mut server = r.build_tags.clone();
    if !r.deploy_mode.is_empty() {
        server.push_str(&format!(", deploy mode {}", r.deploy_mode));
    }
    server.push_str(&format!(", identifier {}", r.identifier));
    let mut rows = vec![vec![
        Cell::plain("connect"),
        Cell::plain(format!(
            "{} ({}, {}), Connect handshake ok",
            spec.target().address(),
            spec.target().kind(),
            security(spec)
        )),
        Cell::plain(human(r.connect)),
    ]];
    if let Some(lite) = &r.lite {
        rows.push(vec![
            Cell::plain("milvus lite"),
            Cell::plain(format!(
                "{} at {}, pid {}",
                lite.data_dir, lite.address, lite.pid
            )),
        ]);
    }
    rows.extend([
        vec![Cell::plain("server"), Cell::plain(server)],
        vec![
            Cell::plain("GetVersion"),
            Cell::plain(get_version.0),
            Cell::plain(get_version.1),
        ],
        vec![
            Cell::plain("CheckHealth"),
            Cell::plain(health),
            Cell::plain(human(r.check_health)),
        ],
    ]);
    rows
}

/// `ping --format json` (schema in docs/cli.md).
#[derive(Serialize)]
struct ReportJson<'a> {
    alias: &'a str,
    target: TargetJson,
    secure: bool,
    tls: &'static str,
    server: ServerJson<'a>,
    healthy: bool,
    health_reasons: &'a [String],
    timings_ms: TimingsJson,
    /// Only for a `.db` target.
    #[serde(skip_serializing_if = "Option::is_none")]
    lite: Option<&'a LiteJson>,
}

#[derive(Serialize)]
struct TargetJson {
    kind: &'static str,
    address: String,
}

#[derive(Serialize)]
struct ServerJson<'a> {
    version: &'a str,
    build_tags: &'a str,
    deploy_mode: &'a str,
    identifier: i64,
}

#[derive(Serialize)]
struct TimingsJson {
    connect: f64,
    get_version: StatsJson,
    check_health: f64,
}

#[derive(Serialize)]
struct StatsJson {
    count: usize,
    min: f64,
    median: f64,
    max: f64,
}

impl<'a> ReportJson<'a> {
    fn new(spec: &'a ConnectionSpec, r: &'a Report) -> ReportJson<'a> {
        let (min, median, max) = stats(&r.get_version);
        ReportJson {
            alias: spec.alias().as_str(),
            target: TargetJson {
                kind: spec.target().kind().as_str(),
                address: spec.target().address(),
            },
            secure: spec.is_secure(),
            tls: security(spec),
            server: ServerJson {
                version: &r.version,
                build_tags: &r.build_tags,
                deploy_mode: &r.deploy_mode,
                identifier: r.identifier,
            },
            healthy: r.health.is_healthy(),
            health_reasons: r.health.reasons(),
            timings_ms: TimingsJson {
                connect: ms(r.connect),
                get_version: StatsJson {
                    count: r.get_version.len(),
                    min: ms(min),
                    median: ms(median),
                    max: ms(max),
                },
                check_health: ms(r.check_health),
            },
            lite: r.lite.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_take_the_middle() {
        let d = Duration::from_millis;
        assert_eq!(stats(&[d(3)]), (d(3), d(3), d(3)));
        assert_eq!(stats(&[d(5), d(1), d(3)]), (d(1), d(3), d(5)));
        assert_eq!(stats(&[d(4), d(1), d(2), d(9)]), (d(1), d(3), d(9)));
    }

    #[test]
    fn human_readable_times() {
        assert_eq!(human(Duration::from_micros(420)), "0.42 ms");
        assert_eq!(human(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(human(Duration::from_millis(1520)), "1.52 s");
    }
}
