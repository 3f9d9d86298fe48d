//! The mbpf device API (`docs/protocol.md`): one function per resource, and the routes
//! with their methods in one table ([`ROUTES`]). A path in the table asked with
//! another method gets 4.05; a path in no table gets 4.04.
use alloc::vec::Vec;

use coap_lite::{MessageClass, RequestType, ResponseType};
use proto::paths;

use crate::security::{self, Security};
use crate::slots::{PullError, Slots};
use crate::{log, Config, Platform, SLOT_COUNT};

/// A content-format number (RFC 7252 §12.3) and a payload.
pub type Body = Option<(u16, Vec<u8>)>;

/// A resource's answer: its code and body.
pub type Answer = (ResponseType, Body);

pub fn cbor(value: &impl minicbor::Encode<()>) -> Body {
    Some((proto::CONTENT_FORMAT_CBOR, proto::encode(value)))
}

pub fn text(s: &str) -> Body {
    Some((0, s.as_bytes().to_vec()))
}

/// What the resources act on: the platform, the slots, the security contexts and the
/// build's configuration.
pub struct Ctx<P: Platform> {
    pub platform: P,
    pub slots: Slots<P::Code>,
    /// EDHOC handshakes in progress and the security contexts they made.
    pub security: Security,
    pub config: &'static Config,
}

/// The mbpf API's resources.
#[derive(Clone, Copy)]
enum Resource {
    Info,
    Core,
    Edhoc,
    Slots,
    Pull,
    Exec,
    Erase,
    Start,
    Stop,
    Running,
    Sensor,
    Reset,
    #[cfg(feature = "unsigned-run")]
    Run,
    #[cfg(feature = "bench")]
    Native,
}

/// Every route of the API: path, method, resource.
const ROUTES: &[(&str, RequestType, Resource)] = &[
    (paths::INFO, RequestType::Get, Resource::Info),
    (paths::WELL_KNOWN_CORE, RequestType::Get, Resource::Core),
    (paths::EDHOC, RequestType::Post, Resource::Edhoc),
    (paths::SLOTS, RequestType::Get, Resource::Slots),
    (paths::PULL, RequestType::Post, Resource::Pull),
    (paths::EXEC, RequestType::Post, Resource::Exec),
    (paths::ERASE, RequestType::Post, Resource::Erase),
    (paths::START, RequestType::Post, Resource::Start),
    (paths::STOP, RequestType::Post, Resource::Stop),
    (paths::RUNNING, RequestType::Get, Resource::Running),
    (paths::SENSOR, RequestType::Post, Resource::Sensor),
    (paths::RESET, RequestType::Post, Resource::Reset),
    #[cfg(feature = "unsigned-run")]
    (paths::RUN, RequestType::Post, Resource::Run),
    #[cfg(feature = "bench")]
    (paths::NATIVE, RequestType::Post, Resource::Native),
];

/// Answers a request: the API's table, then µBPF's (feature `microbpf-api`), then `/app/N`.
pub async fn route<P: Platform>(method: RequestType, path: &str, payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    if let Some(&(_, _, resource)) = ROUTES.iter().find(|(p, m, _)| *p == path && *m == method) {
        return serve(resource, payload, ctx).await;
    }
    if ROUTES.iter().any(|(p, ..)| *p == path) {
        return (ResponseType::MethodNotAllowed, None);
    }
    #[cfg(feature = "microbpf-api")]
    if let Some(answer) = crate::microbpf::route(method, path, payload, ctx).await {
        return answer;
    }
    if let Some(rest) = path.strip_prefix(paths::APP).and_then(|r| r.strip_prefix('/')) {
        return app(rest, payload, ctx);
    }
    (ResponseType::NotFound, None)
}

async fn serve<P: Platform>(resource: Resource, payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    match resource {
        Resource::Info => (ResponseType::Content, cbor(&info(ctx))),
        Resource::Core => (ResponseType::Content, Some((LINK_FORMAT, core_links().into_bytes()))),
        Resource::Edhoc => {
            let boots = ctx.slots.boot_count();
            security::handle(&mut ctx.security, &ctx.platform, ctx.config, boots, payload)
        }
        Resource::Slots => (ResponseType::Content, cbor(&ctx.slots.list())),
        Resource::Pull => pull(payload, ctx).await,
        Resource::Exec => exec(payload, ctx),
        Resource::Erase => erase(payload, ctx),
        Resource::Start => start(payload, ctx),
        Resource::Stop => stop(payload, ctx),
        Resource::Running => (ResponseType::Content, cbor(&ctx.platform.running())),
        Resource::Sensor => sensor(payload, ctx),
        Resource::Reset => {
            ctx.platform.request_reset();
            (ResponseType::Changed, None)
        }
        #[cfg(feature = "unsigned-run")]
        Resource::Run => match proto::decode::<proto::RunRequest>(payload) {
            Ok(req) => (ResponseType::Changed, cbor(&ctx.platform.run_unsigned(req))),
            Err(_) => (ResponseType::BadRequest, text("payload is not a CBOR RunRequest")),
        },
        #[cfg(feature = "bench")]
        Resource::Native => match decode::<proto::NativeRequest>(payload) {
            Ok(req) => (ResponseType::Changed, cbor(&ctx.platform.native(&req))),
            Err(e) => e,
        },
    }
}

/// CoRE Link Format's content format (RFC 6690).
const LINK_FORMAT: u16 = 40;

/// The resources in CoRE Link Format (RFC 6690): the API's table, µBPF's paths and
/// `/app`; each says whether it needs OSCORE (`osc`, RFC 8613 §9).
fn core_links() -> alloc::string::String {
    let mut links = alloc::string::String::new();
    let mut seen: alloc::vec::Vec<&str> = alloc::vec::Vec::new();
    #[cfg(feature = "microbpf-api")]
    let more = crate::microbpf::PATHS.iter().copied().chain([paths::APP]);
    #[cfg(not(feature = "microbpf-api"))]
    let more = [paths::APP].into_iter();
    for path in ROUTES.iter().map(|(p, ..)| *p).chain(more) {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path);
        if !links.is_empty() {
            links.push(',');
        }
        links.push_str("</");
        links.push_str(path);
        links.push('>');
        if !paths::is_open(path) {
            links.push_str(";osc");
        }
    }
    links
}

pub fn decode<'b, T: minicbor::Decode<'b, ()>>(payload: &'b [u8]) -> Result<T, Answer> {
    proto::decode(payload).map_err(|_| (ResponseType::BadRequest, text("payload is not the CBOR this resource takes")))
}

/// A pull refused: its code, and its reason for the console.
pub fn pull_refusal(e: PullError) -> (ResponseType, alloc::string::String) {
    match e {
        PullError::BadRequest(r) => (ResponseType::BadRequest, r),
        PullError::Unauthorized(r) => (ResponseType::Unauthorized, r),
        PullError::Forbidden(r) => (ResponseType::Forbidden, r),
        PullError::TooLarge(r) => (ResponseType::RequestEntityTooLarge, r),
        PullError::Gateway(r) => (ResponseType::GatewayTimeout, r),
    }
}

async fn pull<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::PullRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match ctx.slots.pull(&mut ctx.platform, ctx.config, &req.manifest_uri).await {
        Ok(resp) => (ResponseType::Changed, cbor(&resp)),
        Err(e) => {
            let (code, reason) = pull_refusal(e);
            log!(&ctx.platform, "pull {}: refused: {}", req.manifest_uri, reason);
            (code, text(&reason))
        }
    }
}

fn exec<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::ExecRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match ctx.slots.exec(&mut ctx.platform, req) {
        Some(resp) => (ResponseType::Changed, cbor(&resp)),
        None => (ResponseType::NotFound, text("no program in that slot")),
    }
}

fn erase<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::EraseRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if ctx.slots.erase(&mut ctx.platform, req.slot) {
        (ResponseType::Deleted, None)
    } else {
        (ResponseType::NotFound, text("no such slot"))
    }
}

fn start<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::StartRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some((image, helpers)) = ctx.slots.program(req.slot) else {
        return (ResponseType::NotFound, text("no program in that slot"));
    };
    match ctx.platform.start(req.slot, image, helpers, req.input, req.budget) {
        Ok(()) => (ResponseType::Changed, None),
        Err(crate::StartError::AlreadyRunning) => {
            (ResponseType::Forbidden, text("a program already runs in that slot"))
        }
        Err(crate::StartError::NoTask) => {
            (ResponseType::ServiceUnavailable, text("no free task for a background program"))
        }
    }
}

fn stop<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::StopRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if ctx.platform.stop(req.slot) {
        (ResponseType::Changed, None)
    } else {
        (ResponseType::NotFound, text("nothing runs in that slot"))
    }
}

fn sensor<P: Platform>(payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let req: proto::SensorRequest = match decode(payload) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if ctx.platform.set_sensor(req.index, req.value) {
        (ResponseType::Changed, None)
    } else {
        (ResponseType::NotFound, text("no such sensor"))
    }
}

/// `/app/N` (any method) runs slot N on the interpreter, `/app/N/jit` on the JIT; the
/// program answers the request itself.
fn app<P: Platform>(rest: &str, payload: &[u8], ctx: &mut Ctx<P>) -> Answer {
    let (slot, engine) = match rest.as_bytes() {
        [d] if d.is_ascii_digit() => (d - b'0', proto::Engine::Interp),
        [d, b'/', b'j', b'i', b't'] if d.is_ascii_digit() => (d - b'0', proto::Engine::Jit),
        _ => return (ResponseType::NotFound, text("use /app/SLOT or /app/SLOT/jit")),
    };
    app_reply(ctx.slots.exec_coap(&mut ctx.platform, slot, engine, payload, None))
}

/// The reply of a slot that answered a CoAP request itself.
pub fn app_reply(outcome: Option<Result<crate::slots::CoapAnswer, proto::Failure>>) -> Answer {
    match outcome {
        None => (ResponseType::NotFound, text("no program in that slot")),
        Some(Err(f)) => (ResponseType::InternalServerError, text(&f.message)),
        Some(Ok(a)) => match MessageClass::from(a.code) {
            MessageClass::Response(code) => (code, Some((a.format.unwrap_or(0), a.payload))),
            _ => (ResponseType::InternalServerError, text("the program set no response code")),
        },
    }
}

/// `/info`: the platform's account of board and build, with the slots and boot count.
fn info<P: Platform>(ctx: &Ctx<P>) -> proto::Info {
    let mut info = ctx.platform.info();
    info.slots = SLOT_COUNT as u8;
    info.boot_count = match ctx.slots.boot_count() {
        0 => None,
        n => Some(n),
    };
    info
}
