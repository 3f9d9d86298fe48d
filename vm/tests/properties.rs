//! Whatever bytes arrive, verification and execution end in a value or a typed error.
use proptest::prelude::*;

use vm::memory::Region;
use vm::opcode::*;
use vm::{HelperError, HelperId, HelperSet, Helpers, Insn, Memory, Program, RegionKind, Vm, VmError};

const BUDGET: u64 = 5_000;

/// Helpers that use their pointer arguments, as real ones do.
struct Probe;

impl Helpers for Probe {
    fn call(&mut self, id: HelperId, args: &[u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError> {
        match id {
            1 => Ok(memory.c_str(args[0], 64)?.len() as u64),
            2 => {
                let n = (args[2] & 0xff) as usize;
                let src = memory.slice(args[1], n as u64)?.to_vec();
                memory.slice_mut(args[0], n as u64)?.copy_from_slice(&src);
                Ok(args[0])
            }
            5 if args[0] == 0 => Err(HelperError::Exit(0)),
            _ => Ok(args[0] ^ args[1]),
        }
    }
}

/// Verifies and, if accepted, runs; returns whether it ran. Panics only on a bug.
fn verify_and_run(bytes: &[u8], input: &mut [u8]) -> bool {
    let Ok(program) = Program::from_bytes(bytes) else { return false };
    let allowed = HelperSet::from_ids([1, 2, 5, 0x10]);
    if vm::verify(&program, &allowed).is_err() {
        return false;
    }
    let mut stack = vec![0u8; vm::interp::stack_size_for(&program)];
    let rodata = [0x41u8, 0x42, 0, 7];
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, &mut stack))
        .with(Region::read_write(RegionKind::Input, input))
        .with(Region::read_only(RegionKind::Rodata, &rodata));
    let mut probe = Probe;
    let mut vm = Vm::new(&program, memory, &mut probe, allowed).with_budget(BUDGET);
    let _ = vm.run();
    assert!(vm.executed() <= BUDGET);
    true
}

fn program() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<i16>(), any::<i32>()), 1..40).prop_map(
        |parts| {
            // The last quarter of the parts, if local calls are made, is their callee.
            let split = parts.len() - parts.len() / 4;
            let body = |parts: &[(u8, u8, u8, i16, i32)]| -> Vec<Insn> {
                let mut insns: Vec<Insn> = parts
                    .iter()
                    .flat_map(|&(k, a, b, off, imm)| match k {
                        240.. => array_load(a, b, off, imm),
                        _ => vm::testgen::build(k, a, b, off, imm, &[1, 2, 5, 0x10]),
                    })
                    .collect();
                insns.push(Insn::new(EXIT_OP, 0, 0, 0, 0));
                insns
            };
            let insns = vm::testgen::with_callee(body(&parts[..split]), body(&parts[split..]));
            insns.iter().flat_map(Insn::encode).collect()
        },
    )
}

/// `lddw[dr] d, K; add d, s; ldx d, [d + off]`, an array element (one op in the
/// interpreter when the offset is small): into `.rodata` (4 bytes here), `.data` (none
/// here) or an absolute address, with an index from any register.
fn array_load(a: u8, b: u8, off: i16, imm: i32) -> Vec<Insn> {
    let (d, s) = (a % 10, b % 11);
    let lddw = [LDDWR, LDDWD, LDDW][(b / 16 % 3) as usize];
    let k = if lddw == LDDW { imm } else { imm & 7 };
    let off = if off & 0x100 == 0 { off % 6 } else { off };
    let size = [SZ_B, SZ_H, SZ_W, SZ_DW][(a / 16 % 4) as usize];
    vec![
        Insn::new(lddw, d, 0, 0, k),
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(ADD64_REG, d, s, 0, 0),
        Insn::new(CLS_LDX | MODE_MEM | size, d, d, off, 0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), mut input in prop::collection::vec(any::<u8>(), 0..32)) {
        verify_and_run(&bytes, &mut input);
    }

    #[test]
    fn random_well_formed_programs_never_panic(bytes in program(), mut input in prop::collection::vec(any::<u8>(), 0..32)) {
        verify_and_run(&bytes, &mut input);
    }

    /// The budget is charged a run of straight-line instructions at a time and cut
    /// exactly inside one: a program run in slices of any size ends as the whole run
    /// does (value or error, instruction count, memory).
    #[test]
    fn slices_of_any_size_end_where_the_whole_run_does(bytes in program(), input in prop::collection::vec(any::<u8>(), 0..32), size in 1u64..12) {
        if let Ok(program) = Program::from_bytes(&bytes) {
            let allowed = HelperSet::from_ids([1, 2, 5, 0x10]);
            if vm::verify(&program, &allowed).is_ok() {
                // The same buffers for both runs, so that addresses match too.
                let mut buffers = (vec![0u8; vm::interp::stack_size_for(&program)], input.clone());
                let whole = run_in_slices(&program, allowed, &mut buffers, &input, None);
                let sliced = run_in_slices(&program, allowed, &mut buffers, &input, Some(size));
                prop_assert_eq!(whole, sliced);
            }
        }
    }
}

/// Runs a program whole or in slices of `size` on fresh contents of `buffers` (stack,
/// input): its end (r0 or the error), the instructions it executed, and the input
/// and stack afterwards.
fn run_in_slices(
    program: &Program,
    allowed: HelperSet,
    buffers: &mut (Vec<u8>, Vec<u8>),
    input: &[u8],
    size: Option<u64>,
) -> (Result<u64, VmError>, u64, Vec<u8>, Vec<u8>) {
    let (stack, inp) = buffers;
    stack.fill(0);
    inp.copy_from_slice(input);
    let rodata = [0x41u8, 0x42, 0, 7];
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, stack))
        .with(Region::read_write(RegionKind::Input, inp))
        .with(Region::read_only(RegionKind::Rodata, &rodata));
    let mut probe = Probe;
    let mut vm = Vm::new(program, memory, &mut probe, allowed).with_budget(BUDGET);
    let end = match size {
        None => vm.run(),
        Some(size) => loop {
            match vm.run_slice(size) {
                Ok(vm::RunStatus::Yielded) => continue,
                Ok(vm::RunStatus::Exited(r0)) => break Ok(r0),
                Err(e) => break Err(e),
            }
        },
    };
    let executed = vm.executed();
    drop(vm);
    (end, executed, buffers.0.clone(), buffers.1.clone())
}

/// The generator must actually produce programs the verifier accepts, or the
/// property above tests nothing.
#[test]
fn the_generator_yields_verifiable_programs() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = program();
    let mut accepted = 0;
    for _ in 0..2000 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        let mut input = [0u8; 16];
        if verify_and_run(&bytes, &mut input) {
            accepted += 1;
        }
    }
    eprintln!("{accepted} of 2000 generated programs verified");
    assert!(accepted >= 1000, "only {accepted} of 2000 generated programs verified");
}
