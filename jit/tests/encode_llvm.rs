//! Every encoder against LLVM's disassembler: (our encoding, the text it must
//! disassemble to). `llvm-mc --disassemble --triple=thumbv7em-none-eabihf` reads the
//! bytes in memory order (hw1 little-endian, then hw2), exactly as the buffer emits them.
//! Set MBPF_LLVM_MC to pick the tool; Debian's llvm-19 provides llvm-mc-19.
use std::io::Write;
use std::process::{Command, Stdio};

use jit::thumb2::cond::Cond;
use jit::thumb2::encode::*;
use jit::thumb2::imm::{ModImm, NegOff8, Off12};
use jit::thumb2::regs::*;
use jit::thumb2::Enc;

fn m(v: u32) -> ModImm {
    ModImm::maybe_from(v).unwrap()
}

fn table() -> Vec<(Enc, &'static str)> {
    vec![
        (movw(R0, 0x1234), "movw r0, #4660"),
        (movw(R11, 0xffff), "movw r11, #65535"),
        (movt(R3, 0x8000), "movt r3, #32768"),
        (mov_imm(Flags::Keep, R2, m(0xff00ff00)), "mov.w r2, #4278255360"),
        (mvn_imm(Flags::Keep, R2, m(0)), "mvn r2, #0"),
        (mov_reg16(R8, R1), "mov r8, r1"),
        (mov_reg16(R1, R12), "mov r1, r12"),
        (mov_reg_shifted(Flags::Keep, R1, R2, Shift::Lsl, 3), "lsl.w r1, r2, #3"),
        (mov_reg_shifted(Flags::Keep, R1, R2, Shift::Asr, 31), "asr.w r1, r2, #31"),
        (dp_imm(DpOp::Add, Flags::Keep, R1, R2, m(0x3fc)), "add.w r1, r2, #1020"),
        (dp_imm(DpOp::Add, Flags::Set, R0, R0, m(1)), "adds.w r0, r0, #1"),
        (dp_imm(DpOp::Adc, Flags::Keep, R1, R1, m(0)), "adc r1, r1, #0"),
        (dp_imm(DpOp::Sub, Flags::Set, R4, R5, m(0x80000000)), "subs.w r4, r5, #2147483648"),
        (dp_imm(DpOp::And, Flags::Keep, R6, R7, m(0xff)), "and r6, r7, #255"),
        (dp_imm(DpOp::Eor, Flags::Keep, R6, R7, m(0xabababab)), "eor r6, r7, #2880154539"),
        (dp_reg(DpOp::Add, Flags::Set, R0, R2, R4, Shift::Lsl, 0), "adds.w r0, r2, r4"),
        (dp_reg(DpOp::Adc, Flags::Keep, R1, R3, R5, Shift::Lsl, 0), "adc.w r1, r3, r5"),
        (dp_reg(DpOp::Sub, Flags::Set, R0, R2, R4, Shift::Lsl, 0), "subs.w r0, r2, r4"),
        (dp_reg(DpOp::Sbc, Flags::Keep, R1, R3, R5, Shift::Lsl, 0), "sbc.w r1, r3, r5"),
        (dp_reg(DpOp::Orr, Flags::Keep, R9, R10, R11, Shift::Lsr, 4), "orr.w r9, r10, r11, lsr #4"),
        (dp_reg(DpOp::Eor, Flags::Keep, R0, R0, R1, Shift::Lsl, 0), "eor.w r0, r0, r1"),
        (dp_reg(DpOp::Rsb, Flags::Keep, R0, R1, R2, Shift::Lsl, 0), "rsb r0, r1, r2"),
        (cmp_imm(R3, m(255)), "cmp.w r3, #255"),
        (cmp_reg(R3, R9), "cmp.w r3, r9"),
        (tst_reg(R1, R2), "tst.w r1, r2"),
        (shift_reg(Shift::Lsl, Flags::Keep, R0, R1, R2), "lsl.w r0, r1, r2"),
        (shift_reg(Shift::Lsr, Flags::Keep, R0, R1, R2), "lsr.w r0, r1, r2"),
        (shift_reg(Shift::Asr, Flags::Set, R8, R9, R10), "asrs.w r8, r9, r10"),
        (mul(R0, R1, R2), "mul r0, r1, r2"),
        (mla(R0, R1, R2, R3), "mla r0, r1, r2, r3"),
        (mls(R0, R1, R2, R3), "mls r0, r1, r2, r3"),
        (umull(R0, R1, R2, R3), "umull r0, r1, r2, r3"),
        (smull(R4, R5, R4, R8), "smull r4, r5, r4, r8"),
        (subw(R12, R8, 4095), "subw r12, r8, #4095"),
        (subw(R12, R11, 0x168), "subw r12, r11, #360"),
        (udiv(R4, R5, R6), "udiv r4, r5, r6"),
        (sdiv(R4, R5, R6), "sdiv r4, r5, r6"),
        (usub16(R12, R8, R4), "usub16 r12, r8, r4"),
        (sel(R8, R12, R8), "sel r8, r12, r8"),
        (ldr_imm(Width::Word, R0, R11, Off12::maybe_from(4095).unwrap()), "ldr.w r0, [r11, #4095]"),
        (ldr_imm(Width::Byte, R1, R2, Off12::maybe_from(1).unwrap()), "ldrb.w r1, [r2, #1]"),
        (ldr_imm(Width::Half, R1, R2, Off12::maybe_from(2).unwrap()), "ldrh.w r1, [r2, #2]"),
        (ldr_imm(Width::SignedByte, R1, R2, Off12::maybe_from(3).unwrap()), "ldrsb.w r1, [r2, #3]"),
        (ldr_imm(Width::SignedHalf, R1, R2, Off12::maybe_from(4).unwrap()), "ldrsh.w r1, [r2, #4]"),
        (str_imm(Width::Word, R0, R11, Off12::maybe_from(8).unwrap()), "str.w r0, [r11, #8]"),
        (str_imm(Width::Byte, R0, R1, Off12::maybe_from(0).unwrap()), "strb.w r0, [r1]"),
        (str_imm(Width::Half, R0, R1, Off12::maybe_from(6).unwrap()), "strh.w r0, [r1, #6]"),
        (ldr_neg(Width::Word, R3, R4, NegOff8::maybe_from(-8).unwrap()), "ldr r3, [r4, #-8]"),
        (ldr_neg(Width::SignedHalf, R3, R4, NegOff8::maybe_from(-2).unwrap()), "ldrsh r3, [r4, #-2]"),
        (str_neg(Width::Byte, R3, R4, NegOff8::maybe_from(-255).unwrap()), "strb r3, [r4, #-255]"),
        (ldr_reg(Width::Word, R0, R1, R2), "ldr.w r0, [r1, r2]"),
        (ldr_reg_lsl(Width::Word, R12, R12, R2, 2), "ldr.w r12, [r12, r2, lsl #2]"),
        (ldr_reg(Width::SignedByte, R0, R1, R2), "ldrsb.w r0, [r1, r2]"),
        (str_reg(Width::Half, R0, R1, R2), "strh.w r0, [r1, r2]"),
        (ldrd(R0, R1, R11, 2), "ldrd r0, r1, [r11, #8]"),
        (strd(R2, R3, R11, 255), "strd r2, r3, [r11, #1020]"),
        (push(RegList::of(&[R4, R5, R6, R7, R8, R9, R10, R11, LR])), "push.w {r4, r5, r6, r7, r8, r9, r10, r11, lr}"),
        (pop(RegList::of(&[R4, R5, R6, R7, R8, R9, R10, R11, PC])), "pop.w {r4, r5, r6, r7, r8, r9, r10, r11, pc}"),
        (bx(LR), "bx lr"),
        (blx(R12), "blx r12"),
        (b_cond_w(Cond::Ne, -8), "bne.w #-8"),
        (b_cond_w(Cond::Hi, 1048574), "bhi.w #1048574"),
        (b_cond_w(Cond::Lt, -1048576), "blt.w #-1048576"),
        (b_w(4096), "b.w #4096"),
        (b_w(-16777216), "b.w #-16777216"),
        (b_w(16777214), "b.w #16777214"),
        (bl(-100), "bl #-100"),
        (rev(Rev::Rev, R0, R1), "rev.w r0, r1"),
        (rev(Rev::Rev16, R0, R1), "rev16.w r0, r1"),
        (rev(Rev::Revsh, R0, R1), "revsh.w r0, r1"),
        (extend(Extend::Uxth, R2, R3), "uxth.w r2, r3"),
        (extend(Extend::Uxtb, R2, R3), "uxtb.w r2, r3"),
        (extend(Extend::Sxth, R2, R3), "sxth.w r2, r3"),
        (extend(Extend::Sxtb, R2, R3), "sxtb.w r2, r3"),
        (bitfield(Bfx::Sbfx, R6, R10, 1, 1), "sbfx r6, r10, #1, #1"),
        (bitfield(Bfx::Sbfx, R0, R1, 0, 32), "sbfx r0, r1, #0, #32"),
        (bitfield(Bfx::Ubfx, R11, R4, 31, 1), "ubfx r11, r4, #31, #1"),
        (bitfield(Bfx::Ubfx, R2, R3, 7, 9), "ubfx r2, r3, #7, #9"),
        (bitfield(Bfx::Ubfx, R8, R9, 28, 4), "ubfx r8, r9, #28, #4"),
        (nop(), "nop"),
        (ldst16(true, Width::Word, R0, R7, 124).unwrap(), "ldr r0, [r7, #124]"),
        (ldst16(false, Width::Word, R3, R7, 8).unwrap(), "str r3, [r7, #8]"),
        (ldst16(true, Width::Byte, R1, R2, 31).unwrap(), "ldrb r1, [r2, #31]"),
        (ldst16(false, Width::Half, R1, R2, 62).unwrap(), "strh r1, [r2, #62]"),
        (ldst16(true, Width::Half, R6, R5, 0).unwrap(), "ldrh r6, [r5]"),
        (add_reg16(R6, R5), "add r6, r5"),
        (movs_imm16(R3, 255).unwrap(), "movs r3, #255"),
        (add_reg16(R10, R11), "add r10, r11"),
        (cmp_imm16(R4, 255).unwrap(), "cmp r4, #255"),
        (cmp_reg16(R1, R2), "cmp r1, r2"),
        (cmp_reg16(R1, R9), "cmp r1, r9"),
        (cmp_reg16(R9, R1), "cmp r9, r1"),
        // IT and the instruction it makes conditional, as the JIT pairs them.
        (it_block(Cond::Ne), "it ne"),
        (dp_imm(DpOp::Sub, Flags::Set, LR, LR, m(1)), "subsne.w lr, lr, #1"),
        (it_block(Cond::Eq), "it eq"),
        (cmp_reg(R1, R9), "cmpeq.w r1, r9"),
    ]
}

fn llvm_mc() -> String {
    if let Ok(t) = std::env::var("MBPF_LLVM_MC") {
        return t;
    }
    for t in ["llvm-mc-19", "llvm-mc-22", "llvm-mc"] {
        if Command::new(t).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return t.into();
        }
    }
    panic!("no llvm-mc: run ci/setup (Debian package llvm-19)");
}

#[test]
fn every_encoding_disassembles_to_its_text() {
    let table = table();
    let mut input = String::new();
    for (enc, _) in &table {
        let (bytes, n) = enc.bytes();
        let line: Vec<String> = bytes[..n].iter().map(|b| format!("0x{b:02x}")).collect();
        input.push_str(&line.join(" "));
        input.push('\n');
    }
    let mut child = Command::new(llvm_mc())
        .args(["--disassemble", "--triple=thumbv7em-none-eabihf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.trim().is_empty(), "llvm-mc rejected some bytes:\n{stderr}");
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('@').next().unwrap().split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && !l.starts_with('.'))
        .collect();
    assert_eq!(lines.len(), table.len());
    let mut bad = Vec::new();
    for ((enc, want), got) in table.iter().zip(&lines) {
        if want != got {
            bad.push(format!("{enc:x?}: want `{want}`, llvm says `{got}`"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_buffer_patches_branches_both_ways_and_refuses_out_of_range() {
    use jit::thumb2::buffer::{BufferError, CodeBuffer, LabelUse};
    let mut b = CodeBuffer::new();
    let top = b.new_label();
    let end = b.new_label();
    b.bind(top);
    b.put(nop());
    b.branch(LabelUse::BCondT3(Cond::Eq), end); // at 2, forward
    b.put(nop());
    b.branch(LabelUse::BT4, top); // at 8, backward to 0: short enough for 16 bits
    b.bind(end); // at 10
    let code = b.finish().unwrap();
    let (fwd, _) = b_cond_w(Cond::Eq, 10 - (2 + 4)).bytes();
    let (back, _) = b16(0 - (8 + 4)).unwrap().bytes();
    assert_eq!(&code[2..6], &fwd);
    assert_eq!(&code[8..10], &back[..2]);
    assert_eq!(code.len(), 10);
    // A branch back further than 16 bits reach keeps the wide form.
    let mut b = CodeBuffer::new();
    let top = b.new_label();
    b.bind(top);
    for _ in 0..1100 {
        b.put(nop());
    }
    b.branch(LabelUse::BT4, top);
    let code = b.finish().unwrap();
    let (back, _) = b_w(-(2200 + 4)).bytes();
    assert_eq!(&code[2200..2204], &back);

    let mut b = CodeBuffer::new();
    let far = b.new_label();
    b.branch(LabelUse::BCondT3(Cond::Ne), far);
    for _ in 0..(1 << 19) {
        b.put(nop());
    }
    b.bind(far);
    assert!(matches!(b.finish(), Err(BufferError::OutOfRange { .. })));

    let mut b = CodeBuffer::new();
    let never = b.new_label();
    b.branch(LabelUse::BlT1, never);
    assert_eq!(b.finish(), Err(BufferError::UnboundLabel));
}

#[test]
fn short_forms_refuse_what_they_cannot_encode() {
    assert!(ldst16(true, Width::Word, R8, R7, 0).is_none(), "high register");
    assert!(ldst16(true, Width::Word, R0, R7, 128).is_none(), "offset past 31 words");
    assert!(ldst16(true, Width::Word, R0, R7, 2).is_none(), "unaligned word offset");
    assert!(ldst16(true, Width::SignedByte, R0, R7, 0).is_none(), "no signed 16-bit immediate form");
    assert!(cmp_imm16(R8, 1).is_none());
    assert!(movs_imm16(R12, 1).is_none());
    assert!(b_cond16(Cond::Eq, 256).is_none() && b_cond16(Cond::Eq, -256).is_some());
    assert!(b16(2048).is_none() && b16(-2048).is_some());
    // Branches: the offsets land where they say (checked by LLVM's text for the pair).
    let enc = [b_cond16(Cond::Ne, -4).unwrap(), b16(-6).unwrap()];
    let mut input = String::new();
    for e in enc {
        let (bytes, n) = e.bytes();
        input.push_str(&bytes[..n].iter().map(|b| format!("0x{b:02x}")).collect::<Vec<_>>().join(" "));
        input.push('\n');
    }
    let mut child = Command::new(llvm_mc())
        .args(["--disassemble", "--triple=thumbv7em-none-eabihf"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert!(out.contains("bne\t#-4") && out.contains("b\t#-6"), "{out}");
}

#[test]
fn a_buffer_made_with_a_capacity_refuses_code_past_it() {
    use jit::thumb2::buffer::{BufferError, CodeBuffer};
    // Room for 2 bytes, doubling up to 8.
    let mut b = CodeBuffer::with_capacity(2, 8, 0);
    for _ in 0..3 {
        b.put(nop());
    }
    assert_eq!(b.finish().unwrap().len(), 6);
    let mut b = CodeBuffer::with_capacity(2, 8, 0);
    for _ in 0..5 {
        b.put(nop());
    }
    assert!(matches!(b.finish(), Err(BufferError::Full)));
}
