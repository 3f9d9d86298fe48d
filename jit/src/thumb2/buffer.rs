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
    /// The code outgrew the capacity the buffer was made with.
    Full,
    /// A branch target is out of the form's range.
    OutOfRange { at: usize, offset: i64 },
}

#[derive(Default)]
pub struct CodeBuffer {
    code: Vec<u8>,
    /// The most code the buffer grows to ([`Self::with_capacity`]), in one step from
    /// its first capacity, so that the compiler's heap stays within its bound; `full`
    /// once an instruction did not fit.
    limit: Option<usize>,
    full: bool,

    /// Label positions; `UNBOUND` until bound.
    labels: Vec<u32>,
    fixups: Vec<(usize, Label, LabelUse)>,
}

impl CodeBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset the next instruction goes to.
    pub fn offset(&self) -> usize {
        self.code.len()
    }

    /// An empty buffer with room for `bytes` of code, so that it rarely grows; when it
    /// must, it grows once to `limit` and never past it (code that does not fit fails
    /// at [`Self::finish`]), so the compiler's peak heap is known
    /// ([`crate::heap_bound`]). `fixed` labels are made: `Label::nth(0..fixed)`.
    pub fn with_capacity(bytes: usize, limit: usize, fixed: usize) -> Self {
        let branches = bytes / 16;
        let mut labels = Vec::with_capacity(fixed + branches);
        labels.resize(fixed, UNBOUND);
        Self {
            code: Vec::with_capacity(bytes),
            limit: Some(limit.max(bytes)),
            full: false,
            labels,
            fixups: Vec::with_capacity(branches),
        }
    }

    pub fn put(&mut self, enc: Enc) {
        if self.code.capacity() - self.code.len() < 4 && !self.make_room() {
            return;
        }
        // Fixed-size copies: no memcpy call per instruction (this runs on the device).
        match enc {
            Enc::T16(h) => self.code.extend_from_slice(&h.to_le_bytes()),
            Enc::T32(h1, h2) => {
                self.code.extend_from_slice(&h1.to_le_bytes());
                self.code.extend_from_slice(&h2.to_le_bytes());
            }
        }
    }

    /// Grows the code to its limit, once; `false` when it is there already (the buffer
    /// is full and takes no more code). A buffer made with `new` grows as it must.
    #[cold]
    fn make_room(&mut self) -> bool {
        match self.limit {
            Some(limit) if self.code.capacity() < limit => {
                self.code.reserve_exact(limit - self.code.len());
                true
            }
            Some(_) => {
                self.full = true;
                false
            }
            None => true,
        }
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(UNBOUND);
        Label(self.labels.len() as u32 - 1)
    }

    pub fn bind(&mut self, label: Label) {
        self.labels[label.0 as usize] = self.code.len() as u32;
    }

    /// Emits a branch of form `use_` to `label` (patched at `finish`); a branch back
    /// to a bound label that a 16-bit form reaches takes that form.
    pub fn branch(&mut self, use_: LabelUse, label: Label) {
        let bound = self.labels[label.0 as usize];
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
        if self.full {
            return Err(BufferError::Full);
        }
        for &(at, label, use_) in &self.fixups {
            let target = Some(self.labels[label.0 as usize])
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
