//! The SUIT draft's Examples 0-5 (test vectors in ../shared/suit_examples), and
//! manifests of the mbpf profile signed with Ed25519.
use std::path::PathBuf;

use suit::profile::SlotUpdate;
use suit::{Envelope, Manifest, SuitError};

fn examples_dir() -> PathBuf {
    std::env::var_os("SUIT_EXAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/suit_examples"))
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// The hex block after a heading line in an example file.
fn block_after(text: &str, heading: &str) -> Vec<u8> {
    let start = text.find(heading).unwrap_or_else(|| panic!("no `{heading}`"));
    let rest = &text[start..];
    let open = rest.find("~~~").unwrap() + 3;
    let close = rest[open..].find("~~~").unwrap() + open;
    hex(&rest[open..close])
}

fn example(n: usize) -> (Vec<u8>, Vec<u8>) {
    let text = std::fs::read_to_string(examples_dir().join(format!("example{n}.txt"))).unwrap();
    // The first "Envelope:" block is always the one without the COSE object.
    (block_after(&text, "Envelope with COSE authentication object:"), block_after(&text, "\nEnvelope:"))
}

fn public_key() -> Vec<u8> {
    hex(&std::fs::read_to_string(examples_dir().join("public_key.hex")).unwrap())
}

#[test]
fn examples_0_to_5_parse_and_their_es256_signatures_verify() {
    for n in 0..=5 {
        let (signed, _) = example(n);
        let env = Envelope::decode(&signed).unwrap_or_else(|e| panic!("example {n}: {e}"));
        env.check_digest().unwrap_or_else(|e| panic!("example {n}: {e}"));
        env.verify_es256(&public_key()).unwrap_or_else(|e| panic!("example {n}: {e}"));
        let m = Manifest::decode(&env.manifest).unwrap_or_else(|e| panic!("example {n}: {e}"));
        assert_eq!(m.version, 1);
        assert!(!m.components.is_empty(), "example {n}");
        assert!(!m.shared.is_empty(), "example {n}");
    }
    // Sequence numbers as the draft gives them.
    let seqs: Vec<u64> = (0..=5)
        .map(|n| Manifest::decode(&Envelope::decode(&example(n).0).unwrap().manifest).unwrap().sequence)
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_tampered_example_fails() {
    let (mut signed, _) = example(1);
    let last = signed.len() - 1;
    signed[last] ^= 1; // inside the manifest
    let env = Envelope::decode(&signed).unwrap();
    assert_eq!(env.verify_es256(&public_key()), Err(SuitError::DigestMismatch));
    // An Ed25519 check of an ES256-signed envelope reports the algorithm.
    let env = Envelope::decode(&example(1).0).unwrap();
    assert_eq!(env.verify_ed25519(&key(3).verifying_key().to_bytes()).unwrap_err(), SuitError::SignatureAlgorithm(-7));
}

#[test]
fn the_unsigned_variants_have_no_signature() {
    let (_, unsigned) = example(0);
    let env = Envelope::decode(&unsigned).unwrap();
    env.check_digest().unwrap();
    assert_eq!(env.verify_es256(&public_key()), Err(SuitError::Unsigned));
}

fn update() -> SlotUpdate {
    SlotUpdate {
        slot: 2,
        sequence: 7,
        vendor_id: b"mbpf-vendor-0001".to_vec(),
        class_id: b"mps2-an386-class".to_vec(),
        image_digest: suit::sha256(b"image"),
        image_size: 5,
        uri: "coap://10.0.2.2:5683/slot2/image.bin".into(),
        layout: 1,
        helpers: vec![0x01, 0x10, 0x52],
    }
}

fn key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn profile_manifests_round_trip_and_verify_with_ed25519() {
    let manifest = suit::build::manifest(&update());
    let signed = suit::build::sign_ed25519(&manifest, &key(1));
    let env = Envelope::decode(&signed).unwrap();
    env.verify_ed25519(&key(1).verifying_key().to_bytes()).unwrap();
    let m = Manifest::decode(&env.manifest).unwrap();
    assert_eq!(SlotUpdate::from_manifest(&m).unwrap(), update());
}

#[test]
fn wrong_key_bad_signature_and_truncation_are_rejected() {
    let signed = suit::build::sign_ed25519(&suit::build::manifest(&update()), &key(1));
    let env = Envelope::decode(&signed).unwrap();
    assert_eq!(env.verify_ed25519(&key(2).verifying_key().to_bytes()), Err(SuitError::BadSignature));
    // Flip a bit of the signature (it sits before the manifest).
    let mut bad = signed.clone();
    let at = signed.len() - env.manifest_bstr.len() - 5;
    bad[at] ^= 0x40;
    let env = Envelope::decode(&bad).unwrap();
    assert_eq!(env.verify_ed25519(&key(1).verifying_key().to_bytes()), Err(SuitError::BadSignature));
    // Every prefix fails cleanly.
    for cut in 0..signed.len() {
        assert!(Envelope::decode(&signed[..cut]).is_err(), "prefix {cut} decoded");
    }
}

#[test]
fn manifests_outside_the_profile_are_rejected() {
    // Example 0 is a valid SUIT manifest, but not of the mbpf profile.
    let env = Envelope::decode(&example(0).0).unwrap();
    assert!(SlotUpdate::from_manifest(&Manifest::decode(&env.manifest).unwrap()).is_err());
    // Random bytes never panic the decoders.
    let mut state = 0x1234_5678u32;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let _ = Envelope::decode(&bytes);
        let _ = Manifest::decode(&bytes);
    }
}

#[test]
fn es256_signed_profile_manifests_verify_with_p256() {
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let signed = suit::build::sign_es256(&suit::build::manifest(&update()), &key);
    let env = Envelope::decode(&signed).unwrap();
    let public = key.verifying_key().to_encoded_point(false);
    env.verify_es256(public.as_bytes()).unwrap();
    // An Ed25519-only device refuses it by algorithm.
    assert_eq!(env.verify_ed25519(&self::key(1).verifying_key().to_bytes()), Err(SuitError::SignatureAlgorithm(-7)));
}
