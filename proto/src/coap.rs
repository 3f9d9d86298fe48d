//! CoAP message plumbing shared by every server of the project (the device and the
//! host's file server), on coap-lite.
use coap_lite::{MessageType, Packet};

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
}
