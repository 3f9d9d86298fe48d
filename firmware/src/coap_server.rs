//! The CoAP server (RFC 7252) on UDP port 5683.
//!
//! One request is handled at a time: parse with coap-lite, route by path, answer with a
//! piggybacked ACK for confirmable requests and a NON for non-confirmable ones.
//! Malformed datagrams are dropped (RFC 7252 §4.2: a message that cannot be parsed is
//! silently ignored or rejected with RST; we send RST when the header was readable).
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use coap_lite::{ContentFormat, MessageClass, MessageType, Packet, RequestType, ResponseType};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::Stack;

use crate::println;

/// The largest UDP payload over a 1500-byte Ethernet MTU (IPv4).
const MAX_DATAGRAM: usize = 1472;

#[embassy_executor::task]
pub async fn task(stack: Stack<'static>) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut tx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    if let Err(e) = socket.bind(proto::COAP_PORT) {
        panic!("coap: bind failed: {e:?}");
    }
    println!("coap: listening on udp port {}", proto::COAP_PORT);
    let mut datagram = vec![0u8; MAX_DATAGRAM];
    loop {
        let (n, meta) = match socket.recv_from(&mut datagram).await {
            Ok(x) => x,
            Err(_) => continue, // truncated datagram: drop it
        };
        if let Some(reply) = handle_datagram(&datagram[..n]) {
            if let Err(e) = socket.send_to(&reply, meta.endpoint).await {
                println!("coap: send to {} failed: {:?}", meta.endpoint, e);
            }
        }
    }
}

/// Turns one datagram into the datagram to send back, if any.
fn handle_datagram(bytes: &[u8]) -> Option<Vec<u8>> {
    let request = match Packet::from_bytes(bytes) {
        Ok(p) => p,
        Err(_) => return None,
    };
    let reply_type = match request.header.get_type() {
        MessageType::Confirmable => MessageType::Acknowledgement,
        MessageType::NonConfirmable => MessageType::NonConfirmable,
        // ACK and RST carry no request.
        _ => return None,
    };
    let mut reply = Packet::new();
    reply.header.set_version(1);
    reply.header.set_type(reply_type);
    reply.header.message_id = request.header.message_id;
    reply.set_token(request.get_token().to_vec());

    let method = match request.header.code {
        MessageClass::Request(m) => m,
        _ => return None,
    };
    let path = path_of(&request);
    let (code, body) = route(method, &path, &request.payload);
    reply.header.code = MessageClass::Response(code);
    if let Some((format, payload)) = body {
        reply.set_content_format(format);
        reply.payload = payload;
    }
    reply.to_bytes().ok()
}

fn path_of(packet: &Packet) -> Vec<u8> {
    let mut path = Vec::new();
    if let Some(segments) = packet.get_option(coap_lite::CoapOption::UriPath) {
        for (i, seg) in segments.iter().enumerate() {
            if i > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(seg);
        }
    }
    path
}

type Body = Option<(ContentFormat, Vec<u8>)>;

fn cbor(value: &impl minicbor::Encode<()>) -> Body {
    Some((ContentFormat::ApplicationCBOR, proto::encode(value)))
}

fn text(s: &str) -> Body {
    Some((ContentFormat::TextPlain, s.as_bytes().to_vec()))
}

fn route(method: RequestType, path: &[u8], payload: &[u8]) -> (ResponseType, Body) {
    let _ = payload;
    match (method, path) {
        #[cfg(feature = "unsigned-run")]
        (RequestType::Post, p) if p == proto::paths::RUN.as_bytes() => match proto::decode::<proto::RunRequest>(payload) {
            Ok(req) => (ResponseType::Changed, cbor(&crate::runtime::run::run_request(req))),
            Err(_) => (ResponseType::BadRequest, text("payload is not a CBOR RunRequest")),
        },
        (RequestType::Get, p) if p == proto::paths::INFO.as_bytes() => {
            (ResponseType::Content, cbor(&info()))
        }
        (_, p) if p == proto::paths::INFO.as_bytes() => (ResponseType::MethodNotAllowed, None),
        _ => (ResponseType::NotFound, None),
    }
}

const FEATURES: &[&str] = &[
    "coap",
    "ipv4",
    "ipv6",
    "interp",
    #[cfg(feature = "unsigned-run")]
    "unsigned-run",
];

fn info() -> proto::Info {
    proto::Info {
        board: crate::board::NAME.to_string(),
        build_id: crate::BUILD_ID.to_string(),
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        slots: 0,
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}
