//! Compiled code as text: each eBPF instruction followed by the Thumb-2 it became,
//! as `mbpf jit --disasm` prints it and the golden lowering tests (`jit/tests/lowering`)
//! compare it. The disassembler is passed in (the host uses LLVM's `llvm-mc`), so this
//! module stays `no_std`.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use crate::Compiled;

/// Whether a halfword starts a 16-bit instruction: a 32-bit one starts with a
/// halfword whose top five bits are 0b11101, 0b11110 or 0b11111.
pub fn is_narrow(halfword: u16) -> bool {
    halfword >> 11 < 0b11101
}

/// The code as `llvm-mc --disassemble` reads it: one instruction a line, each byte as
/// `0xNN`.
pub fn llvm_mc_input(code: &[u8]) -> String {
    let mut text = String::new();
    let mut at = 0;
    while at + 1 < code.len() {
        let n = if is_narrow(halfword_at(code, at)) { 2 } else { 4 };
        let bytes: Vec<String> = code[at..(at + n).min(code.len())].iter().map(|b| format!("0x{b:02x}")).collect();
        text.push_str(&bytes.join(" "));
        text.push('\n');
        at += n;
    }
    text
}

/// `llvm-mc --disassemble`'s output as one line per instruction: directives and blank
/// lines dropped, tabs as spaces.
pub fn llvm_mc_output(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().replace('\t', " ")).filter(|l| !l.is_empty() && !l.starts_with('.')).collect()
}

fn halfword_at(code: &[u8], at: usize) -> u16 {
    code.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).unwrap_or(0)
}

/// The listing: every eBPF instruction (`pc: text`) at the offset its code starts,
/// then that code, one disassembled line per Thumb-2 instruction (`offset  text`).
/// `disassembly` holds one line per instruction of `compiled.code`, in order.
pub fn listing(program: &vm::Program, compiled: &Compiled, disassembly: &[String]) -> String {
    let mut out = String::new();
    let insns = program.insns();
    let (mut at, mut pc) = (0usize, 0usize);
    for line in disassembly {
        while pc < insns.len() && compiled.insn_offsets[pc] as usize == at {
            let _ = writeln!(out, "{pc:>5}: {}", vm::disasm::disassemble_insn(&insns[pc], insns.get(pc + 1)));
            pc = insns[pc].next_pc(pc);
        }
        let _ = writeln!(out, "       {at:>5}  {line}");
        at += if is_narrow(halfword_at(&compiled.code, at)) { 2 } else { 4 };
    }
    out
}
