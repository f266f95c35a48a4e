//! The registry's errors.

use std::fmt;
use std::sync::Arc;

use conn_config::Field;

/// What went wrong in a registry operation. Every variant names the alias (except
/// [`Error::DefaultAlias`], which is about finding it), and none shows a secret: a
/// configuration mismatch names the differing fields, never their values.
///
/// `E` is the transport's error ([`Transport::Error`](crate::Transport::Error)), held in an
/// `Arc` because every caller of one connect attempt gets the same error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error<E> {
    /// An alias name holding a control character.
    #[error("invalid alias {alias:?}: an alias cannot hold control characters")]
    #[non_exhaustive]
    InvalidAlias {
        /// The name, as given.
        alias: String,
    },

    /// The alias parameter and the arguments' own `alias` name different aliases.
    #[error("alias {alias:?} is given, but the arguments name alias {in_args:?}")]
    #[non_exhaustive]
    AliasMismatch {
        /// The alias parameter.
        alias: String,
        /// The alias in the arguments.
        in_args: String,
    },

    /// The default alias (`MILVUS_CONN_ALIAS`, else `default`) could not be determined:
    /// the variable is invalid, or the `.env` file cannot be read.
    #[error("cannot determine the default alias")]
    #[non_exhaustive]
    DefaultAlias {
        /// What the resolver found.
        #[source]
        source: conn_config::Errors,
    },

    /// The alias's configuration (explicit arguments over its stored arguments over the
    /// environment) does not resolve.
    #[error("cannot resolve the configuration of alias {alias:?}")]
    #[non_exhaustive]
    Resolve {
        /// The alias.
        alias: String,
        /// Every problem the resolver found.
        #[source]
        source: conn_config::Errors,
    },

    /// The alias is connected, and the configuration now given resolves to a different
    /// spec. Disconnect the alias first to connect it elsewhere.
    #[error(
        "alias {alias:?} is already connected with a different configuration (differing: {}); disconnect it first",
        FieldList(fields)
    )]
    #[non_exhaustive]
    ConfigMismatch {
        /// The alias.
        alias: String,
        /// The fields that differ (secrets are compared, never shown).
        fields: Vec<Field>,
    },

    /// The alias is being connected, by a call still in flight, with a configuration that
    /// resolves to a different spec (the timeout counts). The call does not wait for that
    /// connect; once it has ended, connecting again either starts a new attempt (it failed)
    /// or gets [`Error::ConfigMismatch`] (it succeeded).
    #[error(
        "alias {alias:?} is being connected with a different configuration (differing: {}); connect again when that has finished",
        FieldList(fields)
    )]
    #[non_exhaustive]
    ConnectInProgress {
        /// The alias.
        alias: String,
        /// The fields that differ (secrets are compared, never shown).
        fields: Vec<Field>,
    },

    /// The transport could not connect.
    #[error("cannot connect alias {alias:?}")]
    #[non_exhaustive]
    Connect {
        /// The alias.
        alias: String,
        /// The transport's error: one value shared by every caller of the attempt that
        /// failed (`Arc::ptr_eq` tells). It derefs to `E`, so `source.kind()` works as on
        /// `E` itself.
        #[source]
        source: Arc<E>,
    },

    /// The alias is not connected (pymilvus: "should create connection first").
    #[error("alias {alias:?} is not connected; connect it first")]
    #[non_exhaustive]
    NotConnected {
        /// The alias.
        alias: String,
    },
}

impl<E> Error<E> {
    /// The alias the error is about; `None` for [`Error::DefaultAlias`].
    pub fn alias(&self) -> Option<&str> {
        match self {
            Error::InvalidAlias { alias }
            | Error::AliasMismatch { alias, .. }
            | Error::Resolve { alias, .. }
            | Error::ConfigMismatch { alias, .. }
            | Error::ConnectInProgress { alias, .. }
            | Error::Connect { alias, .. }
            | Error::NotConnected { alias } => Some(alias),
            Error::DefaultAlias { .. } => None,
        }
    }
}

/// `target, auth`.
struct FieldList<'a>(&'a [Field]);

impl fmt::Display for FieldList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(field, f)?;
        }
        Ok(())
    }
}
