//! Forwarding through the host's end of a serial link (RFC 7252 §5.7.2, §6.4).
//!
//! A device on a serial line has no route to the file server: it sends its requests
//! to the host's end of the link with the whole target in the Proxy-Uri option, and
//! the host forwards them. The target is always a `coap://` URI with a literal
//! address, as in the manifests the device pulls.
use coap_lite::{CoapOption, Packet};

/// A `coap://HOST[:PORT]/PATH` URI taken apart. `host` is a literal IPv4 or IPv6
/// address (brackets removed); the port defaults to 5683.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoapUri<'a> {
    pub host: &'a str,
    pub port: u16,
    /// Without the leading `/`.
    pub path: &'a str,
}

/// Why a URI was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadUri;

impl<'a> CoapUri<'a> {
    pub fn parse(uri: &'a str) -> Result<Self, BadUri> {
        let rest = uri.strip_prefix("coap://").ok_or(BadUri)?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, p) = v6.split_once(']').ok_or(BadUri)?;
            (h, if p.is_empty() { None } else { Some(p.strip_prefix(':').ok_or(BadUri)?) })
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().map_err(|_| BadUri)?,
            None => crate::COAP_PORT,
        };
        let literal = host.parse::<core::net::Ipv4Addr>().is_ok() || host.parse::<core::net::Ipv6Addr>().is_ok();
        if !literal {
            return Err(BadUri);
        }
        Ok(Self { host, port, path })
    }

    /// The socket address the URI names.
    pub fn socket_addr(&self) -> core::net::SocketAddr {
        let ip: core::net::IpAddr = match self.host.parse::<core::net::Ipv4Addr>() {
            Ok(v4) => v4.into(),
            // `parse` accepted only literals of either kind.
            Err(_) => {
                self.host.parse::<core::net::Ipv6Addr>().map_or(core::net::Ipv4Addr::UNSPECIFIED.into(), Into::into)
            }
        };
        core::net::SocketAddr::new(ip, self.port)
    }
}

/// Turns a request for `uri`'s path into one for the proxy: its Uri-Path options are
/// replaced by a Proxy-Uri option carrying the whole URI.
pub fn to_proxy(packet: &mut Packet, uri: &str) {
    packet.clear_option(CoapOption::UriPath);
    packet.add_option(CoapOption::ProxyUri, uri.as_bytes().to_vec());
}

/// The proxy's side: the address a forwarded request names, and the request to send
/// there (the Proxy-Uri option replaced by Uri-Path options; message id and token
/// left for the forwarder to set). `None` when the request names no usable target.
pub fn forwarded(request: &Packet) -> Option<(core::net::SocketAddr, Packet)> {
    let uri = request.get_option(CoapOption::ProxyUri)?.front()?;
    let uri = core::str::from_utf8(uri).ok()?;
    let target = CoapUri::parse(uri).ok()?;
    let mut out = request.clone();
    out.clear_option(CoapOption::ProxyUri);
    for segment in target.path.split('/').filter(|s| !s.is_empty()) {
        out.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    Some((target.socket_addr(), out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coap::block::Block;
    use crate::coap::request::Request;
    use alloc::string::ToString;
    use coap_lite::RequestType;

    #[test]
    fn uris_parse_with_and_without_port() {
        assert_eq!(
            CoapUri::parse("coap://10.0.2.2:5684/a/b.suit"),
            Ok(CoapUri { host: "10.0.2.2", port: 5684, path: "a/b.suit" })
        );
        assert_eq!(CoapUri::parse("coap://[fec0::2]/x"), Ok(CoapUri { host: "fec0::2", port: 5683, path: "x" }));
        assert_eq!(CoapUri::parse("coap://[fec0::2]:7/x").map(|u| u.port), Ok(7));
        assert_eq!(CoapUri::parse("coap://10.0.2.2").map(|u| u.path), Ok(""));
        for bad in ["http://10.0.2.2/x", "coap://host.example/x", "coap://10.0.2.2:99999/x", "coap://[fec0::2/x"] {
            assert_eq!(CoapUri::parse(bad), Err(BadUri), "{bad}");
        }
        assert_eq!(CoapUri::parse("coap://127.0.0.1:9/x").unwrap().socket_addr().to_string(), "127.0.0.1:9");
    }

    #[test]
    fn a_forwarded_request_keeps_its_block_option_and_gets_its_path_back() {
        let uri = "coap://10.0.2.2:5684/slot1/p.suit";
        let block2 = Some(Block { num: 3, more: false, szx: 6 });
        let mut packet =
            Request { method: RequestType::Get, path: "slot1/p.suit", payload: &[], block2 }.to_packet(7, &[1]);
        to_proxy(&mut packet, uri);
        assert!(packet.get_option(CoapOption::UriPath).is_none_or(|l| l.is_empty()));
        let wire = Packet::from_bytes(&packet.to_bytes().unwrap()).unwrap();
        let (target, out) = forwarded(&wire).unwrap();
        assert_eq!(target.to_string(), "10.0.2.2:5684");
        assert_eq!(crate::coap::uri_path(&out), "slot1/p.suit");
        assert!(out.get_option(CoapOption::ProxyUri).is_none_or(|l| l.is_empty()));
        assert!(!out.to_bytes().unwrap().windows(uri.len()).any(|w| w == uri.as_bytes()));
        assert_eq!(Block::of(&out), Some(block2));
    }

    #[test]
    fn a_request_without_a_usable_proxy_uri_is_not_forwarded() {
        let plain = Request { method: RequestType::Get, path: "x", payload: &[], block2: None }.to_packet(1, &[]);
        assert!(forwarded(&plain).is_none());
        let mut bad = plain.clone();
        to_proxy(&mut bad, "coap://name.example/x");
        assert!(forwarded(&bad).is_none());
    }
}
