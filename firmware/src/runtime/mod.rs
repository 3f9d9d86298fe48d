//! The program runtime: device helpers, and loading, verifying and running images
//! with their costs measured. No unsafe code: everything goes through `vm`.
pub mod background;
pub mod devices;
pub mod helpers;
pub mod interp_exec;
pub mod jit_exec;
#[cfg(feature = "bench")]
pub mod rbpf_exec;
pub mod slots;
