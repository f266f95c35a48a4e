//! URI, address, host and port parsing.

/// Trims surrounding ASCII whitespace (space, tab, CR, LF).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}
