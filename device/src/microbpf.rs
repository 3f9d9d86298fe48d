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
    // Hex digits only before any slicing: the groups are cut at byte offsets.
    let ip = parts
        .next()
        .filter(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or("expected 32 hex digits of IPv6 address")?;
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

use coap_lite::{RequestType, ResponseType};
use proto::paths::microbpf as paths;

use crate::api::{text, Answer, Ctx};
use crate::{Platform, SLOT_COUNT};

/// µBPF's paths, for `/.well-known/core`.
pub const PATHS: &[&str] =
    &[paths::SHORT_EXECUTION, paths::LONG_RUNNING, paths::SUIT_PULL, paths::WITH_COAP_PKT, paths::RUNNING_VM];

/// µBPF's endpoints; `None` for any other path.
pub async fn route<P: Platform>(method: RequestType, path: &str, payload: &[u8], ctx: &mut Ctx<P>) -> Option<Answer> {
    let answer = match (method, path) {
        (RequestType::Post, paths::SHORT_EXECUTION) => short_execution(payload, ctx),
        (RequestType::Post, paths::LONG_RUNNING) => long_running(payload, ctx),
        (RequestType::Post, paths::SUIT_PULL) => suit_pull(payload, ctx).await,
        (RequestType::Post, paths::WITH_COAP_PKT) => with_coap_pkt(payload, ctx),
        (RequestType::Get, paths::RUNNING_VM) => running_vm(ctx),
        _ => return None,
    };
    Some(answer)
}

/// The request's config, or the 4.00 answer to a bad one.
fn config(payload: &[u8]) -> Result<Config, Answer> {
    core::str::from_utf8(payload)
        .map_err(|_| "payload is not text")
        .and_then(parse_config)
        .map_err(|e| (ResponseType::BadRequest, text(e)))
}

fn engine(cfg: &Config) -> proto::Engine {
    if cfg.jit {
        proto::Engine::Jit
    } else {
        proto::Engine::Interp
    }
}

fn short_execution<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let cfg = match config(payload) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let req = proto::ExecRequest { slot: cfg.slot, engine: engine(&cfg), input: Vec::new(), budget: 0, helpers: None };
    match ctx.slots.exec_narrowed(&mut ctx.platform, req, cfg.helpers) {
        Some(proto::RunResponse { result: Some(r), .. }) => {
            (ResponseType::Changed, text(&alloc::format!("{{\"result\": {r}}}")))
        }
        Some(proto::RunResponse { failure: Some(f), .. }) => (ResponseType::BadRequest, text(&f.message)),
        Some(_) => (ResponseType::InternalServerError, None),
        None => (ResponseType::NotFound, text("no program in that slot")),
    }
}

fn long_running<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let cfg = match config(payload) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some((image, granted)) = ctx.slots.program(cfg.slot) else {
        return (ResponseType::NotFound, text("no program in that slot"));
    };
    let allowed = cfg.helpers.map_or(granted, |n| granted.intersection(n));
    match ctx.platform.start(cfg.slot, image, allowed, Vec::new(), 0) {
        Ok(()) => (ResponseType::Changed, text("started")),
        Err(_) => (ResponseType::Forbidden, text("could not start")),
    }
}

async fn suit_pull<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let uri = match core::str::from_utf8(payload).map_err(|_| "payload is not text").and_then(pull_uri) {
        Ok(u) => u,
        Err(e) => return (ResponseType::BadRequest, text(e)),
    };
    match ctx.slots.pull(&mut ctx.platform, ctx.config, &uri).await {
        Ok(r) => (ResponseType::Changed, text(&alloc::format!("slot {} sequence {}", r.slot, r.sequence))),
        // µBPF's tools know one refusal code.
        Err(e) => (ResponseType::BadRequest, text(&crate::api::pull_refusal(e).1)),
    }
}

fn with_coap_pkt<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let cfg = match config(payload) {
        Ok(c) => c,
        Err(e) => return e,
    };
    crate::api::app_reply(ctx.slots.exec_coap(&mut ctx.platform, cfg.slot, engine(&cfg), payload, cfg.helpers))
}

/// One flag per slot, as text.
fn running_vm<P: Platform>(ctx: &Ctx<P>) -> Answer {
    let mut flags = [false; SLOT_COUNT];
    for run in ctx.platform.running() {
        if let (Some(f), proto::RunState::Running) = (flags.get_mut(usize::from(run.slot)), run.state) {
            *f = true;
        }
    }
    let mut out = String::from("[");
    for (i, f) in flags.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(if *f { "true" } else { "false" });
    }
    out.push(']');
    (ResponseType::Content, text(&out))
}

#[cfg(test)]
mod tests {
    use super::pull_uri;

    #[test]
    fn a_pull_request_names_an_ipv6_address_in_hex_or_is_refused() {
        let ip = "fd000000000000000000000000000001";
        assert_eq!(
            pull_uri(&alloc::format!("{ip}|m.cbor|0|0000|")).as_deref(),
            Ok("coap://[fd00:0000:0000:0000:0000:0000:0000:0001]/m.cbor")
        );
        // 32 bytes that are not 32 hex digits (a multi-byte character where a group is
        // cut, found by fuzzing: it panicked), and a sign that `from_str_radix` accepts.
        for bad in ["fd000000000000\u{fffd}000000000000001", "+d000000000000000000000000000001"] {
            assert_eq!(bad.len(), 32);
            assert!(pull_uri(&alloc::format!("{bad}|m.cbor|0|0000|")).is_err(), "{bad}");
        }
    }
}
