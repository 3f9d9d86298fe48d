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
    /// `add dst, imm`
    pub const ADD64_IMM: u8 = 0x07;
    /// `add dst, src`
    pub const ADD64_REG: u8 = 0x0f;
    /// `add32 dst, imm`
    pub const ADD32_IMM: u8 = 0x04;
    /// `add32 dst, src`
    pub const ADD32_REG: u8 = 0x0c;
    /// `sub dst, imm`
    pub const SUB64_IMM: u8 = 0x17;
    /// `sub dst, src`
    pub const SUB64_REG: u8 = 0x1f;
    /// `sub32 dst, imm`
    pub const SUB32_IMM: u8 = 0x14;
    /// `sub32 dst, src`
    pub const SUB32_REG: u8 = 0x1c;
    /// `mul dst, imm`
    pub const MUL64_IMM: u8 = 0x27;
    /// `mul dst, src`
    pub const MUL64_REG: u8 = 0x2f;
    /// `mul32 dst, imm`
    pub const MUL32_IMM: u8 = 0x24;
    /// `mul32 dst, src`
    pub const MUL32_REG: u8 = 0x2c;
    /// `div/sdiv dst, imm`
    pub const DIV64_IMM: u8 = 0x37;
    /// `div/sdiv dst, src`
    pub const DIV64_REG: u8 = 0x3f;
    /// `div/sdiv32 dst, imm`
    pub const DIV32_IMM: u8 = 0x34;
    /// `div/sdiv32 dst, src`
    pub const DIV32_REG: u8 = 0x3c;
    /// `or dst, imm`
    pub const OR64_IMM: u8 = 0x47;
    /// `or dst, src`
    pub const OR64_REG: u8 = 0x4f;
    /// `or32 dst, imm`
    pub const OR32_IMM: u8 = 0x44;
    /// `or32 dst, src`
    pub const OR32_REG: u8 = 0x4c;
    /// `and dst, imm`
    pub const AND64_IMM: u8 = 0x57;
    /// `and dst, src`
    pub const AND64_REG: u8 = 0x5f;
    /// `and32 dst, imm`
    pub const AND32_IMM: u8 = 0x54;
    /// `and32 dst, src`
    pub const AND32_REG: u8 = 0x5c;
    /// `lsh dst, imm`
    pub const LSH64_IMM: u8 = 0x67;
    /// `lsh dst, src`
    pub const LSH64_REG: u8 = 0x6f;
    /// `lsh32 dst, imm`
    pub const LSH32_IMM: u8 = 0x64;
    /// `lsh32 dst, src`
    pub const LSH32_REG: u8 = 0x6c;
    /// `rsh dst, imm`
    pub const RSH64_IMM: u8 = 0x77;
    /// `rsh dst, src`
    pub const RSH64_REG: u8 = 0x7f;
    /// `rsh32 dst, imm`
    pub const RSH32_IMM: u8 = 0x74;
    /// `rsh32 dst, src`
    pub const RSH32_REG: u8 = 0x7c;
    /// `neg dst`
    pub const NEG64: u8 = 0x87;
    /// `neg32 dst`
    pub const NEG32: u8 = 0x84;
    /// `mod/smod dst, imm`
    pub const MOD64_IMM: u8 = 0x97;
    /// `mod/smod dst, src`
    pub const MOD64_REG: u8 = 0x9f;
    /// `mod/smod32 dst, imm`
    pub const MOD32_IMM: u8 = 0x94;
    /// `mod/smod32 dst, src`
    pub const MOD32_REG: u8 = 0x9c;
    /// `xor dst, imm`
    pub const XOR64_IMM: u8 = 0xa7;
    /// `xor dst, src`
    pub const XOR64_REG: u8 = 0xaf;
    /// `xor32 dst, imm`
    pub const XOR32_IMM: u8 = 0xa4;
    /// `xor32 dst, src`
    pub const XOR32_REG: u8 = 0xac;
    /// `mov/movsx dst, imm`
    pub const MOV64_IMM: u8 = 0xb7;
    /// `mov/movsx dst, src`
    pub const MOV64_REG: u8 = 0xbf;
    /// `mov/movsx32 dst, imm`
    pub const MOV32_IMM: u8 = 0xb4;
    /// `mov/movsx32 dst, src`
    pub const MOV32_REG: u8 = 0xbc;
    /// `arsh dst, imm`
    pub const ARSH64_IMM: u8 = 0xc7;
    /// `arsh dst, src`
    pub const ARSH64_REG: u8 = 0xcf;
    /// `arsh32 dst, imm`
    pub const ARSH32_IMM: u8 = 0xc4;
    /// `arsh32 dst, src`
    pub const ARSH32_REG: u8 = 0xcc;
    /// `le16/le32/le64 dst`
    pub const LE: u8 = 0xd4;
    /// `be16/be32/be64 dst`
    pub const BE: u8 = 0xdc;
    /// `bswap16/bswap32/bswap64 dst`
    pub const BSWAP: u8 = 0xd7;
    /// `ldxb dst, [src+off]`
    pub const LDXB: u8 = 0x71;
    /// `ldxsb dst, [src+off]`
    pub const LDXSB: u8 = 0x91;
    /// `stb [dst+off], imm`
    pub const STB: u8 = 0x72;
    /// `stxb [dst+off], src`
    pub const STXB: u8 = 0x73;
    /// `ldxh dst, [src+off]`
    pub const LDXH: u8 = 0x69;
    /// `ldxsh dst, [src+off]`
    pub const LDXSH: u8 = 0x89;
    /// `sth [dst+off], imm`
    pub const STH: u8 = 0x6a;
    /// `stxh [dst+off], src`
    pub const STXH: u8 = 0x6b;
    /// `ldxw dst, [src+off]`
    pub const LDXW: u8 = 0x61;
    /// `ldxsw dst, [src+off]`
    pub const LDXSW: u8 = 0x81;
    /// `stw [dst+off], imm`
    pub const STW: u8 = 0x62;
    /// `stxw [dst+off], src`
    pub const STXW: u8 = 0x63;
    /// `ldxdw dst, [src+off]`
    pub const LDXDW: u8 = 0x79;
    /// `stdw [dst+off], imm`
    pub const STDW: u8 = 0x7a;
    /// `stxdw [dst+off], src`
    pub const STXDW: u8 = 0x7b;
    /// `lock ...32 [dst+off], src`
    pub const ATOMIC32: u8 = 0xc3;
    /// `lock ... [dst+off], src`
    pub const ATOMIC64: u8 = 0xdb;
    /// `jeq dst, imm, +off`
    pub const JEQ_IMM: u8 = 0x15;
    /// `jeq dst, src, +off`
    pub const JEQ_REG: u8 = 0x1d;
    /// `jeq32 dst, imm, +off`
    pub const JEQ32_IMM: u8 = 0x16;
    /// `jeq32 dst, src, +off`
    pub const JEQ32_REG: u8 = 0x1e;
    /// `jgt dst, imm, +off`
    pub const JGT_IMM: u8 = 0x25;
    /// `jgt dst, src, +off`
    pub const JGT_REG: u8 = 0x2d;
    /// `jgt32 dst, imm, +off`
    pub const JGT32_IMM: u8 = 0x26;
    /// `jgt32 dst, src, +off`
    pub const JGT32_REG: u8 = 0x2e;
    /// `jge dst, imm, +off`
    pub const JGE_IMM: u8 = 0x35;
    /// `jge dst, src, +off`
    pub const JGE_REG: u8 = 0x3d;
    /// `jge32 dst, imm, +off`
    pub const JGE32_IMM: u8 = 0x36;
    /// `jge32 dst, src, +off`
    pub const JGE32_REG: u8 = 0x3e;
    /// `jset dst, imm, +off`
    pub const JSET_IMM: u8 = 0x45;
    /// `jset dst, src, +off`
    pub const JSET_REG: u8 = 0x4d;
    /// `jset32 dst, imm, +off`
    pub const JSET32_IMM: u8 = 0x46;
    /// `jset32 dst, src, +off`
    pub const JSET32_REG: u8 = 0x4e;
    /// `jne dst, imm, +off`
    pub const JNE_IMM: u8 = 0x55;
    /// `jne dst, src, +off`
    pub const JNE_REG: u8 = 0x5d;
    /// `jne32 dst, imm, +off`
    pub const JNE32_IMM: u8 = 0x56;
    /// `jne32 dst, src, +off`
    pub const JNE32_REG: u8 = 0x5e;
    /// `jsgt dst, imm, +off`
    pub const JSGT_IMM: u8 = 0x65;
    /// `jsgt dst, src, +off`
    pub const JSGT_REG: u8 = 0x6d;
    /// `jsgt32 dst, imm, +off`
    pub const JSGT32_IMM: u8 = 0x66;
    /// `jsgt32 dst, src, +off`
    pub const JSGT32_REG: u8 = 0x6e;
    /// `jsge dst, imm, +off`
    pub const JSGE_IMM: u8 = 0x75;
    /// `jsge dst, src, +off`
    pub const JSGE_REG: u8 = 0x7d;
    /// `jsge32 dst, imm, +off`
    pub const JSGE32_IMM: u8 = 0x76;
    /// `jsge32 dst, src, +off`
    pub const JSGE32_REG: u8 = 0x7e;
    /// `jlt dst, imm, +off`
    pub const JLT_IMM: u8 = 0xa5;
    /// `jlt dst, src, +off`
    pub const JLT_REG: u8 = 0xad;
    /// `jlt32 dst, imm, +off`
    pub const JLT32_IMM: u8 = 0xa6;
    /// `jlt32 dst, src, +off`
    pub const JLT32_REG: u8 = 0xae;
    /// `jle dst, imm, +off`
    pub const JLE_IMM: u8 = 0xb5;
    /// `jle dst, src, +off`
    pub const JLE_REG: u8 = 0xbd;
    /// `jle32 dst, imm, +off`
    pub const JLE32_IMM: u8 = 0xb6;
    /// `jle32 dst, src, +off`
    pub const JLE32_REG: u8 = 0xbe;
    /// `jslt dst, imm, +off`
    pub const JSLT_IMM: u8 = 0xc5;
    /// `jslt dst, src, +off`
    pub const JSLT_REG: u8 = 0xcd;
    /// `jslt32 dst, imm, +off`
    pub const JSLT32_IMM: u8 = 0xc6;
    /// `jslt32 dst, src, +off`
    pub const JSLT32_REG: u8 = 0xce;
    /// `jsle dst, imm, +off`
    pub const JSLE_IMM: u8 = 0xd5;
    /// `jsle dst, src, +off`
    pub const JSLE_REG: u8 = 0xdd;
    /// `jsle32 dst, imm, +off`
    pub const JSLE32_IMM: u8 = 0xd6;
    /// `jsle32 dst, src, +off`
    pub const JSLE32_REG: u8 = 0xde;
}
pub use composed::*;
