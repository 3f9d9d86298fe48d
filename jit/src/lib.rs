//! eBPF → ARMv7E-M Thumb-2 compiler (issue #4), `no_std` + `alloc`.
//!
//! Layers, kept apart as in Cranelift:
//! - [`thumb2`]: the instruction encoder (one pure function per Thumb-2 encoding, typed
//!   immediates, condition codes) and a [`thumb2::buffer::CodeBuffer`] with labels and
//!   branch fixups of every range;
//! - lowering and register allocation (eBPF → Thumb-2) build on it; they are the next
//!   step of issue #4 and are not in this crate yet.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod thumb2;
