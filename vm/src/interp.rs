//! The interpreter: one `match` on the opcode, in the order of `opcode.rs`.
//!
//! Registers are 64-bit (ALU32 results zero-extend). Every memory access goes through
//! [`Memory`], so a program can only touch its regions. bpf-to-bpf calls push a frame
//! that saves r6-r9 and r10; each frame has its own 512-byte stack slice. A run is
//! bounded by an instruction budget, and [`Vm::run_slice`] executes at most N
//! instructions and can be called again to resume.
use alloc::vec::Vec;

use crate::helpers::{HelperError, HelperSet, Helpers};
use crate::insn::Insn;
use crate::memory::{MemFault, Memory, RegionKind};
use crate::opcode::*;
use crate::program::Program;
use crate::{MAX_CALL_DEPTH, STACK_FRAME_SIZE};

/// A fault while running; `pc` is the instruction that caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("instruction {pc}: {kind}")]
pub struct VmError {
    pub pc: usize,
    pub kind: VmErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VmErrorKind {
    #[error("memory access violation: {0}")]
    Memory(#[from] MemFault),
    #[error("instruction budget exhausted")]
    BudgetExhausted,
    #[error("call depth limit of {0} frames exceeded")]
    CallDepthExceeded(usize),
    #[error("helper {0:#x} is not allowed for this program")]
    HelperNotAllowed(u64),
    #[error("helper {id:#x} failed: {error}")]
    Helper { id: u32, error: HelperError },
    #[error("program has already finished")]
    Finished,
    /// Unreachable after verification; reported rather than panicking if an
    /// unverified program is run.
    #[error("invalid instruction {0:#04x} (program not verified?)")]
    InvalidInstruction(u8),
}

/// The outcome of [`Vm::run_slice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The program exited with this r0.
    Exited(u64),
    /// The slice ended; call `run_slice` again to continue.
    Yielded,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    return_pc: usize,
    saved: [u64; 4],
    saved_r10: u64,
}

/// One run of a program.
pub struct Vm<'p, 'm, 'h> {
    insns: &'p [Insn],
    memory: Memory<'m>,
    helpers: &'h mut dyn Helpers,
    allowed: HelperSet,
    regs: [u64; 11],
    pc: usize,
    frames: Vec<Frame>,
    stack_top: u64,
    data_base: u64,
    rodata_base: u64,
    budget_left: u64,
    executed: u64,
    done: bool,
}

/// The stack a program needs: one frame, or [`MAX_CALL_DEPTH`] frames when it makes
/// bpf-to-bpf calls.
pub fn stack_size_for(program: &Program) -> usize {
    STACK_FRAME_SIZE * if program.has_local_calls() { MAX_CALL_DEPTH } else { 1 }
}

impl<'p, 'm, 'h> Vm<'p, 'm, 'h> {
    /// Prepares a run: r1/r2 = input region address and length (0 without one),
    /// r10 = top of the first stack frame. `allowed` is checked again at run time for
    /// `callx`, whose helper id is only known then.
    pub fn new(program: &'p Program, memory: Memory<'m>, helpers: &'h mut dyn Helpers, allowed: HelperSet) -> Self {
        let base_of = |k| memory.region(k).map(|r| r.base()).unwrap_or(0);
        let stack = memory.region(RegionKind::Stack).map(|r| (r.base(), r.len() as u64));
        let (input, input_len) =
            memory.region(RegionKind::Input).map(|r| (r.base(), r.len() as u64)).unwrap_or((0, 0));
        let stack_top = stack.map(|(b, l)| b + l.min(STACK_FRAME_SIZE as u64)).unwrap_or(0);
        let (data_base, rodata_base) = (base_of(RegionKind::Data), base_of(RegionKind::Rodata));
        let mut regs = [0u64; 11];
        regs[1] = input;
        regs[2] = input_len;
        regs[10] = stack_top;
        Self {
            insns: program.insns(),
            memory,
            helpers,
            allowed,
            regs,
            pc: 0,
            frames: Vec::new(),
            stack_top: stack.map(|(b, l)| b + l).unwrap_or(0),
            data_base,
            rodata_base,
            budget_left: u64::MAX,
            executed: 0,
            done: false,
        }
    }

    /// Limits the total number of instructions this run may execute.
    pub fn with_budget(mut self, budget: u64) -> Self {
        self.budget_left = budget;
        self
    }

    pub fn set_reg(&mut self, reg: usize, value: u64) {
        if reg < 10 {
            self.regs[reg] = value;
        }
    }

    pub fn reg(&self, reg: usize) -> u64 {
        self.regs.get(reg).copied().unwrap_or(0)
    }

    /// Instructions executed so far.
    pub fn executed(&self) -> u64 {
        self.executed
    }

    pub fn memory(&self) -> &Memory<'m> {
        &self.memory
    }

    /// Ends the run and gives the regions back (to read what the program wrote).
    pub fn into_memory(self) -> Memory<'m> {
        self.memory
    }

    /// Runs to the end (or until the budget runs out).
    pub fn run(&mut self) -> Result<u64, VmError> {
        loop {
            if let RunStatus::Exited(r0) = self.run_slice(u64::MAX)? {
                return Ok(r0);
            }
        }
    }

    fn fault(&mut self, pc: usize, kind: impl Into<VmErrorKind>) -> VmError {
        self.done = true;
        VmError { pc, kind: kind.into() }
    }

    /// Executes at most `slice` instructions.
    pub fn run_slice(&mut self, slice: u64) -> Result<RunStatus, VmError> {
        if self.done {
            return Err(VmError { pc: self.pc, kind: VmErrorKind::Finished });
        }
        let mut slice_left = slice;
        loop {
            if slice_left == 0 {
                return Ok(RunStatus::Yielded);
            }
            if self.budget_left == 0 {
                return Err(self.fault(self.pc, VmErrorKind::BudgetExhausted));
            }
            slice_left -= 1;
            self.budget_left -= 1;
            self.executed += 1;
            let pc = self.pc;
            let Some(&insn) = self.insns.get(pc) else {
                return Err(self.fault(pc, VmErrorKind::InvalidInstruction(0)));
            };
            self.pc = pc + 1;
            match self.step(pc, insn) {
                Ok(None) => {}
                Ok(Some(r0)) => {
                    self.done = true;
                    return Ok(RunStatus::Exited(r0));
                }
                Err(kind) => return Err(self.fault(pc, kind)),
            }
        }
    }

    /// Executes one instruction; `Some(r0)` when the program exits.
    #[inline(always)]
    fn step(&mut self, pc: usize, i: Insn) -> Result<Option<u64>, VmErrorKind> {
        let dst = i.dst as usize & 0x0f;
        let src = i.src as usize & 0x0f;
        if dst > 10 || src > 10 {
            return Err(VmErrorKind::InvalidInstruction(i.opc));
        }
        let imm64 = i.imm as i64 as u64;
        let imm32 = i.imm as u32;
        match i.class() {
            CLS_ALU64 => {
                let s = if i.opc & SRC_X != 0 { self.regs[src] } else { imm64 };
                let d = self.regs[dst];
                self.regs[dst] = alu64(i.opc & OP_MASK, i.off, d, s, i.imm)?;
            }
            CLS_ALU => {
                let s = if i.opc & SRC_X != 0 { self.regs[src] as u32 } else { imm32 };
                let d = self.regs[dst];
                self.regs[dst] = alu32(i.opc, i.off, d, s, i.imm)?;
            }
            CLS_JMP | CLS_JMP32 => return self.jump(pc, i, dst, src),
            CLS_LDX => {
                let addr = self.regs[src].wrapping_add(i.off as i64 as u64);
                let size = size_of(i.opc);
                let v = self.memory.load(addr, size)?;
                self.regs[dst] = if i.opc & MODE_MASK == MODE_MEMSX { sign_extend(v, size) } else { v };
            }
            CLS_ST => {
                let addr = self.regs[dst].wrapping_add(i.off as i64 as u64);
                self.memory.store(addr, size_of(i.opc), imm64)?;
            }
            CLS_STX => {
                let addr = self.regs[dst].wrapping_add(i.off as i64 as u64);
                let size = size_of(i.opc);
                if i.opc & MODE_MASK == MODE_ATOMIC {
                    self.atomic(addr, size, i.imm, src)?;
                } else {
                    self.memory.store(addr, size, self.regs[src])?;
                }
            }
            CLS_LD => {
                let hi = self.insns.get(pc + 1).map(|n| n.imm as u32 as u64).unwrap_or(0);
                self.regs[dst] = match i.opc {
                    LDDW => imm32 as u64 | (hi << 32),
                    LDDWD => self.data_base.wrapping_add(imm32 as u64),
                    LDDWR => self.rodata_base.wrapping_add(imm32 as u64),
                    _ => return Err(VmErrorKind::InvalidInstruction(i.opc)),
                };
                self.pc = pc + 2;
            }
            _ => return Err(VmErrorKind::InvalidInstruction(i.opc)),
        }
        Ok(None)
    }

    #[inline(always)]
    fn jump(&mut self, pc: usize, i: Insn, dst: usize, src: usize) -> Result<Option<u64>, VmErrorKind> {
        let op = i.opc & OP_MASK;
        let is32 = i.class() == CLS_JMP32;
        let target = |off: i64| (pc as i64 + 1 + off) as usize;
        match op {
            JA => {
                self.pc = if is32 { target(i.imm as i64) } else { target(i.off as i64) };
                return Ok(None);
            }
            CALL if !is32 => return self.call(pc, i, dst),
            EXIT if !is32 => return Ok(self.exit()),
            _ => {}
        }
        let x = i.opc & SRC_X != 0;
        let taken = if is32 {
            let a = self.regs[dst] as u32;
            let b = if x { self.regs[src] as u32 } else { i.imm as u32 };
            condition(op, a as u64, b as u64, a as i32 as i64, b as i32 as i64)
        } else {
            let a = self.regs[dst];
            let b = if x { self.regs[src] } else { i.imm as i64 as u64 };
            condition(op, a, b, a as i64, b as i64)
        };
        match taken {
            Some(true) => self.pc = target(i.off as i64),
            Some(false) => {}
            None => return Err(VmErrorKind::InvalidInstruction(i.opc)),
        }
        Ok(None)
    }

    fn call(&mut self, pc: usize, i: Insn, dst: usize) -> Result<Option<u64>, VmErrorKind> {
        if i.opc & SRC_X == 0 && i.src == CALL_LOCAL {
            if self.frames.len() + 1 >= MAX_CALL_DEPTH {
                return Err(VmErrorKind::CallDepthExceeded(MAX_CALL_DEPTH));
            }
            let new_r10 = self.regs[10].wrapping_add(STACK_FRAME_SIZE as u64);
            if new_r10 > self.stack_top {
                return Err(VmErrorKind::CallDepthExceeded(self.frames.len() + 1));
            }
            self.frames.push(Frame {
                return_pc: pc + 1,
                saved: [self.regs[6], self.regs[7], self.regs[8], self.regs[9]],
                saved_r10: self.regs[10],
            });
            self.regs[10] = new_r10;
            self.pc = (pc as i64 + 1 + i.imm as i64) as usize;
            return Ok(None);
        }
        let id = if i.opc & SRC_X != 0 { self.regs[dst] } else { i.imm as u32 as u64 };
        if id > u32::MAX as u64 || !self.allowed.contains(id as u32) {
            return Err(VmErrorKind::HelperNotAllowed(id));
        }
        let id = id as u32;
        let args = [self.regs[1], self.regs[2], self.regs[3], self.regs[4], self.regs[5]];
        match self.helpers.call(id, args, &mut self.memory) {
            Ok(r0) => self.regs[0] = r0,
            Err(HelperError::Exit(r0)) => {
                self.regs[0] = r0;
                return Ok(Some(r0));
            }
            Err(error) => return Err(VmErrorKind::Helper { id, error }),
        }
        Ok(None)
    }

    fn exit(&mut self) -> Option<u64> {
        match self.frames.pop() {
            None => Some(self.regs[0]),
            Some(f) => {
                self.regs[6..10].copy_from_slice(&f.saved);
                self.regs[10] = f.saved_r10;
                self.pc = f.return_pc;
                None
            }
        }
    }

    fn atomic(&mut self, addr: u64, size: usize, op: i32, src: usize) -> Result<(), VmErrorKind> {
        let old = self.memory.load(addr, size)?;
        let s = self.regs[src];
        let new = match op & !ATOMIC_FETCH {
            ATOMIC_ADD => old.wrapping_add(s),
            ATOMIC_OR => old | s,
            ATOMIC_AND => old & s,
            ATOMIC_XOR => old ^ s,
            0xe0 => s,
            0xf0 => {
                let expected = if size == 4 { self.regs[0] as u32 as u64 } else { self.regs[0] };
                self.regs[0] = old;
                if old == expected { s } else { old }
            }
            _ => return Err(VmErrorKind::InvalidInstruction(CLS_STX | MODE_ATOMIC)),
        };
        self.memory.store(addr, size, new)?;
        if op & ATOMIC_FETCH != 0 && op != ATOMIC_CMPXCHG {
            self.regs[src] = old;
        }
        Ok(())
    }
}

fn size_of(opc: u8) -> usize {
    match opc & SZ_MASK {
        SZ_W => 4,
        SZ_H => 2,
        SZ_B => 1,
        _ => 8,
    }
}

fn sign_extend(v: u64, size: usize) -> u64 {
    match size {
        1 => v as u8 as i8 as i64 as u64,
        2 => v as u16 as i16 as i64 as u64,
        4 => v as u32 as i32 as i64 as u64,
        _ => v,
    }
}

/// Jump conditions on unsigned (`a`, `b`) and signed (`sa`, `sb`) views.
#[inline(always)]
fn condition(op: u8, a: u64, b: u64, sa: i64, sb: i64) -> Option<bool> {
    Some(match op {
        JEQ => a == b,
        JGT => a > b,
        JGE => a >= b,
        JSET => a & b != 0,
        JNE => a != b,
        JSGT => sa > sb,
        JSGE => sa >= sb,
        JLT => a < b,
        JLE => a <= b,
        JSLT => sa < sb,
        JSLE => sa <= sb,
        _ => return None,
    })
}

/// 64-bit arithmetic (RFC 9669 §4.1). Division by zero gives 0; modulo by zero leaves
/// the dividend; signed overflow wraps.
#[inline(always)]
fn alu64(op: u8, off: i16, d: u64, s: u64, imm: i32) -> Result<u64, VmErrorKind> {
    Ok(match op {
        OP_ADD => d.wrapping_add(s),
        OP_SUB => d.wrapping_sub(s),
        OP_MUL => d.wrapping_mul(s),
        OP_DIV if off == 1 => if s == 0 { 0 } else { (d as i64).wrapping_div(s as i64) as u64 },
        OP_DIV => d.checked_div(s).unwrap_or(0),
        OP_MOD if off == 1 => if s == 0 { d } else { (d as i64).wrapping_rem(s as i64) as u64 },
        OP_MOD => if s == 0 { d } else { d % s },
        OP_OR => d | s,
        OP_AND => d & s,
        OP_XOR => d ^ s,
        OP_LSH => d.wrapping_shl((s & 63) as u32),
        OP_RSH => d.wrapping_shr((s & 63) as u32),
        OP_ARSH => ((d as i64).wrapping_shr((s & 63) as u32)) as u64,
        OP_NEG => d.wrapping_neg(),
        OP_MOV => match off {
            8 => s as u8 as i8 as i64 as u64,
            16 => s as u16 as i16 as i64 as u64,
            32 => s as u32 as i32 as i64 as u64,
            _ => s,
        },
        // ALU64 END: unconditional byte swap of the low 16/32/64 bits.
        OP_END => match imm {
            16 => (d as u16).swap_bytes() as u64,
            32 => (d as u32).swap_bytes() as u64,
            _ => d.swap_bytes(),
        },
        _ => return Err(VmErrorKind::InvalidInstruction(CLS_ALU64 | op)),
    })
}

/// 32-bit arithmetic; the result is zero-extended to 64 bits.
#[inline(always)]
fn alu32(opc: u8, off: i16, d64: u64, s: u32, imm: i32) -> Result<u64, VmErrorKind> {
    let d = d64 as u32;
    let r: u32 = match opc & OP_MASK {
        OP_ADD => d.wrapping_add(s),
        OP_SUB => d.wrapping_sub(s),
        OP_MUL => d.wrapping_mul(s),
        OP_DIV if off == 1 => if s == 0 { 0 } else { (d as i32).wrapping_div(s as i32) as u32 },
        OP_DIV => d.checked_div(s).unwrap_or(0),
        OP_MOD if off == 1 => if s == 0 { d } else { (d as i32).wrapping_rem(s as i32) as u32 },
        OP_MOD => if s == 0 { d } else { d % s },
        OP_OR => d | s,
        OP_AND => d & s,
        OP_XOR => d ^ s,
        OP_LSH => d.wrapping_shl(s & 31),
        OP_RSH => d.wrapping_shr(s & 31),
        OP_ARSH => (d as i32).wrapping_shr(s & 31) as u32,
        OP_NEG => d.wrapping_neg(),
        OP_MOV => match off {
            8 => s as u8 as i8 as i32 as u32,
            16 => s as u16 as i16 as i32 as u32,
            _ => s,
        },
        // ALU END: le (src bit 0) truncates, be (src bit 1) swaps; eBPF is little-endian.
        OP_END => {
            let be = opc & SRC_X != 0;
            return Ok(match (imm, be) {
                (16, false) => d64 as u16 as u64,
                (32, false) => d64 as u32 as u64,
                (_, false) => d64,
                (16, true) => (d64 as u16).swap_bytes() as u64,
                (32, true) => (d64 as u32).swap_bytes() as u64,
                (_, true) => d64.swap_bytes(),
            });
        }
        _ => return Err(VmErrorKind::InvalidInstruction(opc)),
    };
    Ok(r as u64)
}

#[cfg(test)]
mod tests;
