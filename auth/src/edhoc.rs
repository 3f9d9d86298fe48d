//! EDHOC over CoAP (RFC 9528 Appendix A.2): the client POSTs `true` and message_1 to
//! [`crate::EDHOC_PATH`] and gets message_2; it POSTs C_R and message_3 and gets
//! message_4, which confirms the device's keys (RFC 9528 §5.5; clients such as aiocoap
//! wait for it). Both ends then derive the OSCORE master secret and salt with the
//! EDHOC exporter (Appendix A.1): the device's Sender ID is C_I, its Recipient ID C_R.
use alloc::vec::Vec;

use lakers::{
    Credential, CredentialTransfer, EDHOCError, EDHOCMethod, EDHOCSuite, EdhocInitiator, EdhocInitiatorWaitM2,
    EdhocInitiatorWaitM4, EdhocMessageBuffer, EdhocResponder, EdhocResponderWaitM3,
};
use lakers_crypto_rustcrypto::Crypto;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};

type EdhocCrypto = Crypto<ChaCha20Rng>;

/// CBOR `true`: what a request carrying message_1 starts with.
const MESSAGE_1_PREFIX: u8 = 0xf5;
/// Handshakes waiting for message_3, and security contexts kept, at most.
pub const MAX_PENDING: usize = 2;
pub const MAX_CONTEXTS: usize = 4;

/// Whether a request's payload carries message_1 (else C_R and message_3).
pub fn is_message_1(payload: &[u8]) -> bool {
    payload.first() == Some(&MESSAGE_1_PREFIX)
}

/// The keying material of one OSCORE security context (RFC 8613 §3.2), as EDHOC
/// exports it, from the device's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OscoreMaterial {
    pub master_secret: [u8; 16],
    pub master_salt: [u8; 8],
    /// The device's Sender ID (the client's C_I) and Recipient ID (the device's C_R).
    pub sender_id: Vec<u8>,
    pub recipient_id: Vec<u8>,
    /// The key id of the client credential that authenticated.
    pub client_kid: Vec<u8>,
}

/// Why an EDHOC request was refused; each maps to a CoAP answer.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    /// 4.00: not an EDHOC request this device can read.
    #[error("malformed EDHOC request: {0}")]
    Malformed(&'static str),
    /// 4.00: EDHOC processing failed (a tampered message, a wrong key).
    #[error("EDHOC failed: {0:?}")]
    Failed(EDHOCError),
    /// 4.01: the client's credential is not among those the device was built with.
    #[error("the client's credential is not authorized on this device")]
    UnknownCredential,
    /// 4.04: message_3 names no handshake in progress (or one that timed out).
    #[error("no EDHOC handshake with this connection identifier")]
    UnknownConnection,
}

impl From<EDHOCError> for Refusal {
    fn from(e: EDHOCError) -> Self {
        Refusal::Failed(e)
    }
}

/// A fresh crypto backend whose generator is seeded from `rng`: lakers takes its
/// generator by value, one per handshake.
fn crypto(rng: &mut (impl RngCore + CryptoRng)) -> EdhocCrypto {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    Crypto::new(ChaCha20Rng::from_seed(seed))
}

fn buffer(bytes: &[u8]) -> Result<EdhocMessageBuffer, Refusal> {
    EdhocMessageBuffer::new_from_slice(bytes).map_err(|_| Refusal::Malformed("message too long"))
}

/// The device's end: its identity, the clients it accepts, the handshakes in progress
/// and the contexts they made (newest last; the oldest goes when there are too many).
pub struct Responder<R> {
    rng: R,
    private_key: [u8; 32],
    credential: Credential,
    clients: Vec<Credential>,
    /// C_R, C_I and the state of each handshake waiting for message_3.
    pending: Vec<(u8, Vec<u8>, EdhocResponderWaitM3<EdhocCrypto>)>,
    contexts: Vec<OscoreMaterial>,
}

impl<R: RngCore + CryptoRng> Responder<R> {
    /// `private_key` and `credential` are the device's; `clients` the credentials of
    /// the clients allowed to manage it.
    pub fn new(rng: R, private_key: [u8; 32], credential: Credential, clients: Vec<Credential>) -> Self {
        Self { rng, private_key, credential, clients, pending: Vec::new(), contexts: Vec::new() }
    }

    pub fn contexts(&self) -> &[OscoreMaterial] {
        &self.contexts
    }

    /// Handles the payload of a POST to [`crate::EDHOC_PATH`]; the answer's payload
    /// (2.04) or why not. A refused request changes no context.
    pub fn handle(&mut self, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        match payload.split_first() {
            Some((&MESSAGE_1_PREFIX, message_1)) => self.message_1(message_1),
            Some((&c_r, message_3)) => self.message_3(c_r, message_3),
            None => Err(Refusal::Malformed("empty request")),
        }
    }

    fn message_1(&mut self, message_1: &[u8]) -> Result<Vec<u8>, Refusal> {
        check_message_1(message_1)?;
        let responder =
            EdhocResponder::new(crypto(&mut self.rng), EDHOCMethod::StatStat, self.private_key, self.credential);
        let (processed, c_i, _ead_1) = responder.process_message_1(&buffer(message_1)?)?;
        let c_r = self.free_connection_id(c_i.as_slice());
        let (waiting, message_2) =
            processed.prepare_message_2(CredentialTransfer::ByReference, lakers::ConnId::from_slice(&[c_r]), &None)?;
        if self.pending.len() == MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push((c_r, c_i.as_slice().to_vec(), waiting));
        Ok(message_2.as_slice().to_vec())
    }

    fn message_3(&mut self, c_r: u8, message_3: &[u8]) -> Result<Vec<u8>, Refusal> {
        let at = self.pending.iter().position(|(c, ..)| *c == c_r).ok_or(Refusal::UnknownConnection)?;
        if !is_one_byte_string(message_3) {
            // lakers 0.8 reads message_3's length from its first bytes unchecked (and
            // panics past its buffer): only a well-framed one goes to it.
            self.pending.remove(at);
            return Err(Refusal::Malformed("message_3 is not one CBOR byte string"));
        }
        // A message_3 ends its handshake, accepted or not.
        let (_, c_i, waiting) = self.pending.remove(at);
        let (processing, id_cred_i, _ead_3) = waiting.parse_message_3(&buffer(message_3)?)?;
        let client = self
            .clients
            .iter()
            .find_map(|c| lakers::credential_check_or_fetch(Some(*c), id_cred_i).ok())
            .ok_or(Refusal::UnknownCredential)?;
        let (processed, _prk_out) = processing.verify_message_3(client)?;
        let (mut done, message_4) = processed.prepare_message_4(&None)?;
        let secret = done.edhoc_exporter(0, &[], 16);
        let salt = done.edhoc_exporter(1, &[], 8);
        let material = OscoreMaterial {
            master_secret: secret[..16].try_into().map_err(|_| Refusal::Malformed("exporter"))?,
            master_salt: salt[..8].try_into().map_err(|_| Refusal::Malformed("exporter"))?,
            sender_id: c_i,
            recipient_id: alloc::vec![c_r],
            client_kid: client.kid.map(|k| k.as_slice().to_vec()).unwrap_or_default(),
        };
        if self.contexts.len() == MAX_CONTEXTS {
            self.contexts.remove(0);
        }
        self.contexts.retain(|c| c.recipient_id != material.recipient_id);
        self.contexts.push(material);
        Ok(message_4.as_slice().to_vec())
    }

    /// A C_R (a one-byte CBOR integer, 0..=23) that no pending handshake or kept
    /// context uses, and that differs from the client's C_I: they become the context's
    /// Recipient and Sender IDs, which must differ (RFC 9528 §3.3.3).
    fn free_connection_id(&mut self, c_i: &[u8]) -> u8 {
        let mut free = (0..24u8).filter(|c| c_i != [*c]);
        // More than 24 handshakes and contexts are never kept, so one is always free.
        let first = free.clone().next().unwrap_or(1);
        free.find(|c| {
            !self.pending.iter().any(|(p, ..)| p == c) && !self.contexts.iter().any(|x| x.recipient_id == [*c])
        })
        .unwrap_or(first)
    }
}

/// Whether `x` is the x-coordinate of a point on P-256 (either sign). lakers'
/// RustCrypto backend panics on any other ephemeral key, so each is checked first.
fn on_curve(x: &[u8]) -> bool {
    let mut sec1 = [0x02; 33];
    if x.len() != 32 {
        return false;
    }
    sec1[1..].copy_from_slice(x);
    p256::PublicKey::from_sec1_bytes(&sec1).is_ok()
}

/// message_1 (RFC 9528 §5.2.1) up to C_I: METHOD, SUITES_I (an integer or an array of
/// them), G_X (a point on the curve) and C_I.
fn check_message_1(bytes: &[u8]) -> Result<(), Refusal> {
    let bad = |_| Refusal::Malformed("message_1 is not METHOD, SUITES_I, G_X");
    let mut d = minicbor::Decoder::new(bytes);
    d.i64().map_err(bad)?;
    if d.datatype().map_err(bad)? == minicbor::data::Type::Array {
        let n = d.array().map_err(bad)?.ok_or(Refusal::Malformed("indefinite SUITES_I"))?;
        for _ in 0..n {
            d.i64().map_err(bad)?;
        }
    } else {
        d.i64().map_err(bad)?;
    }
    if !on_curve(d.bytes().map_err(bad)?) {
        return Err(Refusal::Malformed("G_X is not a point on P-256"));
    }
    // C_I: a one-byte integer or a byte string of at most 7 bytes (lakers keeps 8
    // encoded bytes, and panics past them).
    let c_i_ok = match d.datatype().map_err(bad)? {
        minicbor::data::Type::Bytes => d.bytes().is_ok_and(|b| b.len() <= 7),
        _ => d.i64().is_ok_and(|c| (-24..=23).contains(&c)),
    };
    if !c_i_ok {
        return Err(Refusal::Malformed("C_I is not a short connection identifier"));
    }
    Ok(())
}

/// message_2 (§5.3.1) is one byte string that starts with G_Y, a point on the curve.
fn check_message_2(bytes: &[u8]) -> Result<(), Refusal> {
    let body =
        minicbor::Decoder::new(bytes).bytes().map_err(|_| Refusal::Malformed("message_2 is not a byte string"))?;
    if body.len() < 32 || !on_curve(&body[..32]) {
        return Err(Refusal::Malformed("G_Y is not a point on P-256"));
    }
    Ok(())
}

/// Whether `bytes` is exactly one CBOR byte string of 9 to 255 bytes (the shape of
/// message_3 for method 3).
fn is_one_byte_string(bytes: &[u8]) -> bool {
    let body = match bytes {
        [b @ 0x40..=0x57, rest @ ..] if rest.len() == usize::from(b - 0x40) => rest,
        [0x58, n, rest @ ..] if rest.len() == usize::from(*n) => rest,
        _ => return false,
    };
    // At least the AEAD tag (8 bytes), which lakers' backend takes off unchecked.
    body.len() > 8
}

/// The client's end of one handshake.
pub struct Initiator {
    waiting: EdhocInitiatorWaitM2<EdhocCrypto>,
    c_i: u8,
}

impl Initiator {
    /// Starts a handshake as the client with `private_key` and `credential`; returns
    /// the payload of the first POST.
    pub fn start(
        rng: &mut (impl RngCore + CryptoRng),
        private_key: [u8; 32],
        credential: Credential,
        c_i: u8,
    ) -> Result<(Self, Vec<u8>), Refusal> {
        let mut initiator = EdhocInitiator::new(crypto(rng), EDHOCMethod::StatStat, EDHOCSuite::CipherSuite2);
        initiator.set_identity(private_key, credential);
        let (waiting, message_1) = initiator.prepare_message_1(lakers::ConnId::from_slice(&[c_i]), &None)?;
        let mut payload = alloc::vec![MESSAGE_1_PREFIX];
        payload.extend_from_slice(message_1.as_slice());
        Ok((Self { waiting, c_i }, payload))
    }

    /// Takes message_2, checks that it comes from `device` (its credential), and
    /// returns the payload of the second POST and the handshake waiting for its answer.
    pub fn finish(self, message_2: &[u8], device: Credential) -> Result<(Vec<u8>, Confirming), Refusal> {
        check_message_2(message_2)?;
        let (processing, c_r, id_cred_r, _ead_2) = self.waiting.parse_message_2(&buffer(message_2)?)?;
        let device = lakers::credential_check_or_fetch(Some(device), id_cred_r)?;
        let processed = processing.verify_message_2(device)?;
        let (waiting, message_3, _prk_out) = processed.prepare_message_3(CredentialTransfer::ByReference, &None)?;
        let mut payload = c_r.as_cbor().to_vec();
        payload.extend_from_slice(message_3.as_slice());
        let confirming = Confirming { waiting, c_r: c_r.as_slice().to_vec(), c_i: self.c_i };
        Ok((payload, confirming))
    }
}

/// The client's end after message_3, waiting for the device's answer.
pub struct Confirming {
    waiting: EdhocInitiatorWaitM4<EdhocCrypto>,
    c_r: Vec<u8>,
    c_i: u8,
}

impl Confirming {
    /// Takes the answer to message_3, message_4 (or nothing, from a device that sends
    /// none: its first protected answer confirms its keys then), and returns the
    /// context's material from the client's side (Sender ID C_R, Recipient ID C_I).
    pub fn complete(self, message_4: &[u8]) -> Result<OscoreMaterial, Refusal> {
        // (lakers 0.8 gives the two ends of the handshake different types.)
        let (secret, salt) = if message_4.is_empty() {
            let mut done = self.waiting.completed_without_message_4()?;
            (done.edhoc_exporter(0, &[], 16), done.edhoc_exporter(1, &[], 8))
        } else {
            let (mut done, _ead_4) = self.waiting.process_message_4(&buffer(message_4)?)?;
            (done.edhoc_exporter(0, &[], 16), done.edhoc_exporter(1, &[], 8))
        };
        Ok(OscoreMaterial {
            master_secret: secret[..16].try_into().map_err(|_| Refusal::Malformed("exporter"))?,
            master_salt: salt[..8].try_into().map_err(|_| Refusal::Malformed("exporter"))?,
            sender_id: self.c_r,
            recipient_id: alloc::vec![self.c_i],
            client_kid: Vec::new(),
        })
    }
}
