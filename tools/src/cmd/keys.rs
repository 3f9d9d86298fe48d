//! `mbpf keygen`: Ed25519 signing keys, stored as hex (secret seed; `.pub`: public key).
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::keys::{public_key_path, Algorithm};

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

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let public_path = public_key_path(&self.output);
        for p in [&self.output, &public_path] {
            anyhow::ensure!(self.force || !p.exists(), "{} exists; pass --force to replace it", p.display());
        }
        let key = testbed::keys::SigningKey::generate(match self.alg {
            Alg::Ed25519 => Algorithm::Ed25519,
            Alg::Es256 => Algorithm::Es256,
        });
        let (secret, public) = (key.to_file_text(), key.public_file_text());
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
