//! Long-running programs: they run in slices beside the CoAP server, report their
//! progress, can be stopped, and their faults end only themselves.
use std::time::{Duration, Instant};
use testbed::Node;

use coap_lite::RequestType;

use super::common::*;

async fn running(b: &mut Bench) -> Vec<proto::RunningInfo> {
    proto::decode(&b.device.get(proto::paths::RUNNING).await.unwrap()).unwrap()
}

async fn start(b: &mut Bench, slot: u8, budget: u64) {
    let req = proto::StartRequest { slot, input: vec![], budget };
    b.device.request(RequestType::Post, proto::paths::START, &proto::encode(&req)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_running_program_and_coap_requests_proceed_together() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    // Counts forever (the exit is reachable, so the verifier accepts it).
    let forever = image_of("mov %r6, 0\nloop:\nadd %r6, 1\njne %r6, -1, loop\nmov %r0, %r6\nexit");
    b.pull(&b.publish("forever.femto", &forever, &forever, 1, &key)).await.unwrap();
    start(&mut b, 1, 0).await;

    // While it runs, the device keeps answering, and the program keeps advancing.
    let mut last = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let info = b.device.info().await.unwrap();
        assert_eq!(info.board, board().name());
        assert!(t.elapsed() < Duration::from_secs(1), "answer took {:?}", t.elapsed());
        let r = running(&mut b).await;
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].state, proto::RunState::Running);
        assert!(r[0].executed > last, "{} after {last}", r[0].executed);
        last = r[0].executed;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // µBPF's view of the same.
    assert_eq!(b.device.get("running_vm").await.unwrap(), b"[false, true, false, false]");
    // A second start of the same slot is refused.
    let again = proto::StartRequest { slot: 1, input: vec![], budget: 0 };
    assert!(b.device.request(RequestType::Post, proto::paths::START, &proto::encode(&again)).await.is_err());

    b.device
        .request(RequestType::Post, proto::paths::STOP, &proto::encode(&proto::StopRequest { slot: 1 }))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = running(&mut b).await;
    assert_eq!(r[0].state, proto::RunState::Stopped);

    // A budget ends it with a typed failure; a program that exits reports its value.
    start(&mut b, 1, 50_000).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = running(&mut b).await;
    assert_eq!(r[0].state, proto::RunState::Failed);
    assert_eq!(r[0].failure.as_ref().unwrap().kind, proto::FailureKind::Budget);
    assert_eq!(r[0].executed, 50_000);
    let short = image_of("mov %r0, 6\nmul %r0, 7\nexit");
    b.pull(&b.publish("short.femto", &short, &short, 2, &key)).await.unwrap();
    start(&mut b, 1, 0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = running(&mut b).await;
    assert_eq!(r[0].state, proto::RunState::Exited);
    assert_eq!(r[0].result, Some(42));

    assert!(b.node.crashed().is_none());
    b.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn several_background_programs_run_at_once() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    let forever = image_of("mov %r6, 0\nloop:\nadd %r6, 1\njne %r6, -1, loop\nmov %r0, %r6\nexit");
    for slot in [1u8, 2, 3] {
        b.pull(&b.publish_to(slot, &format!("f{slot}.femto"), &forever, 1, &[], &key)).await.unwrap();
        start(&mut b, slot, 0).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first = running(&mut b).await;
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|r| r.state == proto::RunState::Running));
    assert_eq!(b.device.get("running_vm").await.unwrap(), b"[false, true, true, true]");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // All three advance, and the device answers meanwhile.
    let second = running(&mut b).await;
    for (a, z) in first.iter().zip(&second) {
        assert!(z.executed > a.executed, "slot {} did not advance", a.slot);
    }
    assert_eq!(b.device.info().await.unwrap().board, board().name());
    for slot in [1u8, 2, 3] {
        b.device
            .request(RequestType::Post, proto::paths::STOP, &proto::encode(&proto::StopRequest { slot }))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(running(&mut b).await.iter().all(|r| r.state == proto::RunState::Stopped));
    b.stop();
}
