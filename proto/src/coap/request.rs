//! A client's confirmable request (RFC 7252 §4.2) and the matching of its reply: a
//! piggybacked answer carries the request's message id and token.
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::block::Block;

/// What to ask.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: RequestType,
    /// `a/b/c`: one Uri-Path option per segment (empty segments are left out).
    pub path: &'a str,
    pub payload: &'a [u8],
    /// The Block2 option: which block of the answer to send.
    pub block2: Option<Block>,
}

impl Request<'_> {
    /// The request as a confirmable message with this message id and token.
    pub fn to_packet(&self, message_id: u16, token: &[u8]) -> Packet {
        let mut packet = Packet::new();
        packet.header.set_version(1);
        packet.header.set_type(MessageType::Confirmable);
        packet.header.code = MessageClass::Request(self.method);
        packet.header.message_id = message_id;
        packet.set_token(token.to_vec());
        for segment in self.path.split('/').filter(|s| !s.is_empty()) {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        if let Some(b) = self.block2 {
            b.add_to(&mut packet);
        }
        packet.payload = self.payload.to_vec();
        packet
    }
}

/// Whether `reply` answers the request with this message id and token.
pub fn answers(reply: &Packet, message_id: u16, token: &[u8]) -> bool {
    reply.header.message_id == message_id && reply.get_token() == token
}

/// Whether an answer's code is a success (2.xx).
pub fn is_success(code: MessageClass) -> bool {
    matches!(
        code,
        MessageClass::Response(
            ResponseType::Created
                | ResponseType::Deleted
                | ResponseType::Valid
                | ResponseType::Changed
                | ResponseType::Content
                | ResponseType::Continue
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn a_request_encodes_to_known_bytes() {
        let req = Request {
            method: RequestType::Get,
            path: "/app/7",
            payload: &[],
            block2: Some(Block { num: 1, more: false, szx: 6 }),
        };
        let bytes = req.to_packet(0x1234, &[0xab, 0xcd]).to_bytes().unwrap();
        // CON GET, TKL 2, mid 0x1234, token; Uri-Path (11) "app", Uri-Path "7",
        // Block2 (23, delta 12) = 0x16 (num 1, szx 6).
        assert_eq!(bytes, vec![0x42, 0x01, 0x12, 0x34, 0xab, 0xcd, 0xb3, b'a', b'p', b'p', 0x01, b'7', 0xc1, 0x16]);
        let back = Packet::from_bytes(&bytes).unwrap();
        assert_eq!(crate::coap::uri_path(&back), "app/7");
        assert_eq!(Block::of(&back), Some(Some(Block { num: 1, more: false, szx: 6 })));
    }

    #[test]
    fn only_a_reply_with_the_same_id_and_token_answers() {
        let req = Request { method: RequestType::Post, path: "exec", payload: &[1, 2], block2: None };
        let packet = req.to_packet(7, &[1, 2, 3, 4]);
        let mut reply = crate::coap::reply_to(&packet).unwrap();
        assert!(answers(&reply, 7, &[1, 2, 3, 4]));
        assert!(!answers(&reply, 8, &[1, 2, 3, 4]));
        reply.set_token(vec![1, 2, 3, 5]);
        assert!(!answers(&reply, 7, &[1, 2, 3, 4]));
    }

    #[test]
    fn only_2xx_answers_are_successes() {
        assert!(is_success(MessageClass::Response(ResponseType::Content)));
        assert!(!is_success(MessageClass::Response(ResponseType::NotFound)));
    }
}
