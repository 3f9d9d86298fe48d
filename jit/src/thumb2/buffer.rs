//! A code buffer with labels and branch fixups.
//!
//! Branches to labels not yet bound are emitted as placeholders and patched by
//! [`CodeBuffer::finish`]. Every branch form records its range ([`LabelUse`]); a target
//! out of range is an error, never a wrong branch.
use alloc::vec::Vec;

use super::cond::Cond;
use super::{encode, Enc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(u32);

const UNBOUND: u32 = u32::MAX;

impl Label {
    /// One of the labels a buffer was made with ([`CodeBuffer::with_capacity`]).
    pub fn nth(n: usize) -> Self {
        Self(n as u32)
    }
}

/// The branch forms that refer to labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelUse {
    /// `B<c>.W`, ±1 MiB.
    BCondT3(Cond),
    /// `B.W`, ±16 MiB.
    BT4,
    /// `BL`, ±16 MiB.
    BlT1,
}

impl LabelUse {
    pub fn max_range(self) -> i32 {
        match self {
            LabelUse::BCondT3(_) => 1 << 20,
            LabelUse::BT4 | LabelUse::BlT1 => 1 << 24,
        }
    }

    fn encode(self, offset: i32) -> Enc {
        match self {
            LabelUse::BCondT3(c) => encode::b_cond_w(c, offset),
            LabelUse::BT4 => encode::b_w(offset),
            LabelUse::BlT1 => encode::bl(offset),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferError {
    /// A branch refers to a label that was never bound.
    UnboundLabel,
    /// The code outgrew the limit the buffer was made with.
    Full,
    /// The heap could not give the buffer more room.
    OutOfMemory,
    /// A branch target is out of the form's range.
    OutOfRange { at: usize, offset: i64 },
}

/// Code, labels and fixups. Every allocation is fallible: when the heap runs out (or
/// the code reaches its limit) the buffer takes no more and [`Self::finish`] says
/// why, so a device that compiles with what heap it has gets an error, never an abort.
pub struct CodeBuffer {
    code: Vec<u8>,
    /// The most code the buffer grows to ([`Self::with_capacity`]).
    limit: usize,
    /// The first failure; once set, the buffer takes nothing more.
    failed: Option<BufferError>,

    /// Label positions; `UNBOUND` until bound.
    labels: Vec<u32>,
    fixups: Vec<(usize, Label, LabelUse)>,
    /// Labels bound so far (see [`Point`]).
    binds: u32,
    /// Branches emitted so far.
    branches: u32,
}

/// A place in the code that stays the same only while nothing is added and no label
/// is bound: between two equal points, control only falls through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point(u32);

impl Point {
    /// No place in any code.
    pub const NOWHERE: Point = Point(u32::MAX);
}

impl Default for CodeBuffer {
    fn default() -> Self {
        Self {
            code: Vec::new(),
            limit: usize::MAX,
            failed: None,
            labels: Vec::new(),
            fixups: Vec::new(),
            binds: 0,
            branches: 0,
        }
    }
}

impl CodeBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset the next instruction goes to.
    pub fn offset(&self) -> usize {
        self.code.len()
    }

    /// Where the next instruction goes, as a [`Point`].
    pub fn point(&self) -> Point {
        // Both only grow, so their sum changes whenever either does: one word to
        // compare (it would take 2^32 changes to come round, far past any code's bound).
        Point(self.binds.wrapping_add(self.code.len() as u32))
    }

    /// An empty buffer with room for `bytes` of code, so that it rarely grows; when it
    /// must, it doubles, never past `limit` (code that does not fit fails at
    /// [`Self::finish`]). `fixed` labels are made: `Label::nth(0..fixed)`.
    #[cfg_attr(target_os = "none", optimize(size))]
    pub fn with_capacity(bytes: usize, limit: usize, fixed: usize) -> Self {
        let mut buf = Self { limit: limit.max(bytes), ..Self::default() };
        let branches = bytes / 16;
        if buf.code.try_reserve_exact(bytes).is_err()
            || buf.labels.try_reserve_exact(fixed + branches).is_err()
            || buf.fixups.try_reserve_exact(branches).is_err()
        {
            buf.failed = Some(BufferError::OutOfMemory);
            return buf;
        }
        buf.labels.resize(fixed, UNBOUND);
        buf
    }

    /// Whether the buffer has stopped taking code (see [`Self::finish`] for why).
    pub fn has_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Records that something the code depends on (outside the buffer) found no heap.
    pub fn out_of_memory(&mut self) {
        self.fail(BufferError::OutOfMemory);
    }

    /// Records the first failure.
    #[cold]
    fn fail(&mut self, e: BufferError) {
        self.failed.get_or_insert(e);
    }

    #[inline(always)]
    pub fn put(&mut self, enc: Enc) {
        if self.code.capacity() - self.code.len() < 4 && !self.make_room(4) {
            return;
        }
        // Fixed-size copies: no memcpy call per instruction (this runs on the device).
        let (bytes, _) = enc.bytes();
        if enc.is_wide() {
            self.code.extend_from_slice(&bytes);
        } else {
            self.code.extend_from_slice(&bytes[..2]);
        }
    }

    /// Doubles the code's room (at least `bytes` more), up to the limit; `false` (and
    /// the buffer takes no more code) when the limit is reached or the heap has no
    /// room.
    #[cold]
    fn make_room(&mut self, bytes: usize) -> bool {
        if self.failed.is_some() {
            return false;
        }
        let need = self.code.len() + bytes;
        let room = (self.code.capacity() * 2).max(need).min(self.limit);
        if room < need {
            self.fail(BufferError::Full);
            return false;
        }
        if self.code.try_reserve_exact(room - self.code.len()).is_err() {
            self.fail(BufferError::OutOfMemory);
            return false;
        }
        true
    }

    /// A new label; after a failure, one that binds to nothing.
    // Out of line: labels are made all over the lowering, and flash is scarce.
    #[inline(never)]
    pub fn new_label(&mut self) -> Label {
        if self.labels.try_reserve(1).is_err() {
            self.fail(BufferError::OutOfMemory);
            return Label(UNBOUND);
        }
        self.labels.push(UNBOUND);
        Label(self.labels.len() as u32 - 1)
    }

    #[inline(never)]
    pub fn bind(&mut self, label: Label) {
        self.bind_at(label, self.code.len());
    }

    /// [`Self::bind`] inlined: for the lowering's loop, which binds every slot's label.
    #[inline(always)]
    pub fn bind_inline(&mut self, label: Label) {
        self.bind_at(label, self.code.len());
    }

    /// Binds `label` to `offset`, code already emitted.
    pub fn bind_at(&mut self, label: Label, offset: usize) {
        self.binds = self.binds.wrapping_add(1);
        if let Some(l) = self.labels.get_mut(label.0 as usize) {
            *l = offset as u32;
        }
    }

    /// Branches emitted so far: code between two equal counts can be copied.
    pub fn branches(&self) -> u32 {
        self.branches
    }

    /// Appends a copy of the code from `start` on, which must have no branch (see
    /// [`Self::branches`]: a copied branch would not reach its label).
    pub fn repeat(&mut self, start: usize) {
        let n = self.code.len().saturating_sub(start);
        if self.code.capacity() - self.code.len() < n && !self.make_room(n) {
            return;
        }
        self.code.extend_from_within(start.min(self.code.len())..);
    }

    /// Emits a branch of form `use_` to `label` (patched at `finish`); a branch back
    /// to a bound label that a 16-bit form reaches takes that form.
    pub fn branch(&mut self, use_: LabelUse, label: Label) {
        self.branches = self.branches.wrapping_add(1);
        let bound = self.labels.get(label.0 as usize).copied().unwrap_or(UNBOUND);
        if bound != UNBOUND {
            let offset = bound as i32 - (self.code.len() as i32 + 4);
            let short = match use_ {
                LabelUse::BCondT3(c) => encode::b_cond16(c, offset),
                LabelUse::BT4 => encode::b16(offset),
                LabelUse::BlT1 => None,
            };
            if let Some(e) = short {
                return self.put(e);
            }
        }
        if self.fixups.try_reserve(1).is_err() {
            return self.fail(BufferError::OutOfMemory);
        }
        self.fixups.push((self.code.len(), label, use_));
        self.put(encode::nop());
        self.put(encode::nop());
    }

    /// Patches every branch and returns the code.
    pub fn finish(self) -> Result<Vec<u8>, BufferError> {
        self.finish_with_labels().map(|(code, _)| code)
    }

    /// Patches every branch and returns the code and every label's offset (the
    /// `with_capacity` labels first).
    pub fn finish_with_labels(mut self) -> Result<(Vec<u8>, Vec<u32>), BufferError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        for &(at, label, use_) in &self.fixups {
            let target = Some(self.labels.get(label.0 as usize).copied().unwrap_or(UNBOUND))
                .filter(|&t| t != UNBOUND)
                .ok_or(BufferError::UnboundLabel)? as usize;
            let offset = target as i64 - (at as i64 + 4);
            if offset >= use_.max_range() as i64 || offset < -(use_.max_range() as i64) {
                return Err(BufferError::OutOfRange { at, offset });
            }
            // Every branch form is 32-bit: a fixed-size copy (no memcpy call).
            let (bytes, _) = use_.encode(offset as i32).bytes();
            self.code[at..at + 4].copy_from_slice(&bytes);
        }
        Ok((self.code, self.labels))
    }
}
