//! The helpers the device offers (ids in `vm::helpers::HELPERS`), backed by device
//! code. Every pointer argument is resolved through the program's `Memory`, so a
//! helper can only read and write the program's own regions.
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt::Write;

use critical_section::Mutex;
use vm::helpers::id;
use vm::{HelperError, HelperId, Helpers, Memory};

use super::devices;
use crate::println;

/// Most entries one key-value namespace holds; a full store is an error, not growth.
const KV_CAPACITY: usize = 64;
/// The longest string a helper reads.
const MAX_STR: usize = 256;

/// Namespaces of the key-value store: one per slot (local) and one shared (global).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Global,
    Slot(u8),
    /// Programs run with `/run` (no slot).
    #[cfg(feature = "unsigned-run")]
    Scratch,
    /// The benchmark peers: native kernels and programs on rbpf.
    #[cfg(feature = "bench")]
    Peer,
}

impl Namespace {
    /// The namespace's number in the store's keys (its high word).
    fn code(self) -> u32 {
        match self {
            Namespace::Global => 0,
            Namespace::Slot(n) => 1 + n as u32,
            #[cfg(feature = "unsigned-run")]
            Namespace::Scratch => 0x100,
            #[cfg(feature = "bench")]
            Namespace::Peer => 0x101,
        }
    }
}

/// The store's order: the namespace's code, then the key, as one number, so that a
/// search compares two words, not an enum's variant, its field and then a key.
fn store_key(code: u32, key: u32) -> u64 {
    (code as u64) << 32 | key as u64
}

/// An entry's [`store_key`].
fn key_of(e: &KvEntry) -> u64 {
    store_key(e.0, e.1)
}

/// The store: entries sorted by namespace and key. A vector with room for a namespace's
/// entries from boot ([`init`]), so that a program storing a new key allocates nothing
/// (until the namespaces together outgrow it): what a run costs does not depend on
/// what the heap went through before it.
static KV: Mutex<RefCell<Vec<KvEntry>>> = Mutex::new(RefCell::new(Vec::new()));

/// `(namespace code, key, value)`: words, so that an entry is 12 bytes (a `u64` key
/// would align it to 16).
type KvEntry = (u32, u32, u32);

/// Reserves the store's room; at boot, before any program runs.
pub fn init() {
    critical_section::with(|cs| {
        // Without the room the store still works, growing as it must.
        let _ = KV.borrow_ref_mut(cs).try_reserve_exact(KV_CAPACITY);
    })
}

pub fn kv_store(ns: Namespace, key: u32, value: u32) -> Result<u64, HelperError> {
    critical_section::with(|cs| {
        let mut kv = KV.borrow_ref_mut(cs);
        // An update (the common case: a program keeping state) is one search; only a
        // new key counts the namespace's entries against its capacity.
        let at = match kv.binary_search_by_key(&store_key(ns.code(), key), key_of) {
            Ok(at) => {
                kv[at].2 = value;
                return Ok(0);
            }
            Err(at) => at,
        };
        // The namespace's entries: from the first of it to the first past it.
        let held = kv.partition_point(|e| e.0 <= ns.code()) - kv.partition_point(|e| e.0 < ns.code());
        if held >= KV_CAPACITY {
            return Err(HelperError::Exhausted("key-value store full"));
        }
        if kv.try_reserve(1).is_err() {
            return Err(HelperError::Exhausted("no memory for the key-value store"));
        }
        kv.insert(at, (ns.code(), key, value));
        Ok(0)
    })
}

pub fn kv_fetch(ns: Namespace, key: u32) -> Option<u32> {
    critical_section::with(|cs| {
        let kv = KV.borrow_ref(cs);
        kv.binary_search_by_key(&store_key(ns.code(), key), key_of).ok().map(|at| kv[at].2)
    })
}

pub use device::CoapResponse;

/// The helper environment of one program run.
pub struct DeviceHelpers {
    pub namespace: Namespace,
    /// Set when the program answers a CoAP request.
    pub coap: Option<CoapResponse>,
}

impl DeviceHelpers {
    pub fn new(namespace: Namespace) -> Self {
        Self { namespace, coap: None }
    }
}

/// One helper: the program's r1-r5 and memory in; its r0, or why there is none.
pub type HelperFn = fn(&mut DeviceHelpers, &[u64; 5], &mut Memory<'_>) -> Result<u64, HelperError>;

/// A helper as a [`HelperFn`] (a closure's argument types come from here).
const fn helper(f: HelperFn) -> HelperFn {
    f
}

/// The device's helpers, each named once: `device_helpers!(m)` hands `m` the list
/// `ID => function, ...`, from which the interpreter's dispatch ([`Helpers::call`]),
/// [`HELPERS`] and the JIT's entries (`jit_exec`) are made. A helper reads no more of
/// `a` than `vm::helpers::helper_args(ID)` says: JIT code stores only those.
macro_rules! device_helpers {
    ($then:ident) => {
        $then! {
            PRINTF => |_, a, mem| printf(mem, a),
            MEMCPY => memcpy,
            PRINT_DEBUG => |_, a, _| {
                println!("bpf: debug {:#x}", a[0] as u32);
                Ok(0)
            },
            // The conformance suite's `unwind`: returns its argument, ends the program on 0.
            UNWIND => |_, a, _| if a[0] == 0 { Err(HelperError::Exit(0)) } else { Ok(a[0]) },
            STORE_LOCAL => |h, a, _| kv_store(h.namespace, a[0] as u32, a[1] as u32),
            STORE_GLOBAL => |_, a, _| kv_store(Namespace::Global, a[0] as u32, a[1] as u32),
            FETCH_LOCAL => |h, a, mem| fetch(h.namespace, a, mem),
            FETCH_GLOBAL => |_, a, mem| fetch(Namespace::Global, a, mem),
            NOW_MS => |_, _, _| Ok(embassy_time::Instant::now().as_millis()),
            ZTIMER_NOW_US => |_, _, _| Ok(embassy_time::Instant::now().as_micros()),
            FMT_S16_DFP => |_, a, mem| fmt_s16_dfp(mem, a[0], a[1] as u16 as i16, a[2] as i32),
            FMT_U32_DEC => |_, a, mem| write_out(mem, a[0], format_u32_dec(a[1] as u32).as_bytes()),
            STRLEN => |_, a, mem| Ok(mem.c_str(a[0], MAX_STR)?.len() as u64),
            // SAUL registry: handles are index + 1; 0 is "no such device".
            SAUL_REG_FIND_NTH => |_, a, _| Ok(if (a[0] as usize) < devices::SENSORS.len() { a[0] + 1 } else { 0 }),
            SAUL_REG_FIND_TYPE => |_, a, _| {
                Ok(devices::SENSORS.iter().position(|s| s.kind as u64 == a[0]).map_or(0, |i| i as u64 + 1))
            },
            SAUL_REG_READ => saul_reg_read,
            // Sensors here are read-only.
            SAUL_REG_WRITE => |_, _, _| Err(HelperError::BadArgument("sensors cannot be written")),
            SAUL_READ_TEMP => saul_read_temp,
            // CoAP response building (RIOT gcoap's names); only for a program that
            // answers a request.
            GCOAP_RESP_INIT => |h, a, _| {
                let resp = coap_response(h)?;
                let code = u8::try_from(a[1]).map_err(|_| HelperError::BadArgument("bad CoAP code"))?;
                if code >> 5 < 2 || code >> 5 > 5 {
                    return Err(HelperError::BadArgument("a response code is 2.xx to 5.xx"));
                }
                resp.code = Some(code);
                Ok(0)
            },
            COAP_OPT_FINISH => |h, _, _| coap_response(h).map(|_| 0),
            COAP_ADD_FORMAT => |h, a, _| {
                let resp = coap_response(h)?;
                resp.format = Some(u16::try_from(a[1]).map_err(|_| HelperError::BadArgument("bad content format"))?);
                Ok(0)
            },
            COAP_GET_PDU => |h, _, _| coap_response(h).map(|resp| resp.buf),
            GPIO_READ_INPUT => gpio_read,
            GPIO_READ_RAW => gpio_read,
            GPIO_WRITE => |_, a, _| {
                devices::gpio_write(a[0], a[1], a[2] != 0).map(|()| 0).ok_or(HelperError::BadArgument("not an output pin"))
            },
        }
    };
}
#[cfg(feature = "jit")]
pub(crate) use device_helpers;

impl Helpers for DeviceHelpers {
    fn call(&mut self, id: HelperId, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
        // (A `match`: each helper called directly, so small ones are inlined.)
        macro_rules! dispatch {
            ($($name:ident => $f:expr),* $(,)?) => {
                match id {
                    $(id::$name => helper($f)(self, a, mem),)*
                    _ => Err(HelperError::Unknown(id)),
                }
            };
        }
        device_helpers!(dispatch)
    }
}

/// Ids below this may name a helper here (every `vm::helpers::id` is).
#[cfg(feature = "jit")]
pub const HELPER_IDS: usize = 128;

/// The device's helpers by id, for code built per helper (the JIT's entries).
#[cfg(feature = "jit")]
pub const HELPERS: [Option<HelperFn>; HELPER_IDS] = {
    macro_rules! table {
        ($($name:ident => $f:expr),* $(,)?) => {{
            let mut t: [Option<HelperFn>; HELPER_IDS] = [None; HELPER_IDS];
            $(t[id::$name as usize] = Some(helper($f));)*
            t
        }};
    }
    device_helpers!(table)
};

fn memcpy(_: &mut DeviceHelpers, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
    let n = a[2];
    if n > 64 * 1024 {
        return Err(HelperError::BadArgument("memcpy length too large"));
    }
    let src = mem.slice(a[1], n)?.to_vec();
    mem.slice_mut(a[0], n)?.copy_from_slice(&src);
    Ok(a[0])
}

/// `fetch(key, &value)`: absent keys read as 0, as in Femto-Containers. (Inlined into
/// each caller, as the `match` had it: a call of its own cost the interpreter more.)
#[inline(always)]
fn fetch(ns: Namespace, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
    let v = kv_fetch(ns, a[0] as u32).unwrap_or(0);
    mem.store(a[1], 4, v as u64)?;
    Ok(0)
}

fn saul_reg_read(_: &mut DeviceHelpers, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
    let s = devices::sensor(a[0]).ok_or(HelperError::BadArgument("no such sensor"))?;
    // phydat: int16 val[3]; uint8 unit; int8 scale
    let mut phydat = [0u8; 8];
    phydat[0..2].copy_from_slice(&s.read().to_le_bytes());
    phydat[6] = s.unit;
    phydat[7] = s.scale as u8;
    mem.slice_mut(a[1], 8)?.copy_from_slice(&phydat);
    Ok(1)
}

fn saul_read_temp(_: &mut DeviceHelpers, a: &[u64; 5], mem: &mut Memory<'_>) -> Result<u64, HelperError> {
    let s = devices::sensor(a[0])
        .filter(|s| s.kind == devices::SAUL_SENSE_TEMP)
        .ok_or(HelperError::BadArgument("not a temperature sensor"))?;
    mem.store(a[1], 4, s.read() as i32 as u32 as u64)?;
    Ok(0)
}

fn coap_response(h: &mut DeviceHelpers) -> Result<&mut CoapResponse, HelperError> {
    h.coap.as_mut().ok_or(HelperError::BadArgument("this run answers no CoAP request"))
}

fn gpio_read(_: &mut DeviceHelpers, a: &[u64; 5], _: &mut Memory<'_>) -> Result<u64, HelperError> {
    devices::gpio_read(a[0], a[1]).map(u64::from).ok_or(HelperError::BadArgument("no such GPIO pin"))
}

/// Writes `bytes` at `addr` (no NUL), returning the length, like RIOT's fmt functions.
fn write_out(mem: &mut Memory<'_>, addr: u64, bytes: &[u8]) -> Result<u64, HelperError> {
    mem.slice_mut(addr, bytes.len() as u64)?.copy_from_slice(bytes);
    Ok(bytes.len() as u64)
}

/// RIOT's `fmt_s16_dfp`: a fixed-point decimal with `digits` fractional digits
/// (negative `digits` scale up).
fn fmt_s16_dfp(mem: &mut Memory<'_>, out: u64, value: i16, digits: i32) -> Result<u64, HelperError> {
    let text = format_s16_dfp(value, digits).ok_or(HelperError::BadArgument("fmt_s16_dfp: digits out of range"))?;
    write_out(mem, out, text.as_bytes())
}

/// The text of `fmt_s16_dfp`; `None` when `digits` is outside -7..=7. Numbers go
/// through `itoa` rather than `write!`: a helper a program calls per reading should not
/// cost core::fmt's machinery each time.
pub fn format_s16_dfp(value: i16, digits: i32) -> Option<heapless::String<24>> {
    if !(-7..=7).contains(&digits) {
        return None;
    }
    let mut buf = heapless::String::<24>::new();
    let mut num = itoa::Buffer::new();
    // At most a sign and 12 digits (32768 * 10^7), or a sign, 5 digits, a point and 7:
    // the pushes cannot overflow 24 bytes.
    if digits <= 0 {
        let _ = buf.push_str(num.format(value as i64 * 10i64.pow(digits.unsigned_abs())));
    } else {
        let div = 10u32.pow(digits as u32);
        let a = u32::from(value.unsigned_abs());
        if value < 0 {
            let _ = buf.push('-');
        }
        let _ = buf.push_str(num.format(a / div));
        let _ = buf.push('.');
        // The fraction zero-padded to `digits`: `div + fraction` has one digit more, a 1.
        let _ = buf.push_str(&num.format(div + a % div)[1..]);
    }
    Some(buf)
}

/// The text of `fmt_u32_dec`.
pub fn format_u32_dec(value: u32) -> heapless::String<16> {
    let mut buf = heapless::String::<16>::new();
    let _ = buf.push_str(itoa::Buffer::new().format(value));
    buf
}

/// `printf(fmt, a, b, c, d)`: %d %i %u %x %X %c %s %% with an optional `l`/`ll`.
fn printf(mem: &Memory<'_>, a: &[u64; 5]) -> Result<u64, HelperError> {
    let fmt = mem.c_str(a[0], MAX_STR)?;
    let mut out = heapless::String::<320>::new();
    let mut args = a[1..].iter().copied();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            let _ = out.push(c as char);
            continue;
        }
        let mut long = false;
        while i < fmt.len() && fmt[i] == b'l' {
            long = true;
            i += 1;
        }
        let Some(&spec) = fmt.get(i) else { break };
        i += 1;
        if spec == b'%' {
            let _ = out.push('%');
            continue;
        }
        let v = args.next().unwrap_or(0);
        let _ = match (spec, long) {
            (b'd' | b'i', false) => write!(out, "{}", v as i32),
            (b'd' | b'i', true) => write!(out, "{}", v as i64),
            (b'u', false) => write!(out, "{}", v as u32),
            (b'u', true) => write!(out, "{v}"),
            (b'x', false) => write!(out, "{:x}", v as u32),
            (b'x', true) => write!(out, "{v:x}"),
            (b'X', _) => write!(out, "{v:X}"),
            (b'c', _) => write!(out, "{}", v as u8 as char),
            (b's', _) => {
                let s = mem.c_str(v, MAX_STR)?;
                write!(out, "{}", core::str::from_utf8(s).unwrap_or("<non-utf8>"))
            }
            _ => Err(core::fmt::Error),
        };
    }
    crate::console::write(format_args!("bpf: {out}"));
    Ok(out.len() as u64)
}
