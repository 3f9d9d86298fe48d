//! OSCORE (RFC 8613) on the device API: a client that authenticated with EDHOC manages
//! the device through protected requests; a request in no context, under a wrong key,
//! or replayed gets an unprotected 4.01 and changes nothing.
use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use testbed::coap_client::{CoapClient, Credentials};
use testbed::Node;
use tokio::net::UdpSocket;

use super::common::*;

/// Sends one datagram and returns the first answer.
async fn send(socket: &UdpSocket, to: std::net::SocketAddr, packet: &Packet) -> Packet {
    socket.send_to(&packet.to_bytes().unwrap(), to).await.unwrap();
    let mut buf = vec![0u8; 2048];
    let (n, _) = tokio::time::timeout(std::time::Duration::from_secs(5), socket.recv_from(&mut buf))
        .await
        .expect("an answer within 5 s")
        .unwrap();
    Packet::from_bytes(&buf[..n]).unwrap()
}

fn request(mid: u16, path: &str, payload: Vec<u8>) -> Packet {
    let r = proto::coap::request::Request { method: RequestType::Post, path, payload: &payload, block2: None };
    r.to_packet(mid, &[mid as u8, 9])
}

#[tokio::test(flavor = "multi_thread")]
async fn protected_requests_manage_the_device_and_bad_ones_get_4_01() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    let credentials = Credentials::testbed().unwrap();
    let mut client = CoapClient::new(b.node.coap_addr()).with_credentials(credentials.clone());
    assert!(client.info().await.unwrap().features.iter().any(|f| f == "oscore"));

    // The whole API through OSCORE: a pull, a run, the slot list.
    let good = image(42);
    let uri = b.publish("good.femto", &good, &good, 5, &key);
    let pull = proto::encode(&proto::PullRequest { manifest_uri: uri });
    let r: proto::PullResponse =
        proto::decode(&client.request(RequestType::Post, proto::paths::PULL, &pull).await.unwrap()).unwrap();
    assert_eq!((r.slot, r.sequence), (1, 5));
    let exec = proto::encode(&proto::ExecRequest {
        slot: 1,
        engine: proto::Engine::Jit,
        input: vec![],
        budget: 0,
        helpers: None,
    });
    let run: proto::RunResponse =
        proto::decode(&client.request(RequestType::Post, proto::paths::EXEC, &exec).await.unwrap()).unwrap();
    assert_eq!(run.result, Some(42));
    let before = b.slot1().await;

    // Raw protected requests in a context of our own.
    let addr = b.node.coap_addr();
    let material = client.edhoc(&credentials.identity, &credentials.device, 7).await.unwrap();
    let mut context = auth::oscore::SecurityContext::new(&material).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let erase = proto::encode(&proto::EraseRequest { slot: 1 });
    let (protected, _) = auth::oscore::protect_request(&mut context, &request(100, "running", vec![])).unwrap();
    let answer = send(&socket, addr, &protected).await;
    assert!(answer.get_option(coap_lite::CoapOption::Oscore).is_some(), "a protected answer: {answer:?}");

    // A replay (a new message id, the same protected request): refused.
    let (used, _) = auth::oscore::protect_request(&mut context, &request(104, "slots", vec![])).unwrap();
    let ok = send(&socket, addr, &used).await;
    assert!(ok.get_option(coap_lite::CoapOption::Oscore).is_some(), "a protected answer: {ok:?}");
    let mut replay = used.clone();
    replay.header.message_id = 105;
    let refused = send(&socket, addr, &replay).await;
    assert_eq!(refused.header.code, MessageClass::Response(ResponseType::Unauthorized), "a replay");

    // A wrong key under a valid key id: refused, and the erase it carries is not done.
    let mut wrong = material.clone();
    wrong.master_secret[0] ^= 1;
    let mut wrong = auth::oscore::SecurityContext::new(&wrong).unwrap();
    let (forged, _) = auth::oscore::protect_request(&mut wrong, &request(106, "erase", erase.clone())).unwrap();
    let refused = send(&socket, addr, &forged).await;
    assert_eq!(refused.header.code, MessageClass::Response(ResponseType::Unauthorized), "a wrong key");
    // A key id the device has no context for.
    let mut stranger = material.clone();
    stranger.sender_id = vec![0x17];
    let mut stranger = auth::oscore::SecurityContext::new(&stranger).unwrap();
    let (unknown, _) = auth::oscore::protect_request(&mut stranger, &request(107, "erase", erase.clone())).unwrap();
    let refused = send(&socket, addr, &unknown).await;
    assert_eq!(refused.header.code, MessageClass::Response(ResponseType::Unauthorized), "no such context");
    // No protection at all (no credential): refused, for a change and for a read alike.
    for (mid, path, payload) in [(108, "erase", erase), (109, "slots", vec![]), (110, "exec", exec.clone())] {
        let refused = send(&socket, addr, &request(mid, path, payload)).await;
        assert_eq!(refused.header.code, MessageClass::Response(ResponseType::Unauthorized), "unprotected /{path}");
        assert!(refused.get_option(coap_lite::CoapOption::Oscore).is_none());
    }
    // The open paths need none.
    let info = send(&socket, addr, &request(111, "info", vec![])).await;
    assert_eq!(
        info.header.code,
        MessageClass::Response(ResponseType::MethodNotAllowed),
        "POST /info is open, not allowed"
    );
    assert_eq!(b.slot1().await, before, "the refusals erased nothing");
    let run: proto::RunResponse =
        proto::decode(&client.request(RequestType::Post, proto::paths::EXEC, &exec).await.unwrap()).unwrap();
    assert_eq!(run.result, Some(42));
    assert!(b.node.crashed().is_none());
    b.stop();
}
