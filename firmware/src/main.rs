//! mbpf device firmware: a CoAP server on a Cortex-M4 that will host eBPF programs.
//!
//! `main` is a short script: bring up the board, start the executor, then one task per
//! concern (the link to the host, the CoAP server). Board specifics live in `board/`,
//! hand-written drivers in `drivers/`, the host link in `link/`; everything else is
//! portable.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod coap;
mod console;
mod cycles;
mod drivers;
mod executor;
mod heap;
mod link;
mod markers;
mod mem;
#[cfg(feature = "bench")]
mod native;
mod platform;
mod runtime;
mod stack;
mod time_driver;

use embassy_executor::Spawner;

/// The firmware's build id (git revision), stamped by `build.rs`.
pub const BUILD_ID: &str = env!("MBPF_BUILD_ID");

#[cortex_m_rt::entry]
fn main() -> ! {
    heap::init();
    runtime::helpers::init();
    let board = board::init();
    println!("mbpf firmware {} ({}) on {}", env!("CARGO_PKG_VERSION"), BUILD_ID, board::NAME);
    #[cfg(feature = "bench")]
    match mem::self_check() {
        Ok(cases) => println!("mem: block copies and fills agree with bytewise ones ({cases} cases)"),
        Err((n, d, s)) => println!("mem: wrong block copy or fill: {n} bytes to offset {d} from {s}"),
    }
    executor::run(move |spawner: Spawner| {
        let net = link::start(spawner, board);
        spawner.spawn(link::server(spawner, net).expect("the server task is spawned once"));
    })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // A panic is a firmware bug, never a consequence of input: say so loudly on the
    // console (sim treats this line as a crash) and stop.
    console::write_panic(format_args!("PANIC: {info}\n"));
    loop {
        cortex_m::asm::wfi();
    }
}
