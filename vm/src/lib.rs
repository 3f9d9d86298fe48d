//! An eBPF virtual machine for microcontrollers (RFC 9669), `no_std` + `alloc`.
//!
//! A program goes through three stages:
//!
//! 1. **decode**: [`Program::from_bytes`] turns bytecode into [`Insn`]s (any byte
//!    string: a length that is not a multiple of 8 is an error, not a panic);
//! 2. **verify**: [`verifier::verify`] checks every instruction's fields, every jump
//!    and call target, LDDW pairs, that an exit is reachable and that no path falls
//!    off the end, and that every helper called is in the program's allow-list;
//! 3. **execute**: [`Vm`] interprets the program against a [`Memory`] (stack, input,
//!    `.data`, `.rodata` and helper-granted regions) and a [`Helpers`] implementation.
//!
//! The contract: after `verify` returns `Ok`, execution never panics and never touches
//! memory outside the regions it was given; every fault is a typed [`VmError`] naming
//! the instruction. Every load and store is checked against the regions, with their
//! read/write permissions. A run is bounded by an instruction budget and can be sliced
//! ([`Vm::run_slice`]) so a device can time-share long-running programs.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
// One function may opt out: the interpreter loop (`interp::Vm::run_charged`), for its op
// fetches, whose bounds `interp::decode` guarantees, and one fact about an op `decode`
// makes. Memory accesses stay safe code.
#![deny(unsafe_code)]

extern crate alloc;

pub mod asm;
pub mod disasm;
pub mod helpers;
pub mod image;
pub mod insn;
pub mod interp;
pub mod memory;
pub mod opcode;
pub mod program;
pub mod testgen;
pub mod verifier;

pub use helpers::{HelperError, HelperId, HelperSet, Helpers, NoHelpers};
pub use insn::Insn;
pub use interp::{RunStatus, Vm, VmError, VmErrorKind};
pub use memory::{Access, MemFault, Memory, Region, RegionKind};
pub use program::{Program, ProgramError};
pub use verifier::{verify, VerifyError, VerifyErrorKind};

/// Bytes of stack per call frame (RFC 9669 / Linux convention).
pub const STACK_FRAME_SIZE: usize = 512;
/// Deepest chain of bpf-to-bpf calls, counting the entry frame.
pub const MAX_CALL_DEPTH: usize = 8;
/// Largest program accepted, in instruction slots.
pub const MAX_INSNS: usize = 65_536;
/// The most `.data` + `.bss` an ELF image may declare: `.bss` costs no image bytes, so
/// the loader checks its declared size before allocating.
pub const MAX_DATA: usize = 64 * 1024;
