//! Layout 0: the `.text` section only. It carries code and already-resolved
//! bpf-to-bpf calls, nothing else: programs that use `.data` or `.rodata` are
//! rejected when packed, since their addresses could not be resolved on the device.
use alloc::vec::Vec;

use super::{Image, ImageError};
use crate::program::Program;

pub fn parse(bytes: &[u8]) -> Result<Image, ImageError> {
    Ok(Image {
        program: Program::from_bytes(bytes)?,
        data: Vec::new(),
        rodata: Vec::new(),
        helpers: None,
        functions: Vec::new(),
        jit_hints: Vec::new(),
    })
}

pub fn emit(image: &Image) -> Result<Vec<u8>, ImageError> {
    if image.uses_data() || !image.data.is_empty() || !image.rodata.is_empty() {
        return Err(ImageError::LayoutCannotCarry { layout: "text", what: ".data or .rodata" });
    }
    Ok(image.program.to_bytes())
}
