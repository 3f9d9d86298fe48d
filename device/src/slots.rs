//! Program slots: installing signed images (pull), running them, listing and erasing.
//!
//! A pull checks everything before touching the slot: the envelope's signature
//! against the built-in trusted keys, the manifest's digest, vendor and class ids,
//! that its sequence number is above the slot's, the image's size and digest, and that
//! the image loads and verifies. Any failure leaves the slot exactly as it was.
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use proto::{PullResponse, RunResponse, SlotInfo};
use suit::profile::{SlotUpdate, CLASS_ID_MPS2_AN386, VENDOR_ID};
use vm::image::{Image, Layout};
use vm::HelperSet;

use crate::persist::{Persist, SavedImage};
use crate::run::{self, Buffers, CoapResponse, Engine, Run};
use crate::{log, Config, FetchError, Phase, Platform, SLOT_COUNT};

/// The largest envelope accepted.
const MAX_ENVELOPE: usize = 4 * 1024;
/// Heap a pull needs per image byte: the fetched bytes, the loaded program and its
/// data, with margin. JIT code takes what it needs when it is compiled, and a compile
/// the heap cannot hold fails there with a typed failure.
const HEAP_FACTOR: usize = 4;

struct Installed<C> {
    /// What loading and verifying the image cost at pull time.
    load: crate::Measured,
    verify: crate::Measured,
    /// Compiled code, made on the first JIT run and kept until the image changes.
    jit: Option<C>,
    image: Arc<Image>,
    layout: u8,
    size: u32,
    sha256: [u8; 32],
    /// What the signed manifest grants.
    helpers: HelperSet,
}

impl<C> Installed<C> {
    /// The helpers a run may call: the manifest's, narrowed by the request's list if any.
    fn allowed(&self, narrow: Option<HelperSet>) -> HelperSet {
        narrow.map_or(self.helpers, |n| self.helpers.intersection(n))
    }

    /// Compiles the JIT code on first use; it is kept until the image changes.
    fn ensure_code<P: Platform<Code = C>>(
        &mut self,
        platform: &mut P,
        costs: &mut proto::Costs,
    ) -> Result<(), proto::Failure> {
        if self.jit.is_none() {
            self.jit = Some(platform.compile(&self.image, costs)?);
        }
        Ok(())
    }
}

struct Slot<C> {
    installed: Option<Installed<C>>,
    /// The highest sequence number accepted; survives erase, so old manifests stay old.
    sequence: u64,
    seen: bool,
}

impl<C> Default for Slot<C> {
    fn default() -> Self {
        Self { installed: None, sequence: 0, seen: false }
    }
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

pub struct Slots<C> {
    slots: [Slot<C>; SLOT_COUNT],
    /// What survives a reset; `None` if the board reserves no RAM for it.
    persist: Option<Persist>,
}

impl<C> Slots<C> {
    /// The slots as the last boot left them: sequence numbers, and every saved image
    /// that still matches its digest, loads and verifies (checked as at pull time).
    pub fn restore<P: Platform<Code = C>>(platform: &mut P) -> Self {
        let mut slots = Self { slots: Default::default(), persist: None };
        let Some(area) = platform.persist_area() else {
            log!(platform, "persist: no RAM kept across resets on this board");
            return slots;
        };
        let Some(persist) = Persist::open(area) else {
            log!(platform, "persist: the area kept across resets is too small");
            return slots;
        };
        let mut restored = [const { None }; SLOT_COUNT];
        if let Some(area) = platform.persist_area() {
            for (i, slot) in slots.slots.iter_mut().enumerate() {
                let saved = persist.slot(area, i);
                slot.sequence = saved.sequence;
                slot.seen = saved.seen;
                if let Some(image) = saved.image {
                    restored[i] = Some((image.bytes.to_vec(), image.layout, image.helpers, image.sha256));
                }
            }
        }
        for (i, saved) in restored.into_iter().enumerate() {
            let Some((bytes, layout, helpers, sha256)) = saved else { continue };
            match install(&*platform, &bytes, layout, HelperSet::from_bitmap(helpers), sha256) {
                Ok(installed) => {
                    log!(platform, "slot {i}: restored sequence {} ({} bytes)", slots.slots[i].sequence, bytes.len());
                    slots.slots[i].installed = Some(installed);
                }
                Err(e) => log!(platform, "slot {i}: saved image not restored: {e}"),
            }
        }
        log!(platform, "persist: boot {}", persist.boot_count());
        slots.persist = Some(persist);
        slots
    }

    /// Boots counted by the state kept across resets (0: the board keeps none).
    pub fn boot_count(&self) -> u32 {
        self.persist.as_ref().map_or(0, Persist::boot_count)
    }

    /// Saves a slot's state for the next boot, with its image when there is room.
    fn save<P: Platform<Code = C>>(&mut self, platform: &mut P, slot: usize, image: Option<&[u8]>) {
        let Some(persist) = &mut self.persist else { return };
        let Some(area) = platform.persist_area() else { return };
        let s = &self.slots[slot];
        let saved = image.zip(s.installed.as_ref()).map(|(bytes, x)| SavedImage {
            layout: x.layout,
            helpers: x.helpers.to_bitmap(),
            sha256: x.sha256,
            bytes,
        });
        if !persist.save_slot(area, slot, s.sequence, s.seen, saved) && image.is_some() {
            let capacity = Persist::image_capacity(area);
            log!(platform, "slot {slot}: image not kept across resets (over {capacity} bytes)");
        }
    }

    pub async fn pull<P: Platform<Code = C>>(
        &mut self,
        platform: &mut P,
        config: &Config,
        manifest_uri: &str,
    ) -> Result<PullResponse, PullError> {
        let t0 = platform.now();
        let fetch = |e: FetchError| match e {
            FetchError::TooLarge => PullError::TooLarge(String::from(e.reason())),
            FetchError::BadUri => PullError::BadRequest(String::from(e.reason())),
            _ => PullError::Gateway(String::from(e.reason())),
        };
        let envelope = platform.fetch(manifest_uri, MAX_ENVELOPE).await.map_err(fetch)?;
        let update = check_envelope(config, &envelope)?;
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
        if update.image_size > config.max_image as u64 {
            return Err(PullError::TooLarge(format!(
                "image of {} bytes; a slot holds {}",
                update.image_size, config.max_image
            )));
        }
        // The image, its loaded form and JIT code take a few times its size; refuse
        // what would not fit rather than run out of heap halfway (a panic).
        let needed = update.image_size as usize * HEAP_FACTOR + config.heap_reserve;
        let free = platform.heap_free();
        if free < needed {
            return Err(PullError::TooLarge(format!("not enough memory: {free} bytes free, {needed} needed")));
        }
        // Fetch one byte more than announced, to see an oversized image for what it is.
        let bytes = platform.fetch(&update.uri, update.image_size as usize + 1).await.map_err(|e| match e {
            FetchError::TooLarge => PullError::BadRequest(String::from("image is larger than the manifest says")),
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
        let installed = install(&*platform, &bytes, update.layout, HelperSet::from_id_bytes(&update.helpers), sha256)
            .map_err(PullError::BadRequest)?;
        // Every check passed: only now is the slot replaced, and saved for the next boot.
        self.slots[slot] = Slot { installed: Some(installed), sequence: update.sequence, seen: true };
        self.save(platform, slot, Some(&bytes));
        log!(platform, "slot {slot}: installed sequence {} ({} bytes)", update.sequence, bytes.len());
        Ok(PullResponse {
            slot: update.slot,
            sequence: update.sequence,
            image_size: bytes.len() as u32,
            counts: platform.now() - t0,
            insns_per_count: P::INSNS_PER_COUNT,
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
    pub fn erase<P: Platform<Code = C>>(&mut self, platform: &mut P, slot: u8) -> bool {
        match self.slots.get_mut(usize::from(slot)) {
            Some(s) => {
                s.installed = None;
                self.save(platform, usize::from(slot), None);
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
    pub fn exec<P: Platform<Code = C>>(&mut self, platform: &mut P, req: proto::ExecRequest) -> Option<RunResponse> {
        let narrow = req.helpers;
        self.exec_narrowed(platform, req, narrow)
    }

    /// As [`Self::exec`]; `narrow` (µBPF's per-request helper list) can only remove
    /// helpers from those the signed manifest grants.
    pub fn exec_narrowed<P: Platform<Code = C>>(
        &mut self,
        platform: &mut P,
        req: proto::ExecRequest,
        narrow: Option<HelperSet>,
    ) -> Option<RunResponse> {
        let installed = self.slots.get_mut(usize::from(req.slot))?.installed.as_mut()?;
        let mut costs = run::costs::<P>();
        // Loading and verifying happened at pull time; report what they cost then.
        installed.load.record(Phase::Load, &mut costs);
        installed.verify.record(Phase::Verify, &mut costs);
        let allowed = installed.allowed(narrow);
        let mut buffers = match Buffers::for_image(&installed.image, req.input) {
            Ok(b) => b,
            Err(f) => return Some(RunResponse { result: None, failure: Some(f), costs, input: Vec::new() }),
        };
        let outcome = match req.engine {
            proto::Engine::Rbpf => platform.execute_rbpf(&installed.image, &mut buffers, &mut costs),
            proto::Engine::Interp | proto::Engine::Jit => {
                if req.engine == proto::Engine::Jit {
                    if let Err(f) = installed.ensure_code(platform, &mut costs) {
                        return Some(RunResponse { result: None, failure: Some(f), costs, input: Vec::new() });
                    }
                }
                let code = installed.jit.as_ref().filter(|_| req.engine == proto::Engine::Jit);
                platform.execute(Run {
                    engine: if code.is_some() { Engine::Jit } else { Engine::Interp },
                    image: &installed.image,
                    code,
                    memory: buffers.memory(&installed.image),
                    allowed,
                    budget: req.budget,
                    slot: req.slot,
                    coap: None,
                    costs: &mut costs,
                })
            }
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

impl<C> Slots<C> {
    /// Runs a slot as the handler of a CoAP request: its input is the context
    /// `{u32 request payload address, u32 response buffer address, u32 request length}`,
    /// the request payload is a read-only region and the response buffer a writable
    /// one; it returns the payload length it wrote. `None` if the slot is empty.
    pub fn exec_coap<P: Platform<Code = C>>(
        &mut self,
        platform: &mut P,
        slot: u8,
        engine: proto::Engine,
        request: &[u8],
        narrow: Option<HelperSet>,
    ) -> Option<Result<CoapAnswer, proto::Failure>> {
        let installed = self.slots.get_mut(usize::from(slot))?.installed.as_mut()?;
        let allowed = installed.allowed(narrow);
        let mut costs = run::costs::<P>();
        if engine == proto::Engine::Jit {
            if let Err(f) = installed.ensure_code(platform, &mut costs) {
                return Some(Err(f));
            }
        }
        let installed = &*installed;
        let code = installed.jit.as_ref().filter(|_| engine == proto::Engine::Jit);
        let pkt = request.to_vec();
        let mut buf = alloc::vec![0u8; COAP_RESPONSE_BUFFER];
        let (pkt_addr, buf_addr) = (pkt.as_ptr() as usize as u32, buf.as_mut_ptr() as usize as u32);
        let mut ctx = Vec::with_capacity(12);
        for v in [pkt_addr, buf_addr, pkt.len() as u32] {
            ctx.extend_from_slice(&v.to_le_bytes());
        }
        let mut coap = CoapResponse { code: None, format: None, buf: buf_addr as u64 };
        let mut buffers = match Buffers::for_image(&installed.image, ctx) {
            Ok(b) => b,
            Err(f) => return Some(Err(f)),
        };
        let mut memory = buffers.memory(&installed.image);
        if !pkt.is_empty() {
            memory.add(vm::memory::Region::read_only(vm::RegionKind::Helper, &pkt));
        }
        memory.add(vm::memory::Region::read_write(vm::RegionKind::Helper, &mut buf));
        let outcome = platform.execute(Run {
            engine: if code.is_some() { Engine::Jit } else { Engine::Interp },
            image: &installed.image,
            code,
            memory,
            allowed,
            budget: 0,
            slot,
            coap: Some(&mut coap),
            costs: &mut costs,
        });
        Some(outcome.and_then(|len| {
            let len =
                usize::try_from(len).ok().filter(|&l| l <= COAP_RESPONSE_BUFFER).ok_or_else(|| proto::Failure {
                    kind: proto::FailureKind::Other,
                    pc: None,
                    message: format!(
                        "the program returned a payload length of {len}; the buffer holds {COAP_RESPONSE_BUFFER}"
                    ),
                })?;
            let resp = coap;
            // 2.05 Content unless the program chose a code.
            Ok(CoapAnswer { code: resp.code.unwrap_or(0x45), format: resp.format, payload: buf[..len].to_vec() })
        }))
    }
}

/// Loads and verifies an image whose digest was checked, measuring both.
fn install<P: Platform>(
    platform: &P,
    bytes: &[u8],
    layout_id: u8,
    allowed: HelperSet,
    sha256: [u8; 32],
) -> Result<Installed<P::Code>, String> {
    let layout = Layout::from_id(layout_id).ok_or_else(|| String::from("unknown image layout"))?;
    let (image, load) = platform.load(layout, bytes);
    let image = image.map_err(|e| format!("image: {e}"))?;
    let (verified, verify) = platform.verify(&image.program, &allowed);
    verified.map_err(|e| format!("verifier: {e}"))?;
    Ok(Installed {
        load,
        verify,
        jit: None,
        image: Arc::new(image),
        layout: layout_id,
        size: bytes.len() as u32,
        sha256,
        helpers: allowed,
    })
}

/// Signature, digest, manifest and device identity checks of an envelope.
fn check_envelope(config: &Config, bytes: &[u8]) -> Result<SlotUpdate, PullError> {
    let env = suit::Envelope::decode(bytes).map_err(|e| PullError::BadRequest(format!("envelope: {e}")))?;
    let mut verdict = Err(suit::SuitError::Unsigned);
    for key in config.trusted_keys {
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
