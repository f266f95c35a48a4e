//! Which executable runs Milvus Lite: the connector's, `MILVUS_LITE_BIN`, `milvus-lite`
//! on `PATH`, or `python3 -m milvus_lite`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use conn_config::{Environment as _, ProcessEnv};

use super::{LiteOptions, lite_error};
use crate::error::{Error, LiteProblem};

/// The environment variable naming the Milvus Lite executable (docs/transport.md).
pub(crate) const MILVUS_LITE_BIN: &str = "MILVUS_LITE_BIN";

/// What runs Milvus Lite, and where that choice came from (for errors).
pub(super) struct Launcher {
    pub(super) program: PathBuf,
    pub(super) args: Vec<OsString>,
    from: &'static str,
}

impl Launcher {
    pub(super) fn describe(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        format!("{s} (from {})", self.from)
    }
}

/// The executable: the connector's, else `MILVUS_LITE_BIN`, else `milvus-lite` on `PATH`,
/// else `python3 -m milvus_lite` (`python3` on `PATH`).
pub(super) fn launcher(options: &LiteOptions, data_dir: &Path) -> Result<Launcher, Error> {
    let env = ProcessEnv;
    let named = match (&options.executable, env.var(MILVUS_LITE_BIN)) {
        (Some(p), _) => Some((p.clone(), "Connector::lite_executable")),
        (None, Some(v)) if !v.is_empty() => Some((PathBuf::from(v), MILVUS_LITE_BIN)),
        _ => None,
    };
    if let Some((program, from)) = named {
        let program = if program.components().count() == 1 {
            // A bare name: looked up on PATH, as a shell would.
            on_path(&env, program.as_os_str()).unwrap_or(program)
        } else {
            program
        };
        if !program.is_file() {
            return Err(lite_error(
                data_dir,
                LiteProblem::NotInstalled,
                format!(
                    "{from} names {}, which {}",
                    program.display(),
                    if program.exists() {
                        "is not a file"
                    } else {
                        "does not exist"
                    }
                ),
            ));
        }
        return Ok(Launcher {
            program,
            args: Vec::new(),
            from,
        });
    }
    if let Some(program) = on_path(&env, "milvus-lite".as_ref()) {
        return Ok(Launcher {
            program,
            args: Vec::new(),
            from: "PATH",
        });
    }
    if let Some(program) = on_path(&env, "python3".as_ref()) {
        return Ok(Launcher {
            program,
            args: vec!["-m".into(), "milvus_lite".into()],
            from: "no MILVUS_LITE_BIN, no milvus-lite on PATH",
        });
    }
    Err(lite_error(
        data_dir,
        LiteProblem::NotInstalled,
        "no MILVUS_LITE_BIN, and neither milvus-lite nor python3 on PATH",
    ))
}

/// The first executable file `name` in the `PATH` directories.
fn on_path(env: &ProcessEnv, name: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = env.var("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
