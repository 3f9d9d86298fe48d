//! The eBPF opcode table (RFC 9669 §3-§5): field bits first, then the composed
//! opcodes every other module matches on.
//!
//! ```text
//!  opcode byte, arithmetic and jumps      opcode byte, loads and stores
//!  +------+-----+-------+                 +------+------+-------+
//!  | op:4 | s:1 | cls:3 |                 | md:3 | sz:2 | cls:3 |
//!  +------+-----+-------+                 +------+------+-------+
//! ```
#![allow(missing_docs)]

// Instruction classes (low three bits).
pub const CLS_LD: u8 = 0x00;
pub const CLS_LDX: u8 = 0x01;
pub const CLS_ST: u8 = 0x02;
pub const CLS_STX: u8 = 0x03;
pub const CLS_ALU: u8 = 0x04;
pub const CLS_JMP: u8 = 0x05;
pub const CLS_JMP32: u8 = 0x06;
pub const CLS_ALU64: u8 = 0x07;
pub const CLS_MASK: u8 = 0x07;

// Source operand (arithmetic and jumps).
pub const SRC_K: u8 = 0x00;
pub const SRC_X: u8 = 0x08;

// Sizes and modes (loads and stores).
pub const SZ_W: u8 = 0x00;
pub const SZ_H: u8 = 0x08;
pub const SZ_B: u8 = 0x10;
pub const SZ_DW: u8 = 0x18;
pub const SZ_MASK: u8 = 0x18;
pub const MODE_IMM: u8 = 0x00;
pub const MODE_MEM: u8 = 0x60;
pub const MODE_MEMSX: u8 = 0x80;
pub const MODE_ATOMIC: u8 = 0xc0;
pub const MODE_MASK: u8 = 0xe0;

// Arithmetic operations (high four bits).
pub const OP_ADD: u8 = 0x00;
pub const OP_SUB: u8 = 0x10;
pub const OP_MUL: u8 = 0x20;
pub const OP_DIV: u8 = 0x30;
pub const OP_OR: u8 = 0x40;
pub const OP_AND: u8 = 0x50;
pub const OP_LSH: u8 = 0x60;
pub const OP_RSH: u8 = 0x70;
pub const OP_NEG: u8 = 0x80;
pub const OP_MOD: u8 = 0x90;
pub const OP_XOR: u8 = 0xa0;
pub const OP_MOV: u8 = 0xb0;
pub const OP_ARSH: u8 = 0xc0;
pub const OP_END: u8 = 0xd0;
pub const OP_MASK: u8 = 0xf0;

// Jump operations (high four bits).
pub const JA: u8 = 0x00;
pub const JEQ: u8 = 0x10;
pub const JGT: u8 = 0x20;
pub const JGE: u8 = 0x30;
pub const JSET: u8 = 0x40;
pub const JNE: u8 = 0x50;
pub const JSGT: u8 = 0x60;
pub const JSGE: u8 = 0x70;
pub const CALL: u8 = 0x80;
pub const EXIT: u8 = 0x90;
pub const JLT: u8 = 0xa0;
pub const JLE: u8 = 0xb0;
pub const JSLT: u8 = 0xc0;
pub const JSLE: u8 = 0xd0;

// Atomic operations (in `imm` of STX|ATOMIC).
pub const ATOMIC_FETCH: i32 = 0x01;
pub const ATOMIC_ADD: i32 = 0x00;
pub const ATOMIC_OR: i32 = 0x40;
pub const ATOMIC_AND: i32 = 0x50;
pub const ATOMIC_XOR: i32 = 0xa0;
pub const ATOMIC_XCHG: i32 = 0xe0 | ATOMIC_FETCH;
pub const ATOMIC_CMPXCHG: i32 = 0xf0 | ATOMIC_FETCH;

// `src` of CALL.
pub const CALL_HELPER: u8 = 0;
pub const CALL_LOCAL: u8 = 1;

// Composed opcodes used by name elsewhere.
#[rustfmt::skip]
mod composed {
    use super::*;
    /// `lddw dst, imm64` (two slots)
    pub const LDDW: u8     = CLS_LD | SZ_DW | MODE_IMM;
    /// `lddwd dst, off`: address of `.data` + imm (Femto-Containers images, two slots)
    pub const LDDWD: u8    = 0xb8;
    /// `lddwr dst, off`: address of `.rodata` + imm (Femto-Containers images, two slots)
    pub const LDDWR: u8    = 0xd8;
    /// `ja +off`
    pub const JA64: u8     = CLS_JMP | JA;
    /// `ja32 +imm` (gotol)
    pub const JA32: u8     = CLS_JMP32 | JA;
    /// `call imm` / `call local`
    pub const CALL_IMM: u8 = CLS_JMP | CALL | SRC_K;
    /// `callx dst`
    pub const CALL_REG: u8 = CLS_JMP | CALL | SRC_X;
    /// `exit`
    pub const EXIT_OP: u8  = CLS_JMP | EXIT;
}
pub use composed::*;
