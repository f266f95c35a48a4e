//! [`Errors`]: every problem of one resolution, capped.

use std::fmt;

use super::Error;

/// Every problem found by one resolution (never empty), up to [`Errors::MAX_STORED`]; past
/// that, only how many more there were.
///
/// ```
/// use conn_config::{ConnectArgs, DotEnv, MapEnv, Resolver};
/// let dir = std::env::temp_dir().join(format!("errors-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bad.env");
/// std::fs::write(&path, "not an assignment\n".repeat(250))?;
/// let errors = Resolver::with_env(MapEnv::new())
///     .dotenv(DotEnv::Path(path))
///     .resolve(&ConnectArgs::new())
///     .unwrap_err();
/// assert_eq!((errors.len(), errors.omitted(), errors.total()), (100, 150, 250));
/// assert!(errors.to_string().ends_with("; and 150 more problems"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`len`](Errors::len), [`iter`](Errors::iter) and [`into_vec`](Errors::into_vec) see the
/// stored problems, in the order they were found; [`omitted`](Errors::omitted) counts the
/// problems found after the first [`Errors::MAX_STORED`] (never built, so a file of a
/// million bad lines costs no memory per line); [`total`](Errors::total) is both. `Display`
/// lists the stored ones and ends with `; and N more problems` when some were left out.
#[derive(Debug)]
pub struct Errors {
    stored: Vec<Error>,
    omitted: usize,
}

/// Adds the error `make` builds to `errors`, or, when [`Errors::MAX_STORED`] are there
/// already, only counts it in `omitted` (without building it).
pub(crate) fn push_capped(
    errors: &mut Vec<Error>,
    omitted: &mut usize,
    make: impl FnOnce() -> Error,
) {
    if errors.len() < Errors::MAX_STORED {
        errors.push(make());
    } else {
        *omitted = omitted.saturating_add(1);
    }
}

impl Errors {
    /// The most problems one resolution stores and shows: 100.
    pub const MAX_STORED: usize = 100;

    /// The problems found, with `omitted` more counted but not kept; those past
    /// [`Errors::MAX_STORED`] move to the count.
    pub(crate) fn new(mut stored: Vec<Error>, omitted: usize) -> Errors {
        let excess = stored.len().saturating_sub(Errors::MAX_STORED);
        stored.truncate(Errors::MAX_STORED);
        Errors {
            stored,
            omitted: omitted.saturating_add(excess),
        }
    }

    /// The stored problems, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.stored.iter()
    }

    /// How many problems are stored: at least one, at most [`Errors::MAX_STORED`]. See
    /// [`total`](Errors::total) for how many were found.
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    /// How many problems were found past the first [`Errors::MAX_STORED`] and not kept.
    pub fn omitted(&self) -> usize {
        self.omitted
    }

    /// How many problems were found: [`len`](Errors::len) plus
    /// [`omitted`](Errors::omitted).
    pub fn total(&self) -> usize {
        self.stored.len().saturating_add(self.omitted)
    }

    /// Always false: an `Errors` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// The first problem.
    pub fn first(&self) -> &Error {
        &self.stored[0]
    }

    /// The stored problems, by value.
    pub fn into_vec(self) -> Vec<Error> {
        self.stored
    }
}

impl From<Error> for Errors {
    fn from(e: Error) -> Errors {
        Errors::new(vec![e], 0)
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stored.as_slice() {
            [one] if self.omitted == 0 => fmt::Display::fmt(one, f),
            many => {
                write!(f, "{} problems: ", self.total())?;
                for (i, e) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    fmt::Display::fmt(e, f)?;
                }
                match self.omitted {
                    0 => Ok(()),
                    1 => f.write_str("; and 1 more problem"),
                    n => write!(f, "; and {n} more problems"),
                }
            }
        }
    }
}

impl std::error::Error for Errors {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.stored.as_slice() {
            [one] if self.omitted == 0 => std::error::Error::source(one),
            _ => None,
        }
    }
}

impl IntoIterator for Errors {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.stored.into_iter()
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.stored.iter()
    }
}
