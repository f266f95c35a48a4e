//! Hosts, ports, addresses and TLS server names, wherever they are written.

use std::net::Ipv6Addr;

use super::looks_like_host_port;
use crate::error::Error;
use crate::origin::Origin;
use crate::spec::{Host, Port};

/// Normalises a domain (or an IPv4 address written as one) the way special URLs do, then
/// checks the host-name syntax of the result (see [`check_domain`]).
pub(super) fn parse_domain(d: &str, origin: &Origin) -> Result<Host, Error> {
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
pub(super) fn uri_reason(e: url::ParseError) -> &'static str {
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
