//! `cargo run -p milvus-conn-codegen`: rewrites conn-transport-tonic's and
//! conn-test-server's `src/generated/` from the transport's `proto/` files. `-- --check` only reports stale files (exit status 1).

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
    #[allow(clippy::print_stderr)]
    if check {
        for path in &stale {
            eprintln!("stale: {}", path.display());
        }
        return Ok(if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    } else {
        milvus_conn_codegen::write(&files)?;
        let dirs = milvus_conn_codegen::generated_dirs();
        eprintln!(
            "wrote {} files into {} and {}",
            files.len(),
            dirs[0].display(),
            dirs[1].display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
