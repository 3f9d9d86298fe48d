//! Short sequences clang emits, compiled together into fewer ARM instructions. Every
//! pattern spans slots that no jump enters but at the first, so nothing can observe the
//! registers between them; only values still read afterwards are stored.
use vm::opcode::*;
use vm::Insn;

use super::{Lower, Val};
use crate::abi;
use crate::regalloc::Const;
use crate::thumb2::encode::*;
use crate::thumb2::imm::{NegOff8, Off12};
use crate::thumb2::regs::*;

const ADD64_REG: u8 = CLS_ALU64 | OP_ADD | SRC_X;

/// Whether `i` reads or writes `d`, the registers it writes, and whether it is plain:
/// one of the instructions a deferred address may pass (no call, jump or atomic).
fn touches(i: Insn, d: u8) -> (bool, u16, bool) {
    let reads = match i.class() {
        CLS_ALU | CLS_ALU64 => (1 << i.dst()) | if i.opc & SRC_X != 0 { 1 << i.src() } else { 0 },
        CLS_LDX => 1 << i.src(),
        CLS_ST => 1 << i.dst(),
        CLS_STX => (1 << i.dst()) | (1 << i.src()),
        _ => 0,
    };
    let writes = match i.class() {
        CLS_ALU | CLS_ALU64 | CLS_LD | CLS_LDX => 1u16 << i.dst(),
        _ => 0,
    };
    let plain = match i.class() {
        CLS_ALU | CLS_ALU64 | CLS_LDX => true,
        CLS_LD => i.is_wide(),
        CLS_ST | CLS_STX => i.opc & MODE_MASK == MODE_MEM,
        _ => false,
    };
    ((reads | writes) & 1 << d != 0, writes, plain)
}

/// The most slots between an address's add and the access through it that
/// [`Lower::fuse_indexed_access`] defers the add over.
const MAX_FOLD_GAP: usize = 8;

/// An access through `base + index` (with `in_ctx`, r12 loaded from that `ctx` word)
/// at displacement `disp`, at slot `at`, whose address computation was skipped.
#[derive(Clone, Copy)]
pub(super) struct Folded {
    at: usize,
    base: Reg,
    in_ctx: Option<u16>,
    disp: i32,
    index: u8,
}

impl Lower<'_> {
    /// Compiles the sequence at `self.pc` if a pattern matches (the slots it covers are
    /// then skipped); false if none does.
    pub(super) fn fuse(&mut self) -> bool {
        // An access whose address an earlier pattern left to it.
        let pc = self.pc;
        if let Some(f) = self.folded.take_if(|f| f.at == pc) {
            self.emit_folded(f);
            return true;
        }
        // (First: the add must branch on its carry, whatever else matches.)
        if self.carry_check != 0 {
            self.carry_checked_add(self.insns[self.pc]);
            return true;
        }
        if self.folded.is_some() {
            // Until that access, only patterns that end before it (an indexed access
            // through another register, not deferred: it ends at the first slot that
            // touches its own register, before the pending one's).
            return self.fuse_indexed_access();
        }
        // Each pattern by the opcode it starts with (this runs for every instruction).
        match self.insns[self.pc].opc {
            LDXB | LDXH | LDXW => self.fuse_loads(),
            LDDWR | LDDWD => self.fuse_indexed_access() || self.fuse_const_op(),
            ADD64_REG => self.fuse_indexed_access(),
            MOV64_REG => self.fuse_indexed_access() || self.fuse_move_op(),
            MOV32_REG => self.fuse_rotate() || self.fuse_bitfield() || self.fuse_move_op(),
            LSH32_IMM | RSH32_IMM | AND32_IMM => self.fuse_bitfield(),
            LSH64_IMM => self.fuse_sign_extend(),
            _ => false,
        }
    }

    /// The instruction `k` slots on, if control can only reach it from the slot before.
    fn follower(&self, k: usize) -> Option<Insn> {
        let at = self.pc + k;
        (k == 0 || !self.an.facts.get(at)?.is_head()).then(|| self.insns.get(at).copied())?
    }

    /// `d = base + s` and an access of 1, 2 or 4 bytes through `d` (a load or a store
    /// the analysis proved inside its region) after which nothing reads `d` (a load may
    /// write it): the base is `d` itself, a `.rodata`/`.data` address (`lddwr/lddwd d,
    /// c` just before: a register holding it, else loaded from `ctx`, `c` going into
    /// the displacement), or r10 (`d = r10; d += k` just before: its home, `k` going
    /// into the displacement). One `ldr/str [base, s]` when the displacement is 0, else
    /// `add r12, base, s` and the access at the displacement: an array's element in
    /// the frame or in `.rodata` costs the add of its index only. The access may come
    /// a few slots later ([`MAX_FOLD_GAP`], as in `dst[i] = src[i]`, clang computing
    /// both addresses first) past instructions that neither touch `d` nor write `s`:
    /// nothing is emitted until it ([`Folded`]).
    ///
    /// When no access may take the address, a base held in a register with no
    /// displacement (`r10 + k` in r10's home, `k` its bias; `.rodata + c` in a
    /// register) still makes `d` one `add d, base, s`, where `d`'s high half is not needed.
    fn fuse_indexed_access(&mut self) -> bool {
        let Some(first) = self.follower(0) else { return false }; // The base: a register, `d` (None), or a word of `ctx` (r12 loaded from it).
        let (base, in_ctx, disp, add_at) = match first.opc {
            LDDWR | LDDWD => {
                let (c, word) = if first.opc == LDDWR {
                    (Const::Rodata(first.imm), abi::RODATA_BASE)
                } else {
                    (Const::Data(first.imm), abi::DATA_BASE)
                };
                match self.homes.constant(c) {
                    Some(r) => (Some(r), None, 0, 2),
                    None => (None, Some(word), first.imm, 2),
                }
            }
            ADD64_REG => (None, None, 0, 0),
            MOV64_REG if first.src() == 10 => {
                let (Some(home), Some(step)) = (self.homes.lo[10], self.follower(1)) else { return false };
                if step.opc != ADD64_IMM || step.dst() != first.dst() {
                    return false;
                }
                (Some(home), None, step.imm + self.frame_bias as i32, 2)
            }
            _ => return false,
        };
        // The base in a register: its own, r12 loaded from `ctx`, or `d` (None).
        let base_reg = base.or(in_ctx.map(|_| R12));
        let Some(add) = self.follower(add_at) else { return false };
        let (d, index) = (add.dst(), add.src());
        if add.opc != ADD64_REG || index == d || (add_at == 2 && first.dst() != d) {
            return false;
        }
        // No access takes the address: `add d, base, s` from a register holding the base.
        let just_add = |this: &mut Self| match base.filter(|_| disp == 0 && add_at == 2) {
            Some(b) => this.base_plus_index(b, add_at, d, index),
            None => false,
        };
        // The access: the first slot after the add that touches `d`. (Deferred only with
        // a base that holds still: a register or `ctx`'s word, never `d` itself.)
        let deferrable = self.folded.is_none() && base_reg.is_some();
        let mut gap = 0;
        let access = loop {
            let Some(i) = self.follower(add_at + 1 + gap) else { return just_add(self) };
            let (touched, writes, plain) = touches(i, d);
            if touched {
                break i;
            }
            gap += if i.is_wide() { 2 } else { 1 };
            if !deferrable || !plain || writes & 1 << index != 0 || gap > MAX_FOLD_GAP {
                return just_add(self);
            }
        };
        let at = self.pc + add_at + 1 + gap;
        let load = access.class() == CLS_LDX;
        let plain = matches!(access.class(), CLS_LDX | CLS_STX)
            && access.opc & MODE_MASK == MODE_MEM
            && access.opc & SZ_MASK != SZ_DW;
        let through_d = if load { access.src() == d } else { access.dst() == d && access.src() != d };
        let f = &self.an.facts[at];
        let d_dead = (self.an.live_lo_out(at) | f.need_out) & 1 << d == 0;
        let disp = disp + access.off as i32;
        let near = disp == 0 || Off12::maybe_from(disp).is_some() || NegOff8::maybe_from(disp).is_some();
        if !plain
            || !through_d
            || !(d_dead || (load && access.dst() == d))
            || !f.safe
            || !near
            || (base_reg.is_none() && disp != 0)
        {
            return just_add(self);
        }
        if gap > 0 {
            // The slots up to the add emit nothing; the access emits the whole.
            let base = base_reg.unwrap_or(R12);
            self.folded = Some(Folded { at, base, in_ctx, disp, index });
            self.skip_until = self.pc + add_at + 1;
            return true;
        }
        self.at(self.pc + add_at);
        let base = base_reg.unwrap_or_else(|| self.lo(d, R0));
        self.emit_folded(Folded { at, base, in_ctx, disp, index });
        true
    }

    /// `add d, b, s` for `d = base; d += s` (`add_at` the add's slot from here), unless
    /// `d`'s high half is needed after it.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn base_plus_index(&mut self, b: Reg, add_at: usize, d: u8, index: u8) -> bool {
        if self.an.facts[self.pc + add_at].need_out & 1 << d != 0 {
            return false;
        }
        self.at(self.pc + add_at);
        let s = self.lo(index, R2);
        let r = self.lo_dst(d, R0);
        self.put_def(dp_reg(DpOp::Add, Flags::Keep, r, b, s, Shift::Lsl, 0), r);
        self.commit_lo(d, r);
        self.skip_until = self.pc + 1;
        true
    }

    /// The access of a [`Folded`] at its slot (its base read before, when it is the
    /// address register itself).
    fn emit_folded(&mut self, folded: Folded) {
        let Folded { at, base: b, in_ctx, disp, index } = folded;
        if let Some(word) = in_ctx {
            self.ld(Width::Word, R12, super::CTX, word);
        }
        let s = self.lo(index, R2);
        self.at(at);
        let access = self.insns[at];
        let w = match access.opc & SZ_MASK {
            SZ_B => Width::Byte,
            SZ_H => Width::Half,
            _ => Width::Word,
        };
        if disp != 0 {
            self.put_def(dp_reg(DpOp::Add, Flags::Keep, R12, b, s, Shift::Lsl, 0), R12);
        }
        if access.class() == CLS_LDX {
            let r = self.lo_dst(access.dst(), R0);
            if disp == 0 {
                self.put_def(ldr_reg(w, r, b, s), r);
            } else {
                self.mem_op(true, w, r, R12, disp);
            }
            self.commit_lo(access.dst(), r);
            self.set_hi(access.dst(), Val::K(0));
        } else {
            let v = self.lo_now(access.src(), R1);
            if disp == 0 {
                self.put(str_reg(w, v, b, s));
            } else {
                self.mem_op(false, w, v, R12, disp);
            }
        }
        self.skip_until = at + 1;
    }

    /// `a = x; a >>= n; b = x; b <<= 32 - n; b |= a` (32-bit; the shifts either way
    /// round, the result in either register): clang's rotate, eBPF having none. One
    /// `ror`, and the other register's shift only if it is still read.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn fuse_rotate(&mut self) -> bool {
        let at = self.pc;
        // The move first: this runs for every instruction.
        let Some(&[m1, s1, m2, s2, or]) = self.insns.get(at..at + 5).filter(|_| self.insns[at].opc == MOV32_REG) else {
            return false;
        };
        let (x, a, b, r) = (m1.src(), m1.dst(), m2.dst(), or.dst());
        if m2.opc != MOV32_REG
            || or.opc != OR32_REG
            || !matches!(s1.opc, LSH32_IMM | RSH32_IMM)
            || s1.opc ^ s2.opc != LSH32_IMM ^ RSH32_IMM
            || !(1..32).contains(&s1.imm)
            || s1.imm + s2.imm != 32
            || m1.off | m2.off != 0
            || (s1.dst(), s2.dst(), m2.src()) != (a, b, x)
            || a == x
            || b == x
            || a == b
            || ((r, or.src()) != (a, b) && (r, or.src()) != (b, a))
            || (1..5).any(|k| self.an.facts[at + k].is_head())
        {
            return false;
        }
        let right = if s1.opc == RSH32_IMM { s1.imm } else { s2.imm } as u16;
        let v = self.lo(x, R1);
        let live = self.an.live_lo_out(at + 4);
        // a first: written while x is live, it never shares x's ARM register; b may
        // (x dead after its copy). Each register's high half is set where its last
        // write is.
        for (k, s, last) in [(a, s1, at + 1), (b, s2, at + 3)] {
            if k == r {
                self.at(at + 4);
                self.shifted_into(k, v, Shift::Ror, right);
            } else {
                self.at(last);
                if live & 1 << k != 0 || self.hi_needed(k) {
                    self.shifted_into(k, v, super::alu::shift_of(s.opc & OP_MASK), s.imm as u16);
                }
            }
        }
        self.skip_until = at + 5;
        true
    }

    /// A bit field taken out of a 32-bit value, as clang writes it without a bit-field
    /// extract: `d <<= k; d s>>= m` or `d >>= m` (k ≤ m < 32: bits `m - k ..
    /// 32 - k`), `d >>= k; d &= 2^w - 1` (bits `k .. k + w`) and `d &= 1; d = -d`
    /// (bit 0 as a mask), all 32-bit, each after an optional `d = s` (32-bit) that
    /// the field is then taken from. One `sbfx` or `ubfx`; d's high half zero. (Built
    /// for size: tried only at 32-bit shifts and ANDs.)
    #[cfg_attr(target_os = "none", optimize(size))]
    fn fuse_bitfield(&mut self) -> bool {
        let at = self.pc;
        // The opcodes first: this runs for every instruction.
        let mov = self.insns[at];
        let from = if mov.opc == MOV32_REG && mov.off == 0 { 1 } else { 0 };
        if !matches!(self.insns.get(at + from).map(|i| i.opc), Some(LSH32_IMM | RSH32_IMM | AND32_IMM)) {
            return false;
        }
        let (Some(a), Some(b)) = (self.follower(from), self.follower(from + 1)) else { return false };
        let d = a.dst();
        if b.dst() != d || a.off != 0 || b.off != 0 || (from == 1 && (mov.dst() != d || mov.src() == d)) {
            return false;
        }
        let (k, m) = (a.imm as u32, b.imm as u32);
        let (kind, lsb, width) = match (a.opc, b.opc) {
            (LSH32_IMM, ARSH32_IMM | RSH32_IMM) if k <= m && m < 32 => {
                (if b.opc == ARSH32_IMM { Bfx::Sbfx } else { Bfx::Ubfx }, m - k, 32 - m)
            }
            // (A mask reaching past bit 31 - k keeps the zeros shifted in.)
            (RSH32_IMM, AND32_IMM) if k < 32 && m != 0 && (m as u64 + 1).is_power_of_two() => {
                (Bfx::Ubfx, k, (m.count_ones()).min(32 - k))
            }
            (AND32_IMM, NEG32) if k == 1 && b.imm == 0 => (Bfx::Sbfx, 0, 1),
            _ => return false,
        };
        let v = self.lo(if from == 1 { mov.src() } else { d }, R1);
        self.at(at + from + 1);
        let r = self.lo_dst(d, R0);
        self.put_def(bitfield(kind, r, v, lsb as u16, width as u16), r);
        self.commit_lo(d, r);
        self.set_hi(d, Val::K(0));
        self.skip_until = self.pc + 1;
        true
    }

    /// `d = a <shift> n` (32 bits; by 0 a copy), d's high half zero. (Out of line: the
    /// patterns share it, and flash is scarce.)
    #[inline(never)]
    fn shifted_into(&mut self, d: u8, a: Reg, shift: Shift, n: u16) {
        let r = match (self.home_out(d, false), n) {
            // A copy into `ctx.regs` stores `a` as it is.
            (None, 0) => a,
            (home, _) => {
                let r = home.unwrap_or(R0);
                if n == 0 {
                    self.val_into(r, Val::R(a));
                } else {
                    self.put_def(mov_reg_shifted(Flags::Keep, r, a, shift, n), r);
                }
                r
            }
        };
        self.commit_lo(d, r);
        self.set_hi(d, Val::K(0));
    }

    /// `d = .rodata/.data + k` with that address held in a register, then `d op= x`
    /// (add, sub, and, or, xor; 64-bit only when d's high half is not read afterwards,
    /// the fused form computing the low half): one three-operand instruction on the
    /// constant's register, as a move and its op are ([`Self::fuse_move_op`]).
    fn fuse_const_op(&mut self) -> bool {
        let first = self.insns[self.pc];
        let c = match first.opc {
            LDDWR => Const::Rodata(first.imm),
            LDDWD => Const::Data(first.imm),
            _ => return false,
        };
        let (Some(home), Some(op)) = (self.homes.constant(c), self.follower(2)) else { return false };
        let (d, op_pc) = (first.dst(), self.pc + 2);
        let wide = op.class() == CLS_ALU64;
        let facts = &self.an.facts[op_pc];
        // (`dp_op` knows add, sub, and, or and xor only.)
        let Some(kind) = super::alu::dp_op(op.opc & OP_MASK).filter(|_| {
            matches!(op.class(), CLS_ALU | CLS_ALU64)
                && op.dst() == d
                && op.off == 0
                && facts.carry_check == 0
                && (!wide || facts.need_out & (1 << d) == 0)
        }) else {
            return false;
        };
        self.fused_op(op, op_pc, kind, home, None)
    }

    /// The fused form's op at `op_pc`, `d = a op x`: x the op's immediate (or `k`), its
    /// register, or `a` where that is d itself (holding `a`'s value by then); the high
    /// half zero after a 32-bit op. The slots up to the op are done.
    fn fused_op(&mut self, op: Insn, op_pc: usize, kind: DpOp, a: Reg, k: Option<u32>) -> bool {
        let d = op.dst();
        let b = match k {
            Some(k) => Val::K(k),
            None if op.opc & SRC_X == 0 => Val::K(op.imm as u32),
            None if op.src() == d => Val::R(a),
            None => Val::R(self.lo(op.src(), R2)),
        };
        self.at(op_pc);
        let r = self.lo_dst(d, R0);
        self.dp(kind, Flags::Keep, r, a, b, R2);
        self.commit_lo(d, r);
        if op.class() != CLS_ALU64 {
            self.set_hi(d, Val::K(0));
        }
        self.skip_until = op_pc + 1;
        true
    }

    /// `d = s; d op= x` ([`crate::patterns::move_op`]): one three-operand instruction.
    fn fuse_move_op(&mut self) -> bool {
        let Some(op) = crate::patterns::move_op(self.insns, &self.an, self.pc) else { return false };
        let mov = self.insns[self.pc];
        let (d, s) = (mov.dst(), mov.src());
        let op_pc = self.pc + 1;
        let Some(kind) = super::alu::dp_op(op.opc & OP_MASK) else {
            // A 32-bit shift by a constant: one shifted move (by 0: a move; an amount
            // counts modulo 32, as eBPF masks it).
            let a = self.lo(s, R1);
            self.at(op_pc);
            self.shifted_into(d, a, super::alu::shift_of(op.opc & OP_MASK), op.imm as u16 & 31);
            self.skip_until = op_pc + 1;
            return true;
        };
        // `d = r10 ± k` from a biased home: the bias joins the constant.
        let biased = match self.homes.lo[10] {
            Some(h) if s == 10 && self.frame_bias != 0 && op.opc & SRC_X == 0 => match kind {
                DpOp::Add => Some((h, (op.imm as u32).wrapping_add(self.frame_bias))),
                DpOp::Sub => Some((h, (op.imm as u32).wrapping_sub(self.frame_bias))),
                _ => None,
            },
            _ => None,
        };
        let a = biased.map_or_else(|| self.lo(s, R1), |b| b.0);
        self.fused_op(op, op_pc, kind, a, biased.map(|b| b.1))
    }

    /// `d <<= k; d s>>= k` with 32 ≤ k < 64: a sign extension of d's low `64 - k` bits,
    /// as clang writes it before cpu v4's `movsx`; `d >>= k` in place of the `s>>=`, a
    /// zero extension. The low half is one `sxtb`/`sxth`/`uxtb`/`uxth` (or `sbfx`/`ubfx`
    /// for other amounts; nothing for k = 32), the high half its sign or zero: not five
    /// instructions through the high word.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn fuse_sign_extend(&mut self) -> bool {
        // The opcode first: this runs for every instruction no other pattern took.
        if self.insns[self.pc].opc != LSH64_IMM {
            return false;
        }
        let (Some(lsh), Some(rsh)) = (self.follower(0), self.follower(1)) else { return false };
        let d = lsh.dst();
        let signed = rsh.opc == ARSH64_IMM;
        if !(signed || rsh.opc == RSH64_IMM) || rsh.dst() != d || rsh.imm != lsh.imm || !(32..64).contains(&lsh.imm) {
            return false;
        }
        // A signed load made the low half already.
        let k = if signed && self.extended_by_load[d as usize % 11] == self.pc as u32 { 0 } else { lsh.imm - 32 };
        self.at(self.pc + 1);
        // The low half changes only if bits of it are cleared or take the sign.
        let lo = (k != 0).then(|| {
            let a = self.lo(d, R1);
            let r = self.lo_dst(d, R0);
            match (k, signed) {
                (24, true) => self.put_def(extend(Extend::Sxtb, r, a), r),
                (16, true) => self.put_def(extend(Extend::Sxth, r, a), r),
                (24, false) => self.put_def(extend(Extend::Uxtb, r, a), r),
                (16, false) => self.put_def(extend(Extend::Uxth, r, a), r),
                _ => self.put_def(bitfield(if signed { Bfx::Sbfx } else { Bfx::Ubfx }, r, a, 0, 32 - k as u16), r),
            }
            self.commit_lo(d, r);
            r
        });
        if !signed {
            self.set_hi(d, Val::K(0));
        } else if self.hi_needed(d) {
            let r = lo.unwrap_or_else(|| self.lo(d, R0));
            let rh = self.hi_dst(d, R1);
            self.put_def(mov_reg_shifted(Flags::Keep, rh, r, Shift::Asr, 31), rh);
            self.commit_hi(d, rh);
        }
        self.skip_until = self.pc + 1;
        true
    }
}
