//! Per-call cost of `MilvusInterceptor` (authorization + dbname + identifier), beside
//! hand-written interceptors (the floor) and tonic's own request creation.
//!
//! `cargo bench -p milvus-conn-bench --bench interceptor`
//!
//! The interceptor is taken from a connection to the in-process test server after the
//! `Connect` handshake, so it sends all three headers. The request is shaped as tonic's
//! client hands it to an interceptor: `te`, `content-type` and (with a timeout, as every
//! call of ours has) `grpc-timeout` already set.
//!
//! - `interceptor/…`: the call alone. The requests are built outside the timed part
//!   (`iter_batched`), so each call meets a request whose header map is no longer in the
//!   CPU cache: an upper bound.
//! - `with_request/…`: building the request as tonic does, then the call, then the drop,
//!   all timed (`iter`); the interceptor's cost is a row minus the `baseline` row, with the
//!   request hot in the cache as it is in tonic.
//!
//! Floors: `floor2` inserts two prebuilt values (`authorization`, `dbname`), the shape of
//! the peer figure; `floor3` inserts exactly our three headers with static values.
//! `candidate` is `milvus_conn_bench::CandidateInterceptor`: ours with the header names
//! parsed once instead of per call (a proposal, measured here).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use milvus_conn_bench::{
    CandidateInterceptor, floor_interceptor, floor_three_headers, handshaken_interceptor,
    tonic_shaped_request,
};
use tonic::service::Interceptor;

fn interceptor(c: &mut Criterion) {
    let mut ours = handshaken_interceptor().unwrap();
    let done = ours.call(tonic_shaped_request()).unwrap();
    for header in ["authorization", "dbname", "identifier"] {
        assert!(done.metadata().contains_key(header), "{header}");
    }
    let floor2 = floor_interceptor();
    let floor3 = floor_three_headers();
    let mut candidate = CandidateInterceptor::like(&ours);

    let mut g = c.benchmark_group("interceptor");
    g.bench_function("floor2", |b| {
        b.iter_batched(tonic_shaped_request, &floor2, BatchSize::SmallInput)
    });
    g.bench_function("floor3", |b| {
        b.iter_batched(tonic_shaped_request, &floor3, BatchSize::SmallInput)
    });
    g.bench_function("ours", |b| {
        b.iter_batched(
            tonic_shaped_request,
            |r| ours.call(r),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("candidate", |b| {
        b.iter_batched(
            tonic_shaped_request,
            |r| candidate.call(r),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("with_request");
    g.bench_function("baseline", |b| b.iter(|| black_box(tonic_shaped_request())));
    g.bench_function("floor2", |b| {
        b.iter(|| black_box(floor2(tonic_shaped_request())))
    });
    g.bench_function("floor3", |b| {
        b.iter(|| black_box(floor3(tonic_shaped_request())))
    });
    g.bench_function("ours", |b| {
        b.iter(|| black_box(ours.call(tonic_shaped_request())))
    });
    g.bench_function("candidate", |b| {
        b.iter(|| black_box(candidate.call(tonic_shaped_request())))
    });
    g.finish();
}

criterion_group!(benches, interceptor);
criterion_main!(benches);
