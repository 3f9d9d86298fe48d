//! Publishing a program for devices to pull: the image and its signed SUIT manifest,
//! written into a file server's root. Used by `mbpf deploy` and by `sim`.
use std::path::{Path, PathBuf};

use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};

use crate::error::{Error, Result};
use crate::keys::SigningKey;

/// The file that remembers the last sequence number signed for a slot.
fn sequence_file(root: &Path, slot: u8) -> PathBuf {
    root.join(".mbpf").join(format!("slot{slot}.sequence"))
}

/// The next sequence number for a slot, as recorded in the server root.
pub fn next_sequence(root: &Path, slot: u8) -> Result<u64> {
    let path = sequence_file(root, slot);
    let last = match std::fs::read_to_string(&path) {
        Ok(t) => {
            Some(t.trim().parse::<u64>().map_err(|e| Error::Corrupt { path: path.clone(), message: e.to_string() })?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::File { action: "read", path, source: e }),
    };
    Ok(last.map_or(1, |l| l + 1))
}

pub fn record_sequence(root: &Path, slot: u8, seq: u64) -> Result<()> {
    let dir = root.join(".mbpf");
    std::fs::create_dir_all(&dir).map_err(Error::file("create", &dir))?;
    let path = sequence_file(root, slot);
    std::fs::write(&path, format!("{seq}\n")).map_err(Error::file("write", path))
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
pub fn publish(p: &Publication) -> Result<(String, u64)> {
    publish_with(p, |_| {})
}

/// [`publish`], with the manifest's fields edited before signing (testbeds use this
/// to make updates a device must refuse: another class, an old sequence number).
pub fn publish_with(p: &Publication, edit: impl FnOnce(&mut SlotUpdate)) -> Result<(String, u64)> {
    let image_path = p.root.join(p.name);
    std::fs::write(&image_path, p.image).map_err(Error::file("write", image_path))?;
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
    let manifest_path = p.root.join(&manifest);
    std::fs::write(&manifest_path, envelope).map_err(Error::file("write", manifest_path))?;
    record_sequence(p.root, p.slot, recorded)?;
    Ok((format!("{}/{manifest}", p.base_uri), sequence))
}
