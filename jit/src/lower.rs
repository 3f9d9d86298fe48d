//! Lowering eBPF to Thumb-2.
//!
//! Register map (the design of this first lowering, correctness before speed):
//!
//! | ARM | role |
//! |---|---|
//! | r11 | `ctx` (see [`crate::abi`]): eBPF r0-r10 live in `ctx.regs`, 8 bytes each |
//! | r0-r3 | scratch: operand halves (r0:r1 = dst lo:hi, r2:r3 = src lo:hi) and call arguments |
//! | r12, lr | scratch; clobbered by runtime calls |
//!
//! Inlined: 64- and 32-bit add, sub, and, or, xor, mov; 32-bit mul and shifts; lddw;
//! every jump condition (64- and 32-bit); loads and stores (after a runtime check of
//! the address, the interpreter's isolation rule); exits. Everything else calls the
//! runtime, which applies the interpreter's own semantics, so both engines agree by
//! construction. Backward jumps and calls count down `ctx.budget`.
use alloc::vec;
use alloc::vec::Vec;

use vm::opcode::*;
use vm::{Insn, Program};

use crate::abi;
use crate::thumb2::buffer::{BufferError, CodeBuffer, Label, LabelUse};
use crate::thumb2::cond::Cond;
use crate::thumb2::encode::*;
use crate::thumb2::imm::{ModImm, Off12};
use crate::thumb2::regs::*;
use crate::thumb2::Enc;

/// Compiled code and where each eBPF instruction starts in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub code: Vec<u8>,
    /// Byte offset of each instruction slot's code (the second slot of an LDDW gets
    /// the offset of the next instruction).
    pub insn_offsets: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JitError {
    #[error("instruction {pc}: opcode {opc:#04x} cannot be compiled")]
    Unsupported { pc: usize, opc: u8 },
    #[error("program too large for the JIT ({0} instruction slots)")]
    TooLarge(usize),
    #[error("branch out of range")]
    Branch,
}

impl From<BufferError> for JitError {
    fn from(_: BufferError) -> Self {
        JitError::Branch
    }
}

const CTX: Reg = R11;

/// Compiles a program the verifier accepted.
pub fn compile(program: &Program) -> Result<Compiled, JitError> {
    let insns = program.insns();
    // `rt_mem`'s meta word carries the pc in 24 bits.
    if insns.len() >= 1 << 24 {
        return Err(JitError::TooLarge(insns.len()));
    }
    let mut e = Emitter::new(insns.len());
    e.prologue();
    let mut offsets = vec![0u32; insns.len()];
    let mut pc = 0;
    while pc < insns.len() {
        let i = insns[pc];
        e.buf.bind(e.labels[pc]);
        offsets[pc] = e.buf.offset() as u32;
        let wide = vm::verifier::is_wide(i.opc);
        let hi = if wide { insns.get(pc + 1).map(|n| n.imm).unwrap_or(0) } else { 0 };
        e.insn(pc, i, hi)?;
        if wide {
            pc += 1;
            e.buf.bind(e.labels[pc]);
            offsets[pc] = e.buf.offset() as u32;
        }
        pc += 1;
    }
    e.epilogue();
    Ok(Compiled { code: e.buf.finish()?, insn_offsets: offsets })
}

struct Emitter {
    buf: CodeBuffer,
    labels: Vec<Label>,
    exit_ok: Label,
    exit_status: Label,
    fault: Label,
    budget_out: Label,
}

fn off12(v: u16) -> Off12 {
    Off12::maybe_from(v as i32).expect("ctx offsets are small")
}

fn imm(v: u32) -> ModImm {
    ModImm::maybe_from(v).expect("constant is a modified immediate")
}

impl Emitter {
    fn new(n: usize) -> Self {
        let mut buf = CodeBuffer::new();
        let labels = (0..n).map(|_| buf.new_label()).collect();
        let (exit_ok, exit_status, fault, budget_out) = (buf.new_label(), buf.new_label(), buf.new_label(), buf.new_label());
        Self { buf, labels, exit_ok, exit_status, fault, budget_out }
    }

    fn put(&mut self, e: Enc) {
        self.buf.put(e);
    }

    fn prologue(&mut self) {
        // r3 keeps the stack 8-byte aligned (AAPCS): ten registers.
        self.put(push(RegList::of(&[R3, R4, R5, R6, R7, R8, R9, R10, R11, LR])));
        self.put(mov_reg16(CTX, R0));
    }

    fn epilogue(&mut self) {
        let (ok, status, fault, budget) = (self.exit_ok, self.exit_status, self.fault, self.budget_out);
        self.buf.bind(fault);
        self.put(mov_imm(Flags::Keep, R0, imm(abi::STATUS_FAULT)));
        self.buf.branch(LabelUse::BT4, status);
        self.buf.bind(budget);
        self.put(mov_imm(Flags::Keep, R0, imm(abi::STATUS_BUDGET)));
        self.buf.branch(LabelUse::BT4, status);
        self.buf.bind(ok);
        self.put(mov_imm(Flags::Keep, R0, imm(abi::STATUS_EXIT)));
        self.buf.bind(status);
        self.put(pop(RegList::of(&[R3, R4, R5, R6, R7, R8, R9, R10, R11, PC])));
    }

    fn load64(&mut self, lo: Reg, hi: Reg, reg: u8) {
        self.put(ldrd(lo, hi, CTX, (abi::REGS + reg as u16 * 8) / 4));
    }

    fn store64(&mut self, lo: Reg, hi: Reg, reg: u8) {
        self.put(strd(lo, hi, CTX, (abi::REGS + reg as u16 * 8) / 4));
    }

    fn load32(&mut self, r: Reg, reg: u8) {
        self.put(ldr_imm(Width::Word, r, CTX, off12(abi::REGS + reg as u16 * 8)));
    }

    fn const32(&mut self, r: Reg, v: u32) {
        if let Some(m) = ModImm::maybe_from(v) {
            self.put(mov_imm(Flags::Keep, r, m));
        } else if let Some(m) = ModImm::maybe_from(!v) {
            self.put(mvn_imm(Flags::Keep, r, m));
        } else {
            self.put(movw(r, v as u16));
            if v >> 16 != 0 {
                self.put(movt(r, (v >> 16) as u16));
            }
        }
    }

    fn const64(&mut self, lo: Reg, hi: Reg, v: u64) {
        self.const32(lo, v as u32);
        self.const32(hi, (v >> 32) as u32);
    }

    /// Calls a runtime function with `ctx` in r0 (r1-r3 already set).
    fn call_rt(&mut self, slot: u16) {
        self.put(mov_reg16(R0, CTX));
        self.put(ldr_imm(Width::Word, R12, CTX, off12(slot)));
        self.put(blx(R12));
    }

    /// Leaves with the status in r0 unless it is `STATUS_CONTINUE`.
    fn check_status(&mut self) {
        self.put(cmp_imm(R0, imm(abi::STATUS_CONTINUE)));
        self.buf.branch(LabelUse::BCondT3(Cond::Ne), self.exit_status);
    }

    fn rt_at(&mut self, slot: u16, pc: usize) {
        self.const32(R1, pc as u32);
        self.call_rt(slot);
        self.check_status();
    }

    /// One step of the budget: backward jumps and calls.
    fn budget_tick(&mut self) {
        self.put(ldr_imm(Width::Word, R12, CTX, off12(abi::BUDGET)));
        self.put(dp_imm(DpOp::Sub, Flags::Set, R12, R12, imm(1)));
        self.put(str_imm(Width::Word, R12, CTX, off12(abi::BUDGET)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.budget_out);
    }

    fn insn(&mut self, pc: usize, i: Insn, hi: i32) -> Result<(), JitError> {
        match i.class() {
            CLS_ALU | CLS_ALU64 => self.alu(pc, i),
            CLS_JMP | CLS_JMP32 => self.jmp(pc, i)?,
            CLS_LDX => self.load(pc, i),
            CLS_ST | CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => self.rt_at(abi::RT_ATOMIC, pc),
            CLS_ST | CLS_STX => self.store(pc, i),
            CLS_LD => match i.opc {
                LDDW => {
                    self.const64(R0, R1, (i.imm as u32 as u64) | ((hi as u32 as u64) << 32));
                    self.store64(R0, R1, i.dst());
                }
                LDDWD | LDDWR => {
                    let base = if i.opc == LDDWD { abi::DATA_BASE } else { abi::RODATA_BASE };
                    self.put(ldr_imm(Width::Word, R0, CTX, off12(base)));
                    self.const32(R2, i.imm as u32);
                    self.put(dp_reg(DpOp::Add, Flags::Keep, R0, R0, R2, Shift::Lsl, 0));
                    self.const32(R1, 0);
                    self.store64(R0, R1, i.dst());
                }
                _ => return Err(JitError::Unsupported { pc, opc: i.opc }),
            },
            _ => return Err(JitError::Unsupported { pc, opc: i.opc }),
        }
        Ok(())
    }

    fn alu(&mut self, pc: usize, i: Insn) {
        let (d, s) = (i.dst(), i.src());
        let x = i.opc & SRC_X != 0;
        let op = i.opc & OP_MASK;
        let is64 = i.class() == CLS_ALU64;
        let inline = matches!(op, OP_ADD | OP_SUB | OP_AND | OP_OR | OP_XOR)
            || (op == OP_MOV && i.off == 0)
            || (!is64 && matches!(op, OP_MUL | OP_LSH | OP_RSH | OP_ARSH));
        if is64 && matches!(op, OP_DIV | OP_MOD) && i.off == 0 {
            return self.udivmod64(pc, i);
        }
        if !is64 && matches!(op, OP_DIV | OP_MOD) && i.off == 0 {
            return self.udivmod32(i);
        }
        if !inline {
            return self.rt_at(abi::RT_ALU, pc);
        }
        let sext = i.imm as i64 as u64;
        if is64 {
            if op == OP_MOV {
                if x { self.load64(R0, R1, s) } else { self.const64(R0, R1, sext) }
            } else {
                self.load64(R0, R1, d);
                if x { self.load64(R2, R3, s) } else { self.const64(R2, R3, sext) }
                let (lo, hi, flags) = match op {
                    OP_ADD => (DpOp::Add, DpOp::Adc, Flags::Set),
                    OP_SUB => (DpOp::Sub, DpOp::Sbc, Flags::Set),
                    OP_AND => (DpOp::And, DpOp::And, Flags::Keep),
                    OP_OR => (DpOp::Orr, DpOp::Orr, Flags::Keep),
                    _ => (DpOp::Eor, DpOp::Eor, Flags::Keep),
                };
                self.put(dp_reg(lo, flags, R0, R0, R2, Shift::Lsl, 0));
                self.put(dp_reg(hi, Flags::Keep, R1, R1, R3, Shift::Lsl, 0));
            }
            self.store64(R0, R1, d);
            return;
        }
        if op == OP_MOV {
            if x { self.load32(R0, s) } else { self.const32(R0, i.imm as u32) }
        } else {
            self.load32(R0, d);
            let shift = match op {
                OP_LSH => Some(Shift::Lsl),
                OP_RSH => Some(Shift::Lsr),
                OP_ARSH => Some(Shift::Asr),
                _ => None,
            };
            match (shift, x) {
                (Some(kind), false) => {
                    let amount = (i.imm as u32 & 31) as u16;
                    if amount != 0 {
                        self.put(mov_reg_shifted(Flags::Keep, R0, R0, kind, amount));
                    }
                }
                (Some(kind), true) => {
                    self.load32(R2, s);
                    self.put(dp_imm(DpOp::And, Flags::Keep, R2, R2, imm(31)));
                    self.put(shift_reg(kind, Flags::Keep, R0, R0, R2));
                }
                (None, _) => {
                    if x { self.load32(R2, s) } else { self.const32(R2, i.imm as u32) }
                    let enc = match op {
                        OP_ADD => dp_reg(DpOp::Add, Flags::Keep, R0, R0, R2, Shift::Lsl, 0),
                        OP_SUB => dp_reg(DpOp::Sub, Flags::Keep, R0, R0, R2, Shift::Lsl, 0),
                        OP_AND => dp_reg(DpOp::And, Flags::Keep, R0, R0, R2, Shift::Lsl, 0),
                        OP_OR => dp_reg(DpOp::Orr, Flags::Keep, R0, R0, R2, Shift::Lsl, 0),
                        OP_XOR => dp_reg(DpOp::Eor, Flags::Keep, R0, R0, R2, Shift::Lsl, 0),
                        _ => mul(R0, R0, R2),
                    };
                    self.put(enc);
                }
            }
        }
        self.const32(R1, 0);
        self.store64(R0, R1, d);
    }

    /// Unsigned 64-bit div/mod: one hardware UDIV when both operands fit in 32 bits and
    /// the divisor is not zero; the runtime (interpreter semantics) otherwise.
    fn udivmod64(&mut self, pc: usize, i: Insn) {
        let slow = self.buf.new_label();
        let done = self.buf.new_label();
        self.load64(R0, R1, i.dst());
        if i.opc & SRC_X != 0 { self.load64(R2, R3, i.src()) } else { self.const64(R2, R3, i.imm as i64 as u64) }
        self.put(dp_reg(DpOp::Orr, Flags::Set, R12, R1, R3, Shift::Lsl, 0));
        self.buf.branch(LabelUse::BCondT3(Cond::Ne), slow);
        self.put(cmp_imm(R2, imm(0)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), slow);
        self.put(udiv(R12, R0, R2));
        if i.opc & OP_MASK == OP_MOD {
            self.put(mls(R0, R12, R2, R0));
        } else {
            self.put(mov_reg16(R0, R12));
        }
        self.store64(R0, R1, i.dst()); // r1 is 0 here
        self.buf.branch(LabelUse::BT4, done);
        self.buf.bind(slow);
        self.rt_at(abi::RT_ALU, pc);
        self.buf.bind(done);
    }

    /// Unsigned 32-bit div/mod: UDIV, with RFC 9669's zero divisor rule (div gives 0,
    /// mod leaves the dividend).
    fn udivmod32(&mut self, i: Insn) {
        let zero = self.buf.new_label();
        let done = self.buf.new_label();
        self.load32(R0, i.dst());
        if i.opc & SRC_X != 0 { self.load32(R2, i.src()) } else { self.const32(R2, i.imm as u32) }
        let is_mod = i.opc & OP_MASK == OP_MOD;
        self.put(cmp_imm(R2, imm(0)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), zero);
        self.put(udiv(R12, R0, R2));
        if is_mod {
            self.put(mls(R0, R12, R2, R0));
        } else {
            self.put(mov_reg16(R0, R12));
        }
        self.buf.branch(LabelUse::BT4, done);
        self.buf.bind(zero);
        if !is_mod {
            self.const32(R0, 0);
        }
        self.buf.bind(done);
        self.const32(R1, 0);
        self.store64(R0, R1, i.dst());
    }

    fn jmp(&mut self, pc: usize, i: Insn) -> Result<(), JitError> {
        let op = i.opc & OP_MASK;
        let is32 = i.class() == CLS_JMP32;
        let x = i.opc & SRC_X != 0;
        // ja32 and local calls carry their offset in imm; the rest in off.
        let rel = if (is32 && op == JA) || (op == CALL && !is32) { i.imm as i64 } else { i.off as i64 };
        let target = pc as i64 + 1 + rel;
        let label = |e: &Self| usize::try_from(target).ok().and_then(|t| e.labels.get(t).copied());
        match op {
            CALL if !is32 => {
                if !x && i.src() == CALL_LOCAL {
                    self.budget_tick();
                    self.rt_at(abi::RT_CALL, pc);
                    let l = label(self).ok_or(JitError::Unsupported { pc, opc: i.opc })?;
                    self.buf.branch(LabelUse::BT4, l);
                } else {
                    self.const32(R1, pc as u32);
                    self.call_rt(abi::RT_HELPER);
                    self.put(cmp_imm(R0, imm(abi::STATUS_HELPER_EXIT)));
                    self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.exit_ok);
                    self.check_status();
                }
                return Ok(());
            }
            EXIT if !is32 => {
                self.put(ldr_imm(Width::Word, R12, CTX, off12(abi::DEPTH)));
                self.put(cmp_imm(R12, imm(0)));
                self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.exit_ok);
                self.call_rt(abi::RT_RET);
                self.put(bx(R0));
                return Ok(());
            }
            _ => {}
        }
        let l = label(self).ok_or(JitError::Unsupported { pc, opc: i.opc })?;
        if target <= pc as i64 {
            self.budget_tick();
        }
        if op == JA {
            self.buf.branch(LabelUse::BT4, l);
            return Ok(());
        }
        let cond = if is32 {
            self.load32(R0, i.dst());
            if x { self.load32(R2, i.src()) } else { self.const32(R2, i.imm as u32) }
            if op == JSET {
                self.put(tst_reg(R0, R2));
                Cond::Ne
            } else {
                self.put(cmp_reg(R0, R2));
                match op {
                    JEQ => Cond::Eq,
                    JNE => Cond::Ne,
                    JGT => Cond::Hi,
                    JGE => Cond::Hs,
                    JLT => Cond::Lo,
                    JLE => Cond::Ls,
                    JSGT => Cond::Gt,
                    JSGE => Cond::Ge,
                    JSLT => Cond::Lt,
                    JSLE => Cond::Le,
                    _ => return Err(JitError::Unsupported { pc, opc: i.opc }),
                }
            }
        } else {
            self.load64(R0, R1, i.dst());
            if x { self.load64(R2, R3, i.src()) } else { self.const64(R2, R3, i.imm as i64 as u64) }
            let sub = |e: &mut Self, a: (Reg, Reg), b: (Reg, Reg)| {
                e.put(dp_reg(DpOp::Sub, Flags::Set, R12, a.0, b.0, Shift::Lsl, 0));
                e.put(dp_reg(DpOp::Sbc, Flags::Set, R12, a.1, b.1, Shift::Lsl, 0));
            };
            let (a, b) = ((R0, R1), (R2, R3));
            match op {
                JEQ | JNE | JSET => {
                    let kind = if op == JSET { DpOp::And } else { DpOp::Eor };
                    self.put(dp_reg(kind, Flags::Keep, R0, R0, R2, Shift::Lsl, 0));
                    self.put(dp_reg(kind, Flags::Keep, R1, R1, R3, Shift::Lsl, 0));
                    self.put(dp_reg(DpOp::Orr, Flags::Set, R0, R0, R1, Shift::Lsl, 0));
                    if op == JEQ { Cond::Eq } else { Cond::Ne }
                }
                JGE => { sub(self, a, b); Cond::Hs }
                JLT => { sub(self, a, b); Cond::Lo }
                JSGE => { sub(self, a, b); Cond::Ge }
                JSLT => { sub(self, a, b); Cond::Lt }
                JGT => { sub(self, b, a); Cond::Lo }
                JLE => { sub(self, b, a); Cond::Hs }
                JSGT => { sub(self, b, a); Cond::Lt }
                JSLE => { sub(self, b, a); Cond::Ge }
                _ => return Err(JitError::Unsupported { pc, opc: i.opc }),
            }
        };
        self.buf.branch(LabelUse::BCondT3(cond), l);
        Ok(())
    }

    /// r0 = the checked address of `[regs[base] + off]`, or leave through `fault`.
    ///
    /// `[r10 + off]` with the whole access inside the 512-byte frame below r10 needs no
    /// check: r10 is read-only (the verifier rejects writes to it) and always the top
    /// of the current frame, which lies inside the stack region.
    fn address(&mut self, pc: usize, base: u8, off: i16, len: u32, write: bool) {
        if base == 10 && off < 0 && (off as i32) >= -(vm::STACK_FRAME_SIZE as i32) && off as i32 + len as i32 <= 0 {
            self.load32(R0, 10);
            self.const32(R1, (-(off as i32)) as u32);
            self.put(dp_reg(DpOp::Sub, Flags::Keep, R0, R0, R1, Shift::Lsl, 0));
            return;
        }
        self.load64(R1, R2, base);
        if off != 0 {
            self.const32(R3, off as i32 as u32);
            self.put(dp_reg(DpOp::Add, Flags::Set, R1, R1, R3, Shift::Lsl, 0));
            let carry_in = if off < 0 { u32::MAX } else { 0 };
            self.put(dp_imm(DpOp::Adc, Flags::Keep, R2, R2, imm(carry_in)));
        }
        // Fast paths: inside the input region, or (loads only) inside .rodata. With
        // off = lo - base (huge when lo < base): off < size and size - off >= len.
        // No subtraction here can wrap into a false hit, whatever the sizes.
        let slow = self.buf.new_label();
        let done = self.buf.new_label();
        let hit = self.buf.new_label();
        self.put(cmp_imm(R2, imm(0)));
        self.buf.branch(LabelUse::BCondT3(Cond::Ne), slow);
        let mut windows = vec![(abi::IN_BASE, abi::IN_SIZE)];
        if !write {
            windows.push((abi::RODATA_BASE, abi::RO_SIZE));
        }
        for (base, size) in windows {
            let next = self.buf.new_label();
            self.put(ldr_imm(Width::Word, R12, CTX, off12(base)));
            self.put(dp_reg(DpOp::Sub, Flags::Keep, R12, R1, R12, Shift::Lsl, 0));
            self.put(ldr_imm(Width::Word, R3, CTX, off12(size)));
            self.put(cmp_reg(R12, R3));
            self.buf.branch(LabelUse::BCondT3(Cond::Hs), next);
            self.put(dp_reg(DpOp::Sub, Flags::Keep, R3, R3, R12, Shift::Lsl, 0));
            self.put(cmp_imm(R3, imm(len)));
            self.buf.branch(LabelUse::BCondT3(Cond::Hs), hit);
            self.buf.bind(next);
        }
        self.buf.branch(LabelUse::BT4, slow);
        self.buf.bind(hit);
        self.put(mov_reg16(R0, R1));
        self.buf.branch(LabelUse::BT4, done);
        self.buf.bind(slow);
        self.const32(R3, len | if write { abi::MEM_WRITE } else { 0 } | (pc as u32) << 8);
        self.call_rt(abi::RT_MEM);
        self.put(cmp_imm(R0, imm(0)));
        self.buf.branch(LabelUse::BCondT3(Cond::Eq), self.fault);
        self.buf.bind(done);
    }

    fn load(&mut self, pc: usize, i: Insn) {
        let signed = i.opc & MODE_MASK == MODE_MEMSX;
        let size = match i.opc & SZ_MASK {
            SZ_B => 1,
            SZ_H => 2,
            SZ_W => 4,
            _ => 8,
        };
        self.address(pc, i.src(), i.off, size, false);
        let z = Off12::maybe_from(0).expect("0");
        match (size, signed) {
            (8, _) => {
                self.put(ldr_imm(Width::Word, R2, R0, z));
                self.put(ldr_imm(Width::Word, R3, R0, Off12::maybe_from(4).expect("4")));
            }
            (_, false) => {
                let w = [Width::Byte, Width::Half, Width::Word][(size as usize).trailing_zeros() as usize];
                self.put(ldr_imm(w, R2, R0, z));
                self.const32(R3, 0);
            }
            (_, true) => {
                let w = [Width::SignedByte, Width::SignedHalf, Width::Word][(size as usize).trailing_zeros() as usize];
                self.put(ldr_imm(w, R2, R0, z));
                self.put(mov_reg_shifted(Flags::Keep, R3, R2, Shift::Asr, 31));
            }
        }
        self.store64(R2, R3, i.dst());
    }

    fn store(&mut self, pc: usize, i: Insn) {
        let size = match i.opc & SZ_MASK {
            SZ_B => 1,
            SZ_H => 2,
            SZ_W => 4,
            _ => 8,
        };
        self.address(pc, i.dst(), i.off, size, true);
        if i.class() == CLS_STX {
            self.load64(R2, R3, i.src());
        } else {
            self.const64(R2, R3, i.imm as i64 as u64);
        }
        let z = Off12::maybe_from(0).expect("0");
        match size {
            1 => self.put(str_imm(Width::Byte, R2, R0, z)),
            2 => self.put(str_imm(Width::Half, R2, R0, z)),
            4 => self.put(str_imm(Width::Word, R2, R0, z)),
            _ => {
                self.put(str_imm(Width::Word, R2, R0, z));
                self.put(str_imm(Width::Word, R3, R0, Off12::maybe_from(4).expect("4")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_every_conformance_style_program_shape() {
        let src = "mov %r0, 1\nlddw %r1, 0x1122334455667788\nadd %r0, %r1\nadd32 %r0, -3\nlsh32 %r0, 4\n\
                   ldxb %r2, [%r10-1]\nstxdw [%r10-8], %r2\nstw [%r10-4], 7\nl: jsgt %r0, %r2, l\njeq32 %r0, 5, +1\n\
                   div %r0, 3\ncall 5\ncall local f\nlock fetch add [%r10-8], %r1\nexit\nf: mov %r0, 2\nexit";
        let program = Program::from_insns(vm::asm::assemble(src).unwrap()).unwrap();
        let c = compile(&program).unwrap();
        assert_eq!(c.insn_offsets.len(), program.insns().len());
        assert!(c.insn_offsets.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(c.code.len() % 2, 0);
        // Starts with the prologue: push.w {r3-r11, lr}.
        assert_eq!(&c.code[..4], &[0x2d, 0xe9, 0xf8, 0x4f]);
    }
}
