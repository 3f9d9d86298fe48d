//! The CoAP Block2 option value (RFC 7959 §2.2): `NUM << 4 | M << 3 | SZX`, as a
//! minimal-length big-endian unsigned integer of at most 3 bytes.

/// Block size exponent for 1024-byte blocks (2^(4+6)).
pub const SZX_1024: u8 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub num: u32,
    pub more: bool,
    /// Size exponent: the block is 2^(szx+4) bytes; 0..=6.
    pub szx: u8,
}

impl Block {
    pub fn size(&self) -> usize {
        1 << (self.szx as usize + 4)
    }

    /// Encodes the option value (empty for zero, as CoAP uints are).
    pub fn encode(&self) -> heapless_bytes::Bytes3 {
        let v = (self.num << 4) | ((self.more as u32) << 3) | (self.szx as u32 & 7);
        heapless_bytes::Bytes3::from_uint(v)
    }

    /// Decodes an option value; `None` when it is longer than 3 bytes or SZX is 7.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > 3 {
            return None;
        }
        let v = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | b as u32);
        let szx = (v & 7) as u8;
        (szx != 7).then_some(Self { num: v >> 4, more: v & 8 != 0, szx })
    }
}

/// A tiny fixed buffer, so encoding needs no allocation.
pub mod heapless_bytes {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Bytes3 {
        buf: [u8; 3],
        len: u8,
    }

    impl Bytes3 {
        pub fn from_uint(v: u32) -> Self {
            let be = v.to_be_bytes();
            let skip = be.iter().take_while(|&&b| b == 0).count().max(1);
            let bytes = &be[skip..];
            let mut buf = [0u8; 3];
            buf[..bytes.len()].copy_from_slice(bytes);
            Self { buf, len: bytes.len() as u8 }
        }

        pub fn as_slice(&self) -> &[u8] {
            &self.buf[..self.len as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        let b = Block { num: 0, more: false, szx: SZX_1024 };
        assert_eq!(b.encode().as_slice(), &[0x06]);
        let b = Block { num: 1, more: true, szx: SZX_1024 };
        assert_eq!(b.encode().as_slice(), &[0x1e]);
        let b = Block { num: 300, more: true, szx: 2 };
        assert_eq!(b.encode().as_slice(), &[0x12, 0xca]);
        assert_eq!(Block::decode(&[0x12, 0xca]), Some(b));
        assert_eq!(Block::decode(&[]), Some(Block { num: 0, more: false, szx: 0 }));
        assert_eq!(Block::decode(&[0x0f]), None);
        assert_eq!(Block::decode(&[1, 2, 3, 4]), None);
        assert_eq!(Block { num: 2, more: false, szx: 6 }.size(), 1024);
    }
}
