//! The reasons a Milvus Lite server could not be started ([`Error::Lite`](super::Error::Lite)).

use std::fmt;

/// The last lines of a Milvus Lite server's output in an [`Error::Lite`](super::Error::Lite) message: at most
/// `LITE_MESSAGE_LINES`, after a line of its own; nothing for no output.
pub(super) struct LastLines<'a>(pub(super) &'a str);

/// The most lines of a Milvus Lite server's output shown in an [`Error::Lite`](super::Error::Lite) message
/// (the `output` field has more).
const LITE_MESSAGE_LINES: usize = 8;

impl fmt::Display for LastLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<&str> = self.0.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return Ok(());
        }
        f.write_str("; its last output:")?;
        for line in &lines[lines.len().saturating_sub(LITE_MESSAGE_LINES)..] {
            write!(f, "\n  | {}", super::source::Escaped(line))?;
        }
        Ok(())
    }
}

/// The most bytes of a Milvus Lite server's output kept for [`Error::Lite`](super::Error::Lite) (its last
/// lines).
pub const LITE_OUTPUT_TAIL: usize = 4096;

/// Why the Milvus Lite server of a `.db` target could not be started ([`Error::Lite`](super::Error::Lite)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LiteProblem {
    /// Neither `MILVUS_LITE_BIN`, nor `milvus-lite` on `PATH`, nor `python3 -m milvus_lite`
    /// could run Milvus Lite (or the executable named does not exist).
    NotInstalled,
    /// The directory that would hold the `.db` data directory does not exist (pymilvus
    /// refuses it too).
    ParentMissing,
    /// The `.db` path exists and is not a directory (Milvus Lite 3 keeps a directory there;
    /// a file is likely a milvus-lite 2 database).
    NotADirectory,
    /// Another process holds the lock of the data directory (a Milvus Lite server, or a
    /// pymilvus program using the same `.db`).
    Locked,
    /// The server did not answer `CheckHealth` within the spec's timeout.
    NotHealthy,
    /// The server exited while starting, for another reason (see the output).
    Exited,
    /// The process could not be started (the operating system refused).
    Spawn,
    /// TLS settings were given for a `.db` target: Milvus Lite serves plaintext gRPC on
    /// loopback only, so they are refused rather than ignored.
    TlsNotSupported,
    /// [`Connector::connect_lazy`](crate::Connector::connect_lazy) cannot start a server
    /// (that is a child process and seconds of waiting); use
    /// [`Connector::connect`](crate::Connector::connect).
    Lazy,
}

impl fmt::Display for LiteProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            LiteProblem::NotInstalled => {
                "milvus lite is not installed; install the python package milvus-lite (pip install milvus-lite) or set MILVUS_LITE_BIN to its milvus-lite executable"
            }
            LiteProblem::ParentMissing => "the directory holding it does not exist",
            LiteProblem::NotADirectory => {
                "it exists and is not a directory (milvus lite 3 keeps a directory there; a file is likely a milvus-lite 2 database)"
            }
            LiteProblem::Locked => {
                "another process holds its lock (a milvus lite server or a pymilvus program using the same .db)"
            }
            LiteProblem::NotHealthy => "the server did not answer CheckHealth in time",
            LiteProblem::Exited => "the server exited while starting",
            LiteProblem::Spawn => "the process could not be started",
            LiteProblem::TlsNotSupported => {
                "milvus lite serves plaintext grpc on loopback only; remove the tls settings (secure, ca/server/client pem paths, server name) for a .db target"
            }
            LiteProblem::Lazy => {
                "connect_lazy does not start a milvus lite server (a child process, seconds of start-up); use connect"
            }
        })
    }
}

impl LiteProblem {
    /// A short snake_case name: `not_installed`, `parent_missing`, `locked`, …
    pub fn as_str(self) -> &'static str {
        match self {
            LiteProblem::NotInstalled => "not_installed",
            LiteProblem::ParentMissing => "parent_missing",
            LiteProblem::NotADirectory => "not_a_directory",
            LiteProblem::Locked => "locked",
            LiteProblem::NotHealthy => "not_healthy",
            LiteProblem::Exited => "exited",
            LiteProblem::Spawn => "spawn",
            LiteProblem::TlsNotSupported => "tls_not_supported",
            LiteProblem::Lazy => "lazy",
        }
    }
}
