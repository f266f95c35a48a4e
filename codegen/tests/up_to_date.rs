//! The checked-in generated code is what the `.proto` files and the locked generator
//! versions produce now.

#[test]
fn checked_in_code_is_current() {
    let files = milvus_conn_codegen::generate().expect("the .proto files compile");
    assert_eq!(files.len(), 4);
    let stale = milvus_conn_codegen::stale(&files).expect("src/generated/ is readable");
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}; run `cargo run -p milvus-conn-codegen` and commit"
    );
}
