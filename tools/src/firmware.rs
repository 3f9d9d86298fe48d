//! Building the firmware on demand and naming the exact image a run used.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use sha2::{Digest, Sha256};

/// A firmware build variant (see `ci/build-firmware`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The device server: signed programs only.
    Default,
    /// Adds `POST /run` for unsigned images (conformance, benchmarks).
    Testbed,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Default => "default",
            Variant::Testbed => "testbed",
        }
    }
}

/// The repository this binary was built from.
pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

/// Builds the firmware with `ci/build-firmware` (cargo makes this a no-op when
/// nothing changed) and returns the ELF's path.
pub fn build(repo: &Path, variant: Variant) -> anyhow::Result<PathBuf> {
    let script = repo.join("ci/build-firmware");
    let out = Command::new(&script)
        .arg(variant.name())
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
