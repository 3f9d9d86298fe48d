//! Helper calls: ids, names, allow-lists and the interface an environment implements.
//!
//! Ids follow the Femto-Containers / µBPF numbering so their programs run unchanged.
//! Every helper has the same signature: five `u64` arguments, one `u64` result, plus
//! access to the program's [`Memory`] so that it checks every pointer it is given.
use crate::memory::{MemFault, Memory};

/// A helper id (the `imm` of `call imm`).
pub type HelperId = u32;

/// The helper ids, by name: the firmware matches on these, programs call them
/// through `programs/include/mbpf_helpers.h` (a test checks that the two agree).
pub mod id {
    use super::HelperId;

    pub const PRINTF: HelperId = 0x01;
    pub const MEMCPY: HelperId = 0x02;
    pub const PRINT_DEBUG: HelperId = 0x03;
    pub const UNWIND: HelperId = 0x05;
    pub const STORE_LOCAL: HelperId = 0x10;
    pub const STORE_GLOBAL: HelperId = 0x11;
    pub const FETCH_LOCAL: HelperId = 0x12;
    pub const FETCH_GLOBAL: HelperId = 0x13;
    pub const NOW_MS: HelperId = 0x20;
    pub const SAUL_REG_FIND_NTH: HelperId = 0x30;
    pub const SAUL_REG_FIND_TYPE: HelperId = 0x31;
    pub const SAUL_REG_READ: HelperId = 0x32;
    pub const SAUL_REG_WRITE: HelperId = 0x33;
    pub const SAUL_READ_TEMP: HelperId = 0x34;
    pub const GCOAP_RESP_INIT: HelperId = 0x40;
    pub const COAP_OPT_FINISH: HelperId = 0x41;
    pub const COAP_ADD_FORMAT: HelperId = 0x42;
    pub const COAP_GET_PDU: HelperId = 0x43;
    pub const FMT_S16_DFP: HelperId = 0x50;
    pub const FMT_U32_DEC: HelperId = 0x51;
    pub const STRLEN: HelperId = 0x52;
    pub const ZTIMER_NOW_US: HelperId = 0x60;
    pub const ZTIMER_PERIODIC_WAKEUP: HelperId = 0x61;
    pub const GPIO_READ_INPUT: HelperId = 0x70;
    pub const GPIO_READ_RAW: HelperId = 0x71;
    pub const GPIO_WRITE: HelperId = 0x72;
}

/// A helper the VM knows: its id, its name (as in `mbpf_helpers.h`) and how many of
/// r1-r5 it reads (its C prototype's parameters; 5 for `printf`'s `...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperInfo {
    pub id: HelperId,
    pub name: &'static str,
    pub args: u8,
}

const fn helper(id: HelperId, name: &'static str, args: u8) -> HelperInfo {
    HelperInfo { id, name, args }
}

/// The helpers known to this VM.
pub const HELPERS: &[HelperInfo] = &[
    helper(id::PRINTF, "printf", 5),
    helper(id::MEMCPY, "memcpy", 3),
    helper(id::PRINT_DEBUG, "print_debug", 1),
    helper(id::UNWIND, "unwind", 1),
    helper(id::STORE_LOCAL, "store_local", 2),
    helper(id::STORE_GLOBAL, "store_global", 2),
    helper(id::FETCH_LOCAL, "fetch_local", 2),
    helper(id::FETCH_GLOBAL, "fetch_global", 2),
    helper(id::NOW_MS, "now_ms", 0),
    helper(id::SAUL_REG_FIND_NTH, "saul_reg_find_nth", 1),
    helper(id::SAUL_REG_FIND_TYPE, "saul_reg_find_type", 1),
    helper(id::SAUL_REG_READ, "saul_reg_read", 2),
    helper(id::SAUL_REG_WRITE, "saul_reg_write", 2),
    helper(id::SAUL_READ_TEMP, "saul_read_temp", 2),
    helper(id::GCOAP_RESP_INIT, "gcoap_resp_init", 2),
    helper(id::COAP_OPT_FINISH, "coap_opt_finish", 2),
    helper(id::COAP_ADD_FORMAT, "coap_add_format", 2),
    helper(id::COAP_GET_PDU, "coap_get_pdu", 1),
    helper(id::FMT_S16_DFP, "fmt_s16_dfp", 3),
    helper(id::FMT_U32_DEC, "fmt_u32_dec", 2),
    helper(id::STRLEN, "strlen", 1),
    helper(id::ZTIMER_NOW_US, "ztimer_now_us", 0),
    helper(id::ZTIMER_PERIODIC_WAKEUP, "ztimer_periodic_wakeup", 2),
    helper(id::GPIO_READ_INPUT, "gpio_read_input", 2),
    helper(id::GPIO_READ_RAW, "gpio_read_raw", 2),
    helper(id::GPIO_WRITE, "gpio_write", 3),
];

/// The name of a known helper id.
pub fn helper_name(id: HelperId) -> Option<&'static str> {
    HELPERS.iter().find(|h| h.id == id).map(|h| h.name)
}

/// The id of a helper by name.
pub fn helper_id(name: &str) -> Option<HelperId> {
    HELPERS.iter().find(|h| h.name == name).map(|h| h.id)
}

/// How many of r1-r5 a call of helper `id` may read: its [`HelperInfo::args`], or all
/// five for an id this VM does not know. An engine need only pass those (the JIT stores
/// no others for the call); an environment's helper must read no more.
pub const fn helper_args(id: HelperId) -> u8 {
    if (id as usize) < HELPER_ARGS.len() {
        HELPER_ARGS[id as usize]
    } else {
        5
    }
}

/// [`helper_args`] by id, below the largest known id (a lookup, not a search: the JIT
/// asks at every call).
const HELPER_ARGS: [u8; 128] = {
    let mut t = [5; 128];
    let mut k = 0;
    while k < HELPERS.len() {
        t[HELPERS[k].id as usize] = HELPERS[k].args;
        k += 1;
    }
    t
};

/// A set of helper ids in 0..256: a program's allow-list. (32-bit words: every
/// helper call asks [`HelperSet::contains`], and a 64-bit shift is several
/// instructions on the device.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HelperSet([u32; 8]);

impl HelperSet {
    pub const fn empty() -> Self {
        Self([0; 8])
    }

    /// Every id in 0..256 (for tools that do not restrict helpers).
    pub const fn all() -> Self {
        Self([u32::MAX; 8])
    }

    pub fn from_ids(ids: impl IntoIterator<Item = HelperId>) -> Self {
        let mut s = Self::empty();
        for id in ids {
            s.insert(id);
        }
        s
    }

    /// Adds an id; ids of 256 and above cannot be allowed and are ignored.
    pub fn insert(&mut self, id: HelperId) {
        if id < 256 {
            self.0[(id / 32) as usize] |= 1 << (id % 32);
        }
    }

    /// The ids in both sets (e.g. a request's list narrowing a manifest's).
    pub fn intersection(self, other: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i] & other.0[i]))
    }

    pub fn contains(&self, id: HelperId) -> bool {
        id < 256 && self.0[(id / 32) as usize] & (1 << (id % 32)) != 0
    }

    /// The set as 256 bits, id `n` at bit `n % 8` of byte `n / 8`: a fixed-size form
    /// for storage.
    pub fn to_bitmap(&self) -> [u8; 32] {
        core::array::from_fn(|i| (self.0[i / 4] >> (8 * (i % 4))) as u8)
    }

    pub fn from_bitmap(bits: [u8; 32]) -> Self {
        Self(core::array::from_fn(|w| (0..4).fold(0u32, |acc, b| acc | (bits[w * 4 + b] as u32) << (8 * b))))
    }

    /// The set the device API carries: one byte per id (ids are below 256).
    pub fn from_id_bytes(ids: &[u8]) -> Self {
        Self::from_ids(ids.iter().map(|&h| h as HelperId))
    }

    /// The ids as the device API carries them, in ascending order.
    pub fn to_id_bytes(&self) -> alloc::vec::Vec<u8> {
        self.iter().map(|h| h as u8).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = HelperId> + '_ {
        (0..256).filter(|&id| self.contains(id))
    }
}

/// On the wire, a helper set is a CBOR byte string of its ids, one byte each, in
/// ascending order.
#[cfg(feature = "cbor")]
impl<C> minicbor::Encode<C> for HelperSet {
    fn encode<W: minicbor::encode::Write>(
        &self,
        e: &mut minicbor::Encoder<W>,
        _: &mut C,
    ) -> Result<(), minicbor::encode::Error<W::Error>> {
        let mut ids = [0u8; 256];
        let mut n = 0;
        for id in self.iter() {
            ids[n] = id as u8;
            n += 1;
        }
        e.bytes(&ids[..n])?;
        Ok(())
    }
}

#[cfg(feature = "cbor")]
impl<'b, C> minicbor::Decode<'b, C> for HelperSet {
    fn decode(d: &mut minicbor::Decoder<'b>, _: &mut C) -> Result<Self, minicbor::decode::Error> {
        Ok(Self::from_id_bytes(d.bytes()?))
    }
}

/// Why a helper did not return a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelperError {
    /// The helper ends the program normally, with this value in r0 (e.g. `unwind`).
    #[error("program exit requested by helper with value {0:#x}")]
    Exit(u64),
    /// A pointer argument is outside the program's memory.
    #[error("helper argument: {0}")]
    Memory(#[from] MemFault),
    /// Any other bad argument; the text says which.
    #[error("helper argument: {0}")]
    BadArgument(&'static str),
    /// The environment has no implementation of this id.
    #[error("helper {0:#x} is not implemented here")]
    Unknown(HelperId),
    /// The environment ran out of a resource (storage, heap).
    #[error("helper ran out of resources: {0}")]
    Exhausted(&'static str),
}

/// The environment that implements helpers: the device firmware, or a host test bed.
pub trait Helpers {
    fn call(&mut self, id: HelperId, args: &[u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError>;
}

/// An environment without helpers: every call is [`HelperError::Unknown`].
pub struct NoHelpers;

impl Helpers for NoHelpers {
    fn call(&mut self, id: HelperId, _: &[u64; 5], _: &mut Memory<'_>) -> Result<u64, HelperError> {
        Err(HelperError::Unknown(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_set_round_trips_through_its_bitmap() {
        let set = HelperSet::from_ids([0, 2, 0x10, 0x43, 0x72, 255]);
        let bits = set.to_bitmap();
        assert_eq!(bits[0], 0b101);
        assert_eq!(bits[31], 0x80);
        assert_eq!(HelperSet::from_bitmap(bits), set);
        assert_eq!(HelperSet::from_bitmap([0; 32]), HelperSet::empty());
    }

    #[test]
    fn helper_set_holds_exactly_what_was_inserted() {
        let s = HelperSet::from_ids([0x01, 0x40, 0x72, 255, 256, 1000]);
        assert!(s.contains(0x01) && s.contains(0x40) && s.contains(0x72) && s.contains(255));
        assert!(!s.contains(0x02) && !s.contains(256) && !s.contains(1000));
        assert_eq!(s.iter().count(), 4);
        let both = s.intersection(HelperSet::from_ids([0x40, 0x41, 255]));
        assert_eq!(both.iter().collect::<alloc::vec::Vec<_>>(), [0x40, 255]);
    }

    #[test]
    fn names_and_ids_agree() {
        for h in HELPERS {
            assert_eq!(helper_id(h.name), Some(h.id));
            assert_eq!(helper_name(h.id), Some(h.name));
            assert_eq!(helper_args(h.id), h.args);
        }
        assert_eq!(helper_args(0x7f), 5, "an unknown id may read every argument");
        assert_eq!(helper_args(0x1000), 5);
    }
}
