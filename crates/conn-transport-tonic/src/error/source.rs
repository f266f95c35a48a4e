//! The source chain of an [`Error`] kept as text (each layer once), and the copy of an
//! error that callers sharing one failure get.

use std::error::Error as StdError;
use std::fmt;

use super::{BoxError, Error};

impl Error {
    /// A copy of this error with the same variant, fields and rendered source chain; the
    /// sources are kept as text (they cannot be cloned), so they no longer downcast. For
    /// callers that share one failure.
    pub(crate) fn replicate(&self) -> Error {
        let text = |e: &BoxError| -> BoxError { Box::new(SourceText::of(&**e)) };
        match self {
            Error::UnsupportedTarget { target } => Error::UnsupportedTarget {
                target: target.clone(),
            },
            Error::Lite {
                data_dir,
                problem,
                detail,
                output,
            } => Error::Lite {
                data_dir: data_dir.clone(),
                problem: *problem,
                detail: detail.clone(),
                output: output.clone(),
            },
            Error::FileUnreadable {
                field,
                path,
                source,
            } => Error::FileUnreadable {
                field: *field,
                path: path.clone(),
                source: std::io::Error::new(source.kind(), SourceText::of(source)),
            },
            Error::FileNotRegular { field, path, kind } => Error::FileNotRegular {
                field: *field,
                path: path.clone(),
                kind: *kind,
            },
            Error::FileTooLarge { field, path, limit } => Error::FileTooLarge {
                field: *field,
                path: path.clone(),
                limit: *limit,
            },
            Error::FileReadTimedOut {
                field,
                path,
                timeout,
            } => Error::FileReadTimedOut {
                field: *field,
                path: path.clone(),
                timeout: *timeout,
            },
            Error::FileNotPem {
                field,
                path,
                expected,
            } => Error::FileNotPem {
                field: *field,
                path: path.clone(),
                expected: *expected,
            },
            Error::ClientIdentity { cert, key, source } => Error::ClientIdentity {
                cert: cert.clone(),
                key: key.clone(),
                source: text(source),
            },
            Error::TlsUnavailable {
                address,
                reason,
                source,
            } => Error::TlsUnavailable {
                address: address.clone(),
                reason: reason.clone(),
                source: source.as_ref().map(text),
            },
            Error::InvalidAddress { address, source } => Error::InvalidAddress {
                address: address.clone(),
                source: text(source),
            },
            Error::NoRuntime => Error::NoRuntime,
            Error::Unreachable {
                address,
                timeout,
                source,
            } => Error::Unreachable {
                address: address.clone(),
                timeout: *timeout,
                source: text(source),
            },
            Error::TimedOut {
                address,
                step,
                timeout,
            } => Error::TimedOut {
                address: address.clone(),
                step,
                timeout: *timeout,
            },
            Error::Tls {
                address,
                problem,
                source,
            } => Error::Tls {
                address: address.clone(),
                problem: *problem,
                source: text(source),
            },
            Error::Authentication {
                address,
                rpc,
                message,
            } => Error::Authentication {
                address: address.clone(),
                rpc,
                message: message.clone(),
            },
            Error::ServerStatus {
                address,
                rpc,
                code,
                error_code,
                reason,
                retriable,
            } => Error::ServerStatus {
                address: address.clone(),
                rpc,
                code: *code,
                error_code: *error_code,
                reason: reason.clone(),
                retriable: *retriable,
            },
            Error::Unimplemented {
                address,
                rpc,
                message,
            } => Error::Unimplemented {
                address: address.clone(),
                rpc,
                message: message.clone(),
            },
            Error::Rpc {
                address,
                rpc,
                code,
                message,
                source,
            } => Error::Rpc {
                address: address.clone(),
                rpc,
                code: *code,
                message: message.clone(),
                source: text(source),
            },
        }
    }
}

/// `error: source: source…`: the error's `Display`, then each `source()`'s.
pub(super) fn render_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

/// A source error kept as its text, with its own sources (as text) behind it.
#[derive(Debug)]
struct SourceText {
    text: String,
    source: Option<Box<SourceText>>,
}

impl SourceText {
    /// The chain of `err` (it and its sources) as text, each error once: a text that an
    /// error before it already contains (tonic, hyper and the OS often say the same thing
    /// twice, "tcp connect error" over "tcp connect error") is left out, as is an empty one.
    fn of(err: &(dyn StdError + 'static)) -> SourceText {
        let mut texts: Vec<String> = Vec::new();
        let mut next = Some(err);
        while let Some(e) = next {
            let text = e.to_string();
            if !text.is_empty() && !texts.iter().any(|kept| kept.contains(&text)) {
                texts.push(text);
            }
            next = e.source();
        }
        let mut chain: Option<Box<SourceText>> = None;
        for text in texts.into_iter().rev() {
            chain = Some(Box::new(SourceText {
                text,
                source: chain,
            }));
        }
        chain.map_or_else(
            || SourceText {
                text: err.to_string(),
                source: None,
            },
            |first| *first,
        )
    }
}

/// A source from below (tonic, hyper, rustls, the OS) as this crate keeps it in an [`Error`]:
/// its chain as text, without repetitions (see [`SourceText::of`]). Classification reads the
/// original chain before this.
pub(crate) fn cause(err: BoxError) -> BoxError {
    Box::new(SourceText::of(&*err))
}

impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl StdError for SourceText {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// Text from the other side (a server's status reason or message, a Milvus Lite server's
/// output) in an error message: control characters (a newline, a carriage return, an
/// escape sequence) are shown escaped (`\n`, `\u{1b}`), so that a hostile or broken server
/// cannot forge log lines or drive the terminal through an error's `Display`. The field
/// itself keeps the text as sent.
pub(super) struct Escaped<'a>(pub(super) &'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}
