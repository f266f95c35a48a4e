//! Unit tests of the classifiers.

#![allow(clippy::unwrap_used)]

use super::{ErrorKind as K, classify, classify_milvus};
use tonic::{Code, Status};

/// Milvus statuses, by `code` and legacy `error_code`, each row with its class and
/// whether a retry may help (through `Ctx::check` and `Error::is_transient`).
#[test]
fn milvus_statuses_are_classed_by_code_then_legacy_error_code() {
    let ctx = super::Ctx::detached();
    #[rustfmt::skip]
    let rows: &[(i32, i32, bool, Option<K>, bool)] = &[
        // code, error_code, retriable flag, class, transient
        (0, 0, false, None, false),
        (1, 56, true, Some(K::Unavailable), true),      // ServiceNotReady / NotReadyServe
        (2, 1, false, Some(K::Unavailable), true),      // ServiceUnavailable
        (0, 56, false, Some(K::Unavailable), true),     // a 2.2 server: NotReadyServe only
        (0, 57, false, Some(K::Unavailable), true),     // NotReadyCoordActivating
        (8, 49, false, Some(K::RateLimited), true),     // ServiceRateLimit / RateLimit
        (0, 49, false, Some(K::RateLimited), true),
        (4, 1, true, Some(K::RateLimited), true),       // ServiceRequestLimitExceeded
        (9, 48, false, Some(K::ServerStatus), false),   // ServiceForceDeny / ForceDeny
        (10, 1, false, Some(K::Unimplemented), false),
        (1100, 5, false, Some(K::InvalidArgument), false),
        (0, 5, false, Some(K::InvalidArgument), false),
        (1400, 1, false, Some(K::Authentication), false),
        (1401, 3, false, Some(K::PermissionDenied), false),
        (0, 3, false, Some(K::PermissionDenied), false),
        (800, 1, false, Some(K::ServerStatus), false),  // database not found
        (100, 4, false, Some(K::ServerStatus), false),  // collection not found
        (100, 4, true, Some(K::ServerStatus), true),    // ... marked retriable
        (65535, 1, false, Some(K::ServerStatus), false),
    ];
    for &(code, error_code, retriable, class, transient) in rows {
        let row = format!("code {code}, error_code {error_code}, retriable {retriable}");
        assert_eq!(classify_milvus(code, error_code), class, "{row}");
        let status = crate::proto::common::Status {
            code,
            error_code,
            reason: "r".to_owned(),
            retriable,
            ..Default::default()
        };
        match ctx.check(Some(&status), "Search") {
            Ok(()) => assert_eq!(class, None, "{row}"),
            Err(e) => {
                assert_eq!(Some(e.kind()), class, "{row}");
                assert_eq!(e.is_transient(), transient, "{row}");
            }
        }
    }
}

/// gRPC statuses the server sent (no source): class and whether a retry may help.
#[test]
fn grpc_statuses_are_classed_by_code() {
    let ctx = super::Ctx::detached();
    let rows = [
        (Code::Unauthenticated, K::Authentication, false),
        (Code::PermissionDenied, K::PermissionDenied, false),
        (Code::InvalidArgument, K::InvalidArgument, false),
        (Code::Unimplemented, K::Unimplemented, false),
        (Code::DeadlineExceeded, K::TimedOut, true),
        (Code::Unavailable, K::Unavailable, true),
        (Code::ResourceExhausted, K::RateLimited, true),
        (Code::Aborted, K::Rpc, true),
        (Code::NotFound, K::Rpc, false),
        (Code::Internal, K::Rpc, false),
        (Code::Unknown, K::Rpc, false),
    ];
    for (code, class, transient) in rows {
        let status = Status::new(code, "m");
        assert_eq!(classify(&status), class, "{code:?}");
        let e = ctx.status(status, "Search");
        assert_eq!(e.kind(), class, "{code:?}");
        assert_eq!(e.is_transient(), transient, "{code:?}");
    }
}

/// A status tonic made from a failed connection (it has a source) is unreachable,
/// whatever its code.
#[test]
fn a_status_made_from_a_connection_failure_is_unreachable() {
    let mut status = Status::new(Code::Unknown, "transport error");
    status.set_source(std::sync::Arc::new(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset",
    )));
    assert_eq!(classify(&status), K::Unreachable);
}
