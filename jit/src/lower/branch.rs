//! Conditional and unconditional jumps. A 64-bit comparison whose operands both have
//! known-zero high halves is a 32-bit one (signed conditions become unsigned: both
//! values are non-negative).
use vm::opcode::*;
use vm::Insn;

use super::{JitError, Lower, Val};
use crate::thumb2::buffer::LabelUse;
use crate::thumb2::cond::Cond;
use crate::thumb2::encode::*;
use crate::thumb2::imm::ModImm;
use crate::thumb2::regs::*;

impl Lower<'_> {
    pub(super) fn branch(&mut self, i: Insn) -> Result<(), JitError> {
        let op = i.opc & OP_MASK;
        let target = i.jump_target(self.pc).filter(|&t| t < self.n).ok_or(self.unsupported(i))?;
        let label = crate::thumb2::buffer::Label::nth(target);
        if let Some(p) = self.prepaid.with_latch(self.pc) {
            // Paid at the entry: no tick.
            let back = self.latch_compare(i).ok_or(self.unsupported(i))?;
            self.buf.branch(LabelUse::BCondT3(back), crate::thumb2::buffer::Label::nth(p.head));
            // `jeq +1; ja head`: the `ja` too.
            self.skip_until = self.pc + if op == JEQ { 2 } else { 1 };
            return Ok(());
        }
        // A backward jump a loop's entry paid for ticks no more than a forward one.
        let backward = target <= self.pc && !self.prepaid.pays_for(self.pc, target);
        if op == JA {
            if let Some(l) = self.prepaid.with_entry(self.pc) {
                self.prepay_body_first(l);
            }
            if backward {
                self.budget_tick();
            }
            self.buf.branch(LabelUse::BT4, label);
            return Ok(());
        }
        if op == JEQ && i.off == 1 {
            // (With the budget in `ctx`, lr a home, the two jumps stay apart.)
            let latch =
                self.loop_latch().filter(|&back| !self.alloc.lr_home && !self.prepaid.pays_for(self.pc + 1, back));
            if let Some(back) = latch {
                return self.branch_back_unless_equal(i, back);
            }
        }
        let is32 = i.class() == CLS_JMP32;
        let (ah, bh) = if is32 { (Val::K(0), Val::K(0)) } else { (self.hi(i.dst(), R1), self.src_hi(i)) };
        let narrow = ah == Val::K(0) && bh == Val::K(0);
        let a = self.lo(i.dst(), R0);
        let b = self.src_lo(i);
        let cond = if narrow {
            self.compare32(op, is32, a, b).ok_or(self.unsupported(i))?
        } else {
            self.compare64(op, (a, ah), (b, bh)).ok_or(self.unsupported(i))?
        };
        if backward {
            // The budget counts the jump when it is taken: a loop's exit (or a
            // `continue` not taken) costs the compare and one branch.
            let skip = self.buf.new_label();
            self.buf.branch(LabelUse::BCondT3(cond.invert()), skip);
            self.budget_step();
            self.buf.branch(LabelUse::BCondT3(Cond::Ne), label);
            self.buf.branch(LabelUse::BT4, self.budget_out);
            self.buf.bind(skip);
        } else {
            self.branch_if(cond, label);
        }
        Ok(())
    }

    /// `jeq +1` followed by `ja back` that nothing else jumps to (the latch of a loop
    /// rotated by clang): the target of the `ja`.
    fn loop_latch(&self) -> Option<usize> {
        let next = self.pc + 1;
        let ja = *self.insns.get(next)?;
        if ja.opc != JA64 || self.an.facts[next].is_head() {
            return None;
        }
        ja.jump_target(next).filter(|&t| t <= next)
    }

    /// The latch as one backward branch taken unless the operands are equal:
    /// `cmp; it ne; subsne lr, #1; bne back`. Falling through, Z came from the compare
    /// (equal: leave the loop) or from the budget reaching 0, which lr tells apart. The
    /// budget counts the backward jump exactly when it is taken, as unfused.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn branch_back_unless_equal(&mut self, i: Insn, back: usize) -> Result<(), JitError> {
        self.latch_compare(i);
        self.put_flags(it_block(Cond::Ne));
        self.put_def(dp_imm(DpOp::Sub, Flags::Set, LR, LR, super::imm(1)), LR);
        self.buf.branch(LabelUse::BCondT3(Cond::Ne), crate::thumb2::buffer::Label::nth(back));
        self.put_flags(cmp_imm(LR, super::imm(0)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.budget_out);
        self.skip_until = self.pc + 2;
        Ok(())
    }

    /// The latch's compare: the condition to go back on.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn latch_compare(&mut self, i: Insn) -> Option<Cond> {
        let is32 = i.class() == CLS_JMP32;
        let (ah, bh) = if is32 { (Val::K(0), Val::K(0)) } else { (self.hi(i.dst(), R1), self.src_hi(i)) };
        let a = self.lo(i.dst(), R0);
        let b = self.src_lo(i);
        // Back while below, or unless equal.
        let below = i.opc & OP_MASK == JLT;
        let op = if below { JLT } else { JEQ };
        let cond = if ah == Val::K(0) && bh == Val::K(0) {
            self.compare32(op, is32, a, b)
        } else {
            self.compare64(op, (a, ah), (b, bh))
        };
        if below {
            cond
        } else {
            debug_assert_eq!(cond, Some(Cond::Eq));
            Some(Cond::Ne)
        }
    }

    /// `tst a, b`, one instruction (`b` already fits or is a register).
    fn tst(&mut self, a: Reg, b: Val) {
        match b {
            Val::K(c) => self.put_flags(dp_imm(DpOp::And, Flags::Set, PC, a, super::imm(c))),
            Val::R(r) => self.put_flags(tst_reg(a, r)),
        }
    }

    /// A constant that is no modified immediate (nor, for CMP, a negated one) goes to `tmp`.
    #[cfg_attr(target_os = "none", optimize(size))]
    fn fit(&mut self, v: Val, tmp: Reg, cmp: bool) -> Val {
        match v {
            Val::K(c) if ModImm::maybe_from(c).is_some() => v,
            Val::K(c) if cmp && ModImm::maybe_from(c.wrapping_neg()).is_some() => v,
            Val::K(_) => Val::R(self.in_reg(v, tmp)),
            r => r,
        }
    }

    #[cfg_attr(target_os = "none", optimize(size))]
    fn compare32(&mut self, op: u8, signed_conds: bool, a: Reg, b: Val) -> Option<Cond> {
        if op == JSET {
            let b = self.fit(b, R2, false);
            self.tst(a, b);
            return Some(Cond::Ne);
        }
        // A constant no immediate encodes may be one away from one that is.
        let (op, b) = match b {
            Val::K(c) if !cmp_fits(c) => match off_by_one(op, signed_conds, c) {
                Some((op2, c2)) if cmp_fits(c2) => (op2, Val::K(c2)),
                _ => (op, b),
            },
            b => (op, b),
        };
        self.cmp(a, b, R2);
        Some(match op {
            JEQ => Cond::Eq,
            JNE => Cond::Ne,
            JGT => Cond::Hi,
            JGE => Cond::Hs,
            JLT => Cond::Lo,
            JLE => Cond::Ls,
            JSGT if signed_conds => Cond::Gt,
            JSGE if signed_conds => Cond::Ge,
            JSLT if signed_conds => Cond::Lt,
            JSLE if signed_conds => Cond::Le,
            JSGT => Cond::Hi,
            JSGE => Cond::Hs,
            JSLT => Cond::Lo,
            JSLE => Cond::Ls,
            _ => return None,
        })
    }

    #[cfg_attr(target_os = "none", optimize(size))]
    fn compare64(&mut self, op: u8, (al, ah): (Reg, Val), (bl, bh): (Val, Val)) -> Option<Cond> {
        match op {
            JEQ | JNE | JSET => {
                let is_set = op == JSET;
                // Low halves, then (IT EQ) the high halves: one instruction each.
                let bl = self.fit(bl, R2, !is_set);
                let (ah, bh) = match (ah, bh) {
                    (Val::K(c), Val::R(r)) => (Val::R(r), Val::K(c)),
                    other => other,
                };
                let ah = Val::R(self.in_reg(ah, R1));
                let bh = self.fit(bh, R3, !is_set);
                let Val::R(ahr) = ah else { return None };
                if is_set {
                    self.tst(al, bl);
                    self.put_flags(it_block(Cond::Eq));
                    self.tst(ahr, bh);
                    return Some(Cond::Ne);
                }
                self.cmp(al, bl, R2);
                self.put_flags(it_block(Cond::Eq));
                self.cmp(ahr, bh, R3);
                Some(if op == JEQ { Cond::Eq } else { Cond::Ne })
            }
            _ => {
                // The flags of x - y over 64 bits: CMP the low halves, SBCS the high ones.
                let swap = matches!(op, JGT | JLE | JSGT | JSLE);
                let ((xl, xh), (yl, yh)) =
                    if swap { ((bl, bh), (Val::R(al), ah)) } else { ((Val::R(al), ah), (bl, bh)) };
                let xl = self.in_reg(xl, R2);
                let xh = self.in_reg(xh, if swap { R3 } else { R1 });
                self.cmp(xl, yl, R12);
                self.flags_live = true; // the borrow flows into the high halves' SBCS
                self.dp(DpOp::Sbc, Flags::Set, R12, xh, yh, if swap { R1 } else { R3 });
                self.flags_live = false;
                Some(match op {
                    JGE | JLE => Cond::Hs,
                    JLT | JGT => Cond::Lo,
                    JSGE | JSLE => Cond::Ge,
                    JSLT | JSGT => Cond::Lt,
                    _ => return None,
                })
            }
        }
    }
}

/// Whether `cmp r, #c` is one instruction (CMP or CMN with a modified immediate).
fn cmp_fits(c: u32) -> bool {
    ModImm::maybe_from(c).is_some() || ModImm::maybe_from(c.wrapping_neg()).is_some()
}

/// `x op c` as the same test against a constant one away: `x < c` is `x <= c - 1`,
/// `x > c` is `x >= c + 1` (and so on), where that constant exists (in the signed
/// range for signed conditions, which JS* are only with `signed_conds`).
fn off_by_one(op: u8, signed_conds: bool, c: u32) -> Option<(u8, u32)> {
    let js = matches!(op, JSLT | JSLE | JSGT | JSGE);
    let (lt, le, gt, ge) = if js { (JSLT, JSLE, JSGT, JSGE) } else { (JLT, JLE, JGT, JGE) };
    let (min, max) = if js && signed_conds { (1 << 31, (1 << 31) - 1) } else { (0, u32::MAX) };
    match op {
        _ if op == lt && c != min => Some((le, c.wrapping_sub(1))),
        _ if op == ge && c != min => Some((gt, c.wrapping_sub(1))),
        _ if op == gt && c != max => Some((ge, c.wrapping_add(1))),
        _ if op == le && c != max => Some((lt, c.wrapping_add(1))),
        _ => None,
    }
}
