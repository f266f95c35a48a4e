//! The merged view of the sources: for each key, the value of the highest source that
//! gives it ([`SourceKind`] is ordered by precedence), with its [`Origin`].

use secrecy::SecretString;

use super::sources::{Layer, Raw, secret};
use crate::dotenv::DotEnvFile;
use crate::error::Error;
use crate::origin::{Key, Origin, SourceKind};
use crate::text::clean;

/// A value that won its key, trimmed, with where it came from.
#[derive(Debug, Clone)]
pub(super) struct Given {
    pub(super) value: String,
    pub(super) origin: Origin,
}

impl Given {
    pub(super) fn source_kind(&self) -> SourceKind {
        self.origin.source_kind()
    }
}

/// The winner of one key: the index of its layer and of its entry there.
#[derive(Clone, Copy)]
struct Winner {
    layer: usize,
    entry: usize,
}

/// The sources of one resolution, lowest first, and the winner of each key.
pub(super) struct View<'a> {
    /// The layers in precedence order (defaults first).
    layers: Vec<Layer<'a>>,
    winners: [Option<Winner>; Key::ALL.len()],
    /// The alias the stored arguments are stored under, as their origins name it.
    stored_alias: String,
    dotenv: Option<&'a DotEnvFile>,
}

impl<'a> View<'a> {
    /// Merges `layers`: for each key, a higher [`SourceKind`] beats a lower one.
    pub(super) fn merge(
        mut layers: Vec<Layer<'a>>,
        stored_alias: String,
        dotenv: Option<&'a DotEnvFile>,
    ) -> View<'a> {
        layers.sort_by_key(|l| l.kind);
        let mut winners = [None; Key::ALL.len()];
        for (li, layer) in layers.iter().enumerate() {
            for (ei, e) in layer.entries.iter().enumerate() {
                winners[e.key as usize] = Some(Winner {
                    layer: li,
                    entry: ei,
                });
            }
        }
        View {
            layers,
            winners,
            stored_alias,
            dotenv,
        }
    }

    /// The layers, highest first.
    pub(super) fn layers(&self) -> impl Iterator<Item = &Layer<'a>> {
        self.layers.iter().rev()
    }

    /// The origin of a value `kind` gave for `key` (`line`: its `.env` line).
    pub(super) fn origin_of(&self, kind: SourceKind, key: Key, line: u32) -> Origin {
        match kind {
            SourceKind::Explicit => Origin::Explicit { arg: key.as_str() },
            SourceKind::Stored => Origin::Stored {
                alias: self.stored_alias.clone(),
                arg: key.as_str(),
            },
            SourceKind::Env => Origin::Env { var: key.as_str() },
            SourceKind::DotEnv => Origin::DotEnv {
                var: key.as_str(),
                path: self.dotenv.map(|f| f.path.clone()).unwrap_or_default(),
                line,
            },
            SourceKind::Default => Origin::Default,
        }
    }

    /// The winning value of `key`, with its origin.
    fn winner(&self, key: Key) -> Option<(&Raw<'a>, Origin)> {
        let w = self.winners[key as usize]?;
        let layer = &self.layers[w.layer];
        let e = &layer.entries[w.entry];
        Some((&e.raw, self.origin_of(layer.kind, key, e.line)))
    }

    /// The origin of the winning value of `key`.
    pub(super) fn origin(&self, key: Key) -> Option<Origin> {
        self.winner(key).map(|(_, origin)| origin)
    }

    /// The winning text of a key, trimmed; `None` when absent or empty. A value that is not
    /// Unicode, too long or holds a control character is an error.
    pub(super) fn get(&self, key: Key, errors: &mut Vec<Error>) -> Option<Given> {
        let (raw, origin) = self.winner(key)?;
        let text = match raw {
            Raw::Text(s) | Raw::Path(s) => s,
            Raw::NotUnicode | Raw::TooLong(_) => {
                errors.push(unusable(raw, origin));
                return None;
            }
            Raw::Secret(_) | Raw::Bool(_) => return None,
        };
        match clean(text, &origin) {
            Ok("") => None,
            Ok(v) => Some(Given {
                value: v.to_owned(),
                origin,
            }),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    /// The winning flag of a key.
    pub(super) fn get_bool(&self, key: Key) -> Option<(bool, Origin)> {
        match self.winner(key)? {
            (Raw::Bool(b), origin) => Some((*b, origin)),
            _ => None,
        }
    }

    /// Where the winning value of a secret key is, when it is given (a value that is not
    /// Unicode or too long included: [`View::secret`] reports it).
    pub(super) fn secret_origin(&self, key: Key) -> Option<Origin> {
        let (raw, origin) = self.winner(key)?;
        match raw {
            Raw::Secret(_) | Raw::NotUnicode | Raw::TooLong(_) if raw.is_given() => Some(origin),
            _ => None,
        }
    }

    /// The winning secret of a key, trimmed; `None` when absent or empty. A value that is
    /// not Unicode, too long or holds a control character is an error.
    pub(super) fn secret(
        &self,
        key: Key,
        errors: &mut Vec<Error>,
    ) -> Option<(SecretString, Origin)> {
        let (raw, origin) = self.winner(key)?;
        let text = match raw {
            Raw::Secret(s) => *s,
            Raw::NotUnicode | Raw::TooLong(_) => {
                errors.push(unusable(raw, origin));
                return None;
            }
            Raw::Text(_) | Raw::Path(_) | Raw::Bool(_) => return None,
        };
        match clean(text, &origin) {
            Ok("") => None,
            Ok(v) => Some((secret(v), origin)),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    /// The first of `arg` (an argument) and `var` (a variable): an argument given
    /// explicitly or stored beats the variable; the variable beats the argument's default.
    pub(super) fn arg_or_var(&self, arg: Key, var: Key, errors: &mut Vec<Error>) -> Option<Given> {
        let given = self.get(arg, errors);
        if given
            .as_ref()
            .is_some_and(|a| a.source_kind().is_argument())
        {
            return given;
        }
        self.get(var, errors).or(given)
    }
}

/// The error of a value that cannot be used.
fn unusable(raw: &Raw<'_>, origin: Origin) -> Error {
    match raw {
        Raw::TooLong(len) => Error::ValueTooLong { origin, len: *len },
        _ => Error::NotUnicode { origin },
    }
}
