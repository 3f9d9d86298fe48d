//! A full handshake between the crate's two ends, and every refusal: each leaves the
//! device's contexts as they were.
use auth::edhoc::{Initiator, Refusal, Responder};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

struct Party {
    private_key: [u8; 32],
    credential: auth::Credential,
}

fn party(seed: u8, subject: &str, kid: u8) -> Party {
    let secret = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
    let point = secret.public_key().to_encoded_point(false);
    let (x, y) = (point.x().unwrap(), point.y().unwrap());
    let ccs = auth::ccs::build(subject, &[kid], &(*x).into(), &(*y).into());
    Party { private_key: secret.to_bytes().into(), credential: auth::ccs::parse(&ccs).unwrap() }
}

fn device(clients: &[&Party]) -> Responder<ChaCha20Rng> {
    let d = party(7, "device", 0x0d);
    Responder::new(
        ChaCha20Rng::seed_from_u64(1),
        d.private_key,
        d.credential,
        clients.iter().map(|c| c.credential).collect(),
    )
}

#[test]
fn a_handshake_gives_both_ends_the_same_oscore_material() {
    let client = party(3, "client", 0x2b);
    let mut responder = device(&[&party(4, "other", 0x05), &client]);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x11).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (request_3, confirming) = initiator.finish(&message_2, party(7, "device", 0x0d).credential).unwrap();
    let message_4 = responder.handle(&request_3).unwrap();
    assert!(!message_4.is_empty(), "the device confirms with message_4");
    let ours = confirming.complete(&message_4).unwrap();
    let [theirs] = responder.contexts() else { panic!("one context: {:?}", responder.contexts()) };
    assert_eq!(theirs.master_secret, ours.master_secret);
    assert_eq!(theirs.master_salt, ours.master_salt);
    assert_eq!((&theirs.sender_id, &theirs.recipient_id), (&ours.recipient_id, &ours.sender_id));
    assert_eq!(theirs.sender_id, [0x11]);
    assert_eq!(theirs.client_kid, [0x2b]);

    // A second handshake makes a second context, with another connection identifier.
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x12).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (request_3, confirming) = initiator.finish(&message_2, party(7, "device", 0x0d).credential).unwrap();
    let again = confirming.complete(&responder.handle(&request_3).unwrap()).unwrap();
    assert_eq!(responder.contexts().len(), 2);
    assert_ne!(again.sender_id, ours.sender_id);
    assert_ne!(again.master_secret, ours.master_secret);
}

#[test]
fn the_device_never_picks_the_clients_connection_identifier() {
    // The device's first free C_R is 0, then 1: clients that picked those get others.
    let client = party(3, "client", 0x2b);
    let mut responder = device(&[&client]);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    for c_i in [0x00, 0x01, 0x00] {
        let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, c_i).unwrap();
        let message_2 = responder.handle(&request_1).unwrap();
        let (request_3, confirming) = initiator.finish(&message_2, party(7, "device", 0x0d).credential).unwrap();
        let ours = confirming.complete(&responder.handle(&request_3).unwrap()).unwrap();
        assert_eq!(ours.recipient_id, [c_i]);
        assert_ne!(ours.sender_id, ours.recipient_id, "C_R = C_I = {c_i}");
    }
}

/// Runs a handshake up to message_3 and returns what the device answers to it.
fn third_message(
    responder: &mut Responder<ChaCha20Rng>,
    client: &Party,
    tamper: impl FnOnce(&mut Vec<u8>),
) -> Result<Vec<u8>, Refusal> {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x01).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (mut request_3, _) = initiator.finish(&message_2, party(7, "device", 0x0d).credential).unwrap();
    tamper(&mut request_3);
    responder.handle(&request_3)
}

#[test]
fn an_unknown_client_is_refused() {
    let client = party(3, "client", 0x2b);
    let mut responder = device(&[&client]);
    let stranger = party(5, "stranger", 0x2c);
    assert_eq!(third_message(&mut responder, &stranger, |_| {}), Err(Refusal::UnknownCredential));
    // A stranger claiming a known key id, without the key, fails the MAC.
    let impostor = Party { credential: client.credential, ..party(5, "stranger", 0x2b) };
    assert!(matches!(third_message(&mut responder, &impostor, |_| {}), Err(Refusal::Failed(_))));
    assert!(responder.contexts().is_empty());
}

#[test]
fn tampered_messages_are_refused_at_either_end() {
    let client = party(3, "client", 0x2b);
    let mut responder = device(&[&client]);
    let last = |m: &mut Vec<u8>| {
        let n = m.len();
        m[n - 1] ^= 1;
    };
    assert!(matches!(third_message(&mut responder, &client, last), Err(Refusal::Failed(_))));
    // message_3 for no handshake in progress (the refused one ended its handshake).
    assert_eq!(third_message(&mut responder, &client, |m| m[0] = 0x17), Err(Refusal::UnknownConnection));
    assert!(responder.contexts().is_empty());

    // message_2 tampered on its way to the client, or from a device it does not expect.
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x01).unwrap();
    let mut message_2 = responder.handle(&request_1).unwrap();
    message_2[10] ^= 1;
    assert!(initiator.finish(&message_2, party(7, "device", 0x0d).credential).is_err());
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x01).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    assert!(initiator.finish(&message_2, party(8, "device", 0x0d).credential).is_err());
    assert!(responder.contexts().is_empty());

    // message_4 tampered on its way to the client: the client makes no context.
    let (initiator, request_1) = Initiator::start(&mut rng, client.private_key, client.credential, 0x01).unwrap();
    let message_2 = responder.handle(&request_1).unwrap();
    let (request_3, confirming) = initiator.finish(&message_2, party(7, "device", 0x0d).credential).unwrap();
    let mut message_4 = responder.handle(&request_3).unwrap();
    last(&mut message_4);
    assert!(matches!(confirming.complete(&message_4), Err(Refusal::Failed(_))));
}

#[test]
fn malformed_requests_are_refused() {
    let mut responder = device(&[]);
    assert_eq!(responder.handle(&[]), Err(Refusal::Malformed("empty request")));
    assert!(matches!(responder.handle(&[0xf5, 1, 2, 3]), Err(Refusal::Malformed(_))));
    // A G_X that is no point on P-256, nor a field element (lakers' backend would panic).
    let mut off_curve = vec![0xf5, 0x03, 0x02, 0x58, 0x20];
    off_curve.extend_from_slice(&[0xff; 32]);
    off_curve.push(0x01);
    assert_eq!(responder.handle(&off_curve), Err(Refusal::Malformed("G_X is not a point on P-256")));
    assert!(matches!(responder.handle(&[0xf5; 2000]), Err(Refusal::Malformed(_))));
    assert!(responder.contexts().is_empty());
}
