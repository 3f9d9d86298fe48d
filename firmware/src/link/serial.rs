//! CoAP over a UART: slipmux (draft-bormann-t2trg-slipmux), as RIOT uses it.
//!
//! One serial line carries SLIP frames of two kinds here: configuration frames (a
//! CoAP message and a 16-bit FCS) both ways, and diagnostic frames (console text)
//! from the device. The UART's receive interrupt feeds [`RX`]; the [`reader`] task
//! decodes frames with the `slipmux` crate and routes each CoAP message by its code:
//! requests (and pings) to the server, everything else (answers) to a running pull. The host's
//! end of the line is the only peer; it forwards the device's pull requests, which
//! name their target in Proxy-Uri, to the file server.
use alloc::vec::Vec;
use core::fmt;

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embassy_sync::pipe::Pipe;
use proto::coap::MAX_MESSAGE;
use slipmux::{Constants, Decoder, FrameHandler, FrameType};

use super::{Link, Uplink};
use crate::coap::client::FetchError;

/// Received bytes not yet decoded: room for a request of one 1 KiB block, escaped,
/// arriving while the executor is busy.
const RX_BYTES: usize = 2048;
/// FCS bytes at the end of a configuration frame.
const FCS_LEN: usize = 2;

/// Filled by the UART's receive interrupt.
pub static RX: Pipe<CriticalSectionRawMutex, RX_BYTES> = Pipe::new();
static REQUESTS: Channel<CriticalSectionRawMutex, Vec<u8>, 2> = Channel::new();
static ANSWERS: Channel<CriticalSectionRawMutex, Vec<u8>, 2> = Channel::new();

/// How the server's console line names the link.
pub const DESCRIPTION: &str = "slipmux";

/// The serial link as the API holds it (the channels are statics).
#[derive(Clone, Copy)]
pub struct Net;

/// Starts the reader; the board's UART already receives into [`RX`].
pub fn start(spawner: Spawner, _board: crate::board::Resources) -> Net {
    spawner.spawn(reader().expect("the reader task is spawned once"));
    Net
}

/// What `/info` lists as the node's addresses.
pub fn addresses() -> Vec<alloc::string::String> {
    alloc::vec![alloc::string::String::from("slipmux")]
}

/// Collects configuration frames; drops the other kinds, bad frames and frames too
/// large to be a message this device takes.
struct Frames {
    buf: Vec<u8>,
    configuration: bool,
    overflow: bool,
    done: Option<Vec<u8>>,
}

impl FrameHandler for Frames {
    fn begin_frame(&mut self, frame_type: FrameType) {
        self.configuration = matches!(frame_type, FrameType::Configuration);
        self.overflow = false;
        self.buf.clear();
    }

    fn write_byte(&mut self, byte: u8) {
        if !self.configuration {
            return;
        }
        if self.buf.len() < MAX_MESSAGE + FCS_LEN && self.buf.try_reserve(1).is_ok() {
            self.buf.push(byte);
        } else {
            self.overflow = true;
        }
    }

    fn end_frame(&mut self, error: Option<slipmux::Error>) {
        if self.configuration && error.is_none() && !self.overflow && self.buf.len() > FCS_LEN {
            self.buf.truncate(self.buf.len() - FCS_LEN);
            self.done = Some(core::mem::take(&mut self.buf));
        }
        self.configuration = false;
    }
}

/// Whether a CoAP message is a request (code class 0, code not 0.00 Empty).
fn is_request(message: &[u8]) -> bool {
    message.len() >= 4 && message[1] != 0 && message[1] >> 5 == 0
}

#[embassy_executor::task]
async fn reader() -> ! {
    let mut decoder = Decoder::new();
    let mut frames = Frames { buf: Vec::new(), configuration: false, overflow: false, done: None };
    let mut chunk = [0u8; 64];
    loop {
        let n = RX.read(&mut chunk).await;
        for &byte in &chunk[..n] {
            // Errors (bad FCS, unknown frame type, abort) reach `end_frame` too.
            let _ = decoder.decode(byte, &mut frames);
            if let Some(message) = frames.done.take() {
                // A full queue drops the message, as a full socket buffer would.
                // A ping (an empty CON) is the server's to answer, like a request.
                let for_server = is_request(&message) || proto::coap::pong(&message).is_some();
                let queue = if for_server { &REQUESTS } else { &ANSWERS };
                let _ = queue.try_send(message);
            }
        }
    }
}

/// Sends one CoAP message as a configuration frame.
fn send_message(bytes: &[u8]) -> Result<(), FetchError> {
    // Worst case: every byte and the FCS escaped, plus start and end.
    let mut frame = Vec::new();
    frame.try_reserve_exact(2 * (bytes.len() + 1 + FCS_LEN) + 2).map_err(|_| FetchError::Socket)?;
    frame.resize(frame.capacity(), 0);
    let n = slipmux::encode_configuration(bytes, &mut frame);
    // Only an interrupt handler's console line can hold the UART now; retry after it.
    while crate::console::with_uart(|| crate::board::link_write(&frame[..n])).is_none() {
        core::hint::spin_loop();
    }
    Ok(())
}

/// The server's side: requests from the host, answers to it.
pub struct ServerLink;

impl Link for ServerLink {
    type Peer = ();

    async fn recv(&mut self, buf: &mut [u8]) -> (usize, ()) {
        loop {
            let message = REQUESTS.receive().await;
            if message.len() <= buf.len() {
                buf[..message.len()].copy_from_slice(&message);
                return (message.len(), ());
            }
        }
    }

    async fn send(&mut self, bytes: &[u8], _to: ()) {
        if send_message(bytes).is_err() {
            crate::println!("coap: no memory to frame a {}-byte answer", bytes.len());
        }
    }
}

#[embassy_executor::task]
pub async fn server(spawner: Spawner, net: Net) -> ! {
    crate::coap::server::run(ServerLink, net, spawner).await
}

/// A pull's side: requests to the host's end (forwarded), answers from it.
struct SerialUplink;

impl Uplink for SerialUplink {
    const FORWARDED: bool = true;

    async fn send(&mut self, bytes: &[u8]) -> Result<(), FetchError> {
        send_message(bytes)
    }

    async fn recv(&mut self, buf: &mut [u8]) -> usize {
        loop {
            let message = ANSWERS.receive().await;
            if message.len() <= buf.len() {
                buf[..message.len()].copy_from_slice(&message);
                return message.len();
            }
        }
    }
}

/// Fetches a whole file through the host's end of the line.
pub async fn get(_net: Net, uri: &str, max: usize) -> Result<Vec<u8>, FetchError> {
    // Answers left over from an earlier pull's retransmissions belong to no one now.
    while ANSWERS.try_receive().is_ok() {}
    crate::coap::client::fetch(&mut SerialUplink, uri, max).await
}

/// A console line as one diagnostic frame: opened on creation, SLIP-escaped as it
/// is written, closed when dropped. Written by hand because the line is formatted
/// piece by piece straight to the UART, without a buffer for the whole of it.
pub struct DiagnosticFrame<U: ByteSink> {
    uart: U,
}

/// A UART's transmit side.
pub trait ByteSink {
    fn put(&mut self, byte: u8);
}

impl<U: ByteSink> DiagnosticFrame<U> {
    pub fn open(mut uart: U) -> Self {
        uart.put(Constants::END);
        uart.put(Constants::DIAGNOSTIC);
        Self { uart }
    }
}

impl<U: ByteSink> fmt::Write for DiagnosticFrame<U> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            match byte {
                Constants::END => {
                    self.uart.put(Constants::ESC);
                    self.uart.put(Constants::ESC_END);
                }
                Constants::ESC => {
                    self.uart.put(Constants::ESC);
                    self.uart.put(Constants::ESC_ESC);
                }
                b => self.uart.put(b),
            }
        }
        Ok(())
    }
}

impl<U: ByteSink> Drop for DiagnosticFrame<U> {
    fn drop(&mut self) {
        self.uart.put(Constants::END);
    }
}
