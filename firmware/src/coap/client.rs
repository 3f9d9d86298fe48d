//! The device's CoAP client: blockwise GET (RFC 7959 Block2) of a file from the host's
//! file server, with the standard confirmable retransmissions.
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpEndpoint, Stack};
use embassy_time::{with_timeout, Duration};
use proto::coap::block::{Block, BlockError, Next, Reassembly, SZX_1024};
use proto::coap::request::{answers, Request};
use proto::coap::retransmit::{Params, Schedule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    BadUri,
    Timeout,
    /// The server answered with an error code (its class and detail).
    Status(u8, u8),
    TooLarge,
    Malformed,
    Socket,
}

impl FetchError {
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::BadUri => "bad URI (want coap://ADDRESS:PORT/PATH)",
            FetchError::Timeout => "the file server did not answer",
            FetchError::Status(..) => "the file server refused the request",
            FetchError::TooLarge => "the file is larger than allowed",
            FetchError::Malformed => "malformed answer from the file server",
            FetchError::Socket => "no socket available",
        }
    }
}

/// A parsed `coap://host:port/path` with a literal IPv4 or IPv6 address.
pub struct Uri<'a> {
    pub endpoint: IpEndpoint,
    pub path: &'a str,
}

pub fn parse_uri(uri: &str) -> Result<Uri<'_>, FetchError> {
    let rest = uri.strip_prefix("coap://").ok_or(FetchError::BadUri)?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, p) = v6.split_once(']').ok_or(FetchError::BadUri)?;
        (h, p.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| FetchError::BadUri)?,
        None => proto::COAP_PORT,
    };
    let addr: IpAddr = if let Ok(v4) = host.parse::<Ipv4Addr>() {
        IpAddr::V4(v4)
    } else {
        IpAddr::V6(host.parse::<Ipv6Addr>().map_err(|_| FetchError::BadUri)?)
    };
    Ok(Uri { endpoint: IpEndpoint::new(addr.into(), port), path })
}

/// Retransmission on the device: a quicker first wait than RFC 7252's 2 s, since the
/// file server is one hop away.
const RETRANSMIT: Params = Params { ack_timeout: core::time::Duration::from_millis(1000), max_retransmit: 4 };
/// A block whose exchange timed out is asked for again, as a new request, this
/// many times in all: a lossy link costs time, not the whole pull.
const BLOCK_ATTEMPTS: u32 = 3;

/// Fetches a whole file, refusing anything longer than `max` bytes: an I/O loop over
/// `proto::coap` (requests, matching, retransmission, Block2 reassembly).
pub async fn get(stack: Stack<'static>, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    let uri = parse_uri(uri)?;
    let mut rx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx_buf = vec![0u8; 1500];
    let mut tx_buf = vec![0u8; 600];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    socket.bind(0).map_err(|_| FetchError::Socket)?;
    let mut answer = Reassembly::new(max);
    let mut datagram = vec![0u8; 1500];
    let mut mid = (embassy_time::Instant::now().as_ticks() as u16).wrapping_mul(40503);
    let token = mid.to_be_bytes();
    let mut block2 = Block { num: 0, more: false, szx: SZX_1024 };
    loop {
        let request = Request { method: RequestType::Get, path: uri.path, payload: &[], block2: Some(block2) };
        let mut attempt = 0;
        let reply = loop {
            mid = mid.wrapping_add(1);
            attempt += 1;
            let bytes = request.to_packet(mid, &token).to_bytes().map_err(|_| FetchError::BadUri)?;
            match exchange(&mut socket, &bytes, uri.endpoint, mid, &token, &mut datagram).await {
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
async fn exchange(
    socket: &mut UdpSocket<'_>,
    bytes: &[u8],
    to: IpEndpoint,
    mid: u16,
    token: &[u8],
    buf: &mut [u8],
) -> Result<Packet, FetchError> {
    let mut schedule = Schedule::new(RETRANSMIT);
    loop {
        socket.send_to(bytes, to).await.map_err(|_| FetchError::Socket)?;
        let deadline = embassy_time::Instant::now() + Duration::from_millis(schedule.timeout().as_millis() as u64);
        loop {
            let now = embassy_time::Instant::now();
            if now >= deadline {
                break;
            }
            match with_timeout(deadline - now, socket.recv_from(buf)).await {
                Ok(Ok((n, meta))) if meta.endpoint == to => {
                    if let Ok(p) = Packet::from_bytes(&buf[..n]) {
                        if answers(&p, mid, token) {
                            return Ok(p);
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if !schedule.expired() {
            return Err(FetchError::Timeout);
        }
    }
}
