//! A full Milvus client generated from the official milvus-proto (v2.3.5, `build.rs`), run
//! over conn-transport-tonic's channel against the real Milvus 2.3.5 of the harness
//! (`milvus_conn_tests::milvus`) in plain, one-way TLS and mutual TLS: create a database,
//! connect a second spec with `db_name` set to it, create a collection (int64 key + float
//! vector, dim 8), insert 300 rows, flush, index (FLAT), load, search (the nearest neighbour
//! of a stored vector is itself), query, check through the first connection (database
//! `default`) that the collection lived only in the new database, drop both. Then token
//! authentication and a wrong password.
//!
//! One server per mode (three starts in all); every call is bounded (see [`DEADLINE`] and
//! the counted polls). Under `CI=true` a harness that is not set up fails these tests;
//! elsewhere they skip with a printed reason. Each test prints what it observed
//! (`cargo test -p milvus-conn-sdk-client -- --nocapture`).
//!
//! The snippet of `docs/sdk-integration.md` is `sdk_snippet/snippet.rs`, used here as it is
//! (`snippet_matches_docs` checks that the two are the same).
#![allow(clippy::unwrap_used, clippy::print_stderr)]

// The snippet of docs/sdk-integration.md: from `ConnectArgs` to a generated client, and a
// search with it. Its items are `pub`, as an SDK's would be. `include!`, not a module file:
// `cargo fmt` would reformat it with the workspace's narrower widths, where
// `sdk_snippet/rustfmt.toml` keeps lines up to 100 characters whole.
#[allow(unreachable_pub)]
mod sdk_snippet {
    include!("sdk_snippet/snippet.rs");
}

use std::time::{Duration, Instant};

use conn_config::ConnectArgs;
use conn_transport_tonic::tonic::{self, Code};
use conn_transport_tonic::{Error, ErrorKind};
use milvus_conn_sdk_client::build::{
    create_collection, flat_vec_index, id_and_vector_schema, insert, ok,
};
use milvus_conn_sdk_client::common::{ConsistencyLevel, Status};
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use milvus_conn_sdk_client::milvus::{
    CreateCollectionRequest, CreateDatabaseRequest, DescribeIndexRequest, DropCollectionRequest,
    DropDatabaseRequest, FlushRequest, GetFlushStateRequest, GetLoadingProgressRequest,
    ListDatabasesRequest, LoadCollectionRequest, QueryRequest, ShowCollectionsRequest,
};
use milvus_conn_sdk_client::schema::{
    FieldData, IDs, LongArray, ScalarField, field_data, i_ds, scalar_field,
};
use milvus_conn_tests::milvus::{Mode, RealMilvus};
use sdk_snippet::{Client, client, search};

/// Rows inserted per mode.
const ROWS: usize = 300;
/// The vector dimension.
const DIM: usize = 8;
/// The collection (one per database; each mode has its own database).
const COLLECTION: &str = "sdk_vectors";
/// The spec's timeout (connect and handshake).
const TIMEOUT: Duration = Duration::from_secs(10);
/// A generous upper bound on one mode's whole run, so that a stuck server fails the test
/// instead of hanging CI.
const DEADLINE: Duration = Duration::from_secs(240);
/// Polls of flush state and loading progress, 100 ms apart.
const MAX_POLLS: u32 = 600;

/// A tonic call's result, or a failure naming the call and the gRPC status.
fn rpc<T>(what: &str, reply: Result<tonic::Response<T>, tonic::Status>) -> T {
    match reply {
        Ok(r) => r.into_inner(),
        Err(status) => panic!("{what}: grpc {:?}: {}", status.code(), status.message()),
    }
}

/// The connection arguments for `milvus` in its mode, without credentials: the CA in TLS
/// modes, the client certificate in mutual TLS.
fn tls_args(milvus: &RealMilvus) -> ConnectArgs {
    let mut args = ConnectArgs::new().uri(milvus.uri()).timeout(TIMEOUT);
    if let Some(ca) = milvus.ca() {
        args = args.ca_pem_path(ca);
    }
    if let (Some(cert), Some(key)) = (milvus.client_cert(), milvus.client_key()) {
        args = args.client_pem_path(cert).client_key_path(key);
    }
    args
}

/// Row `i`'s vector: distinct for every row (component 0 is `i` itself), so the nearest
/// neighbour of a stored vector under L2 is that row alone, at distance 0.
fn vector(i: usize) -> Vec<f32> {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = vec![i as f32];
    for _ in 1..DIM {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push((x % 1000) as f32 / 100.0);
    }
    v
}

async fn show_collections(client: &mut Client, what: &str) -> Vec<String> {
    let reply = rpc(
        what,
        client
            .show_collections(ShowCollectionsRequest::default())
            .await,
    );
    ok(what, reply.status.as_ref());
    reply.collection_names
}

async fn list_databases(client: &mut Client) -> Vec<String> {
    let reply = rpc(
        "ListDatabases",
        client.list_databases(ListDatabasesRequest::default()).await,
    );
    ok("ListDatabases", reply.status.as_ref());
    reply.db_names
}

/// `Int64` values of a query's output field.
fn longs(fields: &[FieldData], name: &str) -> Vec<i64> {
    let field = fields
        .iter()
        .find(|f| f.field_name == name)
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"));
    match &field.field {
        Some(field_data::Field::Scalars(ScalarField {
            data: Some(scalar_field::Data::LongData(LongArray { data })),
        })) => data.clone(),
        other => panic!("field {name} is not int64: {other:?}"),
    }
}

/// `[type] message: source: …`, for the printed observations.
fn describe(err: &Error) -> String {
    milvus_conn_tests::fixtures::describe(err.kind(), err)
}

/// Everything this file checks, in one mode, on one server.
async fn exercise(milvus: &RealMilvus) {
    let mode = milvus.mode();
    let started = Instant::now();
    let args = tls_args(milvus)
        .user(milvus.user())
        .password(milvus.password());

    // The first connection: database `default`.
    let mut default = client(&args).await.unwrap();
    let db = format!("sdk_db_{mode}");
    let reply = rpc(
        "CreateDatabase",
        default
            .create_database(CreateDatabaseRequest {
                db_name: db.clone(),
                ..Default::default()
            })
            .await,
    );
    ok("CreateDatabase", Some(&reply));

    // The second connection: `db_name` in the spec, so every call carries `dbname: <db>`.
    // No request below names the database: the header alone routes them.
    let mut in_db = client(&args.clone().db_name(&db)).await.unwrap();

    let schema = id_and_vector_schema(COLLECTION, "milvus-conn sdk-client test", DIM);
    let reply = rpc(
        "CreateCollection",
        in_db
            .create_collection(CreateCollectionRequest {
                consistency_level: ConsistencyLevel::Strong.into(),
                ..create_collection(&schema)
            })
            .await,
    );
    ok("CreateCollection", Some(&reply));

    // Insert.
    let ids: Vec<i64> = (0..ROWS as i64).collect();
    let vectors: Vec<f32> = (0..ROWS).flat_map(vector).collect();
    let reply = rpc(
        "Insert",
        in_db
            .insert(insert(COLLECTION, ids.clone(), DIM, vectors))
            .await,
    );
    ok("Insert", reply.status.as_ref());
    assert_eq!(reply.insert_cnt, ROWS as i64);
    let inserted = match reply.i_ds {
        Some(IDs {
            id_field: Some(i_ds::IdField::IntId(LongArray { data })),
        }) => data,
        other => panic!("Insert returned no int64 ids: {other:?}"),
    };
    assert_eq!(inserted, ids);

    // Flush, and wait until the segments are flushed (as pymilvus's flush() does).
    let reply = rpc(
        "Flush",
        in_db
            .flush(FlushRequest {
                collection_names: vec![COLLECTION.into()],
                ..Default::default()
            })
            .await,
    );
    ok("Flush", reply.status.as_ref());
    assert_eq!(reply.db_name, db, "Flush answers for the header's database");
    let segments = reply
        .coll_seg_i_ds
        .get(COLLECTION)
        .map(|l| l.data.clone())
        .unwrap_or_default();
    let flush_ts = reply.coll_flush_ts.get(COLLECTION).copied().unwrap_or(0);
    let mut flush_polls = 0;
    loop {
        flush_polls += 1;
        let state = rpc(
            "GetFlushState",
            in_db
                .get_flush_state(GetFlushStateRequest {
                    segment_i_ds: segments.clone(),
                    flush_ts,
                    collection_name: COLLECTION.into(),
                    ..Default::default()
                })
                .await,
        );
        ok("GetFlushState", state.status.as_ref());
        if state.flushed {
            break;
        }
        assert!(
            flush_polls < MAX_POLLS,
            "not flushed after {flush_polls} polls"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Index (FLAT: exact, and quick on 300 rows) and load.
    let reply = rpc(
        "CreateIndex",
        in_db.create_index(flat_vec_index(COLLECTION)).await,
    );
    ok("CreateIndex", Some(&reply));
    let reply = rpc(
        "DescribeIndex",
        in_db
            .describe_index(DescribeIndexRequest {
                collection_name: COLLECTION.into(),
                ..Default::default()
            })
            .await,
    );
    ok("DescribeIndex", reply.status.as_ref());
    let index_names: Vec<_> = reply
        .index_descriptions
        .iter()
        .map(|d| d.index_name.as_str())
        .collect();
    assert_eq!(index_names, ["vec_flat"]);
    let reply = rpc(
        "LoadCollection",
        in_db
            .load_collection(LoadCollectionRequest {
                collection_name: COLLECTION.into(),
                ..Default::default()
            })
            .await,
    );
    ok("LoadCollection", Some(&reply));
    let mut load_polls = 0;
    loop {
        load_polls += 1;
        let progress = rpc(
            "GetLoadingProgress",
            in_db
                .get_loading_progress(GetLoadingProgressRequest {
                    collection_name: COLLECTION.into(),
                    ..Default::default()
                })
                .await,
        );
        ok("GetLoadingProgress", progress.status.as_ref());
        if progress.progress == 100 {
            break;
        }
        assert!(
            load_polls < MAX_POLLS,
            "not loaded after {load_polls} polls"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Search: the nearest neighbour of a stored vector is that row, at distance 0.
    let mut found = Vec::new();
    for probe in [0, 123, ROWS - 1] {
        let results = search(&mut in_db, COLLECTION, &vector(probe), 3)
            .await
            .unwrap_or_else(|e| panic!("Search for row {probe}: {e}"));
        let hits = match results.ids {
            Some(IDs {
                id_field: Some(i_ds::IdField::IntId(LongArray { data })),
            }) => data,
            other => panic!("Search returned no int64 ids: {other:?}"),
        };
        assert_eq!(hits.len(), 3, "top 3 of {ROWS}: {hits:?}");
        assert_eq!(hits[0], probe as i64, "nearest of row {probe}: {hits:?}");
        assert_eq!(results.scores[0], 0.0, "{:?}", results.scores);
        assert!(results.scores[1] > 0.0, "{:?}", results.scores);
        found.push((probe, hits, results.scores));
    }

    // Query: a count, and a filter.
    let reply = rpc(
        "Query count(*)",
        in_db
            .query(QueryRequest {
                collection_name: COLLECTION.into(),
                output_fields: vec!["count(*)".into()],
                ..Default::default()
            })
            .await,
    );
    ok("Query count(*)", reply.status.as_ref());
    let count = longs(&reply.fields_data, "count(*)");
    assert_eq!(count, [ROWS as i64]);
    let reply = rpc(
        "Query filter",
        in_db
            .query(QueryRequest {
                collection_name: COLLECTION.into(),
                expr: "id in [7, 42, 299] or id < 0".into(),
                output_fields: vec!["id".into()],
                ..Default::default()
            })
            .await,
    );
    ok("Query filter", reply.status.as_ref());
    let mut filtered = longs(&reply.fields_data, "id");
    filtered.sort_unstable();
    assert_eq!(filtered, [7, 42, 299]);

    // The independent path: the first connection (dbname `default`) does not see the
    // collection; the second sees only it.
    let in_default = show_collections(&mut default, "ShowCollections (default)").await;
    let in_new_db = show_collections(&mut in_db, "ShowCollections (db)").await;
    let databases = list_databases(&mut default).await;
    assert!(
        !in_default.iter().any(|c| c == COLLECTION),
        "{in_default:?}"
    );
    assert_eq!(in_new_db, [COLLECTION]);
    assert!(databases.contains(&db), "{databases:?}");

    // Drop the collection (through the second connection) and the database (the first).
    let reply = rpc(
        "DropCollection",
        in_db
            .drop_collection(DropCollectionRequest {
                collection_name: COLLECTION.into(),
                ..Default::default()
            })
            .await,
    );
    ok("DropCollection", Some(&reply));
    let after_drop = show_collections(&mut in_db, "ShowCollections (db, dropped)").await;
    assert!(after_drop.is_empty(), "{after_drop:?}");
    let reply = rpc(
        "DropDatabase",
        default
            .drop_database(DropDatabaseRequest {
                db_name: db.clone(),
                ..Default::default()
            })
            .await,
    );
    ok("DropDatabase", Some(&reply));
    let databases_after = list_databases(&mut default).await;
    assert!(!databases_after.contains(&db), "{databases_after:?}");
    let work = started.elapsed();

    // Token authentication: the same user as `user:password`.
    let mut by_token =
        client(&tls_args(milvus).token(format!("{}:{}", milvus.user(), milvus.password())))
            .await
            .unwrap();
    let token_collections = show_collections(&mut by_token, "ShowCollections (token)").await;

    // A wrong password: the handshake refuses it, classified as authentication ...
    let wrong = args.clone().password("not-the-password");
    let err = conn_transport_tonic::connect(&wrong.resolve().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication, "{err:?}");
    assert!(!err.is_transient(), "{err:?}");
    assert!(!format!("{err:?} {err}").contains("not-the-password"));
    // ... and a generated client on a lazy connection: the handshake runs before its first
    // call and refuses it, so the call fails with the handshake's classified error.
    let lazy = conn_transport_tonic::connect_lazy(&wrong.resolve().unwrap()).unwrap();
    let status = MilvusServiceClient::new(lazy.service())
        .show_collections(ShowCollectionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    assert_eq!(
        conn_transport_tonic::classify(&status),
        ErrorKind::Authentication
    );
    assert_eq!(
        Error::attached_to(&status).map(Error::kind),
        Some(ErrorKind::Authentication)
    );
    assert_eq!(lazy.identifier(), None);

    // A lazy connection with the right password: its first generated-client call runs the
    // handshake first, and the identifier is set.
    let lazy = conn_transport_tonic::connect_lazy(&args.resolve().unwrap()).unwrap();
    assert_eq!(lazy.identifier(), None);
    let lazy_collections = MilvusServiceClient::new(lazy.service())
        .show_collections(ShowCollectionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    ok("ShowCollections (lazy)", lazy_collections.status.as_ref());
    assert!(lazy.identifier().is_some_and(|id| id != 0));

    // Plaintext to the TLS port (one-way or mutual): the TLS class, not transient, with the
    // hint.
    if mode != Mode::Plain {
        let plaintext = ConnectArgs::new()
            .uri(format!("http://{}", milvus.addr()))
            .user(milvus.user())
            .password(milvus.password())
            .timeout(TIMEOUT);
        let err = conn_transport_tonic::connect(&plaintext.resolve().unwrap())
            .await
            .unwrap_err();
        eprintln!(
            "observed {mode}: plaintext to the tls port: {}",
            describe(&err)
        );
        assert_eq!(err.kind(), ErrorKind::Tls, "{err:?}");
        assert!(
            matches!(
                err,
                Error::Tls {
                    problem: conn_transport_tonic::TlsProblem::ServerRequiresTls,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!err.is_transient());
        assert!(
            err.to_string().contains("use https:// or secure=true"),
            "{err}"
        );
        let lazy = conn_transport_tonic::connect_lazy(&plaintext.resolve().unwrap()).unwrap();
        let status = MilvusServiceClient::new(lazy.service())
            .show_collections(ShowCollectionsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(
            conn_transport_tonic::classify(&status),
            ErrorKind::Tls,
            "{status:?}"
        );
    } else {
        // What Milvus 2.3.5 answered (first run, 2026-12-04), and its class; the same rows
        // are classified without a server in
        // crates/conn-transport-tonic/tests/recorded_statuses.rs.
        let seen: Vec<String> = classify_real_statuses(milvus)
            .await
            .iter()
            .map(|(what, o)| format!("{what}: {o:?}"))
            .collect();
        assert_eq!(
            seen,
            [
                "wrong password (ShowCollections): Grpc(Unauthenticated, \"auth check failure, \
                 please check username and password are correct\", Authentication)",
                "no credentials (ShowCollections): Grpc(Unauthenticated, \"missing \
                 authorization in header\", Authentication)",
                "unknown database (ShowCollections): Milvus(800, 1, \"database not \
                 found[database=no_such_db]\", false, ServerStatus)",
                "unknown database (Connect): Milvus(800, 1, \"database not \
                 found[database=no_such_db]\", false, ServerStatus)",
                "collection not found (DescribeCollection): Milvus(100, 1, \"can't find \
                 collection collection not \
                 found[database=default][collection=no_such_collection]\", false, \
                 ServerStatus)",
                "unimplemented (NoSuchMethod): Grpc(Unimplemented, \"unknown method \
                 NoSuchMethod for service milvus.proto.milvus.MilvusService\", \
                 Unimplemented)",
            ]
        );
    }

    eprintln!(
        "observed {mode}: database {db}; insert_cnt {ROWS}, ids 0..{ROWS}; flushed after \
         {flush_polls} poll(s) (segments {segments:?}); index {index_names:?}; loaded after \
         {load_polls} poll(s); search top-3 (probe, ids, L2 scores) {found:?}; count(*) \
         {count:?}; filter ids {filtered:?}; ShowCollections default={in_default:?} \
         {db}={in_new_db:?} after drop={after_drop:?}; ListDatabases {databases:?} -> after \
         drop {databases_after:?}; token ShowCollections(default) {token_collections:?}; \
         wrong password: {}; lazy wrong password, generated client: {:?} {:?}; create..drop \
         took {work:?}",
        describe(&err),
        status.code(),
        status.message(),
    );
}

/// What one failing call returned: the gRPC status, or the Milvus `common.Status` in an OK
/// reply, and the class the transport's classifier gives it.
#[derive(Debug)]
#[allow(dead_code)] // read through `Debug`, in the pinned table of `exercise`
enum Observed {
    Grpc(Code, String, ErrorKind),
    Milvus(i32, i32, String, bool, ErrorKind),
}

/// The failures an SDK meets, provoked on the real Milvus (plain mode, authentication on),
/// each classified as an SDK would classify its own calls: `classify(&Status)` for a gRPC
/// failure, `MilvusConnection::check_status` for a Milvus status. The calls go out on the
/// bare channel with the interceptor (no handshake first), so each status is the server's
/// own. `tests/recorded_statuses.rs` pins what this printed.
#[allow(deprecated)] // error_code
async fn classify_real_statuses(milvus: &RealMilvus) -> Vec<(&'static str, Observed)> {
    use conn_transport_tonic::{classify, tonic_prost::ProstCodec};
    use milvus_conn_sdk_client::milvus::{
        DescribeCollectionRequest, GetVersionRequest, GetVersionResponse,
    };

    let raw = |args: ConnectArgs| {
        let conn = conn_transport_tonic::connect_lazy(&args.resolve().unwrap()).unwrap();
        let client = MilvusServiceClient::with_interceptor(
            conn.channel().clone(),
            conn.interceptor().clone(),
        );
        (conn, client)
    };
    let grpc = |status: tonic::Status| {
        Observed::Grpc(
            status.code(),
            status.message().to_owned(),
            classify(&status),
        )
    };
    let mut seen = Vec::new();

    let (_, mut wrong) = raw(tls_args(milvus)
        .user(milvus.user())
        .password("not-the-password"));
    let status = wrong
        .show_collections(ShowCollectionsRequest::default())
        .await
        .unwrap_err();
    seen.push(("wrong password (ShowCollections)", grpc(status)));

    let (_, mut anonymous) = raw(tls_args(milvus));
    let status = anonymous
        .show_collections(ShowCollectionsRequest::default())
        .await
        .unwrap_err();
    seen.push(("no credentials (ShowCollections)", grpc(status)));

    let root = tls_args(milvus)
        .user(milvus.user())
        .password(milvus.password());
    let (conn, mut no_db) = raw(root.clone().db_name("no_such_db"));
    let reply = rpc(
        "ShowCollections (no_such_db)",
        no_db
            .show_collections(ShowCollectionsRequest::default())
            .await,
    );
    seen.push(refused(
        &conn,
        "ShowCollections",
        "unknown database (ShowCollections)",
        reply.status,
    ));
    let err = conn_transport_tonic::connect(&root.clone().db_name("no_such_db").resolve().unwrap())
        .await
        .unwrap_err();
    match err {
        Error::ServerStatus {
            code,
            error_code,
            ref reason,
            retriable,
            ..
        } => seen.push((
            "unknown database (Connect)",
            Observed::Milvus(code, error_code, reason.clone(), retriable, err.kind()),
        )),
        other => panic!("unknown database on Connect: {other:?}"),
    }

    let (conn, mut client) = raw(root.clone());
    let reply = rpc(
        "DescribeCollection (nope)",
        client
            .describe_collection(DescribeCollectionRequest {
                collection_name: "no_such_collection".into(),
                ..Default::default()
            })
            .await,
    );
    seen.push(refused(
        &conn,
        "DescribeCollection",
        "collection not found (DescribeCollection)",
        reply.status,
    ));

    let mut bare = tonic::client::Grpc::new(conn.service());
    bare.ready().await.unwrap();
    let status = bare
        .unary(
            tonic::Request::new(GetVersionRequest {}),
            tonic::codegen::http::uri::PathAndQuery::from_static(
                "/milvus.proto.milvus.MilvusService/NoSuchMethod",
            ),
            ProstCodec::<GetVersionRequest, GetVersionResponse>::default(),
        )
        .await
        .unwrap_err();
    seen.push(("unimplemented (NoSuchMethod)", grpc(status)));
    for (what, observed) in &seen {
        eprintln!("observed status: {what}: {observed:?}");
    }
    seen
}

fn run(mode: Mode) {
    let started = Instant::now();
    let Some(milvus) = RealMilvus::start_or_skip(mode) else {
        return;
    };
    let rt = milvus_conn_tests::fixtures::current_thread_runtime();
    rt.block_on(async {
        tokio::time::timeout(DEADLINE, exercise(&milvus))
            .await
            .unwrap_or_else(|_| panic!("{mode}: the generated-client run exceeded {DEADLINE:?}"));
    });
    milvus.stop().unwrap();
    eprintln!(
        "observed {mode}: start, run and stop took {:?}",
        started.elapsed()
    );
}

#[test]
fn generated_client_plain() {
    run(Mode::Plain);
}

#[test]
fn generated_client_one_way_tls() {
    run(Mode::Tls1);
}

#[test]
fn generated_client_mutual_tls() {
    run(Mode::Tls2);
}

/// The snippet in `docs/sdk-integration.md` is `sdk_snippet/snippet.rs`, verbatim, and stays
/// short: under 30 lines of code from `ConnectArgs` to a search result.
#[test]
fn snippet_matches_docs() {
    let snippet = include_str!("sdk_snippet/snippet.rs");
    let doc = include_str!("../../../docs/sdk-integration.md");
    let block = doc
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/sdk-integration.md has a ```rust block");
    assert_eq!(
        block, snippet,
        "docs/sdk-integration.md and sdk_snippet/snippet.rs differ"
    );
    let code = snippet.lines().filter(|l| {
        let l = l.trim();
        !(l.is_empty() || l.starts_with("//") || l.starts_with("use "))
    });
    let lines = code.count();
    eprintln!("observed: the snippet has {lines} lines of code after its `use` lines");
    assert!(lines < 30, "the snippet has {lines} lines of code");
    let claim = format!("{lines} lines of code after the imports");
    assert!(
        doc.contains(&claim),
        "docs/sdk-integration.md should say {claim:?}"
    );
}

/// A reply's non-zero `common.Status`, classified by `conn.check_status` (which must refuse
/// it), as observed.
#[allow(deprecated)] // `error_code`: the legacy code Milvus 2.3 still fills in
fn refused(
    conn: &conn_transport_tonic::MilvusConnection,
    rpc: &'static str,
    what: &'static str,
    status: Option<Status>,
) -> (&'static str, Observed) {
    let s = status.unwrap_or_default();
    let err = conn
        .check_status(rpc, s.code, s.error_code, &s.reason, s.retriable)
        .unwrap_err();
    let observed = Observed::Milvus(s.code, s.error_code, s.reason, s.retriable, err.kind());
    (what, observed)
}
