//! State that survives a warm reset: each slot's highest sequence number (rollback
//! protection), its image when it fits, and the boot count, in an area of RAM the
//! platform keeps across resets ([`crate::Platform::persist_area`]; on the firmware,
//! RAM that no section of the image covers, so neither the reset handler nor QEMU's
//! loader touches it).
//!
//! The metadata is kept twice (A and B), each with a generation number and a
//! SHA-256 check: a write goes to the older copy, so a reset in the middle of one
//! leaves the other intact. An image is written to its slot's part of the area before
//! the metadata that names it; one torn by a reset fails its digest on restore and
//! the slot comes back empty, its sequence number kept.
//!
//! Written by hand: the fixed layout is a few lines, and no flash-store crate applies
//! to plain RAM.
use crate::SLOT_COUNT;

const MAGIC: u32 = u32::from_le_bytes(*b"mbpP");
const VERSION: u32 = 1;
/// Per slot: sequence u64, seen u8, has image u8, layout u8, pad u8, size u32,
/// image SHA-256, helper set (32 bytes).
const ENTRY: usize = 8 + 4 + 4 + 32 + 32;
/// One metadata copy: magic, version, generation, boot count, the entries, and the
/// first 8 bytes of the SHA-256 of all that.
const META: usize = 16 + SLOT_COUNT * ENTRY + 8;
/// Both copies, rounded up to 8 bytes.
const METAS: usize = (2 * META + 7) & !7;

/// A slot's saved state.
pub struct SavedSlot<'a> {
    pub sequence: u64,
    pub seen: bool,
    /// Layout id, helper set bytes, image SHA-256 and the image, when one was saved.
    pub image: Option<SavedImage<'a>>,
}

pub struct SavedImage<'a> {
    pub layout: u8,
    pub helpers: [u8; 32],
    pub sha256: [u8; 32],
    pub bytes: &'a [u8],
}

/// The format's place in the area: which copy is current. The area itself is lent
/// by the platform for each call.
pub struct Persist {
    /// Which copy holds the newest metadata, and its generation.
    current: usize,
    generation: u32,
    boot_count: u32,
}

impl Persist {
    /// Opens the area once per boot: restores the newest valid metadata (or starts
    /// afresh when neither copy is valid, e.g. after power-on) and counts this boot.
    /// `None` if the area is too small to hold the metadata.
    pub fn open(area: &mut [u8]) -> Option<Self> {
        if area.len() < METAS + 8 * SLOT_COUNT {
            return None;
        }
        let mut persist = Self { current: 0, generation: 0, boot_count: 0 };
        let copies = [0, 1].map(|i| valid(area, i));
        let newest = match copies {
            [Some(a), Some(b)] => Some(if b.wrapping_sub(a) as i32 > 0 { 1 } else { 0 }),
            [Some(_), None] => Some(0),
            [None, Some(_)] => Some(1),
            [None, None] => None,
        };
        match newest {
            Some(i) => {
                persist.current = i;
                persist.generation = copies[i].unwrap_or(0);
                persist.boot_count = read_u32(meta(area, i), 12);
            }
            None => {
                meta_mut(area, 0).fill(0);
                meta_mut(area, 1).fill(0);
            }
        }
        persist.boot_count = persist.boot_count.wrapping_add(1);
        persist.commit(area, |_| {});
        Some(persist)
    }

    /// Boots counted since the area was last found invalid (1: this is the first).
    pub fn boot_count(&self) -> u32 {
        self.boot_count
    }

    /// The most image bytes a slot keeps in `area`.
    pub fn image_capacity(area: &[u8]) -> usize {
        ((area.len() - METAS) / SLOT_COUNT) & !7
    }

    pub fn slot<'a>(&self, area: &'a [u8], slot: usize) -> SavedSlot<'a> {
        let e = &meta(area, self.current)[16 + slot * ENTRY..][..ENTRY];
        let size = read_u32(e, 12) as usize;
        let capacity = Self::image_capacity(area);
        let image = (e[9] == 1 && size <= capacity).then(|| SavedImage {
            layout: e[10],
            helpers: e[48..80].try_into().unwrap_or([0; 32]),
            sha256: e[16..48].try_into().unwrap_or([0; 32]),
            bytes: &area[METAS + slot * capacity..][..size],
        });
        SavedSlot { sequence: u64::from_le_bytes(e[0..8].try_into().unwrap_or([0; 8])), seen: e[8] == 1, image }
    }

    /// Saves a slot's state; its image too when it fits (`true` then).
    pub fn save_slot(
        &mut self,
        area: &mut [u8],
        slot: usize,
        sequence: u64,
        seen: bool,
        image: Option<SavedImage<'_>>,
    ) -> bool {
        let capacity = Self::image_capacity(area);
        let image = image.filter(|i| i.bytes.len() <= capacity);
        if let Some(i) = &image {
            area[METAS + slot * capacity..][..i.bytes.len()].copy_from_slice(i.bytes);
        }
        let kept = image.is_some();
        self.commit(area, |meta| {
            let e = &mut meta[16 + slot * ENTRY..][..ENTRY];
            e.fill(0);
            e[0..8].copy_from_slice(&sequence.to_le_bytes());
            e[8] = seen as u8;
            if let Some(i) = &image {
                e[9] = 1;
                e[10] = i.layout;
                e[12..16].copy_from_slice(&(i.bytes.len() as u32).to_le_bytes());
                e[16..48].copy_from_slice(&i.sha256);
                e[48..80].copy_from_slice(&i.helpers);
            }
        });
        kept
    }

    /// Writes the current metadata, changed by `change`, into the other copy with the
    /// next generation: the current copy stays valid until this one is complete.
    fn commit(&mut self, area: &mut [u8], change: impl FnOnce(&mut [u8])) {
        let (from, to) = (self.current, 1 - self.current);
        let mut meta = [0u8; META];
        meta.copy_from_slice(self::meta(area, from));
        change(&mut meta);
        self.generation = self.generation.wrapping_add(1);
        meta[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        meta[4..8].copy_from_slice(&VERSION.to_le_bytes());
        meta[8..12].copy_from_slice(&self.generation.to_le_bytes());
        meta[12..16].copy_from_slice(&self.boot_count.to_le_bytes());
        let check = suit::sha256(&meta[..META - 8]);
        meta[META - 8..].copy_from_slice(&check[..8]);
        meta_mut(area, to).copy_from_slice(&meta);
        self.current = to;
    }
}

fn meta(area: &[u8], i: usize) -> &[u8] {
    &area[i * META..][..META]
}

fn meta_mut(area: &mut [u8], i: usize) -> &mut [u8] {
    &mut area[i * META..][..META]
}

/// Copy `i`'s generation, if it is valid.
fn valid(area: &[u8], i: usize) -> Option<u32> {
    let m = meta(area, i);
    let ok = read_u32(m, 0) == MAGIC && read_u32(m, 4) == VERSION && suit::sha256(&m[..META - 8])[..8] == m[META - 8..];
    ok.then(|| read_u32(m, 8))
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
