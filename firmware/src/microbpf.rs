//! µBPF's own device endpoints and text encodings, so its host tools work here too.
//!
//! Config (u16, 4 hex digits): bit 0 VM kind (ignored: one VM here), bits 1-4 slot,
//! bits 5-6 layout, bits 7-8 helper check time (checks here are always ahead of time
//! and at run time), bit 9 helper list source (0: the request, 1: the image),
//! bit 10 use the JIT, bit 11 compile before running (always true for the JIT here).
//! Helper ids follow as 2 hex digits each.
use alloc::string::String;
use alloc::vec::Vec;

use vm::HelperSet;

pub struct Config {
    pub slot: u8,
    pub jit: bool,
    /// Helpers the request allows (bit 9 clear), or `None` for the image's list.
    pub helpers: Option<HelperSet>,
}

fn hex_u16(s: &str) -> Option<u16> {
    u16::from_str_radix(s, 16).ok()
}

/// Parses `CCCC` followed by helper ids (`HH` each).
pub fn parse_config(text: &str) -> Result<Config, &'static str> {
    let text = text.trim();
    if text.len() < 4 || text.len() % 2 != 0 || !text.is_ascii() {
        return Err("expected 4 hex digits of config, then 2 hex digits per helper id");
    }
    let cfg = hex_u16(&text[..4]).ok_or("config is not hex")?;
    let mut ids = Vec::new();
    for i in (4..text.len()).step_by(2) {
        ids.push(u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| "helper id is not hex")? as u32);
    }
    Ok(Config {
        slot: ((cfg >> 1) & 0xf) as u8,
        jit: cfg & (1 << 10) != 0,
        helpers: (cfg & (1 << 9) == 0).then(|| HelperSet::from_ids(ids)),
    })
}

/// Parses `/suit/pull`'s `IP6HEX|MANIFEST|NETIF|CONFIG|HELPERS|ERASE` into a manifest URI.
pub fn pull_uri(text: &str) -> Result<String, &'static str> {
    let mut parts = text.trim().split('|');
    let ip = parts.next().filter(|p| p.len() == 32).ok_or("expected 32 hex digits of IPv6 address")?;
    let manifest =
        parts.next().filter(|m| !m.is_empty() && !m.contains(['/', '\\'])).ok_or("expected a manifest file name")?;
    let mut addr = String::from("coap://[");
    for i in 0..8 {
        let group = &ip[4 * i..4 * i + 4];
        hex_u16(group).ok_or("IPv6 address is not hex")?;
        if i > 0 {
            addr.push(':');
        }
        addr.push_str(group);
    }
    addr.push_str("]/");
    addr.push_str(manifest);
    Ok(addr)
}
