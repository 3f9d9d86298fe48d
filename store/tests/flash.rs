//! The store on sequential-storage's flash model, shaped like the STM32L475's flash
//! (2 KiB pages, 8-byte words written once between erases): what is kept comes back
//! after a reset, a power loss at any byte leaves the old slot or the new one whole,
//! and hundreds of updates wear through the pages with the last one winning.
use futures::executor::block_on;
use sequential_storage::mock_flash::{MockFlashBase, WriteCountCheck};
use store::{FlashStore, SlotRecord, StoreError};

/// 16 pages of 2 KiB, 8-byte words.
type Flash = MockFlashBase<16, 8, 256>;
const RANGE: core::ops::Range<u32> = 0..16 * 2048;

fn flash() -> Flash {
    Flash::new(WriteCountCheck::OnceOnly, None, true)
}

fn record(sequence: u64, image_len: usize) -> SlotRecord {
    let image: Vec<u8> = (0..image_len).map(|i| (i as u64 * 7 + sequence) as u8).collect();
    SlotRecord { sequence, layout: 2, helpers: vec![0x0f, sequence as u8], image_sha256: [sequence as u8; 32], image }
}

/// Opens the store on `flash` as a device does at boot.
fn open(flash: Flash) -> FlashStore<Flash> {
    FlashStore::new(flash, RANGE).unwrap()
}

#[test]
fn slots_and_the_boot_count_outlive_a_reset() {
    let mut store = open(flash());
    assert_eq!(block_on(store.next_boot()).unwrap(), 1);
    assert_eq!(block_on(store.slot(1)).unwrap(), None);
    let five = record(5, 2500);
    block_on(store.save_slot(1, &five)).unwrap();
    // An erased slot keeps its sequence number: the record without an image.
    let erased = SlotRecord { image: vec![], ..record(3, 0) };
    block_on(store.save_slot(2, &erased)).unwrap();

    // A reset: the store opened again on the same flash.
    let mut store = open(store.into_flash());
    assert_eq!(block_on(store.next_boot()).unwrap(), 2);
    assert_eq!(block_on(store.slot(1)).unwrap(), Some(five));
    assert_eq!(block_on(store.slot(2)).unwrap(), Some(erased));
    assert_eq!(block_on(store.slot(3)).unwrap(), None);
}

#[test]
fn a_power_loss_at_any_byte_leaves_the_old_slot_or_the_new_one() {
    let (old, new) = (record(5, 2500), record(6, 3100));
    let mut store = open(flash());
    block_on(store.save_slot(1, &old)).unwrap();
    let before = store.into_flash();
    let (mut saw_old, mut saw_new) = (0, 0);
    let mut cut = 0;
    loop {
        let mut cut_flash = before.clone();
        cut_flash.bytes_until_shutoff = Some(cut);
        let mut store = open(cut_flash);
        let saved = block_on(store.save_slot(1, &new));
        let mut flash = store.into_flash();
        flash.bytes_until_shutoff = None;
        let kept = block_on(open(flash).slot(1)).unwrap_or_else(|e| panic!("cut at byte {cut}: {e}"));
        if kept.as_ref() == Some(&old) {
            saw_old += 1;
        } else {
            assert_eq!(kept.as_ref(), Some(&new), "cut at byte {cut}: neither slot");
            saw_new += 1;
        }
        if saved.is_ok() {
            assert_eq!(kept, Some(new.clone()), "a completed save");
            break;
        }
        cut += 8;
    }
    assert!(saw_old > 300 && saw_new >= 1, "{saw_old} cuts kept the old slot, {saw_new} the new");
}

#[test]
fn many_updates_wear_through_the_pages_and_the_last_wins() {
    let mut store = open(flash());
    for sequence in 1..=300u64 {
        let slot = (sequence % 3) as u8;
        let r = record(sequence, (sequence as usize * 37) % 3000);
        block_on(store.save_slot(slot, &r)).unwrap_or_else(|e| panic!("update {sequence}: {e}"));
        if sequence % 50 == 0 {
            store = open(store.into_flash());
        }
    }
    let mut store = open(store.into_flash());
    for (slot, last) in [(0u8, 300u64), (1, 298), (2, 299)] {
        assert_eq!(block_on(store.slot(slot)).unwrap(), Some(record(last, (last as usize * 37) % 3000)));
    }
}

#[test]
fn bad_ranges_and_oversized_images_are_refused() {
    assert!(matches!(FlashStore::new(flash(), 0..2048), Err(StoreError::Range)));
    assert!(matches!(FlashStore::new(flash(), 100..8192), Err(StoreError::Range)));
    let mut store = open(flash());
    let huge = record(1, store::MAX_IMAGE + 1);
    assert!(matches!(block_on(store.save_slot(1, &huge)), Err(StoreError::TooLarge(_))));
    assert_eq!(block_on(store.slot(1)).unwrap(), None);
}
