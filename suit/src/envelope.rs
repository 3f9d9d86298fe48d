//! The SUIT envelope (tag 107): authentication wrapper and manifest.
use alloc::vec::Vec;

use minicbor::Decoder;

use crate::cose::{self, CoseSign1};
use crate::{alg, SuitError};

pub const TAG_ENVELOPE: u64 = 107;
const KEY_AUTHENTICATION: i64 = 2;
const KEY_MANIFEST: i64 = 3;

/// A SUIT_Digest: `[algorithm-id, bytes]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub alg: i64,
    pub bytes: Vec<u8>,
}

impl Digest {
    pub fn decode(bytes: &[u8]) -> Result<Self, SuitError> {
        let mut d = Decoder::new(bytes);
        Self::decode_from(&mut d)
    }

    pub(crate) fn decode_from(d: &mut Decoder) -> Result<Self, SuitError> {
        if d.array()? != Some(2) {
            return Err(SuitError::Cbor("digest is not an array of 2"));
        }
        Ok(Self { alg: d.i64()?, bytes: d.bytes()?.to_vec() })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut e = minicbor::Encoder::new(Vec::new());
        let _ = e.array(2).and_then(|e| e.i64(self.alg)).and_then(|e| e.bytes(&self.bytes));
        e.into_writer()
    }

    /// A SHA-256 digest of `data`.
    pub fn sha256(data: &[u8]) -> Self {
        Self { alg: alg::SHA256, bytes: crate::sha256(data).to_vec() }
    }

    /// Whether `data` has this digest (SHA-256 only).
    pub fn matches(&self, data: &[u8]) -> Result<bool, SuitError> {
        if self.alg != alg::SHA256 {
            return Err(SuitError::DigestAlgorithm(self.alg));
        }
        Ok(self.bytes == crate::sha256(data))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub digest: Digest,
    /// The digest exactly as encoded (the payload the signatures sign).
    pub digest_encoded: Vec<u8>,
    pub signatures: Vec<CoseSign1>,
    /// The manifest's CBOR byte string, header included (what the digest covers).
    pub manifest_bstr: Vec<u8>,
    /// The manifest's bytes (inside the byte string).
    pub manifest: Vec<u8>,
}

impl Envelope {
    pub fn decode(bytes: &[u8]) -> Result<Self, SuitError> {
        let mut d = Decoder::new(bytes);
        if d.tag().map_err(|_| SuitError::NotEnvelope("no CBOR tag"))?.as_u64() != TAG_ENVELOPE {
            return Err(SuitError::NotEnvelope("tag is not 107"));
        }
        let n = d.map()?.ok_or(SuitError::Cbor("indefinite envelope map"))?;
        let (mut auth, mut manifest) = (None, None);
        for _ in 0..n {
            let key = d.i64()?;
            match key {
                KEY_AUTHENTICATION => auth = Some(d.bytes()?.to_vec()),
                KEY_MANIFEST => {
                    let start = d.position();
                    let inner = d.bytes()?.to_vec();
                    manifest = Some((bytes[start..d.position()].to_vec(), inner));
                }
                // Severed members, text, integrated payloads: not needed here.
                _ => d.skip()?,
            }
        }
        let auth = auth.ok_or(SuitError::NotEnvelope("no authentication wrapper"))?;
        let (manifest_bstr, manifest) = manifest.ok_or(SuitError::NotEnvelope("no manifest"))?;

        let mut d = Decoder::new(&auth);
        let items = d.array()?.ok_or(SuitError::Cbor("indefinite authentication wrapper"))?;
        if items == 0 {
            return Err(SuitError::Cbor("empty authentication wrapper"));
        }
        let digest_encoded = d.bytes()?.to_vec();
        let digest = Digest::decode(&digest_encoded)?;
        let mut signatures = Vec::new();
        for _ in 1..items {
            signatures.push(CoseSign1::decode(d.bytes()?)?);
        }
        Ok(Self { digest, digest_encoded, signatures, manifest_bstr, manifest })
    }

    /// Checks that the wrapper's digest is the SHA-256 of the manifest byte string.
    pub fn check_digest(&self) -> Result<(), SuitError> {
        if self.digest.matches(&self.manifest_bstr)? {
            Ok(())
        } else {
            Err(SuitError::DigestMismatch)
        }
    }

    /// Checks the digest, then that one Ed25519 signature (COSE alg -8 or -19) verifies
    /// with `public_key`.
    pub fn verify_ed25519(&self, public_key: &[u8; 32]) -> Result<(), SuitError> {
        self.check_digest()?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(public_key).map_err(|_| SuitError::BadKey)?;
        let mut last = SuitError::Unsigned;
        for sig in &self.signatures {
            if sig.alg != alg::ED25519 && sig.alg != alg::EDDSA {
                last = SuitError::SignatureAlgorithm(sig.alg);
                continue;
            }
            let Ok(signature) = ed25519_dalek::Signature::from_slice(&sig.signature) else {
                last = SuitError::BadSignature;
                continue;
            };
            let message = cose::sig_structure(&sig.protected, &self.digest_encoded);
            if key.verify_strict(&message, &signature).is_ok() {
                return Ok(());
            }
            last = SuitError::BadSignature;
        }
        Err(last)
    }

    /// Checks the digest, then that one ES256 signature verifies with `public_key` (an
    /// SEC1 P-256 point).
    #[cfg(feature = "es256")]
    pub fn verify_es256(&self, public_key: &[u8]) -> Result<(), SuitError> {
        use p256::ecdsa::signature::Verifier;
        self.check_digest()?;
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).map_err(|_| SuitError::BadKey)?;
        let mut last = SuitError::Unsigned;
        for sig in &self.signatures {
            if sig.alg != alg::ES256 {
                last = SuitError::SignatureAlgorithm(sig.alg);
                continue;
            }
            let Ok(signature) = p256::ecdsa::Signature::from_slice(&sig.signature) else {
                last = SuitError::BadSignature;
                continue;
            };
            let message = cose::sig_structure(&sig.protected, &self.digest_encoded);
            if key.verify(&message, &signature).is_ok() {
                return Ok(());
            }
            last = SuitError::BadSignature;
        }
        Err(last)
    }
}
