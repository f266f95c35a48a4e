//! Unit tests of reading the files within the deadline.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use conn_config::{ConnectArgs, ConnectionSpec};

use super::files::{Contents, TlsFile};
use super::load::{load_by_with, load_within_with};
use crate::{Error, TlsFileField};

/// A spec with a server_pem_path and a ca_pem_path (read in that order).
fn two_ca_files() -> ConnectionSpec {
    ConnectArgs::new()
        .uri("https://127.0.0.1:1")
        .server_pem_path("/nowhere/server.pem")
        .ca_pem_path("/nowhere/ca.pem")
        .resolve_isolated()
        .unwrap()
}

/// A reader that hangs, as a read on a hung network file system does, in the second
/// file; it notes that it started.
fn hangs_in_the_second_file(files: &[TlsFile], at: &AtomicUsize) -> Contents {
    assert_eq!(files.len(), 2);
    at.store(1, Ordering::Relaxed);
    STARTED.fetch_add(1, Ordering::Relaxed);
    loop {
        std::thread::park();
    }
}
static STARTED: AtomicUsize = AtomicUsize::new(0);

fn assert_timed_out_in_ca_pem_path(err: &Error, timeout: Duration) {
    match err {
        Error::FileReadTimedOut {
            field,
            path,
            timeout: t,
        } => {
            assert_eq!(*field, TlsFileField::CaPemPath);
            assert_eq!(path.to_str(), Some("/nowhere/ca.pem"));
            assert_eq!(*t, timeout);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "ca_pem_path file /nowhere/ca.pem was not read within the timeout of 200ms"
    );
    assert!(!err.is_transient());
    assert_eq!(err.kind(), crate::ErrorKind::LocalFile);
}

#[tokio::test]
async fn a_read_that_hangs_ends_at_the_deadline_naming_the_file() {
    let spec = two_ca_files();
    let tls = spec.security().tls().unwrap();
    let timeout = Duration::from_millis(200);
    let start = Instant::now();
    let before = STARTED.load(Ordering::Relaxed);
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        load_by_with(
            tls,
            "127.0.0.1:1",
            crate::connect::deadline_after(timeout),
            timeout,
            hangs_in_the_second_file,
        ),
    )
    .await
    .expect("the read is bounded by the deadline");
    assert!(STARTED.load(Ordering::Relaxed) > before, "the reader ran");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_timed_out_in_ca_pem_path(&result.unwrap_err(), timeout);
}

#[test]
fn a_read_that_hangs_ends_at_the_timeout_without_a_runtime_too() {
    let spec = two_ca_files();
    let tls = spec.security().tls().unwrap();
    let timeout = Duration::from_millis(200);
    let start = Instant::now();
    let err = load_within_with(tls, "127.0.0.1:1", timeout, hangs_in_the_second_file).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_timed_out_in_ca_pem_path(&err, timeout);
}

#[test]
fn the_error_of_the_first_bad_file_is_returned() {
    // The real reader: the first file is missing, the second is never opened.
    let spec = two_ca_files();
    let err = super::load_within(
        spec.security().tls().unwrap(),
        "127.0.0.1:1",
        Duration::from_secs(5),
    )
    .unwrap_err();
    let Error::FileUnreadable { field, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*field, TlsFileField::ServerPemPath);
}

/// The platform roots are loaded once per process (docs/transport.md, "Platform roots"):
/// a second spec without CA files shares the first's parsed store.
#[cfg(feature = "tls-native-roots")]
#[test]
fn platform_roots_are_loaded_once_per_process() {
    let spec = ConnectArgs::new()
        .uri("https://127.0.0.1:1")
        .resolve_isolated()
        .unwrap();
    let tls = spec.security().tls().unwrap();
    let first = super::load_within(tls, "127.0.0.1:1", Duration::from_secs(60));
    let second = super::load_within(tls, "127.0.0.1:1", Duration::from_secs(60));
    assert_eq!(super::roots::LOADS.load(Ordering::Relaxed), 1);
    match (first, second) {
        (Ok(first), Ok(second)) => {
            let (a, b) = (first.roots.unwrap(), second.roots.unwrap());
            assert!(std::sync::Arc::ptr_eq(&a, &b), "one store, shared");
            assert!(!a.is_empty());
        }
        // A platform without root certificates: the same error both times.
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        other => panic!("{other:?}"),
    }
}

thread_local! {
    /// How many reads ran on this thread.
    static READS_HERE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A reader that notes how many reads its thread had run (this one included) in
/// [`READS_SEEN`], and finds every file missing.
fn counts_reads_on_its_thread(files: &[TlsFile], _: &AtomicUsize) -> Contents {
    let n = READS_HERE.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    READS_SEEN.store(n, Ordering::Relaxed);
    Err(Error::FileUnreadable {
        field: TlsFileField::ServerPemPath,
        path: files[0].path.clone(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })
}
static READS_SEEN: AtomicUsize = AtomicUsize::new(0);

/// Waits (at most 10 s) until a reader thread waits for work.
fn until_a_reader_waits() -> bool {
    let start = Instant::now();
    while super::reader::waiting() == 0 {
        if start.elapsed() > Duration::from_secs(10) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Back-to-back reads reuse a reader thread (docs/transport.md, "TLS files"): the second
/// read runs on a thread that ran one before. Other tests of this binary read files too
/// and may take the waiting thread first, so a few tries are allowed; without reuse every
/// read runs on a fresh thread and the count stays 1.
#[test]
fn back_to_back_reads_reuse_a_reader_thread() {
    let spec = two_ca_files();
    let tls = spec.security().tls().unwrap();
    let timeout = Duration::from_secs(30);
    let reused = (0..20).any(|_| {
        let first = load_within_with(tls, "127.0.0.1:1", timeout, counts_reads_on_its_thread);
        assert!(
            matches!(first, Err(Error::FileUnreadable { .. })),
            "{first:?}"
        );
        if !until_a_reader_waits() {
            return false;
        }
        let second = load_within_with(tls, "127.0.0.1:1", timeout, counts_reads_on_its_thread);
        assert!(
            matches!(second, Err(Error::FileUnreadable { .. })),
            "{second:?}"
        );
        READS_SEEN.load(Ordering::Relaxed) >= 2
    });
    assert!(reused, "no read ran on a thread that had read before");
    assert!(super::reader::waiting() <= super::reader::MAX_IDLE);
}

/// A read stuck in the kernel keeps its thread; the next connect's read gets another one
/// and finishes, instead of queueing behind it.
#[test]
fn a_stuck_read_does_not_hold_up_the_next_one() {
    let spec = two_ca_files();
    let tls = spec.security().tls().unwrap();
    let short = Duration::from_millis(200);
    let stuck = load_within_with(tls, "127.0.0.1:1", short, hangs_in_the_second_file);
    assert_timed_out_in_ca_pem_path(&stuck.unwrap_err(), short);
    // The stuck thread never waits for work, so this read runs elsewhere and is not
    // timed out (the bound is generous: only a queue behind the stuck read would reach it).
    let next = load_within_with(
        tls,
        "127.0.0.1:1",
        Duration::from_secs(30),
        counts_reads_on_its_thread,
    );
    assert!(
        matches!(next, Err(Error::FileUnreadable { .. })),
        "{next:?}"
    );
}

/// A value loaded once (the platform roots): while one thread's load is under way (stuck,
/// say), a second caller leaves its callback and returns instead of blocking; the loader
/// runs the callbacks whose caller still waits once it is done, and drops the rest.
#[cfg(feature = "_tls")]
#[test]
fn a_load_under_way_is_waited_for_by_callback() {
    use std::sync::{Arc, mpsc};

    use super::roots::Shared;

    static SHARED: Shared<u32> = Shared::new();
    let safety = Duration::from_secs(30);
    let (loading, load_started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let (loader_got, loader_value) = mpsc::channel();
    let loader_alive = Arc::new(());
    let weak = Arc::downgrade(&loader_alive);
    let loader = std::thread::spawn(move || {
        let load = || {
            loading.send(()).unwrap();
            released.recv().unwrap();
            7
        };
        SHARED.get_then(load, weak, move |v| loader_got.send(*v).unwrap());
    });
    load_started.recv_timeout(safety).unwrap();

    // Both calls return while the load is stuck (they would block on it otherwise).
    let (waiter_got, waiter_value) = mpsc::channel();
    let (gone_got, gone_value) = mpsc::channel::<u32>();
    let (waiter_alive, gone_alive) = (Arc::new(()), Arc::new(()));
    let (w1, w2) = (Arc::downgrade(&waiter_alive), Arc::downgrade(&gone_alive));
    let (returned, calls_returned) = mpsc::channel();
    std::thread::spawn(move || {
        SHARED.get_then(
            || unreachable!("one load"),
            w1,
            move |v| waiter_got.send(*v).unwrap(),
        );
        SHARED.get_then(
            || unreachable!("one load"),
            w2,
            move |v| gone_got.send(*v).unwrap(),
        );
        returned.send(()).unwrap();
    });
    calls_returned.recv_timeout(safety).unwrap();
    assert!(
        waiter_value.try_recv().is_err(),
        "no value before the load ends"
    );
    // The second caller stopped waiting (its deadline passed).
    drop(gone_alive);

    release.send(()).unwrap();
    assert_eq!(loader_value.recv_timeout(safety).unwrap(), 7);
    assert_eq!(waiter_value.recv_timeout(safety).unwrap(), 7);
    // Its callback was dropped without running: its sender is gone.
    assert_eq!(
        gone_value.recv_timeout(safety),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
    loader.join().unwrap();
    drop((loader_alive, waiter_alive));
    // Loaded: handed over at once, on this thread.
    let (now_got, now_value) = mpsc::channel();
    SHARED.get_then(
        || unreachable!("loaded"),
        std::sync::Weak::new(),
        move |v| {
            now_got.send(*v).unwrap();
        },
    );
    assert_eq!(now_value.try_recv(), Ok(7));
}
