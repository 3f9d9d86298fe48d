//! Loads and stores, with the interpreter's isolation rule.
//!
//! An access the range analysis proves inside `.rodata`, `.data` or the current frame
//! (r10 is read-only and always the top of the current frame, which lies inside the
//! stack region) needs no check. Every other access computes its 64-bit
//! address, requires the high half to be 0 (known from the analysis, or tested), and
//! checks it against the window of the region the base register probably points into
//! (four instructions) or, when the analysis cannot tell, the window of the region the
//! last such access hit; a miss goes out of line to `rt_mem`, which knows every region
//! and either approves the address (and learns its window) or records the fault.
use vm::opcode::*;
use vm::Insn;

use super::{Deferred, Lower, Val};
use crate::abi;
use crate::analysis::{access_len, Hint};
use crate::thumb2::buffer::{Label, LabelUse};
use crate::thumb2::cond::Cond;
use crate::thumb2::encode::*;
use crate::thumb2::imm::{NegOff8, Off12};
use crate::thumb2::regs::*;

/// An access's out-of-line path.
pub(super) struct Miss {
    label: Label,
    resume: Label,
    base: u8,
    /// The base's homes where the access is (the slow path is compiled after the body).
    base_homes: [Option<crate::thumb2::regs::Reg>; 2],
    /// The base's high half if known (else in its home).
    base_hi: Option<u32>,
    off: i16,
    meta: u32,
}

/// The window an access checks inline: its region's, or the learned one.
fn window_of(h: Hint, write: bool, len_index: usize) -> u16 {
    let region = match h {
        Hint::Unknown => return abi::learned(write, len_index),
        Hint::Input => 0,
        Hint::Rodata => 1,
        Hint::Data => 2,
        Hint::Stack => 3,
    };
    abi::window(write, region, len_index)
}

impl Lower<'_> {
    /// `base + off` with carry: `Sub` of the magnitude for negative offsets, so that the
    /// carry is set exactly when the 64-bit sum's high half gains the offset's -1 back.
    fn add_offset(&mut self, rd: Reg, base: Reg, off: i16, tmp: Reg) {
        if off < 0 {
            self.dp(DpOp::Sub, Flags::Set, rd, base, Val::K((-(off as i32)) as u32), tmp);
        } else {
            self.dp(DpOp::Add, Flags::Set, rd, base, Val::K(off as u32), tmp);
        }
    }

    /// A register holding `base` (loaded into `scratch` if it must be) and the
    /// displacement that reaches `base + off` from it: r10's home may hold r10 - bias,
    /// which the displacement takes back.
    pub(super) fn based(&mut self, base: u8, off: i32, scratch: Reg) -> (Reg, i32) {
        match self.homes.lo[10] {
            Some(h) if base == 10 => (h, off + self.frame_bias as i32),
            _ => (self.lo(base, scratch), off),
        }
    }

    /// The register holding the checked address of `[base + off]`, and the displacement
    /// to access it with.
    pub(super) fn address(&mut self, base: u8, off: i16, len: u32, write: bool) -> (Reg, i32) {
        if self.an.facts[self.pc].safe {
            return self.based(base, off as i32, R0);
        }
        let bl = self.lo(base, R0);
        let bh = self.hi(base, R1);
        let addr = if off == 0 { bl } else { R0 };
        if off != 0 {
            self.add_offset(R0, bl, off, R3);
        }
        let (label, resume) = (self.buf.new_label(), self.buf.new_label());
        // The 64-bit address is below 2^32.
        match (bh, off) {
            (Val::K(_), 0) => {}
            (Val::K(_), o) => self.buf.branch(LabelUse::BCondT3(if o > 0 { Cond::Hs } else { Cond::Lo }), label),
            (Val::R(h), 0) => {
                self.cmp(h, Val::K(0), R12);
                self.buf.branch(LabelUse::BCondT3(Cond::Ne), label);
            }
            (Val::R(h), o) => {
                let carry_in = if o < 0 { u32::MAX } else { 0 };
                self.put_def(dp_imm(DpOp::Adc, Flags::Set, R12, h, super::imm(carry_in)), R12);
                self.buf.branch(LabelUse::BCondT3(Cond::Ne), label);
            }
        }
        // Inside the likely region's window: (addr - base) < limit.
        let len_index = len.trailing_zeros() as usize;
        let window = window_of(self.an.facts[self.pc].hint, write, len_index);
        self.put(ldrd(R12, R3, super::CTX, window / 4));
        self.put_def(dp_reg(DpOp::Sub, Flags::Keep, R12, addr, R12, Shift::Lsl, 0), R12);
        self.cmp(R12, Val::R(R3), R12);
        self.buf.branch(LabelUse::BCondT3(Cond::Hs), label);
        self.buf.bind(resume);
        let meta = len | if write { abi::MEM_WRITE } else { 0 } | (self.pc as u32) << 8;
        let base_homes = [self.homes.lo[base as usize], self.homes.hi[base as usize]];
        self.defer(Deferred::MemMiss(Miss {
            label,
            resume,
            base,
            base_homes,
            base_hi: (bh == Val::K(0)).then_some(0),
            off,
            meta,
        }));
        (addr, 0)
    }

    /// `d += s` whose carry is the high half of the address an access after it checks
    /// ([`crate::patterns::carry_checked_access`]): `adds`, and on a carry the access's
    /// out-of-line path with the high half 1 (`rt_mem` records the fault). Else the
    /// high half is zero.
    pub(super) fn carry_checked_add(&mut self, i: Insn) {
        let d = i.dst();
        let at = self.pc + self.carry_check as usize;
        let access = self.insns[at];
        let a = self.lo(d, R0);
        let b = self.src_lo(i);
        let r = self.lo_dst(d, R0);
        self.dp(DpOp::Add, Flags::Set, r, a, b, R2);
        self.commit_lo(d, r);
        let (label, resume) = (self.buf.new_label(), self.buf.new_label());
        self.buf.branch(LabelUse::BCondT3(Cond::Hs), label);
        self.buf.bind(resume);
        self.set_hi(d, Val::K(0));
        let write = access.class() != CLS_LDX;
        let meta = access_len(access) as u32 | if write { abi::MEM_WRITE } else { 0 } | (at as u32) << 8;
        let base_homes = [self.home_out(d, false), self.home_out(d, true)];
        self.defer(Deferred::MemMiss(Miss {
            label,
            resume,
            base: d,
            base_homes,
            base_hi: Some(1),
            off: access.off,
            meta,
        }));
    }

    /// The out-of-line path: the whole 64-bit address to `rt_mem`.
    pub(super) fn mem_miss(&mut self, m: Miss) {
        self.buf.bind(m.label);
        [self.homes.lo[m.base as usize], self.homes.hi[m.base as usize]] = m.base_homes;
        self.lo_into(m.base, R1);
        if let Some(hi) = m.base_hi {
            self.const32(R2, hi);
        } else {
            match self.homes.hi[m.base as usize] {
                Some(h) => self.put_def(mov_reg16(R2, h), R2),
                None => self.ld(Width::Word, R2, super::CTX, super::reg_off(m.base) + 4),
            }
        }
        if m.off != 0 {
            self.add_offset(R1, R1, m.off, R3);
            let carry_in = if m.off < 0 { u32::MAX } else { 0 };
            self.put_def(dp_imm(DpOp::Adc, Flags::Keep, R2, R2, super::imm(carry_in)), R2);
        }
        self.const32(R3, m.meta);
        // rt_mem returns the address it approved, in r0 (where a scratch address was);
        // a base's home still holds it.
        self.call_thunk(super::Thunk::Mem);
        self.buf.branch(LabelUse::BT4, m.resume);
    }

    /// `ldr<w>`/`str<w>` `rt, [base, #disp]` for any displacement. (Program memory,
    /// never `ctx`: a load only writes `rt`, a store no register.)
    pub(super) fn mem_op(&mut self, load: bool, w: Width, rt: Reg, base: Reg, disp: i32) {
        let e = if let Some(e) = u16::try_from(disp).ok().and_then(|d| ldst16(load, w, rt, base, d)) {
            e
        } else if let Some(o) = Off12::maybe_from(disp) {
            if load {
                ldr_imm(w, rt, base, o)
            } else {
                str_imm(w, rt, base, o)
            }
        } else if let Some(o) = NegOff8::maybe_from(disp) {
            if load {
                ldr_neg(w, rt, base, o)
            } else {
                str_neg(w, rt, base, o)
            }
        } else if let Some(back) = u16::try_from(-disp).ok().filter(|&b| b < 4096) {
            // Deep in a large stack frame: the address in r12 first (two instructions,
            // where the offset in r12 would take three).
            self.put_def(subw(R12, base, back), R12);
            let at = Off12::maybe_from(0).expect("0 is an offset");
            if load {
                ldr_imm(w, rt, R12, at)
            } else {
                str_imm(w, rt, R12, at)
            }
        } else {
            self.const32(R12, disp as u32);
            if load {
                ldr_reg(w, rt, base, R12)
            } else {
                str_reg(w, rt, base, R12)
            }
        };
        self.put_def(e, if load { rt } else { PC });
    }

    pub(super) fn load(&mut self, i: Insn) {
        let signed = i.opc & MODE_MASK == MODE_MEMSX;
        let size = access_len(i) as u32;
        let d = i.dst();
        let (a, disp) = self.address(i.src(), i.off, size, false);
        if size == 8 {
            // The high word first: the low one may overwrite the address register.
            if self.hi_needed(d) {
                let rh = self.hi_dst(d, R1);
                self.mem_op(true, Width::Word, rh, a, disp + 4);
                self.commit_hi(d, rh);
            }
            let r = self.lo_dst(d, R2);
            self.mem_op(true, Width::Word, r, a, disp);
            self.commit_lo(d, r);
            return;
        }
        // A byte or half the code sign-extends next (`lsh d, k; arsh d, k`, clang's
        // sign extension before cpu v4) loads signed, and the pair only sets the high half.
        let extended = if signed || size > 2 { None } else { self.sign_extension_of_load(d, 64 - 8 * size as i32) };
        if let Some(at) = extended {
            self.extended_by_load[d as usize % 11] = at as u32;
        }
        let signed = signed || extended.is_some();
        let w = match (size, signed) {
            (1, false) => Width::Byte,
            (2, false) => Width::Half,
            (1, true) => Width::SignedByte,
            (2, true) => Width::SignedHalf,
            _ => Width::Word,
        };
        let r = self.lo_dst(d, R2);
        self.mem_op(true, w, r, a, disp);
        self.commit_lo(d, r);
        if signed {
            if self.hi_needed(d) {
                let rh = self.hi_dst(d, R1);
                self.put_def(mov_reg_shifted(Flags::Keep, rh, r, Shift::Asr, 31), rh);
                self.commit_hi(d, rh);
            }
        } else {
            self.set_hi(d, Val::K(0));
        }
    }

    /// The pc of `lsh d, k; arsh d, k` if one follows the load at `self.pc` in a short
    /// straight run that neither reads nor writes `d` in between (nothing can see `d`
    /// zero-extended there).
    fn sign_extension_of_load(&self, d: u8, k: i32) -> Option<usize> {
        let lsh = Insn::new(LSH64_IMM, d, 0, 0, k);
        for at in self.pc + 1..(self.pc + 8).min(self.n - 1) {
            let i = self.insns[at];
            if self.an.facts[at].is_head() {
                return None;
            }
            if i == lsh {
                let arsh = Insn::new(ARSH64_IMM, d, 0, 0, k);
                return (self.insns[at + 1] == arsh && !self.an.facts[at + 1].is_head()).then_some(at);
            }
            let plain = match i.class() {
                CLS_ALU | CLS_ALU64 | CLS_LDX => true,
                CLS_ST | CLS_STX => i.opc & MODE_MASK != MODE_ATOMIC,
                _ => false,
            };
            if !plain || i.dst() == d || i.src() == d {
                return None;
            }
        }
        None
    }

    pub(super) fn store(&mut self, i: Insn) {
        let size = access_len(i) as u32;
        let (a, disp) = self.address(i.dst(), i.off, size, true);
        let (lo, hi) = if i.class() == CLS_STX {
            if size == 8 {
                (self.lo(i.src(), R2), self.hi(i.src(), R3))
            } else {
                (self.lo_now(i.src(), R2), Val::K(0))
            }
        } else {
            self.const32(R2, i.imm as u32);
            (R2, Val::K(if i.imm < 0 { u32::MAX } else { 0 }))
        };
        let w = match size {
            1 => Width::Byte,
            2 => Width::Half,
            _ => Width::Word,
        };
        self.mem_op(false, w, lo, a, disp);
        // (A high word the slot holds already, zero, is not written again.)
        if size == 8 && !(hi == Val::K(0) && self.an.facts[self.pc].hi_kept) {
            let hi = self.in_reg(hi, R3);
            self.mem_op(false, Width::Word, hi, a, disp + 4);
        }
    }
}
