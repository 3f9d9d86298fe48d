//! The program runtime: device helpers, and loading, verifying and running images
//! with their costs measured, and the state kept across resets. The `unsafe` parts
//! are `jit_exec`, which calls compiled code, and `persist`, which takes the RAM the
//! linker script sets aside; the interpreter and rbpf runners go through safe APIs.
pub mod background;
pub mod devices;
pub mod helpers;
pub mod interp_exec;
#[cfg(feature = "jit")]
pub mod jit_exec;
#[cfg(not(feature = "jit"))]
pub mod jit_exec {
    //! A build without the JIT (`interp` variant): it has no compiled code to run,
    //! and refuses every compile with `Unsupported`, so a JIT request is answered
    //! with that failure and nothing else changes.
    use proto::{Costs, Failure};
    use vm::image::Image;
    use vm::{HelperSet, Memory};

    use super::helpers::DeviceHelpers;

    /// Compiled code, of which this build has none.
    pub enum Code {}

    pub fn compile(_image: &Image, _costs: &mut Costs) -> Result<Code, Failure> {
        Err(device::run::unsupported("this firmware has no JIT (built without feature `jit`): use the interpreter"))
    }

    /// The JIT build's signature, so callers are the same in both builds; there is no
    /// `Code` to call it with.
    pub fn execute(
        _image: &Image,
        code: &Code,
        _memory: Memory<'_>,
        _allowed: HelperSet,
        _budget: u64,
        _helpers: &mut DeviceHelpers,
        _costs: &mut Costs,
    ) -> Result<u64, Failure> {
        match *code {}
    }
}
pub mod persist;
#[cfg(feature = "bench")]
pub mod rbpf_exec;
