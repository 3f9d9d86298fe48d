//! Memory isolation: the regions a program may touch, with their permissions.
//!
//! Addresses a program sees are the real addresses of the buffers it was given (as in
//! rbpf and uBPF), so pointers passed to helpers and used by a JIT mean the same thing.
//! Every access is resolved to a region and an offset, then performed through the
//! region's slice: isolation needs no unsafe code, and an access that is not entirely
//! inside one region with the right permission is a [`MemFault`]. Offsets are taken in
//! the address space's own width (`usize`): an address beyond it is in no region, and a
//! 32-bit device checks an access with 32-bit arithmetic.

/// What a region holds; reported in errors and used by helpers to find buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Stack,
    Input,
    Data,
    Rodata,
    /// A region a helper granted (e.g. a CoAP packet buffer).
    Helper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// An access outside the program's regions, or a write to a read-only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{access:?} of {len} bytes at {addr:#x} is outside the program's memory")]
pub struct MemFault {
    pub addr: u64,
    pub len: u64,
    pub access: Access,
}

enum Bytes<'a> {
    ReadOnly(&'a [u8]),
    ReadWrite(&'a mut [u8]),
}

/// One contiguous buffer the program may access.
pub struct Region<'a> {
    kind: RegionKind,
    bytes: Bytes<'a>,
}

impl<'a> Region<'a> {
    pub fn read_only(kind: RegionKind, bytes: &'a [u8]) -> Self {
        Self { kind, bytes: Bytes::ReadOnly(bytes) }
    }

    pub fn read_write(kind: RegionKind, bytes: &'a mut [u8]) -> Self {
        Self { kind, bytes: Bytes::ReadWrite(bytes) }
    }

    pub fn kind(&self) -> RegionKind {
        self.kind
    }

    /// The address the program sees for the region's first byte.
    pub fn base(&self) -> u64 {
        self.start() as u64
    }

    /// The address of the first byte, in the address space's width (a region's only
    /// record of where it is: one load fewer on every access).
    #[inline(always)]
    fn start(&self) -> usize {
        match &self.bytes {
            Bytes::ReadOnly(b) => b.as_ptr() as usize,
            Bytes::ReadWrite(b) => b.as_ptr() as usize,
        }
    }

    pub fn len(&self) -> usize {
        match &self.bytes {
            Bytes::ReadOnly(b) => b.len(),
            Bytes::ReadWrite(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of a read-only region, for as long as the region lives: shared, they
    /// can be read beside the [`Memory`] that holds them.
    pub(crate) fn read_only_bytes(&self) -> Option<&'a [u8]> {
        match self.bytes {
            Bytes::ReadOnly(b) => Some(b),
            Bytes::ReadWrite(_) => None,
        }
    }

    pub fn is_writable(&self) -> bool {
        matches!(self.bytes, Bytes::ReadWrite(_))
    }

    /// The `N` bytes at `addr`, if they lie entirely within this region.
    #[inline(always)]
    fn read<const N: usize>(&self, addr: u64) -> Option<[u8; N]> {
        let bytes: &[u8] = match &self.bytes {
            Bytes::ReadOnly(b) => b,
            Bytes::ReadWrite(b) => b,
        };
        bytes.get(self.offset(addr)?..)?.first_chunk::<N>().copied()
    }

    /// How far `addr` lies past the region's start (wrapping: an address before it is
    /// far past its end). In the address space's own width, so a 32-bit device checks an
    /// access with a subtraction and two comparisons; an address beyond it is in no region.
    #[inline(always)]
    fn offset(&self, addr: u64) -> Option<usize> {
        Some(usize::try_from(addr).ok()?.wrapping_sub(self.start()))
    }

    /// The offset of `[addr, addr+len)` inside this region, if it lies entirely within.
    #[inline(always)]
    fn offset_of(&self, addr: u64, len: u64) -> Option<usize> {
        let off = self.offset(addr)?;
        let size = self.len();
        (off < size && usize::try_from(len).ok()? <= size - off).then_some(off)
    }

    /// The `N` bytes at `addr` for writing, if they lie entirely within this region and
    /// it is writable.
    #[inline(always)]
    fn chunk_mut<const N: usize>(&mut self, addr: u64) -> Option<&mut [u8; N]> {
        let off = self.offset(addr)?;
        match &mut self.bytes {
            Bytes::ReadWrite(b) => b.get_mut(off..)?.first_chunk_mut::<N>(),
            Bytes::ReadOnly(_) => None,
        }
    }
}

/// The most regions one run can have: the stack, input, `.data`, `.rodata` and a few
/// that helpers grant (the device uses six at most).
pub const MAX_REGIONS: usize = 6;

/// The regions of one program run, at most [`MAX_REGIONS`].
///
/// They sit in the structure itself, not behind a pointer. A load or store tries the
/// first two in place (no index to load and check), then searches the rest; the region
/// a search finds goes first and the first goes second. A program tends to stay in one
/// or two regions for a while (a loop over `.rodata` spilling to the stack), so an
/// access is one or two checks at fixed places. A hit on the second moves nothing: a
/// loop alternating between two regions swaps none. Regions never overlap, so their
/// order changes no result.
pub struct Memory<'a> {
    /// `regions[..len]` are the run's; the rest are empty and hold nothing.
    regions: [Region<'a>; MAX_REGIONS],
    len: usize,
}

impl Default for Memory<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Memory<'a> {
    pub fn new() -> Self {
        Self { regions: core::array::from_fn(|_| Region::read_only(RegionKind::Helper, &[])), len: 0 }
    }

    /// Adds a region.
    ///
    /// # Panics
    /// With [`MAX_REGIONS`] regions already there: how many regions a run has is the
    /// embedder's code, never a program's input.
    pub fn add(&mut self, region: Region<'a>) {
        assert!(self.len < MAX_REGIONS, "a run has at most {MAX_REGIONS} memory regions");
        self.regions[self.len] = region;
        self.len += 1;
    }

    pub fn with(mut self, region: Region<'a>) -> Self {
        self.add(region);
        self
    }

    /// The regions, in the order loads and stores try them (see [`Memory`]).
    pub fn regions(&self) -> &[Region<'a>] {
        // (`len` never exceeds the capacity; `min` says so without a panic path.)
        &self.regions[..self.len.min(MAX_REGIONS)]
    }

    /// Where a region holding `[addr, addr + len)` is, searched in order from the
    /// third (the first two were tried), moved to the front, the first moving second.
    /// The miss path of loads and stores, shared by every width: out of line and cold,
    /// so that the hit path is laid out straight through.
    #[cold]
    #[inline(never)]
    fn bring_forward(&mut self, addr: u64, len: usize) -> Option<()> {
        let i = self.regions().iter().skip(2).position(|r| r.offset_of(addr, len as u64).is_some())? + 2;
        self.regions.swap(1, i);
        self.regions.swap(0, 1);
        Some(())
    }

    /// The region of a kind (e.g. the stack, `.data`; the first found if there are
    /// several, as helper regions may be).
    pub fn region(&self, kind: RegionKind) -> Option<&Region<'a>> {
        self.regions().iter().find(|r| r.kind == kind)
    }

    #[inline]
    fn find(&self, addr: u64, len: u64, access: Access) -> Result<(usize, usize), MemFault> {
        for (i, r) in self.regions().iter().enumerate() {
            if let Some(off) = r.offset_of(addr, len) {
                if access == Access::Write && !r.is_writable() {
                    break;
                }
                return Ok((i, off));
            }
        }
        Err(MemFault { addr, len, access })
    }

    /// Borrows `len` bytes at `addr` for reading.
    #[inline]
    pub fn slice(&self, addr: u64, len: u64) -> Result<&[u8], MemFault> {
        let (i, off) = self.find(addr, len, Access::Read)?;
        let bytes = match &self.regions[i].bytes {
            Bytes::ReadOnly(b) => &b[..],
            Bytes::ReadWrite(b) => &b[..],
        };
        Ok(&bytes[off..off + len as usize])
    }

    /// Borrows `len` bytes at `addr` for writing.
    #[inline]
    pub fn slice_mut(&mut self, addr: u64, len: u64) -> Result<&mut [u8], MemFault> {
        let (i, off) = self.find(addr, len, Access::Write)?;
        match &mut self.regions[i].bytes {
            Bytes::ReadWrite(b) => Ok(&mut b[off..off + len as usize]),
            // `find` only returns writable regions for writes.
            Bytes::ReadOnly(_) => Err(MemFault { addr, len, access: Access::Write }),
        }
    }

    /// `N` bytes at `addr`: from the first or second region if they lie there (the
    /// common case: a subtraction and two comparisons, or twice that), else from
    /// whichever region holds them, which then goes first.
    #[inline(always)]
    fn read<const N: usize>(&mut self, addr: u64) -> Option<[u8; N]> {
        if let Some(b) = self.regions[0].read::<N>(addr) {
            return Some(b);
        }
        match self.regions[1].read::<N>(addr) {
            Some(b) => Some(b),
            None => self.read_searched::<N>(addr),
        }
    }

    /// The miss path of [`Self::read`] (cold, as the search).
    #[cold]
    #[inline(never)]
    fn read_searched<const N: usize>(&mut self, addr: u64) -> Option<[u8; N]> {
        self.bring_forward(addr, N)?;
        self.regions[0].read::<N>(addr)
    }

    /// Loads a little-endian value of 1, 2, 4 or 8 bytes, zero-extended.
    #[inline]
    pub fn load(&mut self, addr: u64, size: usize) -> Result<u64, MemFault> {
        let value = match size {
            1 => self.read::<1>(addr).map(|b| b[0] as u64),
            2 => self.read::<2>(addr).map(|b| u16::from_le_bytes(b) as u64),
            4 => self.read::<4>(addr).map(|b| u32::from_le_bytes(b) as u64),
            8 => self.read::<8>(addr).map(u64::from_le_bytes),
            _ => return self.load_searched(addr, size),
        };
        value.ok_or(MemFault { addr, len: size as u64, access: Access::Read })
    }

    /// [`Self::load`] of another width: through the ordered search of every region.
    #[inline(never)]
    fn load_searched(&self, addr: u64, size: usize) -> Result<u64, MemFault> {
        let b = self.slice(addr, size as u64)?;
        // One arm per width, so each access is a single load rather than a copy.
        Ok(match *b {
            [b0] => b0 as u64,
            [b0, b1] => u16::from_le_bytes([b0, b1]) as u64,
            [b0, b1, b2, b3] => u32::from_le_bytes([b0, b1, b2, b3]) as u64,
            [b0, b1, b2, b3, b4, b5, b6, b7] => u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]),
            _ => 0,
        })
    }

    /// Stores the low `size` bytes of `value`, little-endian.
    #[inline]
    pub fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), MemFault> {
        let stored = match size {
            1 => self.write(addr, [value as u8]),
            2 => self.write(addr, (value as u16).to_le_bytes()),
            4 => self.write(addr, (value as u32).to_le_bytes()),
            8 => self.write(addr, value.to_le_bytes()),
            _ => None,
        };
        stored.ok_or(MemFault { addr, len: size as u64, access: Access::Write })
    }

    /// Writes `bytes` at `addr`: into the first or second region if they lie there and
    /// it is writable, else through [`Self::write_searched`].
    #[inline(always)]
    fn write<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Option<()> {
        if let Some(dst) = self.regions[0].chunk_mut::<N>(addr) {
            *dst = bytes;
            return Some(());
        }
        match self.regions[1].chunk_mut::<N>(addr) {
            Some(dst) => {
                *dst = bytes;
                Some(())
            }
            None => self.write_searched(addr, bytes),
        }
    }

    /// The miss path of [`Self::write`]; a read-only region found faults the write.
    #[cold]
    #[inline(never)]
    fn write_searched<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Option<()> {
        self.bring_forward(addr, N)?;
        *self.regions[0].chunk_mut::<N>(addr)? = bytes;
        Some(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn c_str(&self, addr: u64, max: usize) -> Result<&[u8], MemFault> {
        let (i, off) = self.find(addr, 1, Access::Read)?;
        let bytes = match &self.regions[i].bytes {
            Bytes::ReadOnly(b) => &b[off..],
            Bytes::ReadWrite(b) => &b[off..],
        };
        let window = &bytes[..bytes.len().min(max)];
        match window.iter().position(|&b| b == 0) {
            Some(n) => Ok(&window[..n]),
            None => Err(MemFault { addr, len: window.len() as u64 + 1, access: Access::Read }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn accesses_inside_regions_work_and_outside_fault() {
        let mut stack = [0u8; 16];
        let rodata = [1u8, 2, 3, 4];
        let mut mem = Memory::new()
            .with(Region::read_write(RegionKind::Stack, &mut stack))
            .with(Region::read_only(RegionKind::Rodata, &rodata));
        let s = mem.region(RegionKind::Stack).unwrap().base();
        let r = mem.region(RegionKind::Rodata).unwrap().base();
        mem.store(s + 8, 8, 0x1122334455667788).unwrap();
        assert_eq!(mem.load(s + 8, 8).unwrap(), 0x1122334455667788);
        assert_eq!(mem.load(s + 12, 2).unwrap(), 0x3344);
        assert_eq!(mem.load(r, 4).unwrap(), 0x04030201);
        // Straddling the end.
        assert!(mem.load(s + 12, 8).is_err());
        assert!(mem.load(r + 3, 2).is_err());
        // Before the start (wrapping subtraction must not wrap into range).
        assert!(mem.load(s.wrapping_sub(1), 1).is_err());
        assert!(mem.load(u64::MAX, 8).is_err());
        // Writes to read-only memory fault with the access kind.
        assert_eq!(mem.store(r, 1, 0), Err(MemFault { addr: r, len: 1, access: Access::Write }));
    }

    #[test]
    fn the_region_last_found_by_a_search_goes_first_and_nothing_else_changes() {
        let (mut a, mut b, c, mut d) = ([1u8; 8], [2u8; 8], [3u8; 8], [4u8; 8]);
        let mut mem = Memory::new()
            .with(Region::read_write(RegionKind::Stack, &mut a))
            .with(Region::read_write(RegionKind::Input, &mut b))
            .with(Region::read_only(RegionKind::Rodata, &c))
            .with(Region::read_write(RegionKind::Data, &mut d));
        let base = |mem: &Memory, k| mem.region(k).unwrap().base();
        let [s, i, r, w] =
            [RegionKind::Stack, RegionKind::Input, RegionKind::Rodata, RegionKind::Data].map(|k| base(&mem, k));
        let kinds = |mem: &Memory| mem.regions().iter().map(|r| r.kind()).collect::<Vec<_>>();
        // The first two are tried in place: a hit there moves nothing.
        assert_eq!(mem.load(i, 1), Ok(2));
        assert_eq!(kinds(&mem), [RegionKind::Stack, RegionKind::Input, RegionKind::Rodata, RegionKind::Data]);
        // A region found by the search goes first, the first second.
        assert_eq!(mem.load(r + 7, 1), Ok(3));
        assert_eq!(kinds(&mem), [RegionKind::Rodata, RegionKind::Stack, RegionKind::Input, RegionKind::Data]);
        mem.store(w, 8, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(kinds(&mem), [RegionKind::Data, RegionKind::Rodata, RegionKind::Input, RegionKind::Stack]);
        // Every region still answers for its own bytes, and read-only stays read-only
        // wherever it stands (second here, then further back).
        assert_eq!(mem.store(r, 1, 9), Err(MemFault { addr: r, len: 1, access: Access::Write }));
        assert_eq!([s, i, r, w, i, s].map(|a| mem.load(a, 1)), [Ok(1), Ok(2), Ok(3), Ok(8), Ok(2), Ok(1)]);
        assert_eq!(kinds(&mem)[2], RegionKind::Rodata, "behind the two tried in place");
        assert_eq!(mem.store(r + 4, 4, 9), Err(MemFault { addr: r + 4, len: 4, access: Access::Write }));
        // An access that straddles two regions is in neither.
        assert!(mem.load(s + 4, 8).is_err() && mem.load(w - 2, 4).is_err());
        assert_eq!(mem.regions().len(), 4);
    }

    #[test]
    #[should_panic(expected = "at most 6")]
    fn a_region_past_the_most_is_refused() {
        let bytes = [0u8; 1];
        let mut mem = Memory::new();
        for _ in 0..=MAX_REGIONS {
            mem.add(Region::read_only(RegionKind::Helper, &bytes));
        }
    }

    #[test]
    fn c_str_stops_at_nul_and_faults_without_one() {
        let text = *b"hi\0xx";
        let mem = Memory::new().with(Region::read_only(RegionKind::Rodata, &text));
        let base = mem.regions()[0].base();
        assert_eq!(mem.c_str(base, 64).unwrap(), b"hi");
        assert!(mem.c_str(base + 3, 64).is_err());
    }
}
