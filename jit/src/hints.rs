//! What the producer of an image (where it is built, on a host) computes for the
//! device's compile and sends with the program: the range analysis' loop-head states
//! ([`crate::analysis::loop_seeds`]) and the register allocation
//! ([`crate::regalloc::homes`]). The device checks both as it compiles: a seed is
//! joined with what reaches its head, never trusted; an allocation is used only if it
//! passes every rule the allocator's own does, else the device allocates. So hints make
//! a compile cheaper, never different in meaning, and right ones give the same code,
//! byte for byte.
//!
//! The format (little-endian):
//!
//! ```text
//! u8 version (2), u32 length of the seeds, the seeds, the homes (the rest)
//! ```
//!
//! Version 1 (images packed before homes were sent) is seeds alone, with the seeds'
//! own version byte first. Anything else is no hints.
use alloc::vec::Vec;

use vm::Program;

use crate::analysis::{self, OutOfMemory, Sizes};
use crate::{loops, regalloc};

const VERSION: u8 = 2;

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
    let prepaid = loops::prepaid_loops(insns, &a);
    let alloc = regalloc::allocate(insns, &a, &prepaid)?;
    let mut out = Vec::new();
    out.push(VERSION);
    out.extend_from_slice(&(seeds.len() as u32).to_le_bytes());
    out.extend_from_slice(&seeds);
    regalloc::homes::encode(insns, &a, &alloc, &mut out);
    Ok(out)
}

/// The seeds and, if any, the homes that `hints` hold.
pub(crate) fn split(hints: &[u8]) -> (&[u8], Option<&[u8]>) {
    match hints.first() {
        Some(1) => (hints, None),
        Some(&VERSION) => {
            let Some(len) = hints.get(1..5).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize) else {
                return (&[], None);
            };
            match hints.get(5..).filter(|rest| rest.len() >= len) {
                Some(rest) => (&rest[..len], Some(&rest[len..])),
                None => (&[], None),
            }
        }
        _ => (&[], None),
    }
}

/// Whether the homes `hints` bring pass the device's check for `program` compiled for
/// `sizes` (none: they bring no homes).
pub fn homes_pass(program: &Program, sizes: Sizes, hints: &[u8]) -> Option<bool> {
    let (seeds, homes) = split(hints);
    let homes = homes?;
    let a = analysis::analyse_seeded(program.insns(), sizes, seeds).ok()?;
    Some(regalloc::homes::check(program.insns(), &a, homes).is_ok())
}
