//! ALU32 and ALU64 instructions.
use vm::opcode::*;
use vm::Insn;

use super::{Lower, Val};
use crate::abi;
use crate::thumb2::encode::*;
use crate::thumb2::regs::*;

/// The data-processing operation of an eBPF add, sub, and, or or xor.
pub(super) fn dp_op(op: u8) -> Option<DpOp> {
    Some(match op {
        OP_ADD => DpOp::Add,
        OP_SUB => DpOp::Sub,
        OP_AND => DpOp::And,
        OP_OR => DpOp::Orr,
        OP_XOR => DpOp::Eor,
        _ => return None,
    })
}

/// The shift of an eBPF lsh, rsh or arsh.
pub(super) fn shift_of(op: u8) -> Shift {
    match op {
        OP_LSH => Shift::Lsl,
        OP_RSH => Shift::Lsr,
        _ => Shift::Asr,
    }
}

fn commutative(op: DpOp) -> bool {
    matches!(op, DpOp::And | DpOp::Orr | DpOp::Eor | DpOp::Add | DpOp::Adc)
}

impl Lower<'_> {
    /// The source's low half: a register (its home or loaded into r2) or the immediate.
    pub(super) fn src_lo(&mut self, i: Insn) -> Val {
        if i.opc & SRC_X != 0 {
            Val::R(self.lo(i.src(), R2))
        } else {
            Val::K(i.imm as u32)
        }
    }

    /// The source's high half: known zero, its home, loaded into r3, or the immediate's
    /// sign extension.
    pub(super) fn src_hi(&mut self, i: Insn) -> Val {
        if i.opc & SRC_X != 0 {
            self.hi(i.src(), R3)
        } else {
            Val::K(if i.imm < 0 { u32::MAX } else { 0 })
        }
    }

    /// `rd = a <op> b` for any mix of registers and constants; constants go to `ta`/`tb`.
    // The operands of the instruction and its two scratch registers, each named.
    #[allow(clippy::too_many_arguments)]
    fn dp_val(&mut self, op: DpOp, flags: Flags, rd: Reg, a: Val, b: Val, ta: Reg, tb: Reg) {
        match (a, b) {
            (Val::R(x), v) => self.dp(op, flags, rd, x, v, tb),
            (Val::K(c), Val::R(y)) if commutative(op) => self.dp(op, flags, rd, y, Val::K(c), ta),
            (Val::K(c), v) => {
                self.const32(ta, c);
                self.dp(op, flags, rd, ta, v, tb);
            }
        }
    }

    fn alu_runtime(&mut self, i: Insn) {
        let reads = 1 << i.dst() | if i.opc & SRC_X != 0 { 1 << i.src() } else { 0 };
        self.via_runtime(abi::RT_ALU, reads, 1 << i.dst());
    }

    // Inlined at its one call: out of line it costs a call per ALU instruction.
    #[inline(always)]
    pub(super) fn alu(&mut self, i: Insn) {
        if i.class() == CLS_ALU64 {
            self.alu64(i)
        } else {
            self.alu32(i)
        }
    }

    fn alu32(&mut self, i: Insn) {
        let (d, op, x) = (i.dst(), i.opc & OP_MASK, i.opc & SRC_X != 0);
        let r = self.lo_dst(d, R0);
        match op {
            OP_MOV => match (x, i.off) {
                (false, 0) => self.const32(r, i.imm as u32),
                (true, 0) => {
                    self.copy_lo(d, i.src());
                    return self.set_hi(d, Val::K(0));
                }
                (true, 8) | (true, 16) => {
                    let a = self.lo(i.src(), R2);
                    self.put_def(extend(if i.off == 8 { Extend::Sxtb } else { Extend::Sxth }, r, a), r);
                }
                _ => return self.alu_runtime(i),
            },
            OP_ADD | OP_SUB | OP_AND | OP_OR | OP_XOR => {
                let a = self.lo(d, R0);
                // Read by the one instruction that follows.
                let b = if x { Val::R(self.lo_now(i.src(), R2)) } else { Val::K(i.imm as u32) };
                self.dp(dp_op(op).unwrap_or(DpOp::Add), Flags::Keep, r, a, b, R2);
            }
            OP_MUL => {
                let a = self.lo(d, R0);
                if x || !self.mul_shifted(r, a, i.imm as u32) {
                    let b = self.src_lo(i);
                    let b = self.in_reg(b, R2);
                    self.put_def(mul(r, a, b), r);
                }
            }
            OP_LSH | OP_RSH | OP_ARSH => {
                let kind = shift_of(op);
                let a = self.lo(d, R0);
                if x {
                    let b = self.lo(i.src(), R2);
                    self.put_def(dp_imm(DpOp::And, Flags::Keep, R12, b, super::imm(31)), R12);
                    self.put_def(shift_reg(kind, Flags::Keep, r, a, R12), r);
                } else {
                    let n = (i.imm as u32 & 31) as u16;
                    if n == 0 {
                        self.val_into(r, Val::R(a));
                    } else {
                        self.put_def(mov_reg_shifted(Flags::Keep, r, a, kind, n), r);
                    }
                }
            }
            OP_NEG => {
                let a = self.lo(d, R0);
                self.put_def(dp_imm(DpOp::Rsb, Flags::Keep, r, a, super::imm(0)), r);
            }
            // The hardware divider gives RFC 9669's results as is: x / 0 = 0 (UDIV and
            // SDIV with DIV_0_TRP clear), x % 0 = x (through MLS with a zero quotient),
            // INT_MIN / -1 = INT_MIN and INT_MIN % -1 = 0.
            OP_DIV | OP_MOD if i.off == 0 || i.off == 1 => {
                let a = self.lo(d, R0);
                let b = self.src_lo(i);
                let b = self.in_reg(b, R2);
                let div = if i.off == 0 { udiv } else { sdiv };
                if self.an.facts[self.pc].reduce_once {
                    self.reduce_once(r, a, b);
                } else if op == OP_DIV {
                    self.put_def(div(r, a, b), r);
                } else {
                    self.put_def(div(R12, a, b), R12);
                    self.put_def(mls(r, R12, b, a), r);
                }
            }
            _ => return self.alu_runtime(i),
        }
        self.commit_lo(d, r);
        self.set_hi(d, Val::K(0));
    }

    fn alu64(&mut self, i: Insn) {
        let (d, op, x) = (i.dst(), i.opc & OP_MASK, i.opc & SRC_X != 0);
        let needed = self.hi_needed(d);
        match op {
            OP_MOV => match (x, i.off) {
                (false, 0) => {
                    let r = self.lo_dst(d, R0);
                    self.const32(r, i.imm as u32);
                    self.commit_lo(d, r);
                    self.set_hi(d, Val::K(if i.imm < 0 { u32::MAX } else { 0 }));
                }
                (true, 0) => {
                    self.copy_lo(d, i.src());
                    if needed {
                        let h = self.hi_now(i.src(), R1);
                        self.set_hi(d, h);
                    }
                }
                (true, 8) | (true, 16) | (true, 32) => {
                    let a = self.lo(i.src(), R2);
                    let r = self.lo_dst(d, R0);
                    match i.off {
                        8 => self.put_def(extend(Extend::Sxtb, r, a), r),
                        16 => self.put_def(extend(Extend::Sxth, r, a), r),
                        _ => self.val_into(r, Val::R(a)),
                    }
                    self.commit_lo(d, r);
                    if needed {
                        let rh = self.hi_dst(d, R1);
                        self.put_def(mov_reg_shifted(Flags::Keep, rh, r, Shift::Asr, 31), rh);
                        self.commit_hi(d, rh);
                    }
                }
                _ => self.alu_runtime(i),
            },
            OP_ADD | OP_SUB => {
                let (lo_op, hi_op) = if op == OP_ADD { (DpOp::Add, DpOp::Adc) } else { (DpOp::Sub, DpOp::Sbc) };
                let a = self.lo(d, R0);
                let b = self.src_lo(i);
                let r = self.lo_dst(d, R0);
                if !needed {
                    self.dp(lo_op, Flags::Keep, r, a, b, R2);
                    self.commit_lo(d, r);
                    return;
                }
                let ah = self.hi(d, R1);
                let bh = self.src_hi(i);
                self.dp(lo_op, Flags::Set, r, a, b, R2);
                let rh = self.hi_dst(d, R1);
                // The carry flows into the high half: constants between load flag-free.
                self.flags_live = true;
                self.dp_val(hi_op, Flags::Keep, rh, ah, bh, R12, R3);
                self.flags_live = false;
                self.commit_lo(d, r);
                self.commit_hi(d, rh);
            }
            OP_AND | OP_OR | OP_XOR => {
                let kind = dp_op(op).unwrap_or(DpOp::And);
                let a = self.lo(d, R0);
                let b = self.src_lo(i);
                let r = self.lo_dst(d, R0);
                self.dp(kind, Flags::Keep, r, a, b, R2);
                self.commit_lo(d, r);
                if needed {
                    let bh = self.src_hi(i);
                    // `x | 0`, `x ^ 0`: the high half stays as it is, where it is.
                    if bh == Val::K(0) && kind != DpOp::And && !self.hi_zero(d) {
                        return;
                    }
                    let ah = self.hi(d, R1);
                    let rh = self.hi_dst(d, R1);
                    match (kind, ah, bh) {
                        (DpOp::And, Val::K(0), _) | (DpOp::And, _, Val::K(0)) => self.const32(rh, 0),
                        (_, Val::K(0), v) | (_, v, Val::K(0)) => self.val_into(rh, v),
                        _ => self.dp_val(kind, Flags::Keep, rh, ah, bh, R12, R3),
                    }
                    self.commit_hi(d, rh);
                }
            }
            OP_MUL => {
                let a = self.lo(d, R0);
                let r = self.lo_dst(d, R0);
                if !x && !needed && self.mul_shifted(r, a, i.imm as u32) {
                    self.commit_lo(d, r);
                    return;
                }
                let b = self.src_lo(i);
                let b = self.in_reg(b, R2);
                if !needed {
                    self.put_def(mul(r, a, b), r);
                    self.commit_lo(d, r);
                    return;
                }
                // Two sign-extended 32-bit values (an immediate is one): their product,
                // exact in 64 bits, is one signed long multiply.
                if crate::patterns::smull_operands(self.insns, &self.an.facts, self.pc) {
                    let rh = self.hi_dst(d, R1);
                    self.put(smull(r, rh, a, b));
                    self.commit_lo(d, r);
                    self.commit_hi(d, rh);
                    return;
                }
                // (ah:al) * (bh:bl) mod 2^64 = al*bl + ((al*bh + ah*bl) << 32).
                let ah = self.hi(d, R1);
                let bh = self.src_hi(i);
                let cross = match (ah, bh) {
                    (Val::K(0), Val::K(0)) => false,
                    (Val::K(0), bh) => {
                        let bh = self.in_reg(bh, R3);
                        self.put_def(mul(R12, a, bh), R12);
                        true
                    }
                    (Val::R(ah), Val::K(0)) => {
                        self.put_def(mul(R12, ah, b), R12);
                        true
                    }
                    (ah, bh) => {
                        let ah = self.in_reg(ah, R1);
                        let bh = self.in_reg(bh, R3);
                        self.put_def(mul(R12, a, bh), R12);
                        self.put_def(mla(R12, ah, b, R12), R12);
                        true
                    }
                };
                let rh = self.hi_dst(d, R1);
                self.put(umull(r, rh, a, b));
                if cross {
                    self.put_def(dp_reg(DpOp::Add, Flags::Keep, rh, rh, R12, Shift::Lsl, 0), rh);
                }
                self.commit_lo(d, r);
                self.commit_hi(d, rh);
            }
            OP_LSH | OP_RSH | OP_ARSH if !x => self.shift64_imm(i, op, (i.imm as u32 & 63) as u16),
            OP_NEG => {
                let a = self.lo(d, R0);
                let r = self.lo_dst(d, R0);
                if !needed {
                    self.put_def(dp_imm(DpOp::Rsb, Flags::Keep, r, a, super::imm(0)), r);
                    self.commit_lo(d, r);
                    return;
                }
                let ah = self.hi(d, R1);
                self.const32(R12, 0);
                self.put_def(dp_imm(DpOp::Rsb, Flags::Set, r, a, super::imm(0)), r);
                let rh = self.hi_dst(d, R1);
                let ah = match ah {
                    Val::R(x) => x,
                    Val::K(_) => R12,
                };
                self.put_def(dp_reg(DpOp::Sbc, Flags::Keep, rh, R12, ah, Shift::Lsl, 0), rh);
                self.commit_lo(d, r);
                self.commit_hi(d, rh);
            }
            OP_DIV | OP_MOD if i.off == 0 => self.udivmod64(i),
            _ => self.alu_runtime(i),
        }
    }

    fn shift64_imm(&mut self, i: Insn, op: u8, n: u16) {
        let d = i.dst();
        let needed = self.hi_needed(d);
        let a = self.lo(d, R0);
        let r = self.lo_dst(d, R0);
        let rh = self.hi_dst(d, R1);
        if op == OP_LSH {
            // The high half first: it reads the old low half.
            if needed {
                let ah = self.hi(d, R1);
                match (n, ah) {
                    (0, v) => self.val_into(rh, v),
                    (1..=31, Val::R(h)) => {
                        self.put_def(mov_reg_shifted(Flags::Keep, rh, h, Shift::Lsl, n), rh);
                        self.put_def(dp_reg(DpOp::Orr, Flags::Keep, rh, rh, a, Shift::Lsr, 32 - n), rh);
                    }
                    (1..=31, Val::K(_)) => self.put_def(mov_reg_shifted(Flags::Keep, rh, a, Shift::Lsr, 32 - n), rh),
                    (32, _) => self.val_into(rh, Val::R(a)),
                    _ => self.put_def(mov_reg_shifted(Flags::Keep, rh, a, Shift::Lsl, n - 32), rh),
                }
                self.commit_hi(d, rh);
            }
            match n {
                0 => self.val_into(r, Val::R(a)),
                1..=31 => self.put_def(mov_reg_shifted(Flags::Keep, r, a, Shift::Lsl, n), r),
                _ => self.const32(r, 0),
            }
            self.commit_lo(d, r);
            return;
        }
        // Right shifts: the low half first: it reads the old high half.
        let arith = op == OP_ARSH;
        let ah = self.hi(d, R1);
        let hi_kind = if arith { Shift::Asr } else { Shift::Lsr };
        match (n, ah) {
            (0, _) => self.val_into(r, Val::R(a)),
            (1..=31, Val::R(h)) => {
                self.put_def(mov_reg_shifted(Flags::Keep, r, a, Shift::Lsr, n), r);
                self.put_def(dp_reg(DpOp::Orr, Flags::Keep, r, r, h, Shift::Lsl, 32 - n), r);
            }
            (1..=31, Val::K(_)) => self.put_def(mov_reg_shifted(Flags::Keep, r, a, Shift::Lsr, n), r),
            (32, v) => self.val_into(r, v),
            (_, Val::R(h)) => self.put_def(mov_reg_shifted(Flags::Keep, r, h, hi_kind, n - 32), r),
            (_, Val::K(_)) => self.const32(r, 0),
        }
        self.commit_lo(d, r);
        if needed {
            match (n, ah) {
                (0, v) => self.val_into(rh, v),
                (_, Val::K(_)) => self.const32(rh, 0),
                (1..=31, Val::R(h)) => self.put_def(mov_reg_shifted(Flags::Keep, rh, h, hi_kind, n), rh),
                (_, Val::R(h)) if arith => self.put_def(mov_reg_shifted(Flags::Keep, rh, h, Shift::Asr, 31), rh),
                _ => self.const32(rh, 0),
            }
            self.commit_hi(d, rh);
        }
    }

    /// Whether `c` is in no register: a multiply by it would first set one (as
    /// [`Lower::in_reg`] does: a constant's home, else r2 unless it holds `c`).
    fn unheld(&self, c: u32) -> bool {
        self.homes.constant(crate::regalloc::Const::Imm(c)).is_none()
            && !self.held.holds_constant(self.buf.point(), R2, c)
    }

    /// `r = a * c` (mod 2^32) as one shifted add, subtract or shift, for `c` = 2^k, 2^k + 1
    /// or 2^k - 1 in no register (a multiply would need it set first). False otherwise.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn mul_shifted(&mut self, r: Reg, a: Reg, c: u32) -> bool {
        // (0 and 1: a constant or a copy, left to the multiply.)
        let e = match c {
            0 | 1 => return false,
            _ if c.is_power_of_two() => mov_reg_shifted(Flags::Keep, r, a, Shift::Lsl, c.trailing_zeros() as u16),
            _ if (c - 1).is_power_of_two() => {
                dp_reg(DpOp::Add, Flags::Keep, r, a, a, Shift::Lsl, (c - 1).trailing_zeros() as u16)
            }
            _ if c.wrapping_add(1).is_power_of_two() => {
                dp_reg(DpOp::Rsb, Flags::Keep, r, a, a, Shift::Lsl, c.wrapping_add(1).trailing_zeros() as u16)
            }
            _ => return false,
        };
        if !self.unheld(c) {
            return false;
        }
        self.put_def(e, r);
        true
    }

    /// `r = a % b` for `a` below `2b` and `2^16` ([`crate::analysis::Facts::reduce_once`]):
    /// the low halfword less `b` where that does not borrow (the high halfwords are
    /// 0 - 0, kept either way), else `a`. Two single-cycle instructions where a divide
    /// takes up to 12 cycles and a multiply-back 2.
    fn reduce_once(&mut self, r: Reg, a: Reg, b: Reg) {
        self.put_def(usub16(R12, a, b), R12);
        self.put_def(sel(r, R12, a), r);
    }

    /// Unsigned 64-bit div/mod: the hardware divider when both operands fit in 32 bits
    /// (known, or checked here), the runtime otherwise.
    fn udivmod64(&mut self, i: Insn) {
        let d = i.dst();
        let bh = self.src_hi(i);
        if bh != Val::K(0) && matches!(bh, Val::K(_)) {
            return self.alu_runtime(i); // a negative immediate: a divisor of 2^64 - n
        }
        let a = self.lo(d, R0);
        let b = self.src_lo(i);
        let ah = self.hi(d, R1);
        let b = self.in_reg(b, R2);
        let slow = self.buf.new_label();
        let checked = match (ah, bh) {
            (Val::K(_), Val::K(_)) => false,
            (Val::R(x), Val::K(_)) | (Val::K(_), Val::R(x)) => {
                self.put_flags(cmp_imm(x, super::imm(0)));
                true
            }
            (Val::R(x), Val::R(y)) => {
                self.put_def(dp_reg(DpOp::Orr, Flags::Set, R12, x, y, Shift::Lsl, 0), R12);
                true
            }
        };
        if checked {
            self.buf.branch(crate::thumb2::buffer::LabelUse::BCondT3(crate::thumb2::cond::Cond::Ne), slow);
        }
        let r = self.lo_dst(d, R0);
        if i.opc & OP_MASK == OP_DIV {
            self.put_def(udiv(r, a, b), r);
        } else if self.an.facts[self.pc].reduce_once {
            self.reduce_once(r, a, b);
        } else {
            self.put_def(udiv(R12, a, b), R12);
            self.put_def(mls(r, R12, b, a), r);
        }
        self.commit_lo(d, r);
        self.set_hi(d, Val::K(0));
        if checked {
            let done = self.buf.new_label();
            self.buf.branch(crate::thumb2::buffer::LabelUse::BT4, done);
            self.buf.bind(slow);
            self.alu_runtime(i);
            self.buf.bind(done);
        }
    }
}
