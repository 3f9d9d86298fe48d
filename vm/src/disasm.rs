//! A disassembler producing the syntax [`crate::asm`] reads, so text round-trips.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::insn::Insn;
use crate::opcode::*;

fn alu_name(op: u8, off: i16) -> Option<&'static str> {
    Some(match (op, off) {
        (OP_ADD, _) => "add",
        (OP_SUB, _) => "sub",
        (OP_MUL, _) => "mul",
        (OP_DIV, 1) => "sdiv",
        (OP_DIV, _) => "div",
        (OP_OR, _) => "or",
        (OP_AND, _) => "and",
        (OP_LSH, _) => "lsh",
        (OP_RSH, _) => "rsh",
        (OP_MOD, 1) => "smod",
        (OP_MOD, _) => "mod",
        (OP_XOR, _) => "xor",
        (OP_MOV, _) => "mov",
        (OP_ARSH, _) => "arsh",
        _ => return None,
    })
}

fn jmp_name(op: u8) -> Option<&'static str> {
    Some(match op {
        JEQ => "jeq",
        JGT => "jgt",
        JGE => "jge",
        JSET => "jset",
        JNE => "jne",
        JSGT => "jsgt",
        JSGE => "jsge",
        JLT => "jlt",
        JLE => "jle",
        JSLT => "jslt",
        JSLE => "jsle",
        _ => return None,
    })
}

fn size_suffix(opc: u8) -> &'static str {
    match opc & SZ_MASK {
        SZ_B => "b",
        SZ_H => "h",
        SZ_W => "w",
        _ => "dw",
    }
}

fn mem(reg: u8, off: i16) -> String {
    if off < 0 {
        format!("[%r{reg}-{}]", -(off as i32))
    } else {
        format!("[%r{reg}+{off}]")
    }
}

fn rel(off: i64) -> String {
    if off < 0 {
        format!("{off}")
    } else {
        format!("+{off}")
    }
}

/// Disassembles one instruction; `next` is the following slot (for lddw).
pub fn disassemble_insn(i: &Insn, next: Option<&Insn>) -> String {
    let (d, s) = (i.dst(), i.src());
    let x = i.opc & SRC_X != 0;
    let op = i.opc & OP_MASK;
    let unknown = || format!(".insn {:#04x}, {}, {}, {}, {:#x}", i.opc, d, s, i.off, i.imm);
    match i.class() {
        CLS_ALU | CLS_ALU64 => {
            let sfx = if i.class() == CLS_ALU { "32" } else { "" };
            if op == OP_NEG {
                return format!("neg{sfx} %r{d}");
            }
            if op == OP_END {
                let kind = match (i.class(), x) {
                    (CLS_ALU64, _) => "bswap",
                    (_, true) => "be",
                    _ => "le",
                };
                return format!("{kind}{} %r{d}", i.imm);
            }
            if op == OP_MOV && x && i.off != 0 {
                let to = if i.class() == CLS_ALU { 32 } else { 64 };
                return format!("movsx{}{to} %r{d}, %r{s}", i.off);
            }
            match alu_name(op, i.off) {
                Some(n) if x => format!("{n}{sfx} %r{d}, %r{s}"),
                Some(n) if i.class() == CLS_ALU => format!("{n}{sfx} %r{d}, {:#x}", i.imm as u32),
                Some(n) => format!("{n}{sfx} %r{d}, {}", i.imm),
                None => unknown(),
            }
        }
        CLS_JMP | CLS_JMP32 => {
            let sfx = if i.class() == CLS_JMP32 { "32" } else { "" };
            match op {
                JA if i.class() == CLS_JMP32 => format!("ja32 {}", rel(i.imm as i64)),
                JA => format!("ja {}", rel(i.off as i64)),
                CALL if x => format!("call %r{d}"),
                CALL if s == CALL_LOCAL => format!("call local {}", rel(i.imm as i64)),
                CALL => match crate::helpers::helper_name(i.imm as u32) {
                    Some(name) => format!("call {} # {name}", i.imm),
                    None => format!("call {}", i.imm),
                },
                EXIT => String::from("exit"),
                _ => match jmp_name(op) {
                    Some(n) if x => format!("{n}{sfx} %r{d}, %r{s}, {}", rel(i.off as i64)),
                    Some(n) => format!("{n}{sfx} %r{d}, {:#x}, {}", i.imm as u32, rel(i.off as i64)),
                    None => unknown(),
                },
            }
        }
        CLS_LD if i.is_wide() => {
            let hi = next.map(|n| n.imm as u32 as u64).unwrap_or(0);
            match i.opc {
                LDDW => format!("lddw %r{d}, {:#x}", (i.imm as u32 as u64) | (hi << 32)),
                LDDWD => format!("lddwd %r{d}, {:#x}", i.imm as u32),
                _ => format!("lddwr %r{d}, {:#x}", i.imm as u32),
            }
        }
        CLS_LDX => {
            let sx = if i.opc & MODE_MASK == MODE_MEMSX { "s" } else { "" };
            format!("ldx{sx}{} %r{d}, {}", size_suffix(i.opc), mem(s, i.off))
        }
        CLS_ST => format!("st{} {}, {}", size_suffix(i.opc), mem(d, i.off), i.imm),
        CLS_STX if i.opc & MODE_MASK == MODE_ATOMIC => {
            let sfx = if i.opc & SZ_MASK == SZ_W { "32" } else { "" };
            let name = match i.imm {
                ATOMIC_XCHG => "xchg",
                ATOMIC_CMPXCHG => "cmpxchg",
                other => match other & !ATOMIC_FETCH {
                    ATOMIC_ADD => {
                        if other & ATOMIC_FETCH != 0 {
                            "fetch add"
                        } else {
                            "add"
                        }
                    }
                    ATOMIC_OR => {
                        if other & ATOMIC_FETCH != 0 {
                            "fetch or"
                        } else {
                            "or"
                        }
                    }
                    ATOMIC_AND => {
                        if other & ATOMIC_FETCH != 0 {
                            "fetch and"
                        } else {
                            "and"
                        }
                    }
                    ATOMIC_XOR => {
                        if other & ATOMIC_FETCH != 0 {
                            "fetch xor"
                        } else {
                            "xor"
                        }
                    }
                    _ => return unknown(),
                },
            };
            format!("lock {name}{sfx} {}, %r{s}", mem(d, i.off))
        }
        CLS_STX => format!("stx{} {}, %r{s}", size_suffix(i.opc), mem(d, i.off)),
        _ => unknown(),
    }
}

/// Disassembles a program, one line per instruction (the second slot of an lddw is
/// part of its line).
pub fn disassemble(insns: &[Insn]) -> Vec<String> {
    let mut out = Vec::new();
    let mut pc = 0;
    while pc < insns.len() {
        let i = &insns[pc];
        out.push(disassemble_insn(i, insns.get(pc + 1)));
        pc = i.next_pc(pc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::assemble;

    /// Text → bytes → text → bytes gives the same bytes.
    #[test]
    fn round_trips_through_the_assembler() {
        let src = "mov %r0, 1\nmov32 %r1, -1\nlddw %r2, 0x1122334455667788\nneg32 %r0\nbe16 %r0\nle64 %r1\n\
                   bswap32 %r2\nmovsx832 %r1, %r2\nmovsx3264 %r1, %r2\nsdiv %r1, -3\nsmod32 %r1, %r2\n\
                   ldxsh %r3, [%r1-4]\nstw [%r10-8], 7\nstxb [%r10-1], %r3\nlock fetch xor [%r10-8], %r3\n\
                   lock cmpxchg32 [%r10-8], %r1\njsle32 %r1, 5, +1\nja -3\nja32 +0\ncall 5\ncall local +1\ncall %r3\nexit";
        let bytes = assemble(src).unwrap();
        let text = disassemble(&bytes).join("\n");
        let again = assemble(&text).unwrap();
        assert_eq!(bytes, again, "{text}");
    }
}
