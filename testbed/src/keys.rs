//! Signing keys for SUIT manifests, as `mbpf keygen` writes them.
//!
//! Key files are hex: 64 digits for Ed25519 (the secret seed, or the public key);
//! `es256:` and hex for ES256 (the secret scalar, or the uncompressed SEC1 point). The
//! public key of `NAME` is in `NAME.pub`.
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The prefix of ES256 key files.
pub const ES256_PREFIX: &str = "es256:";

/// A signing key: Ed25519 (the device profile) or ES256 (P-256).
pub enum SigningKey {
    Ed25519(ed25519_dalek::SigningKey),
    Es256(p256::ecdsa::SigningKey),
}

/// Which kind of key to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Ed25519 (COSE -19): what mbpf devices verify.
    Ed25519,
    /// ES256 (P-256, COSE -7): for other SUIT consumers.
    Es256,
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Ed25519 => SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&rand::random())),
            // A random scalar is a valid key unless it is 0 or >= n; retry then.
            Algorithm::Es256 => loop {
                if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
                    break SigningKey::Es256(k);
                }
            },
        }
    }

    /// A signed SUIT envelope of `manifest`.
    pub fn sign_manifest(&self, manifest: &[u8]) -> Vec<u8> {
        match self {
            SigningKey::Ed25519(k) => suit::build::sign_ed25519(manifest, k),
            SigningKey::Es256(k) => suit::build::sign_es256(manifest, k),
        }
    }

    /// The secret key file's text.
    pub fn to_file_text(&self) -> String {
        match self {
            SigningKey::Ed25519(k) => hex::encode(k.to_bytes()),
            SigningKey::Es256(k) => format!("{ES256_PREFIX}{}", hex::encode(k.to_bytes())),
        }
    }

    /// The public key file's text.
    pub fn public_file_text(&self) -> String {
        match self {
            SigningKey::Ed25519(k) => hex::encode(k.verifying_key().to_bytes()),
            SigningKey::Es256(k) => {
                format!("{ES256_PREFIX}{}", hex::encode(k.verifying_key().to_encoded_point(false).as_bytes()))
            }
        }
    }
}

/// A public key file's key.
pub enum PublicKey {
    Ed25519([u8; 32]),
    /// An SEC1 point.
    Es256(Vec<u8>),
}

fn read_key_text(path: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(path).map_err(Error::file("read key", path))?.trim().to_string())
}

/// Reads a signing key written by `mbpf keygen`.
pub fn read_signing_key(path: &Path) -> Result<SigningKey> {
    let text = read_key_text(path)?;
    if let Some(digits) = text.strip_prefix(ES256_PREFIX) {
        let bad = || Error::BadKey { path: path.to_path_buf(), expected: "an ES256 secret key" };
        let bytes = hex::decode(digits).map_err(|_| bad())?;
        return p256::ecdsa::SigningKey::from_slice(&bytes).map(SigningKey::Es256).map_err(|_| bad());
    }
    let seed: [u8; 32] = hex::decode(&text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::BadKey { path: path.to_path_buf(), expected: "an Ed25519 secret key (64 hex digits)" })?;
    Ok(SigningKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
}

/// Reads a public key written by `mbpf keygen`.
pub fn read_public_key(path: &Path) -> Result<PublicKey> {
    let text = read_key_text(path)?;
    if let Some(digits) = text.strip_prefix(ES256_PREFIX) {
        let bytes = hex::decode(digits)
            .map_err(|_| Error::BadKey { path: path.to_path_buf(), expected: "an ES256 public key" })?;
        return Ok(PublicKey::Es256(bytes));
    }
    let key = hex::decode(&text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::BadKey { path: path.to_path_buf(), expected: "an Ed25519 public key (64 hex digits)" })?;
    Ok(PublicKey::Ed25519(key))
}

/// Where the public key of the secret key file `secret` lives.
pub fn public_key_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

/// The repository's test signing key, which default firmware builds trust.
pub fn testbed_key_path() -> PathBuf {
    crate::repo_root().join("keys/testbed.key")
}

/// The repository's test signing key.
pub fn testbed_key() -> Result<SigningKey> {
    read_signing_key(&testbed_key_path())
}

/// An EDHOC identity (RFC 9528 method 3, P-256): a static Diffie-Hellman key and its
/// credential (a CCS with the public key and a key id). Files: the secret scalar as
/// hex at `PATH`, the credential as hex at `PATH.ccs`.
#[derive(Clone)]
pub struct EdhocIdentity {
    pub private_key: [u8; 32],
    pub ccs: Vec<u8>,
}

impl EdhocIdentity {
    /// A fresh identity named `subject` with key id `kid`.
    pub fn generate(subject: &str, kid: &[u8]) -> Self {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let secret = loop {
            if let Ok(k) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                break k;
            }
        };
        let point = secret.public_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| -> [u8; 32] { c.map(|c| (*c).into()).unwrap_or([0; 32]) };
        let ccs = auth::ccs::build(subject, kid, &coordinate(point.x()), &coordinate(point.y()));
        Self { private_key: secret.to_bytes().into(), ccs }
    }

    pub fn credential(&self) -> auth::Credential {
        // `generate` and `read` only make credentials that parse.
        auth::ccs::parse(&self.ccs).unwrap_or_else(|e| panic!("an identity's own credential: {e}"))
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, format!("{}\n", hex::encode(self.private_key))).map_err(Error::file("write key", path))?;
        std::fs::write(ccs_path(path), format!("{}\n", hex::encode(&self.ccs))).map_err(Error::file("write key", path))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let private_key = hex::decode(read_key_text(path)?).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            Error::BadKey { path: path.to_path_buf(), expected: "a P-256 secret key (64 hex digits)" }
        })?;
        let ccs = read_credential(&ccs_path(path))?;
        Ok(Self { private_key, ccs })
    }
}

/// Reads a credential file (`PATH.ccs`, hex of a CCS).
pub fn read_credential(path: &Path) -> Result<Vec<u8>> {
    let ccs = hex::decode(read_key_text(path)?)
        .map_err(|_| Error::BadKey { path: path.to_path_buf(), expected: "a CCS credential in hex" })?;
    auth::ccs::parse(&ccs)
        .map_err(|_| Error::BadKey { path: path.to_path_buf(), expected: "a CCS with a P-256 key" })?;
    Ok(ccs)
}

/// Where the credential of the EDHOC key file `secret` lives.
pub fn ccs_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".ccs");
    PathBuf::from(p)
}

/// The repository's test EDHOC identities: the device's, which default firmware builds
/// carry, and the client's, which they accept.
pub fn edhoc_device_path() -> PathBuf {
    crate::repo_root().join("keys/edhoc-device.key")
}

pub fn edhoc_client_path() -> PathBuf {
    crate::repo_root().join("keys/edhoc-client.key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edhoc_identities_read_back_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let id = EdhocIdentity::generate("client", &[0x2b]);
        let path = dir.path().join("c");
        id.write(&path).unwrap();
        let back = EdhocIdentity::read(&path).unwrap();
        assert_eq!((back.private_key, &back.ccs), (id.private_key, &id.ccs));
        assert_eq!(back.credential().kid.unwrap().as_slice(), [0x2b]);
        std::fs::write(ccs_path(&path), "a1 02 61 78").unwrap();
        assert!(EdhocIdentity::read(&path).is_err(), "a CCS without a key");
        std::fs::write(&path, "zz").unwrap();
        assert!(EdhocIdentity::read(&path).is_err());
    }

    #[test]
    fn written_keys_read_back_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for alg in [Algorithm::Ed25519, Algorithm::Es256] {
            let key = SigningKey::generate(alg);
            let secret = dir.path().join("k");
            std::fs::write(&secret, key.to_file_text()).unwrap();
            std::fs::write(public_key_path(&secret), key.public_file_text()).unwrap();
            assert_eq!(read_signing_key(&secret).unwrap().to_file_text(), key.to_file_text());
            match (read_public_key(&public_key_path(&secret)).unwrap(), &key) {
                (PublicKey::Ed25519(p), SigningKey::Ed25519(k)) => assert_eq!(p, k.verifying_key().to_bytes()),
                (PublicKey::Es256(p), SigningKey::Es256(k)) => {
                    assert_eq!(p, k.verifying_key().to_encoded_point(false).as_bytes())
                }
                _ => panic!("the public key changed kind"),
            }
        }
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "12zz").unwrap();
        assert!(matches!(read_signing_key(&bad), Err(Error::BadKey { .. })));
        std::fs::write(&bad, "es256:00").unwrap();
        assert!(matches!(read_signing_key(&bad), Err(Error::BadKey { .. })));
        assert!(matches!(read_signing_key(&dir.path().join("missing")), Err(Error::File { .. })));
    }
}
