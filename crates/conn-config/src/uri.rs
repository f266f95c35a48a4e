//! URI, address, host and port parsing.
//!
//! The grammar (CONTRACT.md section 3):
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

use std::net::Ipv6Addr;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use secrecy::SecretString;

use crate::error::{Error, Hint};
use crate::origin::Origin;
use crate::spec::{Host, Port, Target};
use crate::text::trim;

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
fn looks_like_host_port(s: &str) -> bool {
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

/// Normalises a domain (or an IPv4 address written as one) the way special URLs do, then
/// checks the host-name syntax of the result (see [`check_domain`]).
fn parse_domain(d: &str, origin: &Origin) -> Result<Host, Error> {
    match url::Host::parse(d) {
        Ok(url::Host::Domain(name)) => match check_domain(&name) {
            Ok(()) => Ok(Host::checked_name(name)),
            Err(reason) => Err(Error::InvalidHost {
                origin: origin.clone(),
                host: d.to_owned(),
                reason,
            }),
        },
        Ok(url::Host::Ipv4(ip)) => Ok(Host::from(ip)),
        Ok(url::Host::Ipv6(ip)) => Ok(Host::from(ip)),
        Err(url::ParseError::EmptyHost) => Err(Error::EmptyHost {
            origin: origin.clone(),
        }),
        Err(e) => Err(Error::InvalidHost {
            origin: origin.clone(),
            host: d.to_owned(),
            // url reports a forbidden character as an IDNA failure; say what it is.
            reason: if d.contains(FORBIDDEN_HOST_CHARS) {
                host_reason(url::ParseError::InvalidDomainCharacter)
            } else {
                host_reason(e)
            },
        }),
    }
}

/// The host-name rule (docs/resolution.md, "URI grammar"), applied to a name after IDNA
/// mapping: dot-separated labels of ASCII letters, digits, `-` and `_`, each
/// 1..=[`Host::MAX_LABEL_LEN`] bytes, at most [`Host::MAX_LEN`] bytes in all. One trailing
/// dot (a fully qualified name, `host.`) is allowed, as DNS resolvers and pymilvus allow it.
pub(crate) fn check_domain(name: &str) -> Result<(), &'static str> {
    if name.len() > Host::MAX_LEN {
        return Err("a host name is at most 253 characters");
    }
    let labels = name.strip_suffix('.').unwrap_or(name);
    for label in labels.split('.') {
        if label.is_empty() {
            return Err("an empty label (a leading dot, or two dots in a row)");
        }
        if label.len() > Host::MAX_LABEL_LEN {
            return Err("a label of a host name is at most 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return Err("a character not allowed in a host name");
        }
    }
    Ok(())
}

/// Parses `server_name`: a DNS name (the host-name rule, IDNA-mapped and lower-cased like a
/// host, labels neither starting nor ending with `-`, as the TLS library requires) or an IP
/// address (an IPv6 one with or without brackets), with no port. Returns the name as TLS
/// will check it.
pub(crate) fn parse_server_name(s: &str, origin: &Origin) -> Result<String, Error> {
    let invalid = |reason| Error::InvalidServerName {
        origin: origin.clone(),
        value: s.to_owned(),
        reason,
    };
    if s.chars().any(char::is_whitespace) {
        return Err(invalid("a host name has no spaces"));
    }
    let bare = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    if let Ok(ip) = bare.parse::<Ipv6Addr>() {
        return Ok(ip.to_string());
    }
    if s.contains(':') {
        return Err(invalid(if looks_like_host_port(s) {
            "a server name has no port"
        } else {
            "not a DNS name or an IP address"
        }));
    }
    match url::Host::parse(s) {
        Ok(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
        Ok(url::Host::Ipv6(ip)) => Ok(ip.to_string()),
        Ok(url::Host::Domain(name)) => {
            check_domain(&name).map_err(invalid)?;
            let labels = name.strip_suffix('.').unwrap_or(&name);
            if labels
                .split('.')
                .any(|l| l.starts_with('-') || l.ends_with('-'))
            {
                return Err(invalid(
                    "a label of a DNS name neither starts nor ends with '-'",
                ));
            }
            Ok(name)
        }
        Err(url::ParseError::EmptyHost) => Err(invalid("empty")),
        Err(e) => Err(invalid(
            if s.contains(FORBIDDEN_HOST_CHARS) || s.contains('*') {
                "a character not allowed in a host name"
            } else {
                host_reason(e)
            },
        )),
    }
}

/// Characters the WHATWG URL standard forbids in a domain.
const FORBIDDEN_HOST_CHARS: [char; 13] = [
    ' ', '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|',
];

/// What the `url` crate's error means, in its own words (so messages are as before), without
/// making its type part of our API.
fn uri_reason(e: url::ParseError) -> &'static str {
    use url::ParseError as P;
    match e {
        P::EmptyHost => "empty host",
        P::IdnaError => "invalid international domain name",
        P::InvalidPort => "invalid port number",
        P::InvalidIpv4Address => "invalid IPv4 address",
        P::InvalidIpv6Address => "invalid IPv6 address",
        P::InvalidDomainCharacter => "invalid domain character",
        P::RelativeUrlWithoutBase => "relative URL without a base",
        P::RelativeUrlWithCannotBeABaseBase => "relative URL with a cannot-be-a-base base",
        P::SetHostOnCannotBeABaseUrl => "a cannot-be-a-base URL doesn’t have a host to set",
        P::Overflow => "URLs more than 4 GB are not supported",
        _ => "not a valid URI",
    }
}

fn host_reason(e: url::ParseError) -> &'static str {
    match e {
        url::ParseError::InvalidIpv4Address => "not a valid IPv4 address",
        url::ParseError::InvalidIpv6Address => "not a valid IPv6 address",
        url::ParseError::InvalidDomainCharacter => "a character not allowed in a host name",
        url::ParseError::IdnaError => "not a valid international domain name",
        _ => "not a valid host name",
    }
}

/// Parses the `host` argument: a domain, an IPv4 address, or an IPv6 address with or
/// without brackets.
pub(crate) fn parse_host(s: &str, origin: &Origin) -> Result<Host, Error> {
    if s.is_empty() {
        return Err(Error::EmptyHost {
            origin: origin.clone(),
        });
    }
    if let Some(inner) = s.strip_prefix('[') {
        return match inner.strip_suffix(']').map(str::parse::<Ipv6Addr>) {
            Some(Ok(ip)) => Ok(Host::from(ip)),
            _ => Err(Error::InvalidHost {
                origin: origin.clone(),
                host: s.to_owned(),
                reason: host_reason(url::ParseError::InvalidIpv6Address),
            }),
        };
    }
    if s.contains(':') {
        return s
            .parse::<Ipv6Addr>()
            .map(Host::from)
            .map_err(|_| Error::InvalidHost {
                origin: origin.clone(),
                host: s.to_owned(),
                reason: "a ':' in a host is only allowed in an IPv6 address",
            });
    }
    parse_domain(s, origin)
}

/// Parses a port: ASCII digits only, leading zeros dropped, 1..=65535.
pub(crate) fn parse_port(s: &str, origin: &Origin) -> Result<Port, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::PortNotNumeric {
            origin: origin.clone(),
            value: s.to_owned(),
        });
    }
    let digits = s.trim_start_matches('0');
    let out_of_range = || Error::PortOutOfRange {
        origin: origin.clone(),
        value: s.to_owned(),
    };
    if digits.len() > 5 {
        return Err(out_of_range());
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| out_of_range())?
    };
    u16::try_from(n)
        .ok()
        .and_then(Port::new)
        .ok_or_else(out_of_range)
}

/// Parses `address`: `host:port`, `[v6]:port` for IPv6; both parts required.
pub(crate) fn parse_address(s: &str, origin: &Origin) -> Result<(Host, Port), Error> {
    let invalid = |reason| Error::InvalidAddress {
        origin: origin.clone(),
        value: s.to_owned(),
        reason,
    };
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']').ok_or_else(|| invalid("unclosed '['"))?;
        let port = s[close + 1..]
            .strip_prefix(':')
            .ok_or_else(|| invalid("no port after the IPv6 address"))?;
        (&s[..=close], port)
    } else {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| invalid("no port; write host:port"))?;
        if host.contains(':') {
            return Err(invalid("write an IPv6 address in brackets: [::1]:19530"));
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(invalid("no port; write host:port"));
    }
    if host.is_empty() {
        return Err(Error::EmptyHost {
            origin: origin.clone(),
        });
    }
    Ok((parse_host(host, origin)?, parse_port(port, origin)?))
}

impl Host {
    /// Parses a host as the `host` argument is parsed (docs/resolution.md): a domain name
    /// (lower-cased and IDNA-normalised, then checked against the host-name syntax), an
    /// IPv4 address, or an IPv6 address with or without brackets. `None` when `s` is none
    /// of these (surrounding whitespace included: nothing is trimmed).
    ///
    /// ```
    /// use conn_config::Host;
    /// assert_eq!(Host::parse("Milvus.Example.COM").unwrap().as_name(), Some("milvus.example.com"));
    /// assert_eq!(Host::parse("[::1]").unwrap().to_string(), "::1");
    /// assert!(Host::parse("").is_none() && Host::parse("a b").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Host> {
        parse_host(s, &Origin::Default).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn origin() -> Origin {
        Origin::Explicit { arg: "uri" }
    }

    /// (input, address, scheme, user, password, db)
    type Ok6 = (
        &'static str,
        &'static str,
        Scheme,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn accepted_uris() {
        use Scheme::*;
        let rows: &[Ok6] = &[
            (
                "http://localhost:19530",
                "localhost:19530",
                Http,
                None,
                None,
                None,
            ),
            (
                "http://localhost",
                "localhost:19530",
                Http,
                None,
                None,
                None,
            ),
            (
                "https://Example.COM",
                "example.com:443",
                Https,
                None,
                None,
                None,
            ),
            (
                "HTTPS://example.com:19530",
                "example.com:19530",
                Https,
                None,
                None,
                None,
            ),
            ("http://h:80", "h:80", Http, None, None, None),
            ("https://h:443", "h:443", Https, None, None, None),
            ("tcp://LocalHost:1", "localhost:1", Tcp, None, None, None),
            ("grpc://h:2", "h:2", Grpc, None, None, None),
            ("GrPc://h", "h:19530", Grpc, None, None, None),
            ("http://[::1]:19530", "[::1]:19530", Http, None, None, None),
            ("http://[0:0::1]", "[::1]:19530", Http, None, None, None),
            (
                "tcp://[::ffff:1.2.3.4]:5",
                "[::ffff:102:304]:5",
                Tcp,
                None,
                None,
                None,
            ),
            (
                "http://127.0.0.1:019530",
                "127.0.0.1:19530",
                Http,
                None,
                None,
                None,
            ),
            ("http://h:/", "h:19530", Http, None, None, None),
            ("http://h:65535", "h:65535", Http, None, None, None),
            ("http://u:p@h", "h:19530", Http, Some("u"), Some("p"), None),
            (
                "http://us:p:a@ss@h",
                "h:19530",
                Http,
                Some("us"),
                Some("p:a@ss"),
                None,
            ),
            (
                "http://r%40ot:p%40ss%3Aw@h",
                "h:19530",
                Http,
                Some("r@ot"),
                Some("p@ss:w"),
                None,
            ),
            ("http://u@h", "h:19530", Http, Some("u"), None, None),
            ("http://:p@h", "h:19530", Http, None, Some("p"), None),
            ("http://@h", "h:19530", Http, None, None, None),
            ("http://h/db1", "h:19530", Http, None, None, Some("db1")),
            (
                "http://h/db1/coll",
                "h:19530",
                Http,
                None,
                None,
                Some("db1"),
            ),
            ("http://h//dbx", "h:19530", Http, None, None, Some("dbx")),
            ("http://h/", "h:19530", Http, None, None, None),
            (
                "http://h/d%62?x=1#frag",
                "h:19530",
                Http,
                None,
                None,
                Some("db"),
            ),
            ("http://h?q=/@x", "h:19530", Http, None, None, None),
            // The database is trimmed like every other value.
            ("http://h/%20x%20", "h:19530", Http, None, None, Some("x")),
            ("http://h/%20/y", "h:19530", Http, None, None, None),
            (
                "unix:/tmp/milvus.sock",
                "unix:/tmp/milvus.sock",
                Unix,
                None,
                None,
                None,
            ),
            (
                "UNIX:/tmp/m.sock",
                "unix:/tmp/m.sock",
                Unix,
                None,
                None,
                None,
            ),
            (
                "unix:///tmp/m.sock",
                "unix:/tmp/m.sock",
                Unix,
                None,
                None,
                None,
            ),
            ("unix:rel.sock", "unix:rel.sock", Unix, None, None, None),
            ("./milvus.db", "./milvus.db", Lite, None, None, None),
            ("/data/milvus.db", "/data/milvus.db", Lite, None, None, None),
            ("milvus.db", "milvus.db", Lite, None, None, None),
        ];
        for (input, address, scheme, user, password, db) in rows {
            let parsed = parse_uri(input, &origin()).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.target.address(), *address, "address of {input}");
            assert_eq!(parsed.scheme, *scheme, "scheme of {input}");
            assert_eq!(parsed.user.as_deref(), *user, "user of {input}");
            assert_eq!(
                parsed.password.as_ref().map(|p| p.expose_secret()),
                *password,
                "password of {input}"
            );
            assert_eq!(parsed.db.as_deref(), *db, "db of {input}");
        }
    }

    #[test]
    fn rejected_uris() {
        let rows: &[(&str, &str)] = &[
            (
                "ftp://localhost:19530",
                "unsupported scheme \"ftp\" in uri (argument)",
            ),
            (
                "localhost:19530",
                "uri (argument) is not a URI (to give host:port",
            ),
            ("tcp:localhost:19530", "the scheme must be followed by //"),
            ("milvus.DB", "uri (argument) is not a URI;"),
            ("just-a-name", "uri (argument) is not a URI;"),
            ("http://", "empty host in uri (argument)"),
            ("http://:19530", "empty host in uri (argument)"),
            ("http://u:p@:1", "empty host in uri (argument)"),
            ("unix:", "no socket path after unix: in uri (argument)"),
            (
                "http://h:0",
                "port 0 in uri (argument) is out of range 1..=65535",
            ),
            (
                "http://h:65536",
                "port 65536 in uri (argument) is out of range 1..=65535",
            ),
            (
                "http://h:99999999999",
                "port 99999999999 in uri (argument) is out of range",
            ),
            (
                "http://h:+1",
                "port \"+1\" in uri (argument) is not a number",
            ),
            (
                "http://h:-1",
                "port \"-1\" in uri (argument) is not a number",
            ),
            (
                "http://h:1x",
                "port \"1x\" in uri (argument) is not a number",
            ),
            ("http://[::1", "invalid URI in uri (argument)"),
            ("http://[notip]:1", "invalid URI in uri (argument)"),
            ("http://exa mple:1", "invalid URI in uri (argument)"),
            ("http://u:p#ss@h:1", "unencoded '/', '?' or '#'"),
            ("http://u:p?ss@h:1", "unencoded '/', '?' or '#'"),
            ("http://u:12/34@h", "unencoded '/', '?' or '#'"),
            (
                "http://u%zz:p@h",
                "invalid percent-encoding in the user name of uri (argument)",
            ),
            (
                "http://u:p%4@h",
                "invalid percent-encoding in the password of uri (argument)",
            ),
            ("http://u:%ff@h", "invalid percent-encoding in the password"),
            (
                "http://h/%zz",
                "invalid percent-encoding in the database path",
            ),
            (
                "http://u:p%0Aq@h",
                "uri (argument) contains a control character",
            ),
            (
                "http://a..b:19530",
                "invalid host \"a..b\" in uri (argument): an empty label",
            ),
            ("http://{}:1", "invalid host \"{}\" in uri (argument)"),
            ("tcp://a%2E%2Eb", "an empty label"),
            ("http://h_%21:1", "a character not allowed in a host name"),
        ];
        for (input, expected) in rows {
            match parse_uri(input, &origin()) {
                Ok(p) => panic!("{input}: expected an error, got {p:?}"),
                Err(e) => assert!(
                    e.to_string().contains(expected),
                    "{input}: {e:?} ({e}) does not contain {expected:?}"
                ),
            }
        }
    }

    #[test]
    fn errors_never_echo_the_password() {
        for input in [
            "http://u:s3cr3t#@h",
            "http://u:99999@h:x",
            "http://u:s3cr3t@:1",
        ] {
            if let Err(e) = parse_uri(input, &origin()) {
                let text = format!("{e} {e:?}");
                assert!(
                    !text.contains("s3cr3t") && !text.contains("99999"),
                    "{input}: {text}"
                );
            }
        }
    }

    #[test]
    fn hosts() {
        let ok: &[(&str, &str)] = &[
            ("localhost", "localhost"),
            ("MILVUS.Example.com", "milvus.example.com"),
            ("127.0.0.1", "127.0.0.1"),
            ("::1", "[::1]"),
            ("[::1]", "[::1]"),
            ("0:0::1", "[::1]"),
            ("bücher.de", "xn--bcher-kva.de"),
            ("host.", "host."),
            ("my_host-1.local", "my_host-1.local"),
            ("ＡＢＣ.example", "abc.example"),
        ];
        for (input, expected) in ok {
            let host = parse_host(input, &Origin::Explicit { arg: "host" })
                .unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(host.to_uri_host(), *expected, "{input}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "empty host"),
            ("a b", "invalid host \"a b\""),
            ("h/x", "invalid host"),
            ("[::1", "not a valid IPv6 address"),
            ("::g", "only allowed in an IPv6 address"),
            ("u@h", "invalid host"),
            ("{}", "a character not allowed in a host name"),
            ("a..b", "an empty label"),
            (".a", "an empty label"),
            ("a.b..", "an empty label"),
            ("a*b", "a character not allowed in a host name"),
            ("a!b", "a character not allowed in a host name"),
            (
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
                "a label of a host name is at most 63 characters",
            ),
        ];
        for (input, expected) in bad {
            let e = parse_host(input, &Origin::Explicit { arg: "host" }).expect_err(input);
            assert!(e.to_string().contains(expected), "{input}: {e}");
        }
    }

    #[test]
    fn server_names() {
        let o = Origin::Explicit { arg: "server_name" };
        let ok: &[(&str, &str)] = &[
            ("milvus.example.com", "milvus.example.com"),
            ("MILVUS.local", "milvus.local"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("127.0.0.1", "127.0.0.1"),
            ("::1", "::1"),
            ("[0:0::1]", "::1"),
            ("a_b.example", "a_b.example"),
            ("host.", "host."),
        ];
        for (input, expected) in ok {
            let name = parse_server_name(input, &o).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(name, *expected, "{input}");
        }
        let bad: &[(&str, &str)] = &[
            ("a..b", "an empty label"),
            ("*.example", "a character not allowed in a host name"),
            ("h:19530", "a server name has no port"),
            ("[::1]:443", "a server name has no port"),
            ("a:b:c", "not a DNS name or an IP address"),
            ("my host", "a host name has no spaces"),
            (
                "-x.example",
                "a label of a DNS name neither starts nor ends with '-'",
            ),
            (
                "x-.example",
                "a label of a DNS name neither starts nor ends with '-'",
            ),
            ("1.2.3.999", "not a valid IPv4 address"),
            ("{}", "a character not allowed in a host name"),
        ];
        for (input, expected) in bad {
            let e = parse_server_name(input, &o).expect_err(input);
            assert!(
                e.to_string().starts_with(&format!(
                    "server name {input:?} in server_name (argument) is invalid: {expected}"
                )),
                "{input}: {e}"
            );
        }
    }

    #[test]
    fn long_values_are_clipped_in_messages() {
        let host = format!("{}{{}}", "h".repeat(300));
        let e = parse_host(&host, &Origin::Explicit { arg: "host" }).expect_err("bad host");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "invalid host \"{}\"… (302 bytes) in host (argument)",
                "h".repeat(100)
            )),
            "{text}"
        );
    }

    #[test]
    fn ports() {
        let o = Origin::Explicit { arg: "port" };
        for (input, expected) in [("1", 1), ("19530", 19530), ("00080", 80), ("65535", 65535)] {
            assert_eq!(
                parse_port(input, &o).map(Port::get).ok(),
                Some(expected),
                "{input}"
            );
        }
        for input in [
            "0", "000", "65536", "70000", "+5", "-5", " 5", "5 ", "1_000", "", "１",
        ] {
            assert!(parse_port(input, &o).is_err(), "{input:?} accepted");
        }
    }

    #[test]
    fn addresses() {
        let o = Origin::Explicit { arg: "address" };
        let ok: &[(&str, &str)] = &[
            ("localhost:19530", "localhost:19530"),
            ("Milvus.Local:1", "milvus.local:1"),
            ("[::1]:19530", "[::1]:19530"),
            ("10.0.0.1:0080", "10.0.0.1:80"),
        ];
        for (input, expected) in ok {
            let (h, p) = parse_address(input, &o).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(format!("{}:{p}", h.to_uri_host()), *expected);
        }
        let bad: &[(&str, &str)] = &[
            ("localhost", "no port"),
            ("localhost:", "no port"),
            (":19530", "empty host"),
            ("::1:19530", "in brackets"),
            ("[::1]", "no port after"),
            ("[::1", "unclosed"),
            ("h:99999", "out of range"),
            ("h:abc", "not a number"),
        ];
        for (input, expected) in bad {
            let e = parse_address(input, &o).expect_err(input);
            assert!(e.to_string().contains(expected), "{input}: {e}");
        }
    }
}
