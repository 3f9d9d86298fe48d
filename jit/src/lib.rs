//! eBPF → ARMv7E-M Thumb-2 compiler, `no_std` + `alloc`.
//!
//! Layers, kept apart as in Cranelift:
//! - [`thumb2`]: the instruction encoder (one pure function per Thumb-2 encoding, typed
//!   immediates, condition codes) and a [`thumb2::buffer::CodeBuffer`] with labels and
//!   branch fixups of every range;
//! - [`lower`]: eBPF → Thumb-2, against the runtime contract in [`abi`]. The runtime
//!   that executes the code (and so needs `unsafe`) lives with the device firmware.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod analysis;
pub mod listing;
pub mod loops;
pub mod lower;
pub mod patterns;
pub mod regalloc;
pub mod thumb2;

pub use analysis::{code_bound, Sizes};
pub use lower::{compile, compile_for, Compiled, JitError};
