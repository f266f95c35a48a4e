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

/// Each input is rejected with a message that holds the expected text.
fn rejects<T: std::fmt::Debug>(bad: &[(&str, &str)], parse: impl Fn(&str) -> Result<T, Error>) {
    for (input, expected) in bad {
        let e = parse(input).expect_err(input);
        assert!(e.to_string().contains(expected), "{input}: {e}");
    }
}

/// Each input is accepted, and `show` of what it parses to is the expected text.
fn accepts<T>(
    ok: &[(&str, &str)],
    parse: impl Fn(&str) -> Result<T, Error>,
    show: impl Fn(T) -> String,
) {
    for (input, expected) in ok {
        let value = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(show(value), *expected, "{input}");
    }
}

/// A row without user, password or database.
fn plain(input: &'static str, address: &'static str, scheme: Scheme) -> Ok6 {
    (input, address, scheme, None, None, None)
}

#[test]
fn accepted_uris() {
    use Scheme::*;
    let rows: &[Ok6] = &[
        plain("http://localhost:19530", "localhost:19530", Http),
        plain("http://localhost", "localhost:19530", Http),
        plain("https://Example.COM", "example.com:443", Https),
        plain("HTTPS://example.com:19530", "example.com:19530", Https),
        plain("http://h:80", "h:80", Http),
        plain("https://h:443", "h:443", Https),
        plain("tcp://LocalHost:1", "localhost:1", Tcp),
        plain("grpc://h:2", "h:2", Grpc),
        plain("GrPc://h", "h:19530", Grpc),
        plain("http://[::1]:19530", "[::1]:19530", Http),
        plain("http://[0:0::1]", "[::1]:19530", Http),
        plain("tcp://[::ffff:1.2.3.4]:5", "[::ffff:102:304]:5", Tcp),
        plain("http://127.0.0.1:019530", "127.0.0.1:19530", Http),
        plain("http://h:/", "h:19530", Http),
        plain("http://h:65535", "h:65535", Http),
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
        plain("http://@h", "h:19530", Http),
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
        plain("http://h/", "h:19530", Http),
        (
            "http://h/d%62?x=1#frag",
            "h:19530",
            Http,
            None,
            None,
            Some("db"),
        ),
        plain("http://h?q=/@x", "h:19530", Http),
        // The database is trimmed like every other value.
        ("http://h/%20x%20", "h:19530", Http, None, None, Some("x")),
        plain("http://h/%20/y", "h:19530", Http),
        plain("unix:/tmp/milvus.sock", "unix:/tmp/milvus.sock", Unix),
        plain("UNIX:/tmp/m.sock", "unix:/tmp/m.sock", Unix),
        plain("unix:///tmp/m.sock", "unix:/tmp/m.sock", Unix),
        plain("unix:rel.sock", "unix:rel.sock", Unix),
        plain("./milvus.db", "./milvus.db", Lite),
        plain("/data/milvus.db", "/data/milvus.db", Lite),
        plain("milvus.db", "milvus.db", Lite),
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
    accepts(
        ok,
        |input| parse_host(input, &Origin::Explicit { arg: "host" }),
        |host| host.to_uri_host(),
    );
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
    rejects(bad, |input| {
        parse_host(input, &Origin::Explicit { arg: "host" })
    });
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
    accepts(ok, |input| parse_server_name(input, &o), |name| name);
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
    accepts(
        &[
            ("localhost:19530", "localhost:19530"),
            ("Milvus.Local:1", "milvus.local:1"),
            ("[::1]:19530", "[::1]:19530"),
            ("10.0.0.1:0080", "10.0.0.1:80"),
        ],
        |input| parse_address(input, &o),
        |(h, p)| format!("{}:{p}", h.to_uri_host()),
    );
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
    rejects(bad, |input| parse_address(input, &o));
}
