//! The cost of `Registry::get`, the look-up on every call path.
//!
//! - `get/…`: one thread, ns per look-up: a hit with the handle the tonic transport hands
//!   out (`Arc<MilvusConnection>`, connected to an in-process server), a hit with a plain
//!   `Arc` handle, a hit with a handle whose clone is free (the registry's own cost), a
//!   miss, and the same hits through a `Reader` (`get`, and `get_ref`, which borrows the
//!   handle instead of cloning it).
//! - `readers/…`: throughput with one and with two threads looking up the same alias at
//!   once (elements = look-ups). Two readers should give close to twice the throughput of
//!   one: `get` takes no lock and writes no shared memory of the registry's.
//!   `readers/control/…` runs the same threads on work that shares nothing at all (a
//!   thread-local xorshift): how well this machine scales to two threads right now. Compare
//!   each scaling with the control's; on a busy or throttled machine neither reaches 2x.
//!   Cloning one `Arc` handle from two threads makes them take turns on its count, so
//!   `tonic/2` and `reader_tonic/2` cannot scale; `reader_ref_tonic/…` borrows instead.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use conn_config::{ConnectArgs, ConnectionSpec, DotEnv, MapEnv, Resolver};
use conn_registry::{Registry, TonicTransport, Transport};
use conn_test_server::TestServer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A transport whose connections are a plain `Arc`.
struct ArcHandles;

impl Transport for ArcHandles {
    type Connection = Arc<str>;
    type Error = std::io::Error;
    async fn connect(&self, spec: &ConnectionSpec) -> Result<Arc<str>, std::io::Error> {
        Ok(spec.target().address().into())
    }
}

/// A transport whose connections cost nothing to clone: what is left is the registry's own
/// look-up.
struct FreeHandles;

impl Transport for FreeHandles {
    type Connection = u64;
    type Error = std::io::Error;
    async fn connect(&self, spec: &ConnectionSpec) -> Result<u64, std::io::Error> {
        Ok(u64::from(spec.target().port().map_or(0, |p| p.get())))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

fn resolver() -> Resolver<MapEnv> {
    Resolver::with_env(MapEnv::new()).dotenv(DotEnv::Disabled)
}

/// A registry with five connected aliases (the one looked up among them).
fn connected<T: Transport>(
    rt: &tokio::runtime::Runtime,
    transport: T,
    uri: &str,
) -> Registry<T, MapEnv> {
    let reg = Registry::with_resolver(transport, resolver());
    rt.block_on(async {
        for alias in ["default", "analytics", "ingest", "reports", "admin"] {
            reg.connect(alias, ConnectArgs::new().uri(uri))
                .await
                .expect("connects");
        }
    });
    reg
}

/// `threads` threads each doing `iters` look-ups of `alias`, started together; the wall time.
fn parallel_gets<T: Transport>(
    reg: &Registry<T, MapEnv>,
    alias: &str,
    threads: usize,
    iters: u64,
) -> Duration {
    run_parallel(threads, iters, || {
        || {
            black_box(reg.get(black_box(alias)));
        }
    })
}

/// As [`parallel_gets`], each thread with its own [`conn_registry::Reader`]: `get`, or
/// `get_ref` when `by_ref`.
fn parallel_reader_gets<T: Transport>(
    reg: &Registry<T, MapEnv>,
    alias: &str,
    threads: usize,
    iters: u64,
    by_ref: bool,
) -> Duration {
    run_parallel(threads, iters, || {
        let mut reader = reg.reader();
        move || {
            if by_ref {
                black_box(reader.get_ref(black_box(alias)));
            } else {
                black_box(reader.get(black_box(alias)));
            }
        }
    })
}

/// `threads` threads, each running its own `op` (from `make`) `iters` times after a common
/// start; the wall time from that start until the last one ends.
fn run_parallel<F: FnMut() + Send>(threads: usize, iters: u64, make: impl Fn() -> F) -> Duration {
    let start = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let mut op = make();
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    for _ in 0..iters {
                        op();
                    }
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        for h in handles {
            h.join().expect("worker");
        }
        began.elapsed()
    })
}

/// Work that shares nothing between threads, about as long as a look-up.
fn control(threads: usize, iters: u64) -> Duration {
    run_parallel(threads, iters, || {
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        move || {
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            x = black_box(x);
        }
    })
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let server = rt
        .block_on(TestServer::builder().serve_tcp())
        .expect("test server");
    let tonic = connected(&rt, TonicTransport::new(), &server.uri());
    let arc = connected(&rt, ArcHandles, "http://h:1");
    let free = connected(&rt, FreeHandles, "http://h:1");

    let mut g = c.benchmark_group("get");
    g.bench_function("hit_tonic", |b| {
        b.iter(|| black_box(tonic.get(black_box("analytics"))))
    });
    g.bench_function("hit_arc", |b| {
        b.iter(|| black_box(arc.get(black_box("analytics"))))
    });
    g.bench_function("hit_free_clone", |b| {
        b.iter(|| black_box(free.get(black_box("analytics"))))
    });
    g.bench_function("miss", |b| {
        b.iter(|| black_box(free.get(black_box("nope"))))
    });
    let mut reader = tonic.reader();
    g.bench_function("reader_hit_tonic", |b| {
        b.iter(|| black_box(reader.get(black_box("analytics"))))
    });
    g.bench_function("reader_ref_hit_tonic", |b| {
        b.iter(|| {
            black_box(reader.get_ref(black_box("analytics")));
        })
    });
    let mut reader = free.reader();
    g.bench_function("reader_hit_free_clone", |b| {
        b.iter(|| black_box(reader.get(black_box("analytics"))))
    });
    g.finish();

    let mut g = c.benchmark_group("readers");
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(format!("tonic/{threads}"), |b| {
            b.iter_custom(|iters| parallel_gets(&tonic, "analytics", threads, iters))
        });
        g.bench_function(format!("free_clone/{threads}"), |b| {
            b.iter_custom(|iters| parallel_gets(&free, "analytics", threads, iters))
        });
        g.bench_function(format!("reader_free_clone/{threads}"), |b| {
            b.iter_custom(|iters| parallel_reader_gets(&free, "analytics", threads, iters, false))
        });
        g.bench_function(format!("reader_tonic/{threads}"), |b| {
            b.iter_custom(|iters| parallel_reader_gets(&tonic, "analytics", threads, iters, false))
        });
        g.bench_function(format!("reader_ref_tonic/{threads}"), |b| {
            b.iter_custom(|iters| parallel_reader_gets(&tonic, "analytics", threads, iters, true))
        });
        g.bench_function(format!("control/{threads}"), |b| {
            b.iter_custom(|iters| control(threads, iters))
        });
    }
    g.finish();
    drop(server);
}

criterion_group!(benches, bench);
criterion_main!(benches);
