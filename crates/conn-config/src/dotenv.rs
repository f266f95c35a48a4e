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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, push_capped};
use crate::file::{self, FileError};
use crate::origin::Key;

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
            if let Some(name) = Key::VARIABLES
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

/// One entry of a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `KEY=value`, starting at `line`.
    Pair {
        /// The key.
        key: String,
        /// The value, interpolated.
        value: String,
        /// The 1-based line the entry starts on.
        line: u32,
    },
    /// An entry that does not parse, starting at `line`.
    Invalid {
        /// The 1-based line the entry starts on.
        line: u32,
    },
    /// An entry whose value would grow past [`MAX_VALUE`].
    ValueTooLarge {
        /// The 1-based line the entry starts on.
        line: u32,
    },
    /// An entry whose interpolation would take the file past [`MAX_INTERPOLATED`].
    OverBudget {
        /// The 1-based line the entry starts on.
        line: u32,
    },
}

/// The most steps [`parse_with`] may take over `len` bytes: 8 per byte (each pass looks at
/// a byte at most once, and there are fewer than 8 passes), plus twice the interpolation
/// budget (a copied byte is counted when it is copied and when the value is stored).
pub fn step_bound(len: usize) -> u64 {
    8 * len as u64 + 2 * MAX_INTERPOLATED as u64 + 8
}

/// Parses `.env` content. `lookup` answers `${VAR}` before the file's earlier keys do.
#[cfg(test)]
pub(crate) fn parse(content: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<Entry> {
    let mut out = Vec::new();
    parse_with(content, lookup, &mut |e| out.push(e));
    out
}

/// Parses `.env` content, handing each entry to `sink` as it is found; returns the number
/// of steps taken: bytes and characters looked at, plus bytes copied, by every pass (an
/// upper bound of the work, linear in `content.len()` by construction: no pass goes back
/// over a byte an earlier pass has finished with).
pub fn parse_with(
    content: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    sink: &mut dyn FnMut(Entry),
) -> u64 {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut p = Parser {
        lookup,
        env: HashMap::new(),
        earlier: HashMap::new(),
        interpolated: 0,
        steps: 0,
    };
    // The logical line being gathered: its byte offset and its first physical line.
    let mut begin: Option<usize> = None;
    let mut start = 1u32;
    // Its first character that is not white space, once one has been seen.
    let mut first: Option<char> = None;
    let mut state = Scan::Complete;
    let mut physical = 0u32;
    let mut end = 0usize;
    for chunk in content.split_inclusive('\n') {
        let chunk_at = end;
        end += chunk.len();
        physical = physical.saturating_add(1);
        let from = match begin {
            Some(from) => from,
            None => {
                start = physical;
                state = Scan::Complete;
                first = None;
                begin = Some(chunk_at);
                chunk_at
            }
        };
        if first.is_none() {
            // dotenvy asks `buf.trim_start().starts_with('#')` of the whole gathered buffer
            // at each physical line; that answer is its first non-white character, which
            // never changes once seen. Looking for it only in new text keeps a long run of
            // white space before an open quote from being rescanned at every line.
            for c in chunk.chars() {
                p.steps += 1;
                if !c.is_whitespace() {
                    first = Some(c);
                    break;
                }
            }
        }
        if first == Some('#') {
            // A comment line (possibly after white-space-only text): nothing to parse.
            begin = None;
            continue;
        }
        let comment;
        (state, comment) = scan(state, chunk);
        p.steps += chunk.len() as u64;
        if let Some(at) = comment {
            // A `#` after white space, outside quotes: the rest of the line is a comment.
            p.entry(start, &content[from..chunk_at + at], sink);
            begin = None;
        } else if matches!(state, Scan::Complete) {
            let text = &content[from..end];
            let text = text.strip_suffix('\n').unwrap_or(text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            p.entry(start, text, sink);
            begin = None;
        }
    }
    if begin.is_some() {
        sink(Entry::Invalid { line: start });
    }
    p.steps
}

/// What a lookup in the environment found, kept for the rest of the file: a variable
/// named a thousand times is looked up once, and one longer than [`MAX_VALUE`] is not kept.
enum Found {
    Missing,
    Value(String),
    TooLarge,
}

/// Why an entry has no value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fail {
    /// It does not parse.
    Invalid,
    /// Its value would grow past [`MAX_VALUE`].
    ValueTooLarge,
    /// Interpolation would take the file past [`MAX_INTERPOLATED`].
    OverBudget,
}

/// The parser's state across the entries of one file.
struct Parser<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Environment lookups made so far.
    env: HashMap<String, Found>,
    /// The file's keys so far, with their values.
    earlier: HashMap<String, String>,
    /// Bytes copied by interpolation so far.
    interpolated: usize,
    /// Work done so far (see [`parse_with`]).
    steps: u64,
}

impl Parser<'_> {
    /// Parses one logical line starting on physical line `line` and hands its entry, if it
    /// has one, to `sink`.
    fn entry(&mut self, line: u32, text: &str, sink: &mut dyn FnMut(Entry)) {
        // The trims, the key and the `=` each walk part of `text` once.
        self.steps += 2 * text.len() as u64;
        match self.parse_entry(text) {
            Ok(None) => {}
            Ok(Some((key, value))) => {
                self.steps += (key.len() + value.len()) as u64;
                self.earlier.insert(key.clone(), value.clone());
                sink(Entry::Pair { key, value, line });
            }
            Err(Fail::Invalid) => sink(Entry::Invalid { line }),
            Err(Fail::ValueTooLarge) => sink(Entry::ValueTooLarge { line }),
            Err(Fail::OverBudget) => sink(Entry::OverBudget { line }),
        }
    }

    /// Parses one logical line: `[export] KEY = value [# comment]`. `Ok(None)` for blank
    /// and comment lines.
    fn parse_entry(&mut self, text: &str) -> Result<Option<(String, String)>, Fail> {
        let rest = text.trim_end().trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            return Ok(None);
        }
        let (mut key, mut rest) = take_key(rest)?;
        rest = rest.trim_start();
        if key == "export" {
            // `export` is a prefix, unless it is the key itself (`export=1`).
            if let Some(after) = rest.strip_prefix('=') {
                rest = after;
            } else {
                (key, rest) = take_key(rest)?;
                rest = rest.trim_start().strip_prefix('=').ok_or(Fail::Invalid)?;
            }
        } else {
            rest = rest.strip_prefix('=').ok_or(Fail::Invalid)?;
        }
        let rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            return Ok(Some((key.to_owned(), String::new())));
        }
        Ok(Some((key.to_owned(), self.parse_value(rest)?)))
    }

    /// Parses a value: quotes, escapes, interpolation, and a trailing ` # comment`. Past a
    /// limit nothing more is copied, but the rest is still read: a value that is also
    /// malformed is [`Fail::Invalid`], as dotenvy would say.
    fn parse_value(&mut self, input: &str) -> Result<String, Fail> {
        let mut strong = false;
        let mut weak = false;
        let mut escaped = false;
        let mut expecting_end = false;
        let mut mode = Subst::Off;
        let mut name = String::new();
        let mut out = String::new();
        let mut over: Option<Fail> = None;

        for c in input.chars() {
            self.steps += 1;
            if expecting_end {
                match c {
                    ' ' | '\t' => continue,
                    '#' => break,
                    _ => return Err(Fail::Invalid),
                }
            } else if escaped {
                match c {
                    '\\' | '\'' | '"' | '$' | ' ' => push(&mut out, &mut over, c),
                    'n' => push(&mut out, &mut over, '\n'),
                    _ => return Err(Fail::Invalid),
                }
                escaped = false;
            } else if strong {
                if c == '\'' {
                    strong = false;
                } else {
                    push(&mut out, &mut over, c);
                }
            } else if mode != Subst::Off {
                if c.is_alphanumeric() {
                    name.push(c);
                } else if mode == Subst::Bare {
                    if c == '{' && name.is_empty() {
                        mode = Subst::Braced;
                    } else {
                        self.substitute(&name, &mut out, &mut over);
                        name.clear();
                        if c == '$' {
                            mode = Subst::Bare;
                        } else {
                            mode = Subst::Off;
                            push(&mut out, &mut over, c);
                        }
                    }
                } else if c == '}' {
                    mode = Subst::Off;
                    self.substitute(&name, &mut out, &mut over);
                    name.clear();
                } else {
                    name.push(c);
                }
            } else if c == '$' {
                mode = Subst::Bare;
            } else if weak {
                match c {
                    '"' => weak = false,
                    '\\' => escaped = true,
                    _ => push(&mut out, &mut over, c),
                }
            } else {
                match c {
                    '\'' => strong = true,
                    '"' => weak = true,
                    '\\' => escaped = true,
                    ' ' | '\t' => expecting_end = true,
                    _ => push(&mut out, &mut over, c),
                }
            }
        }
        if mode == Subst::Braced || strong || weak {
            return Err(Fail::Invalid);
        }
        self.substitute(&name, &mut out, &mut over);
        match over {
            Some(fail) => Err(fail),
            None => Ok(out),
        }
    }

    /// Appends the value of `$name`: the environment's (through the seam), else the file's
    /// earlier key, else nothing. Nothing is copied once `over` is set, and nothing that
    /// would take `out` past [`MAX_VALUE`] or the file past [`MAX_INTERPOLATED`]: that sets
    /// `over` instead.
    fn substitute(&mut self, name: &str, out: &mut String, over: &mut Option<Fail>) {
        self.steps += name.len() as u64 + 1;
        if over.is_some() {
            return;
        }
        if !self.env.contains_key(name) {
            let found = match (self.lookup)(name) {
                None => Found::Missing,
                Some(v) if v.len() > MAX_VALUE => Found::TooLarge,
                Some(v) => Found::Value(v),
            };
            self.env.insert(name.to_owned(), found);
        }
        let value = match self.env.get(name) {
            Some(Found::TooLarge) => {
                *over = Some(Fail::ValueTooLarge);
                return;
            }
            Some(Found::Value(v)) => v.as_str(),
            Some(Found::Missing) | None => self.earlier.get(name).map_or("", String::as_str),
        };
        if out.len() + value.len() > MAX_VALUE {
            *over = Some(Fail::ValueTooLarge);
        } else if self.interpolated + value.len() > MAX_INTERPOLATED {
            *over = Some(Fail::OverBudget);
        } else {
            self.interpolated += value.len();
            self.steps += value.len() as u64;
            out.push_str(value);
        }
    }
}

/// Appends `c` to a value, unless a limit was hit already or `c` would take it past
/// [`MAX_VALUE`] (which records the limit in `over`).
fn push(out: &mut String, over: &mut Option<Fail>, c: char) {
    if over.is_some() {
        return;
    }
    if out.len() + c.len_utf8() > MAX_VALUE {
        *over = Some(Fail::ValueTooLarge);
    } else {
        out.push(c);
    }
}

/// Where the scanner is at the end of a physical line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    Complete,
    Escape,
    Strong,
    StrongEscape,
    Weak,
    WeakEscape,
    Blank,
}

/// Advances the quote scanner over one physical line. A `#` after whitespace starts a
/// comment, which completes the line: its byte offset in `chunk` is returned.
fn scan(mut state: Scan, chunk: &str) -> (Scan, Option<usize>) {
    for (at, c) in chunk.char_indices() {
        state = match state {
            Scan::Blank => match c {
                '#' => return (Scan::Complete, Some(at)),
                '\\' => Scan::Escape,
                '"' => Scan::Weak,
                '\'' => Scan::Strong,
                _ => Scan::Complete,
            },
            Scan::Escape => Scan::Complete,
            Scan::Complete => match c {
                c if c.is_whitespace() && c != '\n' && c != '\r' => Scan::Blank,
                '\\' => Scan::Escape,
                '"' => Scan::Weak,
                '\'' => Scan::Strong,
                _ => Scan::Complete,
            },
            Scan::Weak => match c {
                '\\' => Scan::WeakEscape,
                '"' => Scan::Complete,
                _ => Scan::Weak,
            },
            Scan::WeakEscape => Scan::Weak,
            Scan::Strong => match c {
                '\\' => Scan::StrongEscape,
                '\'' => Scan::Complete,
                _ => Scan::Strong,
            },
            Scan::StrongEscape => Scan::Strong,
        };
    }
    (state, None)
}

/// A key: a letter or `_`, then letters, digits, `_` or `.`.
fn take_key(s: &str) -> Result<(&str, &str), Fail> {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Err(Fail::Invalid);
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(s.len());
    Ok((&s[..end], &s[end..]))
}

/// Interpolation state inside a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subst {
    /// Not in a reference.
    Off,
    /// After `$`: a name of alphanumeric characters.
    Bare,
    /// After `${`: a name up to `}`.
    Braced,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn pairs(content: &str) -> Vec<Entry> {
        parse(content, &no_env)
    }

    fn pair(key: &str, value: &str, line: u32) -> Entry {
        Entry::Pair {
            key: key.into(),
            value: value.into(),
            line,
        }
    }

    #[test]
    fn dialect_table() {
        let rows: &[(&str, Vec<Entry>)] = &[
            ("K=v", vec![pair("K", "v", 1)]),
            ("K=v # comment", vec![pair("K", "v", 1)]),
            ("K=v#not-a-comment", vec![pair("K", "v#not-a-comment", 1)]),
            ("export K=v", vec![pair("K", "v", 1)]),
            ("export=v", vec![pair("export", "v", 1)]),
            ("  K = v  ", vec![pair("K", "v", 1)]),
            ("K='a b $X'", vec![pair("K", "a b $X", 1)]),
            ("K=\"a\\\"b\\n\\$c\"", vec![pair("K", "a\"b\n$c", 1)]),
            (
                "K=\"line1\nline2\"\nJ=2",
                vec![pair("K", "line1\nline2", 1), pair("J", "2", 3)],
            ),
            ("K=", vec![pair("K", "", 1)]),
            ("K= # nothing", vec![pair("K", "", 1)]),
            ("# c\n\n  # c2\nK=1", vec![pair("K", "1", 4)]),
            ("K=a b", vec![Entry::Invalid { line: 1 }]),
            ("1K=v", vec![Entry::Invalid { line: 1 }]),
            ("K v", vec![Entry::Invalid { line: 1 }]),
            ("K=\"open\nstill open", vec![Entry::Invalid { line: 1 }]),
            ("K=\\q", vec![Entry::Invalid { line: 1 }]),
            (
                "\u{feff}K=v\r\nJ=w\r\n",
                vec![pair("K", "v", 1), pair("J", "w", 2)],
            ),
            (
                "A=x\nB=${A}y\nC=$A.z\nD='${A}'",
                vec![
                    pair("A", "x", 1),
                    pair("B", "xy", 2),
                    pair("C", "x.z", 3),
                    pair("D", "${A}", 4),
                ],
            ),
            ("B=${UNSET}!", vec![pair("B", "!", 1)]),
            ("B=${OPEN", vec![Entry::Invalid { line: 1 }]),
            (
                "B=$ # a comment after an empty reference",
                vec![pair("B", "", 1)],
            ),
        ];
        for (input, expected) in rows {
            assert_eq!(&pairs(input), expected, "{input:?}");
        }
    }

    #[test]
    fn interpolation_asks_the_seam_first_then_earlier_keys() {
        let env = |name: &str| (name == "HOST").then(|| "from-env".to_owned());
        let got = parse("HOST=from-file\nU=http://${HOST}:1\nV=$HOST\n", &env);
        assert_eq!(
            got,
            vec![
                pair("HOST", "from-file", 1),
                pair("U", "http://from-env:1", 2),
                pair("V", "from-env", 3)
            ]
        );
        let got = parse("HOST2=from-file\nU=${HOST2}\n", &env);
        assert_eq!(got[1], pair("U", "from-file", 2));
    }

    /// The same entries as dotenvy's own iterator on inputs without `$` (where dotenvy
    /// would read the process environment): keys, values, and which entries fail.
    fn dotenvy_entries(content: &str) -> Vec<Result<(String, String), ()>> {
        dotenvy::from_read_iter(content.as_bytes())
            .map(|r| r.map_err(|_| ()))
            .collect()
    }

    fn ours(content: &str) -> Vec<Result<(String, String), ()>> {
        parse(content, &no_env)
            .into_iter()
            .map(|e| match e {
                Entry::Pair { key, value, .. } => Ok((key, value)),
                Entry::Invalid { .. } | Entry::ValueTooLarge { .. } | Entry::OverBudget { .. } => {
                    Err(())
                }
            })
            .collect()
    }

    #[test]
    fn same_as_dotenvy_on_the_table() {
        for input in [
            "K=v\nexport J = 'x y' # c\n#c\nL=\"a\nb\"\nbad line\nM=\\ \n",
            "A=1\r\nB=\"q\\\"\"\r\n",
            "K=\"never closed\n",
            "  \n\t\nK=v",
            "export export=1",
            "B=x\\ # c",
            // `$` with an empty name: dotenvy's lookup of "" never finds anything.
            "B=$ # c\nC=$\n",
        ] {
            assert_eq!(ours(input), dotenvy_entries(input), "{input:?}");
        }
    }

    /// The steps `parse_with` takes over `content`, with no environment.
    fn steps(content: &str) -> u64 {
        parse_with(content, &no_env, &mut |_| {})
    }

    /// Shapes that cost more than linear time in naive parsers (and in this one before: a
    /// long run of white space before an open quote was rescanned at every later line),
    /// each built at a size of about `n` bytes.
    #[allow(clippy::type_complexity)]
    const SHAPES: &[(&str, fn(usize) -> String)] = &[
        ("spaces, an open quote, newlines", |n| {
            format!("{}\"{}", " ".repeat(n), "\n".repeat(n / 50))
        }),
        ("spaces, a key, an open quote, newlines", |n| {
            format!("{}K=\"{}", " ".repeat(n), "x\n".repeat(n / 50))
        }),
        ("one long line", |n| format!("K={}", "v".repeat(n))),
        ("one long line of blanks", |n| {
            format!("K=v{}", " ".repeat(n))
        }),
        ("many lines", |n| "K=v\n".repeat(n / 4)),
        ("many blank lines", |n| " \n".repeat(n / 2)),
        ("many comment lines", |n| "  # c\n".repeat(n / 6)),
        ("many bad lines", |n| "bad\n".repeat(n / 4)),
        ("nested quotes over lines", |n| {
            format!("K=\"{}", "'\\\"'\n".repeat(n / 5))
        }),
        ("alternating quotes", |n| {
            format!("K={}", "'\"'\"".repeat(n / 4))
        }),
        ("escapes", |n| format!("K={}", "\\ ".repeat(n / 2))),
        ("$ runs", |n| format!("K={}", "$".repeat(n))),
        ("$ runs in quotes", |n| format!("K=\"{}\"", "$".repeat(n))),
        ("an unclosed ${", |n| format!("K=${{{}", "a".repeat(n))),
        ("many ${} references", |n| {
            format!("K={}", "${A}".repeat(n / 4))
        }),
        ("references to a long value", |n| {
            format!("A={}\n{}", "v".repeat(4096), "B=$A$A\n".repeat(n / 7))
        }),
        ("a value doubling itself", |n| {
            format!("A=x\n{}", "A=$A$A\n".repeat(n / 7))
        }),
    ];

    /// Doubling the input doubles the work, give or take: linear time on every shape.
    #[test]
    fn work_is_linear_in_the_input() {
        for (shape, make) in SHAPES {
            let (small, large) = (make(64 << 10), make(128 << 10));
            let (a, b) = (steps(&small), steps(&large));
            assert!(b > a, "{shape}: {a} steps, then {b} for twice the input");
            let ratio = b as f64 / a as f64;
            assert!(
                ratio <= 2.25,
                "{shape}: {a} steps for {} bytes, {b} for {} bytes (x{ratio:.2})",
                small.len(),
                large.len()
            );
            // And a small multiple of the size (interpolation copies count as steps too, up
            // to the budget of 1 MiB).
            let bound = step_bound(large.len());
            assert!(b <= bound, "{shape}: {b} steps for {} bytes", large.len());
        }
    }

    /// The file: 1 MiB of spaces, an open quote and 20,000 newlines (19 s before).
    #[test]
    fn a_megabyte_of_spaces_before_an_open_quote_parses_in_linear_steps() {
        let content = format!("{}\"{}", " ".repeat(MAX_FILE - 20_001), "\n".repeat(20_000));
        let mut entries = Vec::new();
        let n = parse_with(&content, &no_env, &mut |e| entries.push(e));
        assert_eq!(entries, vec![Entry::Invalid { line: 1 }]);
        assert!(n <= 4 * content.len() as u64, "{n} steps");
    }

    #[test]
    fn a_value_doubling_itself_stops_at_the_value_limit_with_its_line() {
        // Line k holds 2^(k-1) bytes: line 17 has 65536 (the limit), line 18 would have
        // twice that; A keeps its line-17 value, so every later line is too large as well,
        // until the first `$A` of each such line (copied before the second one overflows)
        // has spent the file's interpolation budget: from then on, over budget.
        let content = format!("A=x\n{}", "A=$A$A\n".repeat(40));
        let entries = pairs(&content);
        assert_eq!(entries.len(), 41);
        let spent: usize = (1..=16).map(|k| 1 << k).sum();
        let failing_copies = (MAX_INTERPOLATED - spent) / MAX_VALUE;
        assert_eq!(failing_copies, 14);
        for (i, e) in entries.iter().enumerate() {
            let line = i as u32 + 1;
            let expected = match line {
                ..=17 => pair("A", &"x".repeat(1 << i), line),
                18..=31 => Entry::ValueTooLarge { line },
                _ => Entry::OverBudget { line },
            };
            assert_eq!(e, &expected, "line {line}");
        }
    }

    #[test]
    fn interpolation_stops_at_the_file_budget() {
        // 60 KiB copied per line: the 18th copy would pass 1 MiB.
        let big = "v".repeat(60 << 10);
        let content = format!("A={big}\n{}", "B=$A\n".repeat(20));
        let entries = pairs(&content);
        let copies = MAX_INTERPOLATED / big.len();
        assert_eq!(copies, 17);
        for (i, e) in entries.iter().enumerate().skip(1) {
            let line = i as u32 + 1;
            if i <= copies {
                assert_eq!(e, &pair("B", &big, line), "line {line}");
            } else {
                assert_eq!(e, &Entry::OverBudget { line }, "line {line}");
            }
        }
        // Values that copy nothing still parse after the budget is spent.
        let content = format!("A={big}\n{}C=$UNSET.ok\nD=plain", "B=$A\n".repeat(20));
        let entries = pairs(&content);
        assert_eq!(entries[21], pair("C", ".ok", 22));
        assert_eq!(entries[22], pair("D", "plain", 23));
    }

    #[test]
    fn value_limit_cases() {
        let at_limit = "v".repeat(MAX_VALUE);
        let env = |name: &str| match name {
            "HUGE" => Some("h".repeat(MAX_VALUE + 1)),
            "HALF" => Some("h".repeat(MAX_VALUE / 2)),
            _ => None,
        };
        let rows: Vec<(String, Entry)> = vec![
            // A literal value at the limit is fine; one byte more is not.
            (format!("K={at_limit}"), pair("K", &at_limit, 1)),
            (format!("K={at_limit}x"), Entry::ValueTooLarge { line: 1 }),
            (
                format!("K=\"{at_limit}x\""),
                Entry::ValueTooLarge { line: 1 },
            ),
            // An environment variable past the limit, at once.
            ("K=$HUGE".to_owned(), Entry::ValueTooLarge { line: 1 }),
            (
                "K=${HALF}${HALF}".to_owned(),
                pair("K", &"h".repeat(MAX_VALUE), 1),
            ),
            (
                "K=${HALF}${HALF}x".to_owned(),
                Entry::ValueTooLarge { line: 1 },
            ),
            // Too large and malformed: malformed, as dotenvy would say.
            ("K=${HUGE} bad".to_owned(), Entry::Invalid { line: 1 }),
            // (After a bare `$NAME`, dotenvy keeps a space as text.)
            ("K=$HUGE bad".to_owned(), Entry::ValueTooLarge { line: 1 }),
            ("K=\"$HUGE".to_owned(), Entry::Invalid { line: 1 }),
            ("K=${HUGE".to_owned(), Entry::Invalid { line: 1 }),
        ];
        for (input, expected) in rows {
            let got = parse(&input, &env);
            assert_eq!(got, vec![expected], "{}", &input[..input.len().min(40)]);
        }
    }

    #[test]
    fn the_environment_is_asked_once_per_name() {
        let calls = std::cell::Cell::new(0);
        let env = |name: &str| {
            calls.set(calls.get() + 1);
            (name == "X").then(|| "x".to_owned())
        };
        let got = parse(&format!("K={}\nJ=$Y$Y\n", "$X".repeat(1000)), &env);
        assert_eq!(got[0], pair("K", &"x".repeat(1000), 1));
        assert_eq!(calls.get(), 2, "one lookup for X, one for Y");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn same_as_dotenvy_without_interpolation(
            content in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[A-Za-z_][A-Za-z0-9_.]{0,3}").expect("regex"),
                    proptest::sample::select(vec![
                        "=", " ", "\t", "\n", "\r\n", "'", "\"", "\\", "#", "export ", "x", "é",
                        "\\n", "\\\"", "1",
                    ]).prop_map(str::to_owned),
                ],
                0..24,
            ).prop_map(|parts| parts.concat())
        ) {
            proptest::prop_assert_eq!(ours(&content), dotenvy_entries(&content), "{:?}", content);
        }
    }

    use proptest::strategy::Strategy as _;
}
