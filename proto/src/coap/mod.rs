//! The CoAP core every client and server of the project runs on, sans I/O (in the
//! spirit of smoltcp's wire layer): pure functions and state machines over coap-lite's
//! [`Packet`], tested against known bytes. Sockets, serial links and clocks stay with
//! the callers, which are thin loops over this:
//!
//! - [`request`]: building a confirmable request and matching its reply by message id
//!   and token;
//! - [`retransmit`]: RFC 7252's retransmission schedule (§4.8);
//! - [`block`]: the Block2 option (RFC 7959), slicing an answer into blocks and
//!   reassembling one from them;
//! - [`proxy`]: `coap://` URIs, and requests forwarded by the host's end of a serial
//!   link (Proxy-Uri);
//! - [`reply_to`]: the skeleton of a server's answer; [`ping`] and [`pong`]: CoAP's
//!   liveness check.
use coap_lite::{MessageType, Packet};

pub mod block;
pub mod proxy;

/// The largest CoAP message either end sends or takes: a 1 KiB block with its header
/// and options, within IPv6's minimum MTU and a slipmux frame; also coap-lite's
/// `Packet::MAX_SIZE` without its `udp` feature.
pub const MAX_MESSAGE: usize = 1280;
pub mod request;
pub mod retransmit;

/// The skeleton of the answer to `request` (RFC 7252 §5.2): a piggybacked ACK for a
/// confirmable request, a NON for a non-confirmable one, with the same token (and, for
/// the ACK, the same message id). `None` for ACK and RST, which carry no request.
pub fn reply_to(request: &Packet) -> Option<Packet> {
    let reply_type = match request.header.get_type() {
        MessageType::Confirmable => MessageType::Acknowledgement,
        MessageType::NonConfirmable => MessageType::NonConfirmable,
        _ => return None,
    };
    let mut reply = Packet::new();
    reply.header.set_version(1);
    reply.header.set_type(reply_type);
    reply.header.message_id = request.header.message_id;
    reply.set_token(request.get_token().to_vec());
    Some(reply)
}

/// A CoAP ping (RFC 7252 §4.3): an empty confirmable message, which a live endpoint
/// answers with a Reset of the same message id. It costs the device no request
/// handling, so it is how a testbed checks that a node is alive.
pub fn ping(message_id: u16) -> [u8; 4] {
    let [hi, lo] = message_id.to_be_bytes();
    // Version 1, type CON, no token; code 0.00.
    [0x40, 0x00, hi, lo]
}

/// The Reset that answers `bytes` if they are a ping; `None` for anything else. It
/// works on the bytes, before any parsing: a ping allocates nothing and leaves no
/// trace on the device (no reply cache entry), however many a monitor sends.
pub fn pong(bytes: &[u8]) -> Option<[u8; 4]> {
    match *bytes {
        // Version 1, type CON, no token; code 0.00; nothing after the header.
        [0x40, 0x00, hi, lo] => Some([0x70, 0x00, hi, lo]),
        _ => None,
    }
}

/// Whether `bytes` are the Reset answering a ping with `message_id`.
pub fn is_pong(bytes: &[u8], message_id: u16) -> bool {
    pong(&ping(message_id)).is_some_and(|reset| bytes == reset)
}

/// The request's path: its Uri-Path options joined by `/` (segments that are not
/// UTF-8 are replaced lossily), without a leading `/`.
pub fn uri_path(request: &Packet) -> alloc::string::String {
    let mut path = alloc::string::String::new();
    if let Some(segments) = request.get_option(coap_lite::CoapOption::UriPath) {
        for (i, s) in segments.iter().enumerate() {
            if i > 0 {
                path.push('/');
            }
            path.push_str(&alloc::string::String::from_utf8_lossy(s));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn confirmable_gets_an_ack_with_id_and_token_and_acks_get_nothing() {
        let mut req = Packet::new();
        req.header.set_type(MessageType::Confirmable);
        req.header.message_id = 0x1234;
        req.set_token(vec![1, 2, 3]);
        let r = reply_to(&req).unwrap();
        assert_eq!(r.header.get_type(), MessageType::Acknowledgement);
        assert_eq!(r.header.message_id, 0x1234);
        assert_eq!(r.get_token(), &[1, 2, 3]);
        req.header.set_type(MessageType::Acknowledgement);
        assert!(reply_to(&req).is_none());
    }

    #[test]
    fn a_ping_gets_a_reset_of_its_message_id_and_nothing_else_does() {
        let reset = pong(&super::ping(0xbeef)).unwrap();
        assert!(is_pong(&reset, 0xbeef));
        assert!(!is_pong(&reset, 0xbeee));
        // coap-lite reads it as what it is: an empty Reset of that message id.
        let parsed = Packet::from_bytes(&reset).unwrap();
        assert_eq!(parsed.header.get_type(), MessageType::Reset);
        assert_eq!(parsed.header.code, coap_lite::MessageClass::Empty);
        assert_eq!(parsed.header.message_id, 0xbeef);
        let mut get = Packet::new();
        get.header.set_type(MessageType::Confirmable);
        get.header.code = coap_lite::MessageClass::Request(coap_lite::RequestType::Get);
        assert!(pong(&get.to_bytes().unwrap()).is_none());
        // Non-confirmable, with a token, with a payload marker, truncated: not pings.
        for bytes in [&[0x50, 0, 0, 1][..], &[0x41, 0, 0, 1, 9], &[0x40, 0, 0, 1, 0xff], &[0x40, 0, 0]] {
            assert!(pong(bytes).is_none(), "{bytes:02x?}");
        }
        assert!(!is_pong(&super::ping(1), 1));
    }

    #[test]
    fn the_path_is_the_joined_uri_path_options() {
        let mut req = Packet::new();
        assert_eq!(uri_path(&req), "");
        req.add_option(coap_lite::CoapOption::UriPath, b"app".to_vec());
        req.add_option(coap_lite::CoapOption::UriPath, b"2".to_vec());
        assert_eq!(uri_path(&req), "app/2");
    }
}
