//! The target: its precedence and the default target of the default alias.

use super::*;

#[test]
fn defaults() {
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new())
        .expect("defaults resolve");
    assert_eq!(spec.alias().as_str(), "default");
    assert_eq!(spec.target().address(), "localhost:19530");
    assert!(!spec.is_secure());
    assert_eq!(spec.db_name().as_str(), "default");
    assert_eq!(spec.timeout(), Duration::from_secs(10));
    assert!(matches!(spec.auth(), Auth::None));
    assert!(!spec.keep_alive());
    for f in Field::ALL {
        assert_eq!(spec.origin(f), &Origin::Default, "{f}");
    }
}

#[test]
fn target_precedence() {
    let none: Vars = &[];
    let env: Vars = &[
        ("MILVUS_URI", "http://envhost:1"),
        ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),
    ];
    let rows: Vec<Row2> = rows![
        "address > uri > host/port", none,
            ConnectArgs::new().address("a:1").uri("http://u:2").host("h").port(3),
            "a:1", "address (argument)";
        "uri > host/port", none,
            ConnectArgs::new().uri("http://u:2").host("h").port(3), "u:2", "uri (argument)";
        "host alone", none, ConnectArgs::new().host("h"), "h:19530", "host (argument)";
        "port alone", none, ConnectArgs::new().port("5"), "localhost:5", "port (argument)";
        "host/port > env", env, ConnectArgs::new().port(7), "localhost:7", "";
        "MILVUS_URI > legacy", env, ConnectArgs::new(), "envhost:1", "MILVUS_URI (environment)";
        "legacy alone", &[("MILVUS_DEFAULT_CONNECTION", "http://legacy:2")],
            ConnectArgs::new(), "legacy:2", "MILVUS_DEFAULT_CONNECTION (environment)";
        "empty MILVUS_URI falls through to legacy",
            &[("MILVUS_URI", ""), ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),],
            ConnectArgs::new(), "legacy:2", "";
        "whitespace MILVUS_URI counts as empty",
            &[("MILVUS_URI", " \t"), ("MILVUS_DEFAULT_CONNECTION", "http://legacy:2"),],
            ConnectArgs::new(), "legacy:2", "";
        "empty uri argument is not given", env, ConnectArgs::new().uri(""), "envhost:1", "";
        "a broken MILVUS_URI does not matter when uri is given", &[("MILVUS_URI", "ftp://nope:0")],
            ConnectArgs::new().uri("http://ok:1"), "ok:1", "";
        "unix in MILVUS_URI", &[("MILVUS_URI", "unix:/tmp/m.sock")],
            ConnectArgs::new(), "unix:/tmp/m.sock", "";
        "lite in MILVUS_URI", &[("MILVUS_URI", "./x.db")], ConnectArgs::new(), "./x.db", "";
        "ipv6 host without brackets", none, ConnectArgs::new().host("::1"), "[::1]:19530", "";
        "host lower-cased", none, ConnectArgs::new().host("MiLvUs"), "milvus:19530", "";
        "address lower-cased", none, ConnectArgs::new().address("MiLvUs:01"), "milvus:1", "";
        "trimmed", none, ConnectArgs::new().uri("  http://h:1 \n"), "h:1", "";
    ];
    for (row, env, args, address, origin) in rows {
        ok(
            row,
            &resolver(env),
            &args,
            Expect {
                address,
                db: "default",
                target_origin: origin,
                ..Expect::default()
            },
        );
    }
}
