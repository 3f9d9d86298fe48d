//! `POST /.well-known/edhoc`: EDHOC handshakes (RFC 9528) with the clients this
//! firmware was built to accept (`auth`, lakers). Each one that completes makes an
//! OSCORE security context (RFC 8613, libOSCORE), which requests then name by its key
//! id.
//!
//! The handshake's ephemeral keys come from a ChaCha20 generator seeded with SHA-256
//! of the device's secret key, the boot count kept across resets and the core clock at
//! the first handshake: distinct on every boot of a device. Neither QEMU board models
//! a hardware random number generator; on a chip with one it belongs in the seed too.
use alloc::vec::Vec;

use coap_lite::ResponseType;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::{text, Answer};

include!(concat!(env!("OUT_DIR"), "/edhoc_identities.rs"));

pub type DeviceResponder = auth::Responder<ChaCha20Rng>;

/// The device's end of EDHOC, made at the first handshake.
fn responder() -> Option<DeviceResponder> {
    let credential = auth::ccs::parse(EDHOC_DEVICE_CCS).ok()?;
    let clients: Vec<auth::Credential> = EDHOC_CLIENTS.iter().filter_map(|c| auth::ccs::parse(c).ok()).collect();
    let mut seed_input = Vec::with_capacity(64);
    seed_input.extend_from_slice(b"mbpf edhoc rng");
    seed_input.extend_from_slice(&EDHOC_DEVICE_KEY);
    let boots = crate::runtime::slots::BOOT_COUNT.load(core::sync::atomic::Ordering::Relaxed);
    seed_input.extend_from_slice(&boots.to_le_bytes());
    seed_input.extend_from_slice(&crate::time_driver::core_clock_counts().to_le_bytes());
    let rng = ChaCha20Rng::from_seed(suit::sha256(&seed_input));
    Some(auth::Responder::new(rng, EDHOC_DEVICE_KEY, credential, clients))
}

/// The device's EDHOC end and the OSCORE contexts its handshakes made (newest last).
#[derive(Default)]
pub struct Security {
    responder: Option<DeviceResponder>,
    contexts: Vec<auth::oscore::SecurityContext>,
}

impl Security {
    /// Takes out the context a protected request names, while the request is served.
    pub fn take(&mut self, kid: &[u8]) -> Option<auth::oscore::SecurityContext> {
        let at = self.contexts.iter().position(|c| c.recipient_id() == kid)?;
        Some(self.contexts.remove(at))
    }

    pub fn put_back(&mut self, context: auth::oscore::SecurityContext) {
        self.contexts.push(context);
    }
}

pub fn handle(security: &mut Security, payload: &[u8]) -> Answer {
    if security.responder.is_none() {
        security.responder = responder();
    }
    let Some(responder) = security.responder.as_mut() else {
        return (ResponseType::InternalServerError, text("this firmware's EDHOC credential does not parse"));
    };
    let t0 = crate::time_driver::core_clock_counts();
    let message_1 = auth::edhoc::is_message_1(payload);
    let outcome = responder.handle(payload);
    // What each step costs the device, in guest instructions under QEMU's -icount.
    let insns = (crate::time_driver::core_clock_counts() - t0) * u64::from(crate::board::INSNS_PER_COUNT);
    match outcome {
        Ok(message_2) if message_1 => {
            crate::println!("edhoc: message_2 made in {insns} instructions");
            (ResponseType::Changed, Some((auth::CONTENT_FORMAT_EDHOC, message_2)))
        }
        Ok(message_4) => {
            let Some(context) = responder.contexts().last().map(auth::oscore::SecurityContext::new) else {
                return (ResponseType::InternalServerError, text("no context after a handshake"));
            };
            let context = match context {
                Ok(c) => c,
                Err(e) => return (ResponseType::InternalServerError, Some((0, alloc::format!("{e}").into_bytes()))),
            };
            // A new context replaces one with its recipient id; the oldest goes past the limit.
            security.contexts.retain(|c| c.recipient_id() != context.recipient_id());
            if security.contexts.len() == auth::edhoc::MAX_CONTEXTS {
                security.contexts.remove(0);
            }
            security.contexts.push(context);
            let n = security.contexts.len();
            crate::println!(
                "edhoc: message_3 verified and message_4 made in {insns} instructions; a client authenticated ({n} contexts)"
            );
            (ResponseType::Changed, Some((auth::CONTENT_FORMAT_EDHOC, message_4)))
        }
        Err(e @ auth::Refusal::UnknownCredential) => {
            (ResponseType::Unauthorized, Some((0, alloc::format!("{e}").into_bytes())))
        }
        Err(e @ auth::Refusal::UnknownConnection) => {
            (ResponseType::NotFound, Some((0, alloc::format!("{e}").into_bytes())))
        }
        Err(e) => (ResponseType::BadRequest, Some((0, alloc::format!("{e}").into_bytes()))),
    }
}
