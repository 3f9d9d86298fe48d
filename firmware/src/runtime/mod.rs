//! The program runtime: device helpers, and loading, verifying and running images
//! with their costs measured, and the state kept across resets. The `unsafe` parts
//! are `jit_exec`, which calls compiled code, and `persist`, which takes the RAM the
//! linker script sets aside; the interpreter and rbpf runners go through safe APIs.
pub mod background;
pub mod devices;
pub mod helpers;
pub mod interp_exec;
pub mod jit_exec;
pub mod persist;
#[cfg(feature = "bench")]
pub mod rbpf_exec;
