//! Block copies and fills for the calls the compiler makes (`__aeabi_memcpy`,
//! `__aeabi_memcpy4/8`, `__aeabi_memmove4/8`, `__aeabi_memset4/8`, `__aeabi_memclr4/8`).
//!
//! Written by hand because compiler_builtins' versions (weak symbols, meant to be
//! replaced) move one word per five instructions (`ldr`, `str`, `subs`, `cmp`, `bhi`):
//! the JIT copies its analysis states (hundreds of bytes) at every block it walks, and
//! a bpf-to-bpf return restores r6-r9 with one. These move 16 or 32 bytes per
//! `ldm`/`stm` pair, then words, then bytes. The callers guarantee what the names
//! say: both pointers aligned to 4 (or 8) bytes; the length is any.

/// `memcpy` of 4-aligned blocks: 32 bytes a step (eight registers per `ldm`/`stm`:
/// the analysis' states are hundreds of bytes), then 16, then words, then bytes.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memcpy4(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!(
        "push {{r4, r5, r6, r7, r8, r9}}",
        "subs r2, r2, #32",
        "blo 2f",
        "1:",
        "ldmia r1!, {{r3, r4, r5, r6, r7, r8, r9, r12}}",
        "stmia r0!, {{r3, r4, r5, r6, r7, r8, r9, r12}}",
        "subs r2, r2, #32",
        "bhs 1b",
        "2:",
        // 0-31 bytes left (r2 = left - 32): 16 of them if there are.
        "adds r2, r2, #16",
        "blo 3f",
        "ldmia r1!, {{r3, r4, r5, r12}}",
        "stmia r0!, {{r3, r4, r5, r12}}",
        "subs r2, r2, #16",
        "3:",
        // 0-15 bytes left (r2 = left - 16): words, then bytes.
        "adds r2, r2, #12",
        "blo 5f",
        "4:",
        "ldr r3, [r1], #4",
        "str r3, [r0], #4",
        "subs r2, r2, #4",
        "bhs 4b",
        "5:",
        "adds r2, r2, #4",
        "beq 7f",
        "6:",
        "ldrb r3, [r1], #1",
        "strb r3, [r0], #1",
        "subs r2, r2, #1",
        "bne 6b",
        "7:",
        "pop {{r4, r5, r6, r7, r8, r9}}",
        "bx lr",
    )
}

/// `memcpy` of blocks of any alignment (what the compiler calls for arrays of bytes
/// and fields of them: the lowering's tables, a hint's bytes): both 4-aligned, the
/// block copy; else words by unaligned `ldr`/`str`, which the M4 does in hardware
/// (CCR.UNALIGN_TRP stays clear; every copy is of normal memory), then bytes.
/// compiler_builtins' `memcpy` took about 140 instructions for 40 bytes.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memcpy(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!(
        "orr r3, r0, r1",
        "lsls r3, r3, #30",
        "beq {copy}",
        "subs r2, r2, #4",
        "blo 2f",
        "1:",
        "ldr r3, [r1], #4",
        "str r3, [r0], #4",
        "subs r2, r2, #4",
        "bhs 1b",
        "2:",
        "adds r2, r2, #4",
        "beq 4f",
        "3:",
        "ldrb r3, [r1], #1",
        "strb r3, [r0], #1",
        "subs r2, r2, #1",
        "bne 3b",
        "4:",
        "bx lr",
        copy = sym __aeabi_memcpy4,
    )
}

/// As [`__aeabi_memcpy4`]: 8-aligned blocks are 4-aligned.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memcpy8(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!("b {copy}", copy = sym __aeabi_memcpy4)
}

/// `memmove` of 4-aligned blocks: forwards (as [`__aeabi_memcpy4`]) unless the
/// destination starts inside the source, then backwards from the end.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memmove4(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!(
        // dst - src (unsigned) at least n: no byte is written before it is read.
        "subs r3, r0, r1",
        "cmp r3, r2",
        "bhs {copy}",
        "push {{r4, r5}}",
        "add r0, r0, r2",
        "add r1, r1, r2",
        // The last n % 4 bytes first, then the words before them.
        "ands r3, r2, #3",
        "beq 2f",
        "1:",
        "ldrb r4, [r1, #-1]!",
        "strb r4, [r0, #-1]!",
        "subs r3, r3, #1",
        "bne 1b",
        "2:",
        "bic r2, r2, #3",
        "subs r2, r2, #16",
        "blo 4f",
        "3:",
        "ldmdb r1!, {{r3, r4, r5, r12}}",
        "stmdb r0!, {{r3, r4, r5, r12}}",
        "subs r2, r2, #16",
        "bhs 3b",
        "4:",
        "adds r2, r2, #16",
        "beq 6f",
        "5:",
        "ldr r3, [r1, #-4]!",
        "str r3, [r0, #-4]!",
        "subs r2, r2, #4",
        "bne 5b",
        "6:",
        "pop {{r4, r5}}",
        "bx lr",
        copy = sym __aeabi_memcpy4,
    )
}

/// As [`__aeabi_memmove4`].
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memmove8(dst: *mut u8, src: *const u8, n: usize) {
    core::arch::naked_asm!("b {mv}", mv = sym __aeabi_memmove4)
}

/// `memset` of a 4-aligned block (the AEABI order: destination, length, byte): 16
/// bytes a step, then words, then bytes.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memset4(dst: *mut u8, n: usize, c: i32) {
    core::arch::naked_asm!(
        // The byte in all four of a word.
        "and r2, r2, #0xff",
        "orr r2, r2, r2, lsl #8",
        "orr r2, r2, r2, lsl #16",
        "push {{r4}}",
        "mov r3, r2",
        "mov r4, r2",
        "mov r12, r2",
        "subs r1, r1, #16",
        "blo 2f",
        "1:",
        "stmia r0!, {{r2, r3, r4, r12}}",
        "subs r1, r1, #16",
        "bhs 1b",
        "2:",
        "adds r1, r1, #12",
        "blo 4f",
        "3:",
        "str r2, [r0], #4",
        "subs r1, r1, #4",
        "bhs 3b",
        "4:",
        "adds r1, r1, #4",
        "beq 6f",
        "5:",
        "strb r2, [r0], #1",
        "subs r1, r1, #1",
        "bne 5b",
        "6:",
        "pop {{r4}}",
        "bx lr",
    )
}

/// As [`__aeabi_memset4`].
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memset8(dst: *mut u8, n: usize, c: i32) {
    core::arch::naked_asm!("b {set}", set = sym __aeabi_memset4)
}

/// `memset(dst, 0, n)` of a 4-aligned block.
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memclr4(dst: *mut u8, n: usize) {
    core::arch::naked_asm!("movs r2, #0", "b {set}", set = sym __aeabi_memset4)
}

/// As [`__aeabi_memclr4`] (straight to the fill: a branch fewer than through it).
#[unsafe(no_mangle)]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_memclr8(dst: *mut u8, n: usize) {
    core::arch::naked_asm!("movs r2, #0", "b {set}", set = sym __aeabi_memset4)
}

/// Checks the functions above against byte-at-a-time references (the testbed firmware
/// runs it at boot and prints the outcome; tests read it): every length up to 40
/// bytes, at 4-aligned offsets, moves overlapping either way. The first wrong case,
/// as (length, destination offset, source offset), if any; else the number of cases.
#[cfg(feature = "bench")]
pub fn self_check() -> Result<usize, (usize, usize, usize)> {
    const LEN: usize = 64;
    let fill = |b: &mut [u32; LEN / 4]| {
        for (k, w) in b.iter_mut().enumerate() {
            *w = 0x0101_0101u32.wrapping_mul(4 * k as u32 + 1) ^ 0x8040_2010;
        }
    };
    let bytes = |b: &[u32; LEN / 4]| {
        let mut out = [0u8; LEN];
        for (o, w) in out.chunks_exact_mut(4).zip(b) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    };
    let mut cases = 0;
    for n in 0..=40 {
        for (d, s) in [(0, 0), (0, 8), (8, 0), (4, 0), (0, 4), (12, 16)] {
            // Copies between two buffers, and moves inside one.
            let (mut src, mut dst, mut one) = ([0u32; LEN / 4], [0u32; LEN / 4], [0u32; LEN / 4]);
            fill(&mut src);
            fill(&mut one);
            let (before, one_before) = (bytes(&dst), bytes(&one));
            // SAFETY: offsets and lengths stay inside the 64-byte buffers, 4-aligned.
            unsafe {
                __aeabi_memcpy4(dst.as_mut_ptr().cast::<u8>().add(d), src.as_ptr().cast::<u8>().add(s), n);
                let base = one.as_mut_ptr().cast::<u8>();
                __aeabi_memmove4(base.add(d), base.add(s), n);
            }
            let (got, moved, from) = (bytes(&dst), bytes(&one), bytes(&src));
            let copied = (0..LEN).all(|k| got[k] == if (d..d + n).contains(&k) { from[k - d + s] } else { before[k] });
            let kept = (0..LEN)
                .all(|k| moved[k] == if (d..d + n).contains(&k) { one_before[k - d + s] } else { one_before[k] });
            // Fills: the byte, then zero.
            let mut set = [0u32; LEN / 4];
            fill(&mut set);
            let set_before = bytes(&set);
            // SAFETY: as above.
            unsafe { __aeabi_memset4(set.as_mut_ptr().cast::<u8>().add(d), n, 0x1a5) };
            let filled = bytes(&set);
            let set_ok = (0..LEN).all(|k| filled[k] == if (d..d + n).contains(&k) { 0xa5 } else { set_before[k] });
            // SAFETY: as above.
            unsafe { __aeabi_memclr4(set.as_mut_ptr().cast::<u8>().add(d), n) };
            let cleared = bytes(&set);
            let clr_ok = (0..LEN).all(|k| cleared[k] == if (d..d + n).contains(&k) { 0 } else { set_before[k] });
            if !(copied && kept && set_ok && clr_ok) {
                return Err((n, d, s));
            }
            cases += 1;
        }
    }
    Ok(cases)
}
