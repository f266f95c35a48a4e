//! The `.env` parser: dotenvy's dialect, linear in the input, with line numbers.

use std::collections::HashMap;

use super::{MAX_INTERPOLATED, MAX_VALUE};

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
    /// An entry whose interpolation would go past the file's budget (1 MiB).
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
    let mut p = Parser {
        lookup,
        env: HashMap::new(),
        earlier: HashMap::new(),
        interpolated: 0,
        steps: 0,
    };
    let mut lines = logical_lines(content);
    for line in &mut lines {
        match line.kind {
            LineKind::Comment => {}
            LineKind::Entry(text) => p.entry(line.first, text, sink),
            LineKind::Unterminated => sink(Entry::Invalid { line: line.first }),
        }
    }
    p.steps + lines.steps
}

/// A logical line of `.env` content, as dotenvy 0.15 gathers them (its `QuotedLines`):
/// one physical line, or several while a quote is open or after a line that ends in an
/// escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine<'a> {
    /// The 1-based physical line it starts on.
    pub first: u32,
    /// The 1-based physical line it ends on.
    pub last: u32,
    /// Its text, line breaks and comments included.
    pub text: &'a str,
    /// What it holds.
    pub kind: LineKind<'a>,
}

/// What a [`LogicalLine`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind<'a> {
    /// A comment (its first character that is not white space is `#`).
    Comment,
    /// An entry to parse (possibly blank): the text without a trailing comment (a `#`
    /// after white space, outside quotes) or line break.
    Entry(&'a str),
    /// The content ended inside quotes or after an escape.
    Unterminated,
}

/// The logical lines of `content` (after a leading UTF-8 byte order mark, which dotenvy's
/// loaders skip too).
pub fn logical_lines(content: &str) -> LogicalLines<'_> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    LogicalLines {
        content,
        chunks: content.split_inclusive('\n'),
        physical: 0,
        end: 0,
        steps: 0,
    }
}

/// The iterator of [`logical_lines`].
#[derive(Debug)]
pub struct LogicalLines<'a> {
    content: &'a str,
    chunks: std::str::SplitInclusive<'a, char>,
    /// The physical lines read so far.
    physical: u32,
    /// The byte offset after them.
    end: usize,
    /// Characters looked at so far (see [`parse_with`]).
    steps: u64,
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = LogicalLine<'a>;

    fn next(&mut self) -> Option<LogicalLine<'a>> {
        // The logical line being gathered: its byte offset and first physical line.
        let mut begin: Option<(usize, u32)> = None;
        // Its first character that is not white space, once one has been seen.
        let mut first: Option<char> = None;
        let mut state = Scan::Complete;
        loop {
            let Some(chunk) = self.chunks.next() else {
                return begin.map(|(from, start)| LogicalLine {
                    first: start,
                    last: self.physical,
                    text: &self.content[from..self.end],
                    kind: LineKind::Unterminated,
                });
            };
            let chunk_at = self.end;
            self.end += chunk.len();
            self.physical = self.physical.saturating_add(1);
            let (from, start) = *begin.get_or_insert((chunk_at, self.physical));
            let line = |kind, last, text| LogicalLine {
                first: start,
                last,
                text,
                kind,
            };
            let text = &self.content[from..self.end];
            if first.is_none() {
                // dotenvy asks `buf.trim_start().starts_with('#')` of the whole gathered
                // buffer at each physical line; that answer is its first non-white
                // character, which never changes once seen. Looking for it only in new
                // text keeps a long run of white space before an open quote from being
                // rescanned at every line.
                for c in chunk.chars() {
                    self.steps += 1;
                    if !c.is_whitespace() {
                        first = Some(c);
                        break;
                    }
                }
            }
            if first == Some('#') {
                // A comment line (possibly after white-space-only text): nothing to parse.
                return Some(line(LineKind::Comment, self.physical, text));
            }
            let comment;
            (state, comment) = scan(state, chunk);
            self.steps += chunk.len() as u64;
            if let Some(at) = comment {
                // A `#` after white space, outside quotes: the rest of the line is a comment.
                let entry = &self.content[from..chunk_at + at];
                return Some(line(LineKind::Entry(entry), self.physical, text));
            }
            if matches!(state, Scan::Complete) {
                let entry = text.strip_suffix('\n').unwrap_or(text);
                let entry = entry.strip_suffix('\r').unwrap_or(entry);
                return Some(line(LineKind::Entry(entry), self.physical, text));
            }
        }
    }
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
    /// Interpolation would take the file past the interpolation budget (1 MiB a file).
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
