//! `mbpf keygen`: Ed25519 signing keys, stored as hex (secret seed; `.pub`: public key).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Alg {
    /// Ed25519 (COSE -19): what mbpf devices verify.
    Ed25519,
    /// ES256 (P-256, COSE -7): for other SUIT consumers.
    Es256,
}

#[derive(clap::Args)]
pub struct Cmd {
    #[arg(long, value_enum, default_value = "ed25519")]
    alg: Alg,
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

/// A public key file: Ed25519 (64 hex digits) or ES256 (`es256:` and an SEC1 point).
pub enum PublicKey {
    Ed25519([u8; 32]),
    Es256(Vec<u8>),
}

pub fn read_public_key(path: &Path) -> anyhow::Result<PublicKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read key {}", path.display()))?;
    let text = text.trim();
    if let Some(hex) = text.strip_prefix(tools::publish::ES256_PREFIX) {
        return Ok(PublicKey::Es256(unhex(hex).with_context(|| format!("{} is not an ES256 public key", path.display()))?));
    }
    let key = unhex(text).ok().and_then(|b| b.try_into().ok()).with_context(|| format!("{} is not an Ed25519 public key (64 hex digits)", path.display()))?;
    Ok(PublicKey::Ed25519(key))
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let public_path = pub_path(&self.output);
        for p in [&self.output, &public_path] {
            anyhow::ensure!(self.force || !p.exists(), "{} exists; pass --force to replace it", p.display());
        }
        let (secret, public) = match self.alg {
            Alg::Ed25519 => {
                let seed: [u8; 32] = rand::random();
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                (hex(&seed), hex(&key.verifying_key().to_bytes()))
            }
            Alg::Es256 => {
                // A random scalar is a valid key unless it is 0 or >= n; retry then.
                let key = loop {
                    let bytes: [u8; 32] = rand::random();
                    if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                        break k;
                    }
                };
                let public = key.verifying_key().to_encoded_point(false);
                (format!("{}{}", tools::publish::ES256_PREFIX, hex(&key.to_bytes())), format!("{}{}", tools::publish::ES256_PREFIX, hex(public.as_bytes())))
            }
        };
        super::write(&self.output, format!("{secret}\n").as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.output, std::fs::Permissions::from_mode(0o600))?;
        }
        super::write(&public_path, format!("{public}\n").as_bytes())?;
        println!("secret key: {}\npublic key: {}", self.output.display(), public_path.display());
        Ok(ExitCode::SUCCESS)
    }
}
