//! What the fuzz targets share: turning fuzz bytes into programs, and the memory a
//! program runs in. Two encodings, picked by the first byte, so that the fuzzer both
//! tries raw bytecode (what the device receives) and reaches deep into the verifier
//! and the engines with programs that are valid instruction by instruction.
use vm::insn::Insn;
use vm::testgen;

pub mod counting;
pub mod targets;

/// Helper ids a structured program calls: known ones, and one the VM does not know.
pub const HELPERS: &[i32] = &[0x02, 0x10, 0x12, 0x20, 0x52, 0x60, 0x99];

/// The program the bytes describe: raw bytecode when the first byte is even; otherwise
/// one valid instruction per 12 bytes ([`testgen::build`]), ending in `exit`.
pub fn program(data: &[u8]) -> Option<vm::Program> {
    let (&mode, rest) = data.split_first()?;
    if mode & 1 == 0 {
        return vm::Program::from_bytes(rest).ok();
    }
    let mut insns: Vec<Insn> = Vec::new();
    for c in rest.chunks_exact(12) {
        let off = i16::from_le_bytes([c[3], c[4]]);
        let imm = i32::from_le_bytes([c[5], c[6], c[7], c[8]]);
        insns.extend(testgen::build(c[0], c[1], c[2], off, imm, HELPERS));
    }
    insns.push(Insn::new(vm::opcode::EXIT_OP, 0, 0, 0, 0));
    vm::Program::from_insns(insns).ok()
}

/// The helper set a program may call: every id the VM knows, and the unknown one.
pub fn allowed() -> vm::HelperSet {
    vm::HelperSet::from_ids(HELPERS.iter().map(|&h| h as u32))
}

/// Helpers that touch memory the way the device's do: through the checked accessors,
/// with the program's pointers.
pub struct FuzzHelpers;

impl vm::Helpers for FuzzHelpers {
    fn call(&mut self, id: u32, a: &[u64; 5], memory: &mut vm::Memory<'_>) -> Result<u64, vm::HelperError> {
        match id {
            0x02 => {
                let len = a[2].min(4096);
                let src = memory.slice(a[1], len)?.to_vec();
                memory.slice_mut(a[0], len)?.copy_from_slice(&src);
                Ok(a[0])
            }
            0x10 | 0x12 => Ok(a[0].wrapping_mul(3)),
            0x20 | 0x60 => Ok(1234),
            0x52 => Ok(memory.c_str(a[0], 256)?.len() as u64),
            _ => Err(vm::HelperError::Unknown(id)),
        }
    }
}
