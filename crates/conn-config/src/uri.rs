//! URI, address, host and port parsing.
//!
//! The grammar (docs/resolution.md, "URI grammar"):
//!
//! ```text
//! uri     = scheme "://" [ user [ ":" password ] "@" ] host [ ":" [ port ] ] [ "/" db [ "/" … ] ] [ "?" … ] [ "#" … ]
//!         | "unix:" path                      ; case-insensitive "unix:"
//!         | local-path ".db"                  ; a milvus-lite database file
//! scheme  = "http" | "https" | "tcp" | "grpc" ; case-insensitive
//! host    = domain | IPv4 | "[" IPv6 "]"
//! port    = 1*DIGIT                           ; 1..=65535, leading zeros dropped
//! address = host ":" port                     ; both required
//! ```
//!
//! The `url` crate does the splitting and host normalisation (lower-case, IDNA, IPv6
//! canonical form); userinfo and the database segment are percent-decoded here.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use secrecy::SecretString;

use crate::error::{Error, Hint};
use crate::origin::Origin;
use crate::spec::{Host, Port, Target};
use crate::text::trim;

mod host;
pub(crate) use host::{parse_address, parse_host, parse_port, parse_server_name};
use host::{parse_domain, uri_reason};

/// The scheme of a parsed URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
    Tcp,
    Grpc,
    Unix,
    Lite,
}

/// A URI split into the parts resolution uses.
#[derive(Debug)]
pub(crate) struct ParsedUri {
    pub(crate) target: Target,
    pub(crate) scheme: Scheme,
    /// Percent-decoded user name, when the userinfo has a non-empty one.
    pub(crate) user: Option<String>,
    /// Percent-decoded password, when the userinfo has a non-empty one.
    pub(crate) password: Option<SecretString>,
    /// The first non-empty path segment, percent-decoded.
    pub(crate) db: Option<String>,
}

impl ParsedUri {
    fn plain(target: Target, scheme: Scheme) -> ParsedUri {
        ParsedUri {
            target,
            scheme,
            user: None,
            password: None,
            db: None,
        }
    }
}

/// Splits `s` into a URI scheme and the rest, if it starts with one (RFC 3986:
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some((scheme, &s[colon + 1..]))
}

/// Whether `s` looks like `host:port` (digits after the last colon), for a hint.
pub(super) fn looks_like_host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((h, p)) => !h.is_empty() && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Parses a trimmed, control-free URI value.
pub(crate) fn parse_uri(s: &str, origin: &Origin) -> Result<ParsedUri, Error> {
    if let Some(rest) = s
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("unix:"))
        .map(|_| &s[5..])
    {
        // gRPC's forms: unix:path and unix:///absolute_path.
        let path = match rest.strip_prefix("//") {
            Some(abs) if abs.starts_with('/') => abs,
            _ => rest,
        };
        if path.is_empty() {
            return Err(Error::EmptySocketPath {
                origin: origin.clone(),
            });
        }
        return Ok(ParsedUri::plain(
            Target::Unix(PathBuf::from(path)),
            Scheme::Unix,
        ));
    }
    let (scheme_str, rest) = match split_scheme(s) {
        Some(parts) => parts,
        None if s.ends_with(".db") => {
            return Ok(ParsedUri::plain(
                Target::Lite(PathBuf::from(s)),
                Scheme::Lite,
            ));
        }
        None => {
            return Err(Error::NotAUri {
                origin: origin.clone(),
                hint: Hint(None),
            });
        }
    };
    let scheme = match scheme_str.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        "tcp" => Scheme::Tcp,
        "grpc" => Scheme::Grpc,
        _ if !rest.starts_with("//") && s.ends_with(".db") => {
            // `C:\data\x.db` or `dir:x/milvus.db`: a local path, not a URI.
            return Ok(ParsedUri::plain(
                Target::Lite(PathBuf::from(s)),
                Scheme::Lite,
            ));
        }
        _ if !rest.starts_with("//") && looks_like_host_port(s) => {
            return Err(Error::NotAUri {
                origin: origin.clone(),
                hint: Hint(Some(
                    "to give host:port, use the address argument or write http://HOST:PORT",
                )),
            });
        }
        _ => {
            return Err(Error::UnsupportedScheme {
                origin: origin.clone(),
                scheme: scheme_str.to_owned(),
            });
        }
    };
    let Some(after_slashes) = rest.strip_prefix("//") else {
        return Err(Error::NotAUri {
            origin: origin.clone(),
            hint: Hint(Some(
                "the scheme must be followed by //, as in tcp://HOST:PORT",
            )),
        });
    };
    parse_hierarchical(scheme, after_slashes, origin)
}

/// Parses what follows `scheme://`.
fn parse_hierarchical(scheme: Scheme, rest: &str, origin: &Origin) -> Result<ParsedUri, Error> {
    // The authority ends at the first '/', '?' or '#'. An '@' after that point means the
    // userinfo holds one of those characters unencoded: the split would be wrong, and the
    // "port" or "host" we would report could be part of the password.
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len()).max(auth_end);
    let unencoded = || Error::UnencodedUserinfo {
        origin: origin.clone(),
    };
    if rest[auth_end..path_end].contains('@') {
        return Err(unencoded());
    }
    // An '@' in the query or fragment is fine, unless the URI does not parse: then it is
    // most likely a password with an unencoded '?' or '#', and no part may be echoed.
    let suspicious = rest[path_end..].contains('@');
    parse_authority_and_path(scheme, rest, auth_end, origin)
        .map_err(|e| if suspicious { unencoded() } else { e })
}

fn parse_authority_and_path(
    scheme: Scheme,
    rest: &str,
    auth_end: usize,
    origin: &Origin,
) -> Result<ParsedUri, Error> {
    let authority = &rest[..auth_end];
    let host_port = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    // Check the port ourselves, so the message can name it.
    let port_text = port_text(host_port);
    let port = match port_text {
        Some(p) if !p.is_empty() => Some(parse_port(p, origin)?),
        _ => None,
    };
    // A non-special scheme keeps `url` from eliding or defaulting ports (`http://h:80`).
    let url = url::Url::parse(&format!("milvus://{rest}")).map_err(|e| match e {
        url::ParseError::EmptyHost => Error::EmptyHost {
            origin: origin.clone(),
        },
        e => Error::InvalidUri {
            origin: origin.clone(),
            reason: uri_reason(e),
        },
    })?;
    let host = match url.host() {
        None => {
            return Err(Error::EmptyHost {
                origin: origin.clone(),
            });
        }
        Some(url::Host::Ipv6(ip)) => Host::from(ip),
        Some(url::Host::Ipv4(ip)) => Host::from(ip),
        Some(url::Host::Domain("")) => {
            return Err(Error::EmptyHost {
                origin: origin.clone(),
            });
        }
        Some(url::Host::Domain(d)) => parse_domain(d, origin)?,
    };
    let port = port.unwrap_or(match scheme {
        Scheme::Https => Port::HTTPS,
        _ => Port::MILVUS,
    });
    let user = match url.username() {
        "" => None,
        u => Some(decode(u, origin, "user name")?),
    };
    let password = match url.password() {
        None | Some("") => None,
        Some(p) => Some(SecretString::from(decode(p, origin, "password")?)),
    };
    // The database, percent-decoded and trimmed like every other value.
    let db = match url.path().split('/').find(|seg| !seg.is_empty()) {
        None => None,
        Some(seg) => Some(trim(&decode(seg, origin, "database path")?).to_owned())
            .filter(|db| !db.is_empty()),
    };
    Ok(ParsedUri {
        target: Target::Tcp { host, port },
        scheme,
        user,
        password,
        db,
    })
}

/// The text after the port colon of `host[:port]`, if there is a colon outside brackets.
fn port_text(host_port: &str) -> Option<&str> {
    let after_bracket = match host_port.rfind(']') {
        Some(i) => &host_port[i + 1..],
        None => host_port,
    };
    after_bracket.rfind(':').map(|i| &after_bracket[i + 1..])
}

/// Percent-decodes a URI part, rejecting invalid escapes, non-UTF-8 results and control
/// characters.
fn decode(s: &str, origin: &Origin, part: &'static str) -> Result<String, Error> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(Error::PercentEncoding {
                origin: origin.clone(),
                part,
            });
        }
    }
    let decoded = percent_decode_str(s)
        .decode_utf8()
        .map_err(|_| Error::PercentEncoding {
            origin: origin.clone(),
            part,
        })?;
    if decoded.chars().any(char::is_control) {
        return Err(Error::ControlCharacter {
            origin: origin.clone(),
        });
    }
    Ok(decoded.into_owned())
}

#[cfg(test)]
mod tests;
