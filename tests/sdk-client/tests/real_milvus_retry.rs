//! `conn_transport_tonic::retry::RetryPolicy` on the generated client against the real
//! Milvus 2.3.5 of the harness:
//!
//! - a server restarted (stopped, then a fresh one started on the same port) while calls
//!   are made: the calls that meet the gap are retried and succeed once the new server is
//!   healthy, within their budget;
//! - a real rate limit (`quotaAndLimits.dml.insertRate.max`, started through the harness's
//!   `MILVUS_IT_INSERT_RATE_MB`): inserts over it are retried with back-off and succeed, or
//!   fail with the `rate_limited` class when their budget ends.
//!
//! What each attempt met is recorded by the closure the SDK hands to the policy (as the
//! SDK sees it), and printed (`cargo test -p milvus-conn-sdk-client --test
//! real_milvus_retry -- --nocapture`). Under `CI=true` a harness that is not set up fails
//! these tests; elsewhere they skip with a printed reason.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

// The retry snippet of docs/sdk-integration.md, as it is there (see `snippet_matches_docs`).
#[allow(unreachable_pub)]
mod retry_snippet {
    include!("sdk_snippet/retry.rs");
}

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use conn_config::ConnectArgs;
use conn_transport_tonic::retry::{MilvusReply, RetryPolicy};
use conn_transport_tonic::tonic;
use conn_transport_tonic::{Error, ErrorKind, MilvusConnection, MilvusService};
use conn_transport_tonic::{classify, classify_milvus};
use milvus_conn_sdk_client::build::{create_collection, id_and_vector_schema};
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use milvus_conn_sdk_client::milvus::{
    InsertRequest, MutationResult, ShowCollectionsRequest, ShowCollectionsResponse,
};
use milvus_conn_tests::milvus::{Mode, RealMilvus};

type Client = MilvusServiceClient<MilvusService>;

/// One attempt as the SDK's closure saw it: when it started (from the call's start) and
/// the class of what it got (`ok` for success).
#[derive(Clone, Debug)]
struct Seen {
    at: Duration,
    outcome: String,
}

/// A retried call's record.
#[derive(Debug)]
struct Observed<T> {
    result: Result<T, Error>,
    attempts: Vec<Seen>,
    took: Duration,
}

impl<T> Observed<T> {
    /// The time between attempt starts: the delays, plus each attempt's own time.
    fn gaps(&self) -> Vec<Duration> {
        self.attempts
            .windows(2)
            .map(|w| w[1].at - w[0].at)
            .collect()
    }

    fn summary(&self) -> String {
        let outcomes: Vec<&str> = self.attempts.iter().map(|s| s.outcome.as_str()).collect();
        format!(
            "{} attempts {:?}, gaps {:?}, result {}, took {:?}",
            self.attempts.len(),
            outcomes,
            self.gaps(),
            match &self.result {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("{} ({e})", e.kind()),
            },
            self.took
        )
    }
}

/// The class of one attempt's outcome, as the policy classifies it.
fn outcome<R: MilvusReply>(result: &Result<tonic::Response<R>, tonic::Status>) -> String {
    match result {
        Err(status) => classify(status).to_string(),
        Ok(reply) => match reply.get_ref().reply_status() {
            Some(s) => {
                classify_milvus(s.code, s.error_code).map_or("ok".to_owned(), |k| k.to_string())
            }
            None => "ok".to_owned(),
        },
    }
}

/// `policy.call` on the generated client, recording every attempt. `call` makes one
/// attempt with a fresh clone of the client.
async fn observe<R, F, Fut>(
    policy: &RetryPolicy,
    conn: &MilvusConnection,
    rpc: &'static str,
    client: &Client,
    call: F,
) -> Observed<R>
where
    R: MilvusReply,
    F: Fn(Client, tonic::Request<()>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let start = Instant::now();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let result = policy
        .call(conn, rpc, |attempt| {
            let at = start.elapsed();
            let seen = seen.clone();
            let future = call(client.clone(), attempt.request(()));
            async move {
                let result = future.await;
                let outcome = outcome(&result);
                seen.lock().unwrap().push(Seen { at, outcome });
                result
            }
        })
        .await
        .map(tonic::Response::into_inner);
    let attempts = seen.lock().unwrap().clone();
    Observed {
        result,
        attempts,
        took: start.elapsed(),
    }
}

/// `request`'s message replaced by `message`, keeping its `grpc-timeout`.
fn with<T>(request: tonic::Request<()>, message: T) -> tonic::Request<T> {
    let (metadata, extensions, ()) = request.into_parts();
    tonic::Request::from_parts(metadata, extensions, message)
}

async fn show_collections(
    policy: &RetryPolicy,
    conn: &MilvusConnection,
    client: &Client,
) -> Observed<ShowCollectionsResponse> {
    observe(
        policy,
        conn,
        "ShowCollections",
        client,
        |mut c, r| async move {
            c.show_collections(with(r, ShowCollectionsRequest::default()))
                .await
        },
    )
    .await
}

fn args(milvus: &RealMilvus) -> ConnectArgs {
    milvus.root_args().timeout(Duration::from_secs(10))
}

fn runtime() -> tokio::runtime::Runtime {
    milvus_conn_tests::fixtures::current_thread_runtime()
}

/// Calls made every 100 ms while the server is restarted (stopped, then a fresh one
/// started): each is retried through the gap and succeeds once the new server is healthy.
#[test]
fn calls_are_retried_across_a_server_restart() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Plain) else {
        return;
    };
    let args = args(&milvus);
    let budget = Duration::from_secs(120);
    let policy = RetryPolicy::builder().budget(budget).build().unwrap();
    let restarted = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let done = restarted.clone();
    // The calls run on a thread of their own; the restart blocks this one.
    let worker = std::thread::spawn(move || {
        runtime().block_on(async {
            let conn = conn_transport_tonic::connect(&args.resolve_isolated().unwrap())
                .await
                .unwrap();
            let client = MilvusServiceClient::new(conn.service());
            ready_tx.send(()).unwrap();
            let mut calls = Vec::new();
            // A last call after the restart has returned (the new server is healthy).
            loop {
                let last = done.load(Ordering::SeqCst);
                calls.push(show_collections(&policy, &conn, &client).await);
                if last || calls.len() > 2000 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            calls
        })
    });
    ready_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let restart_began = Instant::now();
    let milvus = milvus.restart(Mode::Plain).unwrap();
    let restart_took = restart_began.elapsed();
    restarted.store(true, Ordering::SeqCst);
    let calls = worker.join().unwrap();
    milvus.stop().unwrap();

    let retried: Vec<&Observed<_>> = calls.iter().filter(|c| c.attempts.len() > 1).collect();
    eprintln!(
        "observed restart: stop + fresh start took {restart_took:?}; {} calls, {} of them retried",
        calls.len(),
        retried.len()
    );
    for call in &retried {
        eprintln!("  retried call: {}", call.summary());
    }
    for call in &calls {
        assert!(call.result.is_ok(), "{}", call.summary());
        assert!(call.took < budget, "{}", call.summary());
        // What the gap gave: no connection, or a server not (yet, or no longer) serving.
        for seen in &call.attempts[..call.attempts.len() - 1] {
            assert!(
                ["unreachable", "unavailable", "rpc"].contains(&seen.outcome.as_str()),
                "{}",
                call.summary()
            );
        }
    }
    assert!(!retried.is_empty(), "no call met the restart");
}

/// Insert rate capped at 0.05 MB/s (about 52 kB/s; Milvus's token bucket lets a request
/// through while its balance is not negative, and charges the whole request).
const INSERT_RATE_MB: f64 = 0.05;
/// About 136 kB per insert: one insert takes the balance about 84 kB below zero, which
/// takes about 1.6 s to fill back.
const ROWS: usize = 4000;
const DIM: usize = 8;

fn insert_request(first_id: i64) -> InsertRequest {
    let ids: Vec<i64> = (first_id..first_id + ROWS as i64).collect();
    let vectors: Vec<f32> = (0..ROWS * DIM).map(|i| (i % 97) as f32 / 97.0).collect();
    milvus_conn_sdk_client::build::insert("rate_limited", ids, DIM, vectors)
}

async fn insert(
    policy: &RetryPolicy,
    conn: &MilvusConnection,
    client: &Client,
    first_id: i64,
) -> Observed<MutationResult> {
    let request = insert_request(first_id);
    observe(policy, conn, "Insert", client, |mut c, r| {
        let request = with(r, request.clone());
        async move { c.insert(request).await }
    })
    .await
}

async fn rate_limited_inserts(milvus: &RealMilvus) {
    use conn_transport_tonic::prost::Message as _;
    let conn = conn_transport_tonic::connect(&args(milvus).resolve_isolated().unwrap())
        .await
        .unwrap();
    let mut client = MilvusServiceClient::new(conn.service());
    let schema = id_and_vector_schema("rate_limited", "", DIM);
    let created = client
        .create_collection(create_collection(&schema))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.code, 0, "{created:?}");
    eprintln!(
        "observed rate limit: insert request {} bytes, rate {INSERT_RATE_MB} MB/s",
        insert_request(0).encoded_len()
    );

    // The first insert empties the bucket (and more).
    let defaults = RetryPolicy::default();
    let first = insert(&defaults, &conn, &client, 0).await;
    eprintln!("  insert 1 (pymilvus defaults): {}", first.summary());
    assert_eq!(first.result.as_ref().unwrap().insert_cnt, ROWS as i64);

    // Right after it, with a 300 ms budget: rate limited, retried 10, 30, 90 ms apart; a
    // 270 ms delay would pass the budget, so it ends with the rate-limit class.
    let short = RetryPolicy::builder()
        .budget(Duration::from_millis(300))
        .build()
        .unwrap();
    let limited = insert(&short, &conn, &client, ROWS as i64).await;
    eprintln!("  insert 2 (budget 300 ms): {}", limited.summary());
    let error = limited.result.as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error}");
    assert!(limited.attempts.len() > 1, "{}", limited.summary());
    assert!(
        limited.took < Duration::from_millis(300),
        "{}",
        limited.summary()
    );
    assert!(
        limited.attempts.iter().all(|s| s.outcome == "rate_limited"),
        "{}",
        limited.summary()
    );

    // Then with the defaults (no budget): retried with back-off until the bucket has
    // filled back, then it goes through.
    let retried = insert(&defaults, &conn, &client, 2 * ROWS as i64).await;
    eprintln!("  insert 3 (pymilvus defaults): {}", retried.summary());
    assert_eq!(retried.result.as_ref().unwrap().insert_cnt, ROWS as i64);
    assert!(retried.attempts.len() > 1, "{}", retried.summary());
    let (last, before) = retried.attempts.split_last().unwrap();
    assert_eq!(last.outcome, "ok");
    assert!(before.iter().all(|s| s.outcome == "rate_limited"));
    // The gaps follow the back-off: each at least its delay.
    for (gap, delay) in retried.gaps().iter().zip(defaults.delays()) {
        assert!(*gap >= delay, "{}", retried.summary());
    }

    // The docs' snippet, right after: rate limited too, and it goes through.
    let start = Instant::now();
    let reply = retry_snippet::insert(&conn, &defaults, insert_request(3 * ROWS as i64))
        .await
        .unwrap();
    eprintln!(
        "  insert 4 (the docs' snippet): ok after {:?}",
        start.elapsed()
    );
    assert_eq!(reply.insert_cnt, ROWS as i64);
}

/// The retry snippet in `docs/sdk-integration.md` is `sdk_snippet/retry.rs`, verbatim.
#[test]
fn snippet_matches_docs() {
    let snippet = include_str!("sdk_snippet/retry.rs");
    let doc = include_str!("../../../docs/sdk-integration.md");
    assert!(
        doc.contains(&format!("```rust\n{snippet}```")),
        "docs/sdk-integration.md must show tests/sdk-client/tests/sdk_snippet/retry.rs verbatim"
    );
}

#[test]
fn rate_limited_inserts_are_retried_with_backoff() {
    let Some(milvus) = RealMilvus::start_or_skip_insert_rate_limited(Mode::Plain, INSERT_RATE_MB)
    else {
        return;
    };
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(120), rate_limited_inserts(&milvus))
            .await
            .expect("the rate-limit run took over 120 s");
    });
    milvus.stop().unwrap();
}
