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
        (Code::ResourceExhausted, K::RateLimited, false), // also a message too large
        (Code::Aborted, K::Rpc, true),
        (Code::NotFound, K::Rpc, false),
        (Code::Internal, K::Rpc, false),
        (Code::Unknown, K::Rpc, false),
    ];
    for (code, class, transient) in rows {
        let status = Status::new(code, "m");
        assert_eq!(classify(&status), class, "{code:?}");
        let e = ctx.status(status, "Search", None);
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

/// A time-out is `Error::TimedOut`, naming its length, only when this client knows which
/// one ran out; a `DEADLINE_EXCEEDED` the server sent (a deadline of its own) is `Rpc`
/// with that code, of the same class.
#[test]
fn a_timeout_is_named_only_when_known() {
    use super::{CallTimedOut, Error};
    use std::time::Duration;
    let ctx = super::Ctx {
        address: "h:1".to_owned(),
        timeout: Duration::from_secs(10),
        ..super::Ctx::detached()
    };
    let expired = || {
        let mut status = Status::cancelled("Timeout expired");
        status.set_source(std::sync::Arc::new(tonic::TimeoutExpired(())));
        status
    };
    let ms150 = Duration::from_millis(150);
    // The service's note: the call's own time-out, whatever the caller knows.
    let noted = CallTimedOut::status(ms150, Box::new(tonic::TimeoutExpired(())));
    let noted = *noted.downcast::<Status>().unwrap();
    assert_eq!(noted.code(), Code::DeadlineExceeded);
    assert_eq!(classify(&noted), K::TimedOut);
    let e = ctx.status(noted, "Search", Some(Duration::from_secs(3)));
    assert!(
        matches!(e, Error::TimedOut { step: "Search", timeout, .. } if timeout == ms150),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "milvus at h:1 did not complete Search within 150ms"
    );
    // tonic's own enforcement, of a time-out the caller sent.
    let e = ctx.status(expired(), "Search", Some(ms150));
    assert!(
        matches!(e, Error::TimedOut { timeout, .. } if timeout == ms150),
        "{e:?}"
    );
    // Of a time-out nobody noted, and the server's own deadline: not the spec's 10 s.
    for (what, status) in [
        ("tonic, unknown", expired()),
        (
            "server",
            Status::deadline_exceeded("context deadline exceeded"),
        ),
    ] {
        assert_eq!(classify(&status), K::TimedOut, "{what}");
        let e = ctx.status(status, "Search", None);
        assert!(
            matches!(
                e,
                Error::Rpc {
                    code: Code::DeadlineExceeded,
                    ..
                }
            ),
            "{what}: {e:?}"
        );
        assert_eq!(e.kind(), K::TimedOut, "{what}");
        assert!(e.is_transient(), "{what}");
        assert!(!e.to_string().contains("10s"), "{what}: {e}");
    }
    // tonic's expiry is told from other failures.
    assert!(CallTimedOut::is_expiry(&expired()));
    assert!(!CallTimedOut::is_expiry(&std::io::Error::other("reset")));
}

/// `Error::TimedOut`'s message for the connection, a named call, and a call given no name.
#[test]
fn a_timed_out_step_reads_well() {
    use std::time::Duration;
    let timed_out = |step| super::Error::TimedOut {
        address: "h:1".to_owned(),
        step,
        timeout: Duration::from_secs(10),
    };
    assert_eq!(
        timed_out("connect").to_string(),
        "milvus at h:1 did not complete the connection (tcp, tls, http/2) within 10s"
    );
    assert_eq!(
        timed_out("Connect").to_string(),
        "milvus at h:1 did not complete Connect within 10s"
    );
    assert_eq!(
        timed_out("").to_string(),
        "milvus at h:1 did not complete the call within 10s"
    );
}

/// `Error::Rpc` keeps the server's message as sent, as `Authentication` and `Unimplemented`
/// do; its source shows it escaped.
#[test]
fn an_rpc_error_keeps_the_servers_message() {
    let ctx = super::Ctx::detached();
    let sent = "collection not loaded\n[collection=c]";
    let e = ctx.status(Status::new(Code::FailedPrecondition, sent), "Search", None);
    match &e {
        super::Error::Rpc { code, message, .. } => {
            assert_eq!(*code, Code::FailedPrecondition);
            assert_eq!(message, sent);
        }
        other => panic!("{other:?}"),
    }
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert_eq!(source, "collection not loaded\\n[collection=c]");
    let copy = e.replicate();
    assert!(matches!(copy, super::Error::Rpc { message, .. } if message == sent));
}
