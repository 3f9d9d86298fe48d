//! The verifier: every check that must pass before a program runs.
//!
//! It checks each instruction's fields against RFC 9669 (known opcode, register
//! numbers, no write to r10, fields that must be zero, legal offsets and immediates),
//! then the control flow: jump and call targets inside the program and never into the
//! second slot of an LDDW, no path that falls off the end or from one function into
//! the next, a reachable `exit`, and helper ids in the program's allow-list. It reads any byte string without panicking.
//!
//! What it does not do is prove memory safety: that is enforced at run time by
//! [`crate::Memory`], so the verifier can stay small and the interpreter strict.
use alloc::vec;
use alloc::vec::Vec;

use crate::helpers::HelperSet;
use crate::insn::Insn;
use crate::opcode::*;
use crate::program::Program;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("instruction {pc}: {kind}")]
pub struct VerifyError {
    /// Index of the offending instruction slot.
    pub pc: usize,
    pub kind: VerifyErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyErrorKind {
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    #[error("invalid destination register r{0}")]
    BadDst(u8),
    #[error("invalid source register r{0}")]
    BadSrc(u8),
    #[error("r10 (the frame pointer) is read-only")]
    WriteToR10,
    #[error("field `{0}` must be zero for this opcode")]
    NonZeroField(&'static str),
    #[error("invalid offset {0} for this opcode")]
    BadOffset(i16),
    #[error("invalid immediate {0:#x} for this opcode")]
    BadImmediate(i32),
    #[error("lddw is missing its second slot")]
    IncompleteLddw,
    #[error("malformed second slot of lddw")]
    BadLddwSecondSlot,
    #[error("jump target {0} is outside the program")]
    JumpOutOfBounds(i64),
    #[error("jump target {0} is the second slot of an lddw")]
    JumpIntoLddw(usize),
    #[error("call target {0} is outside the program")]
    CallOutOfBounds(i64),
    #[error("execution can fall off the end of the program")]
    FallsOffEnd,
    #[error("execution can fall from one function into the next (a function ends with exit or ja)")]
    FallsIntoFunction,
    #[error("no exit instruction is reachable")]
    NoReachableExit,
    #[error("helper {0:#x} is not in the program's allow-list")]
    HelperNotAllowed(u32),
    #[error("lddw with pseudo source {0} (maps, BTF) is not supported")]
    UnsupportedPseudoLddw(u8),
    #[error("call with src {0} (kfunc) is not supported")]
    UnsupportedCallKind(u8),
}

use VerifyErrorKind as K;

fn err<T>(pc: usize, kind: VerifyErrorKind) -> Result<T, VerifyError> {
    Err(VerifyError { pc, kind })
}

/// Checks `program` and that it calls only helpers in `allowed`.
pub fn verify(program: &Program, allowed: &HelperSet) -> Result<(), VerifyError> {
    let insns = program.insns();
    let n = insns.len();
    // Which slots start an instruction (false for the second slot of an LDDW).
    let mut starts = vec![true; n];
    let mut pc = 0;
    while pc < n {
        let insn = &insns[pc];
        check_fields(pc, insn, allowed)?;
        if insn.is_wide() {
            let Some(second) = insns.get(pc + 1) else { return err(pc, K::IncompleteLddw) };
            if second.opc != 0 || second.dst() != 0 || second.src() != 0 || second.off != 0 {
                return err(pc + 1, K::BadLddwSecondSlot);
            }
            starts[pc + 1] = false;
            pc += 2;
        } else {
            pc += 1;
        }
    }
    check_control_flow(insns, &starts)
}

fn check_dst_writable(pc: usize, dst: u8) -> Result<(), VerifyError> {
    match dst {
        0..=9 => Ok(()),
        10 => err(pc, K::WriteToR10),
        _ => err(pc, K::BadDst(dst)),
    }
}

fn check_reg(pc: usize, reg: u8, kind: fn(u8) -> VerifyErrorKind) -> Result<(), VerifyError> {
    if reg <= 10 {
        Ok(())
    } else {
        err(pc, kind(reg))
    }
}

fn zero(pc: usize, value: i64, field: &'static str) -> Result<(), VerifyError> {
    if value == 0 {
        Ok(())
    } else {
        err(pc, K::NonZeroField(field))
    }
}

fn check_fields(pc: usize, i: &Insn, allowed: &HelperSet) -> Result<(), VerifyError> {
    match i.class() {
        CLS_ALU | CLS_ALU64 => check_alu(pc, i),
        CLS_JMP | CLS_JMP32 => check_jmp(pc, i, allowed),
        CLS_LD => {
            if !i.is_wide() {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            check_dst_writable(pc, i.dst())?;
            zero(pc, i.off as i64, "off")?;
            if i.opc == LDDW && i.src() != 0 {
                return err(pc, K::UnsupportedPseudoLddw(i.src()));
            }
            zero(pc, i.src() as i64, "src")
        }
        CLS_LDX => {
            let mode = i.opc & MODE_MASK;
            let sz = i.opc & SZ_MASK;
            if !(mode == MODE_MEM || (mode == MODE_MEMSX && sz != SZ_DW)) {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            check_dst_writable(pc, i.dst())?;
            check_reg(pc, i.src(), K::BadSrc)?;
            zero(pc, i.imm as i64, "imm")
        }
        CLS_ST => {
            if i.opc & MODE_MASK != MODE_MEM {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            check_reg(pc, i.dst(), K::BadDst)?;
            zero(pc, i.src() as i64, "src")
        }
        CLS_STX => {
            let mode = i.opc & MODE_MASK;
            let sz = i.opc & SZ_MASK;
            check_reg(pc, i.dst(), K::BadDst)?;
            check_reg(pc, i.src(), K::BadSrc)?;
            match mode {
                MODE_MEM => zero(pc, i.imm as i64, "imm"),
                MODE_ATOMIC if sz == SZ_W || sz == SZ_DW => {
                    let op = i.imm;
                    let known = [ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR]
                        .iter()
                        .any(|&a| op == a || op == a | ATOMIC_FETCH)
                        || op == ATOMIC_XCHG
                        || op == ATOMIC_CMPXCHG;
                    if !known {
                        return err(pc, K::BadImmediate(op));
                    }
                    // Fetch forms, xchg and cmpxchg write the old value back into src
                    // (cmpxchg into r0): r10 must stay the frame pointer.
                    if op & ATOMIC_FETCH != 0 && i.src() == 10 {
                        return err(pc, K::WriteToR10);
                    }
                    Ok(())
                }
                _ => err(pc, K::UnknownOpcode(i.opc)),
            }
        }
        _ => unreachable_class(pc, i.opc),
    }
}

fn unreachable_class(pc: usize, opc: u8) -> Result<(), VerifyError> {
    // All eight classes are matched above; kept as an error rather than a panic.
    err(pc, K::UnknownOpcode(opc))
}

fn check_alu(pc: usize, i: &Insn) -> Result<(), VerifyError> {
    let is64 = i.class() == CLS_ALU64;
    let op = i.opc & OP_MASK;
    let x = i.opc & SRC_X != 0;
    check_dst_writable(pc, i.dst())?;
    match op {
        OP_NEG => {
            if x {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            zero(pc, i.src() as i64, "src")?;
            zero(pc, i.off as i64, "off")?;
            zero(pc, i.imm as i64, "imm")
        }
        OP_END => {
            // ALU64 END is the unconditional byte swap and has no source bit.
            if is64 && x {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            zero(pc, i.src() as i64, "src")?;
            zero(pc, i.off as i64, "off")?;
            if matches!(i.imm, 16 | 32 | 64) {
                Ok(())
            } else {
                err(pc, K::BadImmediate(i.imm))
            }
        }
        OP_ADD | OP_SUB | OP_MUL | OP_DIV | OP_OR | OP_AND | OP_LSH | OP_RSH | OP_MOD | OP_XOR | OP_MOV | OP_ARSH => {
            if x {
                check_reg(pc, i.src(), K::BadSrc)?;
                zero(pc, i.imm as i64, "imm")?;
            } else {
                zero(pc, i.src() as i64, "src")?;
            }
            let off_ok = match op {
                // sdiv / smod
                OP_DIV | OP_MOD => matches!(i.off, 0 | 1),
                // movsx: sign-extend 8/16 (and 32 for ALU64) bits of a register
                OP_MOV if x => matches!(i.off, 0 | 8 | 16) || (is64 && i.off == 32),
                _ => i.off == 0,
            };
            if off_ok {
                Ok(())
            } else {
                err(pc, K::BadOffset(i.off))
            }
        }
        _ => err(pc, K::UnknownOpcode(i.opc)),
    }
}

fn check_jmp(pc: usize, i: &Insn, allowed: &HelperSet) -> Result<(), VerifyError> {
    let is32 = i.class() == CLS_JMP32;
    let op = i.opc & OP_MASK;
    let x = i.opc & SRC_X != 0;
    match op {
        JA => {
            if x {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            zero(pc, i.dst() as i64, "dst")?;
            zero(pc, i.src() as i64, "src")?;
            if is32 {
                zero(pc, i.off as i64, "off")
            } else {
                zero(pc, i.imm as i64, "imm")
            }
        }
        CALL if !is32 => {
            zero(pc, i.off as i64, "off")?;
            if x {
                // callx: the helper id is in dst.
                zero(pc, i.src() as i64, "src")?;
                zero(pc, i.imm as i64, "imm")?;
                return check_reg(pc, i.dst(), K::BadDst);
            }
            zero(pc, i.dst() as i64, "dst")?;
            match i.src() {
                CALL_HELPER if allowed.contains(i.imm as u32) => Ok(()),
                CALL_HELPER => err(pc, K::HelperNotAllowed(i.imm as u32)),
                CALL_LOCAL => Ok(()),
                other => err(pc, K::UnsupportedCallKind(other)),
            }
        }
        EXIT if !is32 => {
            if x {
                return err(pc, K::UnknownOpcode(i.opc));
            }
            zero(pc, i.dst() as i64, "dst")?;
            zero(pc, i.src() as i64, "src")?;
            zero(pc, i.off as i64, "off")?;
            zero(pc, i.imm as i64, "imm")
        }
        JEQ | JGT | JGE | JSET | JNE | JSGT | JSGE | JLT | JLE | JSLT | JSLE => {
            check_reg(pc, i.dst(), K::BadDst)?;
            if x {
                check_reg(pc, i.src(), K::BadSrc)?;
                zero(pc, i.imm as i64, "imm")
            } else {
                zero(pc, i.src() as i64, "src")
            }
        }
        _ => err(pc, K::UnknownOpcode(i.opc)),
    }
}

/// The next slot (unless control cannot fall through) and the target of a jump or
/// local call, unchecked: either may lie outside the program.
fn successors(pc: usize, i: &Insn) -> (Option<i64>, Option<i64>) {
    let next = i.falls_through().then(|| i.next_pc(pc) as i64);
    (next, i.jump_offset().map(|o| pc as i64 + 1 + o))
}

fn check_control_flow(insns: &[Insn], starts: &[bool]) -> Result<(), VerifyError> {
    let n = insns.len();
    let valid_target = |pc: usize, t: i64, is_call: bool| -> Result<usize, VerifyError> {
        if t < 0 || t >= n as i64 {
            return err(pc, if is_call { K::CallOutOfBounds(t) } else { K::JumpOutOfBounds(t) });
        }
        let t = t as usize;
        if !starts[t] {
            return err(pc, K::JumpIntoLddw(t));
        }
        Ok(t)
    };
    // Every instruction's successors must be instruction starts inside the program.
    for pc in (0..n).filter(|&pc| starts[pc]) {
        let i = &insns[pc];
        let (next, target) = successors(pc, i);
        if let Some(next) = next {
            if next >= n as i64 {
                return err(pc, K::FallsOffEnd);
            }
        }
        if let Some(t) = target {
            let is_call = i.class() == CLS_JMP && i.opc & OP_MASK == CALL;
            valid_target(pc, t, is_call)?;
        }
    }
    check_functions(insns, starts)?;
    // A reachable exit.
    let mut seen = vec![false; n];
    let mut work: Vec<usize> = vec![0];
    while let Some(pc) = work.pop() {
        if seen[pc] {
            continue;
        }
        seen[pc] = true;
        let i = &insns[pc];
        if i.opc == EXIT_OP {
            return Ok(());
        }
        let (next, target) = successors(pc, i);
        // Both were checked above to be valid instruction starts.
        work.extend(next.into_iter().chain(target).map(|t| t as usize));
    }
    err(0, K::NoReachableExit)
}

/// Functions are the entry and every local call's target, each running up to the
/// next. As the Linux verifier and uBPF require, no instruction falls (or returns from
/// a call) into the next function: a function ends with `exit` or an unconditional
/// jump. Jumps between functions stay allowed: the ELF loader's images start with a
/// `ja` over the functions it placed before the entry.
fn check_functions(insns: &[Insn], starts: &[bool]) -> Result<(), VerifyError> {
    let n = insns.len();
    let mut function_start = vec![false; n];
    if n > 0 {
        function_start[0] = true;
    }
    for pc in (0..n).filter(|&pc| starts[pc]) {
        if let Some(t) = insns[pc].jump_target(pc).filter(|_| insns[pc].is_local_call()) {
            function_start[t] = true;
        }
    }
    for pc in (0..n).filter(|&pc| starts[pc]) {
        let i = &insns[pc];
        let (next, _) = successors(pc, i);
        if next.is_some_and(|next| (next as usize) < n && function_start[next as usize]) {
            return err(pc, K::FallsIntoFunction);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
