//! Publishing a program for devices to pull: the image and its signed SUIT manifest,
//! written into a file server's root. Used by `mbpf deploy` and by `sim`.
use std::path::{Path, PathBuf};

use anyhow::Context;
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};

/// A signing key: Ed25519 (the device profile) or ES256 (P-256).
///
/// Key files are hex: 64 digits for Ed25519; `es256:` and 64 digits for ES256.
pub enum SigningKey {
    Ed25519(ed25519_dalek::SigningKey),
    Es256(p256::ecdsa::SigningKey),
}

/// The prefix of ES256 key files.
pub const ES256_PREFIX: &str = "es256:";

impl SigningKey {
    /// A signed SUIT envelope of `manifest`.
    pub fn sign_manifest(&self, manifest: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Ed25519(k) => suit::build::sign_ed25519(manifest, k),
            SigningKey::Es256(k) => suit::build::sign_es256(manifest, k),
        }
    }
}

/// Reads a signing key written by `mbpf keygen`.
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read key {}", path.display()))?;
    let text = text.trim();
    if let Some(hex) = text.strip_prefix(ES256_PREFIX) {
        let bytes = unhex(hex).with_context(|| format!("{} is not an ES256 secret key", path.display()))?;
        return Ok(SigningKey::Es256(p256::ecdsa::SigningKey::from_slice(&bytes).map_err(|_| anyhow::anyhow!("{} is not an ES256 secret key", path.display()))?));
    }
    let seed: [u8; 32] = unhex(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{} is not an Ed25519 secret key (64 hex digits)", path.display()))?;
    Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
}

/// The repository's test signing key, which default firmware builds trust.
pub fn testbed_key_path() -> PathBuf {
    crate::firmware::repo_root().join("keys/testbed.key")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> anyhow::Result<Vec<u8>> {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    anyhow::ensure!(s.len() % 2 == 0 && s.chars().all(|c| c.is_ascii_hexdigit()), "not hex");
    Ok((0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("checked hex")).collect())
}

/// The file that remembers the last sequence number signed for a slot.
fn sequence_file(root: &Path, slot: u8) -> PathBuf {
    root.join(".mbpf").join(format!("slot{slot}.sequence"))
}

/// The next sequence number for a slot, as recorded in the server root.
pub fn next_sequence(root: &Path, slot: u8) -> anyhow::Result<u64> {
    let path = sequence_file(root, slot);
    let last = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t.trim().parse::<u64>().with_context(|| format!("{} is corrupt", path.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    Ok(last.map_or(1, |l| l + 1))
}

pub fn record_sequence(root: &Path, slot: u8, seq: u64) -> anyhow::Result<()> {
    let path = sequence_file(root, slot);
    std::fs::create_dir_all(path.parent().expect("has a parent")).with_context(|| format!("cannot create {}", root.display()))?;
    std::fs::write(&path, format!("{seq}\n")).with_context(|| format!("cannot write {}", path.display()))
}

/// What a publication needs.
pub struct Publication<'a> {
    pub root: &'a Path,
    /// How the device reaches the file server: `coap://HOST:PORT`.
    pub base_uri: &'a str,
    pub name: &'a str,
    pub image: &'a [u8],
    pub layout: vm::image::Layout,
    pub slot: u8,
    pub helpers: &'a [u8],
    pub key: &'a SigningKey,
}

/// Writes the image and a signed manifest with the slot's next sequence number;
/// returns the manifest's URI (as the device sees it) and the sequence number.
pub fn publish(p: &Publication) -> anyhow::Result<(String, u64)> {
    publish_with(p, |_| {})
}

/// [`publish`], with the manifest's fields edited before signing (testbeds use this
/// to make updates a device must refuse: another class, an old sequence number).
pub fn publish_with(p: &Publication, edit: impl FnOnce(&mut SlotUpdate)) -> anyhow::Result<(String, u64)> {
    std::fs::write(p.root.join(p.name), p.image).with_context(|| format!("cannot write {}", p.name))?;
    let sequence = next_sequence(p.root, p.slot)?;
    let mut update = SlotUpdate {
        slot: p.slot,
        sequence,
        vendor_id: VENDOR_ID.to_vec(),
        class_id: CLASS_ID_MPS2_AN386.to_vec(),
        image_digest: suit::sha256(p.image),
        image_size: p.image.len() as u64,
        uri: format!("{}/{}", p.base_uri, p.name),
        layout: p.layout as u8,
        helpers: p.helpers.to_vec(),
    };
    edit(&mut update);
    // An edited, older sequence number must not roll the server's counter back.
    let recorded = sequence.max(update.sequence);
    let sequence = update.sequence;
    let envelope = p.key.sign_manifest(&suit::build::manifest(&update));
    let manifest = format!("{}.suit", p.name);
    std::fs::write(p.root.join(&manifest), envelope).with_context(|| format!("cannot write {manifest}"))?;
    record_sequence(p.root, p.slot, recorded)?;
    Ok((format!("{}/{manifest}", p.base_uri), sequence))
}
