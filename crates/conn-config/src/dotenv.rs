//! Reading a `.env` file into a map of the `MILVUS_*` variables, with line numbers.
//!
//! The file is read once, parsed with dotenvy's iterator (its dialect: `export`, quotes,
//! comments, `${VAR}` interpolation) and never exported to the process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::vars::VARS;

/// A variable read from a `.env` file.
#[derive(Debug, Clone)]
pub(crate) struct DotEnvValue {
    pub(crate) value: String,
    /// 1-based line of the (last) assignment.
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

/// Reads and parses a `.env` file. Parse errors are collected (every bad line is reported)
/// and returned beside whatever parsed.
pub(crate) fn read(path: &Path, errors: &mut Vec<Error>) -> Option<DotEnvFile> {
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
    Some(parse(path, &content, errors))
}

/// Parses `.env` content already read from `path`.
pub(crate) fn parse(path: &Path, content: &str, errors: &mut Vec<Error>) -> DotEnvFile {
    let mut file = DotEnvFile {
        path: path.to_path_buf(),
        vars: BTreeMap::new(),
    };
    let mut search_from = 0usize;
    for item in dotenvy::from_read_iter(content.as_bytes()) {
        match item {
            Ok((key, value)) => {
                if let Some(&name) = VARS.iter().find(|v| **v == key) {
                    let line = assignment_line(content, name);
                    file.vars.insert(name, DotEnvValue { value, line });
                }
            }
            Err(dotenvy::Error::LineParse(text, index)) => {
                let line = error_line(content, &text, index, &mut search_from);
                errors.push(Error::DotEnvParse {
                    path: path.to_path_buf(),
                    line,
                });
            }
            Err(dotenvy::Error::Io(source)) => {
                errors.push(Error::DotEnvRead {
                    path: path.to_path_buf(),
                    source,
                });
                break;
            }
            Err(_) => {
                // dotenvy's other error (a missing substitution variable) is not produced
                // by the iterator; treat it as a parse error of an unknown line.
                errors.push(Error::DotEnvParse {
                    path: path.to_path_buf(),
                    line: 0,
                });
            }
        }
    }
    file
}

/// The line where the last assignment of `key` starts (`KEY=`, `export KEY =`, …).
fn assignment_line(content: &str, key: &str) -> u32 {
    let mut found = 0;
    for (i, line) in content.lines().enumerate() {
        let l = line.trim_start();
        let l = l
            .strip_prefix("export")
            .filter(|rest| rest.starts_with([' ', '\t']))
            .map_or(l, str::trim_start);
        if let Some(rest) = l.strip_prefix(key)
            && rest.trim_start().starts_with('=')
        {
            found = i + 1;
        }
    }
    u32::try_from(found).unwrap_or(u32::MAX)
}

/// The line of a parse error: where the logical line `text` starts in `content` (searching
/// forward from the previous error), plus the lines before the error's index within it.
fn error_line(content: &str, text: &str, index: usize, search_from: &mut usize) -> u32 {
    let start = content
        .get(*search_from..)
        .and_then(|rest| rest.find(text))
        .map(|i| i + *search_from);
    let Some(start) = start else {
        return 0;
    };
    *search_from = start + text.len().max(1);
    let before = content[..start].matches('\n').count();
    let body = text.trim_end_matches(['\n', '\r']);
    let within = body
        .get(..index.min(body.len()))
        .map_or(0, |t| t.matches('\n').count());
    u32::try_from(before + within + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(content: &str) -> (DotEnvFile, Vec<Error>) {
        let mut errors = Vec::new();
        let file = parse(Path::new("/p/.env"), content, &mut errors);
        (file, errors)
    }

    #[test]
    fn keeps_only_milvus_variables_with_their_lines() {
        let (file, errors) = parse_str(
            "# comment\nOTHER=1\nexport MILVUS_URI=\"http://h:1\"\n\nMILVUS_CONN_TIMEOUT = 7\nMILVUS_URI=http://h:2 # again\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.vars.len(), 2);
        assert_eq!(file.vars["MILVUS_URI"].value, "http://h:2");
        assert_eq!(file.vars["MILVUS_URI"].line, 6);
        assert_eq!(file.vars["MILVUS_CONN_TIMEOUT"].value, "7");
        assert_eq!(file.vars["MILVUS_CONN_TIMEOUT"].line, 5);
    }

    #[test]
    fn single_quotes_are_literal_and_double_quotes_interpolate_earlier_keys() {
        let (file, errors) = parse_str(
            "HOSTX=from-file\nMILVUS_URI=\"http://${HOSTX}:1\"\nMILVUS_CONN_ALIAS='${HOSTX}'\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.vars["MILVUS_URI"].value, "http://from-file:1");
        assert_eq!(file.vars["MILVUS_CONN_ALIAS"].value, "${HOSTX}");
    }

    #[test]
    fn every_malformed_line_is_reported_with_its_number() {
        let (file, errors) = parse_str(
            "MILVUS_URI=http://h:1\nthis is not an assignment\nMILVUS_TOKEN=ok\nBAD LINE=x\n",
        );
        let lines: Vec<u32> = errors
            .iter()
            .map(|e| match e {
                Error::DotEnvParse { line, .. } => *line,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(lines, vec![2, 4]);
        assert_eq!(file.vars["MILVUS_TOKEN"].value, "ok");
    }

    #[test]
    fn an_unterminated_quote_is_an_error_that_does_not_show_the_value() {
        let (_, errors) = parse_str("MILVUS_URI=http://h:1\nMILVUS_TOKEN=\"s3cr3t\n");
        assert_eq!(errors.len(), 1, "{errors:?}");
        let text = format!("{} {:?}", errors[0], errors[0]);
        assert!(text.contains("line 2"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }
}
