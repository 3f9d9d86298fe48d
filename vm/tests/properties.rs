//! Whatever bytes arrive, verification and execution end in a value or a typed error.
use proptest::prelude::*;

use vm::memory::Region;
use vm::opcode::*;
use vm::{HelperError, HelperId, HelperSet, Helpers, Insn, Memory, Program, RegionKind, Vm};

const BUDGET: u64 = 5_000;

/// Helpers that use their pointer arguments, as real ones do.
struct Probe;

impl Helpers for Probe {
    fn call(&mut self, id: HelperId, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError> {
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

/// Builds one valid instruction (one or two slots) of a class picked by `kind`; the
/// other numbers fill its fields. Jumps are short so that most targets are in range.
fn build(kind: u8, a: u8, b: u8, off: i16, imm: i32) -> Vec<Insn> {
    let dst = a % 10; // writable: r0-r9
    let src = b % 11;
    let base = [10, 1, 10, src][(b % 4) as usize]; // memory bases: mostly stack and input
    let alu_ops = [OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_OR, OP_AND, OP_LSH, OP_RSH, OP_MOD, OP_XOR, OP_MOV, OP_ARSH];
    let sizes = [SZ_B, SZ_H, SZ_W, SZ_DW];
    let jmp_ops = [JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];
    let short = off % 4;
    let mem_off = (off % 64) - 32;
    let one = |i| vec![i];
    match kind % 16 {
        0 | 1 => {
            let op = alu_ops[a as usize % alu_ops.len()];
            let cls = if kind % 2 == 0 { CLS_ALU64 } else { CLS_ALU };
            let signed = if matches!(op, OP_DIV | OP_MOD) { (b & 1) as i16 } else { 0 };
            if imm & 1 == 0 { one(Insn::new(cls | op | SRC_X, dst, src, signed, 0)) } else { one(Insn::new(cls | op, dst, 0, signed, imm >> 1)) }
        }
        2 => one(Insn::new([CLS_ALU64, CLS_ALU][(b & 1) as usize] | OP_NEG, dst, 0, 0, 0)),
        3 => one(Insn::new([0xd4, 0xdc, 0xd7][b as usize % 3], dst, 0, 0, [16, 32, 64][a as usize % 3])),
        4 => one(if b & 1 == 0 { Insn::new(0xbf, dst, src, [8, 16, 32][a as usize % 3], 0) } else { Insn::new(0xbc, dst, src, [8, 16][a as usize % 2], 0) }),
        5 => vec![Insn::new(LDDW, dst, 0, 0, imm), Insn::new(0, 0, 0, 0, imm.rotate_left(7))],
        6 => one(Insn::new(CLS_LDX | MODE_MEM | sizes[a as usize % 4], dst, base, mem_off, 0)),
        7 => one(Insn::new(CLS_LDX | MODE_MEMSX | sizes[a as usize % 3], dst, base, mem_off, 0)),
        8 => one(Insn::new(CLS_ST | MODE_MEM | sizes[a as usize % 4], base, 0, mem_off, imm)),
        9 => one(Insn::new(CLS_STX | MODE_MEM | sizes[a as usize % 4], base, src, mem_off, 0)),
        10 => {
            let ops = [ATOMIC_ADD, ATOMIC_OR, ATOMIC_AND, ATOMIC_XOR, ATOMIC_ADD | ATOMIC_FETCH, ATOMIC_XOR | ATOMIC_FETCH, ATOMIC_XCHG, ATOMIC_CMPXCHG];
            one(Insn::new(CLS_STX | MODE_ATOMIC | [SZ_W, SZ_DW][(a & 1) as usize], base, src, mem_off & !7, ops[b as usize % ops.len()]))
        }
        11 | 12 => {
            let cls = if kind % 2 == 1 { CLS_JMP } else { CLS_JMP32 };
            let op = jmp_ops[a as usize % jmp_ops.len()];
            if imm & 1 == 0 { one(Insn::new(cls | op | SRC_X, a % 11, src, short, 0)) } else { one(Insn::new(cls | op, a % 11, 0, short, imm >> 1)) }
        }
        13 => one(Insn::new(JA64, 0, 0, short.abs(), 0)),
        14 => one(match b % 3 {
            0 => Insn::new(CALL_IMM, 0, CALL_HELPER, 0, [1, 2, 5, 0x10][a as usize % 4]),
            1 => Insn::new(CALL_IMM, 0, CALL_LOCAL, 0, short as i32),
            _ => Insn::new(CALL_REG, src, 0, 0, 0),
        }),
        _ => one(Insn::new(EXIT_OP, 0, 0, 0, 0)),
    }
}

fn program() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<i16>(), any::<i32>()), 1..40).prop_map(|parts| {
        let mut insns: Vec<Insn> = parts.into_iter().flat_map(|(k, a, b, off, imm)| build(k, a, b, off, imm)).collect();
        insns.push(Insn::new(EXIT_OP, 0, 0, 0, 0));
        insns.iter().flat_map(Insn::encode).collect()
    })
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
