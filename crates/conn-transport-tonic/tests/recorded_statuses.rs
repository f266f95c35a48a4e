//! Statuses recorded from the real Milvus 2.3.5 (plain mode, authentication on), classified
//! without a server: the gRPC statuses through `classify`, the Milvus `common.Status`es
//! through `classify_milvus` and `MilvusConnection::check_status`. The live test that
//! provoked them and pins the same values is `classify_real_statuses` in
//! `tests/sdk-client/tests/real_milvus_sdk.rs`.
#![allow(clippy::unwrap_used)]

use conn_config::ConnectArgs;
use conn_transport_tonic::tonic::{Code, Status};
use conn_transport_tonic::{ErrorKind, classify, classify_milvus};

#[test]
fn grpc_statuses_recorded_from_milvus_2_3_5() {
    let rows = [
        // what, code, message, class, transient
        (
            "wrong password (ShowCollections)",
            Code::Unauthenticated,
            "auth check failure, please check username and password are correct",
            ErrorKind::Authentication,
            false,
        ),
        (
            "no credentials (ShowCollections)",
            Code::Unauthenticated,
            "missing authorization in header",
            ErrorKind::Authentication,
            false,
        ),
        (
            "unknown method (NoSuchMethod)",
            Code::Unimplemented,
            "unknown method NoSuchMethod for service milvus.proto.milvus.MilvusService",
            ErrorKind::Unimplemented,
            false,
        ),
    ];
    let (_rt, conn) = lazy_connection();
    for (what, code, message, class, transient) in rows {
        let status = Status::new(code, message);
        assert_eq!(classify(&status), class, "{what}");
        let err = conn.error_from_status(status, "ShowCollections");
        assert_eq!(err.kind(), class, "{what}");
        assert_eq!(err.is_transient(), transient, "{what}");
        assert!(format!("{err:?}").contains(message), "{what}: {err:?}");
    }
}

#[test]
fn milvus_statuses_recorded_from_milvus_2_3_5() {
    let rows = [
        // what, code, error_code, reason, retriable, class
        (
            "unknown database (Connect, ShowCollections)",
            800,
            1,
            "database not found[database=no_such_db]",
            false,
            ErrorKind::ServerStatus,
        ),
        (
            "collection not found (DescribeCollection)",
            100,
            1,
            "can't find collection collection not found[database=default][collection=no_such_collection]",
            false,
            ErrorKind::ServerStatus,
        ),
    ];
    let (_rt, conn) = lazy_connection();
    for (what, code, error_code, reason, retriable, class) in rows {
        assert_eq!(classify_milvus(code, error_code), Some(class), "{what}");
        let err = conn
            .check_status("DescribeCollection", code, error_code, reason, retriable)
            .unwrap_err();
        assert_eq!(err.kind(), class, "{what}");
        assert!(!err.is_transient(), "{what}");
        assert_eq!(
            err.to_string(),
            format!(
                "milvus at 127.0.0.1:19530 refused DescribeCollection with status code {code}: {reason}"
            ),
            "{what}"
        );
    }
}

/// A lazy connection (no network I/O) and the runtime it was made in, kept alive by the
/// caller.
fn lazy_connection() -> (
    tokio::runtime::Runtime,
    conn_transport_tonic::MilvusConnection,
) {
    let spec = ConnectArgs::new()
        .uri("http://127.0.0.1:19530")
        .resolve_isolated()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let conn = {
        let _entered = rt.enter();
        conn_transport_tonic::connect_lazy(&spec).unwrap()
    };
    (rt, conn)
}
