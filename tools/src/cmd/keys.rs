//! `mbpf keygen`: Ed25519 signing keys, stored as hex (secret seed; `.pub`: public key).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Cmd {
    /// Where to write the secret key; the public key goes to the same path + `.pub`.
    #[arg(short, long, default_value = "mbpf.key")]
    output: PathBuf,
    /// Replace existing key files.
    #[arg(long)]
    force: bool,
}

pub use tools::publish::{hex, read_signing_key, unhex};

pub fn pub_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

/// Reads an Ed25519 public key (64 hex digits).
pub fn read_public_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read key {}", path.display()))?;
    unhex(&text).ok().and_then(|b| b.try_into().ok()).with_context(|| format!("{} is not an Ed25519 public key (64 hex digits)", path.display()))
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let public = pub_path(&self.output);
        for p in [&self.output, &public] {
            anyhow::ensure!(self.force || !p.exists(), "{} exists; pass --force to replace it", p.display());
        }
        let seed: [u8; 32] = rand::random();
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        super::write(&self.output, format!("{}\n", hex(&seed)).as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.output, std::fs::Permissions::from_mode(0o600))?;
        }
        super::write(&public, format!("{}\n", hex(&key.verifying_key().to_bytes())).as_bytes())?;
        println!("secret key: {}\npublic key: {}", self.output.display(), public.display());
        Ok(ExitCode::SUCCESS)
    }
}
