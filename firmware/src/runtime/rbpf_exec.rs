//! The `rbpf` crate's interpreter as a peer engine (feature `bench`): the same
//! verified image, run by another VM in the same firmware and measured the same way,
//! so comparisons need no numbers from papers.
use crate::markers::{measure, Phase};
use alloc::format;

use proto::{Costs, Failure, FailureKind};
use vm::image::Image;
use vm::opcode::{LDDW, LDDWD, LDDWR};

use device::Buffers;

/// rbpf's no_std errors offer only `Debug`.
fn failure(e: impl core::fmt::Debug) -> Failure {
    Failure { kind: FailureKind::Other, pc: None, message: format!("rbpf: {e:?}") }
}

/// rbpf knows plain LDDW only: rewrites LDDWD/LDDWR (this run's `.data` copy and the
/// image's `.rodata`) to LDDW of absolute addresses.
fn absolute_bytecode(image: &Image, data_base: u64, rodata_base: u64) -> alloc::vec::Vec<u8> {
    let mut bytes = image.program.to_bytes();
    for i in (0..bytes.len() / 8).rev() {
        let at = i * 8;
        let base = match bytes[at] {
            LDDWD => data_base,
            LDDWR => rodata_base,
            _ => continue,
        };
        let offset = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as u64;
        let addr = base.wrapping_add(offset);
        bytes[at] = LDDW;
        bytes[at + 1] &= 0x0f; // no pseudo source
        bytes[at + 4..at + 8].copy_from_slice(&(addr as u32).to_le_bytes());
        if let Some(next) = bytes.get_mut(at + 12..at + 16) {
            next.copy_from_slice(&((addr >> 32) as u32).to_le_bytes());
        }
    }
    bytes
}

/// Runs `image` once on rbpf, offering the helpers the benchmark kernels use.
pub fn execute(image: &Image, buffers: &mut Buffers, costs: &mut Costs) -> Result<u64, Failure> {
    let data_range = buffers.data.as_ptr() as u64..(buffers.data.as_ptr() as u64 + buffers.data.len() as u64);
    let rodata_range = image.rodata.as_ptr() as u64..(image.rodata.as_ptr() as u64 + image.rodata.len() as u64);
    let bytes = absolute_bytecode(image, data_range.start, rodata_range.start);
    costs.code_size = bytes.len() as u32;
    let mut engine = rbpf::EbpfVmRaw::new(Some(&bytes)).map_err(failure)?;
    for (id, f) in [
        (0x10, crate::native::rbpf_helpers::store_local as rbpf::ebpf::Helper),
        (0x12, crate::native::rbpf_helpers::fetch_local),
        (0x50, crate::native::rbpf_helpers::fmt_s16_dfp),
        (0x51, crate::native::rbpf_helpers::fmt_u32_dec),
    ] {
        engine.register_helper(id, f).map_err(failure)?;
    }
    engine.register_allowed_memory(data_range);
    engine.register_allowed_memory(rodata_range);
    let (result, cost) = measure(Phase::Exec, || engine.execute_program(&mut buffers.input));
    cost.record(Phase::Exec, costs);
    result.map_err(failure)
}
