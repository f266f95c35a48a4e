//! Heap allocations per call of `MilvusInterceptor`, counted by a counting global
//! allocator (`stats_alloc`), beside tonic's own request creation and a two-header floor.
//!
//! `cargo bench -p milvus-conn-bench --bench allocations`
//!
//! Prints one line per case: allocations, reallocations and bytes per call over 100,000
//! calls. The interceptor's own share is a row minus its baseline row. The interceptor
//! comes from a handshaken connection (it sends authorization, dbname and identifier); the
//! runtime and the server are shut down before counting, so no other thread allocates
//! meanwhile. `tests/allocations.rs` pins the result.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::alloc::System;
use std::hint::black_box;

use milvus_conn_bench::{
    CandidateInterceptor, allocations_per_call, floor_interceptor, handshaken_interceptor,
    tonic_shaped_request,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tonic::Request;
use tonic::service::Interceptor;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CALLS: usize = 100_000;

fn main() {
    let mut ours = handshaken_interceptor().unwrap();
    assert_eq!(ours.identifier(), Some(4242));
    let floor = floor_interceptor();
    let mut candidate = CandidateInterceptor::like(&ours);

    let mut rows = Vec::new();
    let mut count = |name: &str, f: &mut dyn FnMut()| {
        rows.push((name.to_owned(), allocations_per_call(GLOBAL, CALLS, f)));
    };
    count("baseline: Request::new(()) and drop", &mut || {
        drop(black_box(Request::new(())))
    });
    count("ours: Request::new(()) + call", &mut || {
        drop(black_box(ours.call(Request::new(()))))
    });
    count("floor: Request::new(()) + two-header closure", &mut || {
        drop(black_box(floor(Request::new(()))))
    });
    count(
        "baseline: request as tonic hands it (te, content-type, grpc-timeout)",
        &mut || drop(black_box(tonic_shaped_request())),
    );
    count("ours: request as tonic hands it + call", &mut || {
        drop(black_box(ours.call(tonic_shaped_request())))
    });
    count(
        "floor: request as tonic hands it + two-header closure",
        &mut || drop(black_box(floor(tonic_shaped_request()))),
    );
    count("candidate: request as tonic hands it + call", &mut || {
        drop(black_box(candidate.call(tonic_shaped_request())))
    });

    println!("allocations per call ({CALLS} calls each)");
    println!(
        "{:<72} {:>8} {:>8} {:>8}",
        "case", "allocs", "reallocs", "bytes"
    );
    for (name, c) in rows {
        println!(
            "{name:<72} {:>8.2} {:>8.2} {:>8.1}",
            c.allocations, c.reallocations, c.bytes
        );
    }
}
