//! The mbpf device profile of SUIT: what a manifest must say to update a slot.
//!
//! - exactly one component, identified as `["mbpf-slot", h'<slot>']`;
//! - parameters (in `directive-override-parameters` of the shared or install
//!   sequence): vendor id, class id, image digest (SHA-256), image size, image URI,
//!   and mbpf's custom parameters: image layout ([`PARAM_LAYOUT`]) and helper
//!   allow-list ([`PARAM_HELPERS`], one byte per helper id);
//! - commands: `condition-vendor-identifier` and `condition-class-identifier`,
//!   `directive-fetch` in the install sequence, and `condition-image-match`.
use alloc::string::String;
use alloc::vec::Vec;

use crate::envelope::Digest;
use crate::manifest::*;
use crate::SuitError;

/// The first part of a slot component's identifier.
pub const SLOT_COMPONENT: &[u8] = b"mbpf-slot";
/// Custom parameter: the image layout id (0 text, 1 femto, 2 extended, 3 elf).
pub const PARAM_LAYOUT: i64 = -257;
/// Custom parameter: the helper allow-list, one byte per helper id.
pub const PARAM_HELPERS: i64 = -258;

/// The vendor id mbpf devices check (an RFC 4122 UUID v5 of "mbpf" in the DNS namespace).
pub const VENDOR_ID: [u8; 16] =
    [0x5b, 0x3a, 0x5f, 0x8e, 0x27, 0x1d, 0x5c, 0x4b, 0x9a, 0x61, 0x0e, 0x3f, 0x6d, 0x24, 0x8c, 0x11];
/// The class id of the QEMU mps2-an386 board image.
pub const CLASS_ID_MPS2_AN386: [u8; 16] =
    [0x1f, 0x2b, 0x7c, 0x40, 0x94, 0x0a, 0x5d, 0x63, 0xb2, 0x17, 0x6e, 0x58, 0xc1, 0x3d, 0x90, 0x02];

/// A slot update, as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotUpdate {
    pub slot: u8,
    pub sequence: u64,
    pub vendor_id: Vec<u8>,
    pub class_id: Vec<u8>,
    pub image_digest: [u8; 32],
    pub image_size: u64,
    pub uri: String,
    pub layout: u8,
    pub helpers: Vec<u8>,
}

impl SlotUpdate {
    /// Reads the update from a manifest that follows the profile.
    pub fn from_manifest(m: &Manifest) -> Result<Self, SuitError> {
        let [component] = m.components.as_slice() else {
            return Err(SuitError::Manifest("exactly one component is required"));
        };
        let slot = match component.as_slice() {
            [kind, slot] if kind == SLOT_COMPONENT && slot.len() == 1 => slot[0],
            _ => return Err(SuitError::Manifest("the component is not an mbpf slot")),
        };
        let install = m.sequence(INSTALL).ok_or(SuitError::Manifest("no install sequence"))?;
        let mut params: Vec<(i64, Param)> = Vec::new();
        let mut commands: Vec<i64> = Vec::new();
        for seq in [m.shared.as_slice(), install] {
            walk(seq, &mut |c| {
                commands.push(c.id);
                if let Arg::Params(p) = &c.arg {
                    params.extend(p.iter().cloned());
                }
            });
        }
        for (needed, what) in [
            (CONDITION_VENDOR_ID, "condition-vendor-identifier"),
            (CONDITION_CLASS_ID, "condition-class-identifier"),
            (DIRECTIVE_FETCH, "directive-fetch"),
            (CONDITION_IMAGE_MATCH, "condition-image-match"),
        ] {
            if !commands.contains(&needed) {
                let _ = what;
                return Err(SuitError::Manifest("a required command (vendor, class, fetch or image-match) is missing"));
            }
        }
        // Later overrides win.
        let get = |key: i64| params.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v);
        let bytes = |key, what| match get(key) {
            Some(Param::Bytes(b)) => Ok(b.clone()),
            _ => Err(SuitError::Manifest(what)),
        };
        let uint = |key, what| match get(key) {
            Some(Param::Uint(v)) => Ok(*v),
            _ => Err(SuitError::Manifest(what)),
        };
        let digest = Digest::decode(&bytes(PARAM_IMAGE_DIGEST, "image digest missing")?)?;
        if digest.alg != crate::alg::SHA256 {
            return Err(SuitError::DigestAlgorithm(digest.alg));
        }
        let image_digest: [u8; 32] =
            digest.bytes.as_slice().try_into().map_err(|_| SuitError::Manifest("image digest is not 32 bytes"))?;
        let uri = match get(PARAM_URI) {
            Some(Param::Text(t)) => t.clone(),
            _ => return Err(SuitError::Manifest("image URI missing")),
        };
        let layout = uint(PARAM_LAYOUT, "image layout missing")?;
        Ok(Self {
            slot,
            sequence: m.sequence,
            vendor_id: bytes(PARAM_VENDOR_ID, "vendor id missing")?,
            class_id: bytes(PARAM_CLASS_ID, "class id missing")?,
            image_digest,
            image_size: uint(PARAM_IMAGE_SIZE, "image size missing")?,
            uri,
            layout: u8::try_from(layout).map_err(|_| SuitError::Manifest("image layout out of range"))?,
            helpers: bytes(PARAM_HELPERS, "helper list missing").unwrap_or_default(),
        })
    }
}
