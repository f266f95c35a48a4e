//! Smoke test of the real-Milvus harness (`milvus_conn_tests::milvus`): it starts a genuine
//! Milvus 2.3.5 in each mode in turn and checks that the server is really there, speaks the
//! expected protocol on its port, and is really gone after a stop.
//!
//! Needs `tests/milvus/setup.sh` to have run; under `CI=true` a missing or failing server
//! fails these tests, elsewhere they skip with a printed reason when setup was never run.
//! The protocol-level tests (Connect, GetVersion, CheckHealth through tonic) live with the
//! transport crate's tests.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use milvus_conn_tests::milvus::{Mode, RealMilvus};

const TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP/2 client preface followed by an empty SETTINGS frame.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

fn socket_addr(milvus: &RealMilvus) -> SocketAddr {
    milvus
        .addr()
        .parse()
        .unwrap_or_else(|e| panic!("addr {:?} is not host:port: {e}", milvus.addr()))
}

/// Sends a cleartext HTTP/2 preface and returns the first bytes of the answer (empty when the
/// server closed the connection without answering).
fn answer_to_h2c_preface(addr: SocketAddr) -> Vec<u8> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .unwrap_or_else(|e| panic!("TCP connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(TIMEOUT))
        .unwrap_or_else(|e| panic!("set_read_timeout: {e}"));
    stream
        .write_all(H2_PREFACE)
        .unwrap_or_else(|e| panic!("writing the HTTP/2 preface to {addr}: {e}"));
    let mut buf = [0u8; 9];
    let mut got = 0;
    while got < buf.len() {
        match stream.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading the answer to the HTTP/2 preface from {addr}: {e}"),
        }
    }
    buf[..got].to_vec()
}

fn is_h2_settings_frame(bytes: &[u8]) -> bool {
    // 3 bytes length, type 0x4 (SETTINGS), flags, stream id 0
    bytes.len() == 9 && bytes[3] == 0x04 && bytes[5..9] == [0, 0, 0, 0]
}

fn assert_pem(path: Option<&Path>, what: &str, marker: &str) {
    let path = path.unwrap_or_else(|| panic!("{what} is missing"));
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what} {}: {e}", path.display()));
    assert!(
        text.contains(marker),
        "{what} {} holds no {marker}",
        path.display()
    );
}

fn process_is_milvus(pid: u32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.ends_with("bin/milvus"))
}

/// Everything a test can check about a running server without a gRPC client.
fn assert_running(milvus: &RealMilvus, mode: Mode) {
    assert_eq!(milvus.mode(), mode);
    assert_eq!(milvus.host(), "127.0.0.1");
    assert_eq!(milvus.addr(), format!("127.0.0.1:{}", milvus.port()));
    assert_eq!((milvus.user(), milvus.password()), ("root", "Milvus"));
    assert!(
        process_is_milvus(milvus.pid()),
        "pid {} is not a running milvus",
        milvus.pid()
    );
    // The readiness probe ran gRPC CheckHealth and GetVersion with root/Milvus over the mode's
    // transport; this is what GetVersion answered.
    assert_eq!(milvus.server_version(), "v2.3.5-lite");
    assert!(milvus.ready_after() > Duration::ZERO);
    assert!(milvus.log_dir().join("stdout.log").is_file());

    let answer = answer_to_h2c_preface(socket_addr(milvus));
    match mode {
        Mode::Plain => {
            assert!(
                is_h2_settings_frame(&answer),
                "plain Milvus should answer the h2c preface with SETTINGS, got {answer:02x?}"
            );
            assert!(milvus.uri().starts_with("http://"), "{}", milvus.uri());
            assert_eq!(milvus.ca(), None);
            assert_eq!(milvus.server_name(), None);
        }
        Mode::Tls1 | Mode::Tls2 => {
            assert!(
                !is_h2_settings_frame(&answer),
                "a TLS-only Milvus answered cleartext HTTP/2: {answer:02x?}"
            );
            assert!(milvus.uri().starts_with("https://"), "{}", milvus.uri());
            assert_eq!(milvus.server_name(), Some("localhost"));
            assert_pem(milvus.ca(), "ca", "BEGIN CERTIFICATE");
            assert_pem(milvus.other_ca(), "other_ca", "BEGIN CERTIFICATE");
            assert_ne!(milvus.ca(), milvus.other_ca());
        }
    }
    if mode == Mode::Tls2 {
        assert_pem(milvus.client_cert(), "client_cert", "BEGIN CERTIFICATE");
        assert_pem(milvus.client_key(), "client_key", "PRIVATE KEY");
    } else {
        assert_eq!(milvus.client_cert(), None);
        assert_eq!(milvus.client_key(), None);
    }
}

fn assert_gone(addr: SocketAddr, pid: u32) {
    assert!(!process_is_milvus(pid), "milvus pid {pid} still runs");
    assert!(
        TcpStream::connect_timeout(&addr, TIMEOUT).is_err(),
        "{addr} still accepts connections"
    );
}

#[test]
fn each_mode_starts_in_turn_and_stops() {
    let Some(mut milvus) = RealMilvus::start_or_skip(Mode::Plain) else {
        return;
    };
    assert_running(&milvus, Mode::Plain);
    for mode in [Mode::Tls1, Mode::Tls2] {
        let (addr, pid) = (socket_addr(&milvus), milvus.pid());
        milvus = milvus
            .restart(mode)
            .unwrap_or_else(|e| panic!("restart in {mode}: {e}"));
        assert_ne!(milvus.pid(), pid, "restart must start a new process");
        assert!(!process_is_milvus(pid), "old milvus pid {pid} still runs");
        assert_eq!(socket_addr(&milvus), addr);
        assert_running(&milvus, mode);
    }
    let (addr, pid) = (socket_addr(&milvus), milvus.pid());
    milvus.stop().unwrap_or_else(|e| panic!("stop: {e}"));
    assert_gone(addr, pid);
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let Some(milvus) = RealMilvus::start_or_skip(Mode::Plain) else {
        return;
    };
    assert_running(&milvus, Mode::Plain);
    let (addr, pid) = (socket_addr(&milvus), milvus.pid());
    let debug = format!("{milvus:?}");
    assert!(debug.contains("<redacted>"), "{debug}");
    assert!(
        !debug.contains("\"Milvus\""),
        "Debug shows the password: {debug}"
    );
    drop(milvus);
    assert_gone(addr, pid);
}
