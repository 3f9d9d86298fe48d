//! Program images: the four byte layouts a program can arrive in, and the loaded form
//! they all turn into. Byte-level descriptions are in `docs/images.md`.
//!
//! | id | layout | carries |
//! |---|---|---|
//! | 0 | [`text`]: the `.text` section only | code, resolved bpf-to-bpf calls; no `.data`/`.rodata` |
//! | 1 | [`femto`]: Femto-Containers header | code, `.data`, `.rodata`, function table |
//! | 2 | [`femto`] extended header | as 1, plus a relocated-call table and the helper allow-list |
//! | 3 | [`elf`]: the clang object | everything; relocations resolved at load |
//!
//! Every loaded [`Image`] has the same shape: the entry point is slot 0, references
//! to `.data`/`.rodata` are LDDWD/LDDWR instructions holding offsets into the image's
//! data blobs (so the image is position independent), and local calls are resolved.
use alloc::string::String;
use alloc::vec::Vec;

use crate::helpers::HelperSet;
use crate::insn::Insn;
use crate::opcode::{CALL_IMM, CALL_LOCAL, LDDWD, LDDWR};
use crate::program::{Program, ProgramError};

pub mod elf;
pub mod femto;
pub mod text;

/// The layout ids (µBPF's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Layout {
    Text = 0,
    Femto = 1,
    Extended = 2,
    Elf = 3,
}

impl Layout {
    pub fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Layout::Text,
            1 => Layout::Femto,
            2 => Layout::Extended,
            3 => Layout::Elf,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Layout::Text => "text",
            Layout::Femto => "femto",
            Layout::Extended => "extended",
            Layout::Elf => "elf",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Layout::Text, Layout::Femto, Layout::Extended, Layout::Elf].into_iter().find(|l| l.name() == name)
    }
}

/// A named function of the program, at an instruction slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub slot: usize,
}

/// A loaded program with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub program: Program,
    /// Initial contents of `.data` (and `.bss`); each run gets a writable copy.
    pub data: Vec<u8>,
    /// `.rodata` (strings, constant tables); read-only.
    pub rodata: Vec<u8>,
    /// The helper allow-list, when the layout carries one.
    pub helpers: Option<HelperSet>,
    pub functions: Vec<Function>,
    /// The JIT's hints, when the layout carries them: loop-head states for its range
    /// analysis and homes for its registers, computed where the image was built
    /// (`jit::hints::make`), that make a compile cheaper and never change what it may
    /// prove (the JIT checks them). Opaque here.
    pub jit_hints: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("image is truncated: {0}")]
    Truncated(&'static str),
    #[error("bad magic number {0:#x}")]
    BadMagic(u32),
    #[error("unsupported version {0}")]
    BadVersion(u32),
    #[error("malformed image: {0}")]
    Malformed(&'static str),
    #[error("program: {0}")]
    Program(#[from] ProgramError),
    #[error("not an eBPF ELF object: {0}")]
    NotElf(&'static str),
    #[error("relocation at byte {offset:#x} of {section}: {reason}")]
    Relocation { section: String, offset: u64, reason: &'static str },
    #[error("entry function `{0}` not found")]
    NoEntry(String),
    #[error("the {layout} layout cannot carry {what}; use femto, extended or elf")]
    LayoutCannotCarry { layout: &'static str, what: &'static str },
    #[error("{what} ({size} bytes) is too large for the {layout} layout")]
    TooLarge { layout: &'static str, what: &'static str, size: usize },
}

impl Image {
    /// Loads an image of the given layout.
    pub fn load(layout: Layout, bytes: &[u8]) -> Result<Self, ImageError> {
        match layout {
            Layout::Text => text::parse(bytes),
            Layout::Femto | Layout::Extended => femto::parse(bytes, layout == Layout::Extended),
            Layout::Elf => elf::load(bytes, None),
        }
    }

    /// Writes the image in a layout.
    pub fn emit(&self, layout: Layout) -> Result<Vec<u8>, ImageError> {
        match layout {
            Layout::Text => text::emit(self),
            Layout::Femto | Layout::Extended => femto::emit(self, layout == Layout::Extended),
            Layout::Elf => Err(ImageError::LayoutCannotCarry {
                layout: "elf",
                what: "a re-encoded program (pack the clang object itself)",
            }),
        }
    }

    /// Whether the code refers to `.data` or `.rodata`.
    pub fn uses_data(&self) -> bool {
        self.program.insns().iter().any(|i| i.opc == LDDWD || i.opc == LDDWR)
    }

    /// The (call slot, target slot) of every bpf-to-bpf call.
    pub fn local_calls(&self) -> Vec<(usize, usize)> {
        self.program
            .insns()
            .iter()
            .enumerate()
            .filter(|(_, i)| i.opc == CALL_IMM && i.src() == CALL_LOCAL)
            .map(|(pc, i)| (pc, (pc as i64 + 1 + i.imm as i64) as usize))
            .collect()
    }
}

/// A bounds-checked little-endian reader over an image.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ImageError> {
        let end = self.pos.checked_add(n).ok_or(ImageError::Truncated(what))?;
        let out = self.bytes.get(self.pos..end).ok_or(ImageError::Truncated(what))?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, ImageError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ImageError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.pos.min(self.bytes.len())..];
        self.pos = self.bytes.len();
        out
    }
}

/// Decodes instruction slots from bytes whose length is a multiple of 8.
pub(crate) fn decode_insns(bytes: &[u8]) -> Result<Vec<Insn>, ImageError> {
    Ok(Program::from_bytes(bytes)?.insns().to_vec())
}

pub(crate) fn pad8(v: &mut Vec<u8>) {
    while v.len() % 8 != 0 {
        v.push(0);
    }
}
