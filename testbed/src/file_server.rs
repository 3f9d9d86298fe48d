//! A CoAP file server (RFC 7252 GET with RFC 7959 Block2) that devices pull from.
//!
//! Files under the root are served by path; `..`, `.` and hidden segments are refused,
//! so nothing outside the root is reachable. Each answer carries an ETag (the first 8
//! bytes of the file's SHA-256) and, for files larger than one block or when the
//! client asks, a Block2 option. Every request is logged.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};
use proto::coap::block::{self, Block, SZX_1024};
use sha2::{Digest, Sha256};
use tokio::net::UdpSocket;

use crate::error::{Error, Result};

pub struct FileServer {
    socket: UdpSocket,
    root: PathBuf,
}

impl FileServer {
    pub async fn bind(addr: SocketAddr, root: &Path) -> Result<Self> {
        if !root.is_dir() {
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder");
            return Err(Error::File { action: "serve", path: root.to_path_buf(), source });
        }
        let socket =
            UdpSocket::bind(addr).await.map_err(|source| Error::Socket { what: format!("udp {addr}"), source })?;
        Ok(Self { socket, root: root.to_path_buf() })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Serves until the task is dropped.
    pub async fn serve(self) -> Result<()> {
        let mut buf = vec![0u8; 2048];
        loop {
            let (n, peer) = self
                .socket
                .recv_from(&mut buf)
                .await
                .map_err(|source| Error::Socket { what: "the file server".into(), source })?;
            let Ok(request) = Packet::from_bytes(&buf[..n]) else {
                tracing::warn!(%peer, "malformed datagram dropped");
                continue;
            };
            if let Some(reply) = self.answer(&request, peer) {
                if let Ok(bytes) = reply.to_bytes() {
                    let _ = self.socket.send_to(&bytes, peer).await;
                }
            }
        }
    }

    /// Starts serving on a tokio task; dropping the handle does not stop it, aborting does.
    pub fn spawn(self) -> tokio::task::JoinHandle<Result<()>> {
        tokio::spawn(self.serve())
    }

    fn answer(&self, request: &Packet, peer: SocketAddr) -> Option<Packet> {
        let mut reply = proto::coap::reply_to(request)?;
        let path = proto::coap::uri_path(request);
        let segments: Vec<String> = request
            .get_option(CoapOption::UriPath)
            .map(|segs| segs.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
            .unwrap_or_default();
        let code = match (request.header.code, self.resolve(&segments)) {
            (MessageClass::Request(RequestType::Get), Some(file)) => match std::fs::read(&file) {
                Ok(data) => match Block::of(request) {
                    Some(None) => ResponseType::BadOption,
                    wanted => match block::slice(&data, wanted.flatten(), SZX_1024) {
                        Err(_) => ResponseType::BadOption,
                        Ok((payload, option)) => {
                            if let Some(b) = option {
                                b.add_to(&mut reply);
                            }
                            reply.add_option(CoapOption::ETag, Sha256::digest(&data)[..8].to_vec());
                            reply.payload = payload.to_vec();
                            let num = option.map_or(0, |b| b.num);
                            tracing::info!(%peer, path, block = num, bytes = payload.len(), "GET");
                            ResponseType::Content
                        }
                    },
                },
                Err(_) => ResponseType::NotFound,
            },
            (MessageClass::Request(RequestType::Get), None) => ResponseType::NotFound,
            (MessageClass::Request(_), _) => ResponseType::MethodNotAllowed,
            _ => return None,
        };
        if code != ResponseType::Content {
            tracing::info!(%peer, path, ?code, "GET refused");
        }
        reply.header.code = MessageClass::Response(code);
        Some(reply)
    }

    /// The file a path names, if it is a regular file inside the root.
    fn resolve(&self, segments: &[String]) -> Option<PathBuf> {
        if segments.is_empty() || segments.iter().any(|s| s.is_empty() || s.starts_with('.') || s.contains(['/', '\\']))
        {
            return None;
        }
        let path = segments.iter().fold(self.root.clone(), |p, s| p.join(s));
        path.is_file().then_some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap_client::CoapClient;

    #[tokio::test]
    async fn serves_files_in_blocks_and_refuses_escapes() {
        let root = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..4096 + 100).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.path().join("image.bin"), &data).unwrap();
        std::fs::write(root.path().join("small.txt"), b"hi").unwrap();
        std::fs::write(root.path().join(".secret"), b"no").unwrap();
        let server = FileServer::bind("127.0.0.1:0".parse().unwrap(), root.path()).await.unwrap();
        let addr = server.local_addr().unwrap();
        let task = server.spawn();
        let mut c = CoapClient::new(addr);
        assert_eq!(c.get_blockwise("image.bin").await.unwrap(), data);
        assert_eq!(c.get_blockwise("small.txt").await.unwrap(), b"hi");
        for bad in ["missing", ".secret", "../etc/passwd", ""] {
            assert!(c.get_blockwise(bad).await.is_err(), "{bad}");
        }
        task.abort();
    }
}
