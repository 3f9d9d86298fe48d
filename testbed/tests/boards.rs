//! Every board's firmware, as CI can check it without the board: it builds, fits its
//! chip, and probe-rs resolves the chip and plans its flashing from the ELF.
use testbed::firmware::{self, Board, Variant};
use testbed::footprint::Footprint;
use testbed::probe::FlashPlan;

fn image(board: Board) -> std::path::PathBuf {
    firmware::build(&testbed::repo_root(), board, Variant::Default).unwrap()
}

#[test]
fn every_boards_image_fits_its_chip_with_room_for_the_stack() {
    for board in Board::ALL {
        let f = Footprint::of_elf(&image(board)).unwrap();
        let chip = board.chip();
        println!("{board}: flash {} B of {}, static RAM {} B of {}", f.total.flash, chip.flash, f.total.ram, chip.ram);
        assert!(f.total.flash <= chip.flash, "{board}: flash {:?} > {}", f.total, chip.flash);
        // Statics (the heap among them) leave at least 16 KiB of RAM for the stack.
        assert!(f.total.ram + (16 << 10) <= chip.ram, "{board}: RAM {:?} of {}", f.total, chip.ram);
        for name in ["vm", "jit", "device", "firmware"] {
            assert!(f.crates.get(name).is_some_and(|c| c.flash > 0), "{board}: no flash charged to {name}");
        }
    }
}

#[test]
fn probe_rs_resolves_each_chip_and_plans_the_flashing_of_its_image() {
    let expected = [
        (Board::BL475eIot01a, "STM32L475VGTx", 0x0800_0000),
        (Board::NucleoF439zi, "STM32F439ZITx", 0x0800_0000),
        (Board::Nrf52840Dk, "nRF52840_xxAA", 0x0000_0000),
    ];
    for (board, chip, flash_start) in expected {
        let target = testbed::probe::target(board).unwrap();
        assert_eq!(target.name, chip);
        let elf = image(board);
        let plan = FlashPlan::of_elf(board, &elf).unwrap();
        println!("{board}: {plan:x?}, {} B erased", plan.erased());
        assert_eq!(plan.chip, chip);
        // The vector table is the first flash byte: the core boots from it.
        assert_eq!(plan.entry, flash_start, "{board}");
        assert_eq!(plan.regions.len(), 1, "{board}: {plan:?}");
        let region = &plan.regions[0];
        // Every byte of flash the footprint counts is written (.vector_table, .text,
        // .rodata and .data's initial values).
        let f = Footprint::of_elf(&elf).unwrap();
        assert_eq!(region.bytes, f.total.flash, "{board}");
        // The erased sectors are contiguous and cover the data, and no more than one
        // sector beyond it.
        let first = region.sectors.first().unwrap();
        let last = region.sectors.last().unwrap();
        assert!(first.start <= region.data.start && region.data.end <= last.end, "{board}: {region:x?}");
        assert!(region.sectors.windows(2).all(|w| w[0].end == w[1].start), "{board}: {region:x?}");
        assert!(last.start < region.data.end, "{board}: an erased sector holds no data");
    }
    // The STM32F439's uneven sectors: 4 × 16 KiB, 64 KiB, then 128 KiB ones.
    let plan = FlashPlan::of_elf(Board::NucleoF439zi, &image(Board::NucleoF439zi)).unwrap();
    let sizes: Vec<u64> = plan.regions[0].sectors.iter().map(|s| s.end - s.start).collect();
    assert_eq!(sizes[..5], [16 << 10, 16 << 10, 16 << 10, 16 << 10, 64 << 10]);
    assert!(sizes[5..].iter().all(|&s| s == 128 << 10), "{sizes:?}");
}

#[test]
fn an_image_for_another_chip_is_refused_before_any_probe_is_touched() {
    // The Nucleo's image lives at 0x0800_0000, where the nRF52840 has no flash.
    let e = FlashPlan::of_elf(Board::Nrf52840Dk, &image(Board::NucleoF439zi)).unwrap_err().to_string();
    assert!(e.contains("probe-rs refuses it for nRF52840_xxAA"), "{e}");
    let e = FlashPlan::of_elf(Board::Mps2An386, &image(Board::Mps2An386)).unwrap_err().to_string();
    assert_eq!(e, "not supported: mps2-an386 through a probe");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("x.elf");
    std::fs::write(&junk, b"\x7fELF junk").unwrap();
    let e = FlashPlan::of_elf(Board::BL475eIot01a, &junk).unwrap_err().to_string();
    assert!(e.contains("not a 32-bit ELF"), "{e}");
}
