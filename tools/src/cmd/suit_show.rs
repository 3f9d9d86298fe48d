//! `mbpf suit show`: any SUIT envelope in readable form, with its digest and
//! signature checked.
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use suit::manifest::{Arg, Command};
use suit::{Envelope, Manifest, Param};

#[derive(clap::Subcommand)]
pub enum Suit {
    /// Decode an envelope, check its digest and (with a key) its signature.
    Show(Show),
}

#[derive(clap::Args)]
pub struct Show {
    file: PathBuf,
    /// Public key from `mbpf keygen` (`.pub`; Ed25519 or ES256).
    #[arg(long)]
    key: Option<PathBuf>,
    /// ES256 public key: a file of the SEC1 point in hex (e.g. the draft's public_key.hex).
    #[arg(long)]
    es256_key: Option<PathBuf>,
}

fn command_name(id: i64) -> String {
    let name = match id {
        1 => "condition-vendor-identifier",
        2 => "condition-class-identifier",
        3 => "condition-image-match",
        5 => "condition-component-slot",
        12 => "directive-set-component-index",
        15 => "directive-try-each",
        19 => "directive-set-parameters",
        20 => "directive-override-parameters",
        21 => "directive-fetch",
        22 => "directive-copy",
        23 => "directive-invoke",
        32 => "directive-run-sequence",
        _ => return format!("command {id}"),
    };
    name.to_string()
}

fn param_name(key: i64) -> String {
    match key {
        1 => "vendor-id".into(),
        2 => "class-id".into(),
        3 => "image-digest".into(),
        5 => "component-slot".into(),
        14 => "image-size".into(),
        21 => "uri".into(),
        22 => "source-component".into(),
        suit::profile::PARAM_LAYOUT => "mbpf-layout".into(),
        suit::profile::PARAM_HELPERS => "mbpf-helpers".into(),
        k => format!("parameter {k}"),
    }
}

fn print_commands(commands: &[Command], indent: usize) {
    let pad = " ".repeat(indent);
    for c in commands {
        match &c.arg {
            Arg::Params(ps) => {
                println!("{pad}{}:", command_name(c.id));
                for (k, v) in ps {
                    let v = match v {
                        Param::Bytes(b) => format!("h'{}'", hex::encode(b)),
                        Param::Uint(u) => u.to_string(),
                        Param::Int(i) => i.to_string(),
                        Param::Text(t) => format!("{t:?}"),
                        Param::Bool(b) => b.to_string(),
                        Param::Other => "(other)".into(),
                    };
                    println!("{pad}  {}: {v}", param_name(*k));
                }
            }
            Arg::Sequences(seqs) => {
                println!("{pad}{}:", command_name(c.id));
                for (i, s) in seqs.iter().enumerate() {
                    println!("{pad}  option {i}:");
                    print_commands(s, indent + 4);
                }
            }
            Arg::Uint(u) => println!("{pad}{} ({u})", command_name(c.id)),
            Arg::Other => println!("{pad}{}", command_name(c.id)),
        }
    }
}

impl Show {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let bytes = super::read(&self.file)?;
        let env = Envelope::decode(&bytes).with_context(|| format!("{}", self.file.display()))?;
        let m = Manifest::decode(&env.manifest).context("manifest")?;
        println!("envelope: {} bytes, manifest {} bytes", bytes.len(), env.manifest.len());
        let digest_ok = env.check_digest().is_ok();
        println!(
            "digest:   sha256 {} ({})",
            hex::encode(&env.digest.bytes),
            if digest_ok { "matches" } else { "DOES NOT MATCH" }
        );
        for s in &env.signatures {
            let alg = match s.alg {
                -7 => "ES256",
                -8 => "EdDSA",
                -19 => "Ed25519",
                _ => "unknown",
            };
            println!("signature: COSE_Sign1, alg {} ({alg}), {} bytes", s.alg, s.signature.len());
        }
        println!("manifest: version {}, sequence number {}", m.version, m.sequence);
        for c in &m.components {
            let parts: Vec<String> = c.iter().map(|p| format!("h'{}'", hex::encode(p))).collect();
            println!("component: [{}]", parts.join(", "));
        }
        println!("shared sequence:");
        print_commands(&m.shared, 2);
        for (key, seq) in &m.sequences {
            let name = match key {
                7 => "validate",
                8 => "load",
                9 => "invoke",
                16 => "payload-fetch",
                17 => "install",
                _ => "sequence",
            };
            println!("{name} sequence:");
            print_commands(seq, 2);
        }
        let mut ok = digest_ok;
        if let Some(path) = &self.key {
            let (kind, r) = match testbed::keys::read_public_key(path)? {
                testbed::keys::PublicKey::Ed25519(k) => ("Ed25519", env.verify_ed25519(&k)),
                testbed::keys::PublicKey::Es256(k) => ("ES256", env.verify_es256(&k)),
            };
            println!(
                "signature check ({kind}, {}): {}",
                path.display(),
                r.as_ref().map(|_| "valid".to_string()).unwrap_or_else(|e| e.to_string())
            );
            ok &= r.is_ok();
        }
        if let Some(path) = &self.es256_key {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            let key = hex::decode(text.trim()).with_context(|| format!("{} is not a hex key", path.display()))?;
            let r = env.verify_es256(&key);
            println!(
                "signature check (ES256, {}): {}",
                path.display(),
                r.as_ref().map(|_| "valid".to_string()).unwrap_or_else(|e| e.to_string())
            );
            ok &= r.is_ok();
        }
        Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
    }
}
