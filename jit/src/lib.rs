//! eBPF → ARMv7E-M Thumb-2 compiler (issue #4). This crate reserves its place in the
//! layering: it depends only on `vm` (verifier, program, helper ids) and is `no_std`.
//! The encoder (`thumb2/`), buffer with fixups, and lowering arrive with the JIT work.
#![no_std]
