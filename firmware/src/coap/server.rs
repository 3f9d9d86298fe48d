//! The CoAP server's receive loop: datagrams from the board's link go through the
//! `device` crate's request handling, and its answers go back.
use alloc::vec;

use device::Device;

use crate::link::Link;
use crate::platform::{Board, CONFIG, RESET_REQUESTED};
use crate::println;

/// Serves requests from `link` forever.
pub async fn run<L: Link>(mut link: L, net: crate::link::Net, spawner: embassy_executor::Spawner) -> ! {
    println!(
        "coap: listening on {} ({} guest instructions after reset)",
        crate::link::DESCRIPTION,
        crate::time_driver::systick_counts() * crate::board::INSNS_PER_COUNT as u64
    );
    let mut message = vec![0u8; device::server::MAX_MESSAGE];
    let mut device: Device<Board, L::Peer> = Device::boot(Board::new(net, spawner), &CONFIG);
    loop {
        let (n, from) = link.recv(&mut message).await;
        if let Some(reply) = device.handle(&message[..n], from).await {
            link.send(&reply, from).await;
        }
        if RESET_REQUESTED.load(core::sync::atomic::Ordering::Relaxed) {
            // `POST /reset` was answered: give the link a moment to send it, then reset
            // (SYSRESETREQ); what `persist` keeps comes back at the next boot.
            embassy_time::Timer::after_millis(20).await;
            println!("reset");
            cortex_m::peripheral::SCB::sys_reset();
        }
    }
}
