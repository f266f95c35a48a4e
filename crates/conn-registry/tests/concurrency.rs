//! Many tasks on a multi-threaded runtime connecting, disconnecting and looking up a few
//! aliases at once, against a transport that counts what it opens and closes.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::Notify;

use common::{Counting, TestRegistry, registry_with};
use conn_config::{ConnectArgs, Field};
use conn_registry::Error;

const ALIASES: [&str; 3] = ["a", "b", "c"];

/// A small deterministic generator (xorshift64), one per task.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_connects_of_one_alias_open_one_connection() {
    let (reg, _) = registry_with(Counting::slow(Duration::from_millis(20)), &[]);
    let reg = Arc::new(reg);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let reg = reg.clone();
            tokio::spawn(async move {
                reg.connect("a", ConnectArgs::new().uri("http://h:1"))
                    .await
                    .expect("connects")
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task").id());
    }
    assert_eq!(reg.transport().opens(), 1, "one connection for 32 calls");
    assert_eq!(
        reg.transport().calls(),
        1,
        "the transport's connect ran once"
    );
    assert!(ids.iter().all(|&id| id == ids[0]), "{ids:?}");
    assert_eq!(reg.get("a").map(|c| c.id()), Some(ids[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_connect_disconnect_and_look_up_at_once() {
    let (reg, _) = registry_with(Counting::default(), &[]);
    for alias in ALIASES {
        reg.add_connection(
            alias,
            ConnectArgs::new().uri(format!("http://{alias}-host:1")),
        )
        .await
        .expect("valid");
    }
    let reg = Arc::new(reg);
    let tasks: Vec<_> = (0..48u64)
        .map(|task| {
            let reg = reg.clone();
            tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (task + 1));
                let mut reader = reg.reader();
                let mut connected = 0usize;
                for _ in 0..200 {
                    let alias = ALIASES[rng.below(3) as usize];
                    match rng.below(10) {
                        0..=2 => {
                            let conn = reg
                                .connect(alias, ConnectArgs::new())
                                .await
                                .expect("connects");
                            assert_eq!(conn.alias(), alias);
                            connected += 1;
                        }
                        3 => reg.disconnect(alias).await,
                        4 => {
                            let _ = reg.list_connections();
                        }
                        5 => {
                            let addr = reg
                                .get_connection_addr(alias)
                                .expect("resolves")
                                .expect("configured");
                            assert_eq!(addr.address(), format!("{alias}-host:1"));
                        }
                        _ => {
                            if let Some(conn) = reg.get(alias) {
                                assert_eq!(conn.alias(), alias);
                            }
                            if let Some(conn) = reader.get(alias) {
                                assert_eq!(conn.alias(), alias);
                            }
                            let _ = reg.has_connection(alias);
                        }
                    }
                    if rng.below(4) == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                connected
            })
        })
        .collect();
    let mut connects = 0;
    for t in tasks {
        connects += t.await.expect("task");
    }
    let transport = reg.transport();
    assert!(connects > 0);
    assert_eq!(
        transport.overlaps.load(Ordering::SeqCst),
        0,
        "an alias had two live connections at once"
    );
    for alias in ALIASES {
        assert!(transport.open_now(alias) <= 1, "{alias}");
        assert_eq!(
            transport.open_now(alias),
            usize::from(reg.has_connection(alias)),
            "{alias}: the registry and the transport agree"
        );
        let listed = reg
            .list_connections()
            .into_iter()
            .find(|(a, _)| a.as_str() == alias)
            .expect("still configured");
        assert_eq!(listed.1.is_some(), reg.has_connection(alias));
    }
    let opens_before = transport.opens();
    assert!(
        opens_before > ALIASES.len(),
        "disconnects happened in between"
    );
    for alias in ALIASES {
        reg.disconnect(alias).await;
    }
    assert_eq!(
        transport.opens(),
        transport.closes(),
        "opens and closes balance"
    );
    for alias in ALIASES {
        assert_eq!(transport.open_now(alias), 0);
    }
}

/// A connect that hangs in the transport holds up only its own alias: other aliases connect,
/// and look-ups proceed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_connect_blocks_only_its_own_alias() {
    let (reg, _) = registry_with(Counting::default(), &[]);
    let reg = Arc::new(reg);
    let fast = reg
        .connect("fast", ConnectArgs::new().uri("http://fast:1"))
        .await
        .expect("connects");

    let (entered, release) = reg.transport().hold("slow:1");
    let slow = {
        let reg = reg.clone();
        tokio::spawn(async move {
            reg.connect("slow", ConnectArgs::new().uri("http://slow:1"))
                .await
        })
    };
    entered.notified().await; // the slow connect is inside the transport now

    let other = connect_within(
        &reg,
        "other",
        "http://other:1",
        "not held up by the slow alias",
    )
    .await;
    assert_eq!(other.address(), "other:1");
    assert_eq!(reg.get("fast"), Some(fast.clone()));
    reg.disconnect("fast").await;
    assert!(!reg.has_connection("fast"));
    assert!(!reg.has_connection("slow"));
    assert_eq!(reg.list_connections().len(), 2);

    // A second connect of the slow alias waits for the first, then shares its connection.
    let second = {
        let reg = reg.clone();
        tokio::spawn(async move {
            reg.connect("slow", ConnectArgs::new().uri("http://slow:1"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !second.is_finished(),
        "waits for the first connect of its alias"
    );

    release.notify_one();
    let slow = slow.await.expect("task").expect("connects once released");
    let second = second.await.expect("task").expect("connects");
    assert_eq!(slow.address(), "slow:1");
    assert_eq!(slow, second);
    assert!(reg.has_connection("slow"));
    assert_eq!(reg.transport().opens(), 3);
}

/// Lets every other task on a current-thread runtime run until it waits (for the attempt it
/// joined, or for the operation lock).
async fn let_others_run() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// A registry whose transport holds the connect to `h:1`, with a connect of alias `a` by
/// `args` inside it (notify the returned `Notify` to let it finish).
async fn connect_held(args: ConnectArgs) -> (Arc<TestRegistry>, Arc<Notify>, ConnectTask) {
    let (reg, _) = registry_with(Counting::default(), &[]);
    let reg = Arc::new(reg);
    let (entered, release) = reg.transport().hold("h:1");
    let task = spawn_connect(&reg, args);
    entered.notified().await;
    (reg, release, task)
}

/// Connects `alias` to `uri` within 5 s (else panics with `why`); it must succeed.
async fn connect_within(reg: &TestRegistry, alias: &str, uri: &str, why: &str) -> common::Conn {
    tokio::time::timeout(
        Duration::from_secs(5),
        reg.connect(alias, ConnectArgs::new().uri(uri)),
    )
    .await
    .expect(why)
    .expect("connects")
}

type ConnectTask = tokio::task::JoinHandle<Result<common::Conn, Error<common::Refused>>>;

fn spawn_connect(reg: &Arc<TestRegistry>, args: ConnectArgs) -> ConnectTask {
    let reg = reg.clone();
    tokio::spawn(async move { reg.connect("a", args).await })
}

/// Callers that arrive while a connect is in flight share its failure: one transport call,
/// one error value for all of them. The failure is not kept: the next call tries again.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_callers_share_one_failure_and_it_is_not_kept() {
    let (reg, _) = registry_with(Counting::default(), &[]);
    let reg = Arc::new(reg);
    reg.transport().fail("down:1");
    let (entered, release) = reg.transport().hold("down:1");
    let args = || ConnectArgs::new().uri("http://down:1");
    let tasks: Vec<_> = (0..16).map(|_| spawn_connect(&reg, args())).collect();
    entered.notified().await;
    let_others_run().await;
    release.notify_one();
    let mut sources = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            Err(Error::Connect { alias, source, .. }) => {
                assert_eq!(alias, "a");
                assert_eq!(source.0, "down:1");
                sources.push(source);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reg.transport().calls(), 1, "one attempt for 16 callers");
    assert!(
        sources.iter().all(|s| Arc::ptr_eq(s, &sources[0])),
        "every caller got the same error"
    );
    assert!(!reg.has_connection("a"));

    // Not kept: the next call runs a new attempt (the gate is spent, so it does not wait).
    reg.transport().hold("elsewhere:1");
    let err = reg.connect("a", args()).await.expect_err("still down");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert_eq!(reg.transport().calls(), 2);
    reg.transport().recover("down:1");
    reg.connect("a", args()).await.expect("up again");
    assert_eq!(reg.transport().calls(), 3);
    assert!(reg.has_connection("a"));
}

/// A caller whose spec differs from the attempt in flight (here: a shorter timeout) does
/// not wait for it: it returns at once, naming the differing field, and the attempt goes
/// on for its own callers.
#[tokio::test(flavor = "current_thread")]
async fn a_caller_with_a_shorter_timeout_does_not_wait_for_the_attempt_in_flight() {
    let (reg, release, first) =
        connect_held(ConnectArgs::new().uri("http://h:1").timeout(10u64)).await;

    let short = ConnectArgs::new()
        .uri("http://h:1")
        .timeout(Duration::from_millis(500));
    let err = tokio::time::timeout(Duration::from_secs(5), reg.connect("a", short.clone()))
        .await
        .expect("does not wait for the attempt in flight")
        .expect_err("a different spec is in flight");
    match &err {
        Error::ConnectInProgress { alias, fields, .. } => {
            assert_eq!(alias, "a");
            assert_eq!(fields, &[Field::Timeout]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "alias \"a\" is being connected with a different configuration (differing: timeout); connect again when that has finished"
    );
    assert!(!first.is_finished(), "the attempt goes on");

    release.notify_one();
    let conn = first.await.expect("task").expect("connects");
    assert_eq!(conn.spec().timeout(), Duration::from_secs(10));
    assert_eq!(reg.transport().calls(), 1);
    // Once connected, the same arguments meet the live connection, as before.
    let err = reg
        .connect("a", short)
        .await
        .expect_err("connected differently");
    assert!(
        matches!(&err, Error::ConfigMismatch { fields, .. } if fields == &[Field::Timeout]),
        "{err:?}"
    );
}

/// Dropping the call that started an attempt does not cancel it for a caller that joined.
#[tokio::test(flavor = "current_thread")]
async fn the_attempt_outlives_the_caller_that_started_it() {
    let args = || ConnectArgs::new().uri("http://h:1");
    let (reg, release, first) = connect_held(args()).await;
    let second = spawn_connect(&reg, args());
    let_others_run().await; // the second has joined the attempt
    first.abort();
    assert!(first.await.expect_err("aborted").is_cancelled());
    release.notify_one();
    let conn = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .expect("the joined caller drives the attempt on")
        .expect("task")
        .expect("connects");
    assert_eq!(reg.transport().calls(), 1, "no second attempt");
    assert_eq!(reg.get("a"), Some(conn));
}

/// When every caller of an attempt has gone, the attempt is dropped and stores nothing;
/// the next call starts a new one.
#[tokio::test(flavor = "current_thread")]
async fn an_attempt_nobody_waits_for_is_dropped() {
    let (reg, _release, first) = connect_held(ConnectArgs::new().uri("http://h:1")).await;
    first.abort();
    assert!(first.await.expect_err("aborted").is_cancelled());
    assert!(!reg.has_connection("a"));
    assert!(reg.list_connections().is_empty(), "nothing stored");

    reg.transport().hold("elsewhere:1");
    let conn = connect_within(
        &reg,
        "a",
        "http://h:1",
        "does not wait for the dropped attempt",
    )
    .await;
    assert_eq!(reg.transport().calls(), 2, "a new attempt");
    assert_eq!(reg.transport().opens(), 1);
    assert_eq!(reg.get("a"), Some(conn));
}

/// `disconnect` and `remove_connection` during a connect wait for it, then close what it
/// opened: afterwards the alias is not connected, and opens and closes balance.
#[tokio::test(flavor = "current_thread")]
async fn disconnect_and_remove_wait_for_the_connect_in_flight() {
    for remove in [false, true] {
        let (reg, release, connect) = connect_held(ConnectArgs::new().uri("http://h:1")).await;
        let closing = {
            let reg = reg.clone();
            tokio::spawn(async move {
                if remove {
                    reg.remove_connection("a").await;
                } else {
                    reg.disconnect("a").await;
                }
            })
        };
        let_others_run().await;
        assert!(
            !closing.is_finished(),
            "remove {remove}: waits for the connect"
        );
        release.notify_one();
        let conn = connect.await.expect("task").expect("connects");
        tokio::time::timeout(Duration::from_secs(5), closing)
            .await
            .expect("ends after the connect")
            .expect("task");
        assert_eq!(conn.address(), "h:1", "its caller got the connection");
        assert!(!reg.has_connection("a"), "remove {remove}");
        assert_eq!(reg.transport().opens(), 1);
        assert_eq!(
            reg.transport().closes(),
            1,
            "what the connect opened is closed"
        );
        let listed = reg.list_connections();
        if remove {
            assert!(listed.is_empty());
        } else {
            assert_eq!(listed.len(), 1, "disconnect keeps the configuration");
            assert!(listed[0].1.is_none());
        }
    }
}

/// `add_connection` during a connect waits for it, then compares with the live
/// connection as it always does.
#[tokio::test(flavor = "current_thread")]
async fn add_connection_waits_for_the_connect_in_flight() {
    let (reg, release, connect) = connect_held(ConnectArgs::new().uri("http://h:1")).await;
    let add = {
        let reg = reg.clone();
        tokio::spawn(async move {
            reg.add_connection("a", ConnectArgs::new().uri("http://other:2"))
                .await
        })
    };
    let_others_run().await;
    assert!(!add.is_finished(), "waits for the connect");
    release.notify_one();
    connect.await.expect("task").expect("connects");
    let err = add.await.expect("task").expect_err("connected elsewhere");
    assert!(
        matches!(&err, Error::ConfigMismatch { fields, .. } if fields == &[Field::Target]),
        "{err:?}"
    );
}
