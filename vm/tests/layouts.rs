//! Every image layout, on objects clang builds from the C sources in `programs/tests/`.
use std::path::{Path, PathBuf};
use std::process::Command;

use vm::image::{Image, ImageError, Layout};
use vm::memory::Region;
use vm::{HelperError, HelperId, HelperSet, Helpers, Memory, RegionKind, Vm};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A clang that has the eBPF target with cpu v3/v4: $MBPF_CLANG, clang-19, clang-22.
fn clang() -> String {
    if let Ok(c) = std::env::var("MBPF_CLANG") {
        return c;
    }
    for c in ["clang-19", "clang-22", "clang"] {
        if Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return c.to_string();
        }
    }
    panic!("no clang found: run ci/setup (Debian package clang-19)");
}

fn compile(name: &str) -> Vec<u8> {
    let out_dir = tempfile::tempdir().unwrap();
    let obj = out_dir.path().join(format!("{name}.o"));
    let status = Command::new(clang())
        .args(["-target", "bpf", "-O2", "-mcpu=v3", "-ffreestanding", "-g0", "-c"])
        .arg("-I")
        .arg(repo().join("programs/include"))
        .arg(repo().join(format!("programs/tests/{name}.c")))
        .arg("-o")
        .arg(&obj)
        .status()
        .unwrap();
    assert!(status.success(), "clang failed on {name}.c");
    std::fs::read(obj).unwrap()
}

struct StrlenOnly;

impl Helpers for StrlenOnly {
    fn call(&mut self, id: HelperId, args: &[u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError> {
        match id {
            0x52 => Ok(memory.c_str(args[0], 1024)?.len() as u64),
            other => Err(HelperError::Unknown(other)),
        }
    }
}

fn run(image: &Image) -> u64 {
    let allowed = HelperSet::from_ids([0x52]);
    vm::verify(&image.program, &allowed).expect("image verifies");
    let mut stack = vec![0u8; vm::interp::stack_size_for(&image.program)];
    let mut data = image.data.clone();
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_write(RegionKind::Data, &mut data))
        .with(Region::read_only(RegionKind::Rodata, &image.rodata));
    Vm::new(&image.program, memory, &mut StrlenOnly, allowed).with_budget(1_000_000).run().expect("runs")
}

#[test]
fn elf_objects_with_rodata_data_and_calls_load_and_run() {
    let obj = compile("data_rodata_calls");
    let image = Image::load(Layout::Elf, &obj).unwrap();
    assert!(image.uses_data());
    assert!(!image.local_calls().is_empty());
    assert_eq!(run(&image), 4306);
    // The entry function was not first in .text: a jump to it leads the code.
    assert_eq!(image.program.insns()[0].opc, vm::opcode::JA64);
    assert!(image.functions.iter().any(|f| f.name == "scale"));
}

#[test]
fn femto_and_extended_layouts_round_trip_and_run() {
    let obj = compile("data_rodata_calls");
    let mut image = Image::load(Layout::Elf, &obj).unwrap();
    image.helpers = Some(HelperSet::from_ids([0x52, 0x01]));
    for layout in [Layout::Femto, Layout::Extended] {
        let bytes = image.emit(layout).unwrap();
        // Header magic "rBPF", version 0.
        assert_eq!(&bytes[0..4], b"rBPF");
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
        let back = Image::load(layout, &bytes).unwrap();
        assert_eq!(back.program, image.program, "{layout:?}");
        assert_eq!(&back.data[..image.data.len()], &image.data[..]);
        assert_eq!(&back.rodata[..image.rodata.len()], &image.rodata[..]);
        let names = |i: &Image| i.functions.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&back), names(&image));
        assert_eq!(run(&back), 4306, "{layout:?}");
        if layout == Layout::Extended {
            assert_eq!(back.helpers, image.helpers);
        }
        assert_eq!(&bytes[8..12], &[0, 0, 0, 0], "no flags without JIT hints");
        assert!(back.jit_hints.is_empty());
        // JIT hints ride along under a header flag, before the extended layout's helpers.
        let seeded = Image { jit_hints: vec![1, 2, 3, 0xff], ..image.clone() };
        let bytes = seeded.emit(layout).unwrap();
        assert_eq!(&bytes[8..12], &vm::image::femto::FLAG_JIT_HINTS.to_le_bytes());
        let back = Image::load(layout, &bytes).unwrap();
        assert_eq!((&back.program, &back.jit_hints), (&image.program, &seeded.jit_hints), "{layout:?}");
        assert_eq!(back.helpers.is_some(), layout == Layout::Extended);
        if layout == Layout::Extended {
            assert_eq!(back.helpers, image.helpers);
        }
    }
}

#[test]
fn extended_layout_resolves_calls_from_its_table() {
    let obj = compile("data_rodata_calls");
    let image = Image::load(Layout::Elf, &obj).unwrap();
    let bytes = image.emit(Layout::Extended).unwrap();
    let back = Image::load(Layout::Extended, &bytes).unwrap();
    assert_eq!(back.local_calls(), image.local_calls());
    // Without the table, the `call -1` placeholders in the text would be wrong: patch
    // the table's count to 0 and the calls no longer resolve to the same targets.
    let mut no_table = bytes.clone();
    no_table[28..32].copy_from_slice(&0u32.to_le_bytes());
    let unresolved = Image::load(Layout::Extended, &no_table).unwrap();
    assert_ne!(unresolved.local_calls(), image.local_calls());
}

#[test]
fn text_layout_carries_calls_but_refuses_data() {
    let obj = compile("calls_only");
    let image = Image::load(Layout::Elf, &obj).unwrap();
    let text = image.emit(Layout::Text).unwrap();
    assert_eq!(run(&Image::load(Layout::Text, &text).unwrap()), 7050);

    let with_data = Image::load(Layout::Elf, &compile("data_rodata_calls")).unwrap();
    assert!(matches!(with_data.emit(Layout::Text), Err(ImageError::LayoutCannotCarry { layout: "text", .. })));
}

#[test]
fn malformed_images_are_typed_errors() {
    assert!(matches!(Image::load(Layout::Elf, b"\x7fELF-not-really"), Err(ImageError::NotElf(_))));
    assert!(matches!(Image::load(Layout::Femto, b"rBPF\0\0\0\0\0\0"), Err(ImageError::Truncated(_))));
    let mut bad = vec![0u8; 28];
    bad[0..4].copy_from_slice(&7u32.to_le_bytes());
    assert_eq!(Image::load(Layout::Femto, &bad), Err(ImageError::BadMagic(7)));
    // A header that claims more text than there is.
    let mut hdr = Vec::new();
    for v in [u32::from_le_bytes(*b"rBPF"), 0, 0, 0, 0, 64, 0] {
        hdr.extend_from_slice(&v.to_le_bytes());
    }
    assert!(matches!(Image::load(Layout::Femto, &hdr), Err(ImageError::Truncated(".text"))));
    // Every prefix of a valid image fails cleanly (or loads), never panics.
    let image = Image::load(Layout::Elf, &compile("data_rodata_calls")).unwrap();
    let femto = image.emit(Layout::Femto).unwrap();
    for cut in 0..femto.len() {
        let _ = Image::load(Layout::Femto, &femto[..cut]);
        let _ = Image::load(Layout::Extended, &femto[..cut]);
    }
    // The same with JIT hints (bytes the JIT checks; opaque here), in both femto
    // layouts: hints cut short are a truncated image.
    let mut seeded = image.clone();
    seeded.jit_hints = (1..=40).collect();
    for layout in [Layout::Femto, Layout::Extended] {
        let bytes = seeded.emit(layout).unwrap();
        for cut in 0..bytes.len() {
            let _ = Image::load(layout, &bytes[..cut]);
        }
        let seeds_end =
            bytes.len() - usize::from(layout == Layout::Extended) * image.helpers.map_or(0, |h| h.iter().count());
        assert_eq!(Image::load(layout, &bytes[..seeds_end - 1]), Err(ImageError::Truncated("JIT hints")));
    }
    let obj = compile("calls_only");
    for cut in (0..obj.len()).step_by(7) {
        let _ = Image::load(Layout::Elf, &obj[..cut]);
    }
}
