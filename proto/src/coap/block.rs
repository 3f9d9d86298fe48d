//! Block-wise transfers (RFC 7959): the Block2 option value (§2.2: `NUM << 4 | M << 3 |
//! SZX`, a minimal-length big-endian unsigned integer of at most 3 bytes), a server's
//! [`slice`] of an answer, and a client's [`Reassembly`] of one.
use alloc::vec::Vec;

use coap_lite::{CoapOption, Packet};

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

impl Block {
    /// The Block2 option of a packet: `None` when absent, `Some(None)` when malformed.
    pub fn of(packet: &Packet) -> Option<Option<Block>> {
        packet.get_option(CoapOption::Block2).and_then(|v| v.front()).map(|v| Block::decode(v))
    }

    /// Adds this block as the packet's Block2 option.
    pub fn add_to(&self, packet: &mut Packet) {
        packet.add_option(CoapOption::Block2, self.encode().as_slice().to_vec());
    }
}

/// Why a block cannot be served or taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockError {
    /// The block asked for starts past the end of the answer (a server answers 4.02).
    OutOfRange,
    /// An answer's Block2 option does not fit the block asked for, or its payload is
    /// not the block's size while more follow.
    Mismatch,
    /// The reassembled answer would exceed the caller's limit.
    TooLarge,
}

/// The block of `body` a request asks for (`wanted`: its Block2 option, if any), in
/// blocks of at most 2^(`max_szx`+4) bytes; returns the payload and the Block2 option
/// to answer with (`None` when the body fits one block and none was asked for).
pub fn slice(body: &[u8], wanted: Option<Block>, max_szx: u8) -> Result<(&[u8], Option<Block>), BlockError> {
    let szx = wanted.map_or(max_szx, |b| b.szx.min(max_szx));
    let num = wanted.map_or(0, |b| b.num);
    let size = 1usize << (szx + 4);
    let start = (num as usize).checked_mul(size).ok_or(BlockError::OutOfRange)?;
    if start > body.len() || (start == body.len() && start != 0) {
        return Err(BlockError::OutOfRange);
    }
    let end = (start + size).min(body.len());
    let more = end < body.len();
    let option = (more || wanted.is_some()).then_some(Block { num, more, szx });
    Ok((&body[start..end], option))
}

/// What a client asks for after an answer: the next block, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Block(Block),
    Done,
}

/// A client's reassembly of a block-wise answer, at most `limit` bytes.
#[derive(Debug, Clone)]
pub struct Reassembly {
    body: Vec<u8>,
    limit: usize,
    /// The block asked for last.
    asked: u32,
}

impl Reassembly {
    pub fn new(limit: usize) -> Self {
        Self { body: Vec::new(), limit, asked: 0 }
    }

    /// Takes an answer's payload and Block2 option; says which block to ask for next.
    /// The server's block size is kept for the next request (RFC 7959 §2.4).
    pub fn push(&mut self, payload: &[u8], block: Option<Option<Block>>) -> Result<Next, BlockError> {
        if self.body.len() + payload.len() > self.limit {
            return Err(BlockError::TooLarge);
        }
        let next = match block {
            None => Next::Done,
            Some(Some(b)) if b.num == self.asked && !b.more => Next::Done,
            Some(Some(b)) if b.num == self.asked && b.size() == payload.len() => {
                Next::Block(Block { num: b.num + 1, more: false, szx: b.szx })
            }
            _ => return Err(BlockError::Mismatch),
        };
        self.body.extend_from_slice(payload);
        if let Next::Block(b) = next {
            self.asked = b.num;
        }
        Ok(next)
    }

    pub fn into_body(self) -> Vec<u8> {
        self.body
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

    #[test]
    fn an_answer_is_sliced_into_blocks_and_reassembled() {
        let body: Vec<u8> = (0..2100u32).map(|i| i as u8).collect();
        // Unasked, a long answer starts with block 0 of the largest size.
        let (first, option) = slice(&body, None, SZX_1024).unwrap();
        assert_eq!((first.len(), option), (1024, Some(Block { num: 0, more: true, szx: 6 })));
        let mut r = Reassembly::new(4096);
        let mut next = r.push(first, option.map(Some)).unwrap();
        while let Next::Block(b) = next {
            let (payload, option) = slice(&body, Some(b), SZX_1024).unwrap();
            next = r.push(payload, option.map(Some)).unwrap();
        }
        assert_eq!(r.into_body(), body);
        // A smaller block size asked for is kept; the last block says no more.
        let (last, option) = slice(&body, Some(Block { num: 32, more: false, szx: 2 }), SZX_1024).unwrap();
        assert_eq!((last.len(), option), (52, Some(Block { num: 32, more: false, szx: 2 })));
        // A short answer asked without Block2 carries none.
        assert_eq!(slice(b"hi", None, SZX_1024).unwrap(), (&b"hi"[..], None));
    }

    #[test]
    fn bad_blocks_are_refused() {
        let body = [7u8; 100];
        assert_eq!(slice(&body, Some(Block { num: 7, more: false, szx: 0 }), SZX_1024), Err(BlockError::OutOfRange));
        assert_eq!(slice(&[], Some(Block { num: 1, more: false, szx: 0 }), SZX_1024), Err(BlockError::OutOfRange));
        assert_eq!(
            slice(&body, Some(Block { num: u32::MAX >> 4, more: false, szx: 6 }), SZX_1024),
            Err(BlockError::OutOfRange)
        );
        // An answer for another block, a short block with more to come, a malformed option.
        let mut r = Reassembly::new(4096);
        assert_eq!(r.push(&[0; 16], Some(Some(Block { num: 1, more: true, szx: 0 }))), Err(BlockError::Mismatch));
        assert_eq!(r.push(&[0; 15], Some(Some(Block { num: 0, more: true, szx: 0 }))), Err(BlockError::Mismatch));
        assert_eq!(r.push(&[0; 16], Some(None)), Err(BlockError::Mismatch));
        let mut small = Reassembly::new(10);
        assert_eq!(small.push(&[0; 11], None), Err(BlockError::TooLarge));
    }
}
