//! The CoAP server (RFC 7252) on UDP port 5683.
//!
//! One request is handled at a time: parse with coap-lite, route by path, answer with a
//! piggybacked ACK for confirmable requests and a NON for non-confirmable ones.
//! Malformed datagrams are dropped (RFC 7252 §4.2: a message that cannot be parsed is
//! silently ignored or rejected with RST; we send RST when the header was readable).
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;

use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::Stack;

use crate::println;
use crate::runtime::background;
use crate::runtime::slots::{PullError, Slots, SLOT_COUNT};

/// The largest UDP payload over a 1500-byte Ethernet MTU (IPv4).
const MAX_DATAGRAM: usize = 1472;

#[embassy_executor::task]
pub async fn task(stack: Stack<'static>, spawner: embassy_executor::Spawner) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut rx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut tx_buf = vec![0u8; 4 * MAX_DATAGRAM];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    if let Err(e) = socket.bind(proto::COAP_PORT) {
        panic!("coap: bind failed: {e:?}");
    }
    println!(
        "coap: listening on udp port {} ({} guest instructions after reset)",
        proto::COAP_PORT,
        crate::time_driver::core_clock_counts() * crate::board::INSNS_PER_COUNT as u64
    );
    let mut datagram = vec![0u8; MAX_DATAGRAM];
    let mut slots = Slots::new();
    let mut recent = Recent::new();
    let mut blocks = Blocks::new();
    #[cfg(feature = "unsigned-run")]
    let mut arena = crate::runtime::run::Arena::new();
    #[cfg(not(feature = "unsigned-run"))]
    let mut arena = ();
    loop {
        let (n, meta) = match socket.recv_from(&mut datagram).await {
            Ok(x) => x,
            Err(_) => continue, // truncated datagram: drop it
        };
        let mid = message_id(&datagram[..n]);
        if let Some(reply) = mid.and_then(|mid| recent.get(meta.endpoint, mid)) {
            // A retransmission of a request already handled: answer it again without
            // running it twice (RFC 7252 §4.5).
            let _ = socket.send_to(reply, meta.endpoint).await;
            continue;
        }
        if let Some(reply) =
            handle_datagram(&datagram[..n], meta.endpoint, stack, spawner, &mut slots, &mut arena, &mut blocks).await
        {
            if let Some(mid) = mid {
                recent.put(meta.endpoint, mid, reply.clone());
            }
            if let Err(e) = socket.send_to(&reply, meta.endpoint).await {
                println!("coap: send to {} failed: {:?}", meta.endpoint, e);
            }
        }
    }
}

/// The message id of a datagram whose header is readable.
fn message_id(bytes: &[u8]) -> Option<u16> {
    (bytes.len() >= 4).then(|| u16::from_be_bytes([bytes[2], bytes[3]]))
}

/// The replies to the last few requests, by sender and message id, so that a
/// retransmitted request gets the same answer.
struct Recent {
    entries: heapless::Deque<(embassy_net::IpEndpoint, u16, Vec<u8>), 8>,
}

impl Recent {
    fn new() -> Self {
        Self { entries: heapless::Deque::new() }
    }

    fn get(&self, from: embassy_net::IpEndpoint, mid: u16) -> Option<&[u8]> {
        self.entries.iter().find(|(e, m, _)| *e == from && *m == mid).map(|(_, _, r)| r.as_slice())
    }

    fn put(&mut self, from: embassy_net::IpEndpoint, mid: u16, reply: Vec<u8>) {
        if self.entries.is_full() {
            self.entries.pop_front();
        }
        let _ = self.entries.push_back((from, mid, reply));
    }
}

/// The last large answer per sender and path, served block by block (RFC 7959 Block2).
/// A request for block N > 0 of a cached answer is answered from here, so a POST is
/// not executed again for its later blocks.
struct Blocks {
    entries: Vec<(embassy_net::IpEndpoint, Vec<u8>, u8, u16, Vec<u8>)>,
}

impl Blocks {
    /// Answers kept at once.
    const CAPACITY: usize = 2;

    fn new() -> Self {
        Self { entries: Vec::new() }
    }

    fn get(&self, from: embassy_net::IpEndpoint, path: &[u8]) -> Option<(u8, u16, &[u8])> {
        self.entries.iter().find(|(e, p, ..)| *e == from && p == path).map(|(_, _, c, f, b)| (*c, *f, b.as_slice()))
    }

    fn put(&mut self, from: embassy_net::IpEndpoint, path: Vec<u8>, code: u8, format: u16, body: Vec<u8>) {
        if let Some(i) = self.entries.iter().position(|(e, p, ..)| *e == from && *p == path) {
            self.entries.remove(i);
        } else if self.entries.len() >= Self::CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((from, path, code, format, body));
    }
}

const BLOCK_SZX: u8 = proto::block::SZX_1024;
const BLOCK_SIZE: usize = 1024;

/// Turns one datagram into the datagram to send back, if any.
async fn handle_datagram(
    bytes: &[u8],
    from: embassy_net::IpEndpoint,
    stack: Stack<'static>,
    spawner: embassy_executor::Spawner,
    slots: &mut Slots,
    arena: &mut Arena,
    blocks: &mut Blocks,
) -> Option<Vec<u8>> {
    let request = match Packet::from_bytes(bytes) {
        Ok(p) => p,
        Err(_) => return None,
    };
    let mut reply = proto::coap::reply_to(&request)?;

    let method = match request.header.code {
        MessageClass::Request(m) => m,
        _ => return None,
    };
    let path = path_of(&request);
    let wanted = request
        .get_option(coap_lite::CoapOption::Block2)
        .and_then(|v| v.front())
        .map(|v| proto::block::Block::decode(v));
    let (code, body) = match wanted {
        Some(None) => (ResponseType::BadOption, None),
        Some(Some(b)) if b.num > 0 => match blocks.get(from, &path) {
            // A later block of an answer already made: from the cache.
            Some((code, format, body)) => {
                let size = 1usize << (b.szx.min(BLOCK_SZX) + 4);
                let start = b.num as usize * size;
                if start >= body.len() {
                    (ResponseType::BadOption, None)
                } else {
                    let end = (start + size).min(body.len());
                    let more = end < body.len();
                    reply.add_option(
                        coap_lite::CoapOption::Block2,
                        proto::block::Block { num: b.num, more, szx: b.szx.min(BLOCK_SZX) }
                            .encode()
                            .as_slice()
                            .to_vec(),
                    );
                    let code = match MessageClass::from(code) {
                        MessageClass::Response(c) => c,
                        _ => ResponseType::Content,
                    };
                    (code, Some((format, body[start..end].to_vec())))
                }
            }
            None => (ResponseType::RequestEntityIncomplete, text("no answer to continue; ask for block 0 first")),
        },
        _ => route(method, &path, &request.payload, stack, spawner, slots, arena).await,
    };
    // An answer larger than a block goes out as block 0 and is kept for the rest.
    let (code, body) = match body {
        Some((format, payload))
            if payload.len() > BLOCK_SIZE && !reply.get_option(coap_lite::CoapOption::Block2).is_some() =>
        {
            let raw: u8 = MessageClass::Response(code).into();
            let first = payload[..BLOCK_SIZE].to_vec();
            reply.add_option(
                coap_lite::CoapOption::Block2,
                proto::block::Block { num: 0, more: true, szx: BLOCK_SZX }.encode().as_slice().to_vec(),
            );
            blocks.put(from, path.clone(), raw, format, payload);
            (code, Some((format, first)))
        }
        other => (code, other),
    };
    reply.header.code = MessageClass::Response(code);
    if let Some((format, payload)) = body {
        // A CoAP uint: big-endian without leading zero bytes (0 is empty).
        let be = format.to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        reply.add_option(coap_lite::CoapOption::ContentFormat, be[skip..].to_vec());
        reply.payload = payload;
    }
    reply.to_bytes().ok()
}

fn path_of(packet: &Packet) -> Vec<u8> {
    let mut path = Vec::new();
    if let Some(segments) = packet.get_option(coap_lite::CoapOption::UriPath) {
        for (i, seg) in segments.iter().enumerate() {
            if i > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(seg);
        }
    }
    path
}

/// A content-format number (RFC 7252 §12.3) and a payload.
type Body = Option<(u16, Vec<u8>)>;

fn cbor(value: &impl minicbor::Encode<()>) -> Body {
    Some((proto::CONTENT_FORMAT_CBOR, proto::encode(value)))
}

fn text(s: &str) -> Body {
    Some((0, s.as_bytes().to_vec()))
}

/// The reply of a slot that answered a CoAP request itself.
fn app_reply(outcome: Option<Result<crate::runtime::slots::CoapAnswer, proto::Failure>>) -> (ResponseType, Body) {
    match outcome {
        None => (ResponseType::NotFound, text("no program in that slot")),
        Some(Err(f)) => (ResponseType::InternalServerError, text(&f.message)),
        Some(Ok(a)) => match MessageClass::from(a.code) {
            MessageClass::Response(code) => (code, Some((a.format.unwrap_or(0), a.payload))),
            _ => (ResponseType::InternalServerError, text("the program set no response code")),
        },
    }
}

fn decode<'b, T: minicbor::Decode<'b, ()>>(payload: &'b [u8]) -> Result<T, (ResponseType, Body)> {
    proto::decode(payload).map_err(|_| (ResponseType::BadRequest, text("payload is not the CBOR this resource takes")))
}

#[cfg(feature = "unsigned-run")]
type Arena = crate::runtime::run::Arena;
#[cfg(not(feature = "unsigned-run"))]
type Arena = ();

async fn route(
    method: RequestType,
    path: &[u8],
    payload: &[u8],
    stack: Stack<'static>,
    spawner: embassy_executor::Spawner,
    slots: &mut Slots,
    arena: &mut Arena,
) -> (ResponseType, Body) {
    let _ = &arena;
    use proto::paths;
    let is = |p: &str| path == p.as_bytes();
    match method {
        RequestType::Get if is(paths::SLOTS) => return (ResponseType::Content, cbor(&slots.list())),
        RequestType::Post if is(paths::PULL) => {
            let req: proto::PullRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return match slots.pull(stack, &req.manifest_uri).await {
                Ok(resp) => (ResponseType::Changed, cbor(&resp)),
                Err(e) => {
                    let (code, reason) = match e {
                        PullError::BadRequest(r) => (ResponseType::BadRequest, r),
                        PullError::Unauthorized(r) => (ResponseType::Unauthorized, r),
                        PullError::Forbidden(r) => (ResponseType::Forbidden, r),
                        PullError::TooLarge(r) => (ResponseType::RequestEntityTooLarge, r),
                        PullError::Gateway(r) => (ResponseType::GatewayTimeout, r),
                    };
                    println!("pull {}: refused: {}", req.manifest_uri, reason);
                    (code, text(&reason))
                }
            };
        }
        RequestType::Post if is(paths::EXEC) => {
            let req: proto::ExecRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return match slots.exec(req) {
                Some(resp) => (ResponseType::Changed, cbor(&resp)),
                None => (ResponseType::NotFound, text("no program in that slot")),
            };
        }
        #[cfg(feature = "bench")]
        RequestType::Post if is(paths::NATIVE) => {
            let req: proto::NativeRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return (ResponseType::Changed, cbor(&crate::native::run(&req)));
        }
        RequestType::Post if is("short-execution") => {
            let cfg = match core::str::from_utf8(payload)
                .map_err(|_| "payload is not text")
                .and_then(crate::microbpf::parse_config)
            {
                Ok(c) => c,
                Err(e) => return (ResponseType::BadRequest, text(e)),
            };
            let engine = if cfg.jit { proto::Engine::Jit } else { proto::Engine::Interp };
            let req = proto::ExecRequest { slot: cfg.slot, engine, input: Vec::new(), budget: 0, helpers: None };
            return match slots.exec_narrowed(req, cfg.helpers) {
                Some(proto::RunResponse { result: Some(r), .. }) => {
                    (ResponseType::Changed, text(&alloc::format!("{{\"result\": {r}}}")))
                }
                Some(proto::RunResponse { failure: Some(f), .. }) => (ResponseType::BadRequest, text(&f.message)),
                Some(_) => (ResponseType::InternalServerError, None),
                None => (ResponseType::NotFound, text("no program in that slot")),
            };
        }
        RequestType::Post if is("long-running") => {
            let cfg = match core::str::from_utf8(payload)
                .map_err(|_| "payload is not text")
                .and_then(crate::microbpf::parse_config)
            {
                Ok(c) => c,
                Err(e) => return (ResponseType::BadRequest, text(e)),
            };
            let Some((image, granted)) = slots.program(cfg.slot) else {
                return (ResponseType::NotFound, text("no program in that slot"));
            };
            let allowed = cfg.helpers.map_or(granted, |n| granted.intersection(n));
            return match background::start(spawner, cfg.slot, image, allowed, Vec::new(), 0) {
                Ok(()) => (ResponseType::Changed, text("started")),
                Err(_) => (ResponseType::Forbidden, text("could not start")),
            };
        }
        RequestType::Post if is("suit/pull") => {
            let uri = match core::str::from_utf8(payload)
                .map_err(|_| "payload is not text")
                .and_then(crate::microbpf::pull_uri)
            {
                Ok(u) => u,
                Err(e) => return (ResponseType::BadRequest, text(e)),
            };
            return match slots.pull(stack, &uri).await {
                Ok(r) => (ResponseType::Changed, text(&alloc::format!("slot {} sequence {}", r.slot, r.sequence))),
                Err(
                    PullError::BadRequest(r)
                    | PullError::Unauthorized(r)
                    | PullError::Forbidden(r)
                    | PullError::TooLarge(r)
                    | PullError::Gateway(r),
                ) => (ResponseType::BadRequest, text(&r)),
            };
        }
        // A slot answering the request itself: /app/N (any method) runs slot N on the
        // interpreter, /app/N/jit on the JIT.
        _ if path.starts_with(b"app/") => {
            let rest = &path[4..];
            let (slot, engine) = match rest {
                [d] if d.is_ascii_digit() => (d - b'0', proto::Engine::Interp),
                [d, b'/', b'j', b'i', b't'] if d.is_ascii_digit() => (d - b'0', proto::Engine::Jit),
                _ => return (ResponseType::NotFound, text("use /app/SLOT or /app/SLOT/jit")),
            };
            return app_reply(slots.exec_coap(slot, engine, payload, None));
        }
        RequestType::Post if is("with_coap_pkt") => {
            let cfg = match core::str::from_utf8(payload)
                .map_err(|_| "payload is not text")
                .and_then(crate::microbpf::parse_config)
            {
                Ok(c) => c,
                Err(e) => return (ResponseType::BadRequest, text(e)),
            };
            let engine = if cfg.jit { proto::Engine::Jit } else { proto::Engine::Interp };
            return app_reply(slots.exec_coap(cfg.slot, engine, payload, cfg.helpers));
        }
        RequestType::Post if is(paths::SENSOR) => {
            let req: proto::SensorRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return match crate::runtime::devices::SENSORS.get(usize::from(req.index)) {
                Some(s) => {
                    s.set(req.value);
                    (ResponseType::Changed, None)
                }
                None => (ResponseType::NotFound, text("no such sensor")),
            };
        }
        RequestType::Get if is(paths::RUNNING) => return (ResponseType::Content, cbor(&background::list())),
        // µBPF's view: one flag per slot, as text.
        RequestType::Get if is("running_vm") => {
            let flags = background::running_flags();
            let mut out = alloc::string::String::from("[");
            for (i, f) in flags.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(if *f { "true" } else { "false" });
            }
            out.push(']');
            return (ResponseType::Content, text(&out));
        }
        RequestType::Post if is(paths::START) => {
            let req: proto::StartRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let Some((image, helpers)) = slots.program(req.slot) else {
                return (ResponseType::NotFound, text("no program in that slot"));
            };
            return match background::start(spawner, req.slot, image, helpers, req.input, req.budget) {
                Ok(()) => (ResponseType::Changed, None),
                Err(background::StartError::AlreadyRunning) => {
                    (ResponseType::Forbidden, text("a program already runs in that slot"))
                }
                Err(background::StartError::NoTask) => {
                    (ResponseType::ServiceUnavailable, text("no free task for a background program"))
                }
            };
        }
        RequestType::Post if is(paths::STOP) => {
            let req: proto::StopRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return if background::stop(req.slot) {
                (ResponseType::Changed, None)
            } else {
                (ResponseType::NotFound, text("nothing runs in that slot"))
            };
        }
        RequestType::Post if is(paths::ERASE) => {
            let req: proto::EraseRequest = match decode(payload) {
                Ok(r) => r,
                Err(e) => return e,
            };
            return if slots.erase(req.slot) {
                (ResponseType::Deleted, None)
            } else {
                (ResponseType::NotFound, text("no such slot"))
            };
        }
        _ => {}
    }
    match (method, path) {
        #[cfg(feature = "unsigned-run")]
        (RequestType::Post, p) if p == proto::paths::RUN.as_bytes() => {
            match proto::decode::<proto::RunRequest>(payload) {
                Ok(req) => (ResponseType::Changed, cbor(&crate::runtime::run::run_request(req, arena))),
                Err(_) => (ResponseType::BadRequest, text("payload is not a CBOR RunRequest")),
            }
        }
        (RequestType::Get, p) if p == proto::paths::INFO.as_bytes() => (ResponseType::Content, cbor(&info())),
        (_, p)
            if [
                paths::INFO,
                paths::SLOTS,
                paths::PULL,
                paths::EXEC,
                paths::ERASE,
                paths::RUN,
                paths::START,
                paths::STOP,
                paths::RUNNING,
                paths::SENSOR,
            ]
            .iter()
            .any(|r| p == r.as_bytes()) =>
        {
            (ResponseType::MethodNotAllowed, None)
        }
        _ => (ResponseType::NotFound, None),
    }
}

const FEATURES: &[&str] = &[
    "coap",
    "ipv4",
    "ipv6",
    "interp",
    "jit",
    #[cfg(feature = "unsigned-run")]
    "unsigned-run",
    #[cfg(feature = "bench")]
    "native",
    #[cfg(feature = "bench")]
    "rbpf",
];

fn info() -> proto::Info {
    proto::Info {
        board: crate::board::NAME.to_string(),
        build_id: crate::BUILD_ID.to_string(),
        features: FEATURES.iter().map(|s| s.to_string()).collect(),
        slots: SLOT_COUNT as u8,
        version: env!("CARGO_PKG_VERSION").to_string(),
        addresses: crate::net::addresses(crate::net::mac()).into_iter().collect(),
    }
}
