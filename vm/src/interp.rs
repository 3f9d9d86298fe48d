//! The interpreter: the program is pre-decoded for the run (`decode.rs`: dense
//! operation kinds, split register fields, sign-extended immediates, jump targets
//! relative to their op, resolved `.data`/`.rodata` addresses, common pairs and triples
//! fused), then one `match` on the kind per op.
//!
//! The loop walks a pointer through the ops rather than indexing them: that is one load
//! and a table branch per op instead of index arithmetic and a bounds check. Its
//! dereferences are the crate's only `unsafe` code, sound because `decode` keeps every
//! place control can reach inside the ops for any bytecode, verified or not (and, for
//! one more unsafe line, makes a constant-modulo op only for a non-zero divisor).
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
    /// The program, pre-decoded for this run (`.data`/`.rodata` addresses resolved).
    ops: Vec<Op>,
    _program: core::marker::PhantomData<&'p Program>,
    memory: Memory<'m>,
    helpers: &'h mut dyn Helpers,
    allowed: HelperSet,
    /// r0-r10, padded to 16 so that any 4-bit register field indexes it without a
    /// bounds check (the verifier rejects r11-r15; an unverified program cannot panic).
    regs: Regs,
    /// `.rodata` (empty without one) and its address: fused `.rodata` loads check it
    /// directly.
    rodata: &'m [u8],
    rodata_base: u64,
    pc: usize,
    frames: Vec<Frame>,
    stack_top: u64,
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
        let (input, input_len) = memory.region(RegionKind::Input).map(|r| (r.base(), r.len() as u64)).unwrap_or((0, 0));
        let stack_top = stack.map(|(b, l)| b + l.min(STACK_FRAME_SIZE as u64)).unwrap_or(0);
        let (data_base, rodata_base) = (base_of(RegionKind::Data), base_of(RegionKind::Rodata));
        let rodata = memory.region(RegionKind::Rodata).and_then(|r| r.read_only_bytes()).unwrap_or(&[]);
        let mut regs = Regs::default();
        regs.set(Reg::R1, input);
        regs.set(Reg::R2, input_len);
        regs.set(Reg::R10, stack_top);
        Self {
            ops: decode::decode(program.insns(), data_base, rodata_base),
            _program: core::marker::PhantomData,
            memory,
            helpers,
            allowed,
            regs,
            rodata,
            rodata_base,
            pc: 0,
            frames: {
                // Room for every frame up front, outside the run: a call then allocates
                // nothing, and costs the same whatever state the heap is in. (Without
                // the room, calls grow the vector as before.)
                let mut frames = Vec::new();
                if program.has_local_calls() {
                    let _ = frames.try_reserve_exact(MAX_CALL_DEPTH);
                }
                frames
            },
            stack_top: stack.map(|(b, l)| b + l).unwrap_or(0),
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
            self.regs.write(reg, value);
        }
    }

    pub fn reg(&self, reg: usize) -> u64 {
        if reg <= 10 {
            self.regs.read(reg)
        } else {
            0
        }
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
        // At most `isize::MAX` at a time, so the loop can count down through zero
        // (a longer slice yields there; `run` goes on).
        let limit =
            usize::try_from(slice.min(self.budget_left)).map_or(isize::MAX as usize, |l| l.min(isize::MAX as usize));
        let (stop, steps) = self.interpret(limit);
        self.executed += steps as u64;
        self.budget_left -= steps as u64;
        match stop {
            Stop::Exit(r0) => {
                self.done = true;
                Ok(RunStatus::Exited(r0))
            }
            Stop::Fault(pc, kind) => Err(self.fault(pc, kind)),
            Stop::Limit | Stop::Short | Stop::Halt(_) if self.budget_left == 0 => {
                Err(self.fault(self.pc, VmErrorKind::BudgetExhausted))
            }
            Stop::Limit | Stop::Short | Stop::Halt(_) => Ok(RunStatus::Yielded),
        }
    }

    /// Runs at most `limit` instructions; returns why it stopped and how many ran.
    ///
    /// The budget is charged a whole run (straight-line instructions up to the next
    /// jump, call or exit, [`Op::run`]) at a time, as control enters it: the loop counts
    /// nothing per op. A run longer than what is left is cut exactly: a `Halt` op stands
    /// after its last instruction that may run, for as long as that takes. A fault gives
    /// back the instructions of its run that never ran.
    fn interpret(&mut self, limit: usize) -> (Stop, usize) {
        let first = self.ops[self.pc].run as usize;
        let (stop, left) = if first <= limit { self.run_charged(limit - first) } else { (Stop::Short, limit) };
        match stop {
            Stop::Short => {
                let (stop, ran) = self.run_partial(left);
                (stop, limit - left + ran)
            }
            Stop::Fault(cur, _) => {
                let unrun = self.ops[cur].run as usize - 1;
                (stop, limit - left - unrun)
            }
            stop => (stop, limit - left),
        }
    }

    /// The first `n` instructions from `self.pc`, all inside one run (so none ends it):
    /// stops at a `Halt` put after them. Returns why it stopped and how many ran.
    fn run_partial(&mut self, n: usize) -> (Stop, usize) {
        if n == 0 {
            return (Stop::Limit, 0);
        }
        let start = self.pc;
        // Instruction by instruction (a fused pair's first one alone: an LDDW's two slots).
        let next = |ops: &[Op], p: usize| p + ops[p].kind.unfused().slots();
        let (mut halt, mut last, mut before_last) = (start, start, start);
        for _ in 0..n {
            (before_last, last) = (last, halt);
            halt = next(&self.ops, halt);
        }
        // A fused op the halt cuts (an instruction after its first at the halt) runs its
        // first instruction alone. It spans at most three instructions, so it began at one
        // of the last two stepped. (An LDDW's second slot is no instruction: the halt is
        // never there.)
        let last = if before_last + self.ops[before_last].kind.slots() > halt { before_last } else { last };
        let fused = self.ops[last];
        let cut = last + fused.kind.slots() > halt;
        if cut {
            self.ops[last] = fused.first_alone(self.rodata_base);
        }
        let kind = core::mem::replace(&mut self.ops[halt].kind, Kind::Halt);
        let (stop, _) = self.run_charged(0);
        self.ops[halt].kind = kind;
        if cut {
            self.ops[last] = fused;
        }
        match stop {
            Stop::Fault(cur, e) => {
                let (mut p, mut ran) = (start, 1);
                while p != cur && ran < n {
                    p = next(&self.ops, p);
                    ran += 1;
                }
                (Stop::Fault(cur, e), ran)
            }
            Stop::Exit(r0) => (Stop::Exit(r0), n),
            // The halt (a run the budget cannot pay for, with nothing left).
            Stop::Halt(at) => {
                debug_assert_eq!(at, halt, "stopped at another halt");
                (Stop::Limit, n)
            }
            _ => (Stop::Limit, n),
        }
    }

    /// The interpreter loop, `remaining` instructions left after the run it starts in
    /// (already charged). One flat `match` on the pre-decoded kind (a single jump
    /// table, no range check); the op pointer and the budget live in registers; the
    /// VM's fields are borrowed apart so memory, registers and helpers can be used side
    /// by side. The ops that end runs leave the dispatch loop for the one place that
    /// charges the next run (one copy of that code keeps the loop's registers as they
    /// were).
    #[allow(unsafe_code)]
    fn run_charged(&mut self, remaining: usize) -> (Stop, usize) {
        let Vm { ops, memory, helpers, allowed, regs, rodata, rodata_base, pc: saved_pc, frames, stack_top, .. } = self;
        let (rodata, rodata_base): (&[u8], u64) = (rodata, *rodata_base);
        let ops: &[Op] = ops;
        // The loop walks a pointer through the ops. It stays on an op while the op runs
        // (a fault names it) and steps on after the `match`, so the next kind is one load
        // with writeback. Only dereferences need it inside `ops`; moving it is plain
        // (wrapping) arithmetic.
        let base = ops.as_ptr();
        let Some(first) = ops.get(*saved_pc) else {
            return (Stop::Fault(*saved_pc, VmErrorKind::InvalidInstruction(0)), remaining);
        };
        let mut ip: *const Op = first;
        // The instruction index of `ip`.
        macro_rules! pc {
            () => {
                ((ip as usize - base as usize) / core::mem::size_of::<Op>())
            };
        }
        // Signed, so that charging a run is a subtraction and a sign test (`limit` in
        // `run_slice` keeps it below `isize::MAX`).
        let mut remaining = remaining as isize;
        let stop = 'run: loop {
            loop {
                // SAFETY: `ip` points into `ops`: it starts there, and every way it moves
                // stays inside (the guarantee `decode::decode` documents).
                let op = unsafe { &*ip };
                // Operands are read in the arms that use them, so that dispatch loads only
                // the kind. A `Reg` is 0..=15, so indexing the 16 registers needs no check.
                macro_rules! d {
                    () => {
                        op.dst
                    };
                }
                macro_rules! s {
                    () => {
                        op.src
                    };
                }
                macro_rules! off {
                    () => {
                        (op.off as i64 as u64)
                    };
                }
                macro_rules! target {
                    () => {
                        (op.off as isize)
                    };
                }
                macro_rules! tri {
                    ($e:expr) => {
                        match $e {
                            Ok(v) => v,
                            Err(e) => break 'run Stop::Fault(pc!(), e.into()),
                        }
                    };
                }
                // Control goes to the run at `pc`: out of the dispatch loop, to charge it.
                macro_rules! charge {
                    () => {{
                        break;
                    }};
                }
                // A `jeq` to past the `ja` that follows it (a loop's latch), as one op.
                macro_rules! latch {
                    ($equal:expr) => {{
                        if $equal {
                            // Out of the loop, past the `ja`.
                            ip = ip.wrapping_add(2);
                            charge!();
                        }
                        let back = ip.wrapping_offset(target!());
                        // The `ja` (a run of its own) and the run it goes back to, charged
                        // together when the budget pays for both, as it nearly always does.
                        // SAFETY: `back` is a jump target, inside `ops` as `ip` is.
                        let both = 1 + unsafe { (*back).run } as isize;
                        if remaining >= both {
                            remaining -= both;
                            ip = back;
                            continue;
                        }
                        ip = if remaining > 0 {
                            // The `ja` runs; the charge finds the run after it too long.
                            remaining -= 1;
                            back
                        } else {
                            // The `ja`, which cannot be paid for with nothing left.
                            ip.wrapping_add(1)
                        };
                        charge!();
                    }};
                }
                // On past an op that covers `n` slots (a fused op, an LDDW).
                macro_rules! step {
                    ($n:expr) => {{
                        ip = ip.wrapping_add($n);
                        continue;
                    }};
                }
                // `lddw d, K; add d, s; ldx d, [d + off]` with `K + off` in the op.
                macro_rules! indexed_load {
                    ($size:expr) => {{
                        let address = op.wide().wrapping_add(regs.get(s!()));
                        // A fault is the `ldx`'s, three slots on.
                        match memory.load(address, $size) {
                            Ok(v) => regs.set(d!(), v),
                            Err(e) => break 'run Stop::Fault(pc!() + 3, e.into()),
                        }
                        step!(4)
                    }};
                }
                // The same from `.rodata`, the op holding the offset into it.
                macro_rules! rodata_load {
                    ($size:literal) => {{
                        let offset = op.wide().wrapping_add(regs.get(s!()));
                        let inside = usize::try_from(offset).ok().and_then(|o| rodata.get(o..)?.first_chunk::<$size>());
                        let value = match inside {
                            Some(bytes) => {
                                let mut word = [0u8; 8];
                                word[..$size].copy_from_slice(bytes);
                                u64::from_le_bytes(word)
                            }
                            None => match memory.load(rodata_base.wrapping_add(offset), $size) {
                                Ok(v) => v,
                                Err(e) => break 'run Stop::Fault(pc!() + 3, e.into()),
                            },
                        };
                        regs.set(d!(), value);
                        step!(4)
                    }};
                }
                macro_rules! jump_if {
                    ($cond:expr) => {{
                        ip = if $cond { ip.wrapping_offset(target!()) } else { ip.wrapping_add(1) };
                        charge!();
                    }};
                }
                match op.kind {
                    Kind::Add64R => regs.set(d!(), regs.get(d!()).wrapping_add(regs.get(s!()))),
                    Kind::Add64I => regs.set(d!(), regs.get(d!()).wrapping_add(op.imm64())),
                    Kind::Sub64R => regs.set(d!(), regs.get(d!()).wrapping_sub(regs.get(s!()))),
                    Kind::Sub64I => regs.set(d!(), regs.get(d!()).wrapping_sub(op.imm64())),
                    Kind::Mul64R => regs.set(d!(), regs.get(d!()).wrapping_mul(regs.get(s!()))),
                    Kind::Mul64I => regs.set(d!(), regs.get(d!()).wrapping_mul(op.imm64())),
                    Kind::Or64R => regs.set(d!(), regs.get(d!()) | regs.get(s!())),
                    Kind::Or64I => regs.set(d!(), regs.get(d!()) | op.imm64()),
                    Kind::And64R => regs.set(d!(), regs.get(d!()) & regs.get(s!())),
                    Kind::And64I => regs.set(d!(), regs.get(d!()) & op.imm64()),
                    Kind::Xor64R => regs.set(d!(), regs.get(d!()) ^ regs.get(s!())),
                    Kind::Xor64I => regs.set(d!(), regs.get(d!()) ^ op.imm64()),
                    Kind::Lsh64R => regs.set(d!(), regs.get(d!()).wrapping_shl((regs.get(s!()) & 63) as u32)),
                    Kind::Lsh64I => regs.set(d!(), regs.get(d!()).wrapping_shl((op.imm & 63) as u32)),
                    Kind::Rsh64R => regs.set(d!(), regs.get(d!()).wrapping_shr((regs.get(s!()) & 63) as u32)),
                    Kind::Rsh64I => regs.set(d!(), regs.get(d!()).wrapping_shr((op.imm & 63) as u32)),
                    Kind::Arsh64R => {
                        regs.set(d!(), (regs.get(d!()) as i64).wrapping_shr((regs.get(s!()) & 63) as u32) as u64)
                    }
                    Kind::Arsh64I => regs.set(d!(), (regs.get(d!()) as i64).wrapping_shr((op.imm & 63) as u32) as u64),
                    Kind::Mov64R => regs.set(d!(), regs.get(s!())),
                    Kind::Mov64I => regs.set(d!(), op.imm64()),
                    Kind::Add32R => regs.set(d!(), (regs.get(d!()) as u32).wrapping_add(regs.get(s!()) as u32) as u64),
                    Kind::Add32I => regs.set(d!(), (regs.get(d!()) as u32).wrapping_add(op.imm as u32) as u64),
                    Kind::Sub32R => regs.set(d!(), (regs.get(d!()) as u32).wrapping_sub(regs.get(s!()) as u32) as u64),
                    Kind::Sub32I => regs.set(d!(), (regs.get(d!()) as u32).wrapping_sub(op.imm as u32) as u64),
                    Kind::Mul32R => regs.set(d!(), (regs.get(d!()) as u32).wrapping_mul(regs.get(s!()) as u32) as u64),
                    Kind::Mul32I => regs.set(d!(), (regs.get(d!()) as u32).wrapping_mul(op.imm as u32) as u64),
                    Kind::Or32R => regs.set(d!(), (regs.get(d!()) as u32 | regs.get(s!()) as u32) as u64),
                    Kind::Or32I => regs.set(d!(), (regs.get(d!()) as u32 | op.imm as u32) as u64),
                    Kind::And32R => regs.set(d!(), (regs.get(d!()) as u32 & regs.get(s!()) as u32) as u64),
                    Kind::And32I => regs.set(d!(), (regs.get(d!()) as u32 & op.imm as u32) as u64),
                    Kind::Xor32R => regs.set(d!(), (regs.get(d!()) as u32 ^ regs.get(s!()) as u32) as u64),
                    Kind::Xor32I => regs.set(d!(), (regs.get(d!()) as u32 ^ op.imm as u32) as u64),
                    Kind::Lsh32R => {
                        regs.set(d!(), (regs.get(d!()) as u32).wrapping_shl(regs.get(s!()) as u32 & 31) as u64)
                    }
                    Kind::Lsh32I => regs.set(d!(), (regs.get(d!()) as u32).wrapping_shl(op.imm as u32 & 31) as u64),
                    Kind::Rsh32R => {
                        regs.set(d!(), (regs.get(d!()) as u32).wrapping_shr(regs.get(s!()) as u32 & 31) as u64)
                    }
                    Kind::Rsh32I => regs.set(d!(), (regs.get(d!()) as u32).wrapping_shr(op.imm as u32 & 31) as u64),
                    Kind::Arsh32R => {
                        regs.set(d!(), (regs.get(d!()) as i32).wrapping_shr(regs.get(s!()) as u32 & 31) as u32 as u64)
                    }
                    Kind::Arsh32I => {
                        regs.set(d!(), (regs.get(d!()) as i32).wrapping_shr(op.imm as u32 & 31) as u32 as u64)
                    }
                    Kind::Mov32R => regs.set(d!(), regs.get(s!()) as u32 as u64),
                    Kind::Mov32I => regs.set(d!(), op.imm as u32 as u64),
                    Kind::ShlOr32 => {
                        regs.set(
                            d!(),
                            ((regs.get(d!()) as u32).wrapping_shl(op.imm as u32 & 31)
                                | regs.get(Reg::of(op.aux)) as u32) as u64,
                        );
                        step!(2)
                    }
                    Kind::ShlOr64 => {
                        regs.set(d!(), regs.get(d!()).wrapping_shl((op.imm & 63) as u32) | regs.get(Reg::of(op.aux)));
                        step!(2)
                    }
                    Kind::MovRsh64 => {
                        regs.set(d!(), regs.get(s!()).wrapping_shr((op.imm & 63) as u32));
                        step!(2)
                    }
                    Kind::MovRsh32 => {
                        regs.set(d!(), (regs.get(s!()) as u32).wrapping_shr(op.imm as u32 & 31) as u64);
                        step!(2)
                    }
                    Kind::MovLsh32 => {
                        regs.set(d!(), (regs.get(s!()) as u32).wrapping_shl(op.imm as u32 & 31) as u64);
                        step!(2)
                    }
                    Kind::SignExtend64 => {
                        // The low `64 - imm` bits, sign-extended: all in the low word (imm ≥ 32).
                        let k = op.imm as u32 & 31;
                        regs.set(d!(), ((regs.get(d!()) as u32).wrapping_shl(k) as i32).wrapping_shr(k) as i64 as u64);
                        step!(2)
                    }
                    Kind::LddwAddLdxb => indexed_load!(1),
                    Kind::LddwAddLdxh => indexed_load!(2),
                    Kind::LddwAddLdxw => indexed_load!(4),
                    Kind::LddwAddLdxdw => indexed_load!(8),
                    Kind::RodataLdxb => rodata_load!(1),
                    Kind::RodataLdxh => rodata_load!(2),
                    Kind::RodataLdxw => rodata_load!(4),
                    Kind::RodataLdxdw => rodata_load!(8),
                    Kind::LddwAdd => {
                        regs.set(d!(), op.wide().wrapping_add(regs.get(s!())));
                        step!(3)
                    }
                    Kind::MovAdd32R => {
                        regs.set(d!(), (regs.get(s!()) as u32).wrapping_add(regs.get(Reg::of(op.aux)) as u32) as u64);
                        step!(2)
                    }
                    Kind::MovAdd32I => {
                        regs.set(d!(), (regs.get(s!()) as u32).wrapping_add(op.imm as u32) as u64);
                        step!(2)
                    }
                    Kind::Mod32I => {
                        let divisor = op.imm as u32;
                        debug_assert_ne!(divisor, 0, "Mod32I decoded for a zero divisor");
                        // SAFETY: `decode` makes this kind only for a non-zero immediate,
                        // and nothing changes an op's immediate. (Told so, the compiler
                        // drops its zero test: two instructions on a common operation.)
                        unsafe { core::hint::assert_unchecked(divisor != 0) };
                        regs.set(d!(), (regs.get(d!()) as u32 % divisor) as u64)
                    }
                    Kind::Alu64Slow => {
                        let x = if op.aux & SRC_X != 0 { regs.get(s!()) } else { op.imm64() };
                        regs.set(d!(), tri!(alu64(op.aux & OP_MASK, op.off as i16, regs.get(d!()), x, op.imm)));
                    }
                    Kind::Alu32Slow => {
                        let x = if op.aux & SRC_X != 0 { regs.get(s!()) as u32 } else { op.imm as u32 };
                        regs.set(d!(), tri!(alu32(op.aux, op.off as i16, regs.get(d!()), x, op.imm)));
                    }
                    Kind::Ja => {
                        ip = ip.wrapping_offset(target!());
                        charge!();
                    }
                    Kind::JeqR => jump_if!(regs.get(d!()) == regs.get(s!())),
                    Kind::JeqI => jump_if!(regs.get(d!()) == op.imm64()),
                    Kind::LatchEqI => latch!(regs.get(d!()) == op.imm64()),
                    Kind::LatchEq32I => latch!(regs.get(d!()) as u32 == op.imm as u32),
                    Kind::JgtR => jump_if!(regs.get(d!()) > regs.get(s!())),
                    Kind::JgtI => jump_if!(regs.get(d!()) > op.imm64()),
                    Kind::JgeR => jump_if!(regs.get(d!()) >= regs.get(s!())),
                    Kind::JgeI => jump_if!(regs.get(d!()) >= op.imm64()),
                    Kind::JltR => jump_if!(regs.get(d!()) < regs.get(s!())),
                    Kind::JltI => jump_if!(regs.get(d!()) < op.imm64()),
                    Kind::JleR => jump_if!(regs.get(d!()) <= regs.get(s!())),
                    Kind::JleI => jump_if!(regs.get(d!()) <= op.imm64()),
                    Kind::JsetR => jump_if!(regs.get(d!()) & regs.get(s!()) != 0),
                    Kind::JsetI => jump_if!(regs.get(d!()) & op.imm64() != 0),
                    Kind::JneR => jump_if!(regs.get(d!()) != regs.get(s!())),
                    Kind::JneI => jump_if!(regs.get(d!()) != op.imm64()),
                    Kind::JsgtR => jump_if!((regs.get(d!()) as i64) > (regs.get(s!()) as i64)),
                    Kind::JsgtI => jump_if!((regs.get(d!()) as i64) > (op.imm as i64)),
                    Kind::JsgeR => jump_if!((regs.get(d!()) as i64) >= (regs.get(s!()) as i64)),
                    Kind::JsgeI => jump_if!((regs.get(d!()) as i64) >= (op.imm as i64)),
                    Kind::JsltR => jump_if!((regs.get(d!()) as i64) < (regs.get(s!()) as i64)),
                    Kind::JsltI => jump_if!((regs.get(d!()) as i64) < (op.imm as i64)),
                    Kind::JsleR => jump_if!((regs.get(d!()) as i64) <= (regs.get(s!()) as i64)),
                    Kind::JsleI => jump_if!((regs.get(d!()) as i64) <= (op.imm as i64)),
                    Kind::Jeq32R => jump_if!(regs.get(d!()) as u32 == regs.get(s!()) as u32),
                    Kind::Jeq32I => jump_if!(regs.get(d!()) as u32 == op.imm as u32),
                    Kind::Jgt32R => jump_if!(regs.get(d!()) as u32 > regs.get(s!()) as u32),
                    Kind::Jgt32I => jump_if!(regs.get(d!()) as u32 > op.imm as u32),
                    Kind::Jge32R => jump_if!(regs.get(d!()) as u32 >= regs.get(s!()) as u32),
                    Kind::Jge32I => jump_if!(regs.get(d!()) as u32 >= op.imm as u32),
                    Kind::Jlt32R => jump_if!((regs.get(d!()) as u32) < regs.get(s!()) as u32),
                    Kind::Jlt32I => jump_if!((regs.get(d!()) as u32) < op.imm as u32),
                    Kind::Jle32R => jump_if!(regs.get(d!()) as u32 <= regs.get(s!()) as u32),
                    Kind::Jle32I => jump_if!(regs.get(d!()) as u32 <= op.imm as u32),
                    Kind::Jset32R => jump_if!(regs.get(d!()) as u32 & regs.get(s!()) as u32 != 0),
                    Kind::Jset32I => jump_if!(regs.get(d!()) as u32 & op.imm as u32 != 0),
                    Kind::Jne32R => jump_if!(regs.get(d!()) as u32 != regs.get(s!()) as u32),
                    Kind::Jne32I => jump_if!(regs.get(d!()) as u32 != op.imm as u32),
                    Kind::Jsgt32R => jump_if!((regs.get(d!()) as i32) > (regs.get(s!()) as i32)),
                    Kind::Jsgt32I => jump_if!((regs.get(d!()) as i32) > op.imm),
                    Kind::Jsge32R => jump_if!((regs.get(d!()) as i32) >= (regs.get(s!()) as i32)),
                    Kind::Jsge32I => jump_if!((regs.get(d!()) as i32) >= op.imm),
                    Kind::Jslt32R => jump_if!((regs.get(d!()) as i32) < (regs.get(s!()) as i32)),
                    Kind::Jslt32I => jump_if!((regs.get(d!()) as i32) < op.imm),
                    Kind::Jsle32R => jump_if!((regs.get(d!()) as i32) <= (regs.get(s!()) as i32)),
                    Kind::Jsle32I => jump_if!((regs.get(d!()) as i32) <= op.imm),
                    Kind::Ldxb => regs.set(d!(), tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 1))),
                    Kind::Ldxh => regs.set(d!(), tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 2))),
                    Kind::Ldxw => regs.set(d!(), tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 4))),
                    Kind::Ldxdw => regs.set(d!(), tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 8))),
                    Kind::Ldxsb => regs
                        .set(d!(), tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 1)) as u8 as i8 as i64 as u64),
                    Kind::Ldxsh => regs.set(
                        d!(),
                        tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 2)) as u16 as i16 as i64 as u64,
                    ),
                    Kind::Ldxsw => regs.set(
                        d!(),
                        tri!(memory.load(regs.get(s!()).wrapping_add(off!()), 4)) as u32 as i32 as i64 as u64,
                    ),
                    Kind::Stb => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 1, op.imm64())),
                    Kind::Sth => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 2, op.imm64())),
                    Kind::Stw => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 4, op.imm64())),
                    Kind::Stdw => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 8, op.imm64())),
                    Kind::Stxb => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 1, regs.get(s!()))),
                    Kind::Stxh => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 2, regs.get(s!()))),
                    Kind::Stxw => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 4, regs.get(s!()))),
                    Kind::Stxdw => tri!(memory.store(regs.get(d!()).wrapping_add(off!()), 8, regs.get(s!()))),
                    Kind::Atomic32 => {
                        let addr = regs.get(d!()).wrapping_add(off!());
                        tri!(atomic(memory, regs, addr, 4, op.imm, s!() as usize))
                    }
                    Kind::Atomic64 => {
                        let addr = regs.get(d!()).wrapping_add(off!());
                        tri!(atomic(memory, regs, addr, 8, op.imm, s!() as usize))
                    }
                    Kind::Lddw => {
                        regs.set(d!(), op.wide());
                        step!(2)
                    }
                    Kind::CallLocal => {
                        if frames.len() + 1 >= MAX_CALL_DEPTH {
                            break 'run Stop::Fault(pc!(), VmErrorKind::CallDepthExceeded(MAX_CALL_DEPTH));
                        }
                        let new_r10 = regs.get(Reg::R10).wrapping_add(STACK_FRAME_SIZE as u64);
                        if new_r10 > *stack_top {
                            break 'run Stop::Fault(pc!(), VmErrorKind::CallDepthExceeded(frames.len() + 1));
                        }
                        let saved = [Reg::R6, Reg::R7, Reg::R8, Reg::R9].map(|r| regs.get(r));
                        frames.push(Frame { return_pc: pc!() + 1, saved, saved_r10: regs.get(Reg::R10) });
                        regs.set(Reg::R10, new_r10);
                        ip = ip.wrapping_offset(target!());
                        charge!();
                    }
                    Kind::CallHelper | Kind::CallReg => {
                        let id = if op.kind == Kind::CallReg { regs.get(d!()) } else { op.imm as u32 as u64 };
                        if id > u32::MAX as u64 || !allowed.contains(id as u32) {
                            break 'run Stop::Fault(pc!(), VmErrorKind::HelperNotAllowed(id));
                        }
                        let id = id as u32;
                        let args = [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5].map(|r| regs.get(r));
                        match helpers.call(id, &args, memory) {
                            Ok(r0) => {
                                regs.set(Reg::R0, r0);
                                ip = ip.wrapping_add(1);
                                charge!();
                            }
                            Err(HelperError::Exit(r0)) => {
                                regs.set(Reg::R0, r0);
                                break 'run Stop::Exit(r0);
                            }
                            Err(error) => break 'run Stop::Fault(pc!(), VmErrorKind::Helper { id, error }),
                        }
                    }
                    Kind::Exit => match frames.pop() {
                        None => break 'run Stop::Exit(regs.get(Reg::R0)),
                        Some(f) => {
                            for (r, v) in [Reg::R6, Reg::R7, Reg::R8, Reg::R9].into_iter().zip(f.saved) {
                                regs.set(r, v);
                            }
                            regs.set(Reg::R10, f.saved_r10);
                            ip = base.wrapping_add(f.return_pc);
                            charge!();
                        }
                    },
                    Kind::Invalid => break 'run Stop::Fault(pc!(), VmErrorKind::InvalidInstruction(op.aux)),
                    // Where `run_partial` stops. (It names the op, as a fault does: an arm
                    // that only jumps elsewhere with constants would have them set up on
                    // every dispatch.)
                    Kind::Halt => break 'run Stop::Halt(pc!()),
                }
                // On to the next op (fused ops and LDDWs step past their slots themselves).
                ip = ip.wrapping_add(1);
            }
            // Control enters the run at `pc`: charge it, or stop before it when the
            // budget cannot pay for all of it (`interpret` then runs what it can).
            // SAFETY: as for the dispatch above.
            let n = unsafe { (*ip).run } as isize;
            remaining -= n;
            if remaining < 0 {
                remaining += n;
                break Stop::Short;
            }
        };
        *saved_pc = pc!();
        (stop, remaining as usize)
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
    /// Before a run longer than the budget left (pc at its start).
    Short,
    /// At the `Halt` op `run_partial` put at this pc.
    Halt(usize),
}

/// The atomic read-modify-write instructions; `regs[src]` gets the old value for the
/// fetch forms, r0 for compare-exchange.
fn atomic(
    memory: &mut Memory<'_>,
    regs: &mut impl RegisterFile,
    addr: u64,
    size: usize,
    op: i32,
    src: usize,
) -> Result<(), VmErrorKind> {
    let old = memory.load(addr, size)?;
    let s = regs.read(src);
    let new = match op & !ATOMIC_FETCH {
        ATOMIC_ADD => old.wrapping_add(s),
        ATOMIC_OR => old | s,
        ATOMIC_AND => old & s,
        ATOMIC_XOR => old ^ s,
        0xe0 => s,
        0xf0 => {
            let expected = if size == 4 { regs.read(0) as u32 as u64 } else { regs.read(0) };
            regs.write(0, old);
            if old == expected {
                s
            } else {
                old
            }
        }
        _ => return Err(VmErrorKind::InvalidInstruction(CLS_STX | MODE_ATOMIC)),
    };
    memory.store(addr, size, new)?;
    if op & ATOMIC_FETCH != 0 && op != ATOMIC_CMPXCHG {
        regs.write(src, old);
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
    if (d | s) >> 32 == 0 {
        (d as u32 % s as u32) as u64
    } else {
        d % s
    }
}

/// 64-bit arithmetic (RFC 9669 §4.1). Division by zero gives 0; modulo by zero leaves
/// the dividend; signed overflow wraps.
#[inline(always)]
fn alu64(op: u8, off: i16, d: u64, s: u64, imm: i32) -> Result<u64, VmErrorKind> {
    Ok(match op {
        OP_ADD => d.wrapping_add(s),
        OP_SUB => d.wrapping_sub(s),
        OP_MUL => d.wrapping_mul(s),
        OP_DIV if off == 1 => {
            if s == 0 {
                0
            } else {
                (d as i64).wrapping_div(s as i64) as u64
            }
        }
        OP_DIV => udiv64(d, s),
        OP_MOD if off == 1 => {
            if s == 0 {
                d
            } else {
                (d as i64).wrapping_rem(s as i64) as u64
            }
        }
        OP_MOD => {
            if s == 0 {
                d
            } else {
                umod64(d, s)
            }
        }
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
        OP_DIV if off == 1 => {
            if s == 0 {
                0
            } else {
                (d as i32).wrapping_div(s as i32) as u32
            }
        }
        OP_DIV => d.checked_div(s).unwrap_or(0),
        OP_MOD if off == 1 => {
            if s == 0 {
                d
            } else {
                (d as i32).wrapping_rem(s as i32) as u32
            }
        }
        OP_MOD => {
            if s == 0 {
                d
            } else {
                d % s
            }
        }
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

mod decode;
mod regs;
#[cfg(test)]
mod tests;

use decode::{Kind, Op, Reg};
use regs::{RegisterFile, Regs};
