//! An assembler for the syntax of the conformance suite (uBPF/rbpf style):
//! `mov %r0, 1`, `ldxb %r0, [%r1+2]`, `lddw %r0, 0x1122334455667788`, `lddwr %r0, 16`
//! (an address 16 bytes into `.rodata`; `lddwd` for `.data`),
//! `jne %r0, 15, label`, `call 5`, `call local f`, `call %r2`,
//! `lock fetch add32 [%r10-4], %r1`, labels `name:`, comments after `#`.
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::insn::Insn;
use crate::opcode::*;

/// An assembly error, with the 1-based source line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AsmError {
    pub line: usize,
    pub message: String,
}

/// Assembles source text into instruction slots.
pub fn assemble(src: &str) -> Result<Vec<Insn>, AsmError> {
    // Pass 1: labels to slot indices.
    let mut labels = BTreeMap::new();
    let mut exits = Vec::new();
    let mut lines = Vec::new();
    let mut slot = 0usize;
    for (n, raw) in src.lines().enumerate() {
        let mut text = strip_comment(raw).trim();
        while let Some(colon) = label_end(text) {
            let name = text[..colon].trim();
            labels.insert(name.to_string(), slot);
            text = text[colon + 1..].trim();
        }
        if text.is_empty() {
            continue;
        }
        let mnemonic = text.split_whitespace().next().unwrap_or("");
        if mnemonic == "exit" {
            exits.push(slot);
        }
        slot += if matches!(mnemonic, "lddw" | "lddwd" | "lddwr") { 2 } else { 1 };
        lines.push((n + 1, text));
    }
    // Pass 2: encode.
    let mut out = Vec::with_capacity(slot);
    for (line, text) in lines {
        let pc = out.len();
        let e = |message: String| AsmError { line, message };
        let insns = encode_line(text, pc, &Labels { named: &labels, exits: &exits }).map_err(e)?;
        out.extend(insns);
    }
    Ok(out)
}

fn strip_comment(line: &str) -> &str {
    let cut = [line.find('#'), line.find("//"), line.find(';')].into_iter().flatten().min();
    match cut {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The position of a `label:` colon at the start of a line.
fn label_end(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let name = &text[..colon];
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')).then_some(colon)
}

/// Label positions, and the exit instructions for the suite's convention that a jump
/// to `exit` with no such label goes to the next exit instruction.
struct Labels<'a> {
    named: &'a BTreeMap<String, usize>,
    exits: &'a [usize],
}

impl Labels<'_> {
    fn resolve(&self, name: &str, pc: usize) -> Option<usize> {
        self.named
            .get(name)
            .copied()
            .or_else(|| (name == "exit").then(|| self.exits.iter().copied().find(|&at| at > pc)).flatten())
    }
}

fn encode_line(text: &str, pc: usize, labels: &Labels<'_>) -> Result<Vec<Insn>, String> {
    let (mnemonic, rest) = match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    };
    if mnemonic == "lock" {
        return Ok(alloc::vec![encode_atomic(rest)?]);
    }
    let ops: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split(',').map(str::trim).collect() };
    let want = |n: usize| -> Result<(), String> {
        if ops.len() == n {
            Ok(())
        } else {
            Err(format!("`{mnemonic}` takes {n} operand(s), got {}", ops.len()))
        }
    };
    let one = |i: Insn| Ok(alloc::vec![i]);

    // ALU, 64- and 32-bit.
    let (base, is32) = match mnemonic.strip_suffix("32") {
        Some(b) if !mnemonic.starts_with("movsx") => (b, true),
        _ => (mnemonic, false),
    };
    let alu_cls = if is32 { CLS_ALU } else { CLS_ALU64 };
    let alu_op = match base {
        "add" => Some((OP_ADD, 0)),
        "sub" => Some((OP_SUB, 0)),
        "mul" => Some((OP_MUL, 0)),
        "div" => Some((OP_DIV, 0)),
        "sdiv" => Some((OP_DIV, 1)),
        "or" => Some((OP_OR, 0)),
        "and" => Some((OP_AND, 0)),
        "lsh" => Some((OP_LSH, 0)),
        "rsh" => Some((OP_RSH, 0)),
        "mod" => Some((OP_MOD, 0)),
        "smod" => Some((OP_MOD, 1)),
        "xor" => Some((OP_XOR, 0)),
        "mov" => Some((OP_MOV, 0)),
        "arsh" => Some((OP_ARSH, 0)),
        _ => None,
    };
    if let Some((op, off)) = alu_op {
        want(2)?;
        let dst = reg(ops[0])?;
        return one(match reg(ops[1]) {
            Ok(src) => Insn::new(alu_cls | op | SRC_X, dst, src, off, 0),
            Err(_) => Insn::new(alu_cls | op | SRC_K, dst, 0, off, imm32(ops[1])?),
        });
    }
    if base == "neg" {
        want(1)?;
        return one(Insn::new(alu_cls | OP_NEG, reg(ops[0])?, 0, 0, 0));
    }
    if let Some(sx) = mnemonic.strip_prefix("movsx") {
        let (bits, cls) = match sx {
            "832" => (8, CLS_ALU),
            "1632" => (16, CLS_ALU),
            "864" => (8, CLS_ALU64),
            "1664" => (16, CLS_ALU64),
            "3264" => (32, CLS_ALU64),
            _ => return Err(format!("unknown instruction `{mnemonic}`")),
        };
        want(2)?;
        return one(Insn::new(cls | OP_MOV | SRC_X, reg(ops[0])?, reg(ops[1])?, bits, 0));
    }
    for (prefix, opc) in [
        ("le", CLS_ALU | OP_END),
        ("be", CLS_ALU | OP_END | SRC_X),
        ("bswap", CLS_ALU64 | OP_END),
        ("swap", CLS_ALU64 | OP_END),
    ] {
        if let Some(bits) = mnemonic.strip_prefix(prefix) {
            if let Ok(bits @ (16 | 32 | 64)) = bits.parse::<i32>() {
                want(1)?;
                return one(Insn::new(opc, reg(ops[0])?, 0, 0, bits));
            }
        }
    }
    // Loads and stores.
    let size = |s: &str| match s {
        "b" => Some(SZ_B),
        "h" => Some(SZ_H),
        "w" => Some(SZ_W),
        "dw" => Some(SZ_DW),
        _ => None,
    };
    if let Some(sz) = mnemonic.strip_prefix("ldxs").and_then(size) {
        want(2)?;
        let (src, off) = mem(ops[1])?;
        return one(Insn::new(CLS_LDX | MODE_MEMSX | sz, reg(ops[0])?, src, off, 0));
    }
    if let Some(sz) = mnemonic.strip_prefix("ldx").and_then(size) {
        want(2)?;
        let (src, off) = mem(ops[1])?;
        return one(Insn::new(CLS_LDX | MODE_MEM | sz, reg(ops[0])?, src, off, 0));
    }
    if let Some(sz) = mnemonic.strip_prefix("stx").and_then(size) {
        want(2)?;
        let (dst, off) = mem(ops[0])?;
        return one(Insn::new(CLS_STX | MODE_MEM | sz, dst, reg(ops[1])?, off, 0));
    }
    if let Some(sz) = mnemonic.strip_prefix("st").and_then(size) {
        want(2)?;
        let (dst, off) = mem(ops[0])?;
        return one(Insn::new(CLS_ST | MODE_MEM | sz, dst, 0, off, imm32(ops[1])?));
    }
    match mnemonic {
        "lddw" => {
            want(2)?;
            let v = int(ops[1])? as u64;
            return Ok(alloc::vec![
                Insn::new(LDDW, reg(ops[0])?, 0, 0, v as u32 as i32),
                Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32),
            ]);
        }
        // An address in `.data` / `.rodata`: the offset into it (what `disasm` prints).
        "lddwd" | "lddwr" => {
            want(2)?;
            let opc = if mnemonic == "lddwd" { LDDWD } else { LDDWR };
            return Ok(alloc::vec![Insn::new(opc, reg(ops[0])?, 0, 0, imm32(ops[1])?), Insn::new(0, 0, 0, 0, 0)]);
        }
        "exit" => {
            want(0)?;
            return one(Insn::new(EXIT_OP, 0, 0, 0, 0));
        }
        "ja" => {
            want(1)?;
            return one(Insn::new(JA64, 0, 0, jump_off16(ops[0], pc, labels)?, 0));
        }
        "ja32" => {
            want(1)?;
            return one(Insn::new(JA32, 0, 0, 0, jump_off(ops[0], pc, labels)? as i32));
        }
        "call" => {
            want(1)?;
            if let Some(label) = ops[0].strip_prefix("local") {
                let off = jump_off(label.trim(), pc, labels)?;
                return one(Insn::new(CALL_IMM, 0, CALL_LOCAL, 0, off as i32));
            }
            if let Ok(r) = reg(ops[0]) {
                return one(Insn::new(CALL_REG, r, 0, 0, 0));
            }
            let id = match crate::helpers::helper_id(ops[0]) {
                Some(id) => id as i32,
                None => imm32(ops[0])?,
            };
            return one(Insn::new(CALL_IMM, 0, CALL_HELPER, 0, id));
        }
        _ => {}
    }
    let (jbase, jcls) = match mnemonic.strip_suffix("32") {
        Some(b) => (b, CLS_JMP32),
        None => (mnemonic, CLS_JMP),
    };
    let jop = match jbase {
        "jeq" => JEQ,
        "jgt" => JGT,
        "jge" => JGE,
        "jset" => JSET,
        "jne" => JNE,
        "jsgt" => JSGT,
        "jsge" => JSGE,
        "jlt" => JLT,
        "jle" => JLE,
        "jslt" => JSLT,
        "jsle" => JSLE,
        _ => return Err(format!("unknown instruction `{mnemonic}`")),
    };
    want(3)?;
    let dst = reg(ops[0])?;
    let off = jump_off16(ops[2], pc, labels)?;
    Ok(alloc::vec![match reg(ops[1]) {
        Ok(src) => Insn::new(jcls | jop | SRC_X, dst, src, off, 0),
        Err(_) => Insn::new(jcls | jop | SRC_K, dst, 0, off, imm32(ops[1])?),
    }])
}

fn encode_atomic(rest: &str) -> Result<Insn, String> {
    // "[fetch] op[32] [dst+off], src"
    let (head, ops) = rest.split_once('[').ok_or("expected a memory operand")?;
    let words: Vec<&str> = head.split_whitespace().collect();
    let (fetch, name) = match words.as_slice() {
        ["fetch", name] => (true, *name),
        [name] => (false, *name),
        _ => return Err(format!("bad atomic instruction `lock {rest}`")),
    };
    let (name, sz) = match name.strip_suffix("32") {
        Some(n) => (n, SZ_W),
        None => (name, SZ_DW),
    };
    let op = match (name, fetch) {
        ("add", _) => ATOMIC_ADD,
        ("or", _) => ATOMIC_OR,
        ("and", _) => ATOMIC_AND,
        ("xor", _) => ATOMIC_XOR,
        ("xchg", false) => ATOMIC_XCHG,
        ("cmpxchg", false) => ATOMIC_CMPXCHG,
        _ => return Err(format!("unknown atomic operation `{name}`")),
    } | if fetch { ATOMIC_FETCH } else { 0 };
    let ops = format!("[{ops}");
    let (m, s) = ops.split_once(',').ok_or("atomic takes a memory operand and a register")?;
    let (dst, off) = mem(m.trim())?;
    Ok(Insn::new(CLS_STX | MODE_ATOMIC | sz, dst, reg(s.trim())?, off, op))
}

fn reg(s: &str) -> Result<u8, String> {
    let s = s.trim();
    let n = s
        .strip_prefix("%r")
        .or_else(|| s.strip_prefix('r'))
        .ok_or_else(|| format!("expected a register, got `{s}`"))?;
    match n.parse::<u8>() {
        Ok(r) if r <= 10 => Ok(r),
        _ => Err(format!("invalid register `{s}`")),
    }
}

/// `[%rN]`, `[%rN+off]`, `[%rN-off]`.
fn mem(s: &str) -> Result<(u8, i16), String> {
    let inner = s
        .trim()
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| format!("expected `[reg+off]`, got `{s}`"))?;
    let split = inner.find(['+', '-']);
    let (r, off) = match split {
        Some(i) => (&inner[..i], int(&inner[i..])?),
        None => (inner, 0),
    };
    let off = i16::try_from(off).map_err(|_| format!("offset {off} does not fit in 16 bits"))?;
    Ok((reg(r)?, off))
}

/// An integer: decimal or 0x-hex, with an optional sign; up to 64 bits either way.
fn int(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body.trim();
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else {
        body.parse::<u64>()
    }
    .map_err(|_| format!("invalid number `{s}`"))?;
    Ok(if neg { (v as i64).wrapping_neg() } else { v as i64 })
}

/// A 32-bit immediate: anything from -2^31 to 2^32-1 (upper values wrap, as the
/// suite writes `0x80000000` for the bit pattern).
fn imm32(s: &str) -> Result<i32, String> {
    let v = int(s)?;
    if (i32::MIN as i64..=u32::MAX as i64).contains(&v) {
        Ok(v as i32)
    } else {
        Err(format!("immediate `{s}` does not fit in 32 bits"))
    }
}

fn jump_off(target: &str, pc: usize, labels: &Labels<'_>) -> Result<i64, String> {
    let t = target.trim();
    if t.starts_with(['+', '-']) || t.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return int(t);
    }
    labels.resolve(t, pc).map(|at| at as i64 - (pc as i64 + 1)).ok_or_else(|| format!("unknown label `{t}`"))
}

fn jump_off16(target: &str, pc: usize, labels: &Labels<'_>) -> Result<i16, String> {
    let off = jump_off(target, pc, labels)?;
    i16::try_from(off).map_err(|_| format!("jump offset {off} does not fit in 16 bits (use ja32)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_the_suite_syntax() {
        let p = assemble(
            "mov %r0, 0\nlddw %r1, 0x1122334455667788\nl: add32 %r0, -3 # c\njne %r0, 0x80000000, l\n\
             ldxh %r2, [%r1+0x2]\nstxdw [%r10-8], %r1\nlock fetch add32 [%r10-4], %r1\ncall local f\nexit\nf: call %r2\nexit",
        )
        .unwrap();
        assert_eq!(p[0], Insn::new(0xb7, 0, 0, 0, 0));
        assert_eq!(p[1], Insn::new(0x18, 1, 0, 0, 0x55667788));
        assert_eq!(p[2], Insn::new(0, 0, 0, 0, 0x11223344));
        assert_eq!(p[3], Insn::new(0x04, 0, 0, 0, -3));
        assert_eq!(p[4], Insn::new(0x55, 0, 0, -2, i32::MIN));
        assert_eq!(p[5], Insn::new(0x69, 2, 1, 2, 0));
        assert_eq!(p[6], Insn::new(0x7b, 10, 1, -8, 0));
        assert_eq!(p[7], Insn::new(0xc3, 10, 1, -4, 0x01));
        assert_eq!(p[8], Insn::new(0x85, 0, 1, 0, 1));
        assert_eq!(p[10], Insn::new(0x8d, 2, 0, 0, 0));
    }

    #[test]
    fn section_addresses_assemble_as_the_disassembler_prints_them() {
        let p = assemble("lddwr %r4, 0x10\nlddwd %r1, 8\nexit").unwrap();
        assert_eq!(p[0], Insn::new(LDDWR, 4, 0, 0, 0x10));
        assert_eq!(p[2], Insn::new(LDDWD, 1, 0, 0, 8));
        assert_eq!(crate::disasm::disassemble(&p)[0], "lddwr %r4, 0x10");
    }

    #[test]
    fn errors_name_the_line() {
        let e = assemble("mov %r0, 1\nfrob %r1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(assemble("jeq %r0, 1, nowhere").unwrap_err().message.contains("nowhere"));
        assert!(assemble("mov %r11, 1").is_err());
        assert!(assemble("ldxb %r0, [%r1+70000]").is_err());
        assert!(assemble("mov %r0, 0x100000000").is_err());
    }
}
