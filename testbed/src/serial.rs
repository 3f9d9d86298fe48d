//! The host's end of a device's serial line: slipmux (draft-bormann-t2trg-slipmux)
//! over a tty or a TCP byte stream, bridged to a loopback UDP port.
//!
//! A device on a serial line (a board's ST-LINK virtual COM port, QEMU's `-serial
//! tcp:`, a FIT IoT-LAB node's TCP port 20000, Renode's server-socket terminal)
//! speaks CoAP in configuration frames and logs in diagnostic frames. The [`Bridge`]
//! owns the line and gives the rest of the host what a UDP node gives:
//!
//! - a loopback UDP address ([`Bridge::coap_addr`]) that any CoAP client talks to:
//!   each datagram goes to the device as a configuration frame, and the device's
//!   answer comes back to whoever sent the request;
//! - the console: diagnostic frames, as lines, to a file or stderr;
//! - the device's own requests (pulls, which name their target in Proxy-Uri) are
//!   forwarded to the file server over UDP, and the answer is framed back. The
//!   gateway address nodes are given for the host (10.0.2.2, as in QEMU's user
//!   networking) is reached on the host's loopback, so one manifest URI serves nodes
//!   on either link.
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use coap_lite::{MessageClass, MessageType, Packet, ResponseType};
use slipmux::{BufferedFrameHandler, Decoder, Slipmux};

use crate::error::{Error, Result};

/// The host as nodes see it (QEMU's user networking gateway); forwarded to loopback.
pub const HOST_AS_SEEN_BY_NODES: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The serial lines' default speed (the firmware's and the ST-LINK's).
pub const DEFAULT_BAUD: u32 = 115_200;
/// How long a forwarded pull request waits for the file server.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a device's serial line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialAddr {
    /// `serial:///dev/ttyACM0[?baud=N]`: a tty (a board on the desk).
    Tty { path: PathBuf, baud: u32 },
    /// `serial+tcp://HOST:PORT`: a byte stream on TCP (QEMU's `-serial tcp:`, a FIT
    /// IoT-LAB node's port 20000, Renode's server-socket terminal).
    Tcp(String),
}

impl SerialAddr {
    /// Parses a device address of a serial form; `None` for other forms (`coap://`).
    pub fn parse(uri: &str) -> Option<Result<SerialAddr>> {
        let bad = |message: &str| {
            Error::Coap(crate::coap_client::CoapError::BadAddress {
                uri: uri.to_string(),
                message: message.to_string(),
            })
        };
        if let Some(rest) = uri.strip_prefix("serial+tcp://") {
            let rest = rest.trim_end_matches('/');
            return Some(if rest.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()) {
                Ok(SerialAddr::Tcp(rest.to_string()))
            } else {
                Err(bad("want serial+tcp://HOST:PORT"))
            });
        }
        let rest = uri.strip_prefix("serial://")?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !path.starts_with('/') {
            return Some(Err(bad("want serial:///dev/TTY (an absolute path)")));
        }
        let mut baud = DEFAULT_BAUD;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("baud", v)) => match v.parse() {
                    Ok(b) => baud = b,
                    Err(_) => return Some(Err(bad("baud is not a number"))),
                },
                _ => return Some(Err(bad("the only option is baud=N"))),
            }
        }
        Some(Ok(SerialAddr::Tty { path: PathBuf::from(path), baud }))
    }
}

impl std::fmt::Display for SerialAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SerialAddr::Tty { path, baud } => write!(f, "serial://{}?baud={baud}", path.display()),
            SerialAddr::Tcp(a) => write!(f, "serial+tcp://{a}"),
        }
    }
}

/// Where the device's console lines go.
pub enum Console {
    File(PathBuf),
    /// Standard error, each line behind a prefix.
    Stderr(String),
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// A running bridge; dropping it closes the line and stops its threads.
pub struct Bridge {
    addr: SerialAddr,
    coap_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    tcp: Option<TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Bridge {
    /// Opens the line (retrying a refused TCP connection until `connect_timeout`, for
    /// an emulator that is still starting) and starts bridging.
    pub fn start(addr: &SerialAddr, console: Console, connect_timeout: Duration) -> Result<Bridge> {
        Self::start_listening(addr, console, connect_timeout, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// [`Bridge::start`], with the UDP side bound to `listen`.
    pub fn start_listening(
        addr: &SerialAddr,
        console: Console,
        connect_timeout: Duration,
        listen: SocketAddr,
    ) -> Result<Bridge> {
        let line_error = |source| Error::Socket { what: format!("the serial line {addr}"), source };
        let (reader, writer, tcp): (Box<dyn Read + Send>, Box<dyn Write + Send>, Option<TcpStream>) = match addr {
            SerialAddr::Tcp(a) => {
                let deadline = std::time::Instant::now() + connect_timeout;
                let stream = loop {
                    match TcpStream::connect(a) {
                        Ok(s) => break s,
                        Err(e) if std::time::Instant::now() >= deadline => return Err(line_error(e)),
                        Err(_) => std::thread::sleep(Duration::from_millis(20)),
                    }
                };
                stream.set_nodelay(true).map_err(line_error)?;
                let r = stream.try_clone().map_err(line_error)?;
                let w = stream.try_clone().map_err(line_error)?;
                (Box::new(r), Box::new(w), Some(stream))
            }
            SerialAddr::Tty { path, baud } => {
                let port = serialport::new(path.to_string_lossy(), *baud)
                    .timeout(Duration::from_millis(100))
                    .open_native()
                    .map_err(|e| line_error(std::io::Error::other(e)))?;
                let w = port.try_clone_native().map_err(|e| line_error(std::io::Error::other(e)))?;
                (Box::new(port), Box::new(w), None)
            }
        };
        let udp_error = |source| Error::Socket { what: format!("UDP {listen}"), source };
        let udp = UdpSocket::bind(listen).map_err(udp_error)?;
        udp.set_read_timeout(Some(Duration::from_millis(100))).map_err(udp_error)?;
        let coap_addr = udp.local_addr().map_err(udp_error)?;
        let udp = Arc::new(udp);
        let writer: Writer = Arc::new(Mutex::new(writer));
        let stop = Arc::new(AtomicBool::new(false));
        // Who asked what: a device answer goes back to the sender of the request with
        // its message id (piggybacked ACK) or, failing that, its token.
        let askers: Arc<Mutex<Askers>> = Arc::default();
        let console: Box<dyn FnMut(&str) + Send> = match console {
            Console::File(path) => {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(Error::file("create", &path))?;
                Box::new(move |line| {
                    let _ = file.write_all(line.as_bytes());
                    let _ = file.flush();
                })
            }
            Console::Stderr(prefix) => Box::new(move |line| eprint!("{prefix}{line}")),
        };
        let from_device = {
            let (udp, writer, stop, askers) = (udp.clone(), writer.clone(), stop.clone(), askers.clone());
            std::thread::spawn(move || read_line(reader, console, udp, writer, askers, stop))
        };
        let to_device = {
            let (writer, stop, askers) = (writer.clone(), stop.clone(), askers.clone());
            std::thread::spawn(move || relay_to_device(udp, writer, askers, stop))
        };
        tracing::info!(line = %addr, %coap_addr, "serial bridge started");
        Ok(Bridge { addr: addr.clone(), coap_addr, stop, tcp, threads: vec![from_device, to_device] })
    }

    /// The loopback UDP address that reaches the device's CoAP server.
    pub fn coap_addr(&self) -> SocketAddr {
        self.coap_addr
    }

    pub fn line(&self) -> &SerialAddr {
        &self.addr
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(tcp) = &self.tcp {
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A device named by its address: UDP (`coap://HOST:PORT`), or a serial line
/// (`serial:///dev/TTY`, `serial+tcp://HOST:PORT`) bridged to a loopback UDP port
/// for as long as this lives.
pub struct DeviceLink {
    pub coap_addr: SocketAddr,
    pub bridge: Option<Bridge>,
}

/// Opens the device `uri` names; a serial device's console goes to `console`.
pub fn open_device(uri: &str, console: Console) -> Result<DeviceLink> {
    match SerialAddr::parse(uri) {
        Some(line) => {
            let bridge = Bridge::start(&line?, console, Duration::from_secs(5))?;
            Ok(DeviceLink { coap_addr: bridge.coap_addr(), bridge: Some(bridge) })
        }
        None => Ok(DeviceLink { coap_addr: crate::coap_client::parse_device_uri(uri)?, bridge: None }),
    }
}

#[derive(Default)]
struct Askers {
    by_mid: HashMap<u16, SocketAddr>,
    by_token: HashMap<Vec<u8>, SocketAddr>,
}

/// Frames `message` as a configuration frame and writes it to the line.
fn send_frame(writer: &Writer, message: Vec<u8>) {
    let frame = slipmux::encode_buffered(Slipmux::Configuration(message));
    if let Ok(mut w) = writer.lock() {
        let _ = w.write_all(&frame).and_then(|()| w.flush());
    }
}

/// UDP clients → device.
fn relay_to_device(udp: Arc<UdpSocket>, writer: Writer, askers: Arc<Mutex<Askers>>, stop: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 2048];
    while !stop.load(Ordering::Acquire) {
        let Ok((n, from)) = udp.recv_from(&mut buf) else { continue };
        let Ok(packet) = Packet::from_bytes(&buf[..n]) else { continue };
        if let Ok(mut a) = askers.lock() {
            a.by_mid.insert(packet.header.message_id, from);
            a.by_token.insert(packet.get_token().to_vec(), from);
        }
        send_frame(&writer, buf[..n].to_vec());
    }
}

/// Device → console, UDP clients and (forwarded) the file server.
fn read_line(
    mut reader: Box<dyn Read + Send>,
    mut console: Box<dyn FnMut(&str) + Send>,
    udp: Arc<UdpSocket>,
    writer: Writer,
    askers: Arc<Mutex<Askers>>,
    stop: Arc<AtomicBool>,
) {
    // Decoder and handler keep their state across reads: a frame may span several.
    let mut decoder = Decoder::new();
    let mut frames = BufferedFrameHandler::new();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Acquire) {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted) => continue,
            Err(_) => break,
        };
        for &b in &buf[..n] {
            let _ = decoder.decode(b, &mut frames);
        }
        for frame in std::mem::take(&mut frames.results).into_iter().flatten() {
            match frame {
                Slipmux::Diagnostic(text) => console(&text),
                Slipmux::Configuration(message) => {
                    let Ok(packet) = Packet::from_bytes(&message) else { continue };
                    if matches!(packet.header.code, MessageClass::Request(_)) {
                        let writer = writer.clone();
                        std::thread::spawn(move || forward(packet, &writer));
                    } else if let Ok(mut a) = askers.lock() {
                        // Answered: the request's entries go (a retransmission adds them again).
                        let by_mid = a.by_mid.remove(&packet.header.message_id);
                        let by_token = a.by_token.remove(packet.get_token());
                        if let Some(to) = by_mid.or(by_token) {
                            let _ = udp.send_to(&message, to);
                        }
                    }
                }
                Slipmux::Packet(_) => {}
            }
        }
    }
}

/// Forwards one of the device's requests to the target its Proxy-Uri names, and
/// frames the answer (or 5.02/5.04) back as the piggybacked reply to that request.
fn forward(request: Packet, writer: &Writer) {
    let Some(mut reply) = proto::coap::reply_to(&request) else { return };
    let answer = proto::coap::proxy::forwarded(&request).map(|(target, mut out)| {
        let target = match target.ip() {
            IpAddr::V4(v4) if v4 == HOST_AS_SEEN_BY_NODES => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), target.port()),
            _ => target,
        };
        exchange(&mut out, target)
    });
    match answer {
        Some(Some(answer)) => {
            reply.header.code = answer.header.code;
            for (number, values) in answer.options() {
                for v in values {
                    reply.add_option(coap_lite::CoapOption::from(*number), v.clone());
                }
            }
            reply.payload = answer.payload;
        }
        Some(None) => reply.header.code = MessageClass::Response(ResponseType::GatewayTimeout),
        None => reply.header.code = MessageClass::Response(ResponseType::BadGateway),
    }
    if let Ok(bytes) = reply.to_bytes() {
        send_frame(writer, bytes);
    }
}

/// One confirmable exchange with `target`; the device retransmits if this is lost.
fn exchange(out: &mut Packet, target: SocketAddr) -> Option<Packet> {
    let socket = UdpSocket::bind(if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).ok()?;
    socket.set_read_timeout(Some(FORWARD_TIMEOUT)).ok()?;
    let mid: u16 = rand::random();
    let token: [u8; 4] = rand::random();
    out.header.message_id = mid;
    out.header.set_type(MessageType::Confirmable);
    out.set_token(token.to_vec());
    socket.send_to(&out.to_bytes().ok()?, target).ok()?;
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut buf).ok()?;
        if from != target {
            continue;
        }
        if let Ok(p) = Packet::from_bytes(&buf[..n]) {
            if proto::coap::request::answers(&p, mid, &token) {
                return Some(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_addresses_of_the_serial_forms_parse() {
        assert!(SerialAddr::parse("coap://127.0.0.1:5683").is_none());
        assert_eq!(
            SerialAddr::parse("serial+tcp://127.0.0.1:4000").unwrap().unwrap(),
            SerialAddr::Tcp("127.0.0.1:4000".into())
        );
        assert_eq!(
            SerialAddr::parse("serial:///dev/ttyACM0").unwrap().unwrap(),
            SerialAddr::Tty { path: "/dev/ttyACM0".into(), baud: DEFAULT_BAUD }
        );
        assert_eq!(
            SerialAddr::parse("serial:///dev/ttyUSB1?baud=921600").unwrap().unwrap(),
            SerialAddr::Tty { path: "/dev/ttyUSB1".into(), baud: 921_600 }
        );
        for bad in ["serial+tcp://127.0.0.1", "serial+tcp://:4000", "serial://dev/tty", "serial:///dev/tty?speed=9"] {
            assert!(SerialAddr::parse(bad).unwrap().is_err(), "{bad}");
        }
    }
}
