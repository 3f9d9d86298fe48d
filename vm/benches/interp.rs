//! The interpreter against rbpf's on the same bytecode and input, side by side.
//!
//! `cargo bench -p vm`: criterion groups per program with `mbpf` and `rbpf` entries,
//! then a ratio table (median of repeated runs, printed to stderr).
use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use vm::memory::Region;
use vm::{HelperSet, Memory, NoHelpers, Program, RegionKind, Vm};

struct Bench {
    name: &'static str,
    asm: String,
    input: Vec<u8>,
}

fn input(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

fn programs() -> Vec<Bench> {
    vec![
        Bench {
            name: "fletcher16-2560",
            asm: format!(
                "mov %r3, 0\nmov %r4, 0\nmov %r5, 0\nloop:\njge %r5, {len}, done\nmov %r6, %r1\nadd %r6, %r5\n\
                 ldxb %r7, [%r6+0]\nadd %r3, %r7\nmod %r3, 255\nadd %r4, %r3\nmod %r4, 255\nadd %r5, 1\nja loop\n\
                 done:\nlsh %r4, 8\nor %r4, %r3\nmov %r0, %r4\nexit",
                len = 2560
            ),
            input: input(2560),
        },
        Bench {
            name: "sum32-2560",
            asm: "mov %r0, 0\nmov %r2, %r1\nadd %r2, 2560\nloop:\njge %r1, %r2, done\nldxw %r3, [%r1+0]\nadd32 %r0, %r3\n\
                  add %r1, 4\nja loop\ndone:\nexit"
                .into(),
            input: input(2560),
        },
        Bench {
            name: "bubble-sort-32",
            asm: {
                // Fill 32 words on the stack with a xorshift sequence, then sort them.
                "mov %r1, 12345\nmov %r2, 0\nfill:\nmov %r3, %r1\nlsh %r3, 13\nxor %r1, %r3\nmov %r3, %r1\nrsh %r3, 17\n\
                 xor %r1, %r3\nmov %r3, %r1\nlsh %r3, 5\nxor %r1, %r3\nmov %r4, %r10\nadd %r4, -128\nmov %r5, %r2\nlsh %r5, 2\n\
                 add %r4, %r5\nstxw [%r4+0], %r1\nadd %r2, 1\njlt %r2, 32, fill\n\
                 mov %r6, 0\nouter:\nmov %r7, 0\ninner:\nmov %r4, %r10\nadd %r4, -128\nmov %r5, %r7\nlsh %r5, 2\nadd %r4, %r5\n\
                 ldxw %r8, [%r4+0]\nldxw %r9, [%r4+4]\njle %r8, %r9, noswap\nstxw [%r4+0], %r9\nstxw [%r4+4], %r8\nnoswap:\n\
                 add %r7, 1\nmov %r5, 31\nsub %r5, %r6\njlt %r7, %r5, inner\nadd %r6, 1\njlt %r6, 31, outer\n\
                 ldxw %r0, [%r10-128]\nldxw %r1, [%r10-4]\nlsh %r1, 32\nor %r0, %r1\nexit"
                    .into()
            },
            input: Vec::new(),
        },
        Bench {
            name: "xorshift64-1000",
            asm: "lddw %r0, 0x9e3779b97f4a7c15\nmov %r2, 0\nloop:\nmov %r3, %r0\nlsh %r3, 13\nxor %r0, %r3\nmov %r3, %r0\n\
                  rsh %r3, 7\nxor %r0, %r3\nmov %r3, %r0\nlsh %r3, 17\nxor %r0, %r3\nadd %r2, 1\njlt %r2, 1000, loop\nexit"
                .into(),
            input: Vec::new(),
        },
    ]
}

fn bytecode(b: &Bench) -> Vec<u8> {
    vm::asm::assemble(&b.asm).expect("bench program assembles").iter().flat_map(vm::Insn::encode).collect()
}

fn run_mbpf(program: &Program, input: &mut [u8], stack: &mut [u8]) -> u64 {
    let memory = Memory::new()
        .with(Region::read_write(RegionKind::Stack, stack))
        .with(Region::read_write(RegionKind::Input, input));
    let mut helpers = NoHelpers;
    Vm::new(program, memory, &mut helpers, HelperSet::empty()).run().expect("bench program runs")
}

fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..31)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..20 {
                f();
            }
            t.elapsed().as_nanos() as f64 / 20.0
        })
        .collect();
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn benches(c: &mut Criterion) {
    let mut table = Vec::new();
    for b in programs() {
        let code = bytecode(&b);
        let program = Program::from_bytes(&code).unwrap();
        vm::verify(&program, &HelperSet::empty()).expect("bench program verifies");
        let rbpf_vm = rbpf::EbpfVmRaw::new(Some(&code)).expect("rbpf accepts the program");
        let mut stack = vec![0u8; 512];
        let mut input = b.input.clone();
        let mut rinput = b.input.clone();
        let ours = run_mbpf(&program, &mut input, &mut stack);
        let theirs = rbpf_vm.execute_program(&mut rinput).expect("rbpf runs the program");
        assert_eq!(ours, theirs, "{}: engines disagree", b.name);

        let mut group = c.benchmark_group(b.name);
        group.bench_function("mbpf", |bench| bench.iter(|| run_mbpf(&program, black_box(&mut input), &mut stack)));
        group.bench_function("rbpf", |bench| bench.iter(|| rbpf_vm.execute_program(black_box(&mut rinput)).unwrap()));
        group.finish();

        let m = median_ns(|| {
            black_box(run_mbpf(&program, &mut input, &mut stack));
        });
        let r = median_ns(|| {
            black_box(rbpf_vm.execute_program(&mut rinput).unwrap());
        });
        table.push((b.name, m, r));
    }
    eprintln!("\n{:<18} {:>12} {:>12} {:>14}", "program", "mbpf ns", "rbpf ns", "rbpf / mbpf");
    for (name, m, r) in table {
        eprintln!("{name:<18} {m:>12.0} {r:>12.0} {:>13.2}x", r / m);
    }
}

criterion_group!(interp, benches);
criterion_main!(interp);
