//! `cargo run -p milvus-conn-codegen`: rewrites conn-transport-tonic's `src/generated/`
//! from its `proto/` files. `-- --check` only reports stale files (exit status 1).

use std::process::ExitCode;

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            return Err(format!("unknown argument {other:?}; use --check or nothing").into());
        }
    };
    let files = milvus_conn_codegen::generate()?;
    let stale = milvus_conn_codegen::stale(&files)?;
    let dir = milvus_conn_codegen::generated_dir();
    #[allow(clippy::print_stderr)]
    if check {
        for name in &stale {
            eprintln!("stale: {}", dir.join(name).display());
        }
        return Ok(if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    } else {
        milvus_conn_codegen::write(&files)?;
        eprintln!("wrote {} files into {}", files.len(), dir.display());
    }
    Ok(ExitCode::SUCCESS)
}
