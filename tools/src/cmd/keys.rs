//! `mbpf keygen`: Ed25519 signing keys, stored as hex (secret seed; `.pub`: public key),
//! and EDHOC identities (P-256 secret; `.ccs`: the credential a device is built with).
use std::path::PathBuf;
use std::process::ExitCode;

use testbed::keys::{public_key_path, Algorithm};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Alg {
    /// Ed25519 (COSE -19): what mbpf devices verify.
    Ed25519,
    /// ES256 (P-256, COSE -7): for other SUIT consumers.
    Es256,
    /// An EDHOC identity (P-256 static Diffie-Hellman key and its CCS credential): a
    /// client that manages devices, or a device.
    Edhoc,
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
    /// EDHOC: the credential's subject name.
    #[arg(long, default_value = "mbpf client")]
    subject: String,
    /// EDHOC: the credential's key id, in hex (by default one random byte); a device
    /// tells the clients it accepts apart by it.
    #[arg(long)]
    kid: Option<String>,
}

impl Cmd {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if self.alg == Alg::Edhoc {
            return self.edhoc();
        }
        let public_path = public_key_path(&self.output);
        for p in [&self.output, &public_path] {
            anyhow::ensure!(self.force || !p.exists(), "{} exists; pass --force to replace it", p.display());
        }
        let key = testbed::keys::SigningKey::generate(match self.alg {
            Alg::Ed25519 => Algorithm::Ed25519,
            Alg::Es256 => Algorithm::Es256,
            Alg::Edhoc => unreachable!("handled above"),
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

    fn edhoc(self) -> anyhow::Result<ExitCode> {
        let ccs_path = testbed::keys::ccs_path(&self.output);
        for p in [&self.output, &ccs_path] {
            anyhow::ensure!(self.force || !p.exists(), "{} exists; pass --force to replace it", p.display());
        }
        let kid = match &self.kid {
            Some(hex) => hex::decode(hex).map_err(|_| anyhow::anyhow!("--kid {hex} is not hex"))?,
            None => vec![rand::random::<u8>()],
        };
        anyhow::ensure!(!kid.is_empty() && kid.len() <= 8, "a key id has 1 to 8 bytes");
        let identity = testbed::keys::EdhocIdentity::generate(&self.subject, &kid);
        identity.write(&self.output)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.output, std::fs::Permissions::from_mode(0o600))?;
        }
        println!(
            "secret key: {}\ncredential: {} (key id {})",
            self.output.display(),
            ccs_path.display(),
            hex::encode(&kid)
        );
        Ok(ExitCode::SUCCESS)
    }
}
