//! The CoAP server (RFC 7252): one datagram in, the datagram to send back out, and
//! the caches that make that right for retransmissions and large answers. The board's
//! receive loop (firmware `coap::server`) moves datagrams over its link.
//!
//! One request is handled at a time: parse with coap-lite, route ([`crate::api`]),
//! answer with a piggybacked ACK for confirmable requests and a NON for
//! non-confirmable ones. Malformed datagrams are dropped (RFC 7252 §4.2). A
//! retransmitted request gets the answer already made ([`Recent`]); an answer larger
//! than a block goes out block by block from [`Blocks`] (RFC 7959). An
//! OSCORE-protected request is served inside its security context ([`crate::security`]).
use alloc::vec::Vec;

use coap_lite::{MessageClass, Packet, ResponseType};
use proto::coap::block::{self, Block};

use crate::api::{text, Answer, Ctx};
use crate::security::Security;
use crate::slots::Slots;
use crate::{log, Config, Platform};

pub use proto::coap::MAX_MESSAGE;

/// The device's request handling: its state, and the platform under it. `Peer` is
/// whatever the link names senders by (a UDP endpoint, or `()` on a serial line).
pub struct Device<P: Platform, Peer> {
    pub ctx: Ctx<P>,
    recent: Recent<Peer>,
    blocks: Blocks<Peer>,
}

impl<P: Platform, Peer: Copy + PartialEq> Device<P, Peer> {
    /// The device as the last boot left it (slots and sequence numbers restored from
    /// the platform's persistent area).
    pub fn boot(mut platform: P, config: &'static Config) -> Self {
        let slots = Slots::restore(&mut platform);
        Self {
            ctx: Ctx { platform, slots, security: Security::default(), config },
            recent: Recent::new(),
            blocks: Blocks::new(),
        }
    }

    pub fn platform(&mut self) -> &mut P {
        &mut self.ctx.platform
    }

    /// The answer to one datagram from `from`, if it gets one. A retransmission of a
    /// request already handled is answered again without running it twice (RFC 7252
    /// §4.5).
    pub async fn handle(&mut self, bytes: &[u8], from: Peer) -> Option<Vec<u8>> {
        if let Some(reset) = proto::coap::pong(bytes) {
            return Some(reset.to_vec());
        }
        let mid = message_id(bytes);
        if let Some(reply) = mid.and_then(|mid| self.recent.get(from, mid)) {
            return Some(reply.to_vec());
        }
        let reply = handle_message(bytes, from, &mut self.ctx, &mut self.blocks).await?;
        if let Some(mid) = mid {
            self.recent.put(from, mid, reply.clone());
        }
        Some(reply)
    }
}

/// The message id of a datagram whose header is readable.
fn message_id(bytes: &[u8]) -> Option<u16> {
    (bytes.len() >= 4).then(|| u16::from_be_bytes([bytes[2], bytes[3]]))
}

/// The replies to the last few requests, by sender and message id, so that a
/// retransmitted request gets the same answer. A sender is whatever the link names
/// peers by (`P`: a UDP endpoint, or `()` on a serial line).
struct Recent<P> {
    entries: heapless::Deque<(P, u16, Vec<u8>), 8>,
}

impl<P: Copy + PartialEq> Recent<P> {
    fn new() -> Self {
        Self { entries: heapless::Deque::new() }
    }

    fn get(&self, from: P, mid: u16) -> Option<&[u8]> {
        self.entries.iter().find(|(e, m, _)| *e == from && *m == mid).map(|(_, _, r)| r.as_slice())
    }

    fn put(&mut self, from: P, mid: u16, reply: Vec<u8>) {
        if self.entries.is_full() {
            self.entries.pop_front();
        }
        let _ = self.entries.push_back((from, mid, reply));
    }
}

/// The last large answer per sender and path, served block by block (RFC 7959 Block2).
/// A request for block N > 0 of a cached answer is answered from here, so a POST is
/// not executed again for its later blocks.
struct Blocks<P> {
    entries: Vec<CachedAnswer<P>>,
}

/// One large answer: to whom, for which path, its code, content format and body.
struct CachedAnswer<P> {
    to: P,
    path: Vec<u8>,
    code: u8,
    format: u16,
    body: Vec<u8>,
}

impl<P: Copy + PartialEq> Blocks<P> {
    /// Answers kept at once.
    const CAPACITY: usize = 2;

    fn new() -> Self {
        Self { entries: Vec::new() }
    }

    fn get(&self, from: P, path: &[u8]) -> Option<(u8, u16, &[u8])> {
        self.entries.iter().find(|a| a.to == from && a.path == path).map(|a| (a.code, a.format, a.body.as_slice()))
    }

    fn put(&mut self, to: P, path: Vec<u8>, code: u8, format: u16, body: Vec<u8>) {
        if let Some(i) = self.entries.iter().position(|a| a.to == to && a.path == path) {
            self.entries.remove(i);
        } else if self.entries.len() >= Self::CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push(CachedAnswer { to, path, code, format, body });
    }
}

const BLOCK_SZX: u8 = block::SZX_1024;

/// Turns one message from `from` into the message to send back, if any; nothing here
/// depends on the link the message came over. An OSCORE-protected request is served
/// inside its security context and answered protected; one that does not unprotect
/// (no such context, a wrong key, a replay) gets an unprotected 4.01 (RFC 8613 §8.2).
async fn handle_message<P: Platform, Peer: Copy + PartialEq>(
    bytes: &[u8],
    from: Peer,
    ctx: &mut Ctx<P>,
    blocks: &mut Blocks<Peer>,
) -> Option<Vec<u8>> {
    let request = Packet::from_bytes(bytes).ok()?;
    if request.get_option(coap_lite::CoapOption::Oscore).is_none() {
        return answer(request, from, ctx, blocks, false).await?.to_bytes().ok();
    }
    let refuse = |why: &str| {
        let mut reply = proto::coap::reply_to(&request)?;
        reply.header.code = MessageClass::Response(ResponseType::Unauthorized);
        reply.payload = why.as_bytes().to_vec();
        reply.to_bytes().ok()
    };
    let kid = auth::oscore::request_kid(&request).unwrap_or_default();
    let Some(mut security) = ctx.security.take(&kid) else {
        return refuse("no OSCORE security context for this key id");
    };
    let t0 = ctx.platform.now();
    let unprotected = auth::oscore::unprotect_request(&mut security, &request);
    let t1 = ctx.platform.now();
    let reply = match unprotected {
        Ok((inner, mut correlation)) => match answer(inner, from, ctx, blocks, true).await {
            Some(reply) => {
                let t2 = ctx.platform.now();
                let protected = auth::oscore::protect_response(&mut security, &reply, &mut correlation);
                let t3 = ctx.platform.now();
                // The cost of OSCORE itself, once per boot, in guest instructions under -icount.
                if !ctx.security.cost_shown {
                    ctx.security.cost_shown = true;
                    let insns = |counts: u64| counts * u64::from(P::INSNS_PER_COUNT);
                    log!(
                        &ctx.platform,
                        "oscore: unprotect {} and protect {} instructions",
                        insns(t1 - t0),
                        insns(t3 - t2)
                    );
                }
                protected.ok().and_then(|p| p.to_bytes().ok())
            }
            None => None,
        },
        Err(e) => refuse(&alloc::format!("{e}")),
    };
    ctx.security.put_back(security);
    reply
}

/// The answer to a request: an unprotected one, or the inside of a protected one
/// (`protected`). Unprotected, only the open paths (`proto::paths::OPEN`) are served.
async fn answer<P: Platform, Peer: Copy + PartialEq>(
    request: Packet,
    from: Peer,
    ctx: &mut Ctx<P>,
    blocks: &mut Blocks<Peer>,
    protected: bool,
) -> Option<Packet> {
    let mut reply = proto::coap::reply_to(&request)?;
    let MessageClass::Request(method) = request.header.code else {
        return None;
    };
    let path = proto::coap::uri_path(&request);
    let (code, body): Answer = match Block::of(&request) {
        _ if !protected && !proto::paths::is_open(&path) => {
            (ResponseType::Unauthorized, text("this resource needs OSCORE: run EDHOC at /.well-known/edhoc"))
        }
        Some(None) => (ResponseType::BadOption, None),
        // A later block of an answer already made: from the cache.
        Some(Some(b)) if b.num > 0 => match blocks.get(from, path.as_bytes()) {
            Some((code, format, cached)) => match block::slice(cached, Some(b), BLOCK_SZX) {
                Ok((payload, option)) => {
                    option.unwrap_or(b).add_to(&mut reply);
                    let code = match MessageClass::from(code) {
                        MessageClass::Response(c) => c,
                        _ => ResponseType::Content,
                    };
                    (code, Some((format, payload.to_vec())))
                }
                Err(_) => (ResponseType::BadOption, None),
            },
            None => (ResponseType::RequestEntityIncomplete, text("no answer to continue; ask for block 0 first")),
        },
        _ => crate::api::route(method, &path, &request.payload, ctx).await,
    };
    // An answer larger than a block goes out as block 0 and is kept for the rest.
    let (code, body) = match body {
        Some((format, payload)) if reply.get_option(coap_lite::CoapOption::Block2).is_none() => {
            match block::slice(&payload, None, BLOCK_SZX) {
                Ok((first, Some(option))) => {
                    let first = first.to_vec();
                    option.add_to(&mut reply);
                    let raw: u8 = MessageClass::Response(code).into();
                    blocks.put(from, path.into_bytes(), raw, format, payload);
                    (code, Some((format, first)))
                }
                _ => (code, Some((format, payload))),
            }
        }
        other => (code, other),
    };
    reply.header.code = MessageClass::Response(code);
    if let Some((format, payload)) = body {
        // A CoAP uint: big-endian without leading zero bytes (0 is empty).
        let be = format.to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        reply.add_option(coap_lite::CoapOption::ContentFormat, be[skip..].to_vec());
        reply.payload = payload;
    }
    Some(reply)
}
