//! `testbed::footprint` on the real firmware images: every byte of flash and RAM is
//! charged to a crate, and the crates of the project are there.
use testbed::firmware::{self, Variant};
use testbed::footprint::{Cost, Footprint};

#[test]
fn every_byte_of_both_images_goes_to_a_crate() {
    for variant in [Variant::Default, Variant::Testbed] {
        let image = firmware::build(&testbed::repo_root(), super::common::board(), variant).unwrap();
        let f = Footprint::of_elf(&image).unwrap();
        let mut sum = Cost::default();
        for (_, cost) in f.rows() {
            sum += cost;
        }
        assert_eq!(sum, f.total, "{variant:?}: the crates add up to the sections");
        for name in ["vm", "jit", "proto", "suit", "firmware"] {
            assert!(f.crates.get(name).is_some_and(|c| c.flash > 0), "{variant:?}: no flash charged to {name}");
        }
        // Code of a Cortex-M4 firmware: more than 64 KiB, less than the 4 MiB the board maps.
        assert!((64 << 10..4 << 20).contains(&f.total.flash), "{variant:?}: {:?}", f.total);
        // The heap is a static of the firmware crate.
        assert!(f.crates["firmware"].ram >= 1 << 10, "{variant:?}: {:?}", f.crates["firmware"]);
    }
}

#[test]
fn a_file_that_is_no_elf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.elf");
    std::fs::write(&path, b"not an elf").unwrap();
    assert!(matches!(Footprint::of_elf(&path), Err(testbed::Error::Firmware { .. })));
}
