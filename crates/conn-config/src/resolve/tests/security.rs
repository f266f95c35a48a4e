//! TLS on and off, and the server name.

use super::*;

#[test]
fn security_rules() {
    let r = resolver(&[]);
    let tls = |args: ConnectArgs| r.resolve(&args).expect("resolves");
    assert!(tls(ConnectArgs::new().uri("https://h")).is_secure());
    assert_eq!(
        tls(ConnectArgs::new().uri("https://h")).target().address(),
        "h:443"
    );
    assert!(tls(ConnectArgs::new().uri("http://h").secure(true)).is_secure());
    assert!(!tls(ConnectArgs::new().uri("http://h").secure(false)).is_secure());
    let s = tls(ConnectArgs::new().uri("http://h").ca_pem_path("ca.pem"));
    let t = s.security().tls().expect("tls on");
    assert_eq!(t.mode(), TlsMode::OneWay);
    assert_eq!(t.ca_files(), [PathBuf::from("ca.pem")]);
    assert_eq!(
        s.origin(Field::Security).to_string(),
        "ca_pem_path (argument)"
    );
    let s = tls(ConnectArgs::new()
        .uri("http://h")
        .server_pem_path("s.pem")
        .ca_pem_path("ca.pem")
        .client_pem_path("c.pem")
        .client_key_path("c.key")
        .server_name("sn"));
    let t = s.security().tls().expect("tls on");
    assert_eq!(t.mode(), TlsMode::Mutual);
    assert_eq!(
        t.ca_files(),
        [PathBuf::from("s.pem"), PathBuf::from("ca.pem")]
    );
    assert_eq!(t.server_pem_path(), Some(Path::new("s.pem")));
    assert_eq!(t.ca_pem_path(), Some(Path::new("ca.pem")));
    let only_ca = tls(ConnectArgs::new().ca_pem_path("ca.pem"));
    let only_ca = only_ca.security().tls().expect("tls on");
    assert_eq!(
        (only_ca.server_pem_path(), only_ca.ca_pem_path()),
        (None, Some(Path::new("ca.pem")))
    );
    let only_server = tls(ConnectArgs::new().server_pem_path("s.pem"));
    let only_server = only_server.security().tls().expect("tls on");
    assert_eq!(
        (only_server.server_pem_path(), only_server.ca_pem_path()),
        (Some(Path::new("s.pem")), None)
    );
    assert_eq!(t.server_name(), Some("sn"));
    let s = tls(ConnectArgs::new()
        .client_pem_path("c.pem")
        .client_key_path("c.key"));
    assert_eq!(s.security().tls().map(TlsSpec::mode), Some(TlsMode::Mutual));
    assert!(s.security().tls().is_some_and(|t| t.ca_files().is_empty()));
    let s = tls(ConnectArgs::new().secure(true));
    assert_eq!(
        s.security().tls().map(TlsSpec::mode),
        Some(TlsMode::PlatformRoots)
    );
    assert_eq!(s.origin(Field::Security).to_string(), "secure (argument)");

    err(
        "https with secure=false",
        &r,
        &ConnectArgs::new().uri("https://h").secure(false),
        &["uri (argument) uses https, but secure (argument) is false"],
    );
    err(
        "MILVUS_URI https with secure=false",
        &resolver(&[("MILVUS_URI", "https://h")]),
        &ConnectArgs::new().secure(false),
        &["MILVUS_URI (environment) uses https, but secure (argument) is false"],
    );
    err(
        "TLS setting with secure=false",
        &r,
        &ConnectArgs::new().secure(false).ca_pem_path("ca.pem"),
        &["ca_pem_path (argument) is a TLS setting, but secure (argument) is false"],
    );
    err(
        "half a client pair",
        &r,
        &ConnectArgs::new().client_pem_path("c.pem"),
        &["client_pem_path (argument) has no client_key_path"],
    );
    err(
        "the other half",
        &r,
        &ConnectArgs::new().client_key_path("c.key").secure(true),
        &["client_key_path (argument) has no client_pem_path"],
    );
}

#[test]
fn server_names() {
    for (given, expected) in [
        ("milvus.example.com", "milvus.example.com"),
        ("Milvus.Example.COM", "milvus.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
        ("host.", "host."),
    ] {
        let spec = resolver(&[])
            .resolve(&ConnectArgs::new().server_name(given))
            .unwrap_or_else(|e| panic!("{given}: {e}"));
        let tls = spec.security().tls().expect("tls");
        assert_eq!(tls.server_name(), Some(expected), "{given}");
    }
    for given in [
        "a..b",
        "*.example",
        "h:19530",
        "[::1]:19530",
        "my host",
        "a/b",
        "x-.example",
        ".",
        "{}",
    ] {
        let errs = resolver(&[])
            .resolve(&ConnectArgs::new().server_name(given))
            .expect_err(given);
        assert!(
            matches!(errs.first(), Error::InvalidServerName { .. }) && errs.len() == 1,
            "{given}: {errs}"
        );
        assert_eq!(errs.first().field(), "server_name", "{given}");
    }
}
