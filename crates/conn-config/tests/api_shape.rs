//! The public surface's promises (issue 12): `Display` honours width and fill, kinds are
//! enums, `explain()` has one row per field and never a secret, `Host` is valid by
//! construction, errors name their key as a `Key`.

use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use conn_config::secrecy::{ExposeSecret as _, SecretString};
use conn_config::{
    AuthKind, ConnectArgs, DotEnv, Error, Field, Host, Key, MapEnv, Origin, Port, Resolver,
    SourceKind, TargetKind, TlsMode,
};

/// `{:<12}|` pads on the right and `{:>12}|` on the left, to 12 characters, for a value
/// whose text is shorter than 12; `{:*^12}` centres with the fill.
fn pads(what: &str, value: &dyn Display) {
    let plain = value.to_string();
    assert!(plain.chars().count() < 12, "{what}: pick a shorter value");
    let left = format!("{value:<12}|");
    let right = format!("{value:>12}|");
    let centre = format!("{value:*^12}");
    assert_eq!(
        left,
        format!("{plain}{}|", " ".repeat(12 - plain.chars().count())),
        "{what}"
    );
    assert_eq!(
        right,
        format!("{}{plain}|", " ".repeat(12 - plain.chars().count())),
        "{what}"
    );
    assert_eq!(centre.chars().count(), 12, "{what}: {centre:?}");
    assert!(
        centre.starts_with('*') && centre.contains(&plain),
        "{what}: {centre:?}"
    );
}

fn spec() -> conn_config::ConnectionSpec {
    Resolver::with_env(MapEnv::from_pairs([("MILVUS_CONN_TIMEOUT", "3")]))
        .dotenv(DotEnv::Disabled)
        .resolve(
            &ConnectArgs::new()
                .uri("https://root:hunter2@h1/db1")
                .alias("a1"),
        )
        .expect("resolves")
}

#[test]
fn display_honours_width_and_fill() {
    let spec = spec();
    pads("Field", &Field::Target);
    pads("Field::Security", &Field::Security);
    pads("Key", &Key::Uri);
    pads("Target", spec.target());
    pads("DbName", spec.db_name());
    pads("Alias", spec.alias());
    pads("Host (name)", &Host::localhost());
    pads("Host (IPv4)", &Host::from(Ipv4Addr::new(10, 0, 0, 1)));
    pads("Host (IPv6)", &Host::from(Ipv6Addr::LOCALHOST));
    pads("Port", &Port::MILVUS);
    pads("Origin", &Origin::Default);
    // Composite values are formatted, then padded as a whole.
    assert_eq!(
        format!(
            "{:<16}|{:>16}|",
            Origin::Explicit { arg: "uri" },
            Origin::Env { var: "X" }
        ),
        "uri (argument)  | X (environment)|"
    );
    assert_eq!(
        format!("{:>22}|", spec.security()),
        "  tls (platform_roots)|"
    );
    pads("TlsMode", &TlsMode::OneWay);
    pads("TargetKind", &TargetKind::Unix);
    pads("AuthKind", &AuthKind::Token);
    pads("SourceKind", &SourceKind::DotEnv);
    pads("Security", &conn_config::Security::Plaintext);
    // Longer than the width: shown whole, not cut.
    assert_eq!(format!("{:<3}", Field::KeepAlive), "keep_alive");
    // Precision cuts, as for str.
    assert_eq!(format!("{:.3}", Key::MilvusUri), "MIL");
}

#[test]
fn kinds_are_enums_with_their_old_text() {
    let spec = spec();
    assert_eq!(spec.target().kind(), TargetKind::Tcp);
    assert_eq!(spec.target().kind().as_str(), "tcp");
    assert_eq!(spec.auth().kind(), AuthKind::UserPassword);
    assert_eq!(spec.auth().kind().to_string(), "user_password");
    assert_eq!(spec.origin(Field::Auth).source_kind(), SourceKind::Explicit);
    assert_eq!(spec.origin(Field::Auth).source_kind().as_str(), "argument");
    assert_eq!(
        spec.origin(Field::Timeout).source_kind().as_str(),
        "environment"
    );
    assert_eq!(
        spec.origin(Field::Timeout).key(),
        Some(Key::MilvusConnTimeout)
    );
    assert_eq!(spec.origin(Field::Target).key(), Some(Key::Uri));
    assert_eq!(spec.origin(Field::KeepAlive).key(), None);
    // Ordered by precedence.
    let mut kinds = [
        SourceKind::Explicit,
        SourceKind::Default,
        SourceKind::Stored,
        SourceKind::DotEnv,
        SourceKind::Env,
    ];
    kinds.sort();
    assert_eq!(
        kinds.map(SourceKind::as_str),
        ["default", ".env", "environment", "stored", "argument"]
    );
    assert_eq!(Field::Security.as_str(), "security");
}

#[test]
fn explain_has_one_row_per_field_and_no_secret() {
    let spec = spec();
    let rows: Vec<_> = spec.explain().collect();
    assert_eq!(rows.len(), Field::ALL.len());
    for (row, field) in rows.iter().zip(Field::ALL) {
        assert_eq!(row.field(), field);
        assert_eq!(row.value(), spec.display_value(field));
        assert_eq!(row.origin(), spec.origin(field));
        assert!(!row.value().contains("hunter2"), "{row}");
        assert!(!row.to_string().contains("hunter2"), "{row}");
    }
    let text: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.field().as_str(), r.value()))
        .collect();
    assert_eq!(
        text,
        [
            ("alias", "a1"),
            ("target", "h1:443 (tcp)"),
            ("security", "tls (platform_roots)"),
            ("auth", "user_password (user root)"),
            ("db_name", "db1"),
            ("timeout", "3s"),
            ("keep_alive", "false"),
        ]
    );
    assert_eq!(
        rows[5].to_string(),
        "timeout: 3s (from MILVUS_CONN_TIMEOUT (environment))"
    );
    // The secret is still there for the transport.
    assert_eq!(
        spec.authorization().map(|a| a.expose_secret().to_owned()),
        Some("cm9vdDpodW50ZXIy".to_owned())
    );
    let token = ConnectArgs::new()
        .token(SecretString::from("t0ken"))
        .resolve_isolated()
        .expect("resolves");
    assert_eq!(token.display_value(Field::Auth), "token");
    assert!(token.explain().all(|r| !r.value().contains("t0ken")));
}

#[test]
fn host_is_valid_by_construction() {
    let name = Host::parse("Milvus.Example.com.").expect("a host name");
    assert_eq!(name.as_name(), Some("milvus.example.com."));
    assert_eq!(name.as_ip(), None);
    let v6 = Host::parse("[::1]").expect("an IPv6 address");
    assert_eq!(v6, Host::from(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    assert_eq!((v6.as_name(), v6.to_uri_host()), (None, "[::1]".to_owned()));
    assert!(v6.is_loopback());
    for bad in ["", " h", "a b", "a..b", "x:1", "[::1", &"a".repeat(300)] {
        assert_eq!(Host::parse(bad), None, "{bad:?}");
    }
    // What the resolver builds is what `parse` builds.
    let spec = ConnectArgs::new()
        .host("Db.Internal")
        .resolve_isolated()
        .expect("ok");
    assert_eq!(spec.target().host(), Host::parse("db.internal").as_ref());
}

#[test]
fn errors_name_a_key_and_hold_no_foreign_type() {
    let errors = ConnectArgs::new()
        .uri("http://[::1")
        .client_pem_path("/c.pem")
        .resolve_isolated()
        .expect_err("bad");
    let fields: Vec<Key> = errors.iter().map(Error::field).collect();
    assert_eq!(fields, [Key::Uri, Key::ClientKeyPath]);
    assert!(fields[0] == "uri" && fields[1].is_argument());
    match errors.first() {
        Error::InvalidUri { reason, .. } => {
            let reason: &'static str = reason;
            assert_eq!(reason, "invalid IPv6 address");
        }
        other => panic!("{other:?}"),
    }
}
