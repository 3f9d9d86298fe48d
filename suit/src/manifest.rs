//! The SUIT manifest: version, sequence number, components and command sequences.
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use minicbor::data::Type;
use minicbor::Decoder;

use crate::SuitError;

// Manifest keys.
pub const MANIFEST_VERSION: i64 = 1;
pub const SEQUENCE_NUMBER: i64 = 2;
pub const COMMON: i64 = 3;
pub const VALIDATE: i64 = 7;
pub const LOAD: i64 = 8;
pub const INVOKE: i64 = 9;
pub const PAYLOAD_FETCH: i64 = 16;
pub const INSTALL: i64 = 17;
// Common keys.
pub const COMPONENTS: i64 = 2;
pub const SHARED_SEQUENCE: i64 = 4;
// Commands.
pub const CONDITION_VENDOR_ID: i64 = 1;
pub const CONDITION_CLASS_ID: i64 = 2;
pub const CONDITION_IMAGE_MATCH: i64 = 3;
pub const DIRECTIVE_SET_COMPONENT_INDEX: i64 = 12;
pub const DIRECTIVE_TRY_EACH: i64 = 15;
pub const DIRECTIVE_OVERRIDE_PARAMETERS: i64 = 20;
pub const DIRECTIVE_FETCH: i64 = 21;
pub const DIRECTIVE_RUN_SEQUENCE: i64 = 32;
// Parameters.
pub const PARAM_VENDOR_ID: i64 = 1;
pub const PARAM_CLASS_ID: i64 = 2;
pub const PARAM_IMAGE_DIGEST: i64 = 3;
pub const PARAM_IMAGE_SIZE: i64 = 14;
pub const PARAM_URI: i64 = 21;

/// Nested command sequences deeper than this are rejected (bounded recursion).
const MAX_DEPTH: usize = 4;

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Bytes(Vec<u8>),
    Uint(u64),
    Int(i64),
    Text(String),
    Bool(bool),
    /// Any other CBOR value (kept undecoded).
    Other,
}

/// A command's argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `directive-override-parameters` (and set-parameters).
    Params(Vec<(i64, Param)>),
    /// `directive-try-each` and `run-sequence`: command sequences.
    Sequences(Vec<Vec<Command>>),
    /// A reporting policy or an index.
    Uint(u64),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub id: i64,
    pub arg: Arg,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    pub version: u64,
    pub sequence: u64,
    /// Component identifiers: each a list of byte strings.
    pub components: Vec<Vec<Vec<u8>>>,
    pub shared: Vec<Command>,
    /// The other command sequences present, by manifest key (validate, install, ...).
    pub sequences: Vec<(i64, Vec<Command>)>,
}

impl Manifest {
    pub fn decode(bytes: &[u8]) -> Result<Self, SuitError> {
        let mut d = Decoder::new(bytes);
        let n = d.map()?.ok_or(SuitError::Cbor("indefinite manifest map"))?;
        let mut m = Manifest::default();
        let mut have = (false, false, false);
        for _ in 0..n {
            match d.i64()? {
                MANIFEST_VERSION => (m.version, have.0) = (d.u64()?, true),
                SEQUENCE_NUMBER => (m.sequence, have.1) = (d.u64()?, true),
                COMMON => {
                    decode_common(d.bytes()?, &mut m)?;
                    have.2 = true;
                }
                key @ (VALIDATE | LOAD | INVOKE | PAYLOAD_FETCH | INSTALL) => match d.datatype()? {
                    Type::Bytes => m.sequences.push((key, decode_sequence(d.bytes()?, 0)?)),
                    // A severed member: only its digest is here.
                    _ => d.skip()?,
                },
                _ => d.skip()?,
            }
        }
        if !(have.0 && have.1 && have.2) {
            return Err(SuitError::Manifest("version, sequence number and common are required"));
        }
        if m.version != 1 {
            return Err(SuitError::Manifest("unsupported manifest version"));
        }
        Ok(m)
    }

    /// A command sequence by manifest key.
    pub fn sequence(&self, key: i64) -> Option<&[Command]> {
        self.sequences.iter().find(|(k, _)| *k == key).map(|(_, s)| s.as_slice())
    }
}

fn decode_common(bytes: &[u8], m: &mut Manifest) -> Result<(), SuitError> {
    let mut d = Decoder::new(bytes);
    let n = d.map()?.ok_or(SuitError::Cbor("indefinite common map"))?;
    for _ in 0..n {
        match d.i64()? {
            COMPONENTS => {
                let count = d.array()?.ok_or(SuitError::Cbor("indefinite components"))?;
                for _ in 0..count {
                    let parts = d.array()?.ok_or(SuitError::Cbor("indefinite component id"))?;
                    let mut id = Vec::new();
                    for _ in 0..parts {
                        id.push(d.bytes()?.to_vec());
                    }
                    m.components.push(id);
                }
            }
            SHARED_SEQUENCE => m.shared = decode_sequence(d.bytes()?, 0)?,
            _ => d.skip()?,
        }
    }
    Ok(())
}

fn decode_sequence(bytes: &[u8], depth: usize) -> Result<Vec<Command>, SuitError> {
    if depth > MAX_DEPTH {
        return Err(SuitError::Manifest("command sequences nested too deep"));
    }
    let mut d = Decoder::new(bytes);
    let n = d.array()?.ok_or(SuitError::Cbor("indefinite command sequence"))?;
    if n % 2 != 0 {
        return Err(SuitError::Manifest("command sequence has an odd length"));
    }
    let mut out = Vec::new();
    for _ in 0..n / 2 {
        let id = d.i64()?;
        let arg = match (id, d.datatype()?) {
            (DIRECTIVE_OVERRIDE_PARAMETERS | 19, Type::Map) => Arg::Params(decode_params(&mut d)?),
            (DIRECTIVE_TRY_EACH, Type::Array) => {
                let k = d.array()?.ok_or(SuitError::Cbor("indefinite try-each"))?;
                let mut seqs = Vec::new();
                for _ in 0..k {
                    match d.datatype()? {
                        Type::Bytes => seqs.push(decode_sequence(d.bytes()?, depth + 1)?),
                        _ => d.skip()?,
                    }
                }
                Arg::Sequences(seqs)
            }
            (DIRECTIVE_RUN_SEQUENCE, Type::Bytes) => {
                Arg::Sequences(alloc::vec![decode_sequence(d.bytes()?, depth + 1)?])
            }
            (_, Type::U8 | Type::U16 | Type::U32 | Type::U64) => Arg::Uint(d.u64()?),
            _ => {
                d.skip()?;
                Arg::Other
            }
        };
        out.push(Command { id, arg });
    }
    Ok(out)
}

fn decode_params(d: &mut Decoder) -> Result<Vec<(i64, Param)>, SuitError> {
    let n = d.map()?.ok_or(SuitError::Cbor("indefinite parameter map"))?;
    let mut out = Vec::new();
    for _ in 0..n {
        let key = d.i64()?;
        let value = match d.datatype()? {
            Type::Bytes => Param::Bytes(d.bytes()?.to_vec()),
            Type::U8 | Type::U16 | Type::U32 | Type::U64 => Param::Uint(d.u64()?),
            Type::I8 | Type::I16 | Type::I32 | Type::I64 => Param::Int(d.i64()?),
            Type::String => Param::Text(d.str()?.to_string()),
            Type::Bool => Param::Bool(d.bool()?),
            _ => {
                d.skip()?;
                Param::Other
            }
        };
        out.push((key, value));
    }
    Ok(out)
}

/// Walks a command sequence (and nested ones) in order, calling `f` on each command.
pub fn walk<'a>(commands: &'a [Command], f: &mut dyn FnMut(&'a Command)) {
    for c in commands {
        f(c);
        if let Arg::Sequences(seqs) = &c.arg {
            for s in seqs {
                walk(s, f);
            }
        }
    }
}
