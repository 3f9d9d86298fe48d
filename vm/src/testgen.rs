//! Random well-formed programs, for property tests and differential runs of the
//! engines. Every instruction is built valid for its class; jumps are short, so most
//! programs verify, and loops end by the budget when they do not end by themselves.
use alloc::vec;
use alloc::vec::Vec;

use crate::insn::Insn;
use crate::opcode::*;

/// Builds one valid instruction (one or two slots) of a class picked by `kind`; the
/// other numbers fill its fields. Jumps are short so that most targets are in range.
pub fn build(kind: u8, a: u8, b: u8, off: i16, imm: i32, helpers: &[i32]) -> Vec<Insn> {
    let dst = a % 10; // writable: r0-r9
    let src = b % 11;
    let base = [10, 1, 10, src][(b % 4) as usize]; // memory bases: mostly stack and input
    let alu_ops = [OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_OR, OP_AND, OP_LSH, OP_RSH, OP_MOD, OP_XOR, OP_MOV, OP_ARSH];
    let sizes = [SZ_B, SZ_H, SZ_W, SZ_DW];
    let jmp_ops = [JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];
    let short = off % 4;
    let mem_off = (off % 64) - 32;
    let one = |i| vec![i];
    match kind % 16 {
        0 | 1 => {
            let op = alu_ops[a as usize % alu_ops.len()];
            let cls = if kind % 2 == 0 { CLS_ALU64 } else { CLS_ALU };
            let signed = if matches!(op, OP_DIV | OP_MOD) { (b & 1) as i16 } else { 0 };
            if imm & 1 == 0 {
                one(Insn::new(cls | op | SRC_X, dst, src, signed, 0))
            } else {
                one(Insn::new(cls | op, dst, 0, signed, imm >> 1))
            }
        }
        2 => one(Insn::new([CLS_ALU64, CLS_ALU][(b & 1) as usize] | OP_NEG, dst, 0, 0, 0)),
        3 => one(Insn::new([0xd4, 0xdc, 0xd7][b as usize % 3], dst, 0, 0, [16, 32, 64][a as usize % 3])),
        4 => one(if b & 1 == 0 {
            Insn::new(0xbf, dst, src, [8, 16, 32][a as usize % 3], 0)
        } else {
            Insn::new(0xbc, dst, src, [8, 16][a as usize % 2], 0)
        }),
        5 => vec![Insn::new(LDDW, dst, 0, 0, imm), Insn::new(0, 0, 0, 0, imm.rotate_left(7))],
        6 => one(Insn::new(CLS_LDX | MODE_MEM | sizes[a as usize % 4], dst, base, mem_off, 0)),
        7 => one(Insn::new(CLS_LDX | MODE_MEMSX | sizes[a as usize % 3], dst, base, mem_off, 0)),
        8 => one(Insn::new(CLS_ST | MODE_MEM | sizes[a as usize % 4], base, 0, mem_off, imm)),
        9 => one(Insn::new(CLS_STX | MODE_MEM | sizes[a as usize % 4], base, src, mem_off, 0)),
        10 => {
            let ops = [
                ATOMIC_ADD,
                ATOMIC_OR,
                ATOMIC_AND,
                ATOMIC_XOR,
                ATOMIC_ADD | ATOMIC_FETCH,
                ATOMIC_XOR | ATOMIC_FETCH,
                ATOMIC_XCHG,
                ATOMIC_CMPXCHG,
            ];
            one(Insn::new(
                CLS_STX | MODE_ATOMIC | [SZ_W, SZ_DW][(a & 1) as usize],
                base,
                src,
                mem_off & !7,
                ops[b as usize % ops.len()],
            ))
        }
        11 | 12 => {
            let cls = if kind % 2 == 1 { CLS_JMP } else { CLS_JMP32 };
            let op = jmp_ops[a as usize % jmp_ops.len()];
            if imm & 1 == 0 {
                one(Insn::new(cls | op | SRC_X, a % 11, src, short, 0))
            } else {
                one(Insn::new(cls | op, a % 11, 0, short, imm >> 1))
            }
        }
        13 => one(Insn::new(JA64, 0, 0, short.abs(), 0)),
        14 => one(match b % 3 {
            0 => Insn::new(CALL_IMM, 0, CALL_HELPER, 0, helpers[a as usize % helpers.len()]),
            1 => Insn::new(CALL_IMM, 0, CALL_LOCAL, 0, short as i32),
            _ => Insn::new(CALL_REG, src, 0, 0, 0),
        }),
        _ => one(Insn::new(EXIT_OP, 0, 0, 0, 0)),
    }
}

/// A small deterministic generator (xorshift64*), so a seed names a program list.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A program of `n` random instructions (slots may be more: lddw takes two) and a
/// final exit, calling only `helpers`; local calls go to one function after it
/// ([`with_callee`]).
pub fn program(rng: &mut Rng, n: usize, helpers: &[i32]) -> Vec<Insn> {
    let mut random = |count: usize| {
        let mut insns = Vec::new();
        for _ in 0..count {
            let r = rng.next_u64();
            let (k, a, b, off, imm) =
                (r as u8, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as i16, rng.next_u64() as i32);
            insns.extend(build(k, a, b, off, imm, helpers));
        }
        insns.push(Insn::new(EXIT_OP, 0, 0, 0, 0));
        insns
    };
    let main = random(n);
    let callee = random(1 + n / 4);
    with_callee(main, callee)
}

/// `main` with every local call (its own and `callee`'s) retargeted to `callee`,
/// placed after it, when `main` makes any; `main` alone otherwise. Both end with
/// `exit`, so no function falls into the next, as the verifier requires.
pub fn with_callee(mut main: Vec<Insn>, callee: Vec<Insn>) -> Vec<Insn> {
    if !main.iter().any(Insn::is_local_call) {
        return main;
    }
    let entry = main.len();
    main.extend(callee);
    for (pc, insn) in main.iter_mut().enumerate().filter(|(_, i)| i.is_local_call()) {
        insn.imm = entry as i32 - pc as i32 - 1;
    }
    main
}
