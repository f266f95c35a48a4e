//! `MilvusInterceptor` allocates nothing per call beyond what tonic itself does: counted
//! with a counting global allocator (this test binary's own; one test, so no other test
//! thread allocates meanwhile). `benches/allocations.rs` prints the figures.
#![allow(missing_docs, clippy::unwrap_used)]

use std::alloc::System;
use std::hint::black_box;

use milvus_conn_bench::{
    allocations_per_call, floor_interceptor, handshaken_interceptor, tonic_shaped_request,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tonic::Request;
use tonic::service::Interceptor;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn the_interceptor_adds_no_allocation_per_call_beyond_tonics() {
    let mut ours = handshaken_interceptor().unwrap();
    // All three headers are sent.
    let request = ours.call(tonic_shaped_request()).unwrap();
    for header in ["authorization", "dbname", "identifier"] {
        assert!(request.metadata().contains_key(header), "{header}");
    }
    drop(request);
    let floor = floor_interceptor();
    let runs = 1000;

    // As tonic hands a request over (te, content-type, grpc-timeout already set, so the
    // header map exists): the interceptor itself allocates nothing.
    let tonic = allocations_per_call(GLOBAL, runs, || drop(black_box(tonic_shaped_request())));
    assert!(tonic.allocations >= 1.0, "the counter counts: {tonic:?}");
    let with_ours = allocations_per_call(GLOBAL, runs, || {
        drop(black_box(ours.call(tonic_shaped_request())))
    });
    assert_eq!(with_ours, tonic, "ours on a tonic request");

    // On an empty request, the first insert allocates the header map: the same as the
    // two-header floor, and nothing more.
    let with_floor =
        allocations_per_call(GLOBAL, runs, || drop(black_box(floor(Request::new(())))));
    let with_ours = allocations_per_call(GLOBAL, runs, || {
        drop(black_box(ours.call(Request::new(()))))
    });
    assert_eq!(with_ours, with_floor, "ours on an empty request");
}
