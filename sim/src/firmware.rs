//! Building the firmware on demand and naming the exact image a run used.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// Builds the firmware with `ci/build-firmware` (cargo makes this a no-op when
/// nothing changed) and returns the ELF's path.
pub fn build(repo: &Path) -> anyhow::Result<PathBuf> {
    let script = repo.join("ci/build-firmware");
    let out = Command::new(&script)
        .output()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !out.status.success() {
        anyhow::bail!("firmware build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let path = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_string();
    let path = PathBuf::from(path);
    anyhow::ensure!(path.is_file(), "firmware build reported {}, which does not exist", path.display());
    Ok(path)
}

pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
