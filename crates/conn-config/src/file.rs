//! Reading a regular file, bounded: the type is checked before the file is opened and
//! again on the opened handle, the open does not block (`O_NONBLOCK` on Unix), and at most
//! a given number of bytes is read. conn-config reads `.env` files with it; a transport can
//! read its TLS files with it too.
//!
//! ```
//! use conn_config::file::{FileError, FileKind, read_regular};
//! let dir = std::env::temp_dir().join(format!("conn-config-file-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("small.txt");
//! std::fs::write(&path, b"hello")?;
//! assert_eq!(read_regular(&path, 5)?, b"hello");
//! assert!(matches!(read_regular(&path, 4), Err(FileError::TooLarge { limit: 4 })));
//! assert!(matches!(read_regular(&dir, 4), Err(FileError::NotAFile(FileKind::Directory))));
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read as _;
use std::path::Path;

/// What a path that should name a regular file names instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A named pipe.
    Fifo,
    /// A character device (`/dev/zero`, `/dev/urandom`, a terminal).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A Unix domain socket.
    Socket,
    /// Anything else that is not a regular file.
    Other,
}

impl FileKind {
    /// The kind of `file_type`, or `None` for a regular file. A symbolic link counts as
    /// [`FileKind::Other`]: callers ask about the file a link points to
    /// ([`std::fs::metadata`], [`std::fs::File::metadata`]).
    ///
    /// ```
    /// use conn_config::FileKind;
    /// let dir = std::fs::metadata(std::env::temp_dir())?;
    /// assert_eq!(FileKind::of(dir.file_type()), Some(FileKind::Directory));
    /// assert_eq!(FileKind::Directory.to_string(), "directory");
    /// # #[cfg(unix)]
    /// assert_eq!(FileKind::of(std::fs::metadata("/dev/null")?.file_type()), Some(FileKind::CharDevice));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn of(file_type: std::fs::FileType) -> Option<FileKind> {
        if file_type.is_file() {
            return None;
        }
        if file_type.is_dir() {
            return Some(FileKind::Directory);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if file_type.is_fifo() {
                return Some(FileKind::Fifo);
            }
            if file_type.is_char_device() {
                return Some(FileKind::CharDevice);
            }
            if file_type.is_block_device() {
                return Some(FileKind::BlockDevice);
            }
            if file_type.is_socket() {
                return Some(FileKind::Socket);
            }
        }
        Some(FileKind::Other)
    }

    /// The kind in words: `directory`, `fifo`, `character device`, `block device`,
    /// `socket`, `special file`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Directory => "directory",
            FileKind::Fifo => "fifo",
            FileKind::CharDevice => "character device",
            FileKind::BlockDevice => "block device",
            FileKind::Socket => "socket",
            FileKind::Other => "special file",
        }
    }
}

/// Why [`read_regular`] read nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The path could not be inspected, opened or read.
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// The path names something other than a regular file (or a link to one).
    #[error("not a regular file but a {0}")]
    NotAFile(FileKind),
    /// The file holds more than the limit.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// The bytes of the regular file at `path`, at most `limit` of them.
///
/// The type is checked twice. First on the path, before anything is opened: opening a FIFO
/// waits for a writer, and opening some devices acts (a tape rewinds, a serial line waits
/// for a carrier). Then on the opened handle (`fstat`), because the path may name something
/// else by then; on Unix the open is non-blocking (`O_NONBLOCK`), so a FIFO swapped in
/// between the two checks cannot block it either, and `O_NOCTTY` keeps a terminal swapped
/// in from becoming the process's controlling terminal. `O_NONBLOCK` changes nothing for the
/// regular file read afterwards (Linux and the BSDs ignore it for regular files), and
/// clearing it would take `fcntl`, an unsafe call this crate forbids. The read goes through
/// `take(limit + 1)`: a file that grew past its `stat` size is still cut off one byte
/// past the limit.
///
/// # Errors
///
/// [`FileError::NotAFile`] for a directory, FIFO, device or socket (before it is opened,
/// or when the opened handle turns out to be one); [`FileError::TooLarge`] for a file of
/// more than `limit` bytes; [`FileError::Io`] when it cannot be inspected, opened or read.
pub fn read_regular(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX);
    let too_large = || FileError::TooLarge { limit };
    let meta = std::fs::metadata(path).map_err(FileError::Io)?;
    if let Some(kind) = FileKind::of(meta.file_type()) {
        return Err(FileError::NotAFile(kind));
    }
    if meta.len() > cap {
        return Err(too_large());
    }
    let file = open_nonblocking(path).map_err(FileError::Io)?;
    let meta = file.metadata().map_err(FileError::Io)?;
    if let Some(kind) = FileKind::of(meta.file_type()) {
        return Err(FileError::NotAFile(kind));
    }
    let expected = usize::try_from(meta.len()).map_or(limit, |n| n.min(limit));
    let mut bytes = Vec::with_capacity(expected.saturating_add(1));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

display_by_as_str!(FileKind);

#[cfg(test)]
mod tests;
