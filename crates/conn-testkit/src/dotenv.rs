//! Checks of the `.env` parser and of the `.env` line numbers in results.

use std::collections::BTreeMap;
use std::path::Path;

use conn_config::{ConnectionSpec, Error, Errors, Field, Origin};

use crate::spec::error_origins;
use conn_config::__dotenv_parser::{LineKind, logical_lines};

/// Panics unless this crate's `.env` parser, run over `content` both without an
/// environment and with one that answers every name with a 4 KiB value, ends without a
/// panic, gives no value longer than 64 KiB, and takes no more steps (its own count of
/// the bytes and characters it looks at and copies) than a fixed multiple of the input's
/// size plus the interpolation budget: linear time on every input.
pub fn check_dotenv_parse(content: &str) {
    use conn_config::__dotenv_parser::{Entry, MAX_VALUE, parse_with, step_bound};
    let none = |_: &str| None;
    let four_kib = |_: &str| Some("v".repeat(4096));
    type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;
    let lookups: [(&str, Lookup<'_>); 2] =
        [("no environment", &none), ("4 KiB per variable", &four_kib)];
    for (env, lookup) in lookups {
        let mut longest = 0;
        let steps = parse_with(content, lookup, &mut |e| {
            if let Entry::Pair { value, .. } = e {
                longest = longest.max(value.len());
            }
        });
        assert!(
            longest <= MAX_VALUE,
            "invariant broken: a .env value of {longest} bytes ({env}), over the limit of {MAX_VALUE}"
        );
        let bound = step_bound(content.len());
        assert!(
            steps <= bound,
            "invariant broken: {steps} steps to parse {} bytes of .env ({env}), over {bound}",
            content.len()
        );
    }
    let mut entries = 0usize;
    parse_with(content, &none, &mut |_| entries += 1);
    assert!(
        entries <= content.len() + 1,
        "invariant broken: more .env entries than bytes"
    );
}

/// A logical line of a `.env` file as dotenvy reads it: one physical line, or several when
/// a quote is open or a line ends in an escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvLine {
    /// The 1-based physical line it starts on.
    pub first: u32,
    /// The 1-based physical line it ends on.
    pub last: u32,
    /// What dotenvy makes of it.
    pub kind: DotEnvLineKind,
}

/// What dotenvy makes of a logical `.env` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DotEnvLineKind {
    /// A blank line or a comment.
    Skipped,
    /// An assignment to this key.
    Assignment(String),
    /// A line dotenvy cannot parse.
    Error,
}

/// Classifies one logical `.env` line (its text, final line break included). The checks
/// take it as an argument so that this crate does not depend on the reference parser;
/// the property tests and the fuzz targets pass dotenvy 0.15:
///
/// ```
/// use conn_testkit::DotEnvLineKind;
/// fn dotenvy_kind(text: &str) -> DotEnvLineKind {
///     match dotenvy::from_read_iter(text.as_bytes()).next() {
///         None => DotEnvLineKind::Skipped,
///         Some(Ok((key, _))) => DotEnvLineKind::Assignment(key),
///         Some(Err(_)) => DotEnvLineKind::Error,
///     }
/// }
/// assert_eq!(dotenvy_kind("export MILVUS_URI = 'x' # c\n"), DotEnvLineKind::Assignment("MILVUS_URI".into()));
/// assert_eq!(dotenvy_kind("not an assignment\n"), DotEnvLineKind::Error);
/// ```
pub type Classify<'a> = &'a dyn Fn(&str) -> DotEnvLineKind;

/// Splits `.env` content into dotenvy's logical lines with conn-config's own splitter
/// (after a leading UTF-8 byte order mark, which dotenvy's own loaders skip too), each
/// classified by `classify`. The splitter is not an independent oracle of line numbers: it
/// is the parser's own, compared with dotenvy's by conn-config's differential property
/// test `same_as_dotenvy_without_interpolation` (a wrong split changes the entries).
/// A file that ends inside quotes or after an escape ends with an [`DotEnvLineKind::Error`]
/// line.
pub fn dotenv_lines(content: &str, classify: Classify<'_>) -> Vec<DotEnvLine> {
    logical_lines(content)
        .map(|line| DotEnvLine {
            first: line.first,
            last: line.last,
            kind: match line.kind {
                LineKind::Unterminated => DotEnvLineKind::Error,
                LineKind::Comment | LineKind::Entry(_) => classify(line.text),
            },
        })
        .collect()
}

/// Panics unless the `.env` line numbers in `result` are right for a `.env` file at `path`
/// holding `content`, its lines classified by `classify`: both [`check_dotenv_error_lines`] and [`check_dotenv_origin_lines`].
pub fn check_dotenv_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    check_dotenv_error_lines(content, path, result, classify);
    check_dotenv_origin_lines(content, path, result, classify);
}

/// Panics unless the parse errors of a `.env` file at `path` holding `content` are right:
/// as many as the logical lines dotenvy cannot parse, the n-th within the n-th such line,
/// and none (so no success) when dotenvy parses every line. When the problems were capped
/// ([`Errors::omitted`]), the stored ones are the first of those lines, in order.
pub fn check_dotenv_error_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    let lines = dotenv_lines(content, classify);
    let bad: Vec<&DotEnvLine> = lines
        .iter()
        .filter(|l| l.kind == DotEnvLineKind::Error)
        .collect();
    let (reported, capped): (Vec<u32>, bool) = match result {
        Ok(_) => (Vec::new(), false),
        Err(errors) => (
            errors
                .iter()
                .filter_map(|e| match e {
                    Error::DotEnvParse { path: p, line, .. } if p == path => Some(*line),
                    _ => None,
                })
                .collect(),
            errors.omitted() > 0,
        ),
    };
    if let Err(errors) = result {
        assert!(
            errors.len() <= Errors::MAX_STORED
                && (errors.omitted() == 0 || errors.len() == Errors::MAX_STORED),
            "invariant broken: {} problems stored and {} omitted (the cap is {})",
            errors.len(),
            errors.omitted(),
            Errors::MAX_STORED
        );
    }
    assert!(
        reported.len() == bad.len() || (capped && reported.len() < bad.len()),
        "invariant broken: {} .env parse errors reported (lines {reported:?}) for {} logical lines dotenvy cannot parse {bad:?}",
        reported.len(),
        bad.len()
    );
    for (line, l) in reported.iter().zip(&bad) {
        assert!(
            (l.first..=l.last).contains(line),
            "invariant broken: .env parse error reported on line {line}, but the bad logical line spans lines {}..={}",
            l.first,
            l.last
        );
    }
}

/// Panics unless every value `result` says comes from the `.env` file at `path` holding
/// `content` (in the spec's origins or in an error) names the line where the variable's
/// last assignment starts. An assignment whose value is past a limit
/// ([`Error::DotEnvValueTooLarge`], [`Error::DotEnvInterpolationBudget`]) assigns
/// nothing; when problems were capped, those lines are not all known and nothing is
/// checked.
pub fn check_dotenv_origin_lines(
    content: &str,
    path: &Path,
    result: &Result<ConnectionSpec, Errors>,
    classify: Classify<'_>,
) {
    let mut over_limit = std::collections::BTreeSet::new();
    if let Err(errors) = result {
        if errors.omitted() > 0 {
            return;
        }
        for e in errors {
            match e {
                Error::DotEnvValueTooLarge { path: p, line, .. }
                | Error::DotEnvInterpolationBudget { path: p, line, .. }
                    if p == path =>
                {
                    over_limit.insert(*line);
                }
                _ => {}
            }
        }
    }
    let mut last_assignment: BTreeMap<String, u32> = BTreeMap::new();
    for l in dotenv_lines(content, classify) {
        if let DotEnvLineKind::Assignment(k) = l.kind
            && !over_limit.contains(&l.first)
        {
            last_assignment.insert(k, l.first);
        }
    }
    let check = |o: &Origin| {
        if let Origin::DotEnv { var, path: p, line } = o
            && p == path
        {
            let expected = last_assignment.get(*var).copied();
            assert_eq!(
                Some(*line),
                expected,
                "invariant broken: {var} is said to come from .env line {line}, but its last assignment starts on line {expected:?}"
            );
        }
    };
    match result {
        Ok(spec) => {
            for f in Field::ALL {
                check(spec.origin(f));
            }
        }
        Err(errors) => {
            for e in errors {
                for o in error_origins(e) {
                    check(o);
                }
            }
        }
    }
}
