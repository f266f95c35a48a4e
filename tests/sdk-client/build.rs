//! Generates the full Milvus 2.3.5 client (every message and the whole `MilvusService`
//! client) from the official milvus-proto in `third_party/milvus-proto/proto/`, with protox
//! (no `protoc`) and tonic-prost-build, as an SDK would.
//!
//! The generated code names tonic, prost and tonic-prost only through conn-transport-tonic's
//! re-exports, so it is compiled against exactly the crates the transport uses:
//! - messages: `prost_path("::conn_transport_tonic::prost")`;
//! - the client's codec: `codec_path("::conn_transport_tonic::tonic_prost::ProstCodec")`;
//! - each client module (`MilvusService`, `ProxyService`) opens with `use tonic::codegen::*;`,
//!   which needs a crate named `tonic` in scope; tonic-build has no option for its path, so
//!   one line is added in front of it: `use ::conn_transport_tonic::tonic;` (the build fails
//!   if the two are not found).
//!
//! An SDK that depends on `tonic`, `prost` and `tonic-prost` 0.14 directly needs none of this.

use std::path::PathBuf;

const PROTO_DIR: &str = "third_party/milvus-proto/proto";
const TONIC_USE: &str = "use tonic::codegen::*;";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in ["common", "schema", "milvus", "feder", "msg"] {
        println!("cargo:rerun-if-changed={PROTO_DIR}/{file}.proto");
    }
    let fds = protox::compile(["milvus.proto"], [PROTO_DIR])?;

    let mut config = prost_build::Config::new();
    config.prost_path("::conn_transport_tonic::prost");
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .codec_path("::conn_transport_tonic::tonic_prost::ProstCodec")
        .compile_fds_with_config(fds, config)?;

    // Cargo hands a build script its output directory only through the environment.
    #[allow(clippy::disallowed_methods)]
    let out_dir = PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR for the build script")?,
    );
    let client = out_dir.join("milvus.proto.milvus.rs");
    let code = std::fs::read_to_string(&client)?;
    let uses = code.matches(TONIC_USE).count();
    if uses != 2 {
        return Err(format!(
            "expected two `{TONIC_USE}` in {} (the two client modules), found {uses}",
            client.display()
        )
        .into());
    }
    let code = code.replace(
        TONIC_USE,
        &format!("use ::conn_transport_tonic::tonic;\n    {TONIC_USE}"),
    );
    std::fs::write(&client, code)?;
    Ok(())
}
