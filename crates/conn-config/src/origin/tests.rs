use super::*;

#[test]
fn source_kinds_follow_the_precedence_order() {
    let order = [
        Origin::Explicit { arg: "uri" },
        Origin::Stored {
            alias: "a".into(),
            arg: "uri",
        },
        Origin::Env { var: "MILVUS_URI" },
        Origin::DotEnv {
            var: "MILVUS_URI",
            path: "/x/.env".into(),
            line: 1,
        },
        Origin::Default,
    ];
    for pair in order.windows(2) {
        assert!(
            pair[0].source_kind() > pair[1].source_kind(),
            "{} !> {}",
            pair[0],
            pair[1]
        );
    }
    let arguments = order.each_ref().map(|o| o.source_kind().is_argument());
    assert_eq!(arguments, [true, true, false, false, false]);
}

#[test]
fn every_key_name_round_trips() {
    for key in Key::ALL {
        assert_eq!(Key::from_name(key.as_str()), Some(key));
    }
    let args = Key::ALL.iter().filter(|k| k.is_argument()).count();
    let vars = Key::ALL.iter().filter(|k| k.is_variable()).count();
    assert_eq!((args, vars), (17, Key::variables().len()));
    for var in Key::variables() {
        assert!(var.is_variable(), "{var}");
    }
    assert_eq!(Key::from_name("nope"), None);
}

#[test]
fn display_names_the_key_and_the_source() {
    assert_eq!(
        Origin::Explicit { arg: "uri" }.to_string(),
        "uri (argument)"
    );
    assert_eq!(
        Origin::Env { var: "MILVUS_URI" }.to_string(),
        "MILVUS_URI (environment)"
    );
    assert_eq!(
        Origin::DotEnv {
            var: "MILVUS_TOKEN",
            path: "/p/.env".into(),
            line: 3
        }
        .to_string(),
        "MILVUS_TOKEN (.env /p/.env:3)"
    );
    assert_eq!(Origin::Default.to_string(), "default");
}
