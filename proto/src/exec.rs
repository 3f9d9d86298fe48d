//! Running programs: requests, results, typed failures and measured costs.
use alloc::string::String;
use alloc::vec::Vec;
use minicbor::{Decode, Encode};

/// Which engine runs a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
#[cbor(index_only)]
pub enum Engine {
    #[n(0)]
    Interp,
    #[n(1)]
    Jit,
    /// The `rbpf` crate's interpreter (benchmark firmware only): a peer VM run on
    /// the same programs for comparison.
    #[n(2)]
    Rbpf,
}

impl Engine {
    pub const ALL: [Engine; 3] = [Engine::Interp, Engine::Jit, Engine::Rbpf];

    /// The engine's name in commands, scenarios and reports.
    pub const fn name(self) -> &'static str {
        match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
            Engine::Rbpf => "rbpf",
        }
    }
}

impl core::fmt::Display for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no engine's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEngine(pub String);

impl core::fmt::Display for UnknownEngine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "unknown engine `{}` (interp, jit, rbpf)", self.0)
    }
}

impl core::str::FromStr for Engine {
    type Err = UnknownEngine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Engine::ALL.into_iter().find(|e| e.name() == s).ok_or_else(|| UnknownEngine(s.into()))
    }
}

#[cfg(feature = "clap")]
impl clap::ValueEnum for Engine {
    fn value_variants<'a>() -> &'a [Self] {
        &Engine::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self {
            Engine::Interp => "the interpreter",
            Engine::Jit => "the Thumb-2 JIT",
            Engine::Rbpf => "the rbpf crate's interpreter (testbed firmware with native benchmarks)",
        };
        Some(clap::builder::PossibleValue::new(self.name()).help(help))
    }
}

/// `POST /run` (testbed firmware only, feature `unsigned-run`): load, verify and run
/// an unsigned image sent in the request. Used by the conformance runner and
/// benchmarks; production devices run only signed images pulled into slots.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RunRequest {
    /// Image layout id (0 text, 1 femto, 2 extended, 3 elf).
    #[n(0)]
    pub layout: u8,
    #[n(1)]
    #[cbor(with = "minicbor::bytes")]
    pub image: Vec<u8>,
    /// Input memory (r1 points at it, r2 holds its length).
    #[n(2)]
    #[cbor(with = "minicbor::bytes")]
    pub input: Vec<u8>,
    /// Allowed helpers.
    #[n(3)]
    pub helpers: vm::HelperSet,
    /// Instruction budget (0: the device's default).
    #[n(4)]
    pub budget: u64,
    #[n(5)]
    pub engine: Engine,
}

/// What went wrong, in a form both sides can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[cbor(index_only)]
pub enum FailureKind {
    /// The request itself was malformed.
    #[n(0)]
    BadRequest,
    /// The image could not be loaded (layout, truncation, relocation).
    #[n(1)]
    Load,
    /// The verifier rejected the program.
    #[n(2)]
    Verify,
    /// A memory access outside the program's regions.
    #[n(3)]
    Memory,
    /// The instruction budget ran out.
    #[n(4)]
    Budget,
    /// The call depth limit was exceeded.
    #[n(5)]
    CallDepth,
    /// A helper failed or was not allowed.
    #[n(6)]
    Helper,
    /// The device ran out of memory.
    #[n(7)]
    OutOfMemory,
    /// The engine is not available in this firmware.
    #[n(8)]
    Unsupported,
    /// Any other fault.
    #[n(9)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Failure {
    #[n(0)]
    pub kind: FailureKind,
    /// The instruction index, where one is to blame.
    #[n(1)]
    pub pc: Option<u32>,
    /// Human-readable reason.
    #[n(2)]
    pub message: String,
}

/// Costs of one run, measured on the device.
///
/// `*_counts` are SysTick counts of the core clock; under QEMU `-icount shift=0`
/// one count is `insns_per_count` guest instructions (40 on mps2-an386).
#[derive(Debug, Clone, Default, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Costs {
    #[n(0)]
    pub load_counts: u64,
    #[n(1)]
    pub verify_counts: u64,
    #[n(2)]
    pub compile_counts: u64,
    #[n(3)]
    pub exec_counts: u64,
    /// eBPF instructions executed.
    #[n(4)]
    pub executed: u64,
    /// Bytes of code run: bytecode for the interpreter, machine code for the JIT.
    #[n(5)]
    pub code_size: u32,
    #[n(6)]
    pub core_clock_hz: u32,
    #[n(7)]
    pub insns_per_count: u32,
    /// Core cycles of each phase from the core's own cycle counter (DWT CYCCNT), on a
    /// chip whose counter runs; none under QEMU, which models no cycle counter.
    #[n(8)]
    pub load_cycles: Option<u64>,
    #[n(9)]
    pub verify_cycles: Option<u64>,
    #[n(10)]
    pub compile_cycles: Option<u64>,
    #[n(11)]
    pub exec_cycles: Option<u64>,
    /// Heap bytes the JIT compile held at most (its tables and code buffer), when this
    /// run compiled: what a board's heap must have free to compile the program.
    #[n(12)]
    pub compile_memory: Option<u32>,
}

/// The answer to a run: the program's r0 or a failure, and the costs so far.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RunResponse {
    #[n(0)]
    pub result: Option<u64>,
    #[n(1)]
    pub failure: Option<Failure>,
    #[n(2)]
    pub costs: Costs,
    /// The input memory after the run (`/run` only; empty elsewhere), so hosts can
    /// compare what programs wrote.
    #[n(3)]
    #[cbor(with = "minicbor::bytes")]
    pub input: Vec<u8>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn engine_names_round_trip() {
        for e in super::Engine::ALL {
            assert_eq!(e.name().parse::<super::Engine>(), Ok(e));
        }
        assert!("native".parse::<super::Engine>().is_err());
    }

    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// A helper set goes on the wire as a byte string of its ids, as lists of ids
    /// always have: `{3: h'0552'}` for a request allowing 0x05 and 0x52.
    #[test]
    fn a_helper_set_is_a_byte_string_of_ids() {
        let req = RunRequest {
            layout: 0,
            image: vec![],
            input: vec![],
            helpers: vm::HelperSet::from_ids([0x52, 0x05]),
            budget: 0,
            engine: Engine::Interp,
        };
        let bytes = crate::encode(&req);
        assert!(bytes.windows(4).any(|w| w == [0x03, 0x42, 0x05, 0x52]), "{bytes:02x?}");
        assert_eq!(crate::decode::<RunRequest>(&bytes).unwrap().helpers, req.helpers);
    }

    #[test]
    fn run_request_and_response_round_trip() {
        let req = RunRequest {
            layout: 0,
            image: vec![0x95, 0, 0, 0, 0, 0, 0, 0],
            input: vec![1, 2],
            helpers: vm::HelperSet::from_ids([5]),
            budget: 100,
            engine: Engine::Interp,
        };
        assert_eq!(crate::decode::<RunRequest>(&crate::encode(&req)).unwrap(), req);
        let resp = RunResponse {
            result: None,
            failure: Some(Failure { kind: FailureKind::Memory, pc: Some(3), message: "read at 0x0".to_string() }),
            costs: Costs { exec_counts: 12, executed: 4, ..Default::default() },
            input: vec![9, 8],
        };
        assert_eq!(crate::decode::<RunResponse>(&crate::encode(&resp)).unwrap(), resp);
    }

    #[test]
    fn cycles_go_on_the_wire_only_where_a_chip_counted_them() {
        let entries = |c: &Costs| minicbor::Decoder::new(&crate::encode(c)).map().unwrap();
        // An emulated node's costs encode as before the cycle fields existed.
        assert_eq!(entries(&Costs::default()), Some(8));
        let chip = Costs { exec_cycles: Some(12_345), compile_cycles: Some(99), ..Default::default() };
        assert_eq!(entries(&chip), Some(10));
        assert_eq!(crate::decode::<Costs>(&crate::encode(&chip)).unwrap(), chip);
        // A run that compiled says what the compile held.
        let compiled = Costs { compile_counts: 7, compile_memory: Some(37_164), ..Default::default() };
        assert_eq!(entries(&compiled), Some(9));
        assert_eq!(crate::decode::<Costs>(&crate::encode(&compiled)).unwrap(), compiled);
    }
}
