//! What survives a reset (`POST /reset`, SYSRESETREQ): slots, their sequence numbers
//! (so an old manifest stays refused) and the boot count.
use std::time::{Duration, Instant};

use coap_lite::RequestType;
use testbed::Node;

use super::common::*;

/// Waits for the node to answer `/info` with boot count `n`.
async fn wait_for_boot(b: &mut Bench, n: u32) -> proto::Info {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(info) = b.device.info().await {
            if info.boot_count == Some(n) {
                return info;
            }
        }
        assert!(Instant::now() < deadline, "no boot {n} within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn slots(b: &mut Bench) -> Vec<proto::SlotInfo> {
    proto::decode(&b.device.get(proto::paths::SLOTS).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_keeps_slots_and_sequence_numbers_and_counts_the_boot() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    assert_eq!(b.device.info().await.unwrap().boot_count, Some(1), "a fresh node's first boot");

    // Slot 1 holds sequence 5; slot 2 held sequence 3 and was erased.
    let good = image(42);
    let first = b.publish("good.femto", &good, &good, 5, &key);
    b.pull(&first).await.unwrap();
    let kept = b.publish_to(2, "two.femto", &image(2), 3, &[], &key);
    b.pull(&kept).await.unwrap();
    let erase = proto::encode(&proto::EraseRequest { slot: 2 });
    b.device.request(RequestType::Post, proto::paths::ERASE, &erase).await.unwrap();
    let before = slots(&mut b).await;
    assert!(before[1].loaded && !before[2].loaded);

    b.device.request(RequestType::Post, proto::paths::RESET, &[]).await.unwrap();
    wait_for_boot(&mut b, 2).await;
    assert_eq!(slots(&mut b).await, before, "every slot as it was before the reset");
    assert_eq!(b.exec().await, Some(42));
    assert_eq!(b.exec_with(proto::Engine::Jit).await.result, Some(42));

    // Old manifests stay old: sequence 4 for slot 1, and 3 again for the erased slot 2.
    let old = image(4);
    match b.pull(&b.publish("old.femto", &old, &old, 4, &key)).await {
        Err((code, why)) => assert!(code.contains("4.03") && why.contains("not above 5"), "{code}: {why}"),
        Ok(r) => panic!("a replayed sequence was accepted after a reset: {r:?}"),
    }
    match b.pull(&kept).await {
        Err((code, why)) => assert!(code.contains("4.03") && why.contains("not above 3"), "{code}: {why}"),
        Ok(r) => panic!("a replayed manifest was accepted after a reset: {r:?}"),
    }
    assert_eq!(slots(&mut b).await, before, "the refusals changed nothing");

    // A newer one installs, and it too survives the next reset.
    let newer = image(6);
    b.pull(&b.publish("newer.femto", &newer, &newer, 6, &key)).await.unwrap();
    b.device.request(RequestType::Post, proto::paths::RESET, &[]).await.unwrap();
    wait_for_boot(&mut b, 3).await;
    assert_eq!(b.exec().await, Some(6));
    assert_eq!(slots(&mut b).await[1].sequence, 6);
    assert!(b.node.crashed().is_none());
    b.stop();
}
