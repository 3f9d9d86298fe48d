//! Malformed programs and the exact error the verifier gives for each.
use super::*;
use crate::asm::assemble;

fn check(insns: &[Insn]) -> Result<(), VerifyError> {
    verify(&Program::from_insns(insns.to_vec()).unwrap(), &HelperSet::from_ids([1, 2]))
}

fn check_asm(src: &str) -> Result<(), VerifyError> {
    check(&assemble(src).unwrap())
}

const EXIT: Insn = Insn::new(EXIT_OP, 0, 0, 0, 0);

fn rejects(insns: &[Insn], pc: usize, kind: VerifyErrorKind) {
    assert_eq!(check(insns), Err(VerifyError { pc, kind }), "{insns:?}");
}

#[test]
fn accepts_well_formed_programs() {
    check_asm("mov %r0, 0\nexit").unwrap();
    check_asm("lddw %r0, 1\nja +0\ncall 1\ncall local f\nexit\nf: mov %r0, 2\nexit").unwrap();
    check_asm("mov %r1, 1\ncall %r1\nexit").unwrap();
}

#[rustfmt::skip]
#[test]
fn rejects_malformed_programs_with_the_right_error() {
    // 1. unknown opcode
    rejects(&[Insn::new(0xff, 0, 0, 0, 0), EXIT], 0, K::UnknownOpcode(0xff));
    // 2. unknown ALU operation (0xe0)
    rejects(&[Insn::new(CLS_ALU64 | 0xe0, 0, 0, 0, 0), EXIT], 0, K::UnknownOpcode(0xe7));
    // 3. destination register out of range
    rejects(&[Insn::new(0xb7, 11, 0, 0, 0), EXIT], 0, K::BadDst(11));
    // 4. source register out of range
    rejects(&[Insn::new(0xbf, 0, 12, 0, 0), EXIT], 0, K::BadSrc(12));
    // 5. write to r10
    rejects(&[Insn::new(0xb7, 10, 0, 0, 0), EXIT], 0, K::WriteToR10);
    // 6. load into r10
    rejects(&[Insn::new(CLS_LDX | MODE_MEM | SZ_W, 10, 1, 0, 0), EXIT], 0, K::WriteToR10);
    // 7. non-zero src on an immediate ALU op
    rejects(&[Insn::new(0x07, 0, 3, 0, 1), EXIT], 0, K::NonZeroField("src"));
    // 8. non-zero offset on add
    rejects(&[Insn::new(0x07, 0, 0, 4, 1), EXIT], 0, K::BadOffset(4));
    // 9. bad sdiv offset
    rejects(&[Insn::new(0x37, 0, 0, 2, 1), EXIT], 0, K::BadOffset(2));
    // 10. movsx32 with a 32-bit source width
    rejects(&[Insn::new(0xbc, 0, 1, 32, 0), EXIT], 0, K::BadOffset(32));
    // 11. byte swap of 8 bits
    rejects(&[Insn::new(0xd4, 0, 0, 0, 8), EXIT], 0, K::BadImmediate(8));
    // 12. lddw without its second slot
    rejects(&[EXIT, Insn::new(LDDW, 0, 0, 0, 1)], 1, K::IncompleteLddw);
    // 13. lddw with a malformed second slot
    rejects(&[Insn::new(LDDW, 0, 0, 0, 1), Insn::new(0x07, 0, 0, 0, 0), EXIT], 1, K::BadLddwSecondSlot);
    // 14. lddw map pseudo-source
    rejects(&[Insn::new(LDDW, 0, 1, 0, 1), Insn::default(), EXIT], 0, K::UnsupportedPseudoLddw(1));
    // 15. jump past the end
    rejects(&[Insn::new(JA64, 0, 0, 5, 0), EXIT], 0, K::JumpOutOfBounds(6));
    // 16. jump before the start
    rejects(&[Insn::new(0x15, 0, 0, -3, 0), EXIT], 0, K::JumpOutOfBounds(-2));
    // 17. jump into the middle of an lddw
    rejects(&[Insn::new(JA64, 0, 0, 1, 0), Insn::new(LDDW, 0, 0, 0, 1), Insn::default(), EXIT], 0, K::JumpIntoLddw(2));
    // 18. falls off the end
    rejects(&[Insn::new(0xb7, 0, 0, 0, 0)], 0, K::FallsOffEnd);
    // 19. conditional jump as the last instruction falls off
    rejects(&[Insn::new(0x15, 0, 0, -1, 0)], 0, K::FallsOffEnd);
    // 20. no reachable exit (an endless loop)
    rejects(&[Insn::new(JA64, 0, 0, -1, 0), EXIT], 0, K::NoReachableExit);
    // 21. helper outside the allow-list
    rejects(&[Insn::new(CALL_IMM, 0, 0, 0, 0x20), EXIT], 0, K::HelperNotAllowed(0x20));
    // 22. local call out of range
    rejects(&[Insn::new(CALL_IMM, 0, CALL_LOCAL, 0, 10), EXIT], 0, K::CallOutOfBounds(11));
    // 23. kfunc call
    rejects(&[Insn::new(CALL_IMM, 0, 2, 0, 1), EXIT], 0, K::UnsupportedCallKind(2));
    // 24. exit with a non-zero field
    rejects(&[Insn::new(EXIT_OP, 0, 0, 0, 1)], 0, K::NonZeroField("imm"));
    // 25. call in the JMP32 class
    rejects(&[Insn::new(CLS_JMP32 | CALL, 0, 0, 0, 1), EXIT], 0, K::UnknownOpcode(0x86));
    // 26. unknown atomic operation
    rejects(&[Insn::new(CLS_STX | MODE_ATOMIC | SZ_DW, 10, 1, -8, 0x02), EXIT], 0, K::BadImmediate(2));
    // 27. atomic of a byte
    rejects(&[Insn::new(CLS_STX | MODE_ATOMIC | SZ_B, 10, 1, -8, 0), EXIT], 0, K::UnknownOpcode(0xd3));
    // 28. sign-extending load of a double word
    rejects(&[Insn::new(CLS_LDX | MODE_MEMSX | SZ_DW, 0, 1, 0, 0), EXIT], 0, K::UnknownOpcode(0x99));
    // 29. legacy packet load (BPF_ABS)
    rejects(&[Insn::new(0x20, 0, 0, 0, 0), EXIT], 0, K::UnknownOpcode(0x20));
    // 31. atomic exchange into r10 (found by the JIT differential test)
    rejects(&[Insn::new(CLS_STX | MODE_ATOMIC | SZ_DW, 10, 10, -96, ATOMIC_XCHG), EXIT], 0, K::WriteToR10);
    // 32. fetch-add into r10
    rejects(&[Insn::new(CLS_STX | MODE_ATOMIC | SZ_W, 10, 10, -8, ATOMIC_ADD | ATOMIC_FETCH), EXIT], 0, K::WriteToR10);
    // 30. neg with a register source
    rejects(&[Insn::new(0x8f, 0, 1, 0, 0), EXIT], 0, K::UnknownOpcode(0x8f));
}

#[test]
fn byte_strings_of_bad_length_are_program_errors() {
    assert_eq!(Program::from_bytes(&[]), Err(crate::ProgramError::Empty));
    assert_eq!(Program::from_bytes(&[0; 9]), Err(crate::ProgramError::BadLength { len: 9 }));
}

#[test]
fn a_function_does_not_fall_into_the_next() {
    // The call returns into `next`, a function of its own (issue #17's example).
    let e = check_asm("mov %r0, 0x12345678\ncall local next\nnext:\nexit").unwrap_err();
    assert_eq!(e, VerifyError { pc: 1, kind: K::FallsIntoFunction });
    // A function whose last instruction is not exit or ja runs into the next one.
    let e = check_asm("call local f\nexit\nf:\nmov %r0, 1\ncall local g\ng:\nmov %r0, 2\nexit").unwrap_err();
    assert_eq!(e, VerifyError { pc: 3, kind: K::FallsIntoFunction });
    let e = check_asm("call local f\nexit\nf:\nmov %r0, 1\njeq %r0, 1, +0\ng:\nexit\ncall local g\nexit").unwrap_err();
    assert_eq!(e.kind, K::FallsIntoFunction);
    // Ending with exit or an unconditional jump is fine, and jumps between functions
    // stay allowed (the ELF loader's images start with a `ja` over earlier functions).
    check_asm("call local f\nexit\nf:\nmov %r0, 1\nexit").unwrap();
    check_asm("ja main\nf:\nmov %r0, 1\nexit\nmain:\ncall local f\nexit").unwrap();
    check_asm("call local f\nexit\nf:\nmov %r0, 1\nja end\nend:\nexit").unwrap();
}
