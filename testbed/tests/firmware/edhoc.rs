//! EDHOC with the device (`/.well-known/edhoc`): the client it was built to accept
//! authenticates; a stranger, a tampered message, a handshake it never began and a
//! device other than the one expected are all refused, and a refusal leaves the next
//! handshake unharmed.
use coap_lite::RequestType;
use rand_chacha::rand_core::SeedableRng;
use testbed::coap_client::CoapError;
use testbed::keys::{ccs_path, edhoc_client_path, edhoc_device_path, read_credential, EdhocIdentity};
use testbed::Node;

use super::common::*;

fn code(e: CoapError) -> String {
    match e {
        CoapError::Status { code, .. } => code,
        e => panic!("expected a CoAP error answer, got {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_built_in_client_authenticates_and_everyone_else_is_refused() {
    let (mut node, _logs) = boot("edhoc", testbed::firmware::Variant::Default).await;
    let mut device = testbed::coap_client::CoapClient::new(node.coap_addr());
    assert!(device.info().await.unwrap().features.iter().any(|f| f == "edhoc"));
    let client = EdhocIdentity::read(&edhoc_client_path()).unwrap();
    let device_ccs = read_credential(&ccs_path(&edhoc_device_path())).unwrap();

    let first = device.edhoc(&client, &device_ccs, 1).await.unwrap();
    assert_eq!(first.recipient_id, [1]);

    // A client the firmware was not built with.
    let stranger = EdhocIdentity::generate("stranger", &[0x2c]);
    match device.edhoc(&stranger, &device_ccs, 2).await {
        Err(e) => assert!(code(e).contains("4.01")),
        Ok(m) => panic!("a stranger authenticated: {m:?}"),
    }
    // The client expects another device: it refuses message_2 itself.
    let other_device = EdhocIdentity::generate("other device", &[0x0d]);
    match device.edhoc(&client, &other_device.ccs, 3).await {
        Err(CoapError::Edhoc { .. }) => {}
        other => panic!("the client accepted a device it does not know: {other:?}"),
    }

    // A tampered message_3, then a message_3 for no handshake in progress.
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    let (initiator, request_1) = auth::Initiator::start(&mut rng, client.private_key, client.credential(), 4).unwrap();
    let message_2 = device.request(RequestType::Post, proto::paths::EDHOC, &request_1).await.unwrap();
    let (mut request_3, _) = initiator.finish(&message_2, auth::ccs::parse(&device_ccs).unwrap()).unwrap();
    let last = request_3.len() - 1;
    request_3[last] ^= 1;
    let e = device.request(RequestType::Post, proto::paths::EDHOC, &request_3).await.unwrap_err();
    assert!(code(e).contains("4.00"));
    let e = device.request(RequestType::Post, proto::paths::EDHOC, &request_3).await.unwrap_err();
    assert!(code(e).contains("4.04"), "the refused handshake is over");
    // Not EDHOC at all.
    let e = device.request(RequestType::Post, proto::paths::EDHOC, &[0xf5, 0x01]).await.unwrap_err();
    assert!(code(e).contains("4.00"));

    // After all that, the client still authenticates, with a fresh context.
    let again = device.edhoc(&client, &device_ccs, 5).await.unwrap();
    assert_ne!(again.master_secret, first.master_secret);
    assert!(node.crashed().is_none());
    let memory = device.info().await.unwrap().memory.unwrap();
    assert!(memory.stack_size - memory.stack_peak >= 4096, "EDHOC left too little stack: {memory:?}");
}
