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

/// What a firmware image is built from: every file under these paths, plus the
/// build's environment settings.
const SOURCES: &[&str] = &["firmware/src", "firmware/build.rs", "firmware/Cargo.toml", "firmware/Cargo.lock", "firmware/memory.x", "firmware/.cargo", "vm/src", "vm/Cargo.toml", "jit/src", "jit/Cargo.toml", "proto/src", "proto/Cargo.toml", "suit/src", "suit/Cargo.toml", "programs/bench", "programs/include", "keys", "ci/build-firmware"];
const SETTINGS: &[&str] = &["MBPF_TRUSTED_KEYS", "MBPF_IPV4", "MBPF_IPV4_GATEWAY", "MBPF_IPV6", "MBPF_IPV6_GATEWAY", "MBPF_CLANG"];

/// The sha256 of the sources and settings a variant is built from.
pub fn source_hash(repo: &Path, variant: Variant) -> anyhow::Result<String> {
    fn walk(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                walk(&entry?.path(), files)?;
            }
        } else if path.is_file() {
            files.push(path.to_path_buf());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for s in SOURCES {
        walk(&repo.join(s), &mut files)?;
    }
    files.sort();
    let mut h = Sha256::new();
    h.update(variant.name());
    for f in files {
        h.update(f.strip_prefix(repo).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?);
    }
    for k in SETTINGS {
        h.update(format!("{k}={}", std::env::var(k).unwrap_or_default()));
    }
    Ok(hex(&h.finalize()))
}

/// The firmware image of `variant`, built with `ci/build-firmware` unless an image of
/// the same sources is cached (`firmware/target/images/firmware-VARIANT-HASH.elf`).
pub fn build(repo: &Path, variant: Variant) -> anyhow::Result<PathBuf> {
    let hash = source_hash(repo, variant)?;
    let cached = repo.join(format!("firmware/target/images/firmware-{}-{}.elf", variant.name(), &hash[..16]));
    if cached.is_file() {
        tracing::debug!(image = %cached.display(), "cached firmware");
        return Ok(cached);
    }
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
    // Sources edited while building would make the name lie: cache only if unchanged.
    if source_hash(repo, variant)? == hash {
        // One cached image per variant: older ones go.
        let prefix = format!("firmware-{}-", variant.name());
        if let Ok(dir) = std::fs::read_dir(repo.join("firmware/target/images")) {
            for old in dir.flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&prefix)) {
                let _ = std::fs::remove_file(old.path());
            }
        }
        std::fs::copy(&path, &cached).with_context(|| format!("cannot cache {}", cached.display()))?;
        return Ok(cached);
    }
    Ok(path)
}

pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
