//! Interpreter tests, one group per instruction class and isolation rule.
use super::*;
use crate::asm::assemble;
use crate::helpers::{HelperId, NoHelpers};
use crate::memory::{Access, Region};

/// Assembles, verifies and runs `src` with `input` as the input region.
fn run_with(src: &str, input: &mut [u8], helpers: &mut dyn Helpers, allowed: HelperSet) -> Result<u64, VmError> {
    let program = Program::from_insns(assemble(src).expect("test program assembles")).unwrap();
    crate::verify(&program, &allowed).expect("test program verifies");
    let mut stack = alloc::vec![0u8; stack_size_for(&program)];
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_write(RegionKind::Input, input));
    Vm::new(&program, memory, helpers, allowed).with_budget(1_000_000).run()
}

fn run(src: &str) -> Result<u64, VmError> {
    run_with(src, &mut [], &mut NoHelpers, HelperSet::empty())
}

fn r0(src: &str) -> u64 {
    run(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn alu64_arithmetic_wraps_and_divides_by_zero_as_the_rfc_says() {
    assert_eq!(r0("mov %r0, -1\nadd %r0, 2\nexit"), 1);
    assert_eq!(r0("lddw %r0, 0x8000000000000000\nmul %r0, -1\nexit"), 0x8000000000000000);
    assert_eq!(r0("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit"), 0);
    assert_eq!(r0("mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit"), 7);
    assert_eq!(r0("mov %r0, -7\nsdiv %r0, 2\nexit"), (-3i64) as u64);
    assert_eq!(r0("mov %r0, -7\nsmod %r0, 2\nexit"), (-1i64) as u64);
    assert_eq!(r0("lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit"), 0x8000000000000000);
    assert_eq!(r0("lddw %r0, 0x8000000000000000\nsmod %r0, -1\nexit"), 0);
    assert_eq!(r0("mov %r0, -8\narsh %r0, 1\nexit"), (-4i64) as u64);
    assert_eq!(r0("mov %r0, 1\nlsh %r0, 65\nexit"), 2, "shift amounts are masked to 6 bits");
}

#[test]
fn alu32_results_zero_extend() {
    assert_eq!(r0("mov %r0, -1\nadd32 %r0, 0\nexit"), 0xffff_ffff);
    assert_eq!(r0("mov32 %r0, -1\nexit"), 0xffff_ffff);
    assert_eq!(r0("lddw %r0, 0x1ffffffff\nmov32 %r0, %r0\nexit"), 0xffff_ffff);
    assert_eq!(r0("mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit"), 0x8000_0000);
    assert_eq!(r0("mov32 %r0, -8\narsh32 %r0, 1\nexit"), 0xffff_fffc);
    assert_eq!(r0("mov32 %r0, 5\nmov32 %r1, 0\nmod32 %r0, %r1\nexit"), 5);
    assert_eq!(r0("mov %r0, 0x80\nmovsx832 %r0, %r0\nexit"), 0xffff_ff80);
    assert_eq!(r0("mov %r0, 0x80\nmovsx864 %r0, %r0\nexit"), 0xffff_ffff_ffff_ff80);
}

#[test]
fn byte_swaps() {
    assert_eq!(r0("lddw %r0, 0x8877665544332211\nbe16 %r0\nexit"), 0x1122);
    assert_eq!(r0("lddw %r0, 0x8877665544332211\nle32 %r0\nexit"), 0x44332211);
    assert_eq!(r0("lddw %r0, 0x8877665544332211\nbswap64 %r0\nexit"), 0x1122334455667788);
}

#[test]
fn jumps_signed_unsigned_and_32_bit() {
    assert_eq!(r0("mov %r0, 0\nmov %r1, -1\njsgt %r1, 0, +1\nmov %r0, 1\nexit"), 1);
    assert_eq!(r0("mov %r0, 0\nmov %r1, -1\njgt %r1, 0, +1\nmov %r0, 1\nexit"), 0);
    assert_eq!(r0("mov %r0, 0\nlddw %r1, 0x100000001\njeq32 %r1, 1, +1\nmov %r0, 1\nexit"), 0);
    assert_eq!(r0("mov %r0, 2\nja32 +1\nmov %r0, 1\nexit"), 2);
}

#[test]
fn loads_and_stores_of_every_width_and_sign_extension() {
    assert_eq!(r0("stdw [%r10-8], -1\nstb [%r10-8], 0\nldxdw %r0, [%r10-8]\nexit"), 0xffff_ffff_ffff_ff00);
    assert_eq!(r0("sth [%r10-2], -2\nldxsh %r0, [%r10-2]\nexit"), (-2i64) as u64);
    assert_eq!(r0("stw [%r10-4], -2\nldxw %r0, [%r10-4]\nexit"), 0xffff_fffe);
    let mut input = [1u8, 2, 3, 4];
    let r = run_with(
        "ldxw %r0, [%r1]\nmov %r2, 9\nstxb [%r1+3], %r2\nexit",
        &mut input,
        &mut NoHelpers,
        HelperSet::empty(),
    );
    assert_eq!(r.unwrap(), 0x04030201);
    assert_eq!(input, [1, 2, 3, 9]);
}

#[test]
fn atomics_fetch_and_compare_exchange() {
    assert_eq!(r0("stdw [%r10-8], 5\nmov %r1, 3\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1\nexit"), (8 << 8) | 5);
    assert_eq!(
        r0("stdw [%r10-8], 5\nmov %r0, 5\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit"),
        9
    );
    assert_eq!(r0("stdw [%r10-8], 5\nmov %r0, 4\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nexit"), 5);
    assert_eq!(r0("stdw [%r10-8], 5\nmov %r1, 7\nlock xchg32 [%r10-8], %r1\nmov %r0, %r1\nexit"), 5);
}

#[test]
fn memory_outside_the_regions_faults_with_pc_and_address() {
    let e = run("mov %r0, 0\nldxdw %r0, [%r10+0]\nexit").unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(matches!(e.kind, VmErrorKind::Memory(MemFault { access: Access::Read, len: 8, .. })));
    let e = run("stb [%r10-513], 1\nexit").unwrap_err();
    assert!(matches!(e.kind, VmErrorKind::Memory(MemFault { access: Access::Write, .. })));
    let e = run("mov %r1, 0\nldxb %r0, [%r1]\nexit").unwrap_err();
    assert!(matches!(e.kind, VmErrorKind::Memory(MemFault { addr: 0, .. })));
    let e = run("lddw %r1, 0xffffffffffffffff\nstxdw [%r1-3], %r1\nexit").unwrap_err();
    assert_eq!(e.pc, 2);
}

#[test]
fn read_only_regions_reject_writes() {
    let rodata = [7u8; 8];
    let program = Program::from_insns(assemble("ldxb %r0, [%r1]\nstb [%r1], 1\nexit").unwrap()).unwrap();
    let mut stack = [0u8; 512];
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_only(RegionKind::Input, &rodata));
    let e = Vm::new(&program, memory, &mut NoHelpers, HelperSet::empty()).run().unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(matches!(e.kind, VmErrorKind::Memory(MemFault { access: Access::Write, .. })));
}

#[test]
fn local_calls_preserve_callee_saved_registers_and_get_their_own_frame() {
    let src = "mov %r6, 6\nstdw [%r10-8], 1\nmov %r1, 2\ncall local f\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nadd %r0, %r6\nexit\n\
               f: mov %r6, 100\nstdw [%r10-8], 50\nmov %r0, %r1\nexit";
    assert_eq!(r0(src), 2 + 1 + 6);
}

#[test]
fn unbounded_recursion_stops_at_the_call_depth_limit() {
    let e = run("call local f\nexit\nf: call local f\nexit").unwrap_err();
    assert!(matches!(e.kind, VmErrorKind::CallDepthExceeded(_)), "{e}");
}

#[test]
fn an_endless_loop_is_stopped_by_the_budget_and_slices_resume() {
    let e = run("mov %r0, 0\nl: jeq %r0, 1, +1\nja l\nexit").unwrap_err();
    assert_eq!(e.kind, VmErrorKind::BudgetExhausted);

    let program = Program::from_insns(assemble("mov %r0, 0\nl: add %r0, 1\njne %r0, 100, l\nexit").unwrap()).unwrap();
    let mut stack = [0u8; 512];
    let memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut stack));
    let mut helpers = NoHelpers;
    let mut vm = Vm::new(&program, memory, &mut helpers, HelperSet::empty());
    let mut slices = 0;
    let r = loop {
        slices += 1;
        match vm.run_slice(7).unwrap() {
            RunStatus::Exited(r) => break r,
            RunStatus::Yielded => {}
        }
    };
    assert_eq!(r, 100);
    assert_eq!(vm.executed(), 1 + 200 + 1);
    assert_eq!(slices, (202 + 6) / 7);
    assert_eq!(vm.run_slice(1).unwrap_err().kind, VmErrorKind::Finished);
}

struct Recorder {
    calls: alloc::vec::Vec<(HelperId, [u64; 5])>,
}

impl Helpers for Recorder {
    fn call(&mut self, id: HelperId, args: &[u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError> {
        self.calls.push((id, *args));
        match id {
            // strlen(s): checks its pointer against the program's memory.
            0x52 => Ok(memory.c_str(args[0], 256)?.len() as u64),
            5 if args[0] == 0 => Err(HelperError::Exit(0)),
            _ => Ok(args[0] + 1),
        }
    }
}

#[test]
fn helpers_get_five_arguments_and_can_check_pointers() {
    let allowed = HelperSet::from_ids([0x52, 0x10, 5]);
    let mut h = Recorder { calls: alloc::vec![] };
    let src = "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 0x10\nexit";
    assert_eq!(run_with(src, &mut [], &mut h, allowed).unwrap(), 2);
    assert_eq!(h.calls, [(0x10, [1, 2, 3, 4, 5])]);

    let src = "stw [%r10-4], 0x6968\nmov %r1, %r10\nadd %r1, -4\ncall strlen\nexit";
    assert_eq!(run_with(src, &mut [], &mut h, allowed).unwrap(), 2);
    // A pointer outside the program's memory is the helper's typed error.
    let e = run_with("mov %r1, 16\ncall strlen\nexit", &mut [], &mut h, allowed).unwrap_err();
    assert!(matches!(e.kind, VmErrorKind::Helper { id: 0x52, error: HelperError::Memory(_) }));
    // unwind(0) ends the program with r0 = 0.
    assert_eq!(run_with("mov %r1, 0\ncall 5\nmov %r0, 9\nexit", &mut [], &mut h, allowed).unwrap(), 0);
}

#[test]
fn callx_checks_the_allow_list_at_run_time() {
    let allowed = HelperSet::from_ids([0x10]);
    let mut h = Recorder { calls: alloc::vec![] };
    assert_eq!(run_with("mov %r1, 4\nmov %r2, 0x10\ncall %r2\nexit", &mut [], &mut h, allowed).unwrap(), 5);
    let e = run_with("mov %r2, 0x11\ncall %r2\nexit", &mut [], &mut h, allowed).unwrap_err();
    assert_eq!(e.kind, VmErrorKind::HelperNotAllowed(0x11));
}

/// The budget is charged a run at a time and cut exactly inside a run
/// (`Vm::interpret`): every budget and every slice size must end where single steps
/// do, with the instruction counts a reader can check by hand.
#[test]
fn budgets_and_slices_stop_exactly_at_the_instruction() {
    // (program, instructions a full run executes, how it ends)
    let cases: [(&str, u64, Result<u64, VmErrorKind>); 10] = [
        // Fused `mov32; add32` pairs, register and constant, and `lddw; add`:
        // 2 + 6 x 8 + exit.
        ("mov %r1, 0\nmov %r0, 0\nl: mov32 %r3, %r0\nadd32 %r3, %r1\nmov32 %r0, %r3\nadd32 %r0, 7\nlddw %r4, 0x100000000\nadd %r4, %r1\n\
          add %r1, 1\njlt %r1, 6, l\nexit", 51, Ok(57)),
        // `lsh; or` pairs of both widths, and `lsh; arsh` (0x80 sign-extends to -128):
        // 2 + 4 x 10 + exit.
        ("mov %r1, 0\nmov %r0, 0\nl: lsh32 %r0, 4\nor32 %r0, %r1\nlsh %r0, 36\nor %r0, %r1\nmov %r2, 0x80\nlsh %r2, 56\narsh %r2, 56\nadd %r0, %r2\n\
          add %r1, 1\njlt %r1, 4, l\nexit", 43, Ok(0xffff_822f_ffff_ff83)),
        // Three-operand shifts (a 32-bit rotation, a 64-bit shift): 3 + 4 x 11 + exit.
        ("lddw %r1, 0x8765432112345678\nmov %r0, 0\nmov %r6, 0\nl: mov32 %r3, %r1\nrsh32 %r3, 7\nmov32 %r4, %r1\nlsh32 %r4, 25\nor32 %r3, %r4\n\
          mov %r5, %r1\nrsh %r5, 33\nxor %r1, %r5\nadd %r0, %r3\nadd %r6, 1\njlt %r6, 4, l\nexit", 48, Ok(0x3_818e_ed36)),
        // clang's rotated latch, `jeq +1; ja` (one op in the loop): 1 + 5 x (add, jeq) + 4 x ja + exit.
        ("mov %r0, 0\nl: add %r0, 3\njeq %r0, 15, +1\nja l\nexit", 16, Ok(15)),
        ("mov32 %r0, 0\nl: add32 %r0, 5\njeq32 %r0, 20, +1\nja l\nexit", 13, Ok(20)),
        // 2 + 5 x (lddw, add, add, jlt) + exit; lddw takes two slots.
        ("mov %r0, 0\nmov %r1, 0\nl: lddw %r2, 0x100000001\nadd %r0, %r2\nadd %r1, 1\njlt %r1, 5, l\nexit", 23, Ok(0x5_0000_0005)),
        // 1 + 3 x (call, 3 in f, add, jne) + exit.
        ("mov %r6, 3\nl: call local f\nadd %r6, -1\njne %r6, 0, l\nexit\nf: mov %r0, %r6\nmul %r0, 7\nexit", 20, Ok(7)),
        // The load at pc 3 is past the stack's top: it faults and counts.
        ("mov %r0, 1\nmov %r1, 2\nadd %r0, %r1\nldxb %r3, [%r10+0]\nexit", 4, Err(VmErrorKind::Memory(MemFault { addr: 0, len: 1, access: Access::Read }))),
        // `.rodata` array loads, `lddwr; add; ldx` (one op of four slots), bytes 1..=4
        // (0x11 × i) and then words: 2 + 4 x 6 + 2 + 2 x 6 + exit.
        ("mov %r0, 0\nmov %r1, 0\nl: lddwr %r2, 0\nadd %r2, %r1\nldxb %r2, [%r2+1]\nadd %r0, %r2\nadd %r1, 1\njlt %r1, 4, l\n\
          mov %r1, 0\nmov %r0, 0\nm: lddwr %r2, 4\nadd %r2, %r1\nldxw %r2, [%r2+0]\nadd %r0, %r2\nadd %r1, 4\njlt %r1, 8, m\nexit", 41, Ok(0x7766_5544 + 0xbbaa_9988)),
        // ... whose index runs past `.rodata` (16 bytes) at the third load, at pc 4:
        // 2 + 2 x 6 + 3, the load faulting.
        ("mov %r0, 0\nmov %r1, 0\nl: lddwr %r2, 0\nadd %r2, %r1\nldxdw %r2, [%r2+0]\nadd %r0, %r2\nadd %r1, 8\njlt %r1, 64, l\nexit", 17, Err(VmErrorKind::Memory(MemFault { addr: 1, len: 8, access: Access::Read }))),
    ];
    for (src, total, end) in cases {
        let program = Program::from_insns(assemble(src).unwrap()).unwrap();
        let mut stack = alloc::vec![0u8; stack_size_for(&program)];
        let top = stack.as_ptr() as u64 + STACK_FRAME_SIZE as u64;
        let rodata: [u8; 16] = core::array::from_fn(|i| 0x11 * i as u8);
        let rodata_end = rodata.as_ptr() as u64 + 16;
        fn fresh<'a>(stack: &'a mut [u8], rodata: &'a [u8]) -> (Memory<'a>, NoHelpers) {
            let memory = Memory::new()
                .with(Region::read_write(RegionKind::Stack, stack))
                .with(Region::read_only(RegionKind::Rodata, rodata));
            (memory, NoHelpers)
        }
        // Faults' addresses: the stack's top named 0, the end of `.rodata` 1, to compare.
        let outcome = |r: Result<u64, VmError>| {
            r.map_err(|e| match e.kind {
                VmErrorKind::Memory(f) if f.addr == top => VmErrorKind::Memory(MemFault { addr: 0, ..f }),
                VmErrorKind::Memory(f) if f.addr == rodata_end => VmErrorKind::Memory(MemFault { addr: 1, ..f }),
                k => k,
            })
        };
        // Single steps: the registers after each instruction.
        let (memory, mut helpers) = fresh(&mut stack, &rodata);
        let mut vm = Vm::new(&program, memory, &mut helpers, HelperSet::empty());
        let mut trace = alloc::vec![(vm.regs, vm.pc)];
        let stepped = loop {
            match vm.run_slice(1) {
                Ok(RunStatus::Yielded) => trace.push((vm.regs, vm.pc)),
                Ok(RunStatus::Exited(r0)) => break Ok(r0),
                Err(e) => break Err(e),
            }
        };
        assert_eq!(vm.executed(), total, "{src}: single steps");
        assert_eq!(outcome(stepped), end, "{src}: single steps");
        drop(vm);
        // Every budget: short ones stop after exactly that many, where the steps were.
        for budget in 0..=total + 1 {
            let (memory, mut helpers) = fresh(&mut stack, &rodata);
            let mut vm = Vm::new(&program, memory, &mut helpers, HelperSet::empty()).with_budget(budget);
            let r = vm.run();
            if budget < total {
                assert_eq!(
                    r.as_ref().map_err(|e| &e.kind),
                    Err(&VmErrorKind::BudgetExhausted),
                    "{src}: budget {budget}"
                );
                assert_eq!(vm.executed(), budget, "{src}: budget {budget}");
                assert_eq!((vm.regs, vm.pc), trace[budget as usize], "{src}: budget {budget}");
            } else {
                assert_eq!(outcome(r), end, "{src}: budget {budget}");
                assert_eq!(vm.executed(), total, "{src}: budget {budget}");
            }
        }
        // Every slice size: the same end, the same count, ceil(total / size) slices.
        for size in 1..=total + 1 {
            let (memory, mut helpers) = fresh(&mut stack, &rodata);
            let mut vm = Vm::new(&program, memory, &mut helpers, HelperSet::empty());
            let mut slices = 0;
            let r = loop {
                slices += 1;
                match vm.run_slice(size) {
                    Ok(RunStatus::Yielded) => assert_eq!(vm.executed(), slices * size, "{src}: slice {size}"),
                    Ok(RunStatus::Exited(r0)) => break Ok(r0),
                    Err(e) => break Err(e),
                }
            };
            assert_eq!(outcome(r), end, "{src}: slices of {size}");
            assert_eq!(vm.executed(), total, "{src}: slices of {size}");
            assert_eq!(slices, total.div_ceil(size), "{src}: slices of {size}");
        }
    }
}

/// Opcodes that move control or span two slots, drawn often so that unverified programs
/// jump and call out of range, end inside an LDDW, and fuse pairs at their very end.
const CONTROL_OPCODES: [u8; 14] = [
    JA64, JA32, JEQ_IMM, JEQ32_IMM, JNE_REG, JSLE32_IMM, CALL_IMM, CALL_REG, EXIT_OP, LDDW, LDDWR, MOV32_REG,
    ADD64_REG, LSH64_IMM,
];

fn unverified_program() -> impl proptest::strategy::Strategy<Value = Vec<Insn>> {
    use proptest::prelude::*;
    let insn =
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<i16>(), any::<i32>()).prop_map(|(pick, opc, regs, off, imm)| {
            // Half raw opcodes, half control; offsets often small so that some stay inside.
            let opc = if pick & 1 == 0 { opc } else { CONTROL_OPCODES[usize::from(pick >> 1) % CONTROL_OPCODES.len()] };
            let off = if pick & 2 == 0 { off % 5 } else { off };
            let src = if opc == CALL_IMM && pick & 4 != 0 { CALL_LOCAL } else { regs >> 4 };
            let imm = if pick & 8 == 0 { imm % 5 } else { imm };
            Insn::new(opc, regs & 15, src, off, imm)
        });
    proptest::collection::vec(insn, 1..48)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, ..Default::default() })]

    /// The loop walks a raw pointer through the decoded ops, trusting `decode` to keep
    /// control inside them whatever the bytecode. Checked here on programs the verifier
    /// would reject (targets out of range, a truncated LDDW, fused pairs at the end),
    /// and run as they are: each run ends in a value or an error, within its budget.
    #[test]
    fn unverified_programs_keep_control_inside_the_ops(insns in unverified_program(), slice in 1u64..9) {
        let ops = decode::decode(&insns, 0x1000, 0x2000);
        proptest::prop_assert!(decode::control_stays_inside(&ops, insns.len()));
        let program = Program::from_insns(insns).unwrap();
        let allowed = HelperSet::from_ids([1, 2]);
        let mut stack = alloc::vec![0u8; stack_size_for(&program)];
        let memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut stack));
        let mut helpers = NoHelpers;
        let mut vm = Vm::new(&program, memory, &mut helpers, allowed).with_budget(500);
        while let Ok(RunStatus::Yielded) = vm.run_slice(slice) {}
        proptest::prop_assert!(vm.executed() <= 500);
    }
}

#[test]
fn decoding_keeps_every_successor_and_target_inside_the_ops() {
    // A check that could not fail would prove nothing: break the guarantee by hand.
    let insns = assemble("mov %r0, 1\nja +0\nexit").unwrap();
    let mut ops = decode::decode(&insns, 0, 0);
    assert!(decode::control_stays_inside(&ops, insns.len()));
    ops[1].off = 4; // a jump past the padding op
    assert!(!decode::control_stays_inside(&ops, insns.len()));
    let mut ops = decode::decode(&insns, 0, 0);
    ops[insns.len()].kind = Kind::Mov64I; // no padding op to stop the loop
    assert!(!decode::control_stays_inside(&ops, insns.len()));
    // An LDDW cut short decodes as invalid, not as an op that skips past the padding.
    let truncated = [Insn::new(LDDW, 0, 0, 0, 1)];
    let ops = decode::decode(&truncated, 0, 0);
    assert_eq!(ops[0].kind, Kind::Invalid);
    assert!(decode::control_stays_inside(&ops, 1));
}

#[test]
fn sign_extension_pairs_agree_with_the_two_shifts_for_every_amount() {
    // `lsh; arsh` by the same k is fused for k ≥ 32 and left as two ops below: every k,
    // on values with the sign bit of each width set and clear.
    for k in 0..64u32 {
        for v in [0x80u64, 0x7f, 0x8000, 0x1234_8765, 0xffff_ffff_8000_0000, 0x0123_4567_89ab_cdef, u64::MAX] {
            let src = format!("lddw %r0, {v:#x}\nlsh %r0, {k}\narsh %r0, {k}\nexit");
            assert_eq!(r0(&src), ((v << k) as i64 >> k) as u64, "k = {k}, v = {v:#x}");
        }
    }
}

#[test]
fn shifts_by_every_constant_agree_with_shifts_by_a_register() {
    // Every amount, on values with either word's top bit set: the two operand forms are
    // separate ops, and 64-bit shifts are where a 32-bit core's code is most intricate.
    for k in 0..64 {
        for v in [0x8000_0000u64, 0x8000_0000_0000_0001, 0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, u64::MAX] {
            for op in ["lsh", "rsh", "arsh"] {
                let by_imm = r0(&format!("lddw %r0, {v:#x}\n{op} %r0, {k}\nexit"));
                let by_reg = r0(&format!("lddw %r0, {v:#x}\nmov %r1, {k}\n{op} %r0, %r1\nexit"));
                let expected = match op {
                    "lsh" => v << k,
                    "rsh" => v >> k,
                    _ => ((v as i64) >> k) as u64,
                };
                assert_eq!((by_imm, by_reg), (expected, expected), "{op} {v:#x} by {k}");
            }
        }
    }
}

/// Runs `src` with a stack, 16 bytes of `.rodata` (0x11 × i) and 16 of `.data` (0x22 × i).
fn run_sections(src: &str) -> Result<u64, VmError> {
    let program = Program::from_insns(assemble(src).expect("test program assembles")).unwrap();
    let mut stack = alloc::vec![0u8; stack_size_for(&program)];
    let rodata: [u8; 16] = core::array::from_fn(|i| 0x11 * i as u8);
    let mut data: [u8; 16] = core::array::from_fn(|i| 0x22 * i as u8);
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_write(RegionKind::Data, &mut data))
        .with(Region::read_only(RegionKind::Rodata, &rodata));
    Vm::new(&program, memory, &mut NoHelpers, HelperSet::empty()).with_budget(10_000).run()
}

#[test]
fn array_loads_fused_read_what_the_three_instructions_read() {
    // `lddw[rd]; add; ldx` into the same register is one op; loading into another
    // register keeps the three apart. Both must agree, for every width and section.
    for (lddw, expect_first) in [("lddwr %r2, 2", 0x11u64 * 3), ("lddwd %r2, 2", 0x22 * 3)] {
        for (ldx, width) in [("ldxb", 1u64), ("ldxh", 2), ("ldxw", 4), ("ldxdw", 8)] {
            let fused = format!("mov %r1, 1\n{lddw}\nadd %r2, %r1\n{ldx} %r2, [%r2+0]\nmov %r0, %r2\nexit");
            let apart = format!("mov %r1, 1\n{lddw}\nadd %r2, %r1\n{ldx} %r0, [%r2+0]\nexit");
            let (f, a) = (run_sections(&fused).unwrap(), run_sections(&apart).unwrap());
            assert_eq!(f, a, "{lddw}; {ldx}");
            assert_eq!(f & 0xff, expect_first, "{lddw}; {ldx}: the byte at offset 3");
            let last = (expect_first + (width - 1) * (expect_first / 3)) & 0xff;
            assert_eq!(f >> (8 * width - 8) & 0xff, last, "{lddw}; {ldx}: the last byte");
        }
    }
    // The load's own offset counts, negative too.
    assert_eq!(
        run_sections("mov %r1, 8\nlddwr %r2, 4\nadd %r2, %r1\nldxb %r2, [%r2-3]\nmov %r0, %r2\nexit").unwrap(),
        0x99
    );
}

#[test]
fn a_rodata_array_load_outside_rodata_is_an_address_like_any_other() {
    // The index takes the address from `.rodata` into `.data`: the load reads `.data`,
    // as the three instructions would, and faults (at the load) only outside every region.
    let program = |index: &str| format!("{index}\nlddwr %r2, 0\nadd %r2, %r1\nldxb %r2, [%r2+0]\nmov %r0, %r2\nexit");
    let into_data = "lddwd %r1, 5\nlddwr %r3, 0\nsub %r1, %r3";
    assert_eq!(run_sections(&program(into_data)).unwrap(), 0x22 * 5);
    let e = run_sections(&program("lddw %r1, 0x4000000000000000")).unwrap_err();
    assert_eq!(e.pc, 5, "the fault names the ldx");
    assert!(matches!(e.kind, VmErrorKind::Memory(MemFault { len: 1, access: Access::Read, .. })));
    let e = run_sections(&program("mov %r1, -1")).unwrap_err();
    assert_eq!(e.pc, 4, "the fault names the ldx");
}

#[test]
fn every_alu_opcode_decodes_to_what_the_shared_semantics_compute() {
    // The decoder's table against `apply_alu` (the JIT's fallback, which decodes
    // nothing): every ALU and ALU64 opcode the verifier accepts, offsets that select
    // signed division and sign-extending moves, immediates that matter (zero divisors,
    // byte-swap widths).
    let mut checked = 0;
    let values = [0x8000_0000_0000_0081u64, 0xffff_ffff_ffff_fff9, 3, 0];
    for opc in (0..=255u8).filter(|o| matches!(o & 7, CLS_ALU | CLS_ALU64)) {
        for (off, imm) in
            [(0i16, 7i32), (0, 0), (1, -3), (1, 0), (8, 0), (16, 0), (32, 0), (0, 16), (0, 32), (0, -1), (0, 64)]
        {
            for (a, b) in values.iter().flat_map(|&a| values.iter().map(move |&b| (a, b))) {
                // (A register source is r1; an immediate form's source field is zero.)
                let insn = Insn::new(opc, 0, u8::from(opc & SRC_X != 0), off, imm);
                let mut expected = [0u64; 16];
                (expected[0], expected[1]) = (a, b);
                let expected = apply_alu(&mut expected, insn).map(|()| expected[0]);
                let mut insns = assemble(&format!("lddw %r0, {a:#x}\nlddw %r1, {b:#x}")).unwrap();
                insns.extend([insn, Insn::new(EXIT_OP, 0, 0, 0, 0)]);
                let program = Program::from_insns(insns).unwrap();
                // (Encodings the verifier refuses never run.)
                if crate::verify(&program, &HelperSet::empty()).is_err() {
                    continue;
                }
                let mut stack = alloc::vec![0u8; STACK_FRAME_SIZE];
                let memory = Memory::new().with(Region::read_write(RegionKind::Stack, &mut stack));
                let got = Vm::new(&program, memory, &mut NoHelpers, HelperSet::empty()).run().map_err(|e| e.kind);
                assert_eq!(got.is_ok(), expected.is_ok(), "{opc:#04x} off {off} imm {imm}: {got:?}");
                if let (Ok(got), Ok(expected)) = (got, expected) {
                    assert_eq!(got, expected, "{opc:#04x} off {off} imm {imm}, {a:#x} and {b:#x}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} programs verified");
}
