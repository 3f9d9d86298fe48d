//! The JIT against the interpreter, both on the emulated Cortex-M4: random valid
//! programs (loops, calls, helper calls, memory accesses inside and outside the
//! regions, every ALU and jump kind) must give the same r0, the same failure and the
//! same memory. 10,000 programs per CI run with a fixed seed; `MBPF_DIFF_COUNT` and
//! `MBPF_DIFF_SEED` run more or others. Half go as femto images with the JIT's hints
//! (loop-head seeds, liveness and homes): their own, damaged, with homes that pass the
//! device's check but are not the allocator's, or with liveness the device takes that
//! is not the least ([`with_hints`]): the JIT must agree whatever they say.

use super::common;
use testbed::Node;

use std::time::Duration;

use coap_lite::RequestType;
use testbed::coap_client::CoapClient;
use testbed::firmware::Variant;
use vm::testgen::{program, Rng};

/// memcpy and unwind: helpers whose effects are the same on both engines and leave no
/// state behind between runs.
const HELPERS: &[i32] = &[0x02, 0x05];
const BUDGET: u64 = 20_000;

/// Programs random runs once found a mismatch in, run first.
const REGRESSIONS: &[&str] = &[
    // A callee's exit left r0's known-zero high half unstored; its caller, reading
    // r0 after the return, saw the high half of the value before the call.
    "lddw %r0, 0xf3af95a64de75f2b\ncall local f\nexit\nf: ldxb %r0, [%r10-32]\nexit",
    // An atomic writes its source and reloads r0: with the source a copy of r0 (one
    // value, one ARM register until then), the reloads overwrote each other.
    "mov32 %r0, 0xeb\nmov %r2, %r1\nmov32 %r3, 0xd6\nmov32 %r1, %r0\nlock xchg [%r10-88], %r1\nexit",
    "mov32 %r0, 0x7c\nmov %r2, %r1\nmov32 %r3, 0xc6\nmov %r0, %r2\nlock fetch add [%r10-48], %r2\nexit",
];

/// The programs every run compares before the random ones: the regressions, and sign
/// extensions (`lsh; arsh` by one amount, which both engines compile as one pattern
/// from 32 on) of values whose bits just above and below the kept ones differ.
fn fixed_programs() -> Vec<String> {
    let mut all: Vec<String> = REGRESSIONS.iter().map(|s| s.to_string()).collect();
    for k in [0, 1, 31, 32, 33, 40, 47, 48, 55, 56, 63] {
        for v in [0x80u64, 0x7f, 0x8000, 0x8000_0000, 0x1234_5678_9abc_def0, 0xffff_ffff_ffff_7fff] {
            for right in ["arsh", "rsh"] {
                all.push(format!("lddw %r0, {v:#x}\nlsh %r0, {k}\n{right} %r0, {k}\nexit"));
                // The same through a register whose halves the JIT may keep in `ctx`.
                all.push(format!("lddw %r5, {v:#x}\nlsh %r5, {k}\n{right} %r5, {k}\nmov %r0, %r5\nexit"));
            }
        }
    }
    // Counted loops of every latch the JIT prepays and compiles twice, entered below,
    // at and past their limits: odd and even runs, the body run once, and 32-bit
    // counters around 2^32.
    let latches = [
        ("add %r0, %r2\nadd %r2, 1\njlt %r2, 8, l", true),
        ("mov %r4, %r2\nadd %r2, 2\nadd %r0, %r4\njlt %r4, 8, l", true),
        ("add32 %r2, 1\nmov32 %r4, %r2\nadd %r0, %r4\njlt32 %r4, 8, l", true),
        ("add %r0, %r2\nadd32 %r2, 1\njlt %r2, 8, l", true),
        ("add %r0, %r2\nadd %r2, 1\njeq %r2, 8, +1\nja l", false),
        ("add %r0, %r2\nadd32 %r2, 2\njne32 %r2, 8, l", false),
    ];
    for (latch, past_the_limit) in latches {
        for start in [0i32, 1, 2, 5, 6, 7, 8, 9, 100, -2, -1] {
            // Entering past an equality's limit runs through 2^64 (or off the grid,
            // 2^32): longer than the run's budget, not a comparison of results.
            if past_the_limit || (0..8).contains(&start) && (latch.contains("jeq") || start % 2 == 0) {
                all.push(format!("mov32 %r2, {start}\nmov %r0, 0\nl: {latch}\nxor %r0, %r2\nexit"));
            }
        }
    }
    // Counters kept in a frame slot (a doubleword or a word, its register another
    // value first), entered below, at and past the limit, with the doubleword's high
    // word set (2^32 on: longer than the budget), in bodies compiled twice and once.
    let slotted = [
        ("stxdw [%r10-16], %r2", "mov32 %r2, %r0\nstxw [%r10-24], %r2\nldxdw %r2, [%r10-16]\nadd %r0, %r2\nadd %r2, 2\nstxdw [%r10-16], %r2\njeq %r2, 8, +1\nja l"),
        ("stxw [%r10-16], %r2", "ldxw %r2, [%r10-16]\nadd %r0, %r2\nadd32 %r2, 1\nstxw [%r10-16], %r2\njne32 %r2, 8, l"),
        ("stxdw [%r10-16], %r2", &format!("ldxdw %r2, [%r10-16]\n{}add %r2, 1\nstxdw [%r10-16], %r2\njne %r2, 8, l", "add %r0, %r2\nxor %r0, 5\n".repeat(9))),
    ];
    for (init, body) in slotted {
        for start in [0i64, 1, 2, 6, 7, 8, 0x1_0000_0002] {
            let past = start >= 8 || (body.contains("add %r2, 2") && start % 2 == 1);
            if !past || start == 0x1_0000_0002 || body.contains("jne32") {
                all.push(format!("lddw %r2, {start:#x}\n{init}\nmov %r0, 0\nl: {body}\nxor %r0, %r2\nexit"));
            }
        }
    }
    // A doubleword slot rewritten with values below 2^32 (whose high word the JIT does
    // not write again when the slot's is zero) after ones at 2^32 and past, and bytes
    // of its high word, read back whole.
    for before in
        ["stdw [%r10-16], 5", "lddw %r3, 0x500000000\nstxdw [%r10-16], %r3", "stdw [%r10-16], 5\nstb [%r10-12], 1", ""]
    {
        for stored in ["mov32 %r2, 7", "lddw %r2, 0x100000007"] {
            all.push(format!("{before}\n{stored}\nstxdw [%r10-16], %r2\nldxdw %r0, [%r10-16]\nexit"));
            all.push(format!("{before}\n{stored}\nstxdw [%r10-16], %r2\nldxw %r0, [%r10-12]\nexit"));
        }
    }
    // `dst[i] = src[i]` in the frame, the store's address computed before the load's
    // (the JIT defers it to the store when nothing between touches it or writes `i`),
    // with things between that may or may not allow it.
    let init: String = (1..=8).map(|k| format!("stdw [%r10-{}], {}\n", 8 * k, 0x0102_0304 * k)).collect();
    for between in ["", "add %r4, 1\n", "add %r1, 4\n", "mov %r0, %r2\n", "stxw [%r10-40], %r1\n", "lddw %r5, 0x1234\n"]
    {
        for (k, off) in [(-32, 0), (-36, 4), (-300, 260)] {
            all.push(format!(
                "{init}ldxb %r1, [%r1+0]\nand %r1, 0x1c\nmov %r0, 0\nmov %r2, %r10\nadd %r2, {k}\nadd %r2, %r1\n\
                 mov %r3, %r10\nadd %r3, -64\nadd %r3, %r1\nldxw %r3, [%r3+0]\n{between}stxw [%r2{off:+}], %r3\n\
                 ldxdw %r4, [%r10-32]\nxor %r0, %r4\nldxdw %r4, [%r10-24]\nxor %r0, %r4\nldxdw %r4, [%r10-40]\n\
                 xor %r0, %r4\nexit"
            ));
        }
    }
    // Frame array elements through `d = r10 + k + i` used once (the JIT folds `k` and
    // the offset into the access), with r10's home biased (a store below r10 - 255)
    // and not, each read back whole.
    for deep in ["stb [%r10-400], 5\n", ""] {
        for (k, off) in [(-256, 0), (-260, 4), (-96, 8), (-64, -8), (-300, 44)] {
            // Stored through a folded pointer, read back through one kept whole (read
            // twice), and the other way round.
            all.push(format!(
                "{deep}ldxb %r2, [%r1+3]\nand %r2, 0x1c\nadd %r2, 7\nmov %r3, %r10\nadd %r3, {k}\nadd %r3, %r2\n\
                 stxw [%r3{off:+}], %r2\nmov %r6, %r10\nadd %r6, {k}\nadd %r6, %r2\nldxw %r0, [%r6{off:+}]\n\
                 stxb [%r6{:+}], %r0\nmov %r4, %r10\nadd %r4, {k}\nadd %r4, %r2\nldxh %r5, [%r4{off:+}]\n\
                 lsh %r0, 16\nadd %r0, %r5\nexit",
                off + 1,
            ));
        }
    }
    // A callee reading and writing its caller's frame (proven: the frame below its
    // own) at both ends, below it (past the stack's bottom: a fault), and its own.
    for at in [-512, -511, -8, -1, -513, -600, 0, 504, 511, 512] {
        all.push(format!(
            "stdw [%r10-512], 9\nstdw [%r10-8], 7\nmov %r2, %r10\nadd %r2, {at}\ncall local f\n\
             ldxdw %r1, [%r10-512]\nadd %r0, %r1\nexit\n\
             f: ldxb %r0, [%r2+0]\nadd %r0, 3\nstxb [%r2+0], %r0\nmov %r3, %r2\ncall local g\nexit\n\
             g: ldxb %r1, [%r3+0]\nadd %r0, %r1\nexit"
        ));
    }
    // The entry function's frame is the stack's bottom: below it, a fault (a program
    // with calls, code the entry function and a callee share).
    for at in [-512, -513, -600] {
        all.push(format!("mov %r6, %r10\nadd %r6, {at}\ncall local f\nldxb %r0, [%r6+0]\nexit\nf: mov %r0, 0\nexit"));
        all.push(format!(
            "mov %r6, %r10\nadd %r6, {at}\njeq %r1, 0, s\ncall local s\nexit\ns: ldxb %r0, [%r6+0]\nexit"
        ));
    }
    // Loops entered at their body, paid for on the way in: counters entering below, at
    // and past a register or constant limit, near 2^32 too, stepping by 1 and 4.
    for step in [1, 4] {
        for (start, limit) in [(1, 30), (0, 1), (1, 1), (1, 2), (5, 3), (29, 30), (30, 30), (-2, 30), (0, 0), (3, -1)] {
            for test in ["jlt %r3, %r1, b", &format!("jlt %r3, {}, b", limit.max(0))] {
                all.push(format!(
                    "mov32 %r1, {limit}\nmov32 %r3, {start}\nmov %r0, 0\nja b\nh: add %r3, {step}\n{test}\nja out\n\
                     b: add %r0, %r3\njgt %r3, 4, +1\nadd %r0, 7\nstxdw [%r10-8], %r0\nja h\nout: xor %r0, %r3\nexit"
                ));
            }
        }
    }
    // A zero extension, and an AND, OR or XOR with a value whose high half is zero, on
    // one path to a join: after it the high half is read from where the JIT keeps it.
    for op in ["lsh %r0, 32\nrsh %r0, 32", "lsh %r0, 40\nrsh %r0, 40", "and %r0, %r2", "or %r0, %r2", "xor %r0, %r2"] {
        for (r, v) in [("%r0", "0x123456789abcdef0"), ("%r5", "0xfedcba9876543210")] {
            let body = op.replace("%r0", r);
            let skip = body.lines().count();
            // The path is chosen by a byte the analysis does not follow through the frame.
            for path in [0, 1] {
                all.push(format!(
                    "lddw {r}, {v}\nmov32 %r2, -7\nstb [%r10-1], {path}\nldxb %r3, [%r10-1]\njset %r3, 1, +{skip}\n\
                     {body}\nmov %r0, {r}\nexit"
                ));
            }
        }
    }
    // 64-bit multiplies of values the JIT knows to be sign-extended (one `smull`), and
    // of values it must not take for such: written since, or reached by a jump.
    for (a, b) in [
        (0x80u64, 0xffff_ffff_ffff_ff7fu64),
        (0x7fff_ffff, 0x8000_0000),
        (0x1234_5678_9abc_def0, 0xfedc_ba98_7654_3210),
    ] {
        all.extend([
            format!("lddw %r1, {a:#x}\nlsh %r1, 56\narsh %r1, 56\nlddw %r2, {b:#x}\nlsh %r2, 48\narsh %r2, 48\nmul %r1, %r2\nmov %r0, %r1\nexit"),
            format!("lddw %r1, {a:#x}\nlsh %r1, 32\narsh %r1, 32\nmul %r1, -7\nmov %r0, %r1\nexit"),
            format!("mov %r1, -5\nlddw %r2, {b:#x}\nmovsx3264 %r2, %r2\nmov %r3, %r2\nmul %r3, %r1\nmov %r0, %r3\nexit"),
            format!("lddw %r1, {a:#x}\nstxdw [%r10-8], %r1\nldxsw %r2, [%r10-8]\nldxsh %r3, [%r10-6]\nmul %r2, %r3\nmov %r0, %r2\nexit"),
            // Written since: no longer a sign copy.
            format!("lddw %r1, {a:#x}\nlsh %r1, 32\narsh %r1, 32\nmov %r2, -3\nadd32 %r1, %r2\nmul %r1, %r2\nmov %r0, %r1\nexit"),
            // A source that is no sign copy.
            format!("lddw %r1, {a:#x}\nlsh %r1, 32\narsh %r1, 32\nlddw %r2, {b:#x}\nmul %r1, %r2\nmov %r0, %r1\nexit"),
            // A multiply reached by a jump, with r1 not a sign copy, after code that makes it one.
            format!("lddw %r1, {b:#x}\nmov %r2, -3\njne %r2, 1, +2\nlsh %r1, 32\narsh %r1, 32\nmul %r1, %r2\nmov %r0, %r1\nexit"),
        ]);
    }
    // `mov32 d, s; shift32 d, k`: one shifted move in the JIT, amounts modulo 32.
    for op in ["lsh32", "rsh32", "arsh32"] {
        for k in [0, 1, 13, 31, 32, 45] {
            all.push(format!("lddw %r0, -1\nlddw %r1, 0x9234567887654321\nmov32 %r0, %r1\n{op} %r0, {k}\nexit"));
        }
    }
    // Bit fields of a 32-bit value (one `sbfx`/`ubfx` in the JIT), from a copy of a
    // 64-bit value whose high half must not show or in place, at the ends of the word.
    let init = "lddw %r1, 0x9234567887654321\nlddw %r0, -1\nlddw %r5, -1\n";
    for (k, m) in [(0, 0), (0, 31), (1, 31), (4, 20), (31, 31), (16, 24)] {
        for right in ["arsh32", "rsh32"] {
            all.extend([
                format!("{init}mov32 %r0, %r1\nlsh32 %r0, {k}\n{right} %r0, {m}\nexit"),
                format!("{init}mov %r5, %r1\nlsh32 %r5, {k}\n{right} %r5, {m}\nmov %r0, %r5\nexit"),
            ]);
        }
    }
    for (k, mask) in [(0, 1), (7, 0x1ff), (28, 0xff), (31, 1), (0, -1), (12, 0x7fff_ffff)] {
        all.extend([
            format!("{init}mov32 %r0, %r1\nrsh32 %r0, {k}\nand32 %r0, {mask}\nexit"),
            format!("{init}mov %r5, %r1\nrsh32 %r5, {k}\nand32 %r5, {mask}\nmov %r0, %r5\nexit"),
        ]);
    }
    for v in ["0x9234567887654321", "0x9234567887654320"] {
        all.push(format!("lddw %r1, {v}\nlddw %r0, -1\nmov32 %r0, %r1\nand32 %r0, 1\nneg32 %r0\nexit"));
    }
    // No fields: the move, or the second instruction, on another register; a mask of
    // two bits negated; a jump onto the second instruction, or onto the first after
    // the move.
    all.extend([
        "lddw %r1, 0x1234567887654322\nmov32 %r0, %r1\nand32 %r0, 3\nneg32 %r0\nexit".into(),
        format!("{init}mov %r0, %r1\nmov %r2, 5\njeq %r2, 5, +2\nmov32 %r0, %r1\nlsh32 %r0, 4\narsh32 %r0, 20\nexit"),
        format!("{init}mov %r0, %r1\nmov %r2, 5\njeq %r2, 5, +1\nmov32 %r0, %r1\nrsh32 %r0, 4\nand32 %r0, 255\nexit"),
        format!("{init}mov32 %r5, %r1\nlsh32 %r0, 4\narsh32 %r0, 20\nadd32 %r0, %r5\nexit"),
        format!("{init}mov32 %r0, %r1\nlsh32 %r0, 4\nrsh32 %r5, 20\nadd %r0, %r5\nexit"),
    ]);
    // Loads of a byte or half, then their sign extension (one signed load in the JIT),
    // with other work or a read of the loaded register between, the result read whole
    // or by its high half, the sign bit set or not.
    for (ldx, k, off) in [("ldxb", 56, -8), ("ldxb", 56, -7), ("ldxh", 48, -8), ("ldxh", 48, -4)] {
        let init = "lddw %r1, 0x7f80017f8081fe7f\nstxdw [%r10-8], %r1\n";
        let ext = format!("lsh %r2, {k}\narsh %r2, {k}");
        all.extend([
            format!("{init}{ldx} %r2, [%r10{off}]\nmov %r3, 5\n{ext}\nmov %r0, %r2\nexit"),
            format!("{init}{ldx} %r2, [%r10{off}]\n{ext}\nrsh %r2, 32\nmov %r0, %r2\nexit"),
            format!("{init}{ldx} %r2, [%r10{off}]\nmov %r0, %r2\n{ext}\nadd %r0, %r2\nexit"),
            format!("{init}{ldx} %r2, [%r10{off}]\nstxdw [%r10-16], %r1\n{ext}\nmul %r2, %r1\nmov %r0, %r2\nexit"),
        ]);
    }
    // ... and a jump into the run between them, from where the register holds another value.
    all.push(
        "lddw %r1, 0x7f80017f8081fe7f\nstxdw [%r10-8], %r1\nmov %r2, 0xfe\njeq %r2, 0xfe, +1\nldxb %r2, [%r10-8]\n\
         mov %r3, 5\nlsh %r2, 56\narsh %r2, 56\nmov %r0, %r2\nexit"
            .into(),
    );
    // Rotates (`jit`'s one `ror`): right and left, by 1, 7 and 31, the result in either
    // register, the other register read afterwards or not, over a 64-bit value whose
    // high half must not show, and x itself overwritten by the result.
    for (s1, s2) in [("rsh32", "lsh32"), ("lsh32", "rsh32")] {
        for k in [1, 7, 31] {
            let rot = |x: &str, a: &str, b: &str, d: &str, s: &str| {
                format!("mov32 {a}, {x}\n{s1} {a}, {k}\nmov32 {b}, {x}\n{s2} {b}, {}\nor32 {d}, {s}", 32 - k)
            };
            let init = "lddw %r1, 0x9234567887654321\nlddw %r2, -1\nlddw %r3, -1\n";
            all.extend([
                format!("{init}{}\nmov %r0, %r3\nexit", rot("%r1", "%r2", "%r3", "%r3", "%r2")),
                format!("{init}{}\nmov %r0, %r2\nexit", rot("%r1", "%r2", "%r3", "%r2", "%r3")),
                format!(
                    "{init}{}\nmov %r0, %r3\nlsh %r0, 32\nor %r0, %r2\nexit",
                    rot("%r1", "%r2", "%r3", "%r3", "%r2")
                ),
                format!(
                    "{init}{}\nmov %r0, %r2\nlsh %r0, 32\nor %r0, %r3\nexit",
                    rot("%r1", "%r2", "%r3", "%r2", "%r3")
                ),
                format!("{init}{}\nmov %r0, %r1\nexit", rot("%r1", "%r2", "%r1", "%r1", "%r2")),
                format!("{init}{}\nmov %r0, %r7\nexit", rot("%r1", "%r6", "%r7", "%r7", "%r6")),
            ]);
        }
    }
    // A rotate in a loop whose result is copied back into x: the two share an ARM
    // register, and the other register's shift (still read) must read x first.
    all.push(
        "lddw %r1, 0x12345678\nmov %r4, 0\nmov %r0, 0\nl: mov32 %r2, %r1\nrsh32 %r2, 7\nmov32 %r3, %r1\n\
         lsh32 %r3, 25\nor32 %r3, %r2\nadd %r0, %r2\nmov %r1, %r3\nadd %r4, 1\njne %r4, 3, l\nadd %r0, %r1\nexit"
            .into(),
    );
    // Array loads, `lddw d, K; add d, s; ldx d, [d + off]` (one op in the interpreter,
    // with `K + off` folded): K = 0 and s a stack address, every width, offsets either
    // side; and a K that leaves every region, so that both engines fault at the load.
    for (ldx, off) in [("ldxb", 3), ("ldxh", -2), ("ldxw", 4), ("ldxdw", -8), ("ldxdw", 0)] {
        all.push(format!(
            "lddw %r1, 0x8877665544332211\nstxdw [%r10-16], %r1\nstxdw [%r10-8], %r1\nmov %r3, %r10\nadd %r3, -8\n\
             lddw %r2, 0\nadd %r2, %r3\n{ldx} %r2, [%r2{off:+}]\nmov %r0, %r2\nexit"
        ));
    }
    all.push("mov %r3, 4\nlddw %r2, 0x10\nadd %r2, %r3\nldxw %r2, [%r2+0]\nmov %r0, %r2\nexit".into());
    // Stack accesses deeper than an 8-bit negative offset reaches (the address goes
    // into r12 first), of every width, down to the frame's last byte and past it.
    // Each value is written one way and read the other (through r2 = r10 + off, at
    // offset 0), so that a wrong address shows.
    for off in [-256, -260, -300, -508, -512, -520, -4095] {
        let via_r2 = format!("mov %r2, %r10\nadd %r2, {off}");
        all.extend([
            format!("{via_r2}\nlddw %r1, 0x1122334455667788\nstxdw [%r10{off:+}], %r1\nldxdw %r0, [%r2+0]\nexit"),
            format!("{via_r2}\nmov %r1, -2\nstxw [%r2+0], %r1\nldxsw %r0, [%r10{off:+}]\nexit"),
            format!("{via_r2}\nsth [%r10{off:+}], 0x1234\nldxh %r0, [%r2+0]\nexit"),
            format!("{via_r2}\nstb [%r2+0], 7\nldxb %r0, [%r10{off:+}]\nexit"),
        ]);
    }
    // Values kept across a bpf-to-bpf call (r6-r9, reloaded at the landing) next to
    // the callee's result in r0, with the callee writing the same register or not, and
    // ones dead after the call: a reload must not land on a live value's register.
    for k in 6..=9 {
        let writes = format!("mov %r{k}, 100\nadd %r0, %r{k}\n");
        let uses = format!("add %r0, %r{k}");
        for (callee, after) in [("", uses.as_str()), (&writes, &uses), ("", "add %r0, 1"), (&writes, "add %r0, 1")] {
            all.push(format!(
                "lddw %r{k}, 0x700000007\nmov %r1, 3\ncall local f\n{after}\nadd %r0, %r1\nexit\n\
                 f: mov %r0, 41\n{callee}mov %r1, 5\nexit"
            ));
        }
    }
    // A 64-bit copy whose source's high half is read after the copy's low half is
    // written: the source, r1, is live around the loop and its high half known zero.
    all.push(
        "mov32 %r0, 0xce\nl: mov %r2, %r1\nmov32 %r3, 0x1b\njlt %r3, %r2, l\nexit\ncall local f\nexit\nf: exit".into(),
    );
    all.extend(load_assemblies(&mut Rng::new(0x6c6f_6164), 300));
    // `unwind(0)` ends the program (the helper's exit status), at the top and inside a
    // bpf-to-bpf call; unwind(9) goes on.
    all.push("mov %r6, 3\nmov %r1, 0\ncall 5\nmov %r0, 7\nexit".into());
    all.push("mov %r1, 9\ncall 5\nadd %r0, 1\nexit".into());
    all.push("mov %r0, 4\ncall local f\nmov %r0, 7\nexit\nf: mov %r1, 0\ncall 5\nexit".into());
    all.extend(carry_checked_accesses(&mut Rng::new(0x6361_7272), 300));
    all.extend(remainders(&mut Rng::new(0x7265_6d73), 300));
    all.extend(constant_products(&mut Rng::new(0x6d75_6c73), 300));
    all.extend(shifted_constants(&mut Rng::new(0x7368_6966), 400));
    all.extend(constant_compares(&mut Rng::new(0x636d_7073), 300));
    // A sum whose high half is not the add's carry at the access: a 64-bit add between
    // (of 2^32: the low half a frame address), or a jump onto the access from where
    // the same register holds such an address. (r3 = 5, from a helper: not bounded.)
    let index = "mov %r1, 5\ncall 5\nmov32 %r3, %r0\nmov %r2, %r10\nadd %r2, -16\nlddw %r8, 0x100000000\n";
    all.push(format!("{index}add %r2, %r3\nadd %r2, %r8\nldxb %r0, [%r2+0]\nexit"));
    all.push(format!(
        "{index}add %r2, %r8\njeq %r3, 5, +3\nmov %r2, %r10\nadd %r2, -16\nadd %r2, %r3\nldxb %r0, [%r2+0]\nexit"
    ));
    // ... a base that changes to another pointer between two of them; values assembled
    // only after the base's last use (their registers may be the base's).
    let init =
        "lddw %r1, 0x8877665544332211\nstxdw [%r10-8], %r1\nlddw %r1, 0xffeeddccbbaa9988\nstxdw [%r10-16], %r1\n\
                mov %r9, %r10\nadd %r9, -16\nmov %r0, 0\n";
    all.push(format!(
        "{init}mov %r8, %r10\nadd %r8, -8\nldxb %r1, [%r9+0]\nmov %r9, %r8\nldxb %r2, [%r9+1]\nlsh32 %r2, 8\n\
         or32 %r1, %r2\nmov %r0, %r1\nexit"
    ));
    // Two bytes ORed into one place whose lane codes OR to a third's; a 32-bit shift
    // that drops a byte the 64-bit ORs after it would fill around.
    all.push(format!(
        "{init}ldxb %r1, [%r9+0]\nldxb %r2, [%r9+1]\nor %r1, %r2\nldxb %r3, [%r9+3]\nlsh %r3, 8\nor %r1, %r3\n\
         mov %r0, %r1\nexit"
    ));
    all.push(format!(
        "{init}ldxh %r1, [%r9+6]\nlsh32 %r1, 24\nldxb %r2, [%r9+3]\nldxb %r3, [%r9+4]\nlsh %r3, 8\nor %r2, %r3\n\
         ldxb %r3, [%r9+5]\nlsh %r3, 16\nor %r2, %r3\nor %r1, %r2\nldxb %r3, [%r9+8]\nlsh %r3, 40\nor %r1, %r3\n\
         ldxb %r3, [%r9+9]\nlsh %r3, 48\nor %r1, %r3\nldxb %r3, [%r9+10]\nlsh %r3, 56\nor %r1, %r3\nmov %r0, %r1\nexit"
    ));
    for (a, b, c, d, x, y) in [(3, 4, 5, 6, 1, 2), (6, 7, 8, 1, 0, 2), (2, 3, 4, 5, 1, 0), (1, 2, 3, 4, 9, 8)] {
        for (wide, alu) in [("ldxb", "32"), ("ldxh", "")] {
            let k = if wide == "ldxh" { 2 } else { 1 };
            all.push(format!(
                "{init}mov %r6, 1\nmov %r7, 2\nmov %r8, 3\n{wide} %r{a}, [%r9+0]\n{wide} %r{b}, [%r9+{k}]\n\
                 {wide} %r{c}, [%r9+{}]\n{wide} %r{d}, [%r9+{}]\nmov{alu} %r{x}, %r{b}\nlsh{alu} %r{x}, {}\n\
                 or{alu} %r{x}, %r{a}\nmov{alu} %r{y}, %r{d}\nlsh{alu} %r{y}, {}\nor{alu} %r{y}, %r{c}\n\
                 add %r6, %r{x}\nadd %r7, %r{y}\nadd %r6, %r8\nadd %r6, %r7\nmov %r0, %r6\nexit",
                2 * k,
                3 * k,
                8 * k,
                8 * k
            ));
        }
    }
    // More hot 32-bit values than registers in code no loop repeats (no budget step to
    // pay for: lr is a home): lr goes to a value no call meets, never to the coldest
    // of r6-r9, which a helper call keeps.
    for cold in 6..10 {
        for second in [2, 5] {
            let uses = |r| {
                if r == cold {
                    1
                } else if r == second {
                    2
                } else {
                    3
                }
            };
            let mut text: String = (2..10).map(|r| format!("mov32 %r{r}, {}\n", 0x1111 * (r + 3))).collect();
            for k in 0..3 {
                for r in (2..10).filter(|&r| k < uses(r)) {
                    text += &format!("add32 %r{r}, {}\n", 7 * k + 1);
                }
            }
            text += "mov32 %r0, %r2\nadd32 %r0, %r3\nadd32 %r0, %r4\nadd32 %r0, %r5\nstxw [%r10-4], %r0\n\
                     mov %r1, %r10\nadd %r1, -8\nmov %r2, %r10\nadd %r2, -4\nmov %r3, 4\ncall 2\n\
                     ldxw %r0, [%r10-8]\nadd32 %r0, %r6\nadd32 %r0, %r7\nadd32 %r0, %r8\nadd32 %r0, %r9\nexit";
            all.push(text);
        }
    }
    // ... and never to one an access meets that the analysis cannot place (a pointer
    // into the frame or the input, by an input byte): its out-of-line check calls the
    // runtime. Both ways, in and past the window the code checks inline.
    for cold in 6..10 {
        for pick in ["jeq %r1, 0, +1", "jne %r1, 0, +1"] {
            let uses = |r| {
                if r == cold {
                    1
                } else if r == 2 {
                    2
                } else {
                    3
                }
            };
            let mut text: String = (2..10).map(|r| format!("mov32 %r{r}, {}\n", 0x1111 * (r + 3))).collect();
            text += "stdw [%r10-16], 9\nmov %r0, %r1\nldxb %r1, [%r0+5]\nstxdw [%r10-8], %r0\n";
            for k in 0..3 {
                for r in (2..10).filter(|&r| k < uses(r)) {
                    text += &format!("add32 %r{r}, {}\n", 7 * k + 1);
                }
            }
            text += &format!(
                "mov %r3, %r10\nadd %r3, -16\n{pick}\nldxdw %r3, [%r10-8]\nldxb %r1, [%r3+0]\n\
                 add32 %r1, %r2\nadd32 %r1, %r4\nadd32 %r1, %r5\nmov32 %r0, %r1\n\
                 add32 %r0, %r6\nadd32 %r0, %r7\nadd32 %r0, %r8\nadd32 %r0, %r9\nexit"
            );
            all.push(text);
        }
    }
    // Loops as hot, with lr a home and the budget in `ctx`: prepaid, ticking and the
    // `jeq +1; ja` latch, running out of the budget at its edge or not.
    let latches = [
        "add %r1, 1\njne %r1, {n}, l",
        "add %r1, 1\njeq %r1, {n}, +1\nja l",
        "ldxw %r1, [%r10-4]\nadd %r1, 1\nstxw [%r10-4], %r1\njne %r1, {n}, l",
        "add %r1, 3\njsgt %r1, {n}, l",
    ];
    for latch in latches {
        for n in [BUDGET as i64 - 1, BUDGET as i64, BUDGET as i64 + 1, -1] {
            let mut text: String = (2..10).map(|r| format!("mov32 %r{r}, {}\n", 0x1111 * (r + 3))).collect();
            text += "mov %r1, 0\nstw [%r10-4], 0\nl:\n";
            for k in 0..2 {
                for r in 2..10 {
                    text += &format!("add32 %r{r}, %r{}\n", 2 + (r + k + 1) % 8);
                }
            }
            text += &latch.replace("{n}", &n.to_string());
            text += "\nmov32 %r0, %r2\n";
            text += &(3..10).map(|r| format!("add32 %r0, %r{r}\n")).collect::<String>();
            all.push(text + "exit");
        }
    }
    all
}

/// Remainders by constants of values the analysis bounds (the JIT subtracts once, a
/// halfword subtraction and a select, where the dividend is below twice the divisor
/// and both are halfwords: `jit`'s `Facts::reduce_once`): sums of input bytes, input
/// halfwords, masked words and constants at either side of the divisor and its double,
/// 32- and 64-bit, and two sums reduced round a loop as Fletcher's checksum does; with
/// divisors that allow it and ones that do not (small, past a halfword).
fn remainders(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..count {
        let mut r = || rng.next_u64();
        let c = [1u64, 2, 100, 255, 256, 257, 1000, 32767, 32768, 40000, 65535, 65536, 70000][r() as usize % 13];
        let w = ["32", ""][r() as usize % 2];
        let text = match r() % 5 {
            4 => format!(
                "mov32 %r3, 0\nmov32 %r4, 0\nmov %r5, 0\nl: mov %r6, %r1\nadd %r6, %r5\nldxb %r6, [%r6+0]\n\
                 add{w} %r3, %r6\nmod{w} %r3, {c}\nadd{w} %r4, %r3\nmod{w} %r4, {c}\nadd %r5, 1\njlt %r5, 32, l\n\
                 mov32 %r0, %r4\nlsh32 %r0, 16\nor32 %r0, %r3\nexit"
            ),
            k => {
                let value = match k {
                    0 => format!("ldxb %r2, [%r1+{}]\nldxb %r3, [%r1+{}]\nadd{w} %r2, %r3", r() % 32, r() % 32),
                    1 => format!("ldxh %r2, [%r1+{}]", 2 * (r() % 16)),
                    2 => format!("ldxw %r2, [%r1+{}]\nand{w} %r2, {}", 4 * (r() % 8), (1u64 << (r() % 18)) - 1),
                    _ => {
                        let just_past_a_halfword = 65536 + r() % 4096;
                        format!(
                            "mov32 %r2, {}",
                            [c - 1, c, 2 * c - 1, 2 * c, 65535, just_past_a_halfword, 0][r() as usize % 7]
                        )
                    }
                };
                format!("{value}\nmod{w} %r2, {c}\nmov %r0, %r2\nexit")
            }
        };
        all.push(text);
    }
    all
}

/// Compares with constants no immediate encodes next to ones that are (the JIT compares
/// with the neighbour: `x < c` as `x <= c - 1`; `jit`'s `off_by_one`), and with the
/// ends of the signed and unsigned ranges, by every ordered condition, 32- and 64-bit,
/// of values at, beside and far from the constant.
fn constant_compares(rng: &mut Rng, count: usize) -> Vec<String> {
    let ops = ["jlt", "jle", "jgt", "jge", "jslt", "jsle", "jsgt", "jsge"];
    // The value from the frame, zero-extended or sign-extended to 64 bits.
    let program = |op: &str, w: &str, widen: bool, x: u32, c: u32| {
        let widen = if widen { "lsh %r2, 32\narsh %r2, 32\n" } else { "" };
        format!(
            "stw [%r10-4], {}\nldxw %r2, [%r10-4]\n{widen}mov %r0, 1\n{op}{w} %r2, {}, +1\nmov %r0, 2\nexit",
            x as i32, c as i32
        )
    };
    let mut all = Vec::new();
    // The ends of the ranges and their neighbours, every way.
    for c in [0x7fff_ffffu32, 0x8000_0001, 0xffff_fffe, 0x101] {
        for (op, w) in ops.iter().flat_map(|op| ["32", ""].map(|w| (op, w))) {
            for x in [c.wrapping_sub(1), c, c.wrapping_add(1)] {
                all.push(program(op, w, false, x, c));
            }
        }
    }
    for _ in 0..count {
        let mut r = || rng.next_u64();
        let c: u32 = match r() % 3 {
            // One past or before a modified immediate.
            0 => (((r() % 255) as u32 + 1) << (r() % 24)).wrapping_add([1, u32::MAX][r() as usize % 2]),
            1 => [0, 1, 0x8000_0000, 0xffff_ffff, 0x9c1][r() as usize % 5],
            _ => r() as u32,
        };
        let x = match r() % 4 {
            0 => c.wrapping_sub(1),
            1 => c,
            2 => c.wrapping_add(1),
            _ => r() as u32,
        };
        all.push(program(ops[r() as usize % 8], ["32", ""][r() as usize % 2], r() % 2 == 0, x, c));
    }
    all
}

/// Constants that are shifts of one set before (the JIT uses the register that holds
/// it, shifted, as the operand: CRC-32's polynomial; `jit`'s `constant_operand`):
/// a constant no immediate encodes, then 32- and 64-bit logic, adds, subtracts and
/// compares with it, its left and right shifts and near misses (a bit more or less),
/// with instructions between that set other constants or write the registers
/// involved, and a constant set on one path only whose shift is used where the paths
/// meet (the register holds it on one of them).
fn shifted_constants(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..count {
        let mut r = || rng.next_u64();
        // No modified immediate: bits spread over more than a byte.
        let p = (r() as u32 | 0x0100_0001) & !(1 << (8 + r() % 8));
        let mut text = format!("ldxw %r3, [%r1+0]\nldxw %r4, [%r1+4]\nmov %r0, 0\nand32 %r3, {p:#x}\n");
        for _ in 0..1 + r() % 3 {
            let k = 1 + r() % 31;
            let c = match r() % 6 {
                0 => p >> k,
                1 => p << k,
                2 => p,
                3 => (p >> k) | 1,
                4 => (p << k).wrapping_add(1 << k),
                _ => r() as u32,
            };
            let w = ["32", ""][r() as usize % 2];
            match r() % 8 {
                0 => text.push_str(&format!("mov32 %r5, {:#x}\nxor32 %r4, %r5\n", r() as u32 | 0x0100_0001)),
                1 => text.push_str("mov %r2, %r4\nadd %r0, %r2\n"),
                2 => {
                    // Another constant set on one path only, and its shift used where the
                    // paths meet.
                    let q = (r() as u32 | 0x0100_0001) & !(1 << (8 + r() % 8));
                    let op = ["add", "sub", "and"][r() as usize % 3];
                    text.push_str(&format!("jgt %r4, %r3, +1\n{op}{w} %r4, {q:#x}\nxor{w} %r4, {:#x}\n", q >> k));
                }
                3 => text.push_str(&format!("jlt{w} %r4, {c:#x}, +1\nadd %r0, 1\n")),
                4 => text.push_str(&format!("jeq{w} %r3, {c:#x}, +1\nadd %r0, 2\n")),
                _ => {
                    let op = ["and", "or", "xor", "add", "sub"][r() as usize % 5];
                    text.push_str(&format!("{op}{w} %r4, {c:#x}\n"));
                }
            }
        }
        text.push_str("add %r0, %r3\nadd %r0, %r4\nexit");
        all.push(text);
    }
    all
}

/// Products by constants of the form 2^k, 2^k + 1 and 2^k - 1 (the JIT shifts and adds
/// for a 32-bit product: `jit`'s `mul_shifted`), and negative ones, of random 64-bit
/// values, 32-bit values and values whose high half is zero, in a register the JIT may
/// keep in `ctx`; now and then the same product twice in a row (the constant then held
/// in a register).
fn constant_products(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..count {
        let mut r = || rng.next_u64();
        let k = 1 + r() % 31;
        let c: i64 = match r() % 6 {
            0 => 1 << k,
            1 => (1 << k) + 1,
            2 => (1 << k) - 1,
            3 => -((1 << k) + 1),
            4 => -((1 << k) - 1),
            _ => [3, 5, 7, 31, 33, 255, 257, 0x7fff_ffff, 0x8000_0001u32 as i32 as i64][r() as usize % 9],
        };
        let c = c as i32;
        let w = ["32", ""][r() as usize % 2];
        let reg = ["%r2", "%r6", "%r9"][r() as usize % 3];
        let value = match r() % 3 {
            0 => format!("lddw {reg}, {:#x}", r()),
            1 => format!("ldxw {reg}, [%r1+{}]", 4 * (r() % 8)),
            _ => format!("lddw {reg}, {:#x}\nmov32 {reg}, {reg}", r()),
        };
        let twice = if r() % 4 == 0 { format!("mul{w} {reg}, {c}\n") } else { String::new() };
        all.push(format!("{value}\nmul{w} {reg}, {c}\n{twice}mov %r0, {reg}\nexit"));
    }
    all
}

/// Programs that access a pointer plus a 32-bit value the analysis cannot bound (the
/// JIT branches on the add's carry instead of testing the sum's high half: `jit`'s
/// `patterns::carry_checked_access`), a few ALU instructions after the add: a frame
/// or input pointer plus an index (masked small, anything, one that carries the sum
/// past 2^32 with its low half small or a frame address, one that leaves it just
/// below 2^32, a 64-bit one), or an
/// address read from the input plus an immediate; loads and stores of every width at
/// offsets either side; now and then the sum's high half read afterwards, an
/// instruction between that reads or writes the sum, or a jump onto the access.
fn carry_checked_accesses(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..count {
        let mut r = || rng.next_u64();
        let mut text = String::from(
            "lddw %r6, 0x1122334455667788\nstxdw [%r10-8], %r6\nstxdw [%r10-16], %r6\nmov %r0, 0\nmov %r4, 3\n",
        );
        if r() % 4 == 0 {
            // An address from the input, plus an immediate.
            let k = [0, 1, 12, 0x7fff_ffff][r() as usize % 4];
            text.push_str(&format!("ldxw %r2, [%r1+{}]\n", 4 * (r() % 8)));
            text.push_str(&format!("add %r2, {k}\n"));
        } else {
            text.push_str(if r() % 2 == 0 { "mov %r2, %r10\nadd %r2, -16\n" } else { "mov %r2, %r1\n" });
            let c = r() % 40;
            text.push_str(&match r() % 6 {
                0 => format!("ldxb %r3, [%r1+{}]\nand32 %r3, 15\n", r() % 32),
                1 => format!("ldxw %r3, [%r1+{}]\n", 4 * (r() % 8)),
                2 => format!("mov32 %r3, {c}\nsub32 %r3, %r2\n"),
                3 => format!("mov32 %r3, 0\nsub32 %r3, %r2\nsub32 %r3, {c}\n"),
                // The frame's r10 - 24 or - 32, 2^32 further on where it lies below the base.
                4 => format!("mov32 %r3, %r10\nadd32 %r3, -{}\nsub32 %r3, %r2\n", 24 + 8 * (c % 2)),
                // A 64-bit index: no carry check.
                _ => format!("lddw %r3, {:#x}\n", (1u64 << 32) + c),
            });
            // Into r2, or a copy made just before (a move the JIT would otherwise fuse).
            text.push_str(if r() % 2 == 0 { "add %r2, %r3\n" } else { "mov %r5, %r2\nadd %r5, %r3\n" });
        }
        let d = if text.ends_with("add %r5, %r3\n") { "%r5" } else { "%r2" };
        let mut between: Vec<&str> = Vec::new();
        for _ in 0..r() % 3 {
            between
                .push(["mov32 %r4, 9", "add %r0, 3", "lsh %r4, 2", "mov %r7, %r0", "xor32 %r0, %r4"][r() as usize % 5]);
        }
        let (bump, copy) = (format!("add {d}, 1"), format!("mov %r4, {d}"));
        match r() % 16 {
            0 => between.insert(0, &bump),
            1 => between.push(&copy),
            _ => {}
        }
        if r() % 8 == 0 {
            // A jump onto the access (never taken: r0 is small here).
            text.push_str(&format!("jeq %r0, 77, +{}\n", between.len()));
        }
        for b in &between {
            text.push_str(b);
            text.push('\n');
        }
        let size = ["b", "h", "w", "dw"][r() as usize % 4];
        let off = (r() % 17) as i64 - 8;
        text.push_str(&match r() % 3 {
            0 => format!("ldx{size} %r4, [{d}{off:+}]\nadd %r0, %r4\n"),
            1 => format!("st{size} [{d}{off:+}], 90\n"),
            _ => format!("stx{size} [{d}{off:+}], %r6\n"),
        });
        if r() % 3 == 0 {
            text.push_str(&format!("mov %r4, {d}\nrsh %r4, 32\nadd %r0, %r4\n"));
        }
        text.push_str("ldxdw %r4, [%r10-8]\nadd %r0, %r4\nldxdw %r4, [%r10-16]\nadd %r0, %r4\nexit");
        all.push(text);
    }
    all
}

/// Programs that assemble values from narrow loads of the frame (one load each in the
/// JIT: `jit`'s `combine`), as clang does without unaligned loads: 2, 4 or 8 bytes, or
/// two halves, in either byte order, in a random order, with 32- or 64-bit operations,
/// from r10 or from a copy of it that the last load may overwrite, one value or two
/// interleaved; now and then a byte twice or one missing, two bytes ORed into one
/// place, a value read again before it is whole, or a jump onto the middle. Every value is summed into r0.
fn load_assemblies(rng: &mut Rng, count: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..count {
        let mut r = || rng.next_u64();
        let mut text = format!(
            "lddw %r1, {:#x}\nstxdw [%r10-8], %r1\nlddw %r1, {:#x}\nstxdw [%r10-16], %r1\nmov %r0, 0\n",
            r(),
            r()
        );
        // The base: r10, or r9 = r10 - 16.
        let (base, bias) = if r() % 2 == 0 { ("%r10", 0) } else { ("%r9", 16) };
        if base == "%r9" {
            text.push_str("mov %r9, %r10\nadd %r9, -16\n");
        }
        let values = 1 + r() as usize % 2;
        // Per value: its register, temporary, width, start, order, byte order, ops.
        let mut steps: Vec<Vec<String>> = Vec::new();
        for v in 0..values {
            let (d, t) = ([1, 2, 3][v], [4, 5, 6][v]);
            let halves = r() % 4 == 0;
            let piece = if halves { 2 } else { 1 };
            let width = [2usize, 4, 8][r() as usize % 3].max(2 * piece);
            let start = -16 + (r() % (17 - width as u64)) as i64;
            let big = r() % 2 == 0;
            let alu = if width <= 4 && r() % 2 == 0 { "32" } else { "" };
            let mut order: Vec<usize> = (0..width / piece).collect();
            for k in (1..order.len()).rev() {
                order.swap(k, r() as usize % (k + 1));
            }
            let fault = r() % 8;
            let mut out = Vec::new();
            for (n, &k) in order.iter().enumerate() {
                // Piece k's bytes sit at start + piece * k; its place in the value.
                let mut at = start + (piece * k) as i64 + bias;
                if fault == 0 && n == 1 {
                    at += 1; // a byte twice or one missing
                }
                let mut place = if big { width / piece - 1 - k } else { k } * 8 * piece;
                if fault == 2 && n == 1 {
                    // Onto the first piece's place: two bytes in one.
                    place = if big { width / piece - 1 - order[0] } else { order[0] } * 8 * piece;
                }
                let ld = if halves { "ldxh" } else { "ldxb" };
                let reg = if n == 0 { d } else { t };
                out.push(format!("{ld} %r{reg}, [{base}{at:+}]"));
                if place > 0 {
                    out.push(format!("lsh{alu} %r{reg}, {place}"));
                }
                if n > 0 {
                    out.push(format!("or{alu} %r{d}, %r{t}"));
                }
                if fault == 1 && n == 1 {
                    out.push(format!("add %r0, %r{d}")); // read before it is whole
                }
            }
            out.push(format!("add %r0, %r{d}"));
            steps.push(out);
        }
        // Interleaved: the values' instructions taken in turns, a random one each time.
        let mut at = vec![0; values];
        let mut body = Vec::new();
        while (0..values).any(|v| at[v] < steps[v].len()) {
            let v = (r() as usize % values..values).chain(0..values).find(|&v| at[v] < steps[v].len()).unwrap();
            body.push(steps[v][at[v]].clone());
            at[v] += 1;
        }
        if r() % 8 == 0 {
            // A jump onto the middle of the run.
            let skip = 1 + r() as usize % (body.len() / 2);
            text.push_str(&format!("mov %r8, 1\njeq %r8, {}, +{skip}\n", r() % 2));
        }
        if base == "%r9" && r() % 2 == 0 {
            // The last load overwrites the base: its register is r9 from there on.
            if let Some(last) = body.iter().rposition(|l| l.starts_with("ldx")) {
                let reg = body[last].split_whitespace().nth(1).unwrap_or("").trim_end_matches(',').to_string();
                body[last] = body[last].replacen(&reg, "%r9", 1);
                for l in &mut body[last + 1..] {
                    *l = l.replace(&reg, "%r9");
                }
            }
        }
        text.push_str(&body.join("\n"));
        text.push_str("\nexit");
        all.push(text);
    }
    all
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Boots a testbed node and a client for it (the logs folder lives as long as the node).
async fn boot(name: &str) -> (testbed::qemu::QemuNode, CoapClient, tempfile::TempDir) {
    let (node, logs) = common::boot(name, Variant::Testbed).await;
    let client = CoapClient::for_testbed(node.coap_addr())
        .unwrap()
        .with_retransmit(testbed::coap_client::Retransmit { ack_timeout: Duration::from_secs(2), max_retransmit: 1 });
    (node, client, logs)
}

async fn run(
    client: &mut CoapClient,
    layout: u8,
    image: &[u8],
    input: &[u8],
    engine: proto::Engine,
    budget: u64,
) -> Result<proto::RunResponse, String> {
    let req = proto::RunRequest {
        layout,
        image: image.to_vec(),
        input: input.to_vec(),
        helpers: vm::HelperSet::from_ids(HELPERS.iter().map(|&h| h as u32)),
        budget,
        engine,
    };
    let bytes = client
        .request(RequestType::Post, proto::paths::RUN, &proto::encode(&req))
        .await
        .map_err(|e| format!("{engine:?}: {e}"))?;
    proto::decode(&bytes).map_err(|e| format!("{engine:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn jit_and_interpreter_agree_on_random_programs() {
    let count = env("MBPF_DIFF_COUNT", 10_000);
    let seed = env("MBPF_DIFF_SEED", 0x6d62_7066);
    let (mut node, mut client, _logs) = boot("diff").await;
    let mut rng = Rng::new(seed);
    let (mut compared, mut rejected, mut faulted, mut mismatches) = (0, 0, 0, Vec::new());
    let mut relived = 0;
    let fixed = fixed_programs();
    for n in 0..count + fixed.len() as u64 {
        let mut insns = match fixed.get(n as usize) {
            Some(src) => vm::asm::assemble(src).unwrap(),
            None => {
                let len = 1 + (rng.next_u64() % 24) as usize;
                program(&mut rng, len, HELPERS)
            }
        };
        if n as usize >= fixed.len() && n % 2 == 1 {
            copy_heavy(&mut insns, &mut rng);
            if n % 4 == 3 {
                rotates(&mut insns, &mut rng, 4);
            } else {
                bitfields(&mut insns, &mut rng);
            }
        } else if n as usize >= fixed.len() && n % 4 == 2 {
            sign_extensions(&mut insns, &mut rng);
            loaded_sign_extensions(&mut insns, &mut rng);
        } else if n as usize >= fixed.len() && n % 8 == 0 {
            rotates(&mut insns, &mut rng, 10);
        } else if n as usize >= fixed.len() && n % 16 == 12 {
            pressure(&mut insns, &mut rng);
        } else if n as usize >= fixed.len() && n % 8 == 4 {
            // A store deeper than 255 bytes into the frame: the JIT then keeps r10's
            // home below r10 (`FRAME_BIAS`), and every other use of r10 must see r10.
            insns
                .insert(0, vm::Insn::new(vm::opcode::CLS_ST | vm::opcode::MODE_MEM | vm::opcode::SZ_B, 10, 0, -300, 7));
        }
        // Half the programs go as femto images with the JIT's hints (their own, damaged,
        // or rehomed), the rest as bare bytecode.
        let (layout, image) = match vm::Program::from_insns(insns.clone()) {
            Ok(program) if n % 2 == 1 => {
                let image = vm::image::Image {
                    program,
                    data: vec![],
                    rodata: vec![],
                    helpers: None,
                    functions: vec![],
                    jit_hints: vec![],
                };
                let hints = match n % 8 {
                    1 => Hints::Own,
                    3 => Hints::Damaged,
                    5 => Hints::Relived,
                    _ => Hints::Rehomed,
                };
                let (bytes, text) = with_hints(image, "", hints, &mut rng);
                relived += usize::from(text.ends_with(RELIVED));
                (1, bytes)
            }
            _ => (0, insns.iter().flat_map(vm::Insn::encode).collect()),
        };
        let input: Vec<u8> = (0..32).map(|_| rng.next_u64() as u8).collect();
        let text = || vm::disasm::disassemble(&insns).join("\n  ");
        let lost = |e: String, node: &mut testbed::qemu::QemuNode| {
            let console = std::fs::read_to_string(node.console_log()).unwrap_or_default();
            let tail: Vec<&str> = console.lines().rev().take(5).collect();
            panic!(
                "device lost on program {n} ({e}); crash: {:?}\n  {}\nconsole tail: {tail:?}",
                node.crashed(),
                text()
            )
        };
        let mut a = match run(&mut client, layout, &image, &input, proto::Engine::Interp, BUDGET).await {
            Ok(a) => a,
            Err(e) => lost(e, &mut node),
        };
        if a.failure.as_ref().is_some_and(|f| f.kind == proto::FailureKind::Verify) {
            rejected += 1;
            continue;
        }
        let mut b = match run(&mut client, layout, &image, &input, proto::Engine::Jit, BUDGET).await {
            Ok(b) => b,
            Err(e) => lost(e, &mut node),
        };
        compared += 1;
        let kind = |r: &proto::RunResponse| r.failure.as_ref().map(|f| f.kind);
        // The budget counts instructions in the interpreter and backward branches and
        // calls in the JIT: a loop that ends after more iterations than one allows but
        // fewer than the other stops on one engine only. Both run again with room
        // enough for such a loop to end on both.
        if (kind(&a) == Some(proto::FailureKind::Budget)) != (kind(&b) == Some(proto::FailureKind::Budget)) {
            for (engine, r) in [(proto::Engine::Interp, &mut a), (proto::Engine::Jit, &mut b)] {
                *r = match run(&mut client, layout, &image, &input, engine, BUDGET * 100).await {
                    Ok(r) => r,
                    Err(e) => lost(e, &mut node),
                };
            }
        }
        let budget = kind(&a) == Some(proto::FailureKind::Budget);
        // A program stopped by the budget is compared by kind only.
        let same = if budget || kind(&b) == Some(proto::FailureKind::Budget) {
            budget && kind(&b) == Some(proto::FailureKind::Budget)
        } else {
            a.result == b.result
                && kind(&a) == kind(&b)
                && a.failure.as_ref().map(|f| f.pc) == b.failure.as_ref().map(|f| f.pc)
                && a.input == b.input
        };
        if a.failure.is_some() {
            faulted += 1;
        }
        if !same {
            mismatches.push(format!(
                "program {n}:\n  {}\n  interp: {:?} {:?}\n  jit:    {:?} {:?}",
                text(),
                a.result,
                a.failure,
                b.result,
                b.failure
            ));
            if mismatches.len() >= 5 {
                break;
            }
        }
    }
    node.stop();
    eprintln!("differential: {compared} compared ({faulted} ended in a failure), {rejected} rejected by the verifier, {relived} with liveness taken for more, {} mismatches, seed {seed:#x}", mismatches.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
    assert!(compared as u64 >= count / 2, "only {compared} of {count} programs verified");
}

/// A program under register pressure: r0-r9 set to distinct 64-bit values, then
/// ALU instructions, accesses to the frame and forward jumps among them (nothing that
/// can fail, no calls: nothing ends it early), then all folded into r0. More halves are live throughout than the JIT
/// has registers for, so spilled halves pass through scratch registers around every
/// jump (which the lowering's memory of what a scratch register holds must forget
/// where jumps land).
fn pressure(insns: &mut Vec<vm::Insn>, rng: &mut Rng) {
    use vm::opcode::*;
    use vm::Insn;
    insns.clear();
    for r in 0..10 {
        let v = rng.next_u64();
        insns.extend([Insn::new(LDDW, r, 0, 0, v as i32), Insn::new(0, 0, 0, 0, (v >> 32) as i32)]);
    }
    let kinds = [0, 1, 0, 1, 0, 1, 2, 4, 5, 6, 8, 9, 11, 12, 13];
    for _ in 0..8 + rng.next_u64() % 32 {
        let r = rng.next_u64();
        let kind = kinds[(r % kinds.len() as u64) as usize];
        let mut built =
            vm::testgen::build(kind, (r >> 8) as u8, (r >> 16) as u8, (r >> 24) as i16, (r >> 32) as i32, HELPERS);
        for i in built.iter_mut() {
            if i.jump_offset().is_some() {
                // Forward only: every program ends, with its value compared.
                i.off = i.off.abs();
            } else if matches!(i.class(), CLS_LDX | CLS_ST | CLS_STX) {
                // In the frame (aligned for every size): no access fails.
                *i = Insn::new(
                    i.opc,
                    if i.class() == CLS_LDX { i.dst() } else { 10 },
                    if i.class() == CLS_LDX { 10 } else { i.src() },
                    -8 * (1 + i.off.rem_euclid(8)),
                    i.imm,
                );
            }
        }
        insns.extend(built);
    }
    insns.extend((1..10).map(|r| Insn::new(CLS_ALU64 | if r % 2 == 0 { OP_XOR } else { OP_ADD } | SRC_X, 0, r, 0, 0)));
    insns.push(Insn::new(EXIT_OP, 0, 0, 0, 0));
}

/// Folds a program onto r0-r3 and turns half its register ALU operations into copies:
/// the JIT gives copies' source and destination one ARM register where their values
/// never differ while live (copies in loops join their webs, `jit::regalloc`), which
/// wants many copies among few registers to be tested.
fn copy_heavy(insns: &mut Vec<vm::Insn>, rng: &mut Rng) {
    use vm::opcode::*;
    // Registers read before any write are live together from the entry, where no two
    // can share: write them first (r2 as a copy of the input pointer).
    let k = rng.next_u64();
    let init = [
        vm::Insn::new(CLS_ALU | OP_MOV, 0, 0, 0, k as u8 as i32),
        vm::Insn::new(CLS_ALU64 | OP_MOV | SRC_X, 2, 1, 0, 0),
        vm::Insn::new(CLS_ALU | OP_MOV, 3, 0, 0, (k >> 8) as u8 as i32),
    ];
    insns.splice(0..0, init);
    for i in insns.iter_mut().skip(init.len()) {
        let (d, s) = (i.dst(), i.src());
        let fold = |r: u8| if r < 10 { r % 4 } else { r };
        let cls = i.class();
        if matches!(cls, CLS_ALU | CLS_ALU64) && i.opc & SRC_X != 0 && rng.next_u64() % 2 == 0 {
            *i = vm::Insn::new(cls | OP_MOV | SRC_X, fold(d), fold(s), 0, 0);
        } else if !(cls == CLS_JMP && i.opc & OP_MASK == CALL) {
            // Helper and local calls keep src (their kind) as it is.
            *i = vm::Insn::new(i.opc, fold(d), fold(s), i.off, i.imm);
        }
    }
}

/// Some pairs of neighbouring ALU instructions become `lsh d, k; arsh d, k` (a sign
/// extension: one pattern in the JIT, one op in the interpreter, for k of 32 and more;
/// now and then `rsh`, a zero extension, also one pattern in the JIT),
/// in place, so jumps still land where they did, now and then onto the `arsh`.
fn sign_extensions(insns: &mut [vm::Insn], rng: &mut Rng) {
    use vm::opcode::*;
    let alu = |i: &vm::Insn| matches!(i.class(), CLS_ALU | CLS_ALU64);
    for at in 0..insns.len().saturating_sub(1) {
        if alu(&insns[at]) && alu(&insns[at + 1]) && rng.next_u64() % 3 == 0 {
            let (d, r) = (insns[at].dst(), rng.next_u64());
            let k = (r % 64) as i32;
            insns[at] = vm::Insn::new(LSH64_IMM, d, 0, 0, k);
            insns[at + 1] = vm::Insn::new(if r >> 8 & 3 == 0 { RSH64_IMM } else { ARSH64_IMM }, d, 0, 0, k);
        }
    }
}

/// Some runs of three neighbouring ALU instructions become a bit field taken out of
/// a 32-bit value (one `sbfx`/`ubfx` in the JIT): `mov32 d, s` and `lsh32 d, k;
/// arsh32/rsh32 d, m`, `rsh32 d, k; and32 d, 2^w - 1` or `and32 d, 1; neg32 d`; now
/// and then with the move left as it was (the field taken in place), amounts that
/// make no field (k > m), a mask that is none, or the move or the second instruction
/// on another register; in place, so jumps still land where
/// they did, now and then inside the run.
fn bitfields(insns: &mut [vm::Insn], rng: &mut Rng) {
    use vm::opcode::*;
    use vm::Insn;
    let alu = |i: &Insn| matches!(i.class(), CLS_ALU | CLS_ALU64);
    let mut at = 0;
    while at + 3 <= insns.len() {
        if !insns[at..at + 3].iter().all(alu) || rng.next_u64() % 3 != 0 {
            at += 1;
            continue;
        }
        let r = rng.next_u64();
        let (d, s) = (insns[at].dst(), (r % 10) as u8);
        let k = (r >> 8) as i32 & 31;
        let m = if r >> 16 & 7 == 0 { (r >> 20) as i32 & 31 } else { k + ((r >> 24) as i32 % (32 - k)) };
        let w = 1 + (r >> 32) as u32 % 32;
        let mask = if r >> 40 & 7 == 0 { (r >> 44) as i32 } else { (((1u64 << w) - 1) as u32) as i32 };
        let field = match r >> 56 & 3 {
            0 => [Insn::new(LSH32_IMM, d, 0, 0, k), Insn::new(ARSH32_IMM, d, 0, 0, m)],
            1 => [Insn::new(LSH32_IMM, d, 0, 0, k), Insn::new(RSH32_IMM, d, 0, 0, m)],
            2 => [Insn::new(RSH32_IMM, d, 0, 0, k), Insn::new(AND32_IMM, d, 0, 0, mask)],
            _ => [Insn::new(AND32_IMM, d, 0, 0, if r >> 40 & 7 == 0 { 3 } else { 1 }), Insn::new(NEG32, d, 0, 0, 0)],
        };
        if r >> 60 & 3 != 0 {
            insns[at] = Insn::new(MOV32_REG, if r >> 58 & 3 == 0 { s } else { d }, s, 0, 0);
        }
        insns[at + 1..at + 3].copy_from_slice(&field);
        if r >> 62 == 0 {
            // The second on another register: no field.
            insns[at + 2] = Insn::new(insns[at + 2].opc, (d + 1) % 10, 0, 0, insns[at + 2].imm);
        }
        at += 3;
    }
}

/// Some runs of five neighbouring ALU instructions become clang's 32-bit rotate,
/// `mov32 a, x; lsh32/rsh32 a, k; mov32 b, x; rsh32/lsh32 b, 32 - k; or32 b, a` (one
/// `ror` in the JIT), in place, so jumps still land where they did, now and then inside
/// it. Registers are drawn from r0 up to `regs` (few: they share ARM registers more
/// often); now and then the amounts do not add up to 32, a register is x itself, or the
/// result is in a: shapes that must not be taken for a rotate, or must be taken right.
fn rotates(insns: &mut [vm::Insn], rng: &mut Rng, regs: u64) {
    use vm::opcode::*;
    use vm::Insn;
    let alu = |i: &Insn| matches!(i.class(), CLS_ALU | CLS_ALU64);
    let mut at = 0;
    while at + 5 <= insns.len() {
        if !insns[at..at + 5].iter().all(alu) || rng.next_u64() % 2 == 0 {
            at += 1;
            continue;
        }
        let mut reg = || (rng.next_u64() % regs) as u8;
        let (x, a, b) = (reg(), reg(), reg());
        let r = rng.next_u64();
        let k = 1 + (r % 31) as i32;
        let other = if r >> 8 & 7 == 0 { (r >> 16) as i32 % 33 } else { 32 - k };
        let (first, second) = if r >> 11 & 1 == 0 { (RSH32_IMM, LSH32_IMM) } else { (LSH32_IMM, RSH32_IMM) };
        let (d, s) = if r >> 12 & 1 == 0 { (b, a) } else { (a, b) };
        insns[at..at + 5].copy_from_slice(&[
            Insn::new(MOV32_REG, a, x, 0, 0),
            Insn::new(first, a, 0, 0, k),
            Insn::new(MOV32_REG, b, x, 0, 0),
            Insn::new(second, b, 0, 0, other),
            Insn::new(OR32_REG, d, s, 0, 0),
        ]);
        at += 5;
    }
}

/// Some loads of a byte or half are followed a few slots on by the sign extension of
/// what they loaded (`lsh d, k; arsh d, k` in place of two neighbouring ALU
/// instructions; the JIT then loads signed): mostly by the amount that fits the size,
/// now and then by another; what lies between may read or write d, or be jumped into.
fn loaded_sign_extensions(insns: &mut [vm::Insn], rng: &mut Rng) {
    use vm::opcode::*;
    let alu = |i: &vm::Insn| matches!(i.class(), CLS_ALU | CLS_ALU64);
    for at in 0..insns.len() {
        let load = insns[at];
        let size = match load.opc & SZ_MASK {
            SZ_B => 1,
            SZ_H => 2,
            _ => continue,
        };
        if load.class() != CLS_LDX || load.opc & MODE_MASK != MODE_MEM || rng.next_u64() % 2 == 0 {
            continue;
        }
        let r = rng.next_u64();
        let j = at + 1 + (r % 4) as usize;
        if j + 1 < insns.len() && alu(&insns[j]) && alu(&insns[j + 1]) {
            let k = if r >> 8 & 7 == 0 { [32, 48, 56, 60][(r >> 12) as usize % 4] } else { 64 - 8 * size };
            insns[j] = vm::Insn::new(LSH64_IMM, load.dst(), 0, 0, k);
            insns[j + 1] = vm::Insn::new(ARSH64_IMM, load.dst(), 0, 0, k);
        }
    }
}

/// `dst` = the address `at` bytes into a loop's region (0 `.rodata`, 1 `.data`, 2 the
/// bottom 512 bytes of the frame).
fn region_address(region: i64, dst: u8, at: i32) -> [vm::Insn; 2] {
    use vm::opcode::*;
    use vm::Insn;
    match region {
        0 => [Insn::new(LDDWR, dst, 0, 0, at), Insn::new(0, 0, 0, 0, 0)],
        1 => [Insn::new(LDDWD, dst, 0, 0, at), Insn::new(0, 0, 0, 0, 0)],
        _ => [Insn::new(CLS_ALU64 | OP_MOV | SRC_X, dst, 10, 0, 0), Insn::new(CLS_ALU64 | OP_ADD, dst, 0, 0, at - 512)],
    }
}

/// The image of a loop over `size` bytes of its region (patterned bytes in `.rodata` or
/// `.data`; the frame needs none), and its text for failure messages.
fn region_image(p: Vec<vm::Insn>, region: i64, size: i64) -> (vm::image::Image, String) {
    let bytes = |n: i64| (0..n).map(|i| (i * 37 + 11) as u8).collect::<Vec<u8>>();
    let (rodata, data) = match region {
        0 => (bytes(size), Vec::new()),
        1 => (Vec::new(), bytes(size)),
        _ => (Vec::new(), Vec::new()),
    };
    let text = vm::disasm::disassemble(&p).join("\n  ");
    let program = vm::Program::from_insns(p).unwrap();
    (vm::image::Image { program, data, rodata, helpers: None, functions: Vec::new(), jit_hints: Vec::new() }, text)
}

/// A loop walking a region with a counter, with its bound placed around the region's
/// end (inside, exactly at the end, one or a few past it): the JIT drops the checks of
/// accesses its range analysis proves inside `.rodata`, `.data` or the frame, so any
/// unsound proof shows up here as a run that faults on one engine and not the other.
fn region_loop(rng: &mut Rng) -> (vm::image::Image, String) {
    use vm::opcode::*;
    use vm::Insn;
    let r = |rng: &mut Rng, n: u64| (rng.next_u64() % n) as i64;
    let region = r(rng, 3); // 0 rodata, 1 data, 2 stack
    let size = if region == 2 { 512 } else { 1 + r(rng, 64) };
    let (len, sz) = [(1, SZ_B), (2, SZ_H), (4, SZ_W), (8, SZ_DW)][r(rng, 4) as usize];
    let off = r(rng, 9) - 4;
    // Power-of-two strides too: the analysis tracks alignment, and `jne` loops need it.
    let step = [1, 2, 3, 4, 8][r(rng, 5) as usize];
    let start = [0, 0, 1, step][r(rng, 4) as usize];
    // The last index the loop reaches, relative to the last that fits.
    let limit = (size - len - off + r(rng, 7) - 3).max(0);
    let write = region != 0 && rng.next_u64() % 2 == 0;
    // The counter kept in a frame slot (reloaded at the head, spilled after the step)
    // as compilers spill one, or compared through a copy taken before the step: the
    // analysis follows both. A store through r3 into the frame may hit the slot.
    let spill = rng.next_u64() % 3 == 0;
    let copy = !spill && limit >= step && rng.next_u64() % 3 == 0;
    let (spill_store, spill_load) =
        (Insn::new(CLS_STX | MODE_MEM | SZ_DW, 10, 2, -8, 0), Insn::new(CLS_LDX | MODE_MEM | SZ_DW, 2, 10, -8, 0));
    let mut p = vec![Insn::new(CLS_ALU64 | OP_MOV, 2, 0, 0, start as i32), Insn::new(CLS_ALU64 | OP_MOV, 0, 0, 0, 0)];
    if spill {
        p.push(spill_store);
    }
    let head = p.len();
    if spill {
        p.push(spill_load);
    }
    p.extend(region_address(region, 3, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 3, 2, 0, 0));
    if write {
        p.push(Insn::new(CLS_STX | MODE_MEM | sz, 3, 2, off as i16, 0));
    }
    // Loading into the address register itself at offset 0 is the shape the JIT fuses
    // into one indexed load.
    let into = if off == 0 && len < 8 && rng.next_u64() % 2 == 0 { 3 } else { 4 };
    p.push(Insn::new(CLS_LDX | MODE_MEM | sz, into, 3, off as i16, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, into, 0, 0));
    if copy {
        p.push(Insn::new(CLS_ALU64 | OP_MOV | SRC_X, 5, 2, 0, 0));
    }
    p.push(Insn::new(CLS_ALU64 | OP_ADD, 2, 0, 0, step as i32));
    if spill {
        p.push(spill_store);
    }
    // Loop while r2 <= limit, in one of several spellings; `end` is the first value
    // past it that r2 takes.
    let back = |p: &Vec<Insn>| head as i16 - p.len() as i16 - 1;
    let end = start + ((limit - start).max(0) / step + 1) * step;
    match r(rng, 6) {
        // r5 = r2 - step: the same test one step behind.
        0 if copy => p.push(Insn::new(CLS_JMP | JLE, 5, 0, back(&p), (limit - step) as i32)),
        0 => p.push(Insn::new(CLS_JMP | JLE, 2, 0, back(&p), limit as i32)),
        4 => {
            // clang's rotated latch: jeq r2, end, +1; ja head (the JIT fuses the pair)
            p.push(Insn::new(CLS_JMP | JEQ, 2, 0, 1, end as i32));
            p.push(Insn::new(CLS_JMP | JA, 0, 0, back(&p), 0));
        }
        5 => p.push(Insn::new(CLS_JMP | JNE, 2, 0, back(&p), end as i32)),
        1 => p.push(Insn::new(CLS_JMP | JLT, 2, 0, back(&p), limit as i32 + 1)),
        2 => p.push(Insn::new(CLS_JMP32 | JSLE, 2, 0, back(&p), limit as i32)),
        _ => {
            // jgt r2, limit, +1; ja head
            p.push(Insn::new(CLS_JMP | JGT, 2, 0, 1, limit as i32));
            p.push(Insn::new(CLS_JMP | JA, 0, 0, back(&p), 0));
        }
    }
    p.push(Insn::new(CLS_JMP | EXIT, 0, 0, 0, 0));
    region_image(p, region, size)
}

/// A loop's access: its region (0 `.rodata`, 1 `.data`, 2 the frame) and the region's
/// size, the access's width (bytes and opcode size bits) and its offset from the
/// pointer.
struct Access {
    region: i64,
    size: i64,
    len: i64,
    sz: u8,
    off: i64,
}

impl Access {
    fn draw(rng: &mut Rng) -> Access {
        use vm::opcode::*;
        let mut r = |n: u64| (rng.next_u64() % n) as i64;
        let region = r(3);
        let size = if region == 2 { 512 } else { 8 + r(120) };
        let (len, sz) = [(1, SZ_B), (2, SZ_H), (4, SZ_W), (8, SZ_DW)][r(4) as usize];
        Access { region, size, len, sz, off: r(9) - 4 }
    }
}

/// A loop that keeps a pointer and a counter apart, stepping the pointer `step` times
/// as far as the counter (`p = &a[i]` kept in a register), up from a start or down
/// from a top, the limit a constant or held in a register, the ends placed around the
/// region's ends: the analysis bounds the pointer through the counter (a linear
/// relation) and counters going down through lower bounds.
fn kept_pointer_loop(rng: &mut Rng) -> (vm::image::Image, String) {
    use vm::opcode::*;
    use vm::Insn;
    let r = |rng: &mut Rng, n: u64| (rng.next_u64() % n) as i64;
    let Access { region, size, len, sz, off } = Access::draw(rng);
    let step = [1, 2, 4, 8, 3][r(rng, 5) as usize];
    let write = region != 0 && rng.next_u64() % 2 == 0;
    let down = rng.next_u64() % 2 == 0;
    // Indices run over [first, last]: the last that fits is (size - len - off) / step.
    let fits = ((size - len - off) / step).max(0);
    let last = (fits + r(rng, 5) - 2).max(1);
    let first = if down { r(rng, 3) - 1 + (off < 0) as i64 } else { r(rng, 3) }.clamp(0, last);
    let mut p = Vec::new();
    // r3: the pointer at the first element visited; r6: the counter.
    let (start, stride) = if down { (last, -step) } else { (first, step) };
    // The first element's address is worked out in r5 and copied, as compilers do: r3
    // itself only ever steps by the stride.
    let first_at = (start * step) as i32;
    p.extend(region_address(region, 5, first_at));
    p.push(Insn::new(CLS_ALU64 | OP_MOV | SRC_X, 3, 5, 0, 0));
    p.push(Insn::new(CLS_ALU64 | OP_MOV, 6, 0, 0, start as i32));
    p.push(Insn::new(CLS_ALU64 | OP_MOV, 0, 0, 0, 0));
    // The limit in a register, as `for (n = N; ...) for (i = 0; i < n; ...)` keeps it.
    let in_reg = rng.next_u64() % 2 == 0;
    let limit = if down { first } else { last + 1 };
    if in_reg {
        p.push(Insn::new(CLS_ALU64 | OP_MOV, 7, 0, 0, limit as i32));
    }
    let head = p.len();
    if write {
        p.push(Insn::new(CLS_STX | MODE_MEM | sz, 3, 6, off as i16, 0));
    }
    p.push(Insn::new(CLS_LDX | MODE_MEM | sz, 4, 3, off as i16, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, 4, 0, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD, 3, 0, 0, stride as i32));
    p.push(Insn::new(CLS_ALU64 | OP_ADD, 6, 0, 0, if down { -1 } else { 1 }));
    let back = |p: &Vec<Insn>| head as i16 - p.len() as i16 - 1;
    // Up: while r6 < limit; down: while r6 >= limit (r6 > limit - 1 when limit > 0).
    let (op, reg_op) = match (down, r(rng, 3)) {
        (false, 0) => (JNE, JNE),
        (false, _) => (JLT, JLT),
        (true, 0) if limit > 0 => (JGT, JGE),
        (true, _) => (JSGE, JSGE),
    };
    if in_reg {
        p.push(Insn::new(CLS_JMP | reg_op | SRC_X, 6, 7, back(&p), 0));
    } else {
        let k = if op == JGT { limit - 1 } else { limit };
        p.push(Insn::new(CLS_JMP | op, 6, 0, back(&p), k as i32));
    }
    p.push(Insn::new(CLS_JMP | EXIT, 0, 0, 0, 0));
    region_image(p, region, size)
}

/// XXH64's loop: the counter lives in r9 and in a frame slot; each round copies it to a
/// second slot, indexes a region with it, reloads both, steps one and compares the
/// other minus a constant (which wraps below zero when the counter is smaller). The
/// analysis bounds the counter through the class of registers and slots holding it.
fn two_slot_loop(rng: &mut Rng) -> (vm::image::Image, String) {
    use vm::opcode::*;
    use vm::Insn;
    let r = |rng: &mut Rng, n: u64| (rng.next_u64() % n) as i64;
    let Access { region, size, len, sz, off } = Access::draw(rng);
    let step = [1, 2, 4, 8, 32][r(rng, 5) as usize];
    let start = [0, 1, step, 31][r(rng, 4) as usize];
    let minus = [0, 1, 31, step][r(rng, 4) as usize];
    let write = region != 0 && rng.next_u64() % 2 == 0;
    // Loop while counter - minus < k: the last counter is about k + minus - 1.
    let last = (size - len - off + r(rng, 7) - 3).max(0);
    let k = (last - minus + 1).max(1);
    let ldx = |d, s, o| Insn::new(CLS_LDX | MODE_MEM | SZ_DW, d, s, o, 0);
    let stx = |d, o, s| Insn::new(CLS_STX | MODE_MEM | SZ_DW, d, s, o, 0);
    let mov = |d, imm| Insn::new(CLS_ALU64 | OP_MOV, d, 0, 0, imm);
    let mov_reg = |d, s| Insn::new(CLS_ALU64 | OP_MOV | SRC_X, d, s, 0, 0);
    let add = |d, imm| Insn::new(CLS_ALU64 | OP_ADD, d, 0, 0, imm);
    // The slot starts equal to r9, or apart from it: then the two are not one class at
    // the loop's head, though they move together on the way back.
    let apart = [0, 0, 1, -1, step, -step][r(rng, 6) as usize];
    let mut p = vec![mov(9, start as i32), mov(1, (start + apart) as i32), stx(10, -8, 1), mov(0, 0)];
    let head = p.len();
    p.extend([mov_reg(1, 9), stx(10, -16, 1)]);
    p.extend(region_address(region, 3, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 3, 1, 0, 0));
    if write {
        p.push(Insn::new(CLS_STX | MODE_MEM | sz, 3, 1, off as i16, 0));
    }
    p.push(Insn::new(CLS_LDX | MODE_MEM | sz, 4, 3, off as i16, 0));
    p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, 4, 0, 0));
    p.extend([ldx(9, 10, -8), add(9, step as i32), ldx(5, 10, -16), add(5, -minus as i32), stx(10, -8, 9)]);
    let back = head as i16 - p.len() as i16 - 1;
    p.push(Insn::new(CLS_JMP | JLT, 5, 0, back, k as i32));
    p.push(Insn::new(CLS_JMP | EXIT, 0, 0, 0, 0));
    region_image(p, region, size)
}

/// Loops that take a `.rodata` or `.data` address and apply one ALU operation to it
/// (the JIT, holding the address in a register, makes the pair one instruction:
/// `lower::fuse`'s `fuse_const_op`): every operation, 64- and 32-bit, with a register,
/// an immediate or the address itself (which faults), then a load through it or its
/// high half read.
fn const_op_loops() -> Vec<(vm::image::Image, String)> {
    use vm::opcode::*;
    use vm::Insn;
    let mut all = Vec::new();
    for region in [0, 1] {
        for cls in [CLS_ALU64, CLS_ALU] {
            // (Where a region lies differs from run to run: OR, XOR and AND take 0 or -1,
            // r6 and r7, and the address stays itself.)
            for (op, x) in [(OP_ADD, 2), (OP_SUB, 2), (OP_OR, 6), (OP_XOR, 6), (OP_AND, 7), (OP_AND, -1), (OP_ADD, 3)] {
                for hi_read in [false, true] {
                    let [a, b] = region_address(region, 3, 8);
                    let apply = match x {
                        -1 => Insn::new(cls | op, 3, 0, 0, -1),
                        s => Insn::new(cls | op | SRC_X, 3, s as u8, 0, 0),
                    };
                    let mut p = vec![
                        Insn::new(CLS_ALU64 | OP_MOV, 2, 0, 0, 0),
                        Insn::new(CLS_ALU64 | OP_MOV, 0, 0, 0, 0),
                        Insn::new(CLS_ALU64 | OP_MOV, 6, 0, 0, 0),
                        Insn::new(CLS_ALU64 | OP_MOV, 7, 0, 0, -1),
                        // All ones in r3's high half until the first address.
                        Insn::new(CLS_ALU64 | OP_MOV, 3, 0, 0, -1),
                    ];
                    let head = p.len();
                    p.extend([a, b, apply]);
                    if hi_read {
                        // Read after a join with a path where it is not zero, taken in
                        // the first round only: the next rounds find all ones there.
                        p.push(Insn::new(CLS_JMP | JNE, 2, 0, 1, 0));
                        p.push(Insn::new(CLS_ALU64 | OP_MOV, 3, 0, 0, -1));
                        p.push(Insn::new(CLS_ALU64 | OP_RSH, 3, 0, 0, 32));
                        p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, 3, 0, 0));
                    } else {
                        p.push(Insn::new(CLS_LDX | MODE_MEM | SZ_B, 4, 3, 0, 0));
                        p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, 4, 0, 0));
                    }
                    p.push(Insn::new(CLS_ALU64 | OP_ADD, 2, 0, 0, 1));
                    let back = head as i16 - p.len() as i16 - 1;
                    p.push(Insn::new(CLS_JMP | JLT, 2, 0, back, 8));
                    p.push(Insn::new(CLS_JMP | EXIT, 0, 0, 0, 0));
                    all.push(region_image(p, region, 16));
                }
            }
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn jit_and_interpreter_agree_on_loops_at_region_ends() {
    let count = env("MBPF_DIFF_COUNT", 10_000) / 10;
    let seed = env("MBPF_DIFF_SEED", 0x6d62_7066);
    let (mut node, mut client, _logs) = boot("diff-regions").await;
    let mut rng = Rng::new(seed);
    let (mut faulted, mut mismatches, mut relived) = (0, Vec::new(), 0);
    let fixed = const_op_loops();
    for n in 0..count + fixed.len() as u64 {
        let (image, text) = match fixed.get(n as usize) {
            Some(f) => f.clone(),
            None if n % 3 == 0 => region_loop(&mut rng),
            None if n % 3 == 1 => kept_pointer_loop(&mut rng),
            None => two_slot_loop(&mut rng),
        };
        // (Constants moved would make the fixed programs' bit operations on addresses
        // depend on where the regions lie.)
        let hints = match n % 5 {
            0 => Hints::None,
            1 => Hints::Own,
            2 if n as usize >= fixed.len() => Hints::Moved,
            4 => Hints::Rehomed,
            3 if n % 2 == 0 => Hints::Relived,
            _ => Hints::Damaged,
        };
        let (bytes, text) = with_hints(image, &text, hints, &mut rng);
        relived += usize::from(text.ends_with(RELIVED));
        let run = |engine| proto::RunRequest {
            layout: 1,
            image: bytes.clone(),
            input: vec![0; 16],
            helpers: vm::HelperSet::empty(),
            budget: BUDGET,
            engine,
        };
        let mut results = Vec::new();
        for engine in [proto::Engine::Interp, proto::Engine::Jit] {
            let reply = client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&run(engine))).await;
            let reply: proto::RunResponse =
                match reply.map_err(|e| e.to_string()).and_then(|b| proto::decode(&b).map_err(|e| e.to_string())) {
                    Ok(r) => r,
                    Err(e) => panic!("device lost on program {n} ({e}); crash: {:?}\n  {text}", node.crashed()),
                };
            results.push(reply);
        }
        let (a, b) = (&results[0], &results[1]);
        let kind = |r: &proto::RunResponse| r.failure.as_ref().map(|f| (f.kind, f.pc));
        assert_ne!(kind(a).map(|k| k.0), Some(proto::FailureKind::Verify), "program {n} does not verify:\n  {text}");
        faulted += a.failure.is_some() as usize;
        if a.result != b.result || kind(a) != kind(b) {
            mismatches.push(format!(
                "program {n}:\n  {text}\n  interp: {:?} {:?}\n  jit:    {:?} {:?}",
                a.result, a.failure, b.result, b.failure
            ));
            if mismatches.len() >= 5 {
                break;
            }
        }
    }
    node.stop();
    let total = count as usize + fixed.len();
    eprintln!("differential (loops at region ends): {total} compared ({faulted} ended in a fault), {relived} with liveness taken for more, {} mismatches, seed {seed:#x}", mismatches.len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
    // Both sides of the boundary are exercised: some loops stay inside, some run past.
    assert!(faulted > total / 10 && faulted < total * 9 / 10, "{faulted} of {total} faulted");
}

/// Which JIT hints (loop-head seeds, liveness and homes) an image goes with.
#[derive(Debug, Clone, Copy)]
enum Hints {
    None,
    /// Its own.
    Own,
    /// Its own, with every constant moved into a register made 4096 larger: a loop
    /// that starts past its region's end, run with seeds that say it starts inside
    /// (trusted, they would prove its first access).
    Moved,
    /// Its own, with bytes flipped.
    Damaged,
    /// Its own, with a bit of the homes flipped such that they still pass the device's
    /// check: another allocation than the allocator's (if one of 32 flips gives one).
    Rehomed,
    /// Its own, with a bit of liveness' seeds flipped such that the device takes them
    /// and compiles other code: registers taken for live where they are not (if one of
    /// 32 flips gives that).
    Relived,
}

/// The image in the femto layout with hints of `kind`: the JIT must agree with the
/// interpreter whatever they say. Returns the bytes and the program's text for failure messages.
fn with_hints(mut image: vm::image::Image, text: &str, kind: Hints, rng: &mut Rng) -> (Vec<u8>, String) {
    use vm::image::Layout::Femto;
    let own = |mut image: vm::image::Image| {
        testbed::program::pack(&mut image, Femto, true).unwrap();
        image.jit_hints
    };
    image.jit_hints = match kind {
        Hints::None => Vec::new(),
        Hints::Own => own(image.clone()),
        Hints::Moved => {
            let own = own(image.clone());
            let mut insns = image.program.insns().to_vec();
            for i in insns.iter_mut().filter(|i| matches!(i.opc, vm::opcode::MOV64_IMM | vm::opcode::MOV32_IMM)) {
                i.imm = i.imm.wrapping_add(4096);
            }
            image.program = vm::Program::from_insns(insns).unwrap();
            own
        }
        Hints::Damaged => {
            let mut bytes = own(image.clone());
            let len = bytes.len().max(1);
            for _ in 0..3 {
                if let Some(b) = bytes.get_mut(rng.next_u64() as usize % len) {
                    *b ^= 1 << (rng.next_u64() % 8);
                }
            }
            bytes
        }
        Hints::Rehomed => {
            let own = own(image.clone());
            let parts = jit::hints::split(&own);
            // (A program the verifier refuses has none.)
            let Some(start) = parts.homes.map(|h| own.len() - h.len()) else {
                return (image.emit(Femto).unwrap(), format!("{text}\n  (JIT hints: none, refused)"));
            };
            let loaded = vm::image::Image::load(Femto, &image.emit(Femto).unwrap()).unwrap();
            let insns = loaded.program.insns();
            let a = jit::analysis::analyse_hinted(insns, jit::Sizes::of(&loaded), parts.seeds, parts.live).unwrap();
            let mine = jit::regalloc::homes::check(insns, &a, &own[start..]).map(|h| format!("{h:?}")).ok();
            let mut other = (1..32).map(|_| {
                let mut flipped = own.clone();
                flipped[start + rng.next_u64() as usize % (own.len() - start)] ^= 1 << (rng.next_u64() % 8);
                flipped
            });
            let passes = |h: &Vec<u8>| {
                jit::regalloc::homes::check(insns, &a, &h[start..]).is_ok_and(|h| Some(format!("{h:?}")) != mine)
            };
            other.find(passes).unwrap_or(own)
        }
        Hints::Relived => {
            let own = own(image.clone());
            let parts = jit::hints::split(&own);
            let (live, homes) = (parts.live.len(), parts.homes.map_or(0, <[u8]>::len));
            if live == 0 {
                return (image.emit(Femto).unwrap(), format!("{text}\n  (JIT hints: no liveness sent)"));
            }
            let start = own.len() - homes - live;
            let loaded = vm::image::Image::load(Femto, &image.emit(Femto).unwrap()).unwrap();
            let sizes = jit::Sizes::of(&loaded);
            let code = |h: &[u8]| jit::compile_hinted(&loaded.program, sizes, h).map(|c| c.code).ok();
            let mine = code(&own);
            let mut other = (1..32).map(|_| {
                let mut flipped = own.clone();
                flipped[start + rng.next_u64() as usize % live] ^= 1 << (rng.next_u64() % 8);
                flipped
            });
            match other.find(|h| code(h) != mine) {
                Some(h) => h,
                None => {
                    image.jit_hints = own;
                    return (
                        image.emit(Femto).unwrap(),
                        format!("{text}\n  (JIT hints: own, no flip of liveness held)"),
                    );
                }
            }
        }
    };
    let text = match kind {
        Hints::Moved => vm::disasm::disassemble(image.program.insns()).join("\n  "),
        _ => text.to_string(),
    };
    (image.emit(Femto).unwrap(), format!("{text}\n  (JIT hints: {kind:?})"))
}

/// How the text of a program sent with [`Hints::Relived`] ends.
const RELIVED: &str = "(JIT hints: Relived)";

/// Endless loops of every shape the JIT lowers differently (a plain backward jump, a
/// conditional one, the fused `jeq +1; ja` latch, 64-bit compares, a bpf-to-bpf call
/// in the loop) end with the budget failure on the JIT, as on the interpreter.
#[tokio::test(flavor = "multi_thread")]
async fn the_jit_stops_endless_loops_of_every_shape() {
    let loops = [
        "mov %r5, 0\nl: jne %r5, 0, +1\nja l\nexit",
        "mov %r2, 0\nl: add %r2, 1\njne %r2, 0, l\nexit",
        "mov32 %r2, 0\nl: add32 %r2, 1\njeq %r2, 0, +1\nja l\nexit",
        "lddw %r3, 0x100000000\nl: add %r2, 1\njeq %r2, %r3, +1\nja l\nexit",
        "l: call local f\nja l\nexit\nf: mov %r0, 1\nexit",
    ];
    let (mut node, mut client, _logs) = boot("diff-budget").await;
    for src in loops {
        let image: Vec<u8> = vm::asm::assemble(src).unwrap().iter().flat_map(vm::Insn::encode).collect();
        for engine in [proto::Engine::Interp, proto::Engine::Jit] {
            let req = proto::RunRequest {
                layout: 0,
                image: image.clone(),
                input: vec![],
                helpers: vm::HelperSet::empty(),
                budget: 1000,
                engine,
            };
            let reply = client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap();
            let reply: proto::RunResponse = proto::decode(&reply).unwrap();
            assert_eq!(reply.failure.map(|f| f.kind), Some(proto::FailureKind::Budget), "{engine:?}: {src}");
        }
    }
    prepaid_loops_stop_where_ticking_ones_do(&mut client).await;
    assert!(node.crashed().is_none());
    node.stop();
}

/// Counted loops pay the budget for all their backward jumps at the entry
/// (`jit::loops`). With the budget around the loop's count of backward jumps, a
/// prepaid loop must end exactly as the same loop ticking at its latch does (a store
/// in the body keeps it from being prepaid): the budget failure up to the count,
/// the result past it.
async fn prepaid_loops_stop_where_ticking_ones_do(client: &mut CoapClient) {
    // (program with {mark} in its body, backward jumps; None: the loop never ends). The
    // mark: nothing (prepaid), or `ja +0`, a jump into the body (ticking).
    let loops = [
        ("mov %r2, 3\nmov %r0, 0\nl: add %r0, %r2\n{mark}add %r2, 1\njeq %r2, 40, +1\nja l\nexit", Some(36)),
        ("mov32 %r2, 50\nmov %r0, 0\nl: add %r0, %r2\n{mark}add32 %r2, 1\njeq32 %r2, 40, +1\nja l\nexit", None),
        ("mov32 %r2, -16\nmov %r0, 0\nl: add %r0, 1\n{mark}add32 %r2, 1\njeq32 %r2, 5, +1\nja l\nexit", Some(20)),
        ("mov32 %r2, 7\nmov %r0, 0\nl: add %r0, 3\n{mark}add32 %r2, 1\njeq %r2, 30, +1\nja l\nexit", Some(22)),
        // Stepping by 4 and storing into the frame (what no one sees after a stop).
        (
            "mov %r2, 8\nmov %r0, 0\nl: add %r0, %r2\nstxdw [%r10-8], %r0\n{mark}add %r2, 4\njeq %r2, 200, +1\nja l\nexit",
            Some(47),
        ),
        // ... entering off the step's grid: past the limit, around 2^32 and on.
        ("mov32 %r2, 6\nmov %r0, 0\nl: stxw [%r10-4], %r2\n{mark}add32 %r2, 4\njeq %r2, 200, +1\nja l\nexit", None),
        // The latch as one backward `jne`.
        ("mov %r2, 0\nmov %r0, 0\nl: add %r0, 5\n{mark}add %r2, 2\njne %r2, 60, l\nexit", Some(29)),
        // Below a limit: the counter after its increment, a copy made before it
        // (Fletcher-32's shape), a 32-bit counter from 2^32 - 1 (its increment wraps).
        ("mov %r2, 3\nmov %r0, 0\nl: add %r0, %r2\n{mark}add %r2, 1\njlt %r2, 40, l\nexit", Some(36)),
        ("mov %r2, 0\nmov %r0, 0\nl: mov %r4, %r2\n{mark}add %r2, 2\nadd %r0, %r4\njlt %r4, 60, l\nexit", Some(30)),
        ("mov32 %r2, -1\nmov %r0, 0\nl: add %r0, 1\n{mark}add32 %r2, 1\njlt32 %r2, 10, l\nexit", Some(10)),
        // ... a 32-bit counter off the grid wraps around and never meets the limit.
        ("mov32 %r2, 1\nmov %r0, 0\nl: add %r0, 1\n{mark}add32 %r2, 8\njeq32 %r2, 64, +1\nja l\nexit", None),
        // Counters kept in a frame slot: a doubleword (from 2^32 on, through 2^64), a word.
        (
            "mov %r2, 3\nstxdw [%r10-16], %r2\nmov %r0, 0\nl: mov32 %r2, %r0\nldxdw %r2, [%r10-16]\nadd %r0, %r2\n\
             {mark}add %r2, 1\nstxdw [%r10-16], %r2\njeq %r2, 40, +1\nja l\nexit",
            Some(36),
        ),
        (
            "lddw %r2, 0x100000003\nstxdw [%r10-16], %r2\nmov %r0, 0\nl: ldxdw %r2, [%r10-16]\nadd %r0, %r2\n\
             {mark}add %r2, 1\nstxdw [%r10-16], %r2\njeq %r2, 40, +1\nja l\nexit",
            None,
        ),
        (
            "mov32 %r2, 0\nstxw [%r10-16], %r2\nmov %r0, 0\nl: ldxw %r2, [%r10-16]\nadd %r0, 5\n{mark}add32 %r2, 2\n\
             stxw [%r10-16], %r2\njne32 %r2, 60, l\nexit",
            Some(29),
        ),
    ];
    // Loops entered at their body (the mark, a jump inside the head, keeps them ticking):
    // a register limit and a branchy body, and a step of 4 to a constant.
    let entered = [
        (
            "mov %r1, 30\nmov %r0, 0\nmov %r3, 1\nja b\nh: {mark}add %r3, 1\njlt %r3, %r1, b\nja out\n\
             b: add %r0, %r3\njgt %r3, 4, +1\nadd %r0, 7\nstxdw [%r10-8], %r0\nja h\nout: exit",
            29,
        ),
        ("mov %r0, 0\nmov %r3, 0\nja b\nh: {mark}add %r3, 4\njlt %r3, 100, b\nja out\nb: add %r0, %r3\nja h\nout: exit", 25),
    ];
    for (shape, jumps) in entered {
        let build = |mark: &str| {
            let insns = vm::asm::assemble(&shape.replace("{mark}", mark)).unwrap();
            let program = vm::Program::from_insns(insns.clone()).unwrap();
            let an = jit::analysis::analyse(program.insns(), jit::Sizes::default()).expect("the host has the heap");
            let paid = jit::loops::prepaid_loops(program.insns(), &an).body_first().count();
            (insns.iter().flat_map(vm::Insn::encode).collect::<Vec<u8>>(), paid)
        };
        let (paid, n) = build("");
        assert_eq!(n, 1, "{shape}: not paid on the way in");
        let (ticking, n) = build("ja +0\n");
        assert_eq!(n, 0, "{shape}: paid for despite the jump into its head");
        for budget in [jumps - 1, jumps, jumps + 1, jumps + 2] {
            let ends = ends_on_jit(client, [&paid, &ticking], budget).await;
            assert_eq!(ends[0], ends[1], "{shape}, budget {budget}: paid vs ticking");
            let stopped = ends[0].1 == Some(proto::FailureKind::Budget);
            assert_eq!(stopped, budget <= jumps, "{shape}, budget {budget}: {:?}", ends[0]);
        }
    }
    // As hot as SHA-256's rounds (eight 32-bit values, each used in every pass): lr
    // is a home and the budget lives in `ctx`, stepped there and paid there.
    let hot: String =
        (0..2).flat_map(|k| (2..10).map(move |r| format!("add32 %r{r}, %r{}\n", 2 + (r + k + 1) % 8))).collect();
    let values: String = (2..10).map(|r| format!("mov32 %r{r}, {}\n", 0x1111 * (r + 3))).collect();
    let fold: String = (2..10).map(|r| format!("add32 %r0, %r{r}\n")).collect();
    let pressed = [
        (format!("{values}mov %r1, 0\nmov %r0, 0\nl: {hot}{{mark}}add %r1, 1\njeq %r1, 40, +1\nja l\n{fold}exit"), 39),
        (format!("{values}mov %r1, 0\nmov %r0, 0\nl: {hot}{{mark}}add %r1, 2\njne %r1, 60, l\n{fold}exit"), 29),
    ];
    for (shape, jumps) in &pressed {
        let build = |mark: &str| {
            let insns = vm::asm::assemble(&shape.replace("{mark}", mark)).unwrap();
            let program = vm::Program::from_insns(insns.clone()).unwrap();
            let an = jit::analysis::analyse(program.insns(), jit::Sizes::default()).expect("the host has the heap");
            let prepaid = jit::loops::prepaid_loops(program.insns(), &an);
            let lr = jit::regalloc::allocate(program.insns(), &an, &prepaid).expect("the host has the heap").lr_home;
            (insns.iter().flat_map(vm::Insn::encode).collect::<Vec<u8>>(), prepaid.iter().count(), lr)
        };
        let (prepaid, n, lr) = build("");
        assert!(n == 1 && lr, "{shape}: prepaid {n}, lr a home: {lr}");
        let (ticking, n, lr) = build("ja +0\n");
        assert!(n == 0 && lr, "{shape}: prepaid {n}, lr a home: {lr}");
        for budget in [jumps - 1, *jumps, jumps + 1, jumps + 2] {
            let ends = ends_on_jit(client, [&prepaid, &ticking], budget).await;
            assert_eq!(ends[0], ends[1], "{shape}, budget {budget}: prepaid vs ticking");
            let stopped = ends[0].1 == Some(proto::FailureKind::Budget);
            assert_eq!(stopped, budget <= *jumps, "{shape}, budget {budget}: {:?}", ends[0]);
        }
    }
    for (shape, jumps) in loops {
        let build = |store: &str| {
            let insns = vm::asm::assemble(&shape.replace("{mark}", store)).unwrap();
            let program = vm::Program::from_insns(insns.clone()).unwrap();
            let prepaid = jit::loops::prepaid_loops(
                program.insns(),
                &jit::analysis::analyse(program.insns(), jit::Sizes::default()).expect("the host has the heap"),
            )
            .iter()
            .count();
            (insns.iter().flat_map(vm::Insn::encode).collect::<Vec<u8>>(), prepaid)
        };
        let (prepaid, n) = build("");
        assert_eq!(n, 1, "{shape}: not prepaid");
        let (ticking, n) = build("ja +0\n");
        assert_eq!(n, 0, "{shape}: prepaid despite the jump into its body");
        let c = jumps.unwrap_or(40);
        for budget in [c - 1, c, c + 1, c + 2] {
            let ends = ends_on_jit(client, [&prepaid, &ticking], budget).await;
            assert_eq!(ends[0], ends[1], "{shape}, budget {budget}: prepaid vs ticking");
            let stopped = ends[0].1 == Some(proto::FailureKind::Budget);
            assert_eq!(stopped, jumps.is_none_or(|j| budget <= j), "{shape}, budget {budget}: {:?}", ends[0]);
        }
    }
}

/// How each image's run on the JIT with `budget` ends: its result and failure kind.
async fn ends_on_jit(
    client: &mut CoapClient,
    images: [&Vec<u8>; 2],
    budget: u64,
) -> Vec<(Option<u64>, Option<proto::FailureKind>)> {
    let mut ends = Vec::new();
    for image in images {
        let req = proto::RunRequest {
            layout: 0,
            image: image.clone(),
            input: vec![],
            helpers: vm::HelperSet::empty(),
            budget,
            engine: proto::Engine::Jit,
        };
        let reply: proto::RunResponse =
            proto::decode(&client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap())
                .unwrap();
        ends.push((reply.result, reply.failure.map(|f| f.kind)));
    }
    ends
}

/// Accesses the analysis cannot place (a `.rodata` pointer reloaded from the stack)
/// check the window the last miss learned. What a read taught must not let a write
/// through, nor an access past the region's end: both still fault, on both engines.
#[tokio::test(flavor = "multi_thread")]
async fn learned_windows_never_admit_what_rt_mem_would_refuse() {
    use vm::opcode::*;
    use vm::Insn;
    let spill = |tail: &[Insn]| {
        let mut p = vec![
            Insn::new(LDDWR, 1, 0, 0, 0),
            Insn::new(0, 0, 0, 0, 0),
            Insn::new(CLS_STX | MODE_MEM | SZ_DW, 10, 1, -8, 0), // *(r10 - 8) = rodata
            Insn::new(CLS_LDX | MODE_MEM | SZ_DW, 2, 10, -8, 0), // r2 = it again: no hint
            Insn::new(CLS_ALU64 | OP_MOV, 0, 0, 0, 0),
            Insn::new(CLS_ALU64 | OP_MOV, 3, 0, 0, 0),
        ];
        // A loop of 8 reads through r2 + r3: the first misses and teaches the window.
        p.push(Insn::new(CLS_ALU64 | OP_MOV | SRC_X, 5, 2, 0, 0));
        p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 5, 3, 0, 0));
        p.push(Insn::new(CLS_LDX | MODE_MEM | SZ_B, 4, 5, 0, 0));
        p.push(Insn::new(CLS_ALU64 | OP_ADD | SRC_X, 0, 4, 0, 0));
        p.push(Insn::new(CLS_ALU64 | OP_ADD, 3, 0, 0, 1));
        p.push(Insn::new(CLS_JMP | JLT, 3, 0, -6, 8));
        p.extend_from_slice(tail);
        p.push(Insn::new(CLS_JMP | EXIT, 0, 0, 0, 0));
        let program = vm::Program::from_insns(p).unwrap();
        vm::image::Image {
            program,
            data: Vec::new(),
            rodata: (1..=16).collect(),
            helpers: None,
            functions: Vec::new(),
            jit_hints: Vec::new(),
        }
        .emit(vm::image::Layout::Femto)
        .unwrap()
    };
    let cases = [
        ("reads only", spill(&[]), None),
        (
            "a write where a read learned",
            spill(&[Insn::new(CLS_ST | MODE_MEM | SZ_B, 2, 0, 0, 7)]),
            Some(proto::FailureKind::Memory),
        ),
        (
            "a read past the end",
            spill(&[Insn::new(CLS_LDX | MODE_MEM | SZ_B, 4, 2, 16, 0)]),
            Some(proto::FailureKind::Memory),
        ),
        (
            "a wider read at the end",
            spill(&[Insn::new(CLS_LDX | MODE_MEM | SZ_W, 4, 2, 13, 0)]),
            Some(proto::FailureKind::Memory),
        ),
    ];
    let (mut node, mut client, _logs) = boot("diff-learned").await;
    for (what, image, fails) in cases {
        for engine in [proto::Engine::Interp, proto::Engine::Jit] {
            let req = proto::RunRequest {
                layout: 1,
                image: image.clone(),
                input: vec![],
                helpers: vm::HelperSet::empty(),
                budget: 0,
                engine,
            };
            let reply: proto::RunResponse = proto::decode(
                &client.request(RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap(),
            )
            .unwrap();
            assert_eq!(reply.failure.as_ref().map(|f| f.kind), fails, "{engine:?}: {what}: {reply:?}");
            if fails.is_none() {
                assert_eq!(reply.result, Some(36), "{engine:?}: {what}");
            }
        }
    }
    node.stop();
}
