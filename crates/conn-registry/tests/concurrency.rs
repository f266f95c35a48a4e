//! Many tasks on a multi-threaded runtime connecting, disconnecting and looking up a few
//! aliases at once, against a transport that counts what it opens and closes.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Counting, registry_with};
use conn_config::ConnectArgs;

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

    let other = tokio::time::timeout(
        Duration::from_secs(5),
        reg.connect("other", ConnectArgs::new().uri("http://other:1")),
    )
    .await
    .expect("not held up by the slow alias")
    .expect("connects");
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
