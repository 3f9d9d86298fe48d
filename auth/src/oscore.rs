//! OSCORE (RFC 8613) on CoAP datagrams: libOSCORE protects and unprotects messages
//! in place; this module turns coap-lite packets into the message views it works on
//! and back, for both ends.
use alloc::vec::Vec;

use coap_lite::{CoapOption, MessageClass, Packet};
use coap_message::{MessageOption, MinimalWritableMessage, ReadableMessage};
use coap_message_implementations::inmemory_write::Message;
use liboscore::{AeadAlg, HkdfAlg, PrimitiveContext, PrimitiveImmutables};

use crate::OscoreMaterial;

/// The OSCORE option number.
pub const OPTION_OSCORE: u16 = 9;
/// COSE algorithms of the context EDHOC's suite 2 gives: AES-CCM-16-64-128, and HKDF
/// with SHA-256 (libOSCORE names it by its HMAC, 5: HMAC 256/256).
const AEAD_AES_CCM_16_64_128: i32 = 10;
const HKDF_SHA_256: i32 = 5;
/// The largest datagram protected or unprotected.
pub const MAX_MESSAGE: usize = 1400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OscoreError {
    #[error("OSCORE: the algorithms are not built in")]
    Algorithm,
    #[error("OSCORE: a sender or recipient id is too long")]
    Id,
    #[error("OSCORE: the message is not a CoAP message")]
    Malformed,
    #[error("OSCORE: no OSCORE option")]
    NotProtected,
    #[error("OSCORE: no security context for this key id")]
    UnknownContext,
    #[error("OSCORE: the message does not decrypt, or replays an earlier one")]
    Unprotect,
    #[error("OSCORE: protecting the message failed")]
    Protect,
    #[error("OSCORE: the message is too large to protect (at most {} bytes before protection)", MAX_PROTECTED - PROTECTION_OVERHEAD)]
    TooLarge,
    #[error("OSCORE: option {0} cannot be protected (libOSCORE does not class it)")]
    UnsupportedOption(u16),
}

/// The largest protected datagram made: the largest the device takes.
pub const MAX_PROTECTED: usize = proto::coap::MAX_MESSAGE;

/// Room protection takes beyond the plaintext message: the AEAD tag (8 bytes), the
/// code moved inside (1), and the OSCORE option (its header, flags, a partial IV of up
/// to 5 bytes, a key id of up to 15).
const PROTECTION_OVERHEAD: usize = 32;

/// The options libOSCORE 0.2 knows how to protect (RFC 8613 §4.1: class E, class U,
/// and Observe, which it handles itself); it refuses any other, and then panics.
const PROTECTABLE_OPTIONS: &[u16] = &[1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 39, 60, 252, 258];

/// Refuses a message libOSCORE 0.2 would panic on: one that would not fit
/// [`MAX_PROTECTED`] once protected (the tag no longer fits its buffer), or one with an
/// option it cannot class (a failed write leaves its message unfinishable). The fuzz
/// target `device_requests` found both.
fn check_fits(packet: &Packet) -> Result<(), OscoreError> {
    if let Some((&number, _)) = packet.options().find(|(n, _)| !PROTECTABLE_OPTIONS.contains(*n)) {
        return Err(OscoreError::UnsupportedOption(number));
    }
    let len = packet.to_bytes_with_limit(MAX_MESSAGE).map_err(|_| OscoreError::TooLarge)?.len();
    if len + PROTECTION_OVERHEAD > MAX_PROTECTED {
        return Err(OscoreError::TooLarge);
    }
    Ok(())
}

/// One security context, and what identifies its client.
pub struct SecurityContext {
    context: PrimitiveContext,
    pub client_kid: Vec<u8>,
}

// SAFETY: libOSCORE's context holds raw pointers into itself only, and the bindings
// set them afresh (`PrimitiveContext::as_mut`) before every use; a SecurityContext is
// owned, never shared, so moving it to another thread moves all of it.
#[allow(unsafe_code)]
unsafe impl Send for SecurityContext {}

impl SecurityContext {
    /// The context of the material EDHOC exported.
    pub fn new(m: &OscoreMaterial) -> Result<Self, OscoreError> {
        let hkdf = HkdfAlg::from_number(HKDF_SHA_256).map_err(|_| OscoreError::Algorithm)?;
        let aead = AeadAlg::from_number(AEAD_AES_CCM_16_64_128).map_err(|_| OscoreError::Algorithm)?;
        let immutables = PrimitiveImmutables::derive(
            hkdf,
            &m.master_secret,
            &m.master_salt,
            None,
            aead,
            &m.sender_id,
            &m.recipient_id,
        )
        .map_err(|_| OscoreError::Id)?;
        Ok(Self { context: PrimitiveContext::new_from_fresh_material(immutables), client_kid: m.client_kid.clone() })
    }

    pub fn recipient_id(&self) -> &[u8] {
        self.context.recipient_id()
    }
}

/// The request id a response is protected against.
pub struct Correlation(liboscore::raw::oscore_requestid_t);

impl core::fmt::Debug for Correlation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Correlation")
    }
}

/// The key id an OSCORE request names (its recipient on the device), if it has one.
pub fn request_kid(packet: &Packet) -> Option<Vec<u8>> {
    let value = packet.get_option(CoapOption::Oscore)?.front()?.clone();
    liboscore::OscoreOption::parse(&value).ok()?.kid().map(<[u8]>::to_vec)
}

/// The options, code and payload of `packet` as a message tail (RFC 7252 §3 after the
/// token), the form libOSCORE works on.
fn tail(packet: &Packet) -> Result<Vec<u8>, OscoreError> {
    let bytes = packet.to_bytes_with_limit(MAX_MESSAGE).map_err(|_| OscoreError::Malformed)?;
    let start = 4 + packet.get_token().len();
    bytes.get(start..).map(<[u8]>::to_vec).ok_or(OscoreError::Malformed)
}

/// What unprotecting a message starts from: its OSCORE option's value (after the
/// options are checked), its code, the bytes after its token, and the packet its
/// plaintext is read into (its header and token, no options yet).
fn opened(packet: &Packet) -> Result<(Vec<u8>, u8, Vec<u8>, Packet), OscoreError> {
    check_options(packet)?;
    let option = packet.get_option(CoapOption::Oscore).and_then(|v| v.front()).ok_or(OscoreError::NotProtected)?;
    let mut inner = packet.clone();
    inner.clear_all_options();
    Ok((option.clone(), packet.header.code.into(), tail(packet)?, inner))
}

/// A packet with `outer`'s header and token and the code and tail libOSCORE wrote.
fn rebuild(outer: &Packet, code: u8, tail: &[u8]) -> Result<Packet, OscoreError> {
    let mut bytes = Vec::with_capacity(4 + outer.get_token().len() + tail.len());
    let header = outer.to_bytes_unlimited().map_err(|_| OscoreError::Malformed)?;
    bytes.extend_from_slice(&header[..4 + outer.get_token().len()]);
    bytes[1] = code;
    bytes.extend_from_slice(tail);
    Packet::from_bytes(&bytes).map_err(|_| OscoreError::Malformed)
}

/// The most options a message may carry: libOSCORE's option iterator never ends on
/// some malformed messages (the fuzz target `oscore_unprotect` found one with an outer
/// option numbered 0), so reading stops here.
const MAX_OPTIONS: usize = 64;

/// Copies a readable message's code, options and payload onto `packet`.
fn read_into(message: &impl ReadableMessage, packet: &mut Packet) -> Result<(), OscoreError> {
    packet.header.code = MessageClass::from(message.code().into());
    for (i, option) in message.options().enumerate() {
        if i == MAX_OPTIONS {
            return Err(OscoreError::Malformed);
        }
        packet.add_option(CoapOption::from(option.number()), option.value().to_vec());
    }
    packet.payload = message.payload().to_vec();
    Ok(())
}

/// RFC 7252 §12.2 reserves option number 0; no message carries it.
fn check_options(packet: &Packet) -> Result<(), OscoreError> {
    if packet.options().any(|(n, _)| *n == 0) || packet.options().map(|(_, v)| v.len()).sum::<usize>() > MAX_OPTIONS {
        return Err(OscoreError::Malformed);
    }
    Ok(())
}

/// Writes `packet`'s code, options (in order) and payload into a protected message.
fn write_from(packet: &Packet, message: &mut impl MinimalWritableMessage) -> Result<(), OscoreError> {
    let code: u8 = packet.header.code.into();
    message.set_code(code.try_into().map_err(|_| OscoreError::Protect)?);
    // coap-lite keeps a packet's options by number (a B-tree): they come in order.
    for (&number, value) in packet.options().flat_map(|(n, values)| values.iter().map(move |v| (n, v))) {
        let number = number.try_into().map_err(|_| OscoreError::Protect)?;
        message.add_option(number, value).map_err(|_| OscoreError::Protect)?;
    }
    message.set_payload(&packet.payload).map_err(|_| OscoreError::Protect)
}

/// The device's side: the request inside a protected one, and what its answer must be
/// protected against. Checks the replay window (RFC 8613 §7.4).
pub fn unprotect_request(ctx: &mut SecurityContext, request: &Packet) -> Result<(Packet, Correlation), OscoreError> {
    let (option, mut code, mut tail, mut inner) = opened(request)?;
    let parsed = liboscore::OscoreOption::parse(&option).map_err(|_| OscoreError::Malformed)?;
    let mut message = Message::new_from_existing(&mut code, &mut tail);
    let (correlation, read) = liboscore::unprotect_request(&mut message, parsed, &mut ctx.context, |plaintext| {
        read_into(plaintext, &mut inner)
    })
    .map_err(|_| OscoreError::Unprotect)?;
    read?;
    Ok((inner, Correlation(correlation)))
}

/// The device's side: `response` protected against the request it answers.
pub fn protect_response(
    ctx: &mut SecurityContext,
    response: &Packet,
    correlation: &mut Correlation,
) -> Result<Packet, OscoreError> {
    check_fits(response)?;
    let mut code = 0u8;
    let mut tail = alloc::vec![0u8; MAX_MESSAGE];
    let mut message = Message::new(&mut code, &mut tail);
    liboscore::protect_response(&mut message, &mut ctx.context, &mut correlation.0, |m| write_from(response, m))
        .map_err(|_| OscoreError::Protect)??;
    let n = message.finish();
    rebuild(response, code, &tail[..n])
}

/// The client's side: `request` protected; keep the correlation for its answer.
pub fn protect_request(ctx: &mut SecurityContext, request: &Packet) -> Result<(Packet, Correlation), OscoreError> {
    check_fits(request)?;
    let mut code = 0u8;
    let mut tail = alloc::vec![0u8; MAX_MESSAGE];
    let mut message = Message::new(&mut code, &mut tail);
    let (correlation, written) = liboscore::protect_request(&mut message, &mut ctx.context, |m| write_from(request, m))
        .map_err(|_| OscoreError::Protect)?;
    written?;
    let n = message.finish();
    Ok((rebuild(request, code, &tail[..n])?, Correlation(correlation)))
}

/// The client's side: the answer inside a protected response.
pub fn unprotect_response(
    ctx: &mut SecurityContext,
    response: &Packet,
    correlation: &mut Correlation,
) -> Result<Packet, OscoreError> {
    let (option, mut code, mut tail, mut inner) = opened(response)?;
    let parsed = liboscore::OscoreOption::parse(&option).map_err(|_| OscoreError::Malformed)?;
    let mut message = Message::new_from_existing(&mut code, &mut tail);
    liboscore::unprotect_response(&mut message, &mut ctx.context, parsed, &mut correlation.0, |plaintext| {
        read_into(plaintext, &mut inner)
    })
    .map_err(|_| OscoreError::Unprotect)??;
    Ok(inner)
}
