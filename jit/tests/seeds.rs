//! Loop-head seeds: a compile given the seeds the analysis made of a program emits the
//! same code as one without (random programs with loops and calls, and nested counted
//! loops); seeds of another program, or damaged ones, never stop a compile. (That wrong
//! seeds cost no soundness is shown on the device: the differential test's loops at
//! region ends run with such seeds.)
use jit::analysis::loop_seeds;
use jit::{compile_for, compile_seeded, Sizes};
use vm::testgen::{program, Rng};
use vm::Program;

/// Nested counted loops over the input and the frame, a counter spilled.
const NESTED: &str = include_str!("nested_loops.s");

/// Random verified programs, and how many have a loop head with a seed.
fn programs(count: usize) -> (Vec<Program>, usize) {
    let mut rng = Rng::new(0x5eed);
    let mut out = vec![Program::from_insns(vm::asm::assemble(NESTED).unwrap()).unwrap()];
    while out.len() < count {
        let len = 4 + (rng.next_u64() % 40) as usize;
        let Ok(p) = Program::from_insns(program(&mut rng, len, &[0x02])) else { continue };
        if vm::verify(&p, &vm::HelperSet::all()).is_ok() {
            out.push(p);
        }
    }
    let seeded = out.iter().filter(|p| !loop_seeds(p.insns(), Sizes::default()).unwrap().is_empty()).count();
    (out, seeded)
}

#[test]
fn a_compile_with_its_own_seeds_emits_the_same_code() {
    let (all, seeded) = programs(3000);
    assert!(seeded >= 300, "only {seeded} programs have loops");
    for sizes in [Sizes::default(), Sizes { rodata: 64, data: 24 }] {
        for p in &all {
            let seeds = loop_seeds(p.insns(), sizes).unwrap();
            let plain = compile_for(p, sizes).unwrap();
            let with = compile_seeded(p, sizes, &seeds).unwrap();
            assert!(
                plain.code == with.code,
                "seeds changed the code of\n  {}",
                vm::disasm::disassemble(p.insns()).join("\n  ")
            );
        }
    }
}

#[test]
fn wrong_or_damaged_seeds_never_stop_a_compile() {
    let (all, _) = programs(600);
    let mut rng = Rng::new(7);
    let seeds: Vec<Vec<u8>> = all.iter().map(|p| loop_seeds(p.insns(), Sizes::default()).unwrap()).collect();
    for (k, p) in all.iter().enumerate() {
        // Another program's seeds (their pcs land anywhere in this one).
        let other = &seeds[(k * 7 + 1) % seeds.len()];
        compile_seeded(p, Sizes::default(), other).unwrap();
        // Its own, with bytes flipped.
        let mut damaged = seeds[k].clone();
        let len = damaged.len().max(1);
        for _ in 0..1 + len / 16 {
            if let Some(b) = damaged.get_mut(rng.next_u64() as usize % len) {
                *b ^= 1 << (rng.next_u64() % 8);
            }
        }
        compile_seeded(p, Sizes::default(), &damaged).unwrap();
    }
}
