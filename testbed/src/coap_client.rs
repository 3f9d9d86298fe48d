//! The host's CoAP client of the device API (RFC 7252, RFC 7959 Block2): a thin I/O loop
//! over the sans-I/O core in `proto::coap`.
use std::net::SocketAddr;
use std::time::Duration;

use coap_lite::{MessageClass, Packet, RequestType, ResponseType};
use proto::coap::block::{Block, BlockError, Next, Reassembly, SZX_1024};
use proto::coap::request::{answers, is_success, Request};
use proto::coap::retransmit::Schedule;
use rand_chacha::rand_core::SeedableRng;
use tokio::net::UdpSocket;

#[derive(Debug, thiserror::Error)]
pub enum CoapError {
    #[error("no answer from coap://{addr}/{path} after {attempts} attempts over {waited:?}")]
    Timeout { addr: SocketAddr, path: String, attempts: u32, waited: Duration },
    #[error("socket error talking to {addr}: {source}")]
    Io { addr: SocketAddr, source: std::io::Error },
    #[error("coap://{addr}/{path} answered {code}")]
    Status { addr: SocketAddr, path: String, code: String, payload: Vec<u8> },
    #[error("could not encode the request: {0}")]
    Encode(String),
    #[error("coap://{addr}/{path}: a block-wise answer went wrong ({error:?})")]
    Block { addr: SocketAddr, path: String, error: BlockError },
    #[error("malformed {what} answer from {addr}: {message}")]
    Malformed { addr: SocketAddr, what: &'static str, message: String },
    #[error("bad device address `{uri}`: {message}")]
    BadAddress { uri: String, message: String },
    #[error("EDHOC with {addr}: {refusal}")]
    Edhoc {
        addr: SocketAddr,
        #[source]
        refusal: auth::Refusal,
    },
    /// An unprotected 4.01 to a protected request: the device has no context for it
    /// (it restarted, or made room for newer ones), a wrong key or a replay.
    #[error("coap://{addr}/{path}: the device refused the request's OSCORE protection (4.01): {reason}")]
    NotInContext { addr: SocketAddr, path: String, reason: String },
    #[error("OSCORE with {addr}: {error}")]
    Oscore {
        addr: SocketAddr,
        #[source]
        error: auth::oscore::OscoreError,
    },
}

/// A client's credentials for a device: who it is, and which device it expects. The
/// client runs EDHOC at its first request and protects every request after with OSCORE.
#[derive(Clone)]
pub struct Credentials {
    pub identity: crate::keys::EdhocIdentity,
    /// The device's credential (CCS).
    pub device: Vec<u8>,
}

impl Credentials {
    /// The repository's test client, and the device identity default firmware carries.
    pub fn testbed() -> crate::Result<Self> {
        Ok(Self {
            identity: crate::keys::EdhocIdentity::read(&crate::keys::edhoc_client_path())?,
            device: crate::keys::read_credential(&crate::keys::ccs_path(&crate::keys::edhoc_device_path()))?,
        })
    }
}

/// Retransmission parameters: RFC 7252's, as the sans-I/O core defines them.
pub use proto::coap::retransmit::Params as Retransmit;

/// The largest answer a client reassembles.
const MAX_ANSWER: usize = 64 << 20;

/// A client of one device: an I/O loop over `proto::coap` (requests, matching,
/// retransmission, Block2 reassembly) on one UDP socket.
pub struct CoapClient {
    addr: SocketAddr,
    retransmit: Retransmit,
    next_mid: u16,
    /// One local endpoint for the client's lifetime, as servers expect (Block2
    /// continuations and duplicate detection key on it).
    socket: Option<UdpSocket>,
    credentials: Option<Credentials>,
    /// The OSCORE context of the last handshake.
    context: Option<auth::oscore::SecurityContext>,
}

impl CoapClient {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            retransmit: Retransmit::default(),
            next_mid: rand::random(),
            socket: None,
            credentials: None,
            context: None,
        }
    }

    /// A client as the repository's test client ([`Credentials::testbed`]), which the
    /// firmware sim and the tests build accepts.
    pub fn for_testbed(addr: SocketAddr) -> crate::Result<Self> {
        Ok(Self::new(addr).with_credentials(Credentials::testbed()?))
    }

    /// The OSCORE context of the last handshake, to protect requests made by hand.
    pub fn security_context(&mut self) -> Option<&mut auth::oscore::SecurityContext> {
        self.context.as_mut()
    }

    /// Protects every request with OSCORE, in a context made by EDHOC at the first.
    pub fn with_credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Makes a new security context now (EDHOC), replacing the current one.
    pub async fn authenticate(&mut self) -> Result<(), CoapError> {
        let Some(credentials) = self.credentials.clone() else { return Ok(()) };
        let addr = self.addr;
        self.context = None;
        let connection_id = rand::random::<u8>() % 24;
        let material = Box::pin(self.edhoc(&credentials.identity, &credentials.device, connection_id)).await?;
        let context =
            auth::oscore::SecurityContext::new(&material).map_err(|error| CoapError::Oscore { addr, error })?;
        self.context = Some(context);
        Ok(())
    }

    pub fn with_retransmit(mut self, r: Retransmit) -> Self {
        self.retransmit = r;
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET path`; returns the payload of a 2.xx answer (all its blocks).
    pub async fn get(&mut self, path: &str) -> Result<Vec<u8>, CoapError> {
        self.request(RequestType::Get, path, &[]).await
    }

    /// `GET path` asking for 1024-byte blocks (RFC 7959 Block2) from the first.
    pub async fn get_blockwise(&mut self, path: &str) -> Result<Vec<u8>, CoapError> {
        self.fetch(RequestType::Get, path, &[], Some(Block { num: 0, more: false, szx: SZX_1024 })).await
    }

    /// A request; an answer in several blocks (Block2) is fetched whole.
    pub async fn request(&mut self, method: RequestType, path: &str, payload: &[u8]) -> Result<Vec<u8>, CoapError> {
        self.fetch(method, path, payload, None).await
    }

    async fn fetch(
        &mut self,
        method: RequestType,
        path: &str,
        payload: &[u8],
        first: Option<Block>,
    ) -> Result<Vec<u8>, CoapError> {
        // The open paths need no security context; the rest make one first.
        let open = proto::paths::is_open(path.trim_start_matches('/'));
        if self.credentials.is_some() && self.context.is_none() && !open {
            self.authenticate().await?;
        }
        let mut answer = Reassembly::new(MAX_ANSWER);
        let mut block2 = first;
        let mut fresh_context = false;
        loop {
            let request = Request { method, path, payload, block2 };
            let reply = match self.exchange(&request).await {
                // The device lost the context (it restarted, or made room): nothing was
                // done, so one new handshake and the same request again.
                Err(CoapError::NotInContext { .. }) if self.credentials.is_some() && !fresh_context => {
                    fresh_context = true;
                    self.authenticate().await?;
                    self.exchange(&request).await?
                }
                other => other?,
            };
            let next = answer.push(&reply.payload, Block::of(&reply)).map_err(|e| CoapError::Block {
                addr: self.addr,
                path: path.to_string(),
                error: e,
            })?;
            match next {
                Next::Block(b) => block2 = Some(b),
                Next::Done => return Ok(answer.into_body()),
            }
        }
    }

    /// One request, retransmitted on RFC 7252's schedule until its answer comes; a
    /// 2.xx answer is returned whole (payload and options), anything else is an error.
    pub async fn exchange(&mut self, request: &Request<'_>) -> Result<Packet, CoapError> {
        let addr = self.addr;
        let io = |source| CoapError::Io { addr, source };
        self.bind().await?;
        let mid = self.next_mid;
        self.next_mid = self.next_mid.wrapping_add(1);
        let token: [u8; 4] = rand::random();
        let path = request.path.trim_start_matches('/');
        let mut packet = request.to_packet(mid, &token);
        let oscore = |error| CoapError::Oscore { addr, error };
        let mut correlation = None;
        if let Some(context) = self.context.as_mut().filter(|_| path != proto::paths::EDHOC) {
            let (outer, c) = auth::oscore::protect_request(context, &packet).map_err(oscore)?;
            packet = outer;
            correlation = Some(c);
        }
        let bytes = packet.to_bytes().map_err(|e| CoapError::Encode(format!("{e:?}")))?;

        let mut schedule = Schedule::new(self.retransmit);
        let mut buf = vec![0u8; 64 * 1024];
        let socket = self.socket.as_ref().expect("bound above");
        loop {
            socket.send_to(&bytes, addr).await.map_err(io)?;
            let deadline = tokio::time::Instant::now() + schedule.timeout();
            while let Ok(recv) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                let (n, from) = recv.map_err(io)?;
                let Ok(mut reply) = Packet::from_bytes(&buf[..n]) else { continue };
                if from != addr || !answers(&reply, mid, &token) {
                    continue;
                }
                // A protected answer; an unprotected one is the device's refusal (4.01).
                if let (Some(c), Some(context)) = (correlation.as_mut(), self.context.as_mut()) {
                    if reply.get_option(coap_lite::CoapOption::Oscore).is_some() {
                        reply = auth::oscore::unprotect_response(context, &reply, c).map_err(oscore)?;
                    } else if reply.header.code == MessageClass::Response(ResponseType::Unauthorized) {
                        let reason = String::from_utf8_lossy(&reply.payload).into_owned();
                        return Err(CoapError::NotInContext { addr, path: path.to_string(), reason });
                    }
                }
                if !is_success(reply.header.code) {
                    let code = reply.header.code.to_string();
                    return Err(CoapError::Status { addr, path: path.to_string(), code, payload: reply.payload });
                }
                return Ok(reply);
            }
            if !schedule.expired() {
                let (attempts, waited) = (schedule.attempts(), schedule.waited());
                return Err(CoapError::Timeout { addr, path: path.to_string(), attempts, waited });
            }
        }
    }

    /// The client's socket, bound at the first use.
    async fn bind(&mut self) -> Result<&UdpSocket, CoapError> {
        let addr = self.addr;
        if self.socket.is_none() {
            let bind: SocketAddr =
                if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().expect("literal address");
            self.socket = Some(UdpSocket::bind(bind).await.map_err(|source| CoapError::Io { addr, source })?);
        }
        Ok(self.socket.as_ref().expect("bound above"))
    }

    /// A CoAP ping (an empty confirmable message, answered by a Reset), on the
    /// retransmission schedule: the device is alive, at no cost to it but receiving.
    pub async fn ping(&mut self) -> Result<(), CoapError> {
        let addr = self.addr;
        let io = |source| CoapError::Io { addr, source };
        let mid = self.next_mid;
        self.next_mid = self.next_mid.wrapping_add(1);
        let mut schedule = Schedule::new(self.retransmit);
        let socket = self.bind().await?;
        let mut buf = [0u8; 64];
        loop {
            socket.send_to(&proto::coap::ping(mid), addr).await.map_err(io)?;
            let deadline = tokio::time::Instant::now() + schedule.timeout();
            while let Ok(recv) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
                let (n, from) = recv.map_err(io)?;
                if from == addr && proto::coap::is_pong(&buf[..n], mid) {
                    return Ok(());
                }
            }
            if !schedule.expired() {
                let (attempts, waited) = (schedule.attempts(), schedule.waited());
                return Err(CoapError::Timeout { addr, path: "(ping)".into(), attempts, waited });
            }
        }
    }

    /// An EDHOC handshake with the device as `identity`, which must present the
    /// credential `device` (CCS); returns the OSCORE keying material from the client's
    /// side. `connection_id` is the client's C_I (0..=23).
    pub async fn edhoc(
        &mut self,
        identity: &crate::keys::EdhocIdentity,
        device: &[u8],
        connection_id: u8,
    ) -> Result<auth::OscoreMaterial, CoapError> {
        let addr = self.addr;
        let refused = |refusal| CoapError::Edhoc { addr, refusal };
        let device = auth::ccs::parse(device).map_err(refused)?;
        let mut rng = rand_chacha::ChaCha20Rng::from_seed(rand::random());
        let (initiator, request_1) =
            auth::Initiator::start(&mut rng, identity.private_key, identity.credential(), connection_id)
                .map_err(refused)?;
        let message_2 = Box::pin(self.request(RequestType::Post, proto::paths::EDHOC, &request_1)).await?;
        let (request_3, confirming) = initiator.finish(&message_2, device).map_err(refused)?;
        let message_4 = Box::pin(self.request(RequestType::Post, proto::paths::EDHOC, &request_3)).await?;
        confirming.complete(&message_4).map_err(refused)
    }

    /// `GET /info`, decoded.
    pub async fn info(&mut self) -> Result<proto::Info, CoapError> {
        let bytes = self.get(proto::paths::INFO).await?;
        proto::decode(&bytes).map_err(|e| CoapError::Malformed {
            addr: self.addr,
            what: "/info",
            message: e.to_string(),
        })
    }
}

/// Parses `coap://host[:port]` (or a bare `host:port`) into a socket address.
pub fn parse_device_uri(uri: &str) -> Result<SocketAddr, CoapError> {
    use std::net::ToSocketAddrs;
    let rest = uri.strip_prefix("coap://").unwrap_or(uri).trim_end_matches('/');
    let with_port = if rest.starts_with('[') {
        if rest.contains("]:") {
            rest.to_string()
        } else {
            format!("{rest}:{}", proto::COAP_PORT)
        }
    } else if rest.contains(':') {
        rest.to_string()
    } else {
        format!("{rest}:{}", proto::COAP_PORT)
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| CoapError::BadAddress { uri: uri.to_string(), message: e.to_string() })?
        .next()
        .ok_or_else(|| CoapError::BadAddress { uri: uri.to_string(), message: "it resolves to nothing".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_uris() {
        assert_eq!(parse_device_uri("coap://127.0.0.1").unwrap(), "127.0.0.1:5683".parse().unwrap());
        assert_eq!(parse_device_uri("coap://127.0.0.1:9/").unwrap(), "127.0.0.1:9".parse().unwrap());
        assert_eq!(parse_device_uri("[::1]:7").unwrap(), "[::1]:7".parse().unwrap());
        assert!(parse_device_uri("coap://no such host").is_err());
    }

    #[tokio::test]
    async fn a_silent_device_times_out_with_the_attempt_count() {
        // A bound socket that never answers.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let mut c = CoapClient::new(addr)
            .with_retransmit(Retransmit { ack_timeout: Duration::from_millis(20), max_retransmit: 2 });
        match c.get("info").await {
            Err(CoapError::Timeout { attempts: 3, .. }) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
        // All three attempts reached the socket.
        silent.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 64];
        let mut seen = 0;
        while silent.recv_from(&mut buf).is_ok() {
            seen += 1;
        }
        assert_eq!(seen, 3);
    }
}
