//! Layout 3: the ELF relocatable object clang writes (`-target bpf`), loaded on the
//! device as is.
//!
//! Executable sections are concatenated into the code; writable data sections (and
//! `.bss`, as zeros) into `.data`; read-only data sections (`.rodata`, string literals)
//! into `.rodata`; each section starts 8-byte aligned. Relocations of the code are
//! resolved here:
//! - `R_BPF_64_64` on an LDDW of a data or rodata symbol becomes LDDWD/LDDWR with the
//!   offset (symbol value plus the addend clang leaves in `imm`) into the blob;
//! - `R_BPF_64_32` on a `call` becomes a bpf-to-bpf call; the target is the symbol's
//!   value plus `(imm + 1) * 8`, which covers both named (`imm = -1`) and section
//!   symbols.
//!
//! Anything else (pointers stored in data, function pointers, unknown relocation types)
//! is rejected with the section and byte offset.
//!
//! The entry point is the function named `entry` or `main` if there is one, else the
//! only global function, else the start of the code. When it is not at slot 0, a
//! `ja` to it is put in front, so every loaded image starts at slot 0.
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use object::elf;
use object::read::elf::ElfFile64;
use object::{
    LittleEndian, Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionKind, SymbolKind,
};

use super::{decode_insns, pad8, Function, Image, ImageError};
use crate::insn::Insn;
use crate::opcode::{CALL_IMM, CALL_LOCAL, JA64, LDDW, LDDWD, LDDWR};
use crate::program::Program;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blob {
    Code,
    Data,
    Rodata,
}

/// Where each kept section went: (section index, (blob, offset in it)). A program
/// has a handful of sections: a list, not a map (whose code costs the device flash).
struct Placement(Vec<(usize, (Blob, usize))>);

impl Placement {
    fn get(&self, section: &usize) -> Option<&(Blob, usize)> {
        self.0.iter().find(|(s, _)| s == section).map(|(_, p)| p)
    }
}

/// Loads a clang eBPF object; `entry` names the entry function (see the module doc
/// for the default).
pub fn load(bytes: &[u8], entry: Option<&str>) -> Result<Image, ImageError> {
    let file =
        ElfFile64::<LittleEndian>::parse(bytes).map_err(|_| ImageError::NotElf("not a little-endian ELF64 file"))?;
    if file.elf_header().e_machine.get(LittleEndian) != elf::EM_BPF {
        return Err(ImageError::NotElf("machine is not BPF"));
    }

    // Place every section we keep in its blob.
    let mut place = Placement(Vec::new());
    let (mut code, mut data, mut rodata) = (Vec::new(), Vec::new(), Vec::new());
    for section in file.sections() {
        let (blob, buf) = match section.kind() {
            SectionKind::Text => (Blob::Code, &mut code),
            SectionKind::Data => (Blob::Data, &mut data),
            SectionKind::UninitializedData => (Blob::Data, &mut data),
            SectionKind::ReadOnlyData | SectionKind::ReadOnlyString => (Blob::Rodata, &mut rodata),
            _ => continue,
        };
        if section.size() == 0 && blob == Blob::Code {
            continue;
        }
        pad8(buf);
        place.0.push((section.index().0, (blob, buf.len())));
        if section.kind() == SectionKind::UninitializedData {
            let size = usize::try_from(section.size()).unwrap_or(usize::MAX);
            if size > crate::MAX_DATA.saturating_sub(buf.len()) {
                return Err(ImageError::TooLarge { layout: "elf", what: ".data and .bss", size });
            }
            buf.resize(buf.len() + size, 0);
        } else {
            let contents = section.data().map_err(|_| ImageError::NotElf("section data out of bounds"))?;
            buf.extend_from_slice(contents);
        }
    }
    if code.is_empty() {
        return Err(ImageError::NotElf("no executable section"));
    }
    let mut insns = decode_insns(&code)?;

    for section in file.sections() {
        let name = section.name().unwrap_or("?").to_string();
        let reloc_err = |offset: u64, reason| ImageError::Relocation { section: name.clone(), offset, reason };
        let base = match place.get(&section.index().0) {
            Some((Blob::Code, base)) => *base,
            // Data that holds addresses would need relocating at run time.
            Some(_) if section.relocations().next().is_some() => {
                return Err(reloc_err(0, "pointers stored in data are not supported"));
            }
            _ => continue,
        };
        for (offset, reloc) in section.relocations() {
            let RelocationFlags::Elf { r_type } = reloc.flags() else {
                return Err(reloc_err(offset, "not an ELF relocation"));
            };
            let RelocationTarget::Symbol(sym_index) = reloc.target() else {
                return Err(reloc_err(offset, "relocation without a symbol"));
            };
            let symbol = file.symbol_by_index(sym_index).map_err(|_| reloc_err(offset, "bad symbol index"))?;
            let Some((blob, sym_base)) = symbol.section_index().and_then(|i| place.get(&i.0)).copied() else {
                return Err(reloc_err(offset, "symbol is in a section that is not loaded (undefined or extern?)"));
            };
            if offset % 8 != 0 {
                return Err(reloc_err(offset, "not on an instruction boundary"));
            }
            let slot = (base + offset as usize) / 8;
            let Some(insn) = insns.get(slot).copied() else {
                return Err(reloc_err(offset, "outside the code"));
            };
            match r_type {
                elf::R_BPF_64_64 => {
                    if insn.opc != LDDW || slot + 1 >= insns.len() {
                        return Err(reloc_err(offset, "R_BPF_64_64 on an instruction that is not lddw"));
                    }
                    let target = sym_base as u64 + symbol.address() + insn.imm as u32 as u64;
                    let (opc, limit) = match blob {
                        Blob::Data => (LDDWD, data.len()),
                        Blob::Rodata => (LDDWR, rodata.len()),
                        Blob::Code => return Err(reloc_err(offset, "function pointers are not supported")),
                    };
                    if target > limit as u64 {
                        return Err(reloc_err(offset, "address outside its section"));
                    }
                    insns[slot] = Insn::new(opc, insn.dst(), 0, 0, target as i32);
                    insns[slot + 1].imm = 0;
                }
                elf::R_BPF_64_32 => {
                    if insn.opc != CALL_IMM || blob != Blob::Code {
                        return Err(reloc_err(offset, "R_BPF_64_32 on an instruction that is not a call to code"));
                    }
                    let target_byte = sym_base as i64 + symbol.address() as i64 + (insn.imm as i64 + 1) * 8;
                    if target_byte < 0 || target_byte % 8 != 0 || target_byte as usize >= code.len() {
                        return Err(reloc_err(offset, "call target outside the code"));
                    }
                    let target = target_byte / 8;
                    insns[slot] = Insn::new(CALL_IMM, 0, CALL_LOCAL, 0, (target - (slot as i64 + 1)) as i32);
                }
                _ => return Err(reloc_err(offset, "unsupported relocation type")),
            }
        }
    }

    // Functions, and the entry point.
    let mut functions: Vec<(Function, bool)> = Vec::new();
    for sym in file.symbols() {
        if sym.kind() != SymbolKind::Text {
            continue;
        }
        let Some((Blob::Code, base)) = sym.section_index().and_then(|i| place.get(&i.0)).copied() else { continue };
        let name = sym.name().unwrap_or("").to_string();
        let slot = (base + sym.address() as usize) / 8;
        // Kept in slot order as they come (after equal ones): a program has a few
        // functions, and a general sort costs the device kilobytes of flash.
        let at = functions.partition_point(|(g, _)| g.slot <= slot);
        functions.insert(at, (Function { name, slot }, sym.is_global()));
    }
    let entry_slot = match entry {
        Some(name) => functions
            .iter()
            .find(|(f, _)| f.name == name)
            .map(|(f, _)| f.slot)
            .ok_or_else(|| ImageError::NoEntry(name.to_string()))?,
        None => {
            let named = functions.iter().find(|(f, _)| f.name == "entry" || f.name == "main");
            let globals: Vec<_> = functions.iter().filter(|(_, global)| *global).collect();
            match (named, globals.as_slice()) {
                (Some((f, _)), _) => f.slot,
                (None, [(f, _)]) => f.slot,
                _ => 0,
            }
        }
    };
    let mut functions: Vec<Function> = functions.into_iter().map(|(f, _)| f).collect();
    if entry_slot != 0 {
        // Relative jumps and calls are unchanged by the shift; LDDWD/LDDWR hold offsets.
        insns.insert(0, Insn::new(JA64, 0, 0, entry_slot as i16, 0));
        if entry_slot > i16::MAX as usize {
            return Err(ImageError::Malformed("entry function too far from the start of the code"));
        }
        for f in &mut functions {
            f.slot += 1;
        }
    }
    Ok(Image { program: Program::from_insns(insns)?, data, rodata, helpers: None, functions, jit_hints: Vec::new() })
}

/// The section names of an object, for diagnostics.
pub fn section_names(bytes: &[u8]) -> Vec<String> {
    ElfFile64::<LittleEndian>::parse(bytes)
        .map(|f| f.sections().map(|s| s.name().unwrap_or("?").to_string()).collect())
        .unwrap_or_default()
}
