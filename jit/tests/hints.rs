//! Hints (loop-head seeds, liveness and homes): a compile given the hints made of a
//! program emits the same code as one without (random programs with loops and calls,
//! and nested counted loops; also version 2 hints, without liveness), and the homes
//! pass the device's check as they are; hints of another program, or damaged ones,
//! never stop a compile. (That wrong hints cost no soundness is shown on the device:
//! the differential test runs programs with hints of another program, damaged, with
//! homes moved or liveness taken for more, and its loops at region ends with seeds
//! that do not hold.)
use jit::analysis::{analyse_hinted, analyse_seeded, loop_seeds};
use jit::hints::make;
use jit::regalloc::{allocate, homes};
use jit::{compile_for, compile_hinted, Sizes};
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
fn a_compile_with_its_own_hints_emits_the_same_code() {
    let (all, seeded) = programs(3000);
    assert!(seeded >= 300, "only {seeded} programs have loops");
    for sizes in [Sizes::default(), Sizes { rodata: 64, data: 24 }] {
        for p in &all {
            let hints = make(p, sizes).unwrap();
            let plain = compile_for(p, sizes).unwrap();
            let with = compile_hinted(p, sizes, &hints).unwrap();
            let listing = || vm::disasm::disassemble(p.insns()).join("\n  ");
            assert!(plain.code == with.code, "hints changed the code of\n  {}", listing());
            // Version 2, as images packed before liveness was sent: no liveness' seeds.
            let parts = jit::hints::split(&hints);
            if let Some(homes) = parts.homes {
                let v2 = [&[2][..], &(parts.seeds.len() as u32).to_le_bytes(), parts.seeds, homes].concat();
                assert!(jit::hints::split(&v2).live.is_empty() && jit::hints::split(&v2).homes == Some(homes));
                assert!(compile_hinted(p, sizes, &v2).unwrap().code == plain.code, "v2 of\n  {}", listing());
            }
        }
    }
}

#[test]
fn the_homes_a_program_is_sent_pass_the_check_as_the_allocation_they_came_from() {
    let (all, _) = programs(3000);
    for sizes in [Sizes::default(), Sizes { rodata: 64, data: 24 }] {
        for p in &all {
            let insns = p.insns();
            let seeds = loop_seeds(insns, sizes).unwrap();
            let a = analyse_seeded(insns, sizes, &seeds).unwrap();
            let own = allocate(insns, &a, &jit::loops::prepaid_loops(insns, &a)).unwrap();
            let mut bytes = Vec::new();
            homes::encode(insns, &a, &own, &mut bytes);
            let listing = || vm::disasm::disassemble(insns).join("\n  ");
            let Ok(back) = homes::check(insns, &a, &bytes) else { panic!("refused:\n  {}", listing()) };
            assert_eq!(format!("{back:?}"), format!("{own:?}"), "\n  {}", listing());
        }
    }
}

#[test]
fn wrong_or_damaged_hints_never_stop_a_compile() {
    let (all, _) = programs(600);
    let mut rng = Rng::new(7);
    // Hints as packed now, and seeds alone (version 1, as images of earlier builds).
    let hints: Vec<Vec<u8>> = all.iter().map(|p| make(p, Sizes::default()).unwrap()).collect();
    let seeds: Vec<Vec<u8>> = all.iter().map(|p| loop_seeds(p.insns(), Sizes::default()).unwrap()).collect();
    for (k, p) in all.iter().enumerate() {
        for own in [&hints, &seeds] {
            // Another program's (their pcs and slots land anywhere in this one).
            let other = &own[(k * 7 + 1) % own.len()];
            compile_hinted(p, Sizes::default(), other).unwrap();
            // Its own, with bytes flipped.
            let mut damaged = own[k].clone();
            let len = damaged.len().max(1);
            for _ in 0..1 + len / 16 {
                if let Some(b) = damaged.get_mut(rng.next_u64() as usize % len) {
                    *b ^= 1 << (rng.next_u64() % 8);
                }
            }
            compile_hinted(p, Sizes::default(), &damaged).unwrap();
        }
    }
}

/// Where the homes start in `hints` (they are its last bytes).
fn homes_at(hints: &[u8]) -> usize {
    hints.len() - jit::hints::split(hints).homes.unwrap().len()
}

#[test]
fn homes_with_a_bit_flipped_never_stop_a_compile_and_many_pass_as_another_allocation() {
    // What the device differential sends as "rehomed": homes with a bit flipped that
    // still pass the check, an allocation other than the allocator's, whose code must
    // then run as the interpreter does.
    let (all, _) = programs(1500);
    let mut rng = Rng::new(11);
    let (mut tried, mut other) = (0, 0);
    for p in &all {
        let insns = p.insns();
        let hints = make(p, Sizes::default()).unwrap();
        let start = homes_at(&hints);
        let (parts, own) = (jit::hints::split(&hints), &hints[start..]);
        let a = analyse_hinted(insns, Sizes::default(), parts.seeds, parts.live).unwrap();
        let Ok(mine) = homes::check(insns, &a, own) else { panic!("own homes refused") };
        tried += 1;
        for _ in 0..32 {
            let mut flipped = hints.clone();
            let at = start + rng.next_u64() as usize % own.len();
            flipped[at] ^= 1 << (rng.next_u64() % 8);
            compile_hinted(p, Sizes::default(), &flipped).unwrap();
            if homes::check(insns, &a, &flipped[start..]).is_ok_and(|h| format!("{h:?}") != format!("{mine:?}")) {
                other += 1;
                break;
            }
        }
    }
    eprintln!("{other} of {tried} programs have a bit of their homes that flipped passes as another allocation");
    assert!(other * 4 >= tried, "{other} of {tried}");
}
