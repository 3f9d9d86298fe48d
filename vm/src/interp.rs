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
    /// r0-r10, padded to 16 so that any 4-bit register field indexes it without a
    /// bounds check (the verifier rejects r11-r15; an unverified program cannot panic).
    regs: [u64; 16],
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
        let mut regs = [0u64; 16];
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
        if reg <= 10 { self.regs[reg] } else { 0 }
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
        let limit = usize::try_from(slice.min(self.budget_left)).unwrap_or(usize::MAX);
        let (stop, steps) = self.interpret(limit);
        self.executed += steps as u64;
        self.budget_left -= steps as u64;
        match stop {
            Stop::Exit(r0) => {
                self.done = true;
                Ok(RunStatus::Exited(r0))
            }
            Stop::Fault(pc, kind) => Err(self.fault(pc, kind)),
            Stop::Limit if self.budget_left == 0 => Err(self.fault(self.pc, VmErrorKind::BudgetExhausted)),
            Stop::Limit => Ok(RunStatus::Yielded),
        }
    }

    /// The interpreter loop: at most `limit` instructions; returns why it stopped and
    /// how many instructions ran. One flat `match` on the opcode (a single jump
    /// table); pc and the step count live in registers; the VM's fields are borrowed
    /// apart so memory, registers and helpers can be used side by side.
    fn interpret(&mut self, limit: usize) -> (Stop, usize) {
        let Vm { insns, memory, helpers, allowed, regs, pc: saved_pc, frames, stack_top, data_base, rodata_base, .. } = self;
        let insns: &[Insn] = insns;
        let mut pc = *saved_pc;
        let mut remaining = limit;
        let stop = loop {
            if remaining == 0 {
                break Stop::Limit;
            }
            remaining -= 1;
            let cur = pc;
            let Some(&i) = insns.get(cur) else { break Stop::Fault(cur, VmErrorKind::InvalidInstruction(0)) };
            pc = cur + 1;
            let dst = i.dst() as usize;
            let src = i.src() as usize;
            let imm64 = i.imm as i64 as u64;
            let imm32 = i.imm as u32;
            let off64 = i.off as i64 as u64;
            macro_rules! tri {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => break Stop::Fault(cur, e.into()),
                    }
                };
            }
            match i.opc {
                ADD64_IMM => regs[dst] = tri!(alu64(OP_ADD, i.off, regs[dst], imm64, i.imm)),
                ADD64_REG => regs[dst] = tri!(alu64(OP_ADD, i.off, regs[dst], regs[src], i.imm)),
                ADD32_IMM => regs[dst] = tri!(alu32(ADD32_IMM, i.off, regs[dst], imm32, i.imm)),
                ADD32_REG => regs[dst] = tri!(alu32(ADD32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                SUB64_IMM => regs[dst] = tri!(alu64(OP_SUB, i.off, regs[dst], imm64, i.imm)),
                SUB64_REG => regs[dst] = tri!(alu64(OP_SUB, i.off, regs[dst], regs[src], i.imm)),
                SUB32_IMM => regs[dst] = tri!(alu32(SUB32_IMM, i.off, regs[dst], imm32, i.imm)),
                SUB32_REG => regs[dst] = tri!(alu32(SUB32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                MUL64_IMM => regs[dst] = tri!(alu64(OP_MUL, i.off, regs[dst], imm64, i.imm)),
                MUL64_REG => regs[dst] = tri!(alu64(OP_MUL, i.off, regs[dst], regs[src], i.imm)),
                MUL32_IMM => regs[dst] = tri!(alu32(MUL32_IMM, i.off, regs[dst], imm32, i.imm)),
                MUL32_REG => regs[dst] = tri!(alu32(MUL32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                DIV64_IMM => regs[dst] = tri!(alu64(OP_DIV, i.off, regs[dst], imm64, i.imm)),
                DIV64_REG => regs[dst] = tri!(alu64(OP_DIV, i.off, regs[dst], regs[src], i.imm)),
                DIV32_IMM => regs[dst] = tri!(alu32(DIV32_IMM, i.off, regs[dst], imm32, i.imm)),
                DIV32_REG => regs[dst] = tri!(alu32(DIV32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                OR64_IMM => regs[dst] = tri!(alu64(OP_OR, i.off, regs[dst], imm64, i.imm)),
                OR64_REG => regs[dst] = tri!(alu64(OP_OR, i.off, regs[dst], regs[src], i.imm)),
                OR32_IMM => regs[dst] = tri!(alu32(OR32_IMM, i.off, regs[dst], imm32, i.imm)),
                OR32_REG => regs[dst] = tri!(alu32(OR32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                AND64_IMM => regs[dst] = tri!(alu64(OP_AND, i.off, regs[dst], imm64, i.imm)),
                AND64_REG => regs[dst] = tri!(alu64(OP_AND, i.off, regs[dst], regs[src], i.imm)),
                AND32_IMM => regs[dst] = tri!(alu32(AND32_IMM, i.off, regs[dst], imm32, i.imm)),
                AND32_REG => regs[dst] = tri!(alu32(AND32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                LSH64_IMM => regs[dst] = tri!(alu64(OP_LSH, i.off, regs[dst], imm64, i.imm)),
                LSH64_REG => regs[dst] = tri!(alu64(OP_LSH, i.off, regs[dst], regs[src], i.imm)),
                LSH32_IMM => regs[dst] = tri!(alu32(LSH32_IMM, i.off, regs[dst], imm32, i.imm)),
                LSH32_REG => regs[dst] = tri!(alu32(LSH32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                RSH64_IMM => regs[dst] = tri!(alu64(OP_RSH, i.off, regs[dst], imm64, i.imm)),
                RSH64_REG => regs[dst] = tri!(alu64(OP_RSH, i.off, regs[dst], regs[src], i.imm)),
                RSH32_IMM => regs[dst] = tri!(alu32(RSH32_IMM, i.off, regs[dst], imm32, i.imm)),
                RSH32_REG => regs[dst] = tri!(alu32(RSH32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                MOD64_IMM => regs[dst] = tri!(alu64(OP_MOD, i.off, regs[dst], imm64, i.imm)),
                MOD64_REG => regs[dst] = tri!(alu64(OP_MOD, i.off, regs[dst], regs[src], i.imm)),
                MOD32_IMM => regs[dst] = tri!(alu32(MOD32_IMM, i.off, regs[dst], imm32, i.imm)),
                MOD32_REG => regs[dst] = tri!(alu32(MOD32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                XOR64_IMM => regs[dst] = tri!(alu64(OP_XOR, i.off, regs[dst], imm64, i.imm)),
                XOR64_REG => regs[dst] = tri!(alu64(OP_XOR, i.off, regs[dst], regs[src], i.imm)),
                XOR32_IMM => regs[dst] = tri!(alu32(XOR32_IMM, i.off, regs[dst], imm32, i.imm)),
                XOR32_REG => regs[dst] = tri!(alu32(XOR32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                MOV64_IMM => regs[dst] = tri!(alu64(OP_MOV, i.off, regs[dst], imm64, i.imm)),
                MOV64_REG => regs[dst] = tri!(alu64(OP_MOV, i.off, regs[dst], regs[src], i.imm)),
                MOV32_IMM => regs[dst] = tri!(alu32(MOV32_IMM, i.off, regs[dst], imm32, i.imm)),
                MOV32_REG => regs[dst] = tri!(alu32(MOV32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                ARSH64_IMM => regs[dst] = tri!(alu64(OP_ARSH, i.off, regs[dst], imm64, i.imm)),
                ARSH64_REG => regs[dst] = tri!(alu64(OP_ARSH, i.off, regs[dst], regs[src], i.imm)),
                ARSH32_IMM => regs[dst] = tri!(alu32(ARSH32_IMM, i.off, regs[dst], imm32, i.imm)),
                ARSH32_REG => regs[dst] = tri!(alu32(ARSH32_REG, i.off, regs[dst], regs[src] as u32, i.imm)),
                NEG64 => regs[dst] = regs[dst].wrapping_neg(),
                NEG32 => regs[dst] = (regs[dst] as u32).wrapping_neg() as u64,
                LE | BE => regs[dst] = tri!(alu32(i.opc, 0, regs[dst], 0, i.imm)),
                BSWAP => regs[dst] = tri!(alu64(OP_END, 0, regs[dst], 0, i.imm)),
                JEQ_IMM => if (regs[dst]) == (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JEQ_REG => if (regs[dst]) == (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JEQ32_IMM => if (regs[dst] as u32) == (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JEQ32_REG => if (regs[dst] as u32) == (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGT_IMM => if (regs[dst]) > (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGT_REG => if (regs[dst]) > (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGT32_IMM => if (regs[dst] as u32) > (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGT32_REG => if (regs[dst] as u32) > (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGE_IMM => if (regs[dst]) >= (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGE_REG => if (regs[dst]) >= (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGE32_IMM => if (regs[dst] as u32) >= (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JGE32_REG => if (regs[dst] as u32) >= (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSET_IMM => if regs[dst] & imm64 != 0 { pc = pc.wrapping_add_signed(i.off as isize) },
                JSET_REG => if regs[dst] & regs[src] != 0 { pc = pc.wrapping_add_signed(i.off as isize) },
                JSET32_IMM => if regs[dst] as u32 & imm32 != 0 { pc = pc.wrapping_add_signed(i.off as isize) },
                JSET32_REG => if regs[dst] as u32 & regs[src] as u32 != 0 { pc = pc.wrapping_add_signed(i.off as isize) },
                JNE_IMM => if (regs[dst]) != (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JNE_REG => if (regs[dst]) != (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JNE32_IMM => if (regs[dst] as u32) != (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JNE32_REG => if (regs[dst] as u32) != (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLT_IMM => if (regs[dst]) < (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLT_REG => if (regs[dst]) < (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLT32_IMM => if (regs[dst] as u32) < (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLT32_REG => if (regs[dst] as u32) < (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLE_IMM => if (regs[dst]) <= (imm64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLE_REG => if (regs[dst]) <= (regs[src]) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLE32_IMM => if (regs[dst] as u32) <= (imm32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JLE32_REG => if (regs[dst] as u32) <= (regs[src] as u32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGT_IMM => if (regs[dst] as i64) > (imm64 as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGT_REG => if (regs[dst] as i64) > (regs[src] as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGT32_IMM => if (regs[dst] as i32) > (i.imm) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGT32_REG => if (regs[dst] as i32) > (regs[src] as i32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGE_IMM => if (regs[dst] as i64) >= (imm64 as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGE_REG => if (regs[dst] as i64) >= (regs[src] as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGE32_IMM => if (regs[dst] as i32) >= (i.imm) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSGE32_REG => if (regs[dst] as i32) >= (regs[src] as i32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLT_IMM => if (regs[dst] as i64) < (imm64 as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLT_REG => if (regs[dst] as i64) < (regs[src] as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLT32_IMM => if (regs[dst] as i32) < (i.imm) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLT32_REG => if (regs[dst] as i32) < (regs[src] as i32) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLE_IMM => if (regs[dst] as i64) <= (imm64 as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLE_REG => if (regs[dst] as i64) <= (regs[src] as i64) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLE32_IMM => if (regs[dst] as i32) <= (i.imm) { pc = pc.wrapping_add_signed(i.off as isize) },
                JSLE32_REG => if (regs[dst] as i32) <= (regs[src] as i32) { pc = pc.wrapping_add_signed(i.off as isize) },
                LDXB => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 1)),
                LDXH => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 2)),
                LDXW => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 4)),
                LDXDW => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 8)),
                LDXSB => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 1)) as u8 as i8 as i64 as u64,
                LDXSH => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 2)) as u16 as i16 as i64 as u64,
                LDXSW => regs[dst] = tri!(memory.load(regs[src].wrapping_add(off64), 4)) as u32 as i32 as i64 as u64,
                STB => tri!(memory.store(regs[dst].wrapping_add(off64), 1, imm64)),
                STH => tri!(memory.store(regs[dst].wrapping_add(off64), 2, imm64)),
                STW => tri!(memory.store(regs[dst].wrapping_add(off64), 4, imm64)),
                STDW => tri!(memory.store(regs[dst].wrapping_add(off64), 8, imm64)),
                STXB => tri!(memory.store(regs[dst].wrapping_add(off64), 1, regs[src])),
                STXH => tri!(memory.store(regs[dst].wrapping_add(off64), 2, regs[src])),
                STXW => tri!(memory.store(regs[dst].wrapping_add(off64), 4, regs[src])),
                STXDW => tri!(memory.store(regs[dst].wrapping_add(off64), 8, regs[src])),
                ATOMIC32 => tri!(atomic(memory, regs, regs[dst].wrapping_add(off64), 4, i.imm, src)),
                ATOMIC64 => tri!(atomic(memory, regs, regs[dst].wrapping_add(off64), 8, i.imm, src)),
                LDDW | LDDWD | LDDWR => {
                    let hi = insns.get(cur + 1).map(|n| n.imm as u32 as u64).unwrap_or(0);
                    regs[dst] = match i.opc {
                        LDDW => imm32 as u64 | (hi << 32),
                        LDDWD => data_base.wrapping_add(imm32 as u64),
                        _ => rodata_base.wrapping_add(imm32 as u64),
                    };
                    pc = cur + 2;
                }
                JA64 => pc = pc.wrapping_add_signed(i.off as isize),
                JA32 => pc = pc.wrapping_add_signed(i.imm as isize),
                CALL_IMM if i.src() == CALL_LOCAL => {
                    if frames.len() + 1 >= MAX_CALL_DEPTH {
                        break Stop::Fault(cur, VmErrorKind::CallDepthExceeded(MAX_CALL_DEPTH));
                    }
                    let new_r10 = regs[10].wrapping_add(STACK_FRAME_SIZE as u64);
                    if new_r10 > *stack_top {
                        break Stop::Fault(cur, VmErrorKind::CallDepthExceeded(frames.len() + 1));
                    }
                    frames.push(Frame { return_pc: pc, saved: [regs[6], regs[7], regs[8], regs[9]], saved_r10: regs[10] });
                    regs[10] = new_r10;
                    pc = pc.wrapping_add_signed(i.imm as isize);
                }
                CALL_IMM | CALL_REG => {
                    let id = if i.opc == CALL_REG { regs[dst] } else { imm32 as u64 };
                    if id > u32::MAX as u64 || !allowed.contains(id as u32) {
                        break Stop::Fault(cur, VmErrorKind::HelperNotAllowed(id));
                    }
                    let id = id as u32;
                    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
                    match helpers.call(id, args, memory) {
                        Ok(r0) => regs[0] = r0,
                        Err(HelperError::Exit(r0)) => {
                            regs[0] = r0;
                            break Stop::Exit(r0);
                        }
                        Err(error) => break Stop::Fault(cur, VmErrorKind::Helper { id, error }),
                    }
                }
                EXIT_OP => match frames.pop() {
                    None => break Stop::Exit(regs[0]),
                    Some(f) => {
                        regs[6..10].copy_from_slice(&f.saved);
                        regs[10] = f.saved_r10;
                        pc = f.return_pc;
                    }
                },
                other => break Stop::Fault(cur, VmErrorKind::InvalidInstruction(other)),
            }
        };
        *saved_pc = pc;
        (stop, limit - remaining)
    }
}

/// Applies one ALU or ALU64 instruction to a register file, with exactly the
/// interpreter's semantics (the JIT calls this for the operations it does not inline).
pub fn apply_alu(regs: &mut [u64; 16], i: Insn) -> Result<(), VmErrorKind> {
    let (dst, src) = (i.dst() as usize, i.src() as usize);
    let x = i.opc & SRC_X != 0;
    match i.class() {
        CLS_ALU64 => {
            let s = if x { regs[src] } else { i.imm as i64 as u64 };
            regs[dst] = alu64(i.opc & OP_MASK, i.off, regs[dst], s, i.imm)?;
        }
        CLS_ALU => {
            let s = if x { regs[src] as u32 } else { i.imm as u32 };
            regs[dst] = alu32(i.opc, i.off, regs[dst], s, i.imm)?;
        }
        _ => return Err(VmErrorKind::InvalidInstruction(i.opc)),
    }
    Ok(())
}

/// Applies one atomic instruction (STX | ATOMIC), with the interpreter's semantics.
pub fn apply_atomic(memory: &mut Memory<'_>, regs: &mut [u64; 16], i: Insn) -> Result<(), VmErrorKind> {
    let size = if i.opc & SZ_MASK == SZ_W { 4 } else { 8 };
    let addr = regs[i.dst() as usize].wrapping_add(i.off as i64 as u64);
    atomic(memory, regs, addr, size, i.imm, i.src() as usize)
}

/// Why the interpreter loop stopped.
enum Stop {
    Exit(u64),
    Fault(usize, VmErrorKind),
    Limit,
}

/// The atomic read-modify-write instructions; `regs[src]` gets the old value for the
/// fetch forms, r0 for compare-exchange.
fn atomic(memory: &mut Memory<'_>, regs: &mut [u64; 16], addr: u64, size: usize, op: i32, src: usize) -> Result<(), VmErrorKind> {
    let old = memory.load(addr, size)?;
    let s = regs[src];
    let new = match op & !ATOMIC_FETCH {
        ATOMIC_ADD => old.wrapping_add(s),
        ATOMIC_OR => old | s,
        ATOMIC_AND => old & s,
        ATOMIC_XOR => old ^ s,
        0xe0 => s,
        0xf0 => {
            let expected = if size == 4 { regs[0] as u32 as u64 } else { regs[0] };
            regs[0] = old;
            if old == expected { s } else { old }
        }
        _ => return Err(VmErrorKind::InvalidInstruction(CLS_STX | MODE_ATOMIC)),
    };
    memory.store(addr, size, new)?;
    if op & ATOMIC_FETCH != 0 && op != ATOMIC_CMPXCHG {
        regs[src] = old;
    }
    Ok(())
}

/// Unsigned 64-bit division by a non-zero or zero divisor (zero gives 0). When both
/// operands fit in 32 bits (the common case) it uses a 32-bit divide, which a
/// Cortex-M4 does in hardware instead of calling the 64-bit library routine.
#[inline(always)]
fn udiv64(d: u64, s: u64) -> u64 {
    if (d | s) >> 32 == 0 {
        (d as u32).checked_div(s as u32).unwrap_or(0) as u64
    } else {
        d.checked_div(s).unwrap_or(0)
    }
}

/// Unsigned 64-bit remainder by a non-zero divisor, with the same 32-bit fast path.
#[inline(always)]
fn umod64(d: u64, s: u64) -> u64 {
    if (d | s) >> 32 == 0 { (d as u32 % s as u32) as u64 } else { d % s }
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
        OP_DIV => udiv64(d, s),
        OP_MOD if off == 1 => if s == 0 { d } else { (d as i64).wrapping_rem(s as i64) as u64 },
        OP_MOD => if s == 0 { d } else { umod64(d, s) },
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
