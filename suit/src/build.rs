//! Writing and signing manifests of the device profile (host side).
use alloc::vec::Vec;

use minicbor::Encoder;

use crate::cose::{self, CoseSign1};
use crate::envelope::{Digest, TAG_ENVELOPE};
use crate::manifest::*;
use crate::profile::{SlotUpdate, PARAM_HELPERS, PARAM_LAYOUT, SLOT_COMPONENT};

fn enc() -> Encoder<Vec<u8>> {
    Encoder::new(Vec::new())
}

/// The manifest bytes for a slot update.
pub fn manifest(u: &SlotUpdate) -> Vec<u8> {
    let digest = Digest { alg: crate::alg::SHA256, bytes: u.image_digest.to_vec() }.encode();
    // shared: override(vendor, class, digest, size, layout, helpers), vendor?, class?
    let mut shared = enc();
    let _ = shared
        .array(6)
        .and_then(|e| e.i64(DIRECTIVE_OVERRIDE_PARAMETERS))
        .and_then(|e| e.map(6))
        .and_then(|e| e.i64(PARAM_VENDOR_ID)?.bytes(&u.vendor_id))
        .and_then(|e| e.i64(PARAM_CLASS_ID)?.bytes(&u.class_id))
        .and_then(|e| e.i64(PARAM_IMAGE_DIGEST)?.bytes(&digest))
        .and_then(|e| e.i64(PARAM_IMAGE_SIZE)?.u64(u.image_size))
        .and_then(|e| e.i64(PARAM_LAYOUT)?.u8(u.layout))
        .and_then(|e| e.i64(PARAM_HELPERS)?.bytes(&u.helpers))
        .and_then(|e| e.i64(CONDITION_VENDOR_ID)?.u8(15))
        .and_then(|e| e.i64(CONDITION_CLASS_ID)?.u8(15));
    let mut common = enc();
    let _ = common
        .map(2)
        .and_then(|e| e.i64(COMPONENTS)?.array(1)?.array(2)?.bytes(SLOT_COMPONENT)?.bytes(&[u.slot]))
        .and_then(|e| e.i64(SHARED_SEQUENCE)?.bytes(shared.writer()));
    // install: override(uri), fetch, image-match
    let mut install = enc();
    let _ = install
        .array(6)
        .and_then(|e| e.i64(DIRECTIVE_OVERRIDE_PARAMETERS)?.map(1)?.i64(PARAM_URI)?.str(&u.uri))
        .and_then(|e| e.i64(DIRECTIVE_FETCH)?.u8(2))
        .and_then(|e| e.i64(CONDITION_IMAGE_MATCH)?.u8(15));
    let mut m = enc();
    let _ = m
        .map(4)
        .and_then(|e| e.i64(MANIFEST_VERSION)?.u8(1))
        .and_then(|e| e.i64(SEQUENCE_NUMBER)?.u64(u.sequence))
        .and_then(|e| e.i64(COMMON)?.bytes(common.writer()))
        .and_then(|e| e.i64(INSTALL)?.bytes(install.writer()));
    m.into_writer()
}

/// A signed envelope: the manifest, its SHA-256 digest and an Ed25519 COSE_Sign1
/// (alg -19) over the digest.
pub fn sign_ed25519(manifest: &[u8], key: &ed25519_dalek::SigningKey) -> Vec<u8> {
    use ed25519_dalek::Signer;
    sign_with(manifest, crate::alg::ED25519, |m| key.sign(m).to_bytes().to_vec())
}

/// As [`sign_ed25519`], with an ES256 (P-256, alg -7) signature.
#[cfg(feature = "es256")]
pub fn sign_es256(manifest: &[u8], key: &p256::ecdsa::SigningKey) -> Vec<u8> {
    use p256::ecdsa::signature::Signer;
    sign_with(manifest, crate::alg::ES256, |m| {
        let sig: p256::ecdsa::Signature = key.sign(m);
        sig.to_bytes().to_vec()
    })
}

fn sign_with(manifest: &[u8], alg: i64, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut bstr = enc();
    let _ = bstr.bytes(manifest);
    let manifest_bstr = bstr.into_writer();
    let digest = Digest::sha256(&manifest_bstr).encode();
    let protected = cose::protected_header(alg);
    let signature = sign(&cose::sig_structure(&protected, &digest));
    let sign1 = CoseSign1 { protected, alg, signature }.encode();
    let mut auth = enc();
    let _ = auth.array(2).and_then(|e| e.bytes(&digest)).and_then(|e| e.bytes(&sign1));
    let mut env = enc();
    let _ = env
        .tag(minicbor::data::Tag::new(TAG_ENVELOPE))
        .and_then(|e| e.map(2))
        .and_then(|e| e.i64(2)?.bytes(auth.writer()))
        .and_then(|e| e.i64(3));
    let mut out = env.into_writer();
    out.extend_from_slice(&manifest_bstr);
    out
}
