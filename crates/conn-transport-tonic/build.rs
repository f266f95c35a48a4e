//! Compiles `proto/*.proto` (this crate's own minimal Milvus messages) with protox, a
//! protobuf compiler written in Rust, so no `protoc` is needed. Two outputs:
//! - `OUT_DIR/milvus.proto.{common,milvus}.rs`: the messages and the client;
//! - `OUT_DIR/server/milvus.proto.milvus.rs`: the server side only (used by the
//!   `test-server` feature), reusing the messages above through `extern_path`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/conn_common.proto", "proto/conn_milvus.proto"];
    for p in &protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(["conn_milvus.proto"], ["proto"])?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(false)
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .compile_fds(fds.clone())?;

    // Cargo hands a build script its output directory only through the environment.
    #[allow(clippy::disallowed_methods)]
    let out_dir = PathBuf::from(
        std::env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR for the build script")?,
    );
    let server_dir = out_dir.join("server");
    std::fs::create_dir_all(&server_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .extern_path(".milvus.proto.common", "crate::proto::common")
        .extern_path(".milvus.proto.milvus", "crate::proto::milvus")
        .out_dir(&server_dir)
        .compile_fds(fds)?;
    Ok(())
}
