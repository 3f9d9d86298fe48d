//! What a device keeps across resets on a board with writable flash: each slot's
//! record (sequence number, layout, helpers, image digest) with its image, and the boot
//! count. Rollback protection rests on it: a slot's sequence number must outlive
//! resets and power loss, or an old signed manifest could be replayed.
//!
//! The store is a key-value map of `sequential-storage` over any NOR flash
//! (`embedded-storage-async`): writes append, pages are erased in turn (wear spreads),
//! and an interrupted write leaves the last complete value of its key. An image is
//! kept in chunks (an item must fit a flash page), in one of two banks per slot: a new
//! image goes to the bank the record does not name, and the record, written last,
//! switches to it, so a power loss at any byte leaves the old slot or the new one,
//! whole. The caller checks a restored image against the record's digest before it
//! trusts it, as it does an image kept in RAM.
//!
//! QEMU's boards model no flash controller: the firmware keeps the same state in RAM
//! that survives a warm reset (`firmware/src/runtime/persist.rs`); this store is for
//! chips whose flash the firmware can write, and is tested on the host against
//! sequential-storage's flash model.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use embedded_storage_async::nor_flash::NorFlash;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

/// Image bytes per flash item: an item (header, key, value) must fit a page, and the
/// smallest pages of the chips this is for are 2 KiB.
pub const CHUNK: usize = 1024;
/// The largest image a slot record holds.
pub const MAX_IMAGE: usize = 64 * CHUNK;

/// A slot as kept: what the firmware needs to serve it again after a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecord {
    /// The sequence number of the last manifest installed: kept when the slot is
    /// erased, so that no older manifest installs again.
    pub sequence: u64,
    /// The image's layout (`proto`'s numbering).
    pub layout: u8,
    /// The helpers the manifest allows, as the firmware encodes them.
    pub helpers: Vec<u8>,
    /// SHA-256 of the image, from the manifest.
    pub image_sha256: [u8; 32],
    /// The image; empty for a slot that holds none (erased, or never loaded).
    pub image: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError<E: core::fmt::Debug> {
    /// The flash range is not whole pages, or fewer than two.
    #[error("the store's flash range is not at least two whole pages")]
    Range,
    #[error("flash: {0:?}")]
    Flash(sequential_storage::Error<E>),
    /// A record or chunk that does not decode, or a chunk missing: the slot is lost
    /// (its sequence number too, so the caller must treat the slot as untrusted).
    #[error("slot {0}: the kept record is damaged")]
    Damaged(u8),
    #[error("an image of {0} bytes is larger than the store takes")]
    TooLarge(usize),
}

impl<E: core::fmt::Debug> From<sequential_storage::Error<E>> for StoreError<E> {
    fn from(e: sequential_storage::Error<E>) -> Self {
        StoreError::Flash(e)
    }
}

/// The record as written: the image is in its bank's chunks.
#[derive(minicbor::Encode, minicbor::Decode)]
struct Stored {
    #[n(0)]
    sequence: u64,
    #[n(1)]
    layout: u8,
    #[cbor(n(2), with = "minicbor::bytes")]
    helpers: Vec<u8>,
    #[cbor(n(3), with = "minicbor::bytes")]
    image_sha256: [u8; 32],
    #[n(4)]
    image_len: u32,
    #[n(5)]
    bank: u8,
}

/// Keys: the boot count, a record per slot, and per slot two banks of chunks.
const BOOT_COUNT: u16 = 0;
fn record_key(slot: u8) -> u16 {
    0x100 | slot as u16
}
fn chunk_key(slot: u8, bank: u8, chunk: usize) -> u16 {
    0x4000 | (slot as u16) << 8 | (bank as u16 & 1) << 7 | chunk as u16
}

/// No cache: the store is read at boot and written at pulls, rarely.
type NoCache = Cache<Uncached, Uncached, Uncached, u16>;

pub struct FlashStore<F: NorFlash> {
    map: MapStorage<u16, F, NoCache>,
    /// Room for the largest item: a chunk, or a record.
    buffer: Vec<u8>,
}

impl<F: NorFlash> FlashStore<F>
where
    F::Error: core::fmt::Debug,
{
    /// The store in `range` of `flash` (whole pages, at least two), as it was left.
    pub fn new(flash: F, range: Range<u32>) -> Result<Self, StoreError<F::Error>> {
        let config = MapConfig::try_new(range).map_err(|_| StoreError::Range)?;
        Ok(Self { map: MapStorage::new(flash, config, Cache::new_uncached()), buffer: vec![0; CHUNK + 128] })
    }

    /// Counts a boot: the count kept, plus one, kept and returned.
    pub async fn next_boot(&mut self) -> Result<u32, StoreError<F::Error>> {
        let last = match self.map.fetch_item::<&[u8]>(&mut self.buffer, &BOOT_COUNT).await? {
            Some(b) => u32::from_le_bytes(b.try_into().map_err(|_| StoreError::Damaged(0))?),
            None => 0,
        };
        let next = last.wrapping_add(1);
        self.map.store_item(&mut self.buffer, &BOOT_COUNT, &&next.to_le_bytes()[..]).await?;
        Ok(next)
    }

    /// Slot `slot` as kept, if it ever was.
    pub async fn slot(&mut self, slot: u8) -> Result<Option<SlotRecord>, StoreError<F::Error>> {
        let Some(stored) = self.stored(slot).await? else { return Ok(None) };
        let len = stored.image_len as usize;
        if len > MAX_IMAGE {
            return Err(StoreError::Damaged(slot));
        }
        let mut image = Vec::with_capacity(len);
        for chunk in 0..len.div_ceil(CHUNK) {
            let key = chunk_key(slot, stored.bank, chunk);
            let bytes = self.map.fetch_item::<&[u8]>(&mut self.buffer, &key).await?.ok_or(StoreError::Damaged(slot))?;
            let want = (len - image.len()).min(CHUNK);
            image.extend_from_slice(bytes.get(..want).ok_or(StoreError::Damaged(slot))?);
        }
        Ok(Some(SlotRecord {
            sequence: stored.sequence,
            layout: stored.layout,
            helpers: stored.helpers,
            image_sha256: stored.image_sha256,
            image,
        }))
    }

    /// Keeps `record` as slot `slot`: the image in the bank the current record does
    /// not use, then the record, which makes it the slot's.
    pub async fn save_slot(&mut self, slot: u8, record: &SlotRecord) -> Result<(), StoreError<F::Error>> {
        if record.image.len() > MAX_IMAGE {
            return Err(StoreError::TooLarge(record.image.len()));
        }
        let bank = match self.stored(slot).await {
            Ok(Some(current)) => current.bank ^ 1,
            Ok(None) | Err(StoreError::Damaged(_)) => 0,
            Err(e) => return Err(e),
        };
        for (n, chunk) in record.image.chunks(CHUNK).enumerate() {
            self.map.store_item(&mut self.buffer, &chunk_key(slot, bank, n), &chunk).await?;
        }
        let stored = Stored {
            sequence: record.sequence,
            layout: record.layout,
            helpers: record.helpers.clone(),
            image_sha256: record.image_sha256,
            image_len: record.image.len() as u32,
            bank,
        };
        let bytes = minicbor::to_vec(&stored).map_err(|_| StoreError::Damaged(slot))?;
        self.map.store_item(&mut self.buffer, &record_key(slot), &bytes.as_slice()).await?;
        Ok(())
    }

    async fn stored(&mut self, slot: u8) -> Result<Option<Stored>, StoreError<F::Error>> {
        match self.map.fetch_item::<&[u8]>(&mut self.buffer, &record_key(slot)).await? {
            Some(bytes) => minicbor::decode(bytes).map(Some).map_err(|_| StoreError::Damaged(slot)),
            None => Ok(None),
        }
    }

    /// The flash back, e.g. to open the store again as after a reset.
    pub fn into_flash(self) -> F {
        self.map.destroy().0
    }
}
