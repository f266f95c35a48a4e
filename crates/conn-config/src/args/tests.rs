use std::path::PathBuf;

use super::{ConnectArgs, redact_uri_password};

/// An empty path counts as not given (`docs/resolution.md`, "Inputs"), as an empty
/// string does for every other argument: it turns TLS on no more than an absent one,
/// and it clears a path given before, as `uri("")` clears a URI.
#[test]
fn empty_tls_paths_count_as_not_given() {
    type Setter = fn(ConnectArgs, PathBuf) -> ConnectArgs;
    let setters: [(&str, Setter); 4] = [
        ("server_pem_path", |a, p| a.server_pem_path(p)),
        ("ca_pem_path", |a, p| a.ca_pem_path(p)),
        ("client_pem_path", |a, p| a.client_pem_path(p)),
        ("client_key_path", |a, p| a.client_key_path(p)),
    ];
    for (name, set) in setters {
        let args = set(ConnectArgs::new(), PathBuf::new());
        assert!(args.is_empty(), "{name}");
        let spec = set(ConnectArgs::new().uri("http://h:1"), PathBuf::from(""))
            .resolve_isolated()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!spec.security().is_tls(), "{name}");
        let cleared = set(
            set(ConnectArgs::new(), PathBuf::from("/c/x.pem")),
            PathBuf::new(),
        );
        assert!(cleared.is_empty(), "{name}: a later empty path clears it");
    }
    // The `&str` spelling, as an SDK passes a Python-style keyword value.
    assert!(ConnectArgs::new().ca_pem_path("").is_empty());
}

#[test]
fn uri_passwords_are_redacted_in_debug() {
    let rows = [
        ("http://h:1/db", "http://h:1/db"),
        ("http://root@h", "http://root@h"),
        ("http://root:pw@h:1/db", "http://root:<redacted>@h:1/db"),
        ("http://root:p@ss:w@h", "http://root:<redacted>@h"),
        ("http://root:p#ss@h", "http://root:<redacted>@h"),
        ("http://root:p/ss@h/db", "http://root:<redacted>@h/db"),
        ("http://:pw@h", "http://:<redacted>@h"),
        ("unix:/tmp/s.sock", "unix:/tmp/s.sock"),
        ("http:root:pw@h", "http:<redacted>@h"),
        ("x\"y:QzX://a:b@h", "x\"y:<redacted>@h"),
        ("./x.db", "./x.db"),
    ];
    for (input, expected) in rows {
        assert_eq!(redact_uri_password(input), expected, "{input}");
    }
}
