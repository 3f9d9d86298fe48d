//! What the producer of an image (where it is built, on a host) computes for the
//! device's compile and sends with the program: the range analysis' loop-head states
//! ([`crate::analysis::loop_seeds`]), liveness at the loop heads
//! ([`crate::analysis::live_seeds`]) and the register allocation
//! ([`crate::regalloc::homes`]). The device checks all three as it compiles: a seed is
//! joined with what reaches its head, never trusted; liveness' seeds are used only if
//! the one sweep they allow gives every head the sets its seed says; an allocation is
//! used only if it passes every rule the allocator's own does, else the device
//! allocates. So hints make a compile cheaper, never different in meaning, and right
//! ones give the same code, byte for byte.
//!
//! The format (little-endian):
//!
//! ```text
//! u8 version (3), u32 length of the seeds, the seeds,
//! u32 length of liveness' seeds, liveness' seeds, the homes (the rest)
//! ```
//!
//! Version 2 (images packed before liveness was sent) has no liveness' seeds (nor
//! their length); version 1 is range seeds alone, with the seeds' own version byte
//! first. Anything else is no hints.
use alloc::vec::Vec;

use vm::Program;

use crate::analysis::{self, OutOfMemory, Sizes};
use crate::{loops, regalloc};

const VERSION: u8 = 3;

/// The hints for `program`, compiled for regions of `sizes`: what the device's compile
/// of the same program for the same sizes would find. None (empty) for a program the
/// verifier refuses with every helper allowed: no device compiles it, and the passes
/// take verified programs.
pub fn make(program: &Program, sizes: Sizes) -> Result<Vec<u8>, OutOfMemory> {
    if vm::verify(program, &vm::HelperSet::all()).is_err() {
        return Ok(Vec::new());
    }
    let insns = program.insns();
    let seeds = analysis::loop_seeds(insns, sizes)?;
    let a = analysis::analyse_seeded(insns, sizes, &seeds)?;
    let live = analysis::live_seeds(&a);
    let prepaid = loops::prepaid_loops(insns, &a);
    let alloc = regalloc::allocate(insns, &a, &prepaid)?;
    let mut out = Vec::new();
    out.push(VERSION);
    for part in [&seeds, &live] {
        out.extend_from_slice(&(part.len() as u32).to_le_bytes());
        out.extend_from_slice(part);
    }
    regalloc::homes::encode(insns, &a, &alloc, &mut out);
    Ok(out)
}

/// What hints hold, by part (empty, or none: not sent, or not in the format). The
/// homes, where sent, are the hints' last bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Parts<'a> {
    pub seeds: &'a [u8],
    pub live: &'a [u8],
    pub homes: Option<&'a [u8]>,
}

/// The parts of `hints`.
pub fn split(hints: &[u8]) -> Parts<'_> {
    // A length-prefixed part, and what follows it.
    fn part(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let len = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
        let rest = &b[4..];
        (rest.len() >= len).then(|| rest.split_at(len))
    }
    let parts = match hints.first() {
        Some(1) => Some(Parts { seeds: hints, ..Parts::default() }),
        Some(2) => part(&hints[1..]).map(|(seeds, homes)| Parts { seeds, homes: Some(homes), ..Parts::default() }),
        Some(&VERSION) => part(&hints[1..])
            .and_then(|(seeds, rest)| part(rest).map(|(live, homes)| Parts { seeds, live, homes: Some(homes) })),
        _ => None,
    };
    parts.unwrap_or_default()
}

/// Whether the homes `hints` bring pass the device's check for `program` compiled for
/// `sizes` (none: they bring no homes).
pub fn homes_pass(program: &Program, sizes: Sizes, hints: &[u8]) -> Option<bool> {
    let parts = split(hints);
    let homes = parts.homes?;
    let a = analysis::analyse_hinted(program.insns(), sizes, parts.seeds, parts.live).ok()?;
    Some(regalloc::homes::check(program.insns(), &a, homes).is_ok())
}
