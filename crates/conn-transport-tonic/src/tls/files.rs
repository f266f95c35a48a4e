//! Reading the spec's TLS files: only regular files, at most [`MAX_TLS_FILE_SIZE`]
//! bytes, without blocking on a FIFO. The reading itself is conn-config's bounded reader
//! ([`conn_config::file::read_regular`], which `.env` files go through too); this file names
//! the files of a spec and turns the reader's errors into the transport's.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use conn_config::TlsSpec;
use conn_config::file::{FileError, read_regular};

use super::MAX_TLS_FILE_SIZE;
use crate::error::{Error, TlsFileField};

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

/// Reads one TLS file with [`read_regular`]: only a regular file (its type checked by path
/// before it is opened, and again on the handle opened without blocking), at most
/// [`MAX_TLS_FILE_SIZE`] bytes (at most one byte more is read).
fn read_file(file: &TlsFile) -> Result<Vec<u8>, Error> {
    let limit = usize::try_from(MAX_TLS_FILE_SIZE).unwrap_or(usize::MAX);
    read_regular(&file.path, limit).map_err(|e| {
        let (field, path) = (file.field, file.path.clone());
        match e {
            FileError::NotAFile(kind) => Error::FileNotRegular { field, path, kind },
            FileError::TooLarge { .. } => Error::FileTooLarge {
                field,
                path,
                limit: MAX_TLS_FILE_SIZE,
            },
            FileError::Io(source) => Error::FileUnreadable {
                field,
                path,
                source,
            },
            // `FileError` is `#[non_exhaustive]`: a new reason is still a file that could
            // not be read.
            other => Error::FileUnreadable {
                field,
                path,
                source: std::io::Error::other(other),
            },
        }
    })
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
