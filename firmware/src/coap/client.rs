//! The device's CoAP client: blockwise GET (RFC 7959 Block2) of a file from the host's
//! file server, with the standard confirmable retransmissions, over the board's
//! [`Uplink`] (straight to the server, or forwarded by the host's end of a serial line).
use alloc::vec;
use alloc::vec::Vec;

use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use embassy_time::{with_timeout, Duration};
use proto::coap::block::{Block, BlockError, Next, Reassembly, SZX_1024};
use proto::coap::proxy::{self, CoapUri};
use proto::coap::request::{answers, Request};
use proto::coap::retransmit::{Params, Schedule};

pub use device::FetchError;

use crate::link::Uplink;

/// Retransmission on the device: a quicker first wait than RFC 7252's 2 s, since the
/// file server is one hop away.
const RETRANSMIT: Params = Params { ack_timeout: core::time::Duration::from_millis(1000), max_retransmit: 4 };
/// A block whose exchange timed out is asked for again, as a new request, this
/// many times in all: a lossy link costs time, not the whole pull.
const BLOCK_ATTEMPTS: u32 = 3;

/// Fetches a whole file over `uplink`, refusing anything longer than `max` bytes: an
/// I/O loop over `proto::coap` (requests, matching, retransmission, Block2 reassembly).
pub async fn fetch<U: Uplink>(uplink: &mut U, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    let target = CoapUri::parse(uri).map_err(|_| FetchError::BadUri)?;
    let mut answer = Reassembly::new(max);
    let mut message = vec![0u8; proto::coap::MAX_MESSAGE];
    let mut mid = (embassy_time::Instant::now().as_ticks() as u16).wrapping_mul(40503);
    let token = mid.to_be_bytes();
    let mut block2 = Block { num: 0, more: false, szx: SZX_1024 };
    loop {
        let request = Request { method: RequestType::Get, path: target.path, payload: &[], block2: Some(block2) };
        let mut attempt = 0;
        let reply = loop {
            mid = mid.wrapping_add(1);
            attempt += 1;
            let mut packet = request.to_packet(mid, &token);
            if U::FORWARDED {
                proxy::to_proxy(&mut packet, uri);
            }
            let bytes = packet.to_bytes().map_err(|_| FetchError::BadUri)?;
            match exchange(uplink, &bytes, mid, &token, &mut message).await {
                Err(FetchError::Timeout) if attempt < BLOCK_ATTEMPTS => continue,
                other => break other?,
            }
        };
        match reply.header.code {
            MessageClass::Response(ResponseType::Content) => {}
            MessageClass::Response(code) => {
                let raw: u8 = MessageClass::Response(code).into();
                return Err(FetchError::Status(raw >> 5, raw & 0x1f));
            }
            _ => return Err(FetchError::Malformed),
        }
        match answer.push(&reply.payload, Block::of(&reply)) {
            Ok(Next::Block(b)) => block2 = b,
            Ok(Next::Done) => return Ok(answer.into_body()),
            Err(BlockError::TooLarge) => return Err(FetchError::TooLarge),
            Err(_) => return Err(FetchError::Malformed),
        }
    }
}

/// Sends a confirmable request and waits for its piggybacked answer, retransmitting
/// on the schedule of [`RETRANSMIT`].
async fn exchange<U: Uplink>(
    uplink: &mut U,
    bytes: &[u8],
    mid: u16,
    token: &[u8],
    buf: &mut [u8],
) -> Result<Packet, FetchError> {
    let mut schedule = Schedule::new(RETRANSMIT);
    loop {
        uplink.send(bytes).await?;
        let deadline = embassy_time::Instant::now() + Duration::from_millis(schedule.timeout().as_millis() as u64);
        loop {
            let now = embassy_time::Instant::now();
            if now >= deadline {
                break;
            }
            match with_timeout(deadline - now, uplink.recv(buf)).await {
                Ok(n) => {
                    if let Ok(p) = Packet::from_bytes(&buf[..n]) {
                        if answers(&p, mid, token) {
                            return Ok(p);
                        }
                    }
                }
                Err(_) => break,
            }
        }
        if !schedule.expired() {
            return Err(FetchError::Timeout);
        }
    }
}
