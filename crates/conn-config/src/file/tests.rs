//! The bounded reader's defences (the `.env` limits are tested through resolution in
//! `tests/dotenv_limits.rs`).

use super::*;

/// The second line of defence of [`read_regular`]: a FIFO that replaced the file after the
/// type check is opened without waiting for a writer, and its handle says what it is.
#[cfg(unix)]
#[test]
fn opening_a_fifo_does_not_block_and_its_type_is_seen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let kind = open_nonblocking(&fifo)
            .and_then(|f| f.metadata())
            .map(|m| FileKind::of(m.file_type()));
        let _ = tx.send(kind.map_err(|e| e.to_string()));
    });
    let kind = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the open of a FIFO does not block");
    assert_eq!(kind, Ok(Some(FileKind::Fifo)));
}
