//! `GET /info`: what the device is and what it can do.

use alloc::string::String;
use alloc::vec::Vec;
use minicbor::{Decode, Encode};

/// The answer to `GET /info`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Info {
    /// Board name, e.g. `mps2-an386`.
    #[n(0)]
    pub board: String,
    /// Firmware build id (git revision of the build, `-dirty` when the tree had changes).
    #[n(1)]
    pub build_id: String,
    /// Features compiled into this firmware, e.g. `interp`, `jit`, `ipv6`.
    #[n(2)]
    pub features: Vec<String>,
    /// Number of program storage slots.
    #[n(3)]
    pub slots: u8,
    /// Firmware version (the crate version).
    #[n(4)]
    pub version: String,
    /// The node's addresses with prefix lengths (IPv4, IPv6 global, IPv6 link-local),
    /// or its link (`slipmux`).
    #[n(5)]
    pub addresses: Vec<String>,
    /// The device's RAM as it stands (absent from firmware older than this field).
    #[n(6)]
    pub memory: Option<Memory>,
    /// Boots since the state kept across resets was last started afresh (at power-on,
    /// or after a firmware change of its layout); absent if the board keeps none.
    #[n(7)]
    pub boot_count: Option<u32>,
}

/// A device's RAM: its heap and its stack, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Memory {
    #[n(0)]
    pub heap_size: u32,
    #[n(1)]
    pub heap_free: u32,
    #[n(2)]
    pub stack_size: u32,
    /// The deepest the stack has been since reset.
    #[n(3)]
    pub stack_peak: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn info_round_trips_through_cbor() {
        let info = Info {
            board: "mps2-an386".to_string(),
            build_id: "abc123".to_string(),
            features: vec!["interp".to_string(), "ipv6".to_string()],
            slots: 4,
            version: "0.1.0".to_string(),
            addresses: vec!["10.0.2.15/24".to_string()],
            memory: Some(Memory { heap_size: 65536, heap_free: 60000, stack_size: 26000, stack_peak: 9000 }),
            boot_count: Some(3),
        };
        let bytes = crate::encode(&info);
        // A map of eight entries starts with 0xa8.
        assert_eq!(bytes[0], 0xa8);
        let back: Info = crate::decode(&bytes).unwrap();
        assert_eq!(back, info);
    }

    #[test]
    fn truncated_info_is_an_error_not_a_panic() {
        let info = Info {
            board: "b".to_string(),
            build_id: "x".to_string(),
            features: vec![],
            slots: 1,
            version: "v".to_string(),
            addresses: vec![],
            memory: None,
            boot_count: None,
        };
        let bytes = crate::encode(&info);
        for cut in 0..bytes.len() {
            assert!(crate::decode::<Info>(&bytes[..cut]).is_err());
        }
    }
}
