//! Trimming and cleaning a value, the same way for every source (docs/resolution.md:
//! "an empty value, after trimming, counts as not given").

use crate::error::Error;
use crate::origin::Origin;

/// Trims surrounding ASCII whitespace (space, tab, CR, LF), as pymilvus's `strip()` of
/// the values it reads does for those four.
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Trims a value and rejects control characters left inside it.
pub(crate) fn clean<'a>(raw: &'a str, origin: &Origin) -> Result<&'a str, Error> {
    let s = trim(raw);
    if s.chars().any(char::is_control) {
        return Err(Error::ControlCharacter {
            origin: origin.clone(),
        });
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning() {
        let o = Origin::Explicit { arg: "uri" };
        assert_eq!(clean("  http://h \t\r\n", &o).ok(), Some("http://h"));
        assert!(clean("http://h\u{7}", &o).is_err());
        assert!(clean("http://h\tx", &o).is_err());
    }
}
