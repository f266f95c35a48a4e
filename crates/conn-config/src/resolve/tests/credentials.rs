//! Credentials and the database, which a URI can also give.

use super::*;

#[test]
fn credentials_precedence() {
    let none: Vars = &[];
    let rows: Vec<Row2> = rows![
        "token > user/password (explicit)", none,
            ConnectArgs::new().token("tok").user("u").password("p"), "tok", "token (argument)";
        "explicit user/password > uri userinfo", none,
            ConnectArgs::new().uri("http://uu:up@h").user("u").password("p"),
            "u:p", "user (argument)";
        "uri userinfo", none, ConnectArgs::new().uri("http://uu:up@h"), "uu:up", "uri (argument)";
        "percent-decoded userinfo", none,
            ConnectArgs::new().uri("http://r%40ot:p%40ss%3Aw@h"), "r@ot:p@ss:w", "";
        "MILVUS_URI keeps an explicit token", &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().token("tok"), "tok", "";
        "MILVUS_URI keeps explicit user/password", &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().user("u").password("p"), "u:p", "";
        "MILVUS_URI userinfo", &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new(), "eu:ep", "MILVUS_URI (environment)";
        "MILVUS_URI userinfo > MILVUS_TOKEN",
            &[("MILVUS_URI", "http://eu:ep@h"), ("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new(), "eu:ep", "";
        "MILVUS_TOKEN", &[("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new(), "envtok", "MILVUS_TOKEN (environment)";
        "numeric MILVUS_TOKEN stays a string", &[("MILVUS_TOKEN", "123456")],
            ConnectArgs::new(), "123456", "";
        "explicit user/password > MILVUS_TOKEN", &[("MILVUS_TOKEN", "envtok")],
            ConnectArgs::new().user("u").password("p"), "u:p", "";
        "userinfo of a URI that did not supply the target is ignored",
            &[("MILVUS_URI", "http://eu:ep@h")],
            ConnectArgs::new().host("x"), "", "default";
        "half userinfo of a URI that did not supply the target is not validated",
            &[("MILVUS_URI", "http://eu@h")],
            ConnectArgs::new().host("x").token("t"), "t", "token (argument)";
        "explicit pair beside a complete uri userinfo: the pair, never mixed", none,
            ConnectArgs::new().uri("http://uu:up@h").user("u").password("p"),
            "u:p", "user (argument)";
    ];
    for (row, env, args, auth, origin) in rows {
        let spec = resolver(env)
            .resolve(&args)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        use base64::Engine as _;
        let decoded = spec
            .authorization()
            .map(|h| {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(h.expose_secret())
                        .expect("base64"),
                )
                .expect("utf8")
            })
            .unwrap_or_default();
        assert_eq!(decoded, auth, "{row}");
        if !origin.is_empty() {
            assert_eq!(spec.origin(Field::Auth).to_string(), origin, "{row}");
        }
    }
}

#[test]
fn a_winning_token_drops_the_user() {
    let spec = resolver(&[])
        .resolve(&ConnectArgs::new().token("tok").user("u").password("p"))
        .expect("resolves");
    assert!(matches!(spec.auth(), Auth::Token(_)));
    assert_eq!(spec.auth().user(), None);
}

#[test]
fn database_precedence() {
    let none: Vars = &[];
    let rows: Vec<Row1> = rows![
        "explicit db_name > uri path", none, ConnectArgs::new().uri("http://h/p").db_name("x"), "x";
        "uri path", none, ConnectArgs::new().uri("http://h/db1/coll"), "db1";
        "double slash", none, ConnectArgs::new().uri("http://h//dbx"), "dbx";
        "no path", none, ConnectArgs::new().uri("http://h/"), "default";
        "query ignored", none, ConnectArgs::new().uri("http://h/db9?x=1#f"), "db9";
        "uri path > MILVUS_DB_NAME", &[("MILVUS_DB_NAME", "e")],
            ConnectArgs::new().uri("http://h/p"), "p";
        "MILVUS_DB_NAME", &[("MILVUS_DB_NAME", "e")], ConnectArgs::new().uri("http://h"), "e";
        "MILVUS_URI path > MILVUS_DB_NAME",
            &[("MILVUS_URI", "http://h/envdb"), ("MILVUS_DB_NAME", "e")],
            ConnectArgs::new(), "envdb";
        "explicit db_name > MILVUS_URI path", &[("MILVUS_URI", "http://h/envdb")],
            ConnectArgs::new().db_name("argdb"), "argdb";
        "the path of a URI that lost is ignored", &[("MILVUS_URI", "http://h/envdb")],
            ConnectArgs::new().host("x"), "default";
        "unix carries no database", none, ConnectArgs::new().uri("unix:/s/db"), "default";
        "percent-decoded path", none, ConnectArgs::new().uri("http://h/d%62"), "db";
    ];
    for (row, env, args, db) in rows {
        let spec = resolver(env)
            .resolve(&args)
            .unwrap_or_else(|e| panic!("{row}: {e}"));
        assert_eq!(spec.db_name().as_str(), db, "{row}");
    }
}
