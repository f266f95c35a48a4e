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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::vars::VARS;

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

/// Finds `.env` in `start` or its nearest ancestor that has one, as dotenvy does.
pub(crate) fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

/// Reads and parses a `.env` file. Every malformed entry is reported; what parsed is kept.
pub(crate) fn read(
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Error>,
) -> Option<DotEnvFile> {
    let content = match std::fs::read_to_string(path) {
        Ok(c) => c,
        Err(source) => {
            errors.push(Error::DotEnvRead {
                path: path.to_path_buf(),
                source,
            });
            return None;
        }
    };
    let mut file = DotEnvFile {
        path: path.to_path_buf(),
        vars: BTreeMap::new(),
    };
    for entry in parse(&content, lookup) {
        match entry {
            Entry::Pair { key, value, line } => {
                if let Some(&name) = VARS.iter().find(|v| **v == key) {
                    file.vars.insert(name, DotEnvValue { value, line });
                }
            }
            Entry::Invalid { line } => errors.push(Error::DotEnvParse {
                path: path.to_path_buf(),
                line,
            }),
        }
    }
    Some(file)
}

/// One entry of a `.env` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// `KEY=value`, starting at `line`.
    Pair {
        key: String,
        value: String,
        line: u32,
    },
    /// An entry that does not parse, starting at `line`.
    Invalid { line: u32 },
}

/// Parses `.env` content. `lookup` answers `${VAR}` before the file's earlier keys do.
pub(crate) fn parse(content: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Vec<Entry> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut earlier: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for logical in logical_lines(content) {
        let line = logical.line;
        let Some(text) = logical.text else {
            out.push(Entry::Invalid { line });
            continue;
        };
        let subst = |name: &str| {
            lookup(name)
                .or_else(|| earlier.get(name).cloned())
                .unwrap_or_default()
        };
        match parse_entry(&text, &subst) {
            Ok(None) => {}
            Ok(Some((key, value))) => {
                earlier.insert(key.clone(), value.clone());
                out.push(Entry::Pair { key, value, line });
            }
            Err(()) => out.push(Entry::Invalid { line }),
        }
    }
    out
}

/// A logical line: one entry, possibly spanning physical lines inside quotes.
struct LogicalLine {
    /// 1-based physical line where it starts.
    line: u32,
    /// Its text without the final line break; `None` when the file ends inside quotes.
    text: Option<String>,
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

/// Splits content into logical lines: a line ends where it is not inside quotes or right
/// after a backslash.
fn logical_lines(content: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut start = 1u32;
    let mut state = Scan::Complete;
    let mut physical = 0u32;
    for chunk in content.split_inclusive('\n') {
        physical = physical.saturating_add(1);
        if buf.is_empty() {
            start = physical;
            state = Scan::Complete;
        }
        let chunk_at = buf.len();
        buf.push_str(chunk);
        if buf.trim_start().starts_with('#') {
            // A comment line (possibly after whitespace-only lines): nothing to parse.
            buf.clear();
            continue;
        }
        let comment;
        (state, comment) = scan(state, chunk);
        if let Some(at) = comment {
            // A `#` after whitespace, outside quotes: the rest of the line is a comment.
            buf.truncate(chunk_at + at);
            out.push(LogicalLine {
                line: start,
                text: Some(std::mem::take(&mut buf)),
            });
        } else if matches!(state, Scan::Complete) {
            let text = buf.strip_suffix('\n').unwrap_or(&buf);
            let text = text.strip_suffix('\r').unwrap_or(text);
            out.push(LogicalLine {
                line: start,
                text: Some(text.to_owned()),
            });
            buf.clear();
        }
    }
    if !buf.is_empty() {
        out.push(LogicalLine {
            line: start,
            text: None,
        });
    }
    out
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

/// Parses one logical line: `[export] KEY = value [# comment]`. `Ok(None)` for blank and
/// comment lines.
fn parse_entry(text: &str, subst: &dyn Fn(&str) -> String) -> Result<Option<(String, String)>, ()> {
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
            rest = rest.trim_start().strip_prefix('=').ok_or(())?;
        }
    } else {
        rest = rest.strip_prefix('=').ok_or(())?;
    }
    let rest = rest.trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        return Ok(Some((key.to_owned(), String::new())));
    }
    Ok(Some((key.to_owned(), parse_value(rest, subst)?)))
}

/// A key: a letter or `_`, then letters, digits, `_` or `.`.
fn take_key(s: &str) -> Result<(&str, &str), ()> {
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return Err(());
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

/// Parses a value: quotes, escapes, interpolation, and a trailing ` # comment`.
fn parse_value(input: &str, subst: &dyn Fn(&str) -> String) -> Result<String, ()> {
    let mut strong = false;
    let mut weak = false;
    let mut escaped = false;
    let mut expecting_end = false;
    let mut mode = Subst::Off;
    let mut name = String::new();
    let mut out = String::new();

    for c in input.chars() {
        if expecting_end {
            match c {
                ' ' | '\t' => continue,
                '#' => break,
                _ => return Err(()),
            }
        } else if escaped {
            match c {
                '\\' | '\'' | '"' | '$' | ' ' => out.push(c),
                'n' => out.push('\n'),
                _ => return Err(()),
            }
            escaped = false;
        } else if strong {
            if c == '\'' {
                strong = false;
            } else {
                out.push(c);
            }
        } else if mode != Subst::Off {
            if c.is_alphanumeric() {
                name.push(c);
            } else if mode == Subst::Bare {
                if c == '{' && name.is_empty() {
                    mode = Subst::Braced;
                } else {
                    out.push_str(&subst(&std::mem::take(&mut name)));
                    if c == '$' {
                        mode = Subst::Bare;
                    } else {
                        mode = Subst::Off;
                        out.push(c);
                    }
                }
            } else if c == '}' {
                mode = Subst::Off;
                out.push_str(&subst(&std::mem::take(&mut name)));
            } else {
                name.push(c);
            }
        } else if c == '$' {
            mode = Subst::Bare;
        } else if weak {
            match c {
                '"' => weak = false,
                '\\' => escaped = true,
                _ => out.push(c),
            }
        } else {
            match c {
                '\'' => strong = true,
                '"' => weak = true,
                '\\' => escaped = true,
                ' ' | '\t' => expecting_end = true,
                _ => out.push(c),
            }
        }
    }
    if mode == Subst::Braced || strong || weak {
        return Err(());
    }
    out.push_str(&subst(&name));
    Ok(out)
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
                Entry::Invalid { .. } => Err(()),
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
