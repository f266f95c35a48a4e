//! What the comparison programs share: the command line, the timing loop and the report
//! (one line of JSON on stdout that `bench/compare.sh` turns into a table).
//!
//! Every program runs the same protocol against the same server:
//! 1. one cold connect (the first of the process: lazy initialisation, TLS roots, …),
//!    reported alone as `first_connect_ms`;
//! 2. `iterations` connects, each a fresh client from the configuration (a new channel, the
//!    `Connect` handshake), dropped before the next: `connect_ms`;
//! 3. on one connection, 5 untimed `GetVersion` calls, then `iterations` timed ones:
//!    `get_version_ms`;
//! 4. the resident memory at the end (`VmRSS`) and its peak (`VmHWM`).

use std::future::Future;
use std::time::Instant;

/// The error type of the programs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `--uri URI --token TOKEN --iterations N` (also `--label NAME`, `--variant NAME` for a
/// program's diagnostic variants, and `--ca PATH` for TLS with a CA file).
///
/// An `https://` URI is TLS: with `--ca` the server is verified against that file, without
/// it against the platform's roots (which `SSL_CERT_FILE` can point at a test CA). The label
/// then gets ` [TLS, CA file]` or ` [TLS, platform roots]` appended.
pub struct Options {
    /// Where the server is, for example `http://127.0.0.1:19530`.
    pub uri: String,
    /// `user:password`.
    pub token: String,
    /// How many timed connects and calls.
    pub iterations: usize,
    /// The name of this program's row in the table.
    pub label: String,
    /// A program's variant (`default` unless given).
    pub variant: String,
    /// `--ca`: the CA file a TLS connect trusts (the platform's roots when absent).
    pub ca: Option<String>,
}

impl Options {
    /// Reads the command line; `label` is the default row name.
    pub fn parse(label: &str) -> Result<Options, BoxError> {
        let mut options = Options {
            uri: "http://127.0.0.1:19530".to_owned(),
            token: "root:Milvus".to_owned(),
            iterations: 200,
            label: label.to_owned(),
            variant: "default".to_owned(),
            ca: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--uri" => options.uri = value,
                "--token" => options.token = value,
                "--iterations" => options.iterations = value.parse()?,
                "--label" => options.label = value,
                "--variant" => options.variant = value,
                "--ca" => options.ca = Some(value),
                other => return Err(format!("unknown flag {other}").into()),
            }
        }
        if options.tls() {
            options.label += if options.ca.is_some() {
                " [TLS, CA file]"
            } else {
                " [TLS, platform roots]"
            };
        }
        Ok(options)
    }

    /// Whether the URI is `https://`.
    pub fn tls(&self) -> bool {
        self.uri.starts_with("https://")
    }
}

/// Milliseconds of one run of `f`.
pub async fn time<T, F: Future<Output = Result<T, BoxError>>>(
    f: impl FnOnce() -> F,
) -> Result<(f64, T), BoxError> {
    let started = Instant::now();
    let value = f().await?;
    Ok((started.elapsed().as_secs_f64() * 1e3, value))
}

/// A `/proc/self/status` figure in KiB (`VmRSS:`, `VmHWM:`), 0 where there is none.
pub fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(key)).and_then(|l| {
                l[key.len()..]
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

/// The measurements of one program.
pub struct Report {
    /// The row name.
    pub label: String,
    /// What the server said its version is.
    pub server_version: String,
    /// The first connect of the process.
    pub first_connect_ms: f64,
    /// The timed connects.
    pub connect_ms: Vec<f64>,
    /// The timed `GetVersion` round trips.
    pub get_version_ms: Vec<f64>,
}

impl Report {
    /// Prints the report as one line of JSON (with `VmRSS` and `VmHWM` now).
    pub fn print(&self) {
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.6}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "{{\"label\":\"{}\",\"server_version\":\"{}\",\"first_connect_ms\":{:.6},\"connect_ms\":[{}],\"get_version_ms\":[{}],\"rss_kib\":{},\"hwm_kib\":{}}}",
            self.label,
            self.server_version,
            self.first_connect_ms,
            list(&self.connect_ms),
            list(&self.get_version_ms),
            status_kib("VmRSS:"),
            status_kib("VmHWM:"),
        );
    }
}
