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

fn run_packet(mid: u16) -> Vec<u8> {
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
    p.to_bytes().unwrap()
}

fn exchange(sock: &UdpSocket, bytes: &[u8]) -> Vec<u8> {
    sock.send(bytes).unwrap();
    let mut buf = [0u8; 1500];
    let n = sock.recv(&mut buf).unwrap();
    buf[..n].to_vec()
}

fn result(reply: &[u8]) -> u64 {
    let p = Packet::from_bytes(reply).unwrap();
    proto::decode::<proto::RunResponse>(&p.payload).unwrap().result.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn retransmissions_are_answered_from_the_cache() {
    let (mut node, _logs) = common::boot("dedup", Variant::Testbed).await;
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.connect(node.coap_addr()).unwrap();

    let first = exchange(&sock, &run_packet(0x4242));
    assert_eq!(result(&first), 1);
    // The same message id again: the same bytes back, and the counter did not move.
    assert_eq!(exchange(&sock, &run_packet(0x4242)), first);
    // A new message id runs the program again.
    assert_eq!(result(&exchange(&sock, &run_packet(0x4243))), 2);
    node.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn large_answers_come_in_blocks_and_run_once() {
    let (mut node, _logs) = common::boot("blocks", Variant::Testbed).await;
    let mut client = testbed::coap_client::CoapClient::new(node.coap_addr());
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
