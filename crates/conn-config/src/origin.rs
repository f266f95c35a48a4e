//! Provenance: where each resolved value came from.

use std::fmt;
use std::path::PathBuf;

/// A field of a [`ConnectionSpec`](crate::ConnectionSpec) whose origin is recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// The alias.
    Alias,
    /// The target (host and port, socket or `.db` path).
    Target,
    /// TLS on or off, and its settings.
    Security,
    /// The credentials.
    Auth,
    /// The database.
    DbName,
    /// The connect timeout.
    Timeout,
    /// The keep-alive flag.
    KeepAlive,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 7] = [
        Field::Alias,
        Field::Target,
        Field::Security,
        Field::Auth,
        Field::DbName,
        Field::Timeout,
        Field::KeepAlive,
    ];

    /// The field's name as the CLI and `docs/resolution.md` write it: `alias`, `target`,
    /// `secure`, `auth`, `db_name`, `timeout`, `keep_alive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Target => "target",
            Field::Security => "secure",
            Field::Auth => "auth",
            Field::DbName => "db_name",
            Field::Timeout => "timeout",
            Field::KeepAlive => "keep_alive",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a value came from. Sources are listed from the highest precedence to the lowest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// An explicit argument (a builder method, a CLI flag), named as in pymilvus's `connect()`.
    Explicit {
        /// The argument, e.g. `uri`, `host`, `token`.
        arg: &'static str,
    },
    /// The configuration stored for an alias (the registry's `add_connection`).
    Stored {
        /// The alias the configuration is stored under.
        alias: String,
        /// The argument, e.g. `uri`.
        arg: &'static str,
    },
    /// A variable of the process environment.
    Env {
        /// The variable, e.g. `MILVUS_URI`.
        var: &'static str,
    },
    /// A variable from a `.env` file.
    DotEnv {
        /// The variable, e.g. `MILVUS_URI`.
        var: &'static str,
        /// The file.
        path: PathBuf,
        /// The 1-based line where the variable's (last) assignment starts.
        line: u32,
    },
    /// The built-in default.
    Default,
}

impl Origin {
    /// The source's rank: higher wins. Explicit 4, stored 3, environment 2, `.env` 1,
    /// default 0.
    pub fn rank(&self) -> u8 {
        match self {
            Origin::Explicit { .. } => 4,
            Origin::Stored { .. } => 3,
            Origin::Env { .. } => 2,
            Origin::DotEnv { .. } => 1,
            Origin::Default => 0,
        }
    }

    /// The argument or variable name, if any (`uri`, `MILVUS_URI`, …).
    pub fn key(&self) -> Option<&'static str> {
        match self {
            Origin::Explicit { arg } | Origin::Stored { arg, .. } => Some(arg),
            Origin::Env { var } | Origin::DotEnv { var, .. } => Some(var),
            Origin::Default => None,
        }
    }

    /// A short name of the kind of source: `argument`, `stored`, `environment`, `.env`,
    /// `default`.
    pub fn source_kind(&self) -> &'static str {
        match self {
            Origin::Explicit { .. } => "argument",
            Origin::Stored { .. } => "stored",
            Origin::Env { .. } => "environment",
            Origin::DotEnv { .. } => ".env",
            Origin::Default => "default",
        }
    }
}

impl fmt::Display for Origin {
    /// `uri (argument)`, `uri (stored for alias "a")`, `MILVUS_URI (environment)`,
    /// `MILVUS_URI (.env /p/.env:3)`, `default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Explicit { arg } => write!(f, "{arg} (argument)"),
            Origin::Stored { alias, arg } => write!(f, "{arg} (stored for alias {alias:?})"),
            Origin::Env { var } => write!(f, "{var} (environment)"),
            Origin::DotEnv { var, path, line } => {
                write!(f, "{var} (.env {}:{line})", path.display())
            }
            Origin::Default => f.write_str("default"),
        }
    }
}

/// A value some source gave that the resolved spec does not use, because a higher source
/// (or a dedicated argument of the same source) supplied its field.
///
/// Nothing the user gives is dropped silently: [`ConnectionSpec::overridden`](crate::ConnectionSpec::overridden)
/// lists these, and resolution logs each at debug level.
///
/// ```
/// # fn main() -> Result<(), conn_config::Errors> {
/// use conn_config::ConnectArgs;
/// let spec = ConnectArgs::new().address("a:1").uri("http://b:2").resolve_isolated()?;
/// let notes: Vec<String> = spec.overridden().iter().map(|o| o.to_string()).collect();
/// assert_eq!(notes, ["uri (argument) is not used: target comes from address (argument)"]);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overridden {
    pub(crate) origin: Origin,
    pub(crate) field: Field,
    pub(crate) by: Origin,
}

impl Overridden {
    /// Where the unused value came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The field it would have fed.
    pub fn field(&self) -> Field {
        self.field
    }

    /// Where the field's value came from instead.
    pub fn by(&self) -> &Origin {
        &self.by
    }
}

impl fmt::Display for Overridden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not used: {} comes from {}",
            self.origin, self.field, self.by
        )
    }
}

/// The origin of every [`Field`] of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origins([Origin; 7]);

impl Origins {
    pub(crate) fn new() -> Origins {
        Origins(std::array::from_fn(|_| Origin::Default))
    }

    pub(crate) fn get(&self, field: Field) -> &Origin {
        &self.0[field.index()]
    }

    pub(crate) fn set(&mut self, field: Field, origin: Origin) {
        self.0[field.index()] = origin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_precedence_order() {
        let order = [
            Origin::Explicit { arg: "uri" },
            Origin::Stored {
                alias: "a".into(),
                arg: "uri",
            },
            Origin::Env { var: "MILVUS_URI" },
            Origin::DotEnv {
                var: "MILVUS_URI",
                path: "/x/.env".into(),
                line: 1,
            },
            Origin::Default,
        ];
        for pair in order.windows(2) {
            assert!(
                pair[0].rank() > pair[1].rank(),
                "{} !> {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn display_names_the_key_and_the_source() {
        assert_eq!(
            Origin::Explicit { arg: "uri" }.to_string(),
            "uri (argument)"
        );
        assert_eq!(
            Origin::Env { var: "MILVUS_URI" }.to_string(),
            "MILVUS_URI (environment)"
        );
        assert_eq!(
            Origin::DotEnv {
                var: "MILVUS_TOKEN",
                path: "/p/.env".into(),
                line: 3
            }
            .to_string(),
            "MILVUS_TOKEN (.env /p/.env:3)"
        );
        assert_eq!(Origin::Default.to_string(), "default");
    }
}
