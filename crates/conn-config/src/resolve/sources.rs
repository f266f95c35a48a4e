//! The sources of one resolution, each read into a [`Layer`] of typed values: the
//! explicit arguments, the alias's stored arguments, the process environment, the `.env`
//! file and the built-in defaults.
//!
//! A value is kept as its source gave it ([`Raw`]): text, a secret, a flag, or what makes
//! it unusable (not Unicode, too long). Nothing is validated here: a value is checked only
//! when it wins its key and a rule uses it (docs/resolution.md, "Sources and precedence").

use std::borrow::Cow;
use std::ffi::OsString;

use secrecy::{ExposeSecret, SecretString};

use crate::args::ConnectArgs;
use crate::dotenv::DotEnvFile;
use crate::origin::{Key, SourceKind};
use crate::text::trim;

/// A value as its source gave it.
pub(super) enum Raw<'a> {
    /// Text, `""` included: an empty variable hides the same key in a lower source.
    Text(Cow<'a, str>),
    /// A TLS file's path, as text (lossily): given even when blank.
    Path(Cow<'a, str>),
    /// A password or token. Kept apart from text so that no rule reads it as one; it
    /// leaves the pipeline only as a [`SecretString`].
    Secret(&'a str),
    /// `secure`, `keep_alive`.
    Bool(bool),
    /// A variable whose value is not Unicode: an error when used
    /// ([`Error::NotUnicode`](crate::Error::NotUnicode)).
    NotUnicode,
    /// A value longer than [`ConnectArgs::MAX_VALUE_LEN`], by its length: an error when
    /// used ([`Error::ValueTooLong`](crate::Error::ValueTooLong)), never copied or parsed.
    TooLong(usize),
}

impl Raw<'_> {
    /// Whether the value counts as given (docs/resolution.md: "an empty value, after
    /// trimming, counts as not given"); an unusable value is given (its error is reported
    /// when it is used).
    pub(super) fn is_given(&self) -> bool {
        match self {
            Raw::Text(s) => !trim(s).is_empty(),
            Raw::Secret(s) => !trim(s).is_empty(),
            Raw::Path(_) | Raw::Bool(_) | Raw::NotUnicode | Raw::TooLong(_) => true,
        }
    }
}

/// Whether a value is longer than the limit of every value.
pub(super) fn is_too_long(len: usize) -> bool {
    len > ConnectArgs::MAX_VALUE_LEN
}

/// A text value, or the length of one too long to take.
fn text(v: &str) -> Raw<'_> {
    if is_too_long(v.len()) {
        Raw::TooLong(v.len())
    } else {
        Raw::Text(Cow::Borrowed(v))
    }
}

/// One value of a layer: the key, the value, and the `.env` line of its (last) assignment
/// (0 for the other sources).
pub(super) struct Entry<'a> {
    pub(super) key: Key,
    pub(super) raw: Raw<'a>,
    pub(super) line: u32,
}

/// The values one source gives, in its own order (pymilvus's argument order, then the
/// variables').
pub(super) struct Layer<'a> {
    pub(super) kind: SourceKind,
    pub(super) entries: Vec<Entry<'a>>,
}

impl<'a> Layer<'a> {
    fn new(kind: SourceKind) -> Layer<'a> {
        Layer {
            kind,
            entries: Vec::new(),
        }
    }

    fn push(&mut self, key: Key, raw: Raw<'a>) {
        self.entries.push(Entry { key, raw, line: 0 });
    }

    /// The built-in defaults.
    pub(super) fn defaults() -> Layer<'static> {
        let mut layer = Layer::new(SourceKind::Default);
        for (key, value) in [
            (Key::Alias, "default"),
            (Key::Uri, "http://localhost:19530"),
            (Key::DbName, "default"),
            (Key::Timeout, "10"),
        ] {
            layer.push(key, Raw::Text(Cow::Borrowed(value)));
        }
        layer
    }

    /// Arguments (explicit or stored): the ones given, empty text left out.
    pub(super) fn args(kind: SourceKind, args: &'a ConnectArgs) -> Layer<'a> {
        let mut layer = Layer::new(kind);
        let texts = [
            (Key::Alias, &args.alias),
            (Key::Uri, &args.uri),
            (Key::Address, &args.address),
            (Key::Host, &args.host),
            (Key::Port, &args.port),
            (Key::User, &args.user),
            (Key::DbName, &args.db_name),
            (Key::ServerName, &args.server_name),
            (Key::Timeout, &args.timeout),
        ];
        for (key, v) in texts {
            if let Some(v) = v.as_deref().filter(|v| !trim(v).is_empty()) {
                layer.push(key, text(v));
            }
        }
        let paths = [
            (Key::ServerPemPath, &args.server_pem_path),
            (Key::CaPemPath, &args.ca_pem_path),
            (Key::ClientPemPath, &args.client_pem_path),
            (Key::ClientKeyPath, &args.client_key_path),
        ];
        for (key, p) in paths {
            if let Some(p) = p {
                let len = p.as_os_str().len();
                let raw = if is_too_long(len) {
                    Raw::TooLong(len)
                } else {
                    Raw::Path(p.to_string_lossy())
                };
                layer.push(key, raw);
            }
        }
        let secrets = [(Key::Password, &args.password), (Key::Token, &args.token)];
        for (key, s) in secrets {
            if let Some(s) = s.as_ref().map(ExposeSecret::expose_secret) {
                if is_too_long(s.len()) {
                    layer.push(key, Raw::TooLong(s.len()));
                } else if !trim(s).is_empty() {
                    layer.push(key, Raw::Secret(s));
                }
            }
        }
        for (key, b) in [
            (Key::Secure, args.secure),
            (Key::KeepAlive, args.keep_alive),
        ] {
            if let Some(b) = b {
                layer.push(key, Raw::Bool(b));
            }
        }
        layer.entries.sort_by_key(|e| e.key);
        layer
    }

    /// The process environment: every variable that is set, even to `""` (it hides the
    /// same key in `.env`). The length is checked before the UTF-8 validation, which reads
    /// the whole value.
    pub(super) fn env(vars: &'a [(Key, Option<OsString>); 6]) -> Layer<'a> {
        let mut layer = Layer::new(SourceKind::Env);
        for (key, value) in vars {
            if let Some(value) = value {
                let raw = if is_too_long(value.len()) {
                    Raw::TooLong(value.len())
                } else {
                    match value.to_str() {
                        Some(s) => variable(*key, s),
                        None => Raw::NotUnicode,
                    }
                };
                layer.push(*key, raw);
            }
        }
        layer
    }

    /// The `MILVUS_*` variables of a `.env` file, with the line of each one's last
    /// assignment.
    pub(super) fn dotenv(file: &'a DotEnvFile) -> Layer<'a> {
        let mut layer = Layer::new(SourceKind::DotEnv);
        for (name, v) in &file.vars {
            if let Some(key) = Key::from_name(name) {
                layer.entries.push(Entry {
                    key,
                    raw: variable(key, &v.value),
                    line: v.line,
                });
            }
        }
        layer
    }
}

/// A variable's value (environment or `.env`): `MILVUS_TOKEN` is a secret.
fn variable(key: Key, value: &str) -> Raw<'_> {
    if is_too_long(value.len()) {
        Raw::TooLong(value.len())
    } else if key == Key::MilvusToken {
        Raw::Secret(value)
    } else {
        Raw::Text(Cow::Borrowed(value))
    }
}

/// The variables resolution reads, each read once from `read`.
pub(super) fn read_vars(read: impl Fn(&str) -> Option<OsString>) -> [(Key, Option<OsString>); 6] {
    Key::variables().map(|key| (key, read(key.as_str())))
}

/// A secret's text as a [`SecretString`] (the one way a secret leaves a [`Raw`]).
pub(super) fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}
