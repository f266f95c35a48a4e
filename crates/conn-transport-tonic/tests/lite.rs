//! Milvus Lite (feature `lite`) against the real `milvus-lite` 3.2.2 that
//! `tests/milvus/setup.sh` installs: a `.db` target starts a server for its data directory,
//! connects with the usual handshake, does real work through a generated client, shares
//! the server between connections, stops it with the last one, leaves no server behind when
//! the process is killed, and reports each start-up failure as its own [`LiteProblem`].
//!
//! Some tests run this test binary again as a child process (see [`Role`]): to read the
//! rows back from a new process, and to be the process that is killed.
//!
//! Under `CI=true` a missing `milvus-lite` fails these tests; elsewhere they skip.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use conn_config::{ConnectArgs, Environment as _, ProcessEnv};
use conn_transport_tonic::{
    ChannelPool, Connector, Error, ErrorKind, LiteProblem, MilvusService, wait_for_lite_stops,
};
use milvus_conn_sdk_client::build::{
    create_collection, flat_vec_index, id_and_vector_schema, insert, ok,
};
use milvus_conn_sdk_client::milvus::milvus_service_client::MilvusServiceClient;
use milvus_conn_sdk_client::milvus::{FlushRequest, LoadCollectionRequest, QueryRequest};
use milvus_conn_sdk_client::schema::{LongArray, ScalarField, field_data, scalar_field};
use milvus_conn_tests::lite::{
    alive, executable_or_skip, relative_to_cwd, server_pids, watcher_pids,
};

/// The spec's timeout: Milvus Lite starts in about 1-3 s on the CI machine.
const TIMEOUT: Duration = Duration::from_secs(60);
const COLLECTION: &str = "lite_rows";
const DIM: usize = 4;
const ROWS: i64 = 50;

/// What this process does when it is a child of one of these tests (`LITE_TEST_ROLE`).
enum Role {
    /// The parent test.
    Parent,
    /// Connect to `LITE_TEST_DB`, count the rows, print `ROWS=<n>`.
    Reader(PathBuf),
    /// Connect to `LITE_TEST_DB`, print `PID=<server pid>`, wait to be killed.
    Holder(PathBuf),
    /// Connect to `LITE_TEST_DB` with the executable `LITE_TEST_BIN`, print
    /// `PID=<server pid>`, drop the connection and exit at once.
    Dropper(PathBuf, PathBuf),
}

fn role() -> Role {
    let env = ProcessEnv;
    let db = env.var("LITE_TEST_DB").map(PathBuf::from);
    match (
        env.var("LITE_TEST_ROLE")
            .as_deref()
            .and_then(|r| r.to_str()),
        db,
    ) {
        (Some("reader"), Some(db)) => Role::Reader(db),
        (Some("holder"), Some(db)) => Role::Holder(db),
        (Some("dropper"), Some(db)) => match env.var("LITE_TEST_BIN") {
            Some(bin) => Role::Dropper(db, bin.into()),
            None => Role::Parent,
        },
        _ => Role::Parent,
    }
}

/// This test binary again, running only `test` in `role` for `db`.
fn child(test: &str, role: &str, db: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("LITE_TEST_ROLE", role)
        .env("LITE_TEST_DB", db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    command
}

fn runtime() -> tokio::runtime::Runtime {
    milvus_conn_tests::fixtures::runtime(2)
}

/// The milvus-lite executable (`None`: skip the test), and a fresh temporary directory with
/// the path of a `.db` named `name` in it.
fn bin_and_db(name: &str) -> Option<(PathBuf, tempfile::TempDir, PathBuf)> {
    let bin = executable_or_skip()?;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(name);
    Some((bin, dir, db))
}

/// Asserts that no milvus-lite server runs for `db`.
#[track_caller]
fn assert_no_server(db: &Path, why: &str) {
    assert_eq!(server_pids(db), Vec::<u32>::new(), "{why}");
}

fn connector(bin: &Path) -> Connector {
    Connector::new().lite_executable(bin)
}

fn args(db: &Path) -> ConnectArgs {
    ConnectArgs::new()
        .uri(db.display().to_string())
        .timeout(TIMEOUT)
}

type Client = MilvusServiceClient<MilvusService>;

/// Creates the collection, inserts [`ROWS`] rows, flushes.
async fn write_rows(client: &mut Client) {
    let schema = id_and_vector_schema(COLLECTION, "", DIM);
    let reply = client
        .create_collection(create_collection(&schema))
        .await
        .unwrap()
        .into_inner();
    ok("CreateCollection", Some(&reply));
    let ids: Vec<i64> = (0..ROWS).collect();
    let vectors: Vec<f32> = (0..ROWS * DIM as i64).map(|x| x as f32 / 7.0).collect();
    let reply = client
        .insert(insert(COLLECTION, ids, DIM, vectors))
        .await
        .unwrap()
        .into_inner();
    ok("Insert", reply.status.as_ref());
    assert_eq!(reply.insert_cnt, ROWS);
    let reply = client
        .flush(FlushRequest {
            collection_names: vec![COLLECTION.into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    ok("Flush", reply.status.as_ref());
}

/// Indexes and loads the collection, and counts its rows.
async fn count_rows(client: &mut Client) -> i64 {
    let reply = client
        .create_index(flat_vec_index(COLLECTION))
        .await
        .unwrap()
        .into_inner();
    ok("CreateIndex", Some(&reply));
    let reply = client
        .load_collection(LoadCollectionRequest {
            collection_name: COLLECTION.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    ok("LoadCollection", Some(&reply));
    let reply = client
        .query(QueryRequest {
            collection_name: COLLECTION.into(),
            output_fields: vec!["count(*)".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    ok("Query count(*)", reply.status.as_ref());
    let field = reply
        .fields_data
        .iter()
        .find(|f| f.field_name == "count(*)")
        .unwrap();
    match &field.field {
        Some(field_data::Field::Scalars(ScalarField {
            data: Some(scalar_field::Data::LongData(LongArray { data })),
        })) => data[0],
        other => panic!("count(*) is not int64: {other:?}"),
    }
}

fn client_of(connection: &conn_transport_tonic::MilvusConnection) -> Client {
    MilvusServiceClient::new(connection.service())
}

/// Waits (at most 20 s) until `pid` is gone; whether it is.
fn gone_within(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(20);
    while alive(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

/// The problem of a Milvus Lite error.
#[track_caller]
fn problem(err: &Error) -> LiteProblem {
    match err {
        Error::Lite { problem, .. } => *problem,
        other => panic!("not a lite error: {other:?}"),
    }
}

/// An executable shell script `name` in `dir` running `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The PID a fake server wrote to `file`.
fn read_pid(file: &Path) -> u32 {
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// `bin` (the real milvus-lite) with SIGTERM ignored (inherited through `exec`): a server
/// that stops only on SIGKILL. Named `milvus-lite` (in its own directory under `dir`), so
/// that [`server_pids`] counts it.
fn ignoring_sigterm(bin: &Path, dir: &Path) -> PathBuf {
    let sub = dir.join("ignores-term");
    std::fs::create_dir(&sub).unwrap();
    script(
        &sub,
        "milvus-lite",
        &format!("trap '' TERM\nexec '{}' \"$@\"\n", bin.display()),
    )
}

/// A fresh `.db`: rows written through the handshaken channel, the connection dropped (the
/// server stops), then read back by a new process with its own server.
#[test]
fn rows_written_through_lite_persist_across_processes() {
    if let Role::Reader(db) = role() {
        let bin = milvus_conn_tests::lite::installed().unwrap();
        let rows = runtime().block_on(async {
            let spec = args(&db).resolve_isolated().unwrap();
            let connection = connector(&bin).connect(&spec).await.unwrap();
            count_rows(&mut client_of(&connection)).await
        });
        println!("ROWS={rows}");
        return;
    }
    let Some((bin, _dir, db)) = bin_and_db("fresh.db") else {
        return;
    };
    let pid = runtime().block_on(async {
        let spec = args(&db).resolve_isolated().unwrap();
        let started = Instant::now();
        let connection = connector(&bin).connect(&spec).await.unwrap();
        let server = connection.lite_server().unwrap();
        eprintln!(
            "milvus lite {:?} connected in {:?}: {}",
            server,
            started.elapsed(),
            connection.get_version().await.unwrap()
        );
        assert_eq!(server.data_dir(), db);
        assert_eq!(connection.address(), server.address());
        assert!(connection.server_info().is_some(), "handshake ran");
        assert_eq!(connection.get_version().await.unwrap(), "milvus_lite-3.2.2");
        let mut client = client_of(&connection);
        write_rows(&mut client).await;
        let pid = server.pid();
        assert!(alive(pid));
        drop(client);
        drop(connection);
        wait_for_lite_stops().await;
        pid
    });
    assert!(
        !alive(pid),
        "the last connection is gone: the server stopped"
    );
    assert!(db.join("LOCK").is_file(), "milvus lite's data directory");

    let out = child(
        "rows_written_through_lite_persist_across_processes",
        "reader",
        &db,
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "reader failed: {stdout}");
    // The harness prints "test NAME ... " before the test's own output, on the same line.
    assert!(
        stdout
            .split_whitespace()
            .any(|w| w == format!("ROWS={ROWS}")),
        "{stdout}"
    );
    assert_no_server(&db, "the reader's server stopped");
}

/// Two connections (as two aliases would make) to one path, through a pool and without,
/// started concurrently: one server process; it outlives the first drop and stops with the
/// last.
#[test]
fn connections_to_one_path_share_one_server_until_the_last_is_dropped() {
    let Some((bin, _dir, db)) = bin_and_db("shared.db") else {
        return;
    };
    runtime().block_on(async {
        let pool = ChannelPool::new();
        let pooled = connector(&bin).channel_pool(pool.clone());
        let spec = args(&db).alias("a").resolve_isolated().unwrap();
        // Another alias, a relative spelling of the same path, its own channel; both
        // connects at once, while no server runs yet: one server is started.
        let relative = relative_to_cwd(&db);
        let spec_b = ConnectArgs::new()
            .uri(relative.display().to_string())
            .timeout(TIMEOUT)
            .alias("b")
            .resolve_isolated()
            .unwrap();
        let unpooled = connector(&bin);
        let (a, b) = tokio::join!(pooled.connect(&spec), unpooled.connect(&spec_b));
        let (a, b) = (a.unwrap(), b.unwrap());
        let c = pooled.connect(&spec).await.unwrap();
        let (sa, sb) = (a.lite_server().unwrap(), b.lite_server().unwrap());
        assert_eq!(sa.pid(), sb.pid());
        assert_eq!(sa.pid(), c.lite_server().unwrap().pid());
        assert_eq!(server_pids(&db), [sa.pid()], "one milvus-lite process");
        assert_eq!(pool.len(), 1);
        let pid = sa.pid();

        drop((a, c));
        assert_eq!(pool.len(), 0, "the pool holds its channels weakly");
        assert!(alive(pid), "b still holds the server");
        assert!(b.check_health().await.unwrap().is_healthy());
        drop(b);
        wait_for_lite_stops().await;
        assert!(!alive(pid), "the last connection stopped it");
        assert_no_server(&db, "no server left");

        // The next connect starts a new one.
        let again = pooled.connect(&spec).await.unwrap();
        let new_pid = again.lite_server().unwrap().pid();
        assert_ne!(new_pid, pid);
        assert!(again.check_health().await.unwrap().is_healthy());
    });
    assert_no_server(&db, "no server left");
}

/// Reads lines from a child's stdout until one has `PID=<n>` (after the harness's
/// "test NAME ... " on the same line).
fn pid_line(stdout: std::process::ChildStdout) -> u32 {
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines.next().expect("the child printed no PID").unwrap();
        if let Some(pid) = line.split_whitespace().find_map(|w| w.strip_prefix("PID=")) {
            break pid.parse().unwrap();
        }
    }
}

/// The process holding a server is killed with SIGKILL (no destructor runs): its watcher
/// stops the server. While it held the server, another process got `Locked`.
#[test]
fn killing_the_parent_leaves_no_server_and_a_held_directory_is_locked() {
    if let Role::Holder(db) = role() {
        let bin = milvus_conn_tests::lite::installed().unwrap();
        runtime().block_on(async {
            let spec = args(&db).resolve_isolated().unwrap();
            let connection = connector(&bin).connect(&spec).await.unwrap();
            println!("PID={}", connection.lite_server().unwrap().pid());
            // Until killed (bounded, so a parent that failed cannot leave it running).
            tokio::time::sleep(Duration::from_secs(120)).await;
            drop(connection);
        });
        return;
    }
    let Some((bin, _dir, db)) = bin_and_db("held.db") else {
        return;
    };
    let mut holder = child(
        "killing_the_parent_leaves_no_server_and_a_held_directory_is_locked",
        "holder",
        &db,
    )
    .spawn()
    .unwrap();
    let pid = pid_line(holder.stdout.take().unwrap());
    assert!(alive(pid));
    assert_eq!(server_pids(&db), [pid]);
    let watchers = watcher_pids(&db);
    assert_eq!(watchers.len(), 1, "one watcher: {watchers:?}");

    // Another process (this one) cannot open the directory.
    let err = runtime()
        .block_on(connector(&bin).connect(&args(&db).resolve_isolated().unwrap()))
        .unwrap_err();
    eprintln!("locked: {err}");
    assert_eq!(problem(&err), LiteProblem::Locked, "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Lite);
    assert!(!err.is_transient());
    assert!(err.to_string().contains("DataDirLockedError"), "{err}");

    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    assert!(
        gone_within(pid),
        "milvus lite {pid} outlived its killed parent"
    );
    assert_no_server(&db, "no server left");
    assert!(gone_within(watchers[0]), "the watcher is gone too");
}

/// Each start-up failure, with its class.
#[test]
fn start_up_failures_are_classified() {
    let Some(bin) = executable_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let connect = |connector: Connector, args: ConnectArgs| {
        let spec = args.resolve_isolated().unwrap();
        rt.block_on(connector.connect(&spec)).unwrap_err()
    };

    // The directory holding the .db does not exist: nothing is started or created.
    let db = dir.path().join("missing/x.db");
    let err = connect(connector(&bin), args(&db));
    eprintln!("parent missing: {err}");
    assert_eq!(problem(&err), LiteProblem::ParentMissing);
    assert!(!dir.path().join("missing").exists());

    // A file where the data directory would be (a milvus-lite 2 database).
    let db = dir.path().join("old.db");
    std::fs::write(&db, b"SQLite format 3\0").unwrap();
    let err = connect(connector(&bin), args(&db));
    eprintln!("not a directory: {err}");
    assert_eq!(problem(&err), LiteProblem::NotADirectory);

    // Not installed: an executable that does not exist.
    let db = dir.path().join("x.db");
    let err = connect(
        Connector::new().lite_executable(dir.path().join("no/milvus-lite")),
        args(&db),
    );
    eprintln!("not installed: {err}");
    assert_eq!(problem(&err), LiteProblem::NotInstalled);
    assert!(err.to_string().contains("pip install milvus-lite"), "{err}");

    // Not installed: an executable that is a directory, named as such.
    let err = connect(Connector::new().lite_executable(dir.path()), args(&db));
    assert_eq!(problem(&err), LiteProblem::NotInstalled);
    assert!(err.to_string().ends_with("which is not a file"), "{err}");

    // An executable that is not Milvus Lite: it exits while starting, its output in the error.
    let err = connect(Connector::new().lite_executable("/bin/false"), args(&db));
    eprintln!("exited: {err}");
    assert_eq!(problem(&err), LiteProblem::Exited);

    // TLS settings for a .db target are refused before anything starts.
    let err = connect(connector(&bin), args(&db).secure(true));
    eprintln!("tls: {err}");
    assert_eq!(problem(&err), LiteProblem::TlsNotSupported);
    assert!(!db.exists(), "nothing was started");

    // connect_lazy does not start a server.
    let spec = args(&db).resolve_isolated().unwrap();
    let err = rt.block_on(async { connector(&bin).connect_lazy(&spec).unwrap_err() });
    assert_eq!(problem(&err), LiteProblem::Lazy);

    // Not healthy within the timeout: the half-started server is stopped.
    let err = connect(
        connector(&bin),
        args(&db).timeout(Duration::from_millis(200)),
    );
    eprintln!("not healthy: {err}");
    assert_eq!(problem(&err), LiteProblem::NotHealthy);
    assert!(err.to_string().contains("200ms"), "{err}");
    rt.block_on(wait_for_lite_stops());
    assert_no_server(&db, "the server that was too slow was stopped");
}

/// Credentials given for a `.db` target are sent as for any target; Milvus Lite ignores
/// them (as pymilvus: accepted and ignored), and they never show in `Debug`.
#[test]
fn credentials_for_lite_are_accepted_and_ignored() {
    let Some((bin, _dir, db)) = bin_and_db("creds.db") else {
        return;
    };
    runtime().block_on(async {
        let spec = args(&db)
            .user("root")
            .password("s3cr3t-lite")
            .resolve_isolated()
            .unwrap();
        let connection = connector(&bin).connect(&spec).await.unwrap();
        assert!(connection.check_health().await.unwrap().is_healthy());
        let shown = format!("{connection:?} {:?}", connection.lite_server().unwrap());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        let shared: Arc<_> = Arc::new(connection);
        drop(shared);
        wait_for_lite_stops().await;
    });
    assert_no_server(&db, "no server left");
}

/// An executable that is a wrapper script running milvus-lite as its child (no `exec`):
/// the child is stopped with the server, when the last connection is dropped and when a
/// start-up times out (the server leads a process group, which is signalled).
#[test]
fn a_wrapper_scripts_children_are_stopped_with_it() {
    let Some((bin, dir, db)) = bin_and_db("wrapped.db") else {
        return;
    };
    let script = |name: &str, body: String| script(dir.path(), name, &body);
    let wrapper = script("run-lite.sh", format!("'{}' \"$@\"\n", bin.display()));
    let rt = runtime();
    rt.block_on(async {
        let spec = args(&db).resolve_isolated().unwrap();
        let connection = connector(&wrapper).connect(&spec).await.unwrap();
        assert!(connection.check_health().await.unwrap().is_healthy());
        assert_eq!(
            server_pids(&db).len(),
            1,
            "milvus-lite runs under the wrapper"
        );
        drop(connection);
        wait_for_lite_stops().await;
    });
    assert_no_server(&db, "the wrapper's milvus-lite child was stopped with it");

    // A wrapper whose child never answers: the start-up times out, the child is stopped.
    let pid_file = dir.path().join("child.pid");
    let hanging = script(
        "hang.sh",
        format!("sleep 600 &\necho $! > '{}'\nwait\n", pid_file.display()),
    );
    let spec = args(&db)
        .timeout(Duration::from_secs(2))
        .resolve_isolated()
        .unwrap();
    let err = rt.block_on(connector(&hanging).connect(&spec)).unwrap_err();
    assert_eq!(problem(&err), LiteProblem::NotHealthy, "{err:?}");
    let child = read_pid(&pid_file);
    assert!(
        gone_within(child),
        "the hanging wrapper's child {child} was stopped"
    );
}

/// A connection held by a task that never ends, dropped by the runtime's shutdown (a plain
/// drop, and `shutdown_timeout(0)`, which returns before the workers are done): nothing
/// panics and the server is stopped.
#[test]
fn a_runtime_shutdown_that_drops_the_connection_stops_the_server() {
    let Some((bin, _dir, db)) = bin_and_db("shutdown.db") else {
        return;
    };
    for zero_timeout in [false, true] {
        let rt = runtime();
        let spec = args(&db).resolve_isolated().unwrap();
        let connection = rt.block_on(connector(&bin).connect(&spec)).unwrap();
        let pid = connection.lite_server().unwrap().pid();
        rt.spawn(async move {
            let _held = connection;
            std::future::pending::<()>().await;
        });
        if zero_timeout {
            rt.shutdown_timeout(Duration::ZERO);
        } else {
            drop(rt);
        }
        assert!(
            gone_within(pid),
            "server {pid} stopped (zero timeout: {zero_timeout})"
        );
        assert_no_server(&db, "no server left");
    }
}

/// A server that ignores SIGTERM (it goes only with the SIGKILL after the 5 s grace) does
/// not block the drop of its last connection: the drop returns while it still runs. A
/// connect to the same directory right after waits until it is gone (no `Locked`; past
/// its timeout, `NotHealthy`), and `wait_for_lite_stops` returns once the servers are
/// gone.
#[test]
fn dropping_a_server_that_ignores_sigterm_does_not_wait_for_it() {
    let Some((bin, dir, db)) = bin_and_db("ignores-term.db") else {
        return;
    };
    let stubborn = ignoring_sigterm(&bin, dir.path());
    runtime().block_on(async {
        let spec = args(&db).resolve_isolated().unwrap();
        let connection = connector(&stubborn).connect(&spec).await.unwrap();
        let pid = connection.lite_server().unwrap().pid();
        assert_eq!(server_pids(&db), [pid]);
        drop(connection);
        // Only SIGKILL ends it, 5 s after the drop began: a drop that waited for the stop
        // would have returned after it was gone.
        assert!(alive(pid), "the drop returned before the server was gone");

        // A connect whose timeout ends within the old server's 5 s grace: its stop was
        // still under way.
        let short = args(&db)
            .timeout(Duration::from_secs(1))
            .resolve_isolated()
            .unwrap();
        let err = connector(&stubborn).connect(&short).await.unwrap_err();
        assert_eq!(problem(&err), LiteProblem::NotHealthy, "{err:?}");
        assert!(
            err.to_string().contains(&format!(
                "the previous server of this directory (PID {pid}) was still stopping after 1s"
            )),
            "{err}"
        );

        // The next server of the directory starts once the previous one is gone: no
        // `Locked` from the old one's lock.
        let again = connector(&stubborn).connect(&spec).await.unwrap();
        let new_pid = again.lite_server().unwrap().pid();
        assert_ne!(new_pid, pid);
        assert!(
            !alive(pid),
            "the old server was gone before the new one started"
        );
        assert!(again.check_health().await.unwrap().is_healthy());
        drop(again);
        assert!(alive(new_pid));
        wait_for_lite_stops().await;
        assert!(
            !alive(new_pid),
            "wait_for_lite_stops returned once it was gone"
        );
    });
    assert_no_server(&db, "no server left");
}

/// A start-up that times out with a server ignoring SIGTERM returns its error at once,
/// while the server still runs; the server is killed later.
#[test]
fn a_failed_start_returns_before_a_server_ignoring_sigterm_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never-healthy.db");
    let pid_file = dir.path().join("server.pid");
    let fake = script(
        dir.path(),
        "fake-lite",
        &format!(
            "echo $$ > '{}'\ntrap '' TERM\nexec sleep 600\n",
            pid_file.display()
        ),
    );
    let spec = args(&db)
        .timeout(Duration::from_secs(1))
        .resolve_isolated()
        .unwrap();
    let rt = runtime();
    let err = rt
        .block_on(Connector::new().lite_executable(&fake).connect(&spec))
        .unwrap_err();
    let pid = read_pid(&pid_file);
    // Only SIGKILL ends it, 5 s after the clean-up began: a clean-up that waited would
    // have returned the error after it was gone.
    assert!(alive(pid), "the error came before the server was gone");
    assert_eq!(problem(&err), LiteProblem::NotHealthy, "{err:?}");
    assert!(gone_within(pid), "the server {pid} was killed in the end");
    rt.block_on(wait_for_lite_stops());
}

/// A server that exits by itself while starting (non-zero) leaves no child behind: its
/// process group is killed.
#[test]
fn a_server_exiting_while_starting_leaves_no_child() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exits.db");
    let pid_file = dir.path().join("child.pid");
    let fake = script(
        dir.path(),
        "fake-lite",
        &format!("sleep 600 &\necho $! > '{}'\nexit 3\n", pid_file.display()),
    );
    let spec = args(&db).resolve_isolated().unwrap();
    let err = runtime()
        .block_on(Connector::new().lite_executable(&fake).connect(&spec))
        .unwrap_err();
    assert_eq!(problem(&err), LiteProblem::Exited, "{err:?}");
    assert!(err.to_string().contains("exit status: 3"), "{err}");
    let child = read_pid(&pid_file);
    assert!(
        gone_within(child),
        "the fake server's child {child} was killed"
    );
}

/// A server that exits by itself while a connection holds it (here a wrapper script,
/// killed, leaving its milvus-lite child): `is_running` says so and kills what it left in
/// its group, so a new connect to the directory starts a server instead of meeting the
/// child's lock.
#[test]
fn a_held_server_that_exited_leaves_no_child_holding_the_directory() {
    let Some((bin, dir, db)) = bin_and_db("crashed.db") else {
        return;
    };
    let wrapper = script(
        dir.path(),
        "run-lite.sh",
        &format!("'{}' \"$@\"\n", bin.display()),
    );
    runtime().block_on(async {
        let spec = args(&db).resolve_isolated().unwrap();
        let held = connector(&wrapper).connect(&spec).await.unwrap();
        let server = held.lite_server().unwrap();
        let [child] = server_pids(&db)[..] else {
            panic!("one milvus-lite under the wrapper: {:?}", server_pids(&db));
        };
        assert_ne!(child, server.pid());
        // The wrapper alone dies; its child keeps running, with the directory's lock.
        let killed = Command::new("kill")
            .args(["-KILL", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        while server.is_running() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(gone_within(child), "the wrapper's child {child} was killed");
        let again = connector(&wrapper).connect(&spec).await.unwrap();
        assert_ne!(again.lite_server().unwrap().pid(), server.pid());
        assert!(again.check_health().await.unwrap().is_healthy());
        drop((held, again));
        wait_for_lite_stops().await;
    });
    assert_no_server(&db, "no server left");
}

/// The process that drops its last connection exits at once, before the stop (5 s, for a
/// server that ignores SIGTERM) is done: the watcher kills the server, and itself.
#[test]
fn exiting_right_after_the_drop_leaves_no_server() {
    if let Role::Dropper(db, bin) = role() {
        runtime().block_on(async {
            let spec = args(&db).resolve_isolated().unwrap();
            let connection = connector(&bin).connect(&spec).await.unwrap();
            println!("PID={}", connection.lite_server().unwrap().pid());
            drop(connection);
        });
        std::process::exit(0);
    }
    let Some((bin, dir, db)) = bin_and_db("exit-after-drop.db") else {
        return;
    };
    let stubborn = ignoring_sigterm(&bin, dir.path());
    let mut dropper = child(
        "exiting_right_after_the_drop_leaves_no_server",
        "dropper",
        &db,
    )
    .env("LITE_TEST_BIN", &stubborn)
    .spawn()
    .unwrap();
    let pid = pid_line(dropper.stdout.take().unwrap());
    let watchers = watcher_pids(&db);
    assert_eq!(watchers.len(), 1, "one watcher: {watchers:?}");
    assert!(dropper.wait().unwrap().success());
    // It exited within the stop's grace: the server (which ignores SIGTERM) still ran.
    assert!(
        alive(pid),
        "the server outlived the dropper, for the watcher to kill"
    );
    assert!(gone_within(pid), "milvus lite {pid} outlived its parent");
    assert!(gone_within(watchers[0]), "the watcher is gone too");
    assert_no_server(&db, "no server left");
}

/// Whether `pid` still runs: it exists and is not a zombie (`/proc/PID/stat`; Linux). A
/// zombie has exited: it holds no file and no lock.
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
    })
}

/// A wrapper script's other child in the server's group, which ignores SIGTERM and holds
/// a large memory (1 GB written), takes a moment to exit after SIGKILL:
/// `wait_for_lite_stops` returns once it has exited (it could hold the directory's lock),
/// not as soon as the signal is sent.
#[test]
fn wait_for_lite_stops_returns_once_the_whole_group_has_exited() {
    let Some((bin, dir, db)) = bin_and_db("group.db") else {
        return;
    };
    let pid_file = dir.path().join("big.pid");
    let ready = dir.path().join("big.ready");
    let big = dir.path().join("big.py");
    std::fs::write(
        &big,
        format!(
            "import os, time\nb = b'x' * 1_000_000_000\nopen('{ready}', 'w').write(str(os.getpid()))\nos.rename('{ready}', '{pid}')\ntime.sleep(600)\n",
            ready = ready.display(),
            pid = pid_file.display()
        ),
    )
    .unwrap();
    let wrapper = script(
        dir.path(),
        "run-lite.sh",
        &format!(
            "(trap '' TERM; exec python3 '{}') &\n'{}' \"$@\"\n",
            big.display(),
            bin.display()
        ),
    );
    runtime().block_on(async {
        let spec = args(&db).resolve_isolated().unwrap();
        let connection = connector(&wrapper).connect(&spec).await.unwrap();
        // The big process is ready (safety net: 60 s).
        let until = Instant::now() + Duration::from_secs(60);
        while !pid_file.exists() {
            assert!(Instant::now() < until, "the big process did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let big_pid = read_pid(&pid_file);
        assert!(running(big_pid));
        drop(connection);
        wait_for_lite_stops().await;
        assert!(
            !running(big_pid),
            "wait_for_lite_stops returned while {big_pid} of the server's group still ran"
        );
    });
    assert_no_server(&db, "no server left");
}
