//! The registry's operations against pymilvus's (`pymilvus-rules.md` section 6), and one test
//! per deviation (docs/deviations.md: 6, 12, 13, 14). A counting transport stands in for
//! the network; `real_server.rs` runs the same operations over tonic.

mod common;

use common::{Conn, add_ok, connect_ok, registry};
use conn_config::{AuthKind, ConnectArgs, Field, Origin};
use conn_registry::Error;

/// The connection goes to `address`, with database `db` and credentials of kind `auth`.
#[track_caller]
fn assert_conn(conn: &Conn, address: &str, db: &str, auth: AuthKind) {
    assert_eq!(conn.address(), address);
    assert_eq!(conn.spec().db_name().as_str(), db);
    assert_eq!(conn.spec().auth().kind(), auth);
}

fn aliases(list: &[(conn_config::Alias, Option<Conn>)]) -> Vec<(String, Option<u64>)> {
    list.iter()
        .map(|(a, c)| (a.to_string(), c.as_ref().map(Conn::id)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// pymilvus behaviours we keep

/// `add_connection` stores a configuration and connects nothing; `has_connection` means
/// connected, not configured.
#[tokio::test]
async fn add_connection_configures_without_connecting() {
    let (reg, _) = registry(&[]);
    reg.add_connection("a", ConnectArgs::new().uri("http://h1:1"))
        .await
        .expect("valid arguments");
    assert!(!reg.has_connection("a"));
    assert!(reg.get("a").is_none());
    assert_eq!(reg.transport().opens(), 0);
    assert_eq!(aliases(&reg.list_connections()), [("a".to_owned(), None)]);
    let addr = reg
        .get_connection_addr("a")
        .expect("resolves")
        .expect("known alias");
    assert_eq!(addr.address(), "h1:1");
    assert!(!addr.is_connected());
}

/// `connect(alias)` with no arguments uses what `add_connection` stored.
#[tokio::test]
async fn connect_uses_the_stored_configuration() {
    let (reg, _) = registry(&[]);
    add_ok(
        &reg,
        "a",
        ConnectArgs::new().uri("http://h1:1/db1").token("t"),
    )
    .await;
    let conn = connect_ok(&reg, "a", ConnectArgs::new()).await;
    assert_conn(&conn, "h1:1", "db1", AuthKind::Token);
    assert_eq!(
        conn.spec().origin(Field::Target),
        &Origin::Stored {
            alias: "a".into(),
            arg: "uri"
        }
    );
    assert!(reg.has_connection("a"));
    assert_eq!(reg.get("a"), Some(conn.clone()));
    assert_eq!(reg.fetch("a").ok(), Some(conn));
}

/// Explicit arguments beat the stored ones, field by field (the target as a whole).
#[tokio::test]
async fn explicit_arguments_beat_the_stored_ones() {
    let (reg, _) = registry(&[]);
    add_ok(
        &reg,
        "a",
        ConnectArgs::new()
            .uri("http://stored:1/storeddb")
            .token("t"),
    )
    .await;
    let conn = connect_ok(
        &reg,
        "a",
        ConnectArgs::new().host("explicit").db_name("mine"),
    )
    .await;
    // The stored token still applies: the explicit arguments give no credentials.
    assert_conn(&conn, "explicit:19530", "mine", AuthKind::Token);
}

/// `disconnect` closes the connection and keeps the configuration, so connecting by name
/// again works (pymilvus 2.5 does this; 3.x raises a TypeError, a bug we do not copy).
#[tokio::test]
async fn disconnect_keeps_the_configuration_and_reconnect_by_name_works() {
    let (reg, _) = registry(&[]);
    let first = connect_ok(
        &reg,
        "a",
        ConnectArgs::new()
            .uri("http://h1:1/db1")
            .user("u")
            .password("p"),
    )
    .await;
    reg.disconnect("a").await;
    assert!(!reg.has_connection("a"));
    assert_eq!(reg.transport().closes(), 1);
    assert_eq!(reg.transport().open_now("a"), 0);
    assert_eq!(aliases(&reg.list_connections()), [("a".to_owned(), None)]);

    let again = reg
        .connect("a", ConnectArgs::new())
        .await
        .expect("reconnects");
    assert_ne!(again.id(), first.id(), "a new connection");
    assert!(first.spec().same_as(again.spec()), "{:?}", again.spec());
    assert_eq!(reg.transport().opens(), 2);
}

/// `remove_connection` disconnects and forgets; the alias then needs a configuration again.
#[tokio::test]
async fn remove_connection_disconnects_and_forgets() {
    let (reg, _) = registry(&[]);
    connect_ok(&reg, "a", ConnectArgs::new().uri("http://h1:1")).await;
    reg.remove_connection("a").await;
    assert!(!reg.has_connection("a"));
    assert!(reg.list_connections().is_empty());
    assert_eq!(reg.get_connection_addr("a").expect("no error"), None);
    assert_eq!(reg.transport().closes(), 1);
    let err = reg
        .connect("a", ConnectArgs::new())
        .await
        .expect_err("nothing left to connect with");
    assert!(
        matches!(&err, Error::Resolve { alias, .. } if alias == "a"),
        "{err:?}"
    );
    let text = format!(
        "{err}: {}",
        std::error::Error::source(&err).expect("source")
    );
    assert!(text.contains("no target for alias \"a\""), "{text}");
}

/// Unknown aliases are a no-op for `disconnect` and `remove_connection`.
#[tokio::test]
async fn unknown_aliases_are_a_no_op() {
    let (reg, _) = registry(&[]);
    add_ok(&reg, "a", ConnectArgs::new().uri("http://h1:1")).await;
    for name in ["nope", "", "bad\u{7}name"] {
        reg.disconnect(name).await;
        reg.remove_connection(name).await;
        assert!(!reg.has_connection(name));
        assert!(reg.get(name).is_none());
        assert_eq!(reg.get_connection_addr(name).expect("no error"), None);
    }
    // Disconnecting a configured alias that is not connected is a no-op too.
    reg.disconnect("a").await;
    assert_eq!(aliases(&reg.list_connections()), [("a".to_owned(), None)]);
    assert_eq!(reg.transport().closes(), 0);
}

/// `list_connections`: insertion order, with the handle or none. Replacing a
/// configuration keeps its place; removing and adding again moves it to the end.
#[tokio::test]
async fn list_connections_keeps_insertion_order() {
    let (reg, _) = registry(&[]);
    add_ok(&reg, "x", ConnectArgs::new().uri("http://x:1")).await;
    let a = connect_ok(&reg, "a", ConnectArgs::new().uri("http://a:1")).await;
    add_ok(&reg, "b", ConnectArgs::new().uri("http://b:1")).await;
    assert_eq!(
        aliases(&reg.list_connections()),
        [
            ("x".to_owned(), None),
            ("a".to_owned(), Some(a.id())),
            ("b".to_owned(), None)
        ]
    );
    reg.disconnect("a").await;
    add_ok(&reg, "x", ConnectArgs::new().uri("http://x:2")).await;
    assert_eq!(
        aliases(&reg.list_connections()),
        [
            ("x".to_owned(), None),
            ("a".to_owned(), None),
            ("b".to_owned(), None)
        ]
    );
    reg.remove_connection("x").await;
    add_ok(&reg, "x", ConnectArgs::new().uri("http://x:3")).await;
    assert_eq!(
        aliases(&reg.list_connections()),
        [
            ("a".to_owned(), None),
            ("b".to_owned(), None),
            ("x".to_owned(), None)
        ]
    );
}

/// `get_connection_addr`: a summary of address, user, database and security, never a
/// secret; `None` (pymilvus: `{}`) for an unknown alias.
#[tokio::test]
async fn get_connection_addr_summarises_without_secrets() {
    let (reg, _) = registry(&[]);
    assert_eq!(reg.get_connection_addr("a").expect("no error"), None);
    connect_ok(
        &reg,
        "a",
        ConnectArgs::new()
            .uri("https://root:pw-SECRET-1@Milvus.Example.com:19530/db1")
            .server_name("milvus.local"),
    )
    .await;
    let addr = reg
        .get_connection_addr("a")
        .expect("no error")
        .expect("known");
    assert_eq!(addr.address(), "milvus.example.com:19530");
    assert_eq!(addr.user(), Some("root"));
    assert_eq!(addr.db_name().as_str(), "db1");
    assert!(addr.is_secure());
    assert!(addr.is_connected());
    assert_eq!(
        addr.to_string(),
        "milvus.example.com:19530 (alias a, user root, database db1, tls platform_roots, connected)"
    );
    let debug = format!("{addr:?}");
    assert!(!debug.contains("pw-SECRET-1"), "{debug}");

    add_ok(
        &reg,
        "t",
        ConnectArgs::new().uri("http://h:1").token("tok-SECRET-2"),
    )
    .await;
    let addr = reg
        .get_connection_addr("t")
        .expect("resolves")
        .expect("known");
    assert_eq!(
        addr.to_string(),
        "h:1 (alias t, token, database default, tls off, not connected)"
    );
    // Display honours width and fill, as a whole.
    assert_eq!(
        format!("{addr:>66}|"),
        "    h:1 (alias t, token, database default, tls off, not connected)|"
    );
    assert_eq!(format!("{addr:.3}"), "h:1");
    assert!(!format!("{addr:?}").contains("tok-SECRET-2"));
}

/// Connecting a connected alias with the same configuration returns the same connection,
/// however the configuration is written (pymilvus:
/// `registry_same_alias_uri_vs_host_normalized_equal`, where it opens a second handler).
#[tokio::test]
async fn same_configuration_returns_the_same_connection() {
    let (reg, _) = registry(&[]);
    let first = connect_ok(
        &reg,
        "default",
        ConnectArgs::new().host("localhost").port("19530"),
    )
    .await;
    let second = reg
        .connect("default", ConnectArgs::new().uri("http://LOCALHOST"))
        .await
        .expect("same spec");
    let third = reg
        .connect("default", ConnectArgs::new())
        .await
        .expect("same spec");
    assert_eq!(first, second);
    assert_eq!(first, third);
    assert_eq!(reg.transport().opens(), 1);
}

/// A different address for a connected alias is an error naming the field (pymilvus:
/// "Alias of 'a' already creating connections, but the configure is not the same as passed
/// in."); the live connection stays.
#[tokio::test]
async fn different_address_for_a_connected_alias_is_an_error() {
    let (reg, _) = registry(&[]);
    let live = connect_ok(&reg, "a", ConnectArgs::new().uri("http://h1:1")).await;
    let err = reg
        .connect("a", ConnectArgs::new().uri("http://h2:1"))
        .await
        .expect_err("different target");
    assert!(
        matches!(&err, Error::ConfigMismatch { alias, fields, .. } if alias == "a" && fields == &[Field::Target]),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "alias \"a\" is already connected with a different configuration (differing: target); disconnect it first"
    );
    let err = reg
        .add_connection("a", ConnectArgs::new().uri("http://h3:1"))
        .await
        .expect_err("add_connection checks a connected alias too");
    assert!(matches!(err, Error::ConfigMismatch { .. }), "{err:?}");
    assert_eq!(reg.get("a"), Some(live));
    assert_eq!(reg.transport().opens(), 1);
    // The same configuration again is fine for add_connection as well.
    reg.add_connection("a", ConnectArgs::new().uri("http://h1:1"))
        .await
        .expect("same spec");
}

/// A reader sees every change made before its look-up, and lets go of an old snapshot
/// (and the connections in it) at its next look-up.
#[tokio::test]
async fn reader_follows_changes_and_lets_go_of_old_snapshots() {
    let (reg, _) = registry(&[]);
    let mut reader = reg.reader();
    assert!(reader.get("a").is_none());
    let conn = connect_ok(&reg, "a", ConnectArgs::new().uri("http://h:1")).await;
    assert_eq!(reader.get("a"), Some(conn.clone()));
    assert!(reader.has_connection("a"));
    // get_ref borrows: no handle is made.
    let before = conn.handles();
    assert_eq!(reader.get_ref(" a "), Some(&conn));
    assert_eq!(conn.handles(), before);
    reg.disconnect("a").await;
    // Held: ours, and the one in the snapshot the reader last used.
    assert_eq!(conn.handles(), 2);
    assert!(reader.get_ref("a").is_none());
    assert!(reader.get("a").is_none());
    assert!(!reader.has_connection("a"));
    assert_eq!(conn.handles(), 1, "the old snapshot is gone");
    let other = std::thread::spawn({
        let mut reader = reg.reader();
        move || reader.get("a").is_none()
    });
    assert!(other.join().expect("thread"));
}

/// pymilvus's `_fetch_handler`: "should create connection first".
#[tokio::test]
async fn fetch_names_the_alias_that_is_not_connected() {
    let (reg, _) = registry(&[]);
    let err = reg.fetch("a").expect_err("not connected");
    assert!(matches!(&err, Error::NotConnected { alias, .. } if alias == "a"));
    assert_eq!(
        err.to_string(),
        "alias \"a\" is not connected; connect it first"
    );
    assert_eq!(err.alias(), Some("a"));
}

/// The default alias is `MILVUS_CONN_ALIAS`, else `default`; an empty alias means the
/// arguments' alias, else the default one; `connect()` alone reaches the default target
/// only for the default alias.
#[tokio::test]
async fn default_alias_follows_milvus_conn_alias() {
    let (reg, env) = registry(&[]);
    assert_eq!(reg.default_alias().expect("ok").as_str(), "default");
    let conn = reg.connect("", ConnectArgs::new()).await.expect("default");
    assert_eq!(conn.alias(), "default");
    assert_eq!(conn.address(), "localhost:19530");

    env.set("MILVUS_CONN_ALIAS", "main");
    assert_eq!(reg.default_alias().expect("ok").as_str(), "main");
    let conn = reg.connect("", ConnectArgs::new()).await.expect("main");
    assert_eq!(conn.alias(), "main");
    assert_eq!(conn.address(), "localhost:19530");

    let conn = reg
        .connect("", ConnectArgs::new().alias("other").uri("http://o:1"))
        .await
        .expect("the arguments name it");
    assert_eq!(conn.alias(), "other");
    // "default" is no longer the default alias: it needs a target.
    let err = reg
        .connect("default", ConnectArgs::new())
        .await
        .expect_err("no target");
    assert!(matches!(err, Error::Resolve { .. }), "{err:?}");

    let err = reg
        .connect("x", ConnectArgs::new().alias("y").uri("http://h:1"))
        .await
        .expect_err("two aliases");
    assert!(
        matches!(&err, Error::AliasMismatch { alias, in_args, .. } if alias == "x" && in_args == "y"),
        "{err:?}"
    );
    env.set("MILVUS_CONN_ALIAS", "bad\u{1}alias");
    let err = reg.default_alias().expect_err("control character");
    assert!(matches!(err, Error::DefaultAlias { .. }), "{err:?}");
}

/// Alias names are trimmed as every value is; a control character is an error.
#[tokio::test]
async fn alias_names_are_trimmed_and_checked() {
    let (reg, _) = registry(&[]);
    let conn = reg
        .connect(" a\t", ConnectArgs::new().uri("http://h:1"))
        .await
        .expect("trimmed");
    assert_eq!(conn.alias(), "a");
    assert_eq!(reg.get("a"), Some(conn.clone()));
    assert_eq!(reg.get(" a "), Some(conn));
    let err = reg
        .connect("a\u{0}b", ConnectArgs::new().uri("http://h:1"))
        .await
        .expect_err("control character");
    assert!(matches!(err, Error::InvalidAlias { .. }), "{err:?}");
}

/// What `add_connection` stores is the arguments, not their resolution: what they leave
/// open follows the environment at the next connect.
#[tokio::test]
async fn stored_arguments_leave_the_rest_to_the_environment() {
    let (reg, env) = registry(&[("MILVUS_DB_NAME", "db_then")]);
    add_ok(&reg, "a", ConnectArgs::new().host("h")).await;
    let conn = connect_ok(&reg, "a", ConnectArgs::new()).await;
    assert_eq!(conn.spec().db_name().as_str(), "db_then");
    assert_eq!(conn.spec().auth().kind(), AuthKind::None);
    reg.disconnect("a").await;

    env.set("MILVUS_DB_NAME", "db_now");
    env.set("MILVUS_TOKEN", "env-token");
    let conn = connect_ok(&reg, "a", ConnectArgs::new()).await;
    assert_conn(&conn, "h:19530", "db_now", AuthKind::Token);
}

/// After a successful connect the alias keeps what that connect was given.
#[tokio::test]
async fn a_successful_connect_replaces_the_stored_arguments() {
    let (reg, _) = registry(&[]);
    add_ok(&reg, "a", ConnectArgs::new().uri("http://old:1")).await;
    connect_ok(&reg, "a", ConnectArgs::new().uri("http://new:2/db2")).await;
    reg.disconnect("a").await;
    let conn = connect_ok(&reg, "a", ConnectArgs::new()).await;
    assert_eq!(conn.address(), "new:2");
    assert_eq!(conn.spec().db_name().as_str(), "db2");
}

/// Nothing in the registry's own output shows a secret.
#[tokio::test]
async fn registry_debug_and_errors_show_no_secret() {
    let (reg, _) = registry(&[]);
    connect_ok(
        &reg,
        "a",
        ConnectArgs::new().uri("http://u:pw-SECRET-3@h:1"),
    )
    .await;
    add_ok(
        &reg,
        "b",
        ConnectArgs::new().uri("http://h:2").token("tok-SECRET-4"),
    )
    .await;
    let debug = format!("{reg:?}");
    assert_eq!(
        debug,
        r#"Registry { aliases: [("a", "connected"), ("b", "configured")], .. }"#
    );
    let err = reg
        .connect("a", ConnectArgs::new().uri("http://u:pw-SECRET-5@h:1"))
        .await
        .expect_err("different password");
    for text in [err.to_string(), format!("{err:?}")] {
        for secret in ["pw-SECRET-3", "tok-SECRET-4", "pw-SECRET-5"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Deviations (docs/deviations.md)

/// Deviation 6: an alias registered with `add_connection` beats `MILVUS_URI`
/// [pymilvus: the environment wins for every alias, `env_uri_beats_cached_alias_config`].
#[tokio::test]
async fn deviation_6_stored_alias_beats_milvus_uri() {
    let (reg, _) = registry(&[("MILVUS_URI", "http://env-host:19530")]);
    add_ok(&reg, "a", ConnectArgs::new().uri("http://stored-host:1")).await;
    let conn = connect_ok(&reg, "a", ConnectArgs::new()).await;
    assert_eq!(conn.address(), "stored-host:1");
    // An alias nobody configured still takes MILVUS_URI.
    let conn = connect_ok(&reg, "b", ConnectArgs::new()).await;
    assert_eq!(conn.address(), "env-host:19530");
}

/// Deviation 12: `add_connection` validates the scheme and the port range [pymilvus: it
/// does not], and stores nothing when they are wrong.
#[tokio::test]
async fn deviation_12_add_connection_validates() {
    let (reg, _) = registry(&[]);
    for (args, needle) in [
        (ConnectArgs::new().uri("ftp://h:21"), "unsupported scheme"),
        (ConnectArgs::new().host("h").port(70000), "out of range"),
    ] {
        let err = reg
            .add_connection("a", args)
            .await
            .expect_err("invalid arguments");
        let source = std::error::Error::source(&err)
            .expect("resolver errors")
            .to_string();
        assert!(source.contains(needle), "{source}");
        assert!(
            source.contains("(stored for alias \"a\")"),
            "names the stored argument: {source}"
        );
        assert!(reg.list_connections().is_empty());
    }
}

/// Deviation 13: a failed connect keeps the alias's stored configuration [pymilvus:
/// `remove_connection`, which deletes it].
#[tokio::test]
async fn deviation_13_failed_connect_keeps_the_configuration() {
    let (reg, _) = registry(&[]);
    reg.transport().fail("down:1");
    add_ok(
        &reg,
        "a",
        ConnectArgs::new().uri("http://down:1").token("t"),
    )
    .await;
    let err = reg
        .connect("a", ConnectArgs::new())
        .await
        .expect_err("transport refuses");
    assert!(
        matches!(&err, Error::Connect { alias, source, .. } if alias == "a" && source.0 == "down:1"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "cannot connect alias \"a\"");
    assert_eq!(aliases(&reg.list_connections()), [("a".to_owned(), None)]);
    let addr = reg
        .get_connection_addr("a")
        .expect("ok")
        .expect("still configured");
    assert_eq!(addr.address(), "down:1");
    assert_eq!(addr.auth_kind(), AuthKind::Token);

    // A failing connect with new explicit arguments keeps the previous configuration too.
    reg.transport().fail("also-down:2");
    reg.connect("a", ConnectArgs::new().uri("http://also-down:2"))
        .await
        .expect_err("transport refuses");
    let addr = reg
        .get_connection_addr("a")
        .expect("ok")
        .expect("still configured");
    assert_eq!(addr.address(), "down:1");
    assert_eq!(reg.transport().opens(), 0);
}

/// Deviation 14: reconnecting compares the whole resolved spec, secrets included, without
/// revealing them [pymilvus compares the address only, and with the same address opens a
/// new handler with the new credentials: `registry_same_alias_same_address_new_params`].
#[tokio::test]
async fn deviation_14_reconnect_compares_the_whole_spec() {
    let (reg, _) = registry(&[]);
    let live = connect_ok(
        &reg,
        "a",
        ConnectArgs::new().uri("http://h:1").token("tok-SECRET-A"),
    )
    .await;
    let same = reg
        .connect(
            "a",
            ConnectArgs::new().uri("http://h:1").token("tok-SECRET-A"),
        )
        .await
        .expect("identical");
    assert_eq!(same, live);

    let err = reg
        .connect(
            "a",
            ConnectArgs::new().uri("http://h:1").token("tok-SECRET-B"),
        )
        .await
        .expect_err("same address, other token");
    assert!(
        matches!(&err, Error::ConfigMismatch { fields, .. } if fields == &[Field::Auth]),
        "{err:?}"
    );
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("tok-SECRET"), "{text}");
    }
    assert!(err.to_string().contains("(differing: auth)"));

    let err = reg
        .connect(
            "a",
            ConnectArgs::new()
                .uri("http://h:1/otherdb")
                .token("tok-SECRET-A")
                .timeout(3u64),
        )
        .await
        .expect_err("same address, other database and timeout");
    assert!(
        matches!(&err, Error::ConfigMismatch { fields, .. } if fields == &[Field::DbName, Field::Timeout]),
        "{err:?}"
    );
    assert_eq!(reg.get("a"), Some(live));
    assert_eq!(reg.transport().opens(), 1);
}

/// Deviation 23: an alias is reconnected by name with its stored configuration [pymilvus
/// 3.0.2: `TypeError: connect_milvus() got multiple values for keyword argument 'db_name'`
/// (or `'secure'`): `registry_connect_twice_no_params`,
/// `registry_reconnect_cached_after_disconnect`, `registry_cached_https_then_secure_kwarg`].
#[tokio::test]
async fn deviation_23_reconnect_by_name_with_the_stored_configuration() {
    let (reg, _) = registry(&[]);
    // connect() twice with no arguments: the same connection.
    let first = connect_ok(&reg, "", ConnectArgs::new()).await;
    let second = reg
        .connect("", ConnectArgs::new())
        .await
        .expect("same spec");
    assert_eq!(first, second);
    assert_eq!(first.address(), "localhost:19530");

    // connect("a") after disconnect("a"): a new connection, same configuration.
    connect_ok(&reg, "a", ConnectArgs::new().address("h1:1")).await;
    reg.disconnect("a").await;
    let again = reg
        .connect("a", ConnectArgs::new())
        .await
        .expect("reconnects");
    assert_eq!(again.address(), "h1:1");

    // add_connection with an https uri, then connect with secure=true: TLS to h1:443.
    add_ok(&reg, "s", ConnectArgs::new().uri("https://h1")).await;
    let tls = connect_ok(&reg, "s", ConnectArgs::new().secure(true)).await;
    assert_eq!(tls.address(), "h1:443");
    assert!(tls.spec().is_secure());
    assert_eq!(reg.transport().opens(), 4);
}

/// Deviation 24: removing the default alias leaves the built-in default target [pymilvus:
/// `You need to pass in the configuration of the connection named 'default' .`,
/// `registry_no_config_for_alias`]; an alias with no target still fails, naming it.
#[tokio::test]
async fn deviation_24_removing_the_default_alias_keeps_the_default_target() {
    let (reg, _) = registry(&[]);
    connect_ok(&reg, "", ConnectArgs::new()).await;
    reg.remove_connection("default").await;
    assert!(reg.list_connections().is_empty());
    let conn = connect_ok(&reg, "", ConnectArgs::new()).await;
    assert_eq!(conn.alias(), "default");
    assert_eq!(conn.address(), "localhost:19530");

    let err = reg
        .connect("x", ConnectArgs::new())
        .await
        .expect_err("no target for x");
    let source = std::error::Error::source(&err)
        .expect("resolver errors")
        .to_string();
    assert!(source.contains("no target for alias \"x\""), "{source}");
    assert!(reg.get_connection_addr("x").expect("ok").is_none());
}
