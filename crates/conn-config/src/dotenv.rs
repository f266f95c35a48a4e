//! Reading a `.env` file into a map of the `MILVUS_*` variables, with line numbers.
//!
//! The dialect is dotenvy's (0.15): `export`, `#` comments, single quotes literal, double
//! quotes with `\\ \' \" \$ \n` escapes, values spanning lines inside quotes, and `$VAR` /
//! `${VAR}` interpolation in unquoted and double-quoted values. The parser is ours for one
//! reason: dotenvy resolves `${VAR}` with `std::env::var`, reading the process environment
//! behind the [`Environment`](crate::Environment) seam; here interpolation asks the seam
//! (then earlier keys of the file, as dotenvy does). A differential test
//! (`same_as_dotenvy_without_interpolation`) checks that both parsers agree on every input
//! without `$`, so the dialect cannot drift. Exact line numbers come for free.
//!
//! Hostile files are bounded (docs/resolution.md, "Limits"): only a regular file is read,
//! at most [`MAX_FILE`] bytes; parsing is linear in the file's size (each byte is looked at
//! a bounded number of times; the `steps` counter measures it and the tests double inputs
//! against it); a value never grows past [`MAX_VALUE`] bytes and interpolation copies at
//! most [`MAX_INTERPOLATED`] bytes per file, so memory stays a small multiple of the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, push_capped};
use crate::file::{self, FileError};
use crate::origin::Key;

mod parse;
#[cfg(test)]
use parse::parse;
pub use parse::{
    Entry, LineKind, LogicalLine, LogicalLines, logical_lines, parse_with, step_bound,
};

/// The largest `.env` file read: 1 MiB.
pub(crate) const MAX_FILE: usize = 1 << 20;

/// The longest value, interpolation included: 64 KiB.
pub const MAX_VALUE: usize = 64 << 10;

/// The most bytes `$VAR` / `${VAR}` interpolation copies in one file: 1 MiB. Without it, a
/// 1 MiB file of `A=$A` lines, each copying a value just under [`MAX_VALUE`], would copy
/// about 16 lines × 64 KiB per KiB of file: gigabytes of work and of map entries. With it,
/// the values of one file hold at most `MAX_FILE + MAX_INTERPOLATED` bytes.
pub(crate) const MAX_INTERPOLATED: usize = 1 << 20;

/// A variable read from a `.env` file.
#[derive(Debug, Clone)]
pub(crate) struct DotEnvValue {
    pub(crate) value: String,
    /// 1-based line where the (last) assignment starts.
    pub(crate) line: u32,
}

/// The `MILVUS_*` variables of one `.env` file.
#[derive(Debug, Clone, Default)]
pub(crate) struct DotEnvFile {
    pub(crate) path: PathBuf,
    pub(crate) vars: BTreeMap<&'static str, DotEnvValue>,
}

/// Finds `.env` in `start` or its nearest ancestor that has one, as dotenvy does: only a
/// regular file (or a link to one) counts; a FIFO, a device or a directory named `.env` is
/// passed over.
pub(crate) fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

/// Reads and parses a `.env` file. Every malformed entry is reported (up to the problem cap
/// of [`Errors`](crate::Errors): past it they are only counted in `omitted`, never built);
/// what parsed is kept.
pub(crate) fn read(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Error>,
    omitted: &mut usize,
) -> Option<DotEnvFile> {
    let content = match load(path) {
        Ok(c) => c,
        Err(e) => {
            push_capped(errors, omitted, || e);
            return None;
        }
    };
    let mut file = DotEnvFile {
        path: path.to_path_buf(),
        vars: BTreeMap::new(),
    };
    parse_with(&content, lookup, &mut |entry| match entry {
        Entry::Pair { key, value, line } => {
            if let Some(name) = Key::variables()
                .map(Key::as_str)
                .into_iter()
                .find(|v| *v == key)
            {
                file.vars.insert(name, DotEnvValue { value, line });
            }
        }
        Entry::Invalid { line } => push_capped(errors, omitted, || Error::DotEnvParse {
            path: path.to_path_buf(),
            line,
        }),
        Entry::ValueTooLarge { line } => {
            push_capped(errors, omitted, || Error::DotEnvValueTooLarge {
                path: path.to_path_buf(),
                line,
                limit: MAX_VALUE,
            });
        }
        Entry::OverBudget { line } => {
            push_capped(errors, omitted, || Error::DotEnvInterpolationBudget {
                path: path.to_path_buf(),
                line,
                limit: MAX_INTERPOLATED,
            });
        }
    });
    Some(file)
}

/// The content of the regular file at `path`, at most [`MAX_FILE`] bytes of UTF-8, read
/// with [`file::read_regular`].
fn load(path: &Path) -> Result<String, Error> {
    let io_error = |source| Error::DotEnvRead {
        path: path.to_path_buf(),
        source,
    };
    let bytes = file::read_regular(path, MAX_FILE).map_err(|e| match e {
        FileError::NotAFile(kind) => Error::DotEnvNotAFile {
            path: path.to_path_buf(),
            kind,
        },
        FileError::TooLarge { limit } => Error::DotEnvTooLarge {
            path: path.to_path_buf(),
            limit,
        },
        FileError::Io(source) => io_error(source),
    })?;
    // The same error as `std::fs::read_to_string`'s, which read the file before limits.
    String::from_utf8(bytes).map_err(|_| {
        io_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests;
