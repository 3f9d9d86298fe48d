//! Program slots: installing signed images (pull), running them, listing and erasing.
//!
//! A pull checks everything before touching the slot: the envelope's signature
//! against the built-in trusted keys, the manifest's digest, vendor and class ids,
//! that its sequence number is above the slot's, the image's size and digest, and that
//! the image loads and verifies. Any failure leaves the slot exactly as it was.
use crate::markers::{measure, Phase};
use crate::time_driver::core_clock_counts;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use proto::{PullResponse, RunResponse, SlotInfo};
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};
use vm::image::{Image, Layout};
use vm::HelperSet;

use super::helpers::{CoapResponse, DeviceHelpers, Namespace};
use super::interp_exec;
use super::persist::{Persist, SavedImage};

include!(concat!(env!("OUT_DIR"), "/trusted_keys.rs"));

/// Slots, the largest image one holds, and the heap a pull must leave free: the
/// board's settings.
pub use crate::board::settings::{HEAP_RESERVE, MAX_IMAGE, SLOT_COUNT};
/// The largest envelope accepted.
const MAX_ENVELOPE: usize = 4 * 1024;
/// Heap a pull needs per image byte: the fetched bytes, the loaded program and its
/// data, with margin. JIT code takes what it needs when it is compiled, and a compile
/// the heap cannot hold fails there with a typed failure.
const HEAP_FACTOR: usize = 4;

struct Installed {
    /// Core-clock counts of loading and verifying the image at pull time.
    load_counts: u64,
    verify_counts: u64,
    /// Compiled code, made on the first JIT run and kept until the image changes.
    jit: Option<super::jit_exec::Code>,
    image: Arc<Image>,
    layout: u8,
    size: u32,
    sha256: [u8; 32],
    /// What the signed manifest grants.
    helpers: HelperSet,
}

impl Installed {
    /// The helpers a run may call: the manifest's, narrowed by the request's list if any.
    fn allowed(&self, narrow: Option<HelperSet>) -> HelperSet {
        narrow.map_or(self.helpers, |n| self.helpers.intersection(n))
    }

    /// Compiles the JIT code on first use; it is kept until the image changes.
    fn ensure_code(&mut self, costs: &mut proto::Costs) -> Result<(), proto::Failure> {
        if self.jit.is_none() {
            self.jit = Some(super::jit_exec::compile(&self.image, costs)?);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Slot {
    installed: Option<Installed>,
    /// The highest sequence number accepted; survives erase, so old manifests stay old.
    sequence: u64,
    seen: bool,
}

/// Why a pull was refused, with the CoAP class to answer.
pub enum PullError {
    /// 4.00: a malformed request, manifest or image, or one that does not verify.
    BadRequest(String),
    /// 4.01: no trusted signature.
    Unauthorized(String),
    /// 4.03: a replayed (not newer) sequence number, or a manifest for another device.
    Forbidden(String),
    /// 4.13: larger than a slot.
    TooLarge(String),
    /// 5.04: the file server could not be reached.
    Gateway(String),
}

pub struct Slots {
    slots: [Slot; SLOT_COUNT],
    /// What survives a reset; `None` if the board reserves no RAM for it.
    persist: Option<Persist>,
}

/// Boots counted by the persistent state (0: the board keeps none).
pub static BOOT_COUNT: AtomicU32 = AtomicU32::new(0);

impl Slots {
    /// The slots as the last boot left them: sequence numbers, and every saved image
    /// that still matches its digest, loads and verifies (checked as at pull time).
    pub fn restore() -> Self {
        let mut slots = Self { slots: Default::default(), persist: Persist::open() };
        let Some(persist) = &slots.persist else {
            crate::println!("persist: no RAM kept across resets on this board");
            return slots;
        };
        BOOT_COUNT.store(persist.boot_count(), Ordering::Relaxed);
        for (i, slot) in slots.slots.iter_mut().enumerate() {
            let saved = persist.slot(i);
            slot.sequence = saved.sequence;
            slot.seen = saved.seen;
            let Some(image) = saved.image else { continue };
            match install(image.bytes, image.layout, HelperSet::from_bitmap(image.helpers), image.sha256) {
                Ok(installed) => {
                    crate::println!("slot {i}: restored sequence {} ({} bytes)", saved.sequence, image.bytes.len());
                    slot.installed = Some(installed);
                }
                Err(e) => crate::println!("slot {i}: saved image not restored: {e}"),
            }
        }
        crate::println!("persist: boot {}", persist.boot_count());
        slots
    }

    /// Saves a slot's state for the next boot, with its image when there is room.
    fn save(&mut self, slot: usize, image: Option<&[u8]>) {
        let Some(persist) = &mut self.persist else { return };
        let s = &self.slots[slot];
        let saved = image.zip(s.installed.as_ref()).map(|(bytes, x)| SavedImage {
            layout: x.layout,
            helpers: x.helpers.to_bitmap(),
            sha256: x.sha256,
            bytes,
        });
        if !persist.save_slot(slot, s.sequence, s.seen, saved) && image.is_some() {
            crate::println!("slot {slot}: image not kept across resets (over {} bytes)", persist.image_capacity());
        }
    }

    pub async fn pull(&mut self, net: crate::link::Net, manifest_uri: &str) -> Result<PullResponse, PullError> {
        let t0 = core_clock_counts();
        let fetch = |e: crate::coap::client::FetchError| match e {
            crate::coap::client::FetchError::TooLarge => PullError::TooLarge(String::from(e.reason())),
            crate::coap::client::FetchError::BadUri => PullError::BadRequest(String::from(e.reason())),
            _ => PullError::Gateway(String::from(e.reason())),
        };
        let envelope = crate::link::get(net, manifest_uri, MAX_ENVELOPE).await.map_err(fetch)?;
        let update = check_envelope(&envelope)?;
        let slot = usize::from(update.slot);
        if slot >= SLOT_COUNT {
            return Err(PullError::BadRequest(format!("slot {slot} does not exist ({SLOT_COUNT} slots)")));
        }
        let current = &self.slots[slot];
        if current.seen && update.sequence <= current.sequence {
            return Err(PullError::Forbidden(format!(
                "sequence number {} is not above {}",
                update.sequence, current.sequence
            )));
        }
        if update.image_size as usize > MAX_IMAGE {
            return Err(PullError::TooLarge(format!("image of {} bytes; a slot holds {MAX_IMAGE}", update.image_size)));
        }
        // The image, its loaded form and JIT code take a few times its size; refuse
        // what would not fit rather than run out of heap halfway (a panic).
        let needed = update.image_size as usize * HEAP_FACTOR + HEAP_RESERVE;
        if crate::heap::free() < needed {
            return Err(PullError::TooLarge(format!(
                "not enough memory: {} bytes free, {needed} needed",
                crate::heap::free()
            )));
        }
        // Fetch one byte more than announced, to see an oversized image for what it is.
        let bytes = crate::link::get(net, &update.uri, update.image_size as usize + 1).await.map_err(|e| match e {
            crate::coap::client::FetchError::TooLarge => {
                PullError::BadRequest(String::from("image is larger than the manifest says"))
            }
            e => fetch(e),
        })?;
        if bytes.len() as u64 != update.image_size {
            return Err(PullError::BadRequest(format!(
                "image is {} bytes, the manifest says {}",
                bytes.len(),
                update.image_size
            )));
        }
        let sha256 = suit::sha256(&bytes);
        if sha256 != update.image_digest {
            return Err(PullError::BadRequest(String::from("image digest does not match the manifest")));
        }
        let installed = install(&bytes, update.layout, HelperSet::from_id_bytes(&update.helpers), sha256)
            .map_err(PullError::BadRequest)?;
        // Every check passed: only now is the slot replaced, and saved for the next boot.
        self.slots[slot] = Slot { installed: Some(installed), sequence: update.sequence, seen: true };
        self.save(slot, Some(&bytes));
        crate::println!("slot {slot}: installed sequence {} ({} bytes)", update.sequence, bytes.len());
        Ok(PullResponse {
            slot: update.slot,
            sequence: update.sequence,
            image_size: bytes.len() as u32,
            counts: core_clock_counts() - t0,
            insns_per_count: crate::board::INSNS_PER_COUNT,
        })
    }

    pub fn list(&self) -> Vec<SlotInfo> {
        self.slots
            .iter()
            .enumerate()
            .map(|(i, s)| SlotInfo {
                slot: i as u8,
                loaded: s.installed.is_some(),
                layout: s.installed.as_ref().map(|x| x.layout).unwrap_or(0),
                image_size: s.installed.as_ref().map(|x| x.size).unwrap_or(0),
                sequence: s.sequence,
                image_sha256: s.installed.as_ref().map(|x| x.sha256.to_vec()).unwrap_or_default(),
                helpers: s.installed.as_ref().map(|x| x.helpers).unwrap_or_default(),
            })
            .collect()
    }

    /// Empties a slot; `false` if there is no such slot.
    pub fn erase(&mut self, slot: u8) -> bool {
        match self.slots.get_mut(usize::from(slot)) {
            Some(s) => {
                s.installed = None;
                self.save(usize::from(slot), None);
                true
            }
            None => false,
        }
    }

    /// What a background run of a slot needs: its image and helper allow-list.
    pub fn program(&self, slot: u8) -> Option<(Arc<Image>, HelperSet)> {
        let installed = self.slots.get(usize::from(slot))?.installed.as_ref()?;
        Some((installed.image.clone(), installed.helpers))
    }

    /// Runs a slot once; `None` if the slot is empty or does not exist.
    pub fn exec(&mut self, req: proto::ExecRequest) -> Option<RunResponse> {
        let narrow = req.helpers;
        self.exec_narrowed(req, narrow)
    }

    /// As [`Self::exec`]; `narrow` (µBPF's per-request helper list) can only remove
    /// helpers from those the signed manifest grants.
    pub fn exec_narrowed(&mut self, req: proto::ExecRequest, narrow: Option<HelperSet>) -> Option<RunResponse> {
        let installed = self.slots.get_mut(usize::from(req.slot))?.installed.as_mut()?;
        let mut costs = interp_exec::costs();
        // Loading and verifying happened at pull time; report what they cost then.
        costs.load_counts = installed.load_counts;
        costs.verify_counts = installed.verify_counts;
        let allowed = installed.allowed(narrow);
        let mut helpers = DeviceHelpers::new(Namespace::Slot(req.slot));
        let mut buffers = match interp_exec::Buffers::for_image(&installed.image, req.input) {
            Ok(b) => b,
            Err(f) => return Some(RunResponse { result: None, failure: Some(f), costs, input: Vec::new() }),
        };
        let outcome = match req.engine {
            proto::Engine::Interp => interp_exec::execute(
                &installed.image,
                buffers.memory(&installed.image),
                allowed,
                req.budget,
                &mut helpers,
                &mut costs,
            ),
            #[cfg(feature = "bench")]
            proto::Engine::Rbpf => super::rbpf_exec::execute(&installed.image, &mut buffers, &mut costs),
            #[cfg(not(feature = "bench"))]
            proto::Engine::Rbpf => {
                Err(interp_exec::unsupported("this firmware has no rbpf engine (build with feature `bench`)"))
            }
            proto::Engine::Jit => installed.ensure_code(&mut costs).and_then(|()| {
                let code = installed.jit.as_ref().expect("ensure_code compiled it");
                super::jit_exec::execute(
                    &installed.image,
                    code,
                    buffers.memory(&installed.image),
                    allowed,
                    req.budget,
                    &mut helpers,
                    &mut costs,
                )
            }),
        };
        Some(match outcome {
            Ok(r0) => RunResponse { result: Some(r0), failure: None, costs, input: Vec::new() },
            Err(f) => RunResponse { result: None, failure: Some(f), costs, input: Vec::new() },
        })
    }
}

/// The answer a program built for a CoAP request.
pub struct CoapAnswer {
    pub code: u8,
    pub format: Option<u16>,
    pub payload: Vec<u8>,
}

/// The response buffer a CoAP program writes into.
pub const COAP_RESPONSE_BUFFER: usize = 512;

impl Slots {
    /// Runs a slot as the handler of a CoAP request: its input is the context
    /// `{u32 request payload address, u32 response buffer address, u32 request length}`,
    /// the request payload is a read-only region and the response buffer a writable
    /// one; it returns the payload length it wrote. `None` if the slot is empty.
    pub fn exec_coap(
        &mut self,
        slot: u8,
        engine: proto::Engine,
        request: &[u8],
        narrow: Option<HelperSet>,
    ) -> Option<Result<CoapAnswer, proto::Failure>> {
        let installed = self.slots.get_mut(usize::from(slot))?.installed.as_mut()?;
        let allowed = installed.allowed(narrow);
        let mut costs = interp_exec::costs();
        if engine == proto::Engine::Jit {
            if let Err(f) = installed.ensure_code(&mut costs) {
                return Some(Err(f));
            }
        }
        let pkt = request.to_vec();
        let mut buf = alloc::vec![0u8; COAP_RESPONSE_BUFFER];
        let (pkt_addr, buf_addr) = (pkt.as_ptr() as usize as u32, buf.as_mut_ptr() as usize as u32);
        let mut ctx = Vec::with_capacity(12);
        for v in [pkt_addr, buf_addr, pkt.len() as u32] {
            ctx.extend_from_slice(&v.to_le_bytes());
        }
        let mut helpers = DeviceHelpers::new(Namespace::Slot(slot));
        helpers.coap = Some(CoapResponse { code: None, format: None, buf: buf_addr as u64 });
        let mut buffers = match interp_exec::Buffers::for_image(&installed.image, ctx) {
            Ok(b) => b,
            Err(f) => return Some(Err(f)),
        };
        let mut memory = buffers.memory(&installed.image);
        if !pkt.is_empty() {
            memory.add(vm::memory::Region::read_only(vm::RegionKind::Helper, &pkt));
        }
        memory.add(vm::memory::Region::read_write(vm::RegionKind::Helper, &mut buf));
        let outcome = match (engine, installed.jit.as_ref()) {
            (proto::Engine::Jit, Some(code)) => {
                super::jit_exec::execute(&installed.image, code, memory, allowed, 0, &mut helpers, &mut costs)
            }
            _ => interp_exec::execute(&installed.image, memory, allowed, 0, &mut helpers, &mut costs),
        };
        Some(outcome.and_then(|len| {
            let len =
                usize::try_from(len).ok().filter(|&l| l <= COAP_RESPONSE_BUFFER).ok_or_else(|| proto::Failure {
                    kind: proto::FailureKind::Other,
                    pc: None,
                    message: format!(
                        "the program returned a payload length of {len}; the buffer holds {COAP_RESPONSE_BUFFER}"
                    ),
                })?;
            let resp = helpers.coap.unwrap_or_default();
            // 2.05 Content unless the program chose a code.
            Ok(CoapAnswer { code: resp.code.unwrap_or(0x45), format: resp.format, payload: buf[..len].to_vec() })
        }))
    }
}

/// Loads and verifies an image whose digest was checked, measuring both.
fn install(bytes: &[u8], layout_id: u8, allowed: HelperSet, sha256: [u8; 32]) -> Result<Installed, String> {
    let layout = Layout::from_id(layout_id).ok_or_else(|| String::from("unknown image layout"))?;
    let (image, load_counts) = measure(Phase::Load, || Image::load(layout, bytes));
    let image = image.map_err(|e| format!("image: {e}"))?;
    let (verified, verify_counts) = measure(Phase::Verify, || vm::verify(&image.program, &allowed));
    verified.map_err(|e| format!("verifier: {e}"))?;
    Ok(Installed {
        load_counts,
        verify_counts,
        jit: None,
        image: Arc::new(image),
        layout: layout_id,
        size: bytes.len() as u32,
        sha256,
        helpers: allowed,
    })
}

/// Signature, digest, manifest and device identity checks of an envelope.
fn check_envelope(bytes: &[u8]) -> Result<SlotUpdate, PullError> {
    let env = suit::Envelope::decode(bytes).map_err(|e| PullError::BadRequest(format!("envelope: {e}")))?;
    let mut verdict = Err(suit::SuitError::Unsigned);
    for key in TRUSTED_KEYS {
        verdict = env.verify_ed25519(key);
        if verdict.is_ok() {
            break;
        }
    }
    match verdict {
        Ok(()) => {}
        Err(e @ suit::SuitError::DigestMismatch) => return Err(PullError::BadRequest(format!("manifest: {e}"))),
        Err(e) => return Err(PullError::Unauthorized(format!("signature: {e}"))),
    }
    let manifest =
        suit::Manifest::decode(&env.manifest).map_err(|e| PullError::BadRequest(format!("manifest: {e}")))?;
    let update = SlotUpdate::from_manifest(&manifest).map_err(|e| PullError::BadRequest(format!("manifest: {e}")))?;
    if update.vendor_id != VENDOR_ID || update.class_id != CLASS_ID_MPS2_AN386 {
        return Err(PullError::Forbidden(String::from("manifest is for another vendor or device class")));
    }
    Ok(update)
}
