//! A small CoAP client (RFC 7252) for the device API: confirmable requests with the
//! standard retransmission schedule, matched to responses by message id and token.
use std::net::SocketAddr;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
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
    #[error("malformed {what} answer from {addr}: {message}")]
    Malformed { addr: SocketAddr, what: &'static str, message: String },
    #[error("bad device address `{uri}`: {message}")]
    BadAddress { uri: String, message: String },
}

/// Retransmission parameters (RFC 7252 §4.8 defaults: 2 s, 4 retransmissions).
#[derive(Debug, Clone, Copy)]
pub struct Retransmit {
    pub ack_timeout: Duration,
    pub max_retransmit: u32,
}

impl Default for Retransmit {
    fn default() -> Self {
        Self { ack_timeout: Duration::from_secs(2), max_retransmit: 4 }
    }
}

pub struct CoapClient {
    addr: SocketAddr,
    retransmit: Retransmit,
    next_mid: u16,
    /// One local endpoint for the client's lifetime, as servers expect (Block2
    /// continuations and duplicate detection key on it).
    socket: Option<UdpSocket>,
}

impl CoapClient {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, retransmit: Retransmit::default(), next_mid: rand::random(), socket: None }
    }

    pub fn with_retransmit(mut self, r: Retransmit) -> Self {
        self.retransmit = r;
        self
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `GET path`; returns the payload of a 2.xx answer.
    pub async fn get(&mut self, path: &str) -> Result<Vec<u8>, CoapError> {
        self.request(RequestType::Get, path, &[]).await
    }

    /// `GET path` block by block (RFC 7959 Block2, 1024-byte blocks) until the last.
    pub async fn get_blockwise(&mut self, path: &str) -> Result<Vec<u8>, CoapError> {
        use proto::block::{Block, SZX_1024};
        let mut out = Vec::new();
        let mut num = 0;
        loop {
            let block = Block { num, more: false, szx: SZX_1024 };
            let (payload, answer) = self.request_with(RequestType::Get, path, &[], Some(block)).await?;
            out.extend_from_slice(&payload);
            match answer {
                Some(b) if b.more => num = b.num + 1,
                _ => return Ok(out),
            }
            if out.len() > 64 << 20 {
                return Err(CoapError::Encode(format!("{path} is larger than 64 MiB")));
            }
        }
    }

    /// A request; an answer in several blocks (Block2) is fetched whole.
    pub async fn request(&mut self, method: RequestType, path: &str, payload: &[u8]) -> Result<Vec<u8>, CoapError> {
        use proto::block::Block;
        let (mut body, mut block) = self.request_with(method, path, payload, None).await?;
        while let Some(b) = block.filter(|b| b.more) {
            if body.len() > 16 << 20 {
                return Err(CoapError::Encode(format!("answer of coap://{}/{path} is larger than 16 MiB", self.addr)));
            }
            let (more, next) = self
                .request_with(method, path, payload, Some(Block { num: b.num + 1, more: false, szx: b.szx }))
                .await?;
            body.extend_from_slice(&more);
            block = next;
        }
        Ok(body)
    }

    /// A request with an optional Block2 option; returns the payload and the answer's
    /// Block2 option.
    pub async fn request_with(
        &mut self,
        method: RequestType,
        path: &str,
        payload: &[u8],
        block2: Option<proto::block::Block>,
    ) -> Result<(Vec<u8>, Option<proto::block::Block>), CoapError> {
        let addr = self.addr;
        let io = |source| CoapError::Io { addr, source };
        if self.socket.is_none() {
            let bind: SocketAddr =
                if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().expect("literal address");
            self.socket = Some(UdpSocket::bind(bind).await.map_err(io)?);
        }
        let mid = self.next_mid;
        self.next_mid = self.next_mid.wrapping_add(1);
        let token: [u8; 4] = rand::random();

        let mut packet = Packet::new();
        packet.header.set_version(1);
        packet.header.set_type(MessageType::Confirmable);
        packet.header.code = MessageClass::Request(method);
        packet.header.message_id = mid;
        packet.set_token(token.to_vec());
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            packet.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
        }
        if let Some(b) = block2 {
            packet.add_option(CoapOption::Block2, b.encode().as_slice().to_vec());
        }
        packet.payload = payload.to_vec();
        let bytes = packet.to_bytes().map_err(|e| CoapError::Encode(format!("{e:?}")))?;

        let mut timeout = self.retransmit.ack_timeout;
        let mut waited = Duration::ZERO;
        let mut buf = vec![0u8; 64 * 1024];
        let socket = self.socket.as_ref().expect("bound above");
        for attempt in 0..=self.retransmit.max_retransmit {
            socket.send_to(&bytes, addr).await.map_err(io)?;
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                let recv = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await;
                let Ok(recv) = recv else { break };
                let (n, from) = recv.map_err(io)?;
                if from != addr {
                    continue;
                }
                let Ok(reply) = Packet::from_bytes(&buf[..n]) else { continue };
                if reply.header.message_id != mid || reply.get_token() != token {
                    continue;
                }
                let block = reply
                    .get_option(CoapOption::Block2)
                    .and_then(|v| v.front())
                    .and_then(|v| proto::block::Block::decode(v));
                return match reply.header.code {
                    MessageClass::Response(code) if is_success(code) => Ok((reply.payload, block)),
                    code => Err(CoapError::Status {
                        addr,
                        path: path.to_string(),
                        code: format!("{code}"),
                        payload: reply.payload,
                    }),
                };
            }
            waited += timeout;
            if attempt < self.retransmit.max_retransmit {
                timeout *= 2;
            }
        }
        Err(CoapError::Timeout { addr, path: path.to_string(), attempts: self.retransmit.max_retransmit + 1, waited })
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

fn is_success(code: ResponseType) -> bool {
    matches!(
        code,
        ResponseType::Created
            | ResponseType::Deleted
            | ResponseType::Valid
            | ResponseType::Changed
            | ResponseType::Content
            | ResponseType::Continue
    )
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
