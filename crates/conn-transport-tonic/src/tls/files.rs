//! Reading the spec's TLS files: only regular files, at most [`MAX_TLS_FILE_SIZE`]
//! bytes, without blocking on a FIFO; and [`FileKind`], what a file is instead.
//!
//! All of the transport's file reading is here, so that moving to another file-type
//! helper (for example conn-config's) changes this file only.

use std::fmt;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use conn_config::TlsSpec;

use super::MAX_TLS_FILE_SIZE;
use crate::error::{Error, TlsFileField};

/// What a file that should be a regular file is instead (see [`Error::FileNotRegular`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A character device, such as `/dev/zero` or a terminal.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A Unix domain socket.
    Socket,
    /// Anything else that is not a regular file.
    Other,
}

impl FileKind {
    /// The kind of a file of type `t`; `None` for a regular file.
    pub(crate) fn of(t: std::fs::FileType) -> Option<FileKind> {
        if t.is_file() {
            return None;
        }
        if t.is_dir() {
            return Some(FileKind::Directory);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if t.is_fifo() {
                return Some(FileKind::Fifo);
            }
            if t.is_char_device() {
                return Some(FileKind::CharDevice);
            }
            if t.is_block_device() {
                return Some(FileKind::BlockDevice);
            }
            if t.is_socket() {
                return Some(FileKind::Socket);
            }
        }
        Some(FileKind::Other)
    }

    /// A short snake_case name: `directory`, `fifo`, `char_device`, `block_device`,
    /// `socket`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Directory => "directory",
            FileKind::Fifo => "fifo",
            FileKind::CharDevice => "char_device",
            FileKind::BlockDevice => "block_device",
            FileKind::Socket => "socket",
            FileKind::Other => "other",
        }
    }
}

/// In words, with an article: `a directory`, `a fifo (named pipe)`, …
impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a fifo (named pipe)",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Socket => "a socket",
            FileKind::Other => "a special file",
        })
    }
}

/// The field that named the `index`-th CA file of the spec.
fn ca_field(tls: &TlsSpec, index: usize) -> TlsFileField {
    if index == 0 && tls.server_pem_path().is_some() {
        TlsFileField::ServerPemPath
    } else {
        TlsFileField::CaPemPath
    }
}

/// A file the spec names: the setting and the path.
#[derive(Clone, Debug)]
pub(super) struct TlsFile {
    pub(super) field: TlsFileField,
    pub(super) path: PathBuf,
}

/// The files of a spec, in the order they are read: the CA files, then the client
/// certificate and its key.
pub(super) fn files(tls: &TlsSpec) -> Vec<TlsFile> {
    let mut files: Vec<TlsFile> = (tls.ca_files().iter().enumerate())
        .map(|(i, path)| TlsFile {
            field: ca_field(tls, i),
            path: path.clone(),
        })
        .collect();
    if let Some(id) = tls.client_identity() {
        files.push(TlsFile {
            field: TlsFileField::ClientPemPath,
            path: id.cert_path().to_owned(),
        });
        files.push(TlsFile {
            field: TlsFileField::ClientKeyPath,
            path: id.key_path().to_owned(),
        });
    }
    files
}

/// The contents of each file, in order, or the first file's error.
pub(super) type Contents = Result<Vec<Vec<u8>>, Error>;

/// Reads one TLS file: only a regular file, at most [`MAX_TLS_FILE_SIZE`] bytes.
///
/// The type is checked twice. First by path (`stat`), so that a directory, a device or a
/// FIFO is refused without being opened at all (opening a device can have effects of its
/// own). Then on the opened handle (`fstat`), which is what decides: the path may have been
/// replaced between the two. On Unix the file is opened with `O_NONBLOCK`, so that if a FIFO
/// was swapped in, the open returns at once instead of waiting for a writer (a blocking open
/// of a FIFO waits forever); the `fstat` then refuses it. `O_NONBLOCK` has no effect on the
/// reads of a regular file, and `O_NOCTTY` keeps a terminal swapped in from becoming the
/// process's controlling terminal. The read goes through `take(limit + 1)`, so a file that
/// grows after the check still costs at most one byte over the limit.
fn read_file(file: &TlsFile) -> Result<Vec<u8>, Error> {
    let unreadable = |source| Error::FileUnreadable {
        field: file.field,
        path: file.path.clone(),
        source,
    };
    let check = |meta: &std::fs::Metadata| match FileKind::of(meta.file_type()) {
        Some(kind) => Err(Error::FileNotRegular {
            field: file.field,
            path: file.path.clone(),
            kind,
        }),
        None if meta.len() > MAX_TLS_FILE_SIZE => Err(too_large(file)),
        None => Ok(meta.len()),
    };
    check(&std::fs::metadata(&file.path).map_err(unreadable)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let handle = options.open(&file.path).map_err(unreadable)?;
    let len = check(&handle.metadata().map_err(unreadable)?)?;
    // `len` is at most the limit, so the capacity is bounded too.
    let mut contents = Vec::with_capacity(usize::try_from(len).map_or(0, |n| n + 1));
    handle
        .take(MAX_TLS_FILE_SIZE + 1)
        .read_to_end(&mut contents)
        .map_err(unreadable)?;
    if contents.len() as u64 > MAX_TLS_FILE_SIZE {
        return Err(too_large(file));
    }
    Ok(contents)
}

fn too_large(file: &TlsFile) -> Error {
    Error::FileTooLarge {
        field: file.field,
        path: file.path.clone(),
        limit: MAX_TLS_FILE_SIZE,
    }
}

/// Reads `files` in order, noting in `at` the index of the file being read.
pub(super) fn read_files(files: &[TlsFile], at: &AtomicUsize) -> Contents {
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            at.store(i, Ordering::Relaxed);
            read_file(file)
        })
        .collect()
}

/// The reader: [`read_files`], or a stand-in in the tests.
pub(super) type Reader = fn(&[TlsFile], &AtomicUsize) -> Contents;
