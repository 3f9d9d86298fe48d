//! The device's CoAP client: blockwise GET (RFC 7959 Block2) of a file from the host's
//! file server, with the standard confirmable retransmissions.
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{IpEndpoint, Stack};
use embassy_time::{with_timeout, Duration};
use proto::block::{Block, SZX_1024};

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

const ACK_TIMEOUT_MS: u64 = 1000;
const MAX_RETRANSMIT: u32 = 4;
/// A block whose exchange timed out is asked for again, as a new request, this
/// many times in all: a lossy link costs time, not the whole pull.
const BLOCK_ATTEMPTS: u32 = 3;

/// Fetches a whole file, refusing anything longer than `max` bytes.
pub async fn get(stack: Stack<'static>, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    let uri = parse_uri(uri)?;
    let mut rx_meta = [PacketMetadata::EMPTY; 2];
    let mut tx_meta = [PacketMetadata::EMPTY; 2];
    let mut rx_buf = vec![0u8; 1500];
    let mut tx_buf = vec![0u8; 600];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    socket.bind(0).map_err(|_| FetchError::Socket)?;
    let mut out = Vec::new();
    let mut datagram = vec![0u8; 1500];
    let mut mid = (embassy_time::Instant::now().as_ticks() as u16).wrapping_mul(40503);
    let token = mid.to_be_bytes();
    for num in 0.. {
        let mut attempt = 0;
        let reply = loop {
            mid = mid.wrapping_add(1);
            attempt += 1;
            let bytes = block_request(&uri, num, mid, &token)?;
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
        if out.len() + reply.payload.len() > max {
            return Err(FetchError::TooLarge);
        }
        out.extend_from_slice(&reply.payload);
        let block = reply.get_option(CoapOption::Block2).and_then(|v| v.front()).map(|v| Block::decode(v));
        match block {
            None => return Ok(out),
            Some(Some(b)) if b.num == num && !b.more => return Ok(out),
            Some(Some(b)) if b.num == num && b.size() == reply.payload.len() => {}
            _ => return Err(FetchError::Malformed),
        }
    }
    Err(FetchError::TooLarge)
}

/// `GET uri` for block `num` (1024-byte blocks).
fn block_request(uri: &Uri<'_>, num: u32, mid: u16, token: &[u8]) -> Result<Vec<u8>, FetchError> {
    let mut req = Packet::new();
    req.header.set_version(1);
    req.header.set_type(MessageType::Confirmable);
    req.header.code = MessageClass::Request(RequestType::Get);
    req.header.message_id = mid;
    req.set_token(token.to_vec());
    for seg in uri.path.split('/').filter(|s| !s.is_empty()) {
        req.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
    req.add_option(CoapOption::Block2, Block { num, more: false, szx: SZX_1024 }.encode().as_slice().to_vec());
    req.to_bytes().map_err(|_| FetchError::BadUri)
}

/// Sends a confirmable request and waits for its piggybacked answer, retransmitting
/// with exponential back-off.
async fn exchange(
    socket: &mut UdpSocket<'_>,
    bytes: &[u8],
    to: IpEndpoint,
    mid: u16,
    token: &[u8],
    buf: &mut [u8],
) -> Result<Packet, FetchError> {
    let mut timeout = ACK_TIMEOUT_MS;
    for _ in 0..=MAX_RETRANSMIT {
        socket.send_to(bytes, to).await.map_err(|_| FetchError::Socket)?;
        let deadline = embassy_time::Instant::now() + Duration::from_millis(timeout);
        loop {
            let now = embassy_time::Instant::now();
            if now >= deadline {
                break;
            }
            match with_timeout(deadline - now, socket.recv_from(buf)).await {
                Ok(Ok((n, meta))) if meta.endpoint == to => {
                    if let Ok(p) = Packet::from_bytes(&buf[..n]) {
                        if p.header.message_id == mid && p.get_token() == token {
                            return Ok(p);
                        }
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        timeout *= 2;
    }
    Err(FetchError::Timeout)
}
