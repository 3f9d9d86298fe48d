//! Static register allocation: each half of each eBPF register lives for the whole
//! program either in one callee-saved ARM register (its *home*) or in `ctx.regs`.
//!
//! Halves are ranked by how often the code would touch them, weighted by loop depth
//! (from [`crate::analysis`]); high halves that are known zero where they are read, or
//! never needed, count nothing, so 32-bit values take one register, not two. The hottest
//! halves get r4-r6 first (low registers allow 16-bit encodings), then r8-r11.
//! A whole-program map needs no spill code at block boundaries; the runtime only ever
//! sees `ctx.regs`, so halves at home are stored before and reloaded after the runtime
//! calls that read or write them.
use vm::opcode::*;
use vm::Insn;

use crate::analysis::Analysis;
use crate::thumb2::regs::*;

/// The ARM registers given to eBPF halves, best first.
pub const POOL: [Reg; 7] = [R4, R5, R6, R8, R9, R10, R11];

/// Where the halves of eBPF registers r0-r10 live: `Some(arm)` or `None` (`ctx.regs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Homes {
    pub lo: [Option<Reg>; 11],
    pub hi: [Option<Reg>; 11],
    /// Constants kept in a register for the whole program: divisors and factors, and
    /// `.rodata`/`.data` addresses used in loops, which would otherwise be loaded at
    /// every use.
    pub consts: [Option<(Const, Reg)>; MAX_CONSTS],
}

/// A value fixed for a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Const {
    Imm(u32),
    /// The address of `.rodata` / `.data` plus an offset.
    Rodata(i32),
    Data(i32),
}

impl Const {
    /// The constant an instruction would otherwise materialize, if it is a candidate.
    fn of(i: Insn) -> Option<Const> {
        let op = i.opc & OP_MASK;
        match i.opc {
            LDDWR => Some(Const::Rodata(i.imm)),
            LDDWD => Some(Const::Data(i.imm)),
            _ if matches!(i.class(), CLS_ALU | CLS_ALU64) && i.opc & SRC_X == 0 && matches!(op, OP_DIV | OP_MOD | OP_MUL) => Some(Const::Imm(i.imm as u32)),
            _ => None,
        }
    }
}

const MAX_CONSTS: usize = 4;

impl Homes {
    /// The register holding `c`, if one does.
    pub fn constant(&self, c: Const) -> Option<Reg> {
        self.consts.iter().flatten().find(|(v, _)| *v == c).map(|&(_, r)| r)
    }
}

impl Homes {
    /// ARM registers in use, for tests and disassembly notes.
    pub fn used(&self) -> impl Iterator<Item = (u8, bool, Reg)> + '_ {
        (0..11u8).flat_map(move |k| {
            let lo = self.lo[k as usize].map(|r| (k, false, r));
            let hi = self.hi[k as usize].map(|r| (k, true, r));
            lo.into_iter().chain(hi)
        })
    }
}

pub fn allocate(insns: &[Insn], a: &Analysis) -> Homes {
    // Scores: index 2k is rk's low half, 2k+1 its high half.
    let mut score = [0u32; 22];
    for f in a.facts.iter() {
        if !f.reachable {
            continue;
        }
        let w = 1u32 << (3 * f.depth as u32);
        // What the backward pass worked out: reads, and writes whose half is stored.
        let lo = f.rd_lo | f.defs;
        let hi = f.rd_hi | (f.need_out & f.defs);
        for (set, half) in [(lo & 0x7ff, 0), (hi & 0x7ff, 1)] {
            let mut rest = set;
            while rest != 0 {
                let k = rest.trailing_zeros() as usize;
                score[2 * k + half] = score[2 * k + half].saturating_add(w);
                rest &= rest - 1;
            }
        }
    }
    // Stack accesses through r10 need its low half; helpers' arguments are stored
    // around calls anyway, so nothing else is special.
    // Constants that would be materialized at every use.
    let mut consts = [(Const::Imm(0), 0u32); MAX_CONSTS];
    for (&i, f) in insns.iter().zip(a.facts.iter()) {
        let Some(c) = Const::of(i).filter(|_| f.reachable) else { continue };
        let w = 1u32 << (3 * f.depth as u32);
        let at = consts.iter().position(|&(v, s)| v == c && s > 0).or_else(|| consts.iter().position(|&(_, s)| s == 0));
        if let Some(slot) = at.map(|k| &mut consts[k]) {
            *slot = (c, slot.1.saturating_add(w));
        }
    }
    // The best-scoring halves and constants, best first (a selection: no sort, no allocation). Keys
    // pack the score (capped) above the half's index, lower indices winning ties.
    // Keys 0-21: halves; 22..: constants.
    let mut keys = [0u32; 22 + MAX_CONSTS];
    for (h, k) in keys.iter_mut().enumerate() {
        let s = if h < 22 { score[h] } else { consts[h - 22].1 };
        if s > 1 {
            *k = s.min(0xff_ffff) << 8 | (255 - h as u32);
        }
    }
    let mut homes = Homes::default();
    for arm in POOL {
        let best = keys.iter().copied().max().unwrap_or(0);
        if best == 0 {
            break;
        }
        let h = 255 - (best & 0xff) as usize;
        keys[h] = 0;
        if h >= 22 {
            homes.consts[h - 22] = Some((consts[h - 22].0, arm));
        } else if h % 2 == 0 {
            homes.lo[h / 2] = Some(arm);
        } else {
            homes.hi[h / 2] = Some(arm);
        }
    }
    homes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use vm::Program;

    use alloc::vec::Vec;

    #[test]
    fn loop_registers_get_homes_and_32_bit_values_take_one_register() {
        // r2 counts against a register: a 64-bit value.
        let src = "mov32 %r3, 0\nmov %r2, 0\nldxdw %r5, [%r1+0]\nl: ldxb %r4, [%r1+0]\nadd32 %r3, %r4\nadd %r2, 1\njne %r2, %r5, l\nmov32 %r0, %r3\nexit";
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let a = analyse(p.insns(), crate::analysis::Sizes::default());
        let h = allocate(p.insns(), &a);
        assert!(h.lo[3].is_some() && h.lo[4].is_some() && h.lo[2].is_some());
        assert!(h.hi[3].is_none() && h.hi[4].is_none(), "32-bit values: {h:?}");
        assert!(h.hi[2].is_some(), "the 64-bit counter's high half is read in the loop");
        let used: Vec<Reg> = h.used().map(|(_, _, r)| r).collect();
        let mut dedup = used.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(used.len(), dedup.len(), "one half per ARM register");
    }
}
