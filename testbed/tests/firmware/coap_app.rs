//! A slot answering CoAP requests itself (/app/N), through the CoAP helpers.
use coap_lite::RequestType;
use testbed::Node;
use vm::image::{Image, Layout};

use super::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_program_answers_coap_requests_on_both_engines() {
    let mut b = Bench::start().await;
    let key = testbed_key();
    let work = tempfile::tempdir().unwrap();
    let obj = testbed::compile::compile_c(
        &testbed::repo_root().join("programs/tests/coap_echo.c"),
        work.path(),
        testbed::compile::DEFAULT_CPU,
        &[],
        &[],
    )
    .unwrap();
    let img = Image::load(Layout::Elf, &obj).unwrap().emit(Layout::Femto).unwrap();
    b.pull(&b.publish_with("echo.femto", &img, 1, &[0x40, 0x41, 0x42, 0x43, 0x51], &key)).await.unwrap();

    for path in ["app/1", "app/1/jit"] {
        let answer = b.device.request(RequestType::Post, path, b"hello").await.unwrap();
        assert_eq!(String::from_utf8(answer).unwrap(), "5:hello", "{path}");
        let answer = b.device.request(RequestType::Get, path, b"").await.unwrap();
        assert_eq!(String::from_utf8(answer).unwrap(), "0:", "{path}");
    }
    // µBPF's path (config 0x0202: slot 1, the image's helper list); the config text is
    // the request the program sees.
    let answer = b.device.request(RequestType::Post, "with_coap_pkt", b"0202").await.unwrap();
    assert_eq!(String::from_utf8(answer).unwrap(), "4:0202");
    // An empty slot, and a helper the manifest did not grant.
    assert!(b.device.request(RequestType::Get, "app/2", b"").await.is_err());
    let narrowed = b.device.request(RequestType::Post, "with_coap_pkt", b"000240").await;
    assert!(narrowed.is_err(), "coap helpers beyond 0x40 were not in the request's list");
    assert!(b.node.crashed().is_none());
    b.stop();
}
