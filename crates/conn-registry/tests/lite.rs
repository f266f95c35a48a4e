//! The registry over the tonic transport with Milvus Lite (the transport's `lite` feature,
//! a dev-dependency feature here): `connect("lite", uri="./…/x.db")` starts the server of the
//! data directory, `disconnect` stops it (no other handle holds it; the stop runs on a
//! thread of the transport, `wait_for_lite_stops` waits for it). Against the real
//! `milvus-lite` of `tests/milvus/setup.sh`; under `CI=true` a missing one fails.
#![cfg(all(feature = "tonic", unix))]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
use conn_registry::conn_transport_tonic::{Connector, wait_for_lite_stops};
use conn_registry::{Registry, TonicTransport};
use milvus_conn_tests::lite::{alive, executable_or_skip, relative_to_cwd, server_pids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_start_and_stop_milvus_lite() {
    let Some(bin) = executable_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let registry = Registry::with_resolver(
        TonicTransport::with_connector(Connector::new().lite_executable(&bin)),
        Resolver::with_env(MapEnv::new()).dotenv(DotEnv::Disabled),
    );
    // `./` and the temp directory relative to the test's working directory, as a user
    // writes `uri="./x.db"`.
    let uri = format!("./{}", relative_to_cwd(&db).display());
    let args = || {
        ConnectArgs::new()
            .uri(&uri)
            .timeout(Duration::from_secs(60))
    };
    let conn = registry.connect("lite", args()).await.unwrap();
    let pid = conn.lite_server().unwrap().pid();
    assert_eq!(conn.lite_server().unwrap().data_dir(), db);
    assert_eq!(server_pids(&db), [pid]);
    assert_eq!(conn.get_version().await.unwrap(), "milvus_lite-3.2.2");
    // A second alias to the same path shares the server.
    let other = registry.connect("lite2", args()).await.unwrap();
    assert_eq!(other.lite_server().unwrap().pid(), pid);
    drop((conn, other));

    registry.disconnect("lite").await;
    assert!(alive(pid), "alias lite2 still holds it");
    registry.disconnect("lite2").await;
    // The stop runs on a thread of its own (Milvus Lite exits on SIGTERM in milliseconds).
    wait_for_lite_stops().await;
    assert!(!alive(pid), "disconnecting the last alias stopped it");
    assert!(server_pids(&db).is_empty());

    // Connecting again starts a new server on the same data directory.
    let again = registry.connect("lite", args()).await.unwrap();
    let new_pid = again.lite_server().unwrap().pid();
    assert_ne!(new_pid, pid);
    drop(again);
    registry.remove_connection("lite").await;
    wait_for_lite_stops().await;
    assert!(!alive(new_pid));
}
