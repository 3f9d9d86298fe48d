//! OSCORE between the two ends of a handshake: a request and its answer go through;
//! a replayed, tampered or wrongly keyed request is refused and changes nothing.
use auth::edhoc::{Initiator, Responder};
use auth::oscore::{self, OscoreError, SecurityContext};
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn identity(seed: u8, kid: u8) -> ([u8; 32], auth::Credential) {
    let secret = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let ccs = auth::ccs::build("x", &[kid], &(*point.x().unwrap()).into(), &(*point.y().unwrap()).into());
    (secret.to_bytes().into(), auth::ccs::parse(&ccs).unwrap())
}

/// The client's and the device's contexts after a handshake (`seed`: the client's
/// generator).
fn contexts(seed: u64) -> (SecurityContext, SecurityContext) {
    let (device_key, device) = identity(7, 0x0d);
    let (client_key, client) = identity(3, 0x2b);
    let mut responder = Responder::new(ChaCha20Rng::seed_from_u64(1), device_key, device, vec![client]);
    let (initiator, request_1) =
        Initiator::start(&mut ChaCha20Rng::seed_from_u64(seed), client_key, client, 1).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (request_3, confirming) = initiator.finish(&message_2, device).unwrap();
    let ours = confirming.complete(&responder.handle(&request_3).unwrap()).unwrap();
    let theirs = &responder.contexts()[0];
    (SecurityContext::new(&ours).unwrap(), SecurityContext::new(theirs).unwrap())
}

fn request(path: &str, payload: &[u8]) -> Packet {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.header.message_id = 7;
    p.set_token(vec![1, 2, 3]);
    for s in path.split('/') {
        p.add_option(CoapOption::UriPath, s.as_bytes().to_vec());
    }
    p.payload = payload.to_vec();
    p
}

#[test]
fn a_request_and_its_answer_go_through_both_ends() {
    let (mut client, mut device) = contexts(2);
    let inner = request("exec", &[0xa1, 0x00, 0x01]);
    let (outer, mut client_side) = oscore::protect_request(&mut client, &inner).unwrap();
    // The outside shows neither the path nor the payload, and names the device's context.
    assert!(outer.get_option(CoapOption::UriPath).is_none());
    assert_ne!(outer.payload, inner.payload);
    assert_eq!(oscore::request_kid(&outer).as_deref(), Some(device.recipient_id()));
    let bytes = outer.to_bytes().unwrap();
    let received = Packet::from_bytes(&bytes).unwrap();
    let (got, mut device_side) = oscore::unprotect_request(&mut device, &received).unwrap();
    assert_eq!(got.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(got.get_option(CoapOption::UriPath).unwrap().front().unwrap(), b"exec");
    assert_eq!(got.payload, inner.payload);

    let mut answer = Packet::new();
    answer.header.set_type(MessageType::Acknowledgement);
    answer.header.message_id = 7;
    answer.set_token(vec![1, 2, 3]);
    answer.header.code = MessageClass::Response(ResponseType::Changed);
    answer.set_content_format(coap_lite::ContentFormat::ApplicationCBOR);
    answer.payload = vec![0x42; 700];
    let protected = oscore::protect_response(&mut device, &answer, &mut device_side).unwrap();
    let received = Packet::from_bytes(&protected.to_bytes().unwrap()).unwrap();
    let back = oscore::unprotect_response(&mut client, &received, &mut client_side).unwrap();
    assert_eq!(back.header.code, MessageClass::Response(ResponseType::Changed));
    assert_eq!(back.payload, answer.payload);

    // The replay of the same request is refused (RFC 8613 §7.4).
    assert_eq!(oscore::unprotect_request(&mut device, &outer).unwrap_err(), OscoreError::Unprotect);
    // A later request still goes through.
    let (next, _) = oscore::protect_request(&mut client, &request("slots", &[])).unwrap();
    assert!(oscore::unprotect_request(&mut device, &next).is_ok());
}

#[test]
fn tampered_unprotected_and_wrongly_keyed_requests_are_refused() {
    let (mut client, mut device) = contexts(2);
    let (outer, _) = oscore::protect_request(&mut client, &request("erase", &[0xa1, 0, 1])).unwrap();
    let mut tampered = outer.clone();
    let last = tampered.payload.len() - 1;
    tampered.payload[last] ^= 1;
    assert_eq!(oscore::unprotect_request(&mut device, &tampered).unwrap_err(), OscoreError::Unprotect);
    assert_eq!(oscore::unprotect_request(&mut device, &request("erase", &[])).unwrap_err(), OscoreError::NotProtected);
    // Another handshake's client (other keys, the same key id) cannot be read.
    let (mut other_client, _) = contexts(5);
    let (foreign, _) = oscore::protect_request(&mut other_client, &request("erase", &[])).unwrap();
    assert_eq!(oscore::request_kid(&foreign), oscore::request_kid(&outer));
    assert_eq!(oscore::unprotect_request(&mut device, &foreign).unwrap_err(), OscoreError::Unprotect);
    // An outer option numbered 0 (reserved), which sends libOSCORE's option iterator
    // round forever: refused before it is read.
    let mut zero = outer.clone();
    zero.add_option(CoapOption::from(0u16), vec![]);
    assert_eq!(oscore::unprotect_request(&mut device, &zero).unwrap_err(), OscoreError::Malformed);
    // The untampered request still goes through once: refusals did not move the window.
    assert!(oscore::unprotect_request(&mut device, &outer).is_ok());
}

#[test]
fn a_message_too_large_to_protect_is_refused_not_a_panic() {
    let (mut client, mut device) = contexts(3);
    let mut largest = 0;
    for size in 1000..=1400 {
        let big = request("run", &vec![0x5a; size]);
        match oscore::protect_request(&mut client, &big) {
            Ok((outer, _)) => {
                let (inner, _) = oscore::unprotect_request(&mut device, &outer).unwrap();
                assert_eq!(inner.payload.len(), size);
                largest = size;
            }
            Err(e) => assert_eq!(e, OscoreError::TooLarge, "{size} bytes"),
        }
    }
    // A 1 KiB block with its options, or a request of 1,200 bytes, still goes through.
    assert!(largest >= 1200, "only {largest} bytes protect");
    assert!(largest < oscore::MAX_PROTECTED);
}

#[test]
fn an_option_liboscore_cannot_class_is_refused_not_a_panic() {
    let (mut client, _) = contexts(4);
    for number in [2u16, 9, 10, 13, 21, 35, 2048] {
        let mut odd = request("slots", &[]);
        odd.add_option(CoapOption::from(number), vec![1, 2, 3]);
        let refused = oscore::protect_request(&mut client, &odd).map(|_| ()).unwrap_err();
        assert_eq!(refused, OscoreError::UnsupportedOption(number));
    }
    // Every option it classes goes through: Observe, Uri-Host, Content-Format, Block2.
    let mut usual = request("slots", &[]);
    for number in [3u16, 6, 12, 23] {
        usual.add_option(CoapOption::from(number), vec![1]);
    }
    assert!(oscore::protect_request(&mut client, &usual).is_ok());
}
