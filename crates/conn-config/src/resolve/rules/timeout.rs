//! Timeouts: a decimal number of seconds, positive and finite, at most a day.

use std::time::Duration;

use crate::error::Error;
use crate::origin::Origin;
use crate::spec::ConnectionSpec;

/// Parses a timeout: a decimal number of seconds, positive and finite, at most
/// [`ConnectionSpec::MAX_TIMEOUT`] (one day).
pub(super) fn parse_timeout(s: &str, origin: &Origin, errors: &mut Vec<Error>) -> Option<Duration> {
    match timeout_value(s) {
        Ok(d) => Some(d),
        Err(problem) => {
            let (origin, value) = (origin.clone(), s.to_owned());
            errors.push(match problem {
                TimeoutProblem::Invalid => Error::InvalidTimeout { origin, value },
                TimeoutProblem::TooLarge => Error::TimeoutTooLarge { origin, value },
            });
            None
        }
    }
}

/// Why a timeout is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::resolve) enum TimeoutProblem {
    /// Not a positive, finite number (or zero once truncated to nanoseconds).
    Invalid,
    /// More than [`ConnectionSpec::MAX_TIMEOUT`].
    TooLarge,
}

/// A timeout's value: plain decimals exactly, anything else as an `f64` (`1e1`, `+3`).
pub(in crate::resolve) fn timeout_value(s: &str) -> Result<Duration, TimeoutProblem> {
    if let Some(exact) = exact_decimal(s) {
        return exact;
    }
    let secs: f64 = s.parse().map_err(|_| TimeoutProblem::Invalid)?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(TimeoutProblem::Invalid);
    }
    if secs.is_infinite() {
        // `inf` is not a number of seconds; `1e400` is one, too large for an f64.
        return Err(if s.bytes().any(|b| b.is_ascii_digit()) {
            TimeoutProblem::TooLarge
        } else {
            TimeoutProblem::Invalid
        });
    }
    if secs > ConnectionSpec::MAX_TIMEOUT.as_secs_f64() {
        return Err(TimeoutProblem::TooLarge);
    }
    // In range, so the conversion cannot fail; a value below a nanosecond becomes zero.
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(TimeoutProblem::Invalid),
    }
}

/// `123` or `123.456789`: parsed exactly (to the nanosecond, extra digits truncated), with
/// no overflow on any number of digits. `None` when `s` is not of that form.
fn exact_decimal(s: &str) -> Option<Result<Duration, TimeoutProblem>> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let max = ConnectionSpec::MAX_TIMEOUT;
    let whole = whole.trim_start_matches('0');
    // More digits than the limit's whole seconds have: too large, whatever they are.
    if whole.len() > max.as_secs().to_string().len() {
        return Some(Err(TimeoutProblem::TooLarge));
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = 0u32;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(b - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
    }
    let beyond_nanos = frac.bytes().skip(9).any(|b| b != b'0');
    let d = Duration::new(secs, nanos);
    Some(if d > max || (d == max && beyond_nanos) {
        Err(TimeoutProblem::TooLarge)
    } else if d.is_zero() {
        Err(TimeoutProblem::Invalid)
    } else {
        Ok(d)
    })
}
