//! Per-call cost of `MilvusInterceptor` (authorization + dbname + identifier), beside
//! tonic's own request creation and a hand-written two-header interceptor (the floor).
//!
//! `cargo bench -p milvus-conn-bench --bench interceptor`
//!
//! The interceptor is taken from a connection to the in-process test server after the
//! `Connect` handshake, so it sends all three headers. Requests are built outside the timed
//! part (`iter_batched`), so the interceptor rows are the call alone (and the drop of the
//! request it returns).
//!
//! Two request shapes:
//! - as tonic hands it: tonic's client puts `te`, `content-type` and (with a timeout, as
//!   every call of ours has) `grpc-timeout` on the request before `InterceptedService`
//!   calls the interceptor;
//! - bare: `Request::new(())`, an empty header map (the first insert allocates it).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use milvus_conn_bench::{floor_interceptor, handshaken_interceptor, tonic_shaped_request};
use tonic::Request;
use tonic::service::Interceptor;

fn interceptor(c: &mut Criterion) {
    let mut ours = handshaken_interceptor().unwrap();
    let done = ours.call(tonic_shaped_request()).unwrap();
    for header in ["authorization", "dbname", "identifier"] {
        assert!(done.metadata().contains_key(header), "{header}");
    }
    let floor = floor_interceptor();

    let mut g = c.benchmark_group("interceptor");
    g.bench_function("baseline: Request::new(()) and drop", |b| {
        b.iter(|| black_box(Request::new(())))
    });
    g.bench_function("baseline: request as tonic hands it, and drop", |b| {
        b.iter(|| black_box(tonic_shaped_request()))
    });
    g.bench_function("floor: two headers, request as tonic hands it", |b| {
        b.iter_batched(tonic_shaped_request, &floor, BatchSize::SmallInput)
    });
    g.bench_function("ours: three headers, request as tonic hands it", |b| {
        b.iter_batched(
            tonic_shaped_request,
            |r| ours.call(r),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("floor: two headers, bare request", |b| {
        b.iter_batched(|| Request::new(()), &floor, BatchSize::SmallInput)
    });
    g.bench_function("ours: three headers, bare request", |b| {
        b.iter_batched(|| Request::new(()), |r| ours.call(r), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group!(benches, interceptor);
criterion_main!(benches);
