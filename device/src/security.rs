//! `POST /.well-known/edhoc`: EDHOC handshakes (RFC 9528) with the clients this
//! device was built to accept (`auth`, lakers). Each one that completes makes an
//! OSCORE security context (RFC 8613, libOSCORE), which requests then name by its key
//! id; [`crate::server`] unprotects each protected request in its context.
//!
//! The handshake's ephemeral keys come from a ChaCha20 generator seeded with SHA-256
//! of the device's secret key, the boot count kept across resets and the core clock at
//! the first handshake: distinct on every boot of a device. Neither QEMU board models
//! a hardware random number generator; on a chip with one it belongs in the seed too.
use alloc::vec::Vec;

use coap_lite::ResponseType;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::api::{text, Answer};
use crate::{log, Config, Platform};

pub type DeviceResponder = auth::Responder<ChaCha20Rng>;

/// The device's end of EDHOC, made at the first handshake.
fn responder(config: &Config, boot_count: u32, now: u64) -> Option<DeviceResponder> {
    let credential = auth::ccs::parse(config.edhoc_credential).ok()?;
    let clients: Vec<auth::Credential> = config.edhoc_clients.iter().filter_map(|c| auth::ccs::parse(c).ok()).collect();
    let mut seed_input = Vec::with_capacity(64);
    seed_input.extend_from_slice(b"mbpf edhoc rng");
    seed_input.extend_from_slice(&config.edhoc_key);
    seed_input.extend_from_slice(&boot_count.to_le_bytes());
    seed_input.extend_from_slice(&now.to_le_bytes());
    let rng = ChaCha20Rng::from_seed(suit::sha256(&seed_input));
    Some(auth::Responder::new(rng, config.edhoc_key, credential, clients))
}

/// The device's EDHOC end and the OSCORE contexts its handshakes made (newest last).
#[derive(Default)]
pub struct Security {
    responder: Option<DeviceResponder>,
    contexts: Vec<auth::oscore::SecurityContext>,
    /// Whether OSCORE's cost has been written to the console (once per boot).
    pub(crate) cost_shown: bool,
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

    /// The security contexts in use.
    pub fn context_count(&self) -> usize {
        self.contexts.len()
    }
}

/// One EDHOC message from a client, answered.
pub fn handle<P: Platform>(
    security: &mut Security,
    platform: &P,
    config: &Config,
    boot_count: u32,
    payload: &[u8],
) -> Answer {
    if security.responder.is_none() {
        security.responder = responder(config, boot_count, platform.now());
    }
    let Some(responder) = security.responder.as_mut() else {
        return (ResponseType::InternalServerError, text("this device's EDHOC credential does not parse"));
    };
    let t0 = platform.now();
    let message_1 = auth::edhoc::is_message_1(payload);
    let outcome = responder.handle(payload);
    // What each step costs the device, in guest instructions under QEMU's -icount.
    let insns = (platform.now() - t0) * u64::from(P::INSNS_PER_COUNT);
    match outcome {
        Ok(message_2) if message_1 => {
            log!(platform, "edhoc: message_2 made in {insns} instructions");
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
            log!(
                platform,
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
