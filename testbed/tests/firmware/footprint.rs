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
fn the_jits_code_goes_to_its_source_files() {
    let image = firmware::build(&testbed::repo_root(), super::common::board(), Variant::Default).unwrap();
    let jit = Footprint::of_elf(&image).unwrap().crates["jit"].flash;
    let by_file = testbed::footprint::code_by_file(&image, "jit").unwrap();
    let code: u64 = by_file.values().sum();
    // The crate's code: all of its flash but what it has of read-only data.
    assert!(code <= jit && code >= jit / 10 * 9, "{code} of {jit}: {by_file:?}");
    for file in ["lower/mod.rs", "analysis/forward.rs", "regalloc/homes.rs", "thumb2/encode.rs"] {
        assert!(by_file.get(file).is_some_and(|&b| b >= 1024), "{file}: {by_file:?}");
    }
    // Nearly every byte has a line in one of the crate's files.
    let elsewhere: u64 = ["[other crates]", "[no line]"].iter().filter_map(|k| by_file.get(*k)).sum();
    assert!(elsewhere < code / 20, "{elsewhere} of {code}: {by_file:?}");
}

#[test]
fn a_file_that_is_no_elf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.elf");
    std::fs::write(&path, b"not an elf").unwrap();
    assert!(matches!(Footprint::of_elf(&path), Err(testbed::Error::Firmware { .. })));
}

#[test]
fn the_stm32l475_image_fits_the_chip() {
    let image = firmware::build(&testbed::repo_root(), firmware::Board::BL475eIot01a, Variant::Default).unwrap();
    let f = Footprint::of_elf(&image).unwrap();
    // At most 294 KiB of the chip's 1 MiB of flash (EDHOC and OSCORE take about 78 KiB
    // of it; the JIT's hints 4.5 KB: loop-head seeds 1.7, the homes' check 5.5, less
    // 2.7 with the allocator, now only for images without hints, built for size; built
    // as `ci/build-firmware` builds it, panics as traps), and statics (the heap among
    // them) leaving at least 16 KiB of SRAM1's 96 KiB for the stack.
    assert!(f.total.flash <= 294 << 10, "flash: {:?}", f.total);
    assert!(f.total.ram + (16 << 10) <= 96 << 10, "RAM: {:?}", f.total);
}

#[test]
fn the_stm32l475_image_without_the_jit_fits_a_256_kib_part() {
    let image = firmware::build(&testbed::repo_root(), firmware::Board::BL475eIot01a, Variant::Interp).unwrap();
    let f = Footprint::of_elf(&image).unwrap();
    // The JIT, its runtime and the helpers' entries left out: the rest of the device
    // server (EDHOC and OSCORE included) within the flash of the smaller STM32L4 parts.
    assert!(!f.crates.contains_key("jit"), "the JIT is linked in: {:?}", f.crates.keys());
    assert!(f.total.flash <= 256 << 10, "flash: {:?}", f.total);
    assert!(f.total.ram + (16 << 10) <= 96 << 10, "RAM: {:?}", f.total);
}

/// A device built without the JIT runs every program on the interpreter, answers a
/// JIT run with `Unsupported` (saying why), and says so in `/info`; the slot, its
/// program and the next runs are untouched.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_without_the_jit_refuses_jit_runs_and_keeps_running_on_the_interpreter() {
    let mut b = super::common::Bench::start_with(Variant::Interp).await;
    let key = super::common::testbed_key();
    let info = b.device.info().await.unwrap();
    assert!(info.features.iter().any(|f| f == "interp"), "{:?}", info.features);
    assert!(!info.features.iter().any(|f| f == "jit"), "{:?}", info.features);
    let image =
        super::common::image_of("mov %r0, 0\nmov %r1, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 100, loop\nexit");
    b.pull(&b.publish("loop.femto", &image, &image, 1, &key)).await.unwrap();
    assert_eq!(b.exec_with(proto::Engine::Interp).await.result, Some(4950));
    let jit = b.exec_with(proto::Engine::Jit).await;
    assert_eq!(jit.result, None);
    let failure = jit.failure.expect("a JIT run fails");
    assert_eq!(failure.kind, proto::FailureKind::Unsupported, "{failure:?}");
    assert!(failure.message.contains("no JIT"), "{failure:?}");
    assert_eq!(b.exec_with(proto::Engine::Interp).await.result, Some(4950));
}

/// After the deepest work the device does (a signed pull: Ed25519 and SHA-512; a JIT
/// compile and run), the stack has kept a margin and the heap is whole again.
#[tokio::test(flavor = "multi_thread")]
async fn the_stack_keeps_a_margin_after_a_pull_and_a_jit_run() {
    let mut b = super::common::Bench::start().await;
    let key = super::common::testbed_key();
    let before = b.device.info().await.unwrap().memory.expect("the firmware reports its memory");
    let image =
        super::common::image_of("mov %r0, 0\nmov %r1, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 100, loop\nexit");
    b.pull(&b.publish("loop.femto", &image, &image, 1, &key)).await.unwrap();
    assert_eq!(b.exec_with(proto::Engine::Jit).await.result, Some(4950));
    assert_eq!(b.exec_with(proto::Engine::Interp).await.result, Some(4950));
    let after = b.device.info().await.unwrap().memory.unwrap();
    assert!(after.stack_peak >= before.stack_peak, "{before:?} then {after:?}");
    assert!(after.stack_peak + 4096 <= after.stack_size, "less than 4 KiB of stack left: {after:?}");
    assert!(after.heap_free < after.heap_size && after.heap_free > after.heap_size / 2, "{after:?}");
    b.stop();
}

/// The pc a fault prints is named from the image's DWARF (the firmware prints no panic
/// messages): a pc inside the JIT's helper callback names it and its source file.
#[test]
fn a_pc_in_the_image_is_named_with_its_function_and_source_line() {
    use object::{Object, ObjectSymbol};
    let image = firmware::build(&testbed::repo_root(), super::common::board(), Variant::Default).unwrap();
    let bytes = std::fs::read(&image).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let callback = elf
        .symbols()
        .find(|s| s.name().is_ok_and(|n| rustc_demangle::demangle(n).to_string().ends_with("jit_exec::rt_helper")))
        .expect("the helper callback is in the image");
    let pc = (callback.address() & !1) + 8;
    let named = testbed::symbols::locate(&image, pc).expect("the image has line information");
    assert!(named.contains("rt_helper (firmware/src/runtime/jit_exec.rs:"), "{named}");
    let line = format!("PANIC: hard fault at pc={pc:#010x} lr=0x00000000");
    assert_eq!(testbed::symbols::faulting_pc(&line), Some(pc));
}
