//! A retransmitted confirmable request is answered again, not executed again.

use super::common;
use testbed::Node;

use std::net::UdpSocket;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
use testbed::firmware::Variant;

/// Increments the global key-value entry 1 and returns its new value.
const COUNTER: &str = "mov %r1, 1\nmov %r2, %r10\nadd %r2, -4\ncall 0x13\nldxw %r6, [%r10-4]\nadd %r6, 1\n\
                       mov %r1, 1\nmov %r2, %r6\ncall 0x11\nmov %r0, %r6\nexit";

/// The counter's run request, unprotected.
fn run_packet(mid: u16) -> Packet {
    let image: Vec<u8> = vm::asm::assemble(COUNTER).unwrap().iter().flat_map(vm::Insn::encode).collect();
    let req = proto::RunRequest {
        layout: 0,
        image,
        input: vec![],
        helpers: vm::HelperSet::from_ids([0x11, 0x13]),
        budget: 0,
        engine: proto::Engine::Interp,
    };
    let mut p = Packet::new();
    p.header.set_version(1);
    p.header.set_type(MessageType::Confirmable);
    p.header.code = MessageClass::Request(RequestType::Post);
    p.header.message_id = mid;
    p.set_token(vec![0xab]);
    p.add_option(CoapOption::UriPath, b"run".to_vec());
    p.payload = proto::encode(&req);
    p
}

fn exchange(sock: &UdpSocket, bytes: &[u8]) -> Vec<u8> {
    sock.send(bytes).unwrap();
    let mut buf = [0u8; 1500];
    let n = sock.recv(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn retransmissions_are_answered_from_the_cache() {
    let (mut node, _logs) = common::boot("dedup", Variant::Testbed).await;
    let mut client = testbed::coap_client::CoapClient::for_testbed(node.coap_addr()).unwrap();
    client.authenticate().await.unwrap();
    let context = client.security_context().unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.connect(node.coap_addr()).unwrap();
    // One protected request, sent as the datagram it is; the answer's result.
    let protect = |context: &mut auth::oscore::SecurityContext, mid| {
        let (outer, correlation) = auth::oscore::protect_request(context, &run_packet(mid)).unwrap();
        (outer.to_bytes().unwrap(), correlation)
    };
    let result = |context: &mut auth::oscore::SecurityContext, reply: &[u8], correlation| {
        let mut correlation = correlation;
        let reply = Packet::from_bytes(reply).unwrap();
        let inner = auth::oscore::unprotect_response(context, &reply, &mut correlation).unwrap();
        proto::decode::<proto::RunResponse>(&inner.payload).unwrap().result.unwrap()
    };

    let (request, correlation) = protect(context, 0x4242);
    let first = exchange(&sock, &request);
    assert_eq!(result(context, &first, correlation), 1);
    // The same datagram again (a retransmission, same message id): the same bytes
    // back, answered before OSCORE's replay check, and the counter did not move.
    assert_eq!(exchange(&sock, &request), first);
    // A new request runs the program again.
    let (request, correlation) = protect(context, 0x4243);
    assert_eq!(result(context, &exchange(&sock, &request), correlation), 2);
    node.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn large_answers_come_in_blocks_and_run_once() {
    let (mut node, _logs) = common::boot("blocks", Variant::Testbed).await;
    let mut client = testbed::coap_client::CoapClient::for_testbed(node.coap_addr()).unwrap();
    let image: Vec<u8> = vm::asm::assemble(COUNTER).unwrap().iter().flat_map(vm::Insn::encode).collect();
    let input: Vec<u8> = (0..1100u32).map(|i| i as u8).collect();
    for expected in [1u64, 2] {
        let req = proto::RunRequest {
            layout: 0,
            image: image.clone(),
            input: input.clone(),
            helpers: vm::HelperSet::from_ids([0x11, 0x13]),
            budget: 0,
            engine: proto::Engine::Interp,
        };
        // The answer echoes the input: more than one 1024-byte block.
        let bytes =
            client.request(coap_lite::RequestType::Post, proto::paths::RUN, &proto::encode(&req)).await.unwrap();
        assert!(bytes.len() > 1024);
        let r: proto::RunResponse = proto::decode(&bytes).unwrap();
        assert_eq!(r.input, input);
        // The counter moved by one per request: later blocks came from the cache.
        assert_eq!(r.result, Some(expected));
    }
    node.stop();
}
