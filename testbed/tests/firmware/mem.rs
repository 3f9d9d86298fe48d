//! The firmware's own block copies and fills (`firmware/src/mem.rs`, which replace
//! compiler_builtins' word loops): the testbed firmware checks them at boot against
//! bytewise ones, every length up to 40 bytes, moves overlapping either way, and says
//! so on its console.
use testbed::firmware::Variant;
use testbed::Node;

#[tokio::test(flavor = "multi_thread")]
async fn block_copies_and_fills_agree_with_bytewise_ones_on_the_device() {
    let (node, _logs) = super::common::boot("mem", Variant::Testbed).await;
    let console = std::fs::read_to_string(node.console_log()).unwrap();
    let line = console
        .lines()
        .find(|l| l.starts_with("mem: "))
        .unwrap_or_else(|| panic!("no check on the console: {console}"));
    assert_eq!(line, "mem: block copies and fills agree with bytewise ones (246 cases)", "{console}");
}
