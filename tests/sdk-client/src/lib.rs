//! Dev-only: the full Milvus 2.3.5 API (messages and the `MilvusService` client), generated
//! by `build.rs` from the official milvus-proto in `third_party/milvus-proto/` (Apache-2.0;
//! see its README for the source commit), as a downstream SDK would generate it.
//!
//! Never a dependency of the library crates. Its test, `tests/real_milvus_sdk.rs`, runs this
//! client over [`conn_transport_tonic::MilvusConnection::service`] against the real Milvus.
//!
//! The modules allow the lints that generated code and the `.proto` files' comments (bare
//! URLs, brackets) would trip.
#![forbid(unsafe_code)]

mod retry;

/// The generated packages, each in a module of its own that allows those lints.
macro_rules! packages {
    ($($(#[$doc:meta])* $name:ident: $file:literal;)*) => {$(
        $(#[$doc])*
        pub mod $name {
            #![allow(
                missing_docs,
                clippy::all,
                unreachable_pub,
                rust_2018_idioms,
                rustdoc::all
            )]
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    )*};
}

packages! {
    /// Package `milvus.proto.common`: `Status`, `KeyValuePair`, `ErrorCode`, ...
    common: "milvus.proto.common.rs";
    /// Package `milvus.proto.schema`: `CollectionSchema`, `FieldSchema`, `FieldData`, ...
    schema: "milvus.proto.schema.rs";
    /// Package `milvus.proto.feder`.
    feder: "milvus.proto.feder.rs";
    /// Package `milvus.proto.msg`.
    msg: "milvus.proto.msg.rs";
    /// Package `milvus.proto.milvus`: every request and reply, and
    /// `milvus_service_client::MilvusServiceClient`.
    milvus: "milvus.proto.milvus.rs";
}
