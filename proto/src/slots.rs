//! Program slots: pulling signed images, listing, executing and erasing.
use alloc::string::String;
use alloc::vec::Vec;
use minicbor::{Decode, Encode};

use crate::exec::Engine;

/// `POST /pull`: fetch the SUIT envelope at `manifest_uri`, check it, fetch the image
/// it names, check that, and only then replace the slot it names.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct PullRequest {
    /// `coap://host:port/path` of the signed envelope.
    #[n(0)]
    pub manifest_uri: String,
}

/// The answer to a successful pull.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct PullResponse {
    #[n(0)]
    pub slot: u8,
    #[n(1)]
    pub sequence: u64,
    #[n(2)]
    pub image_size: u32,
    /// Core-clock counts the pull took on the device (fetch, checks, store).
    #[n(3)]
    pub counts: u64,
    /// Guest instructions per count (see `Costs::insns_per_count`).
    #[n(4)]
    pub insns_per_count: u32,
}

/// One slot, as `GET /slots` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct SlotInfo {
    #[n(0)]
    pub slot: u8,
    /// Whether an image is installed.
    #[n(1)]
    pub loaded: bool,
    #[n(2)]
    pub layout: u8,
    #[n(3)]
    pub image_size: u32,
    /// The highest sequence number accepted for this slot (kept across erase).
    #[n(4)]
    pub sequence: u64,
    #[n(5)]
    #[cbor(with = "minicbor::bytes")]
    pub image_sha256: Vec<u8>,
    /// The helpers its signed manifest grants.
    #[n(6)]
    pub helpers: vm::HelperSet,
}

/// `POST /exec`: run the program in a slot once.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct ExecRequest {
    #[n(0)]
    pub slot: u8,
    #[n(1)]
    pub engine: Engine,
    #[n(2)]
    #[cbor(with = "minicbor::bytes")]
    pub input: Vec<u8>,
    /// Instruction budget (0: the device's default).
    #[n(3)]
    pub budget: u64,
    /// Helper allow-list for this run. It can only narrow what the slot's signed
    /// manifest grants; absent, the manifest's list applies.
    #[n(4)]
    pub helpers: Option<vm::HelperSet>,
}

/// `POST /erase`: empty a slot.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct EraseRequest {
    #[n(0)]
    pub slot: u8,
}

/// `POST /start`: run a slot's program in the background, in slices, so the device
/// keeps answering while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct StartRequest {
    #[n(0)]
    pub slot: u8,
    #[n(1)]
    #[cbor(with = "minicbor::bytes")]
    pub input: Vec<u8>,
    /// Total instruction budget; 0 runs until the program exits or is stopped.
    #[n(2)]
    pub budget: u64,
}

/// `POST /stop`: stop a slot's background program.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct StopRequest {
    #[n(0)]
    pub slot: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[cbor(index_only)]
pub enum RunState {
    #[n(0)]
    Running,
    #[n(1)]
    Exited,
    #[n(2)]
    Failed,
    #[n(3)]
    Stopped,
}

/// One background program, as `GET /running` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RunningInfo {
    #[n(0)]
    pub slot: u8,
    #[n(1)]
    pub state: RunState,
    /// eBPF instructions executed so far.
    #[n(2)]
    pub executed: u64,
    #[n(3)]
    pub result: Option<u64>,
    #[n(4)]
    pub failure: Option<crate::exec::Failure>,
}

/// `POST /sensor`: set an emulated sensor's reading (deterministic test input).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct SensorRequest {
    /// Sensor index in the registry: 0 temperature, 1 humidity.
    #[n(0)]
    pub index: u8,
    /// The reading in the sensor's unit and scale (centi-degrees Celsius, centi-percent).
    #[n(1)]
    pub value: i16,
}
