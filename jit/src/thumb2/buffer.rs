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
    /// A branch target is out of the form's range.
    OutOfRange { at: usize, offset: i64 },
}

#[derive(Default)]
pub struct CodeBuffer {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
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

    pub fn put(&mut self, enc: Enc) {
        let (bytes, n) = enc.bytes();
        self.code.extend_from_slice(&bytes[..n]);
    }

    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    pub fn bind(&mut self, label: Label) {
        self.labels[label.0 as usize] = Some(self.code.len());
    }

    /// Emits a branch of form `use_` to `label` (patched at `finish`).
    pub fn branch(&mut self, use_: LabelUse, label: Label) {
        self.fixups.push((self.code.len(), label, use_));
        self.put(encode::nop());
        self.put(encode::nop());
    }

    /// Patches every branch and returns the code.
    pub fn finish(mut self) -> Result<Vec<u8>, BufferError> {
        for &(at, label, use_) in &self.fixups {
            let target = self.labels[label.0 as usize].ok_or(BufferError::UnboundLabel)?;
            let offset = target as i64 - (at as i64 + 4);
            if offset >= use_.max_range() as i64 || offset < -(use_.max_range() as i64) {
                return Err(BufferError::OutOfRange { at, offset });
            }
            let (bytes, n) = use_.encode(offset as i32).bytes();
            self.code[at..at + n].copy_from_slice(&bytes[..n]);
        }
        Ok(self.code)
    }
}
