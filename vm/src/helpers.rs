//! Helper calls: ids, names, allow-lists and the interface an environment implements.
//!
//! Ids follow the Femto-Containers / µBPF numbering so their programs run unchanged.
//! Every helper has the same signature: five `u64` arguments, one `u64` result, plus
//! access to the program's [`Memory`] so that it checks every pointer it is given.
use crate::memory::{MemFault, Memory};

/// A helper id (the `imm` of `call imm`).
pub type HelperId = u32;

/// The helper ids known to this VM, with their names (as in `helpers.h`).
#[rustfmt::skip]
pub const HELPERS: &[(HelperId, &str)] = &[
    (0x01, "printf"),
    (0x02, "memcpy"),
    (0x03, "print_debug"),
    (0x05, "unwind"),
    (0x10, "store_local"),
    (0x11, "store_global"),
    (0x12, "fetch_local"),
    (0x13, "fetch_global"),
    (0x20, "now_ms"),
    (0x30, "saul_reg_find_nth"),
    (0x31, "saul_reg_find_type"),
    (0x32, "saul_reg_read"),
    (0x33, "saul_reg_write"),
    (0x34, "saul_read_temp"),
    (0x40, "gcoap_resp_init"),
    (0x41, "coap_opt_finish"),
    (0x42, "coap_add_format"),
    (0x43, "coap_get_pdu"),
    (0x50, "fmt_s16_dfp"),
    (0x51, "fmt_u32_dec"),
    (0x52, "strlen"),
    (0x60, "ztimer_now_us"),
    (0x61, "ztimer_periodic_wakeup"),
    (0x70, "gpio_read_input"),
    (0x71, "gpio_read_raw"),
    (0x72, "gpio_write"),
];

/// The name of a known helper id.
pub fn helper_name(id: HelperId) -> Option<&'static str> {
    HELPERS.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// The id of a helper by name.
pub fn helper_id(name: &str) -> Option<HelperId> {
    HELPERS.iter().find(|(_, n)| *n == name).map(|(i, _)| *i)
}

/// A set of helper ids in 0..256: a program's allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HelperSet([u64; 4]);

impl HelperSet {
    pub const fn empty() -> Self {
        Self([0; 4])
    }

    /// Every id in 0..256 (for tools that do not restrict helpers).
    pub const fn all() -> Self {
        Self([u64::MAX; 4])
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
            self.0[(id / 64) as usize] |= 1 << (id % 64);
        }
    }

    /// The ids in both sets (e.g. a request's list narrowing a manifest's).
    pub fn intersection(self, other: Self) -> Self {
        Self(core::array::from_fn(|i| self.0[i] & other.0[i]))
    }

    pub fn contains(&self, id: HelperId) -> bool {
        id < 256 && self.0[(id / 64) as usize] & (1 << (id % 64)) != 0
    }

    pub fn iter(&self) -> impl Iterator<Item = HelperId> + '_ {
        (0..256).filter(|&id| self.contains(id))
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
    fn call(&mut self, id: HelperId, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, HelperError>;
}

/// An environment without helpers: every call is [`HelperError::Unknown`].
pub struct NoHelpers;

impl Helpers for NoHelpers {
    fn call(&mut self, id: HelperId, _: [u64; 5], _: &mut Memory<'_>) -> Result<u64, HelperError> {
        Err(HelperError::Unknown(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for &(id, name) in HELPERS {
            assert_eq!(helper_id(name), Some(id));
            assert_eq!(helper_name(id), Some(name));
        }
    }
}
