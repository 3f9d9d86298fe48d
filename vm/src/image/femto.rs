//! Layouts 1 and 2: the Femto-Containers header, and the extended header.
//!
//! ```text
//! u32 magic ("rBPF", or µBPF's 123), u32 version (0), u32 flags,
//! u32 data_len, u32 rodata_len, u32 text_len, u32 functions_len
//! [u32 relocated_calls]                               (extended only: 32-byte header)
//! data_len bytes .data | rodata_len bytes .rodata | text_len bytes .text
//! functions_len × {u16 name_offset (in .rodata), u16 flags, u16 location_offset (in .text)}
//! relocated_calls × {u32 instruction_offset, u32 function_text_offset}  (extended only)
//! [u32 hints_len, hints_len bytes: the JIT's hints]    (flag FLAG_JIT_HINTS)
//! the allowed helper ids, one byte each, to the end of the file           (extended only)
//! ```
//!
//! LDDW of a `.data`/`.rodata` address is stored as LDDWD (0xb8) / LDDWR (0xd8) with the
//! offset in `imm`. In the plain layout, local calls are resolved by the packer; in the
//! extended layout the packer leaves them as `call -1` and lists them in the relocated
//! call table, which the loader applies.
use alloc::string::String;
use alloc::vec::Vec;

use super::{decode_insns, pad8, Function, Image, ImageError, Reader};
use crate::helpers::HelperSet;
use crate::insn::Insn;
use crate::opcode::{CALL_IMM, CALL_LOCAL};
use crate::program::Program;

/// The magic number we write: the ASCII bytes "rBPF", as RIOT's generator does.
pub const MAGIC: u32 = u32::from_le_bytes(*b"rBPF");
/// The magic number µBPF writes.
pub const MAGIC_MICROBPF: u32 = 123;
pub const VERSION: u32 = 0;
/// Header flag: the JIT's hints (loop-head seeds and homes) follow the tables. (Other flags are
/// ignored, as Femto-Containers writes none.)
pub const FLAG_JIT_HINTS: u32 = 1;

pub fn parse(bytes: &[u8], extended: bool) -> Result<Image, ImageError> {
    let mut r = Reader::new(bytes);
    let magic = r.u32("header")?;
    if magic != MAGIC && magic != MAGIC_MICROBPF {
        return Err(ImageError::BadMagic(magic));
    }
    let version = r.u32("header")?;
    if version != VERSION {
        return Err(ImageError::BadVersion(version));
    }
    let flags = r.u32("header")?;
    let data_len = r.u32("header")? as usize;
    let rodata_len = r.u32("header")? as usize;
    let text_len = r.u32("header")? as usize;
    let functions_len = r.u32("header")? as usize;
    let relocated_calls = if extended { r.u32("header")? as usize } else { 0 };

    let data = r.take(data_len, ".data")?.to_vec();
    let rodata = r.take(rodata_len, ".rodata")?.to_vec();
    let mut insns = decode_insns(r.take(text_len, ".text")?)?;

    let mut functions = Vec::new();
    for _ in 0..functions_len {
        let name_offset = r.u16("function table")? as usize;
        let _flags = r.u16("function table")?;
        let location = r.u16("function table")? as usize;
        if location % 8 != 0 || location >= text_len {
            return Err(ImageError::Malformed("function location outside .text"));
        }
        let name = rodata
            .get(name_offset..)
            .and_then(|tail| tail.iter().position(|&b| b == 0).map(|end| &tail[..end]))
            .ok_or(ImageError::Malformed("function name outside .rodata"))?;
        functions.push(Function { name: String::from_utf8_lossy(name).into_owned(), slot: location / 8 });
    }

    if extended {
        for _ in 0..relocated_calls {
            let at = r.u32("relocated call table")? as usize;
            let target = r.u32("relocated call table")? as usize;
            if at % 8 != 0 || target % 8 != 0 || at >= text_len || target >= text_len {
                return Err(ImageError::Malformed("relocated call outside .text"));
            }
            let (slot, target) = (at / 8, target / 8);
            let call = &mut insns[slot];
            if call.opc != CALL_IMM {
                return Err(ImageError::Malformed("relocated call table names an instruction that is not a call"));
            }
            call.set_src(CALL_LOCAL);
            call.imm = target as i32 - (slot as i32 + 1);
        }
    }
    let jit_hints = if flags & FLAG_JIT_HINTS != 0 {
        let len = r.u32("JIT hints")? as usize;
        r.take(len, "JIT hints")?.to_vec()
    } else {
        Vec::new()
    };
    let helpers = extended.then(|| HelperSet::from_ids(r.rest().iter().map(|&id| id as u32)));
    Ok(Image { program: Program::from_insns(insns)?, data, rodata, helpers, functions, jit_hints })
}

pub fn emit(image: &Image, extended: bool) -> Result<Vec<u8>, ImageError> {
    let layout = if extended { "extended" } else { "femto" };
    let too_large = |what, size| ImageError::TooLarge { layout, what, size };

    let mut data = image.data.clone();
    pad8(&mut data);
    // Function names go at the end of .rodata, as Femto-Containers does.
    let mut rodata = image.rodata.clone();
    let mut table = Vec::new();
    for f in &image.functions {
        let name_offset =
            u16::try_from(rodata.len()).map_err(|_| too_large(".rodata with function names", rodata.len()))?;
        rodata.extend_from_slice(f.name.as_bytes());
        rodata.push(0);
        let location = u16::try_from(f.slot * 8).map_err(|_| too_large(".text", f.slot * 8))?;
        table.push((name_offset, location));
    }
    pad8(&mut rodata);

    let mut insns: Vec<Insn> = image.program.insns().to_vec();
    let calls = image.local_calls();
    if extended && calls.iter().any(|&(_, target)| target >= insns.len()) {
        return Err(ImageError::Malformed("a local call's target is outside the program"));
    }
    if extended {
        for &(slot, _) in &calls {
            insns[slot].imm = -1;
        }
    }
    let text: Vec<u8> = insns.iter().flat_map(Insn::encode).collect();

    let mut out = Vec::new();
    let flags = if image.jit_hints.is_empty() { 0 } else { FLAG_JIT_HINTS };
    for v in [MAGIC, VERSION, flags, data.len() as u32, rodata.len() as u32, text.len() as u32, table.len() as u32] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    if extended {
        out.extend_from_slice(&(calls.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(&data);
    out.extend_from_slice(&rodata);
    out.extend_from_slice(&text);
    for (name_offset, location) in table {
        out.extend_from_slice(&name_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&location.to_le_bytes());
    }
    if extended {
        for (slot, target) in calls {
            out.extend_from_slice(&((slot * 8) as u32).to_le_bytes());
            out.extend_from_slice(&((target * 8) as u32).to_le_bytes());
        }
    }
    if !image.jit_hints.is_empty() {
        let len = u32::try_from(image.jit_hints.len()).map_err(|_| too_large("JIT hints", image.jit_hints.len()))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&image.jit_hints);
    }
    if extended {
        if let Some(helpers) = image.helpers {
            out.extend(helpers.iter().map(|id| id as u8));
        }
    }
    Ok(out)
}
