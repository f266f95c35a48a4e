//! Resident memory of many resolved specs and of many connected aliases.
//!
//! `cargo run --release -p milvus-conn-bench --bin memory -- <case> [N]`
//!
//! | case | what the process holds |
//! |---|---|
//! | `specs [1000]` | N resolved `ConnectionSpec`s in a `Vec` (no registry) |
//! | `registry [1000]` | a `Registry` with N aliases connected over a transport that opens nothing, so it holds N stored `ConnectArgs` and N resolved specs |
//! | `aliases [100]` | a `Registry<TonicTransport>` with N aliases connected to one server (the same spec), each through `Registry::connect`: they share one channel (the transport's `ChannelPool`), each with its own handshake |
//! | `dedicated [100]` | the same with `TonicTransport::with_dedicated_channels`: a channel per alias |
//! | `shared [100]` | one tonic connection handed to N holders (the least N aliases can cost) |
//!
//! The server of `aliases` and `shared` is the transport crate's test server, in a child
//! process (this binary with `serve`), so its memory is not counted. Each case runs in a
//! fresh process: it reads `VmRSS` before and after and prints one line of JSON with the
//! resident memory, the difference, the peak (`VmHWM`), the sockets this process holds and
//! the time taken. Run each case as its own process: the allocator keeps freed memory, so
//! a second case in the same process would measure less.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use conn_config::{ConnectArgs, ConnectionSpec, Resolver};
use conn_registry::{Registry, TonicTransport, Transport};
use milvus_conn_bench::{BoxError, TOKEN, open_sockets, vm_hwm_kib, vm_rss_kib};

/// A transport that opens nothing: the registry then holds only arguments and specs.
struct Nothing;

impl Transport for Nothing {
    type Connection = Arc<()>;
    type Error = std::io::Error;

    async fn connect(&self, _spec: &ConnectionSpec) -> Result<Self::Connection, Self::Error> {
        Ok(Arc::new(()))
    }
}

/// The arguments of alias number `i` in the `specs` and `registry` cases: every alias a
/// different host, with a token, a database and a timeout, as an application's aliases
/// would differ.
fn distinct_args(i: usize) -> ConnectArgs {
    ConnectArgs::new()
        .uri(format!("https://milvus-{i}.example.com:19530"))
        .token(format!("user{i}:password-{i}"))
        .db_name(format!("db_{i}"))
        .timeout(5)
}

struct Report {
    case: &'static str,
    n: usize,
    before_kib: u64,
    sockets_before: usize,
    started: Instant,
}

impl Report {
    fn start(case: &'static str, n: usize) -> Result<Report, BoxError> {
        Ok(Report {
            case,
            n,
            before_kib: vm_rss_kib()?,
            sockets_before: open_sockets()?,
            started: Instant::now(),
        })
    }

    fn finish(self) -> Result<(), BoxError> {
        let elapsed = self.started.elapsed();
        let after = vm_rss_kib()?;
        let delta = after.saturating_sub(self.before_kib);
        println!(
            "{{\"case\":\"{}\",\"n\":{},\"rss_before_kib\":{},\"rss_after_kib\":{},\"rss_delta_kib\":{},\"delta_per_item_bytes\":{:.0},\"hwm_kib\":{},\"sockets_added\":{},\"elapsed_ms\":{:.3}}}",
            self.case,
            self.n,
            self.before_kib,
            after,
            delta,
            delta as f64 * 1024.0 / self.n as f64,
            vm_hwm_kib()?,
            open_sockets()?.saturating_sub(self.sockets_before),
            elapsed.as_secs_f64() * 1e3,
        );
        Ok(())
    }
}

/// The test server in a child process; stopped (by its PID, through `Child::kill`) when
/// dropped.
struct ServerProcess {
    child: Child,
    uri: String,
}

impl ServerProcess {
    fn start() -> Result<ServerProcess, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut uri = String::new();
        BufReader::new(stdout).read_line(&mut uri)?;
        let uri = uri.trim().to_owned();
        if uri.is_empty() {
            let _ = child.kill();
            return Err("the server process printed no URI".into());
        }
        Ok(ServerProcess { child, uri })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve`: the test server until stdin closes.
fn serve() -> Result<(), BoxError> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let server = milvus_conn_bench::serve(None).await?;
        let mut out = std::io::stdout();
        writeln!(out, "{}", server.uri())?;
        out.flush()?;
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            let _ = std::io::stdin().read_line(&mut sink);
        })
        .await?;
        drop(server);
        Ok(())
    })
}

fn main() -> Result<(), BoxError> {
    let mut argv = std::env::args().skip(1);
    let case = argv.next().unwrap_or_default();
    let n: Option<usize> = argv.next().map(|s| s.parse()).transpose()?;
    match case.as_str() {
        "serve" => serve(),
        "specs" => {
            let n = n.unwrap_or(1000);
            let args: Vec<ConnectArgs> = (0..n).map(distinct_args).collect();
            let resolver = Resolver::isolated();
            let report = Report::start("specs", n)?;
            let specs = args
                .iter()
                .map(|a| resolver.resolve(a))
                .collect::<Result<Vec<_>, _>>()?;
            report.finish()?;
            drop(specs);
            Ok(())
        }
        "registry" => {
            let n = n.unwrap_or(1000);
            let rt = tokio::runtime::Runtime::new()?;
            let args: Vec<ConnectArgs> = (0..n).map(distinct_args).collect();
            let registry = Registry::with_resolver(Nothing, Resolver::isolated());
            let report = Report::start("registry", n)?;
            rt.block_on(async {
                for (i, a) in args.into_iter().enumerate() {
                    registry.connect(&format!("alias-{i}"), a).await?;
                }
                Ok::<_, BoxError>(())
            })?;
            assert_eq!(registry.list_connections().len(), n);
            report.finish()
        }
        "aliases" | "dedicated" | "shared" => {
            let n = n.unwrap_or(100);
            let server = ServerProcess::start()?;
            let rt = tokio::runtime::Runtime::new()?;
            let args = ConnectArgs::new().uri(server.uri.clone()).token(TOKEN);
            if case != "shared" {
                let (name, transport) = if case == "aliases" {
                    ("aliases", TonicTransport::new())
                } else {
                    let connector = conn_transport_tonic::Connector::new();
                    ("dedicated", TonicTransport::with_dedicated_channels(connector))
                };
                let registry = Registry::with_resolver(transport, Resolver::isolated());
                let report = Report::start(name, n)?;
                rt.block_on(async {
                    for i in 0..n {
                        registry
                            .connect(&format!("alias-{i}"), args.clone())
                            .await?;
                    }
                    Ok::<_, BoxError>(())
                })?;
                report.finish()?;
                drop(registry);
            } else {
                let spec = args.resolve_isolated()?;
                let report = Report::start("shared", n)?;
                let holders = rt.block_on(async {
                    let one = Arc::new(conn_transport_tonic::connect(&spec).await?);
                    Ok::<_, BoxError>(vec![one; n])
                })?;
                report.finish()?;
                drop(holders);
            }
            drop(rt);
            drop(server);
            Ok(())
        }
        other => Err(format!(
            "unknown case {other:?}: specs [N], registry [N], aliases [N], dedicated [N], shared [N]"
        )
        .into()),
    }
}
