//! CWT Claims Sets as credentials (RFC 9528 §3.5.3): a subject name and a P-256
//! public key with its key id, in the shape lakers reads.
use alloc::vec::Vec;

/// A CCS for the P-256 public key `(x, y)` with key id `kid`.
pub fn build(subject: &str, kid: &[u8], x: &[u8; 32], y: &[u8; 32]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = e
        .map(2)
        .and_then(|e| e.u8(2)?.str(subject))
        .and_then(|e| e.u8(8)?.map(1)?.u8(1)?.map(5))
        .and_then(|e| e.i8(1)?.u8(2))
        .and_then(|e| e.i8(2)?.bytes(kid))
        .and_then(|e| e.i8(-1)?.u8(1))
        .and_then(|e| e.i8(-2)?.bytes(x))
        .and_then(|e| e.i8(-3)?.bytes(y));
    e.into_writer()
}

/// Reads a credential; the error says why it is not one lakers can use.
pub fn parse(bytes: &[u8]) -> Result<lakers::Credential, crate::edhoc::Refusal> {
    lakers::Credential::parse_ccs(bytes).map_err(|_| crate::edhoc::Refusal::Malformed("not a CCS with a P-256 key"))
}
