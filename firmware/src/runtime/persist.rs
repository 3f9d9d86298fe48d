//! State that survives a warm reset: each slot's highest sequence number (rollback
//! protection), its image when it fits, and the boot count.
//!
//! It lives in RAM that no section of the image covers (`_persist_start` ..
//! `_persist_end`, from the board's memory map), so neither the reset handler nor
//! QEMU's loader (which rewrites and zero-fills the image's segments on every reset)
//! touches it; a reset by SYSRESETREQ, the reset pin or a debugger keeps it, a power
//! cut does not. On the STM32L475 it is SRAM2, the RAM the chip keeps in standby.
//!
//! The metadata is kept twice (A and B), each with a generation number and a
//! SHA-256 check: a write goes to the older copy, so a reset in the middle of one
//! leaves the other intact. An image is written to its slot's part of the area before
//! the metadata that names it; one torn by a reset fails its digest on restore and
//! the slot comes back empty, its sequence number kept.
//!
//! Written by hand: the fixed layout is a few lines, and no flash-store crate applies
//! to plain RAM.
use core::sync::atomic::{AtomicBool, Ordering};

use super::slots::SLOT_COUNT;

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

pub struct Persist {
    area: &'static mut [u8],
    /// Which copy holds the newest metadata, and its generation.
    current: usize,
    generation: u32,
    boot_count: u32,
}

unsafe extern "C" {
    static mut _persist_start: u8;
    static mut _persist_end: u8;
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Persist {
    /// The area, once per boot: restores the newest valid metadata (or starts afresh
    /// when neither copy is valid, e.g. after power-on) and counts this boot.
    pub fn open() -> Option<Self> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the linker script reserves `_persist_start.._persist_end` for this
        // module alone and no section is placed there; TAKEN hands the slice out once.
        let area = unsafe {
            let start = core::ptr::addr_of_mut!(_persist_start);
            let len = core::ptr::addr_of_mut!(_persist_end) as usize - start as usize;
            core::slice::from_raw_parts_mut(start, len)
        };
        if area.len() < METAS + 8 * SLOT_COUNT {
            return None;
        }
        let mut persist = Self { area, current: 0, generation: 0, boot_count: 0 };
        let copies = [0, 1].map(|i| persist.valid(i));
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
                persist.boot_count = read_u32(persist.meta(i), 12);
            }
            None => {
                persist.meta_mut(0).fill(0);
                persist.meta_mut(1).fill(0);
            }
        }
        persist.boot_count = persist.boot_count.wrapping_add(1);
        persist.commit(|_| {});
        Some(persist)
    }

    /// Boots counted since the area was last found invalid (1: this is the first).
    pub fn boot_count(&self) -> u32 {
        self.boot_count
    }

    /// The most image bytes a slot keeps.
    pub fn image_capacity(&self) -> usize {
        ((self.area.len() - METAS) / SLOT_COUNT) & !7
    }

    pub fn slot(&self, slot: usize) -> SavedSlot<'_> {
        let e = &self.meta(self.current)[16 + slot * ENTRY..][..ENTRY];
        let size = read_u32(e, 12) as usize;
        let image = (e[9] == 1 && size <= self.image_capacity()).then(|| SavedImage {
            layout: e[10],
            helpers: e[48..80].try_into().unwrap_or([0; 32]),
            sha256: e[16..48].try_into().unwrap_or([0; 32]),
            bytes: &self.area[METAS + slot * self.image_capacity()..][..size],
        });
        SavedSlot { sequence: u64::from_le_bytes(e[0..8].try_into().unwrap_or([0; 8])), seen: e[8] == 1, image }
    }

    /// Saves a slot's state; its image too when it fits (`true` then).
    pub fn save_slot(&mut self, slot: usize, sequence: u64, seen: bool, image: Option<SavedImage<'_>>) -> bool {
        let capacity = self.image_capacity();
        let image = image.filter(|i| i.bytes.len() <= capacity);
        if let Some(i) = &image {
            self.area[METAS + slot * capacity..][..i.bytes.len()].copy_from_slice(i.bytes);
        }
        let kept = image.is_some();
        self.commit(|meta| {
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

    fn meta(&self, i: usize) -> &[u8] {
        &self.area[i * META..][..META]
    }

    fn meta_mut(&mut self, i: usize) -> &mut [u8] {
        &mut self.area[i * META..][..META]
    }

    /// Copy `i`'s generation, if it is valid.
    fn valid(&self, i: usize) -> Option<u32> {
        let m = self.meta(i);
        let ok =
            read_u32(m, 0) == MAGIC && read_u32(m, 4) == VERSION && suit::sha256(&m[..META - 8])[..8] == m[META - 8..];
        ok.then(|| read_u32(m, 8))
    }

    /// Writes the current metadata, changed by `change`, into the other copy with the
    /// next generation: the current copy stays valid until this one is complete.
    fn commit(&mut self, change: impl FnOnce(&mut [u8])) {
        let (from, to) = (self.current, 1 - self.current);
        let mut meta = [0u8; META];
        meta.copy_from_slice(self.meta(from));
        change(&mut meta);
        self.generation = self.generation.wrapping_add(1);
        meta[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        meta[4..8].copy_from_slice(&VERSION.to_le_bytes());
        meta[8..12].copy_from_slice(&self.generation.to_le_bytes());
        meta[12..16].copy_from_slice(&self.boot_count.to_le_bytes());
        let check = suit::sha256(&meta[..META - 8]);
        meta[META - 8..].copy_from_slice(&check[..8]);
        self.meta_mut(to).copy_from_slice(&meta);
        self.current = to;
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Set by `POST /reset`: the server resets the chip once the answer is out.
pub static RESET_REQUESTED: AtomicBool = AtomicBool::new(false);
