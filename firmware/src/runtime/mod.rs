//! The program runtime: device helpers, and loading, verifying and running images
//! with their costs measured. The one `unsafe` part is `jit_exec`, which calls
//! compiled code; the interpreter and rbpf runners go through safe APIs.
pub mod background;
pub mod devices;
pub mod helpers;
pub mod interp_exec;
pub mod jit_exec;
#[cfg(feature = "bench")]
pub mod rbpf_exec;
pub mod slots;
