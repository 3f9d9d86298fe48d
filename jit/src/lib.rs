//! eBPF → ARMv7E-M Thumb-2 compiler, `no_std` + `alloc`.
//!
//! Layers, kept apart as in Cranelift:
//! - [`thumb2`]: the instruction encoder (one pure function per Thumb-2 encoding, typed
//!   immediates, condition codes) and a [`thumb2::buffer::CodeBuffer`] with labels and
//!   branch fixups of every range;
//! - [`lower`]: eBPF → Thumb-2, against the runtime contract in [`abi`]. The runtime
//!   that executes the code (and so needs `unsafe`) lives with the device firmware.
#![no_std]
// On the device, functions a compile rarely runs (runtime calls, 64-bit compares, bodies
// compiled first) are optimised for size: flash is scarce there, and their share of a
// compile's cost is nil. (The firmware is built with `RUSTC_BOOTSTRAP` already, for
// `build-std`.)
#![cfg_attr(target_os = "none", feature(optimize_attribute))]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod analysis;
pub mod hints;
pub mod listing;
pub mod loops;
pub mod lower;
pub mod patterns;
pub mod regalloc;
pub mod thumb2;

pub use analysis::{code_bound, Sizes};
pub use lower::{compile, compile_for, compile_hinted, Compiled, JitError};
