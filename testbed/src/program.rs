//! From a source file to an image a device runs: one pipeline for `mbpf pack`,
//! `mbpf deploy`, the commands that load programs, and sim's publisher.
//!
//! 1. **compile** a C or `no_std` Rust source to an eBPF object (assembly is assembled);
//! 2. **load** the object or image into a [`vm::image::Image`];
//! 3. **helpers**: the allow-list goes into the image (the extended layout carries it);
//! 4. **verify** on the host with the same verifier the device runs;
//! 5. **pack** into the layout asked for, and check that the bytes load back.
use std::path::{Path, PathBuf};

use vm::image::{Image, Layout};
use vm::HelperSet;

use crate::compile;
use crate::error::{Error, Result};

/// What a program file is, by its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// eBPF assembly text (`.s`, `.asm`).
    Assembly,
    C,
    /// A `no_std` Rust source.
    Rust,
    /// A clang eBPF object (`.o`, or ELF magic).
    Object,
    /// An image in one of the four layouts.
    Image,
}

impl SourceKind {
    pub fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "s" | "asm" => SourceKind::Assembly,
            "c" => SourceKind::C,
            "rs" => SourceKind::Rust,
            "o" => SourceKind::Object,
            _ => SourceKind::Image,
        }
    }
}

/// The layout of a packed image, from its first bytes: an ELF object by its magic, a
/// Femto-Containers image by its header magic (the extended layout has the same
/// magic: name it), else raw bytecode.
pub fn detect_layout(bytes: &[u8]) -> Layout {
    use vm::image::femto::{MAGIC, MAGIC_MICROBPF};
    let magic = bytes.get(..4).map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
    if bytes.starts_with(b"\x7fELF") {
        Layout::Elf
    } else if magic.is_some_and(|m| m == MAGIC || m == MAGIC_MICROBPF) {
        Layout::Femto
    } else {
        Layout::Text
    }
}

/// How to build an image.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The layout to pack into; `None`: femto for compiled programs, text for
    /// assembly, the file's own for a packed image.
    pub layout: Option<Layout>,
    pub helpers: HelperSet,
    /// eBPF ISA version for compiled sources.
    pub cpu: String,
    /// `NAME=VALUE` preprocessor defines for C sources.
    pub defines: Vec<String>,
    /// Extra include folders for C sources (`mbpf_helpers.h` is always found).
    pub includes: Vec<PathBuf>,
    /// The entry function of an object (default: `entry` or `main`, else the only
    /// global function).
    pub entry: Option<String>,
    /// Whether a femto or extended image carries the JIT's hints, loop-head seeds and
    /// homes (a cheaper compile on the device, the same code).
    pub jit_hints: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            layout: None,
            helpers: HelperSet::empty(),
            cpu: compile::DEFAULT_CPU.into(),
            defines: Vec::new(),
            includes: Vec::new(),
            entry: None,
            jit_hints: true,
        }
    }
}

/// A built image.
#[derive(Debug, Clone)]
pub struct Built {
    pub layout: Layout,
    /// The image's bytes in `layout`.
    pub bytes: Vec<u8>,
    pub image: Image,
    pub helpers: HelperSet,
}

impl Built {
    /// The helper ids as the device API carries them.
    pub fn helper_ids(&self) -> Vec<u8> {
        self.helpers.to_id_bytes()
    }
}

/// Reads a file, naming it in the error.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(Error::file("read", path))
}

fn program_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Program { source_name: path.display().to_string(), message: message.to_string() }
}

/// Loads a program file as it is, without compiling: assembly, an object or an image
/// (`layout` names one; by default it is detected from the bytes).
pub fn load(path: &Path, layout: Option<Layout>) -> Result<Image> {
    if layout.is_none() && SourceKind::of(path) == SourceKind::Assembly {
        return assemble(path);
    }
    let bytes = read(path)?;
    let layout = layout.unwrap_or_else(|| detect_layout(&bytes));
    Image::load(layout, &bytes)
        .map_err(|e| program_error(path, format_args!("cannot load it in the {} layout: {e}", layout.name())))
}

fn assemble(path: &Path) -> Result<Image> {
    let text = String::from_utf8(read(path)?).map_err(|_| program_error(path, "not UTF-8 text"))?;
    let insns = vm::asm::assemble(&text).map_err(|e| program_error(path, e))?;
    let bytes: Vec<u8> = insns.iter().flat_map(vm::Insn::encode).collect();
    Image::load(Layout::Text, &bytes).map_err(|e| program_error(path, e))
}

/// Compiles (when it is a source), loads, verifies and packs `path`; `work` holds the
/// compiler's outputs.
pub fn build(path: &Path, options: &BuildOptions, work: &Path) -> Result<Built> {
    let kind = SourceKind::of(path);
    let object = match kind {
        SourceKind::C => Some(compile::compile_c(path, work, &options.cpu, &options.defines, &options.includes)?),
        SourceKind::Rust => Some(compile::compile_rust(path, work, &options.cpu)?),
        SourceKind::Object => Some(read(path)?),
        SourceKind::Assembly | SourceKind::Image => None,
    };
    let (mut image, packed) = match (&object, kind) {
        (Some(obj), _) => {
            (vm::image::elf::load(obj, options.entry.as_deref()).map_err(|e| program_error(path, e))?, None)
        }
        (None, SourceKind::Assembly) => (assemble(path)?, None),
        (None, _) => {
            let bytes = read(path)?;
            let layout = options.layout.unwrap_or_else(|| detect_layout(&bytes));
            let image = Image::load(layout, &bytes)
                .map_err(|e| program_error(path, format_args!("not a valid {} image: {e}", layout.name())))?;
            (image, Some((layout, bytes)))
        }
    };
    image.helpers = Some(options.helpers);
    vm::verify(&image.program, &options.helpers).map_err(|e| {
        program_error(path, format_args!("the verifier rejects the program (is every helper it calls allowed?): {e}"))
    })?;
    let default_layout = if kind == SourceKind::Assembly { Layout::Text } else { Layout::Femto };
    let (layout, bytes) = match (packed, object) {
        // A packed image in its own layout is sent as it is.
        (Some((layout, bytes)), _) if options.layout.is_none_or(|l| l == layout) => (layout, bytes),
        // The ELF layout is the clang object itself.
        (_, Some(obj)) if options.layout == Some(Layout::Elf) => (Layout::Elf, obj),
        _ => {
            let layout = options.layout.unwrap_or(default_layout);
            let bytes = pack(&mut image, layout, options.jit_hints)
                .map_err(|e| program_error(path, format_args!("as a {} image: {e}", layout.name())))?;
            (layout, bytes)
        }
    };
    // What is sent must load back as the same program.
    let back = Image::load(layout, &bytes)
        .map_err(|e| program_error(path, format_args!("the packed image does not load back: {e}")))?;
    if back.program.insns() != image.program.insns() {
        return Err(program_error(path, "the packed image does not load back as the same program"));
    }
    Ok(Built { layout, bytes, image, helpers: options.helpers })
}

/// Packs `image` in `layout`, with the JIT's hints (loop-head seeds, liveness and homes,
/// [`jit::hints`]) if asked and the layout carries them: computed for the image as the
/// device loads it (the packed `.rodata` and `.data`, padded and with the function
/// names, are the sizes its compile sees).
pub fn pack(image: &mut Image, layout: Layout, hints: bool) -> std::result::Result<Vec<u8>, vm::image::ImageError> {
    image.jit_hints.clear();
    let bytes = image.emit(layout)?;
    if !hints || !matches!(layout, Layout::Femto | Layout::Extended) {
        return Ok(bytes);
    }
    let loaded = Image::load(layout, &bytes)?;
    // (Out of memory on the host: then no hints.)
    image.jit_hints = jit::hints::make(&loaded.program, jit::Sizes::of(&loaded)).unwrap_or_default();
    if image.jit_hints.is_empty() {
        return Ok(bytes);
    }
    image.emit(layout)
}

/// Parses a helper list: names (`printf`) or ids (`82`, `0x52`).
pub fn parse_helpers(list: &[String]) -> Result<HelperSet> {
    let mut set = HelperSet::empty();
    for item in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let id = match vm::helpers::helper_id(item) {
            Some(id) => id,
            None => {
                let parsed = match item.strip_prefix("0x") {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => item.parse(),
                };
                parsed.map_err(|_| Error::UnknownHelper(item.to_string()))?
            }
        };
        if id >= 256 {
            return Err(Error::HelperOutOfRange(id));
        }
        set.insert(id);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asm_file(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("p.s");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn assembly_builds_to_every_layout_that_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = asm_file(dir.path(), "mov %r0, 7\nexit\n");
        for layout in [None, Some(Layout::Text), Some(Layout::Femto), Some(Layout::Extended)] {
            let built = build(&path, &BuildOptions { layout, ..Default::default() }, dir.path()).unwrap();
            assert_eq!(built.layout, layout.unwrap_or(Layout::Text));
            assert_eq!(Image::load(built.layout, &built.bytes).unwrap().program.insns().len(), 2);
        }
    }

    #[test]
    fn the_extended_layout_carries_the_helper_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = asm_file(dir.path(), "call 0x52\nexit\n");
        let helpers = parse_helpers(&["strlen".into()]).unwrap();
        let built =
            build(&path, &BuildOptions { layout: Some(Layout::Extended), helpers, ..Default::default() }, dir.path())
                .unwrap();
        assert_eq!(Image::load(Layout::Extended, &built.bytes).unwrap().helpers, Some(helpers));
        assert_eq!(built.helper_ids(), vec![0x52]);
    }

    #[test]
    fn a_program_calling_a_helper_it_is_not_allowed_is_refused_on_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = asm_file(dir.path(), "call 0x52\nexit\n");
        match build(&path, &BuildOptions::default(), dir.path()) {
            Err(Error::Program { message, .. }) => assert!(message.contains("verifier"), "{message}"),
            other => panic!("expected a verifier error, got {other:?}"),
        }
    }

    #[test]
    fn packed_images_are_detected_and_sent_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = asm_file(dir.path(), "mov %r0, 1\nexit\n");
        let femto =
            build(&path, &BuildOptions { layout: Some(Layout::Femto), ..Default::default() }, dir.path()).unwrap();
        let image_path = dir.path().join("p.bin");
        std::fs::write(&image_path, &femto.bytes).unwrap();
        assert_eq!(detect_layout(&femto.bytes), Layout::Femto);
        let again = build(&image_path, &BuildOptions::default(), dir.path()).unwrap();
        assert_eq!((again.layout, &again.bytes), (Layout::Femto, &femto.bytes));
        std::fs::write(&image_path, b"\x01\x02\x03").unwrap();
        assert!(matches!(build(&image_path, &BuildOptions::default(), dir.path()), Err(Error::Program { .. })));
    }

    #[test]
    fn helper_lists_take_names_and_ids_and_refuse_the_rest() {
        let set = parse_helpers(&["printf".into(), "0x10".into(), " 3 ".into()]).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![vm::helpers::helper_id("printf").unwrap(), 3, 0x10]);
        assert!(matches!(parse_helpers(&["nope".into()]), Err(Error::UnknownHelper(h)) if h == "nope"));
        assert!(matches!(parse_helpers(&["256".into()]), Err(Error::HelperOutOfRange(256))));
    }
}
