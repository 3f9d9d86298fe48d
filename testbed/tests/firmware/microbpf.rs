//! µBPF's text endpoints on the default firmware.
use coap_lite::RequestType;

use super::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn microbpf_paths_and_encodings() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    let img = image(42);
    b.pull(&b.publish("p.femto", &img, &img, 1, &key)).await.unwrap();

    // Config 0x0002: slot 1, interpreter; 0x0402: slot 1 on the JIT.
    for cfg in ["0002", "0402"] {
        let r = b.device.request(RequestType::Post, "short-execution", cfg.as_bytes()).await.unwrap();
        assert_eq!(String::from_utf8(r).unwrap(), "{\"result\": 42}", "{cfg}");
    }
    // Malformed configs and an empty slot are refused with a reason.
    assert!(b.device.request(RequestType::Post, "short-execution", b"zz").await.is_err());
    assert!(b.device.request(RequestType::Post, "short-execution", b"0006").await.is_err());

    // Long-running through µBPF's path; the result shows in /running.
    let r = b.device.request(RequestType::Post, "long-running", b"0002").await.unwrap();
    assert_eq!(r, b"started");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let running: Vec<proto::RunningInfo> = proto::decode(&b.device.get(proto::paths::RUNNING).await.unwrap()).unwrap();
    assert_eq!(running[0].result, Some(42));
    assert_eq!(b.device.get("running_vm").await.unwrap(), b"[false, false, false, false]");

    // /suit/pull checks its text before fetching anything.
    assert!(b.device.request(RequestType::Post, "suit/pull", b"not|enough").await.is_err());
    b.stop();
}
