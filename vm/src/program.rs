//! A program: decoded instruction slots (and, once loaded from an image, the data it
//! refers to).
use alloc::vec::Vec;

use crate::insn::Insn;
use crate::MAX_INSNS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("bytecode is empty")]
    Empty,
    #[error("bytecode length {len} is not a multiple of 8")]
    BadLength { len: usize },
    #[error("program has {slots} instruction slots, more than the limit of {max}")]
    TooLong { slots: usize, max: usize },
}

/// Decoded bytecode. Holding one does not mean it is safe to run: see [`crate::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
}

impl Program {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProgramError> {
        if bytes.is_empty() {
            return Err(ProgramError::Empty);
        }
        if bytes.len() % Insn::SIZE != 0 {
            return Err(ProgramError::BadLength { len: bytes.len() });
        }
        let slots = bytes.len() / Insn::SIZE;
        if slots > MAX_INSNS {
            return Err(ProgramError::TooLong { slots, max: MAX_INSNS });
        }
        let insns = bytes
            .chunks_exact(Insn::SIZE)
            .map(|c| Insn::decode([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        Ok(Self { insns })
    }

    pub fn from_insns(insns: Vec<Insn>) -> Result<Self, ProgramError> {
        if insns.is_empty() {
            return Err(ProgramError::Empty);
        }
        if insns.len() > MAX_INSNS {
            return Err(ProgramError::TooLong { slots: insns.len(), max: MAX_INSNS });
        }
        Ok(Self { insns })
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.insns.iter().flat_map(|i| i.encode()).collect()
    }

    /// Whether the program makes bpf-to-bpf calls (and so needs more than one frame).
    pub fn has_local_calls(&self) -> bool {
        use crate::opcode::{CALL_IMM, CALL_LOCAL};
        self.insns.iter().any(|i| i.opc == CALL_IMM && i.src() == CALL_LOCAL)
    }
}
