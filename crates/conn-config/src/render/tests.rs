//! The stored arguments of a spec (moved from conn-registry's `pinned` module with the
//! renderer).

use crate::{ConnectArgs, DotEnv, MapEnv, Resolver};

fn resolver(env: &[(&str, &str)]) -> Resolver<MapEnv> {
    Resolver::with_env(MapEnv::from_pairs(env.iter().copied())).dotenv(DotEnv::Disabled)
}

/// Resolving the pinned arguments as stored arguments gives back the same spec, in the
/// same environment, and keeps following the environment for what it supplied.
#[test]
fn pinned_arguments_resolve_to_the_same_spec() {
    let env: &[(&str, &str)] = &[
        ("MILVUS_URI", "https://env-user:env-pw@env-host:1234/envdb"),
        ("MILVUS_CONN_TIMEOUT", "7"),
    ];
    let rows: Vec<(&str, ConnectArgs)> = vec![
        ("nothing explicit", ConnectArgs::new()),
        ("uri", ConnectArgs::new().uri("http://Host-A:1/db1")),
        (
            "uri with userinfo",
            ConnectArgs::new().uri("https://u:p%40ss@h/d"),
        ),
        ("address", ConnectArgs::new().address("[::1]:19530")),
        ("host only", ConnectArgs::new().host("h")),
        ("token only", ConnectArgs::new().token("t0k3n")),
        ("user+password", ConnectArgs::new().user("u").password("p")),
        ("db only", ConnectArgs::new().db_name("other")),
        ("timeout", ConnectArgs::new().timeout(2.5)),
        ("keep_alive", ConnectArgs::new().keep_alive(true)),
        ("unix", ConnectArgs::new().uri("unix:/tmp/milvus.sock")),
        ("lite", ConnectArgs::new().uri("./local.db")),
        (
            "secure=false with an explicit target",
            ConnectArgs::new().host("h").secure(false),
        ),
        (
            "CA file over an https env URI",
            ConnectArgs::new().ca_pem_path("/ca.pem"),
        ),
        (
            "server PEM with an explicit target",
            ConnectArgs::new()
                .uri("http://h:1")
                .server_pem_path("/server.pem"),
        ),
        (
            "full mutual TLS",
            ConnectArgs::new()
                .uri("http://h:1")
                .server_pem_path("/server.pem")
                .ca_pem_path("/ca.pem")
                .client_pem_path("/client.pem")
                .client_key_path("/client.key")
                .server_name("milvus.local"),
        ),
    ];
    for (env_name, env) in [("with env", env), ("empty env", &[][..])] {
        let r = resolver(env);
        for (row, args) in &rows {
            let args = args.clone().alias("a");
            let Ok(spec) = r.resolve(&args) else {
                // Without MILVUS_URI a non-default alias needs a target; such rows
                // resolve only with the environment.
                assert_eq!(env_name, "empty env", "{row}: did not resolve");
                continue;
            };
            let pinned = spec.to_stored_args();
            let again = r
                .resolve_with_stored(&ConnectArgs::new().alias("a"), Some(&pinned))
                .unwrap_or_else(|e| panic!("{row} ({env_name}): pinned args fail: {e}"));
            assert_eq!(
                spec.differences(&again),
                vec![],
                "{row} ({env_name}): {pinned:?}"
            );
        }
    }
}

#[test]
fn fields_the_environment_supplied_are_not_pinned() {
    let r = resolver(&[
        ("MILVUS_URI", "http://env-host:1/envdb"),
        ("MILVUS_TOKEN", "env-token"),
        ("MILVUS_CONN_TIMEOUT", "3"),
    ]);
    let spec = r
        .resolve(&ConnectArgs::new().alias("a"))
        .expect("resolves from the environment");
    let pinned = spec.to_stored_args();
    assert_eq!(format!("{pinned:?}"), r#"ConnectArgs { alias: "a" }"#);

    // A changed environment shows through.
    let r2 = resolver(&[("MILVUS_URI", "http://moved:2")]);
    let again = r2
        .resolve_with_stored(&ConnectArgs::new().alias("a"), Some(&pinned))
        .expect("resolves");
    assert_eq!(again.target().address(), "moved:2");
    assert_eq!(again.auth().kind(), crate::AuthKind::None);
}

#[test]
fn explicit_fields_are_pinned_and_redacted() {
    let spec = resolver(&[])
        .resolve(
            &ConnectArgs::new()
                .alias("a")
                .uri("http://u:secret-pw@h:1/db1")
                .timeout(4u64),
        )
        .expect("resolves");
    let pinned = spec.to_stored_args();
    assert_eq!(
        format!("{pinned:?}"),
        r#"ConnectArgs { alias: "a", address: "h:1", user: "u", password: "<redacted>", db_name: "db1", timeout: "4" }"#
    );
}
