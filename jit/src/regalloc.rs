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

use crate::analysis::{Analysis, RegSet, ALL};
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
            _ if matches!(i.class(), CLS_ALU | CLS_ALU64)
                && i.opc & SRC_X == 0
                && matches!(op, OP_DIV | OP_MOD | OP_MUL) =>
            {
                Some(Const::Imm(i.imm as u32))
            }
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

/// Registers whose low halves never hold different live values at once, joined so
/// that one ARM register holds them all and the copies between them cost nothing:
/// for each register, the representative of its group.
///
/// Interference is taken where values are born: a write interferes with every low
/// half live after it and, unless it is a plain copy, with every one the instruction
/// reads (the lowering may write its result before it has read everything, as a
/// 64-bit load does). A fused `mov; op` pair ([`crate::patterns::move_op`]) is one
/// instruction that reads before it writes. Registers live at the entry interfere with
/// each other. Only copies in loops join groups, hottest (deepest) first. Programs with
/// bpf-to-bpf calls keep one register per home: their frames move r6-r10 through
/// `ctx.regs` around every call.
pub fn coalesce(insns: &[Insn], a: &Analysis) -> [u8; 11] {
    let mut group: [u8; 11] = core::array::from_fn(|k| k as u8);
    if a.has_local_calls {
        return group;
    }
    // The copies, (depth, dst, src), and the registers they involve: only those need
    // interference (this runs on the device at every compile).
    let mut copies = [(0u8, 0u8, 0u8); 16];
    let mut n_copies = 0;
    let mut involved: RegSet = 0;
    for (pc, &i) in insns.iter().enumerate() {
        let (d, s) = (i.dst(), i.src());
        // Only copies in loops: one outside runs once, and saves less than finding it costs.
        let depth = a.facts[pc].depth;
        if is_mov_reg(i)
            && depth > 0
            && d != s
            && d != 10
            && s != 10
            && n_copies < copies.len()
            && crate::patterns::move_op(insns, a, pc).is_none()
        {
            copies[n_copies] = (depth, d, s);
            n_copies += 1;
            involved |= 1 << d | 1 << s;
        }
    }
    if n_copies == 0 {
        return group;
    }
    // clash[k]: registers whose values k's writes met live (one direction; a query
    // looks both ways).
    let mut clash = [0 as RegSet; 11];
    let entry = a.live_lo_in(0);
    for k in bits(entry & involved) {
        clash[k] |= entry;
    }
    let mut pc = 0;
    while pc < insns.len() {
        let i = insns[pc];
        let f = &a.facts[pc];
        let mut writes = f.defs;
        if i.class() == CLS_STX && i.opc & MODE_MASK == MODE_ATOMIC {
            // Atomics write their source (fetch) or r0 (cmpxchg) through the runtime.
            writes |= 1 << i.src() | 1;
        }
        if writes & involved != 0 {
            let is_copy = is_mov_reg(i);
            if let Some(op) = is_copy.then(|| crate::patterns::move_op(insns, a, pc)).flatten() {
                clash[op.dst() as usize] |= a.live_lo_out(pc + 1);
                pc += 2;
                continue;
            }
            if is_copy {
                clash[i.dst() as usize] |= a.live_lo_out(pc) & !(1 << i.src());
            } else {
                let met = a.live_lo_out(pc) | f.rd_lo;
                for k in bits(writes & involved) {
                    clash[k] |= met;
                }
            }
        }
        pc = i.next_pc(pc);
    }
    // Groups are kept flat: group[k] is k's representative.
    let members = |group: &[u8; 11], r: u8| (0..11).filter(|&k| group[k] == r).fold(0 as RegSet, |m, k| m | 1 << k);
    for depth in (1..=3).rev() {
        for &(d, dst, src) in &copies[..n_copies] {
            let (x, y) = (group[dst as usize], group[src as usize]);
            if d != depth || x == y {
                continue;
            }
            let (mx, my) = (members(&group, x), members(&group, y));
            let meets = |from: RegSet, to: RegSet| bits(from).any(|k| clash[k] & to & !(1 << k) != 0);
            if !meets(mx, my) && !meets(my, mx) {
                for g in group.iter_mut().filter(|g| **g == y) {
                    *g = x;
                }
            }
        }
    }
    group
}

/// `mov dst, src` or `mov32 dst, src`: the low half copied as it is.
fn is_mov_reg(i: Insn) -> bool {
    matches!(i.opc, MOV64_REG | MOV32_REG) && i.off == 0
}

/// The registers in a set.
fn bits(set: RegSet) -> impl Iterator<Item = usize> {
    let mut rest = set & ALL;
    core::iter::from_fn(move || {
        (rest != 0).then(|| {
            let k = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            k
        })
    })
}

pub fn allocate(insns: &[Insn], a: &Analysis) -> Homes {
    let group = coalesce(insns, a);
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
    // A group's low halves score together, at its representative.
    for k in 0..11 {
        let r = group[k] as usize;
        if r != k {
            score[2 * r] = score[2 * r].saturating_add(core::mem::take(&mut score[2 * k]));
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
    // The best keys, as many as there are ARM registers, by insertion (most keys are 0).
    let mut best_keys = [0u32; POOL.len()];
    for &k in &keys {
        if k > best_keys[POOL.len() - 1] {
            let mut j = POOL.len() - 1;
            while j > 0 && best_keys[j - 1] < k {
                best_keys[j] = best_keys[j - 1];
                j -= 1;
            }
            best_keys[j] = k;
        }
    }
    let mut homes = Homes::default();
    for (arm, best) in POOL.into_iter().zip(best_keys) {
        if best == 0 {
            break;
        }
        let h = 255 - (best & 0xff) as usize;
        if h >= 22 {
            homes.consts[h - 22] = Some((consts[h - 22].0, arm));
        } else if h % 2 == 0 {
            homes.lo[h / 2] = Some(arm);
        } else {
            homes.hi[h / 2] = Some(arm);
        }
    }
    for (k, &g) in group.iter().enumerate() {
        homes.lo[k] = homes.lo[g as usize];
    }
    homes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;
    use vm::Program;

    use alloc::format;
    use alloc::vec::Vec;

    #[test]
    fn loop_registers_get_homes_and_32_bit_values_take_one_register() {
        // r2 counts against a register: a 64-bit value.
        let src = "mov32 %r3, 0\nmov %r2, 0\nldxdw %r5, [%r1+0]\nl: ldxb %r4, [%r1+0]\nadd32 %r3, %r4\nadd %r2, 1\njne %r2, %r5, l\nmov32 %r0, %r3\nexit";
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let a = analyse(p.insns(), crate::analysis::Sizes::default()).unwrap();
        let h = allocate(p.insns(), &a);
        assert!(h.lo[3].is_some() && h.lo[4].is_some() && h.lo[2].is_some());
        assert!(h.hi[3].is_none() && h.hi[4].is_none(), "32-bit values: {h:?}");
        assert!(h.hi[2].is_some(), "the 64-bit counter's high half is read in the loop");
        // One ARM register per group of halves.
        let group = coalesce(p.insns(), &a);
        let used: Vec<(u8, Reg)> =
            h.used().map(|(k, hi, r)| (if hi { 11 + k } else { group[k as usize] }, r)).collect();
        let mut by_reg = used.clone();
        by_reg.sort_by_key(|&(_, r)| r);
        by_reg.dedup();
        assert!(by_reg.windows(2).all(|w| w[0].1 != w[1].1), "two groups share an ARM register: {used:?}");
    }

    fn groups(src: &str) -> [u8; 11] {
        let p = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        coalesce(p.insns(), &analyse(p.insns(), crate::analysis::Sizes::default()).unwrap())
    }

    /// `body` in a loop (coalescing looks at copies in loops only).
    fn looped(body: &str) -> [u8; 11] {
        groups(&format!("l: {body}\nadd %r9, 1\njlt %r9, 10, l\nexit"))
    }

    #[test]
    fn copies_share_a_register_only_where_their_values_never_differ_while_live() {
        // Fletcher-16's latch: `r3 = r0` with r3 read by the fused `r0 = r1 + r3`
        // (one instruction) and r0 dead on the way round.
        let g = groups("mov32 %r3, 0\nmov %r2, 0\nl: mov32 %r0, %r1\nadd32 %r0, %r3\nmod32 %r0, 255\nadd %r2, 1\nmov32 %r3, %r0\njne %r2, 100, l\nexit");
        assert_eq!(g[0], g[3]);
        // A copy whose source is dead after it.
        assert_eq!(
            looped("mov %r2, %r1\nadd %r0, %r2\nmov %r1, %r0")[1],
            looped("mov %r2, %r1\nadd %r0, %r2\nmov %r1, %r0")[2]
        );
        // The source changes while the copy is live.
        let g = looped("mov %r2, %r1\nadd %r1, 1\nmov %r0, %r2\nadd %r0, %r1");
        assert_ne!(g[2], g[1]);
        // A helper's result while the copy of the old r0 is live.
        let g = looped("mov %r6, %r0\ncall 1\nadd %r0, %r6");
        assert_ne!(g[0], g[6]);
        // A 64-bit load may write its low half before it reads its base's again.
        let g = looped("mov %r2, %r1\nldxdw %r1, [%r2+0]\nmov %r0, %r1");
        assert_ne!(g[1], g[2], "the load's destination and base");
        // A copy made while an earlier copy of the old value is live.
        let g = looped("mov %r3, %r0\nmov %r0, %r1\nadd %r2, %r3\nadd %r2, %r0");
        assert_ne!(g[0], g[3]);
        // An atomic fetch writes its source while a copy of it is live.
        let g = looped("mov %r3, %r2\nlock fetch add [%r10-8], %r2\nadd %r0, %r3\nadd %r0, %r2");
        assert_ne!(g[2], g[3]);
        // Two registers live at the entry hold different values there.
        let g = looped("add %r0, %r2\nmov %r2, %r1");
        assert_ne!(g[1], g[2]);
        // Copies outside loops are left alone; bpf-to-bpf calls turn coalescing off.
        assert_eq!(groups("mov %r2, %r1\nmov %r0, %r2\nexit"), core::array::from_fn(|k| k as u8));
        let g = groups("l: mov32 %r3, %r1\ncall local f\nmov32 %r0, %r3\njlt %r0, 10, l\nexit\nf: exit");
        assert_eq!(g, core::array::from_fn(|k| k as u8));
    }
}
