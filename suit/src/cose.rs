//! COSE_Sign1 (RFC 9052 §4.2), detached payload, as SUIT uses it.
use alloc::vec::Vec;

use minicbor::{Decoder, Encoder};

use crate::SuitError;

/// CBOR tag of COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoseSign1 {
    /// The protected header exactly as encoded (it is signed as is).
    pub protected: Vec<u8>,
    /// `alg` from the protected header.
    pub alg: i64,
    pub signature: Vec<u8>,
}

impl CoseSign1 {
    pub fn decode(bytes: &[u8]) -> Result<Self, SuitError> {
        let mut d = Decoder::new(bytes);
        if d.tag()?.as_u64() != TAG_COSE_SIGN1 {
            return Err(SuitError::Cbor("expected COSE_Sign1 tag 18"));
        }
        if d.array()? != Some(4) {
            return Err(SuitError::Cbor("COSE_Sign1 is not an array of 4"));
        }
        let protected = d.bytes()?.to_vec();
        d.skip()?; // unprotected header
        d.skip()?; // payload: nil (detached)
        let signature = d.bytes()?.to_vec();
        let alg = header_alg(&protected)?;
        Ok(Self { protected, alg, signature })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        let _ = e
            .tag(minicbor::data::Tag::new(TAG_COSE_SIGN1))
            .and_then(|e| e.array(4))
            .and_then(|e| e.bytes(&self.protected))
            .and_then(|e| e.map(0))
            .and_then(|e| e.null())
            .and_then(|e| e.bytes(&self.signature));
        e.into_writer()
    }
}

/// The `alg` (label 1) of an encoded protected header map.
fn header_alg(protected: &[u8]) -> Result<i64, SuitError> {
    let mut d = Decoder::new(protected);
    let n = d.map()?.ok_or(SuitError::Cbor("indefinite header map"))?;
    for _ in 0..n {
        let key = d.i64()?;
        if key == 1 {
            return Ok(d.i64()?);
        }
        d.skip()?;
    }
    Err(SuitError::Cbor("protected header has no alg"))
}

/// An encoded protected header `{1: alg}`.
pub fn protected_header(alg: i64) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let _ = e.map(1).and_then(|e| e.u8(1)).and_then(|e| e.i64(alg));
    e.into_writer()
}

/// The Sig_structure a COSE_Sign1 signs: `["Signature1", protected, h'', payload]`.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let _ = e
        .array(4)
        .and_then(|e| e.str("Signature1"))
        .and_then(|e| e.bytes(protected))
        .and_then(|e| e.bytes(&[]))
        .and_then(|e| e.bytes(payload));
    e.into_writer()
}
