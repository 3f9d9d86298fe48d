//! No request makes the device panic: random datagrams, then random payloads for every
//! resource and method, OSCORE-protected (so that they reach the handlers) and not
//! (refused with 4.01 unless the path is open), after which it still answers and its
//! console shows no panic.

use super::common;
use testbed::Node;

use std::net::UdpSocket;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use testbed::firmware::Variant;
use vm::testgen::Rng;

const PATHS: &[&str] = &[
    "info",
    "slots",
    "pull",
    "exec",
    "erase",
    "run",
    "start",
    "stop",
    "running",
    "sensor",
    "running_vm",
    "short-execution",
    "long-running",
    "with_coap_pkt",
    "suit/pull",
    "app/0",
    "app/1/jit",
    "app/9",
    "nothing",
];

fn bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    let n = (rng.next_u64() as usize) % (max + 1);
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn random_requests_never_crash_the_device() {
    let (mut node, _logs) = common::boot("fuzz", Variant::Testbed).await;
    let mut client = testbed::coap_client::CoapClient::for_testbed(node.coap_addr()).unwrap();
    client.authenticate().await.unwrap();
    let context = client.security_context().unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(node.coap_addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut rng = Rng::new(0x5eed);
    let mut buf = [0u8; 2048];
    // Raw garbage: the server drops what it cannot parse.
    for _ in 0..300 {
        let _ = sock.send(&bytes(&mut rng, 200));
    }
    // Well-formed CoAP with random payloads, methods and block options.
    let methods = [RequestType::Get, RequestType::Post, RequestType::Put, RequestType::Delete];
    let (mut answered, mut refused) = (0, 0);
    for i in 0..600u16 {
        let mut p = Packet::new();
        p.header.set_version(1);
        p.header.set_type(if i % 3 == 0 { MessageType::NonConfirmable } else { MessageType::Confirmable });
        p.header.code = MessageClass::Request(methods[rng.next_u64() as usize % methods.len()]);
        p.header.message_id = i;
        p.set_token(vec![i as u8]);
        let path = PATHS[rng.next_u64() as usize % PATHS.len()];
        for seg in path.split('/') {
            p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
        }
        if rng.next_u64() % 5 == 0 {
            p.add_option(CoapOption::Block2, bytes(&mut rng, 3));
        }
        p.payload = bytes(&mut rng, 600);
        // Two in three protected, the rest as they are.
        let protected = i % 3 != 2;
        if protected {
            let Ok((outer, _)) = auth::oscore::protect_request(context, &p) else { continue };
            p = outer;
        }
        let Ok(datagram) = p.to_bytes() else { continue };
        sock.send(&datagram).unwrap();
        let Ok(n) = sock.recv(&mut buf) else { continue };
        answered += 1;
        let reply = Packet::from_bytes(&buf[..n]).unwrap();
        if !protected && !proto::paths::is_open(path) {
            assert_eq!(reply.header.code, MessageClass::Response(ResponseType::Unauthorized), "unprotected {path}");
            refused += 1;
        }
    }
    assert!(answered > 500, "only {answered} of 600 requests were answered");
    assert!(refused > 100, "only {refused} unprotected requests were refused");
    // Still alive, still answering, no panic on the console.
    let info = testbed::coap_client::CoapClient::new(node.coap_addr()).info().await.unwrap();
    assert_eq!(info.board, common::board().name());
    assert!(node.crashed().is_none(), "{:?}", node.crashed());
    node.stop();
}
