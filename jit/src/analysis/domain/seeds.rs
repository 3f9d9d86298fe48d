//! Loop-head states as bytes: what the range analysis found at each loop head (and at
//! the heads a walk from those would still walk twice, as a rotated loop's first
//! block), computed ahead of time (on the host, where the image is built) and sent with
//! the program, so that the device's analysis starts each loop from its fixpoint and
//! walks it once.
//!
//! A seed is never trusted: the analysis joins it with the state that first reaches the
//! head ([`super::super::forward`]), so the head starts from something at least as wide
//! as without the seed, and walks on until every edge into it is covered, as always. A
//! wrong seed can only cost precision. What must hold is that a seed is a well-formed
//! state, which [`decode_into`] makes sure of: values are read into the domain's form (a
//! number's bounds on its stride, a pointer's offsets within those tracked), class ids
//! past 15 are none, and a seed with two slots at one offset, or a relation the domain
//! has no form for, is not used.
//!
//! The format (little-endian; a version byte, then one entry per seeded head, in order
//! of pc):
//!
//! ```text
//! u8 version (1)
//! { u32 pc, u16 len, len bytes: state } ...
//! state: u16 mask of r0-r9 that are not "anything", a value each;
//!        u8 slot count, each: i16 offset, u8 class id, i16 class offset, value;
//!        u16 mask of r0-r10 in a class, each: u8 class id, i16 class offset;
//!        u8 relation count, each: u8 k, u8 base, u8 scale, u8 region, i32 lo, i32 hi
//! value: u8 0, u32 lo, u32 hi, u8 tz (a number) | u8 1, u8 region, i32 lo, i32 hi (a
//!        pointer) | u8 2, u8 region (near a region) | u8 3 (anything)
//! ```
//!
//! (By hand: a few fixed fields, and the device must not carry a serialization
//! framework for them.)
use alloc::vec::Vec;

use super::{num, ptr, Abs, Abs::*, Lin, Same, Slot, State, LINS, NOT_SAME, SLOTS};
use crate::analysis::{Hint, RegSet};

/// The format's version: the first byte.
pub(crate) const VERSION: u8 = 1;

/// Appends `state`, the state at the head at `pc`, with only the registers in
/// `live` (the first entry begins with the version).
pub(crate) fn encode(out: &mut Vec<u8>, pc: usize, state: &State, live: RegSet) {
    if out.is_empty() {
        out.push(VERSION);
    }
    let mut state = *state;
    for k in (0..10).filter(|&k| live & 1 << k == 0) {
        state.regs[k] = Any;
        state.same[k] = NOT_SAME;
        if state.linked & 1 << k != 0 {
            state.unlink(k, None);
        }
    }
    let mut body = Vec::new();
    let regs = (0..10).filter(|&k| state.regs[k] != Any).fold(0u16, |m, k| m | 1 << k);
    body.extend_from_slice(&regs.to_le_bytes());
    for k in (0..10).filter(|k| regs & 1 << k != 0) {
        value(&mut body, state.regs[k]);
    }
    body.push(state.nslots);
    for s in state.slots() {
        body.extend_from_slice(&s.off.to_le_bytes());
        same(&mut body, s.same);
        value(&mut body, s.val);
    }
    let classes = (0..11).filter(|&k| state.same[k].id != 0).fold(0u16, |m, k| m | 1 << k);
    body.extend_from_slice(&classes.to_le_bytes());
    for k in (0..11).filter(|k| classes & 1 << k != 0) {
        same(&mut body, state.same[k]);
    }
    body.push(state.nlins);
    for l in &state.lins[..state.nlins as usize] {
        body.extend_from_slice(&[l.k, l.base, l.scale, l.region as u8]);
        body.extend_from_slice(&l.lo.to_le_bytes());
        body.extend_from_slice(&l.hi.to_le_bytes());
    }
    out.extend_from_slice(&(pc as u32).to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
}

fn same(out: &mut Vec<u8>, s: Same) {
    out.push(s.id);
    out.extend_from_slice(&s.d.to_le_bytes());
}

fn value(out: &mut Vec<u8>, v: Abs) {
    match v {
        Scalar(lo, hi, tz) => {
            out.push(0);
            out.extend_from_slice(&lo.to_le_bytes());
            out.extend_from_slice(&hi.to_le_bytes());
            out.push(tz);
        }
        Ptr(r, lo, hi) => {
            out.push(1);
            out.push(r as u8);
            out.extend_from_slice(&lo.to_le_bytes());
            out.extend_from_slice(&hi.to_le_bytes());
        }
        Near(r) => out.extend_from_slice(&[2, r as u8]),
        Any => out.push(3),
    }
}

/// The bytes of the seed for the head at `pc` in `seeds`, if there is one (the list is
/// in order of pc: one past `pc` has none for it).
pub(crate) fn find(seeds: &[u8], pc: usize) -> Option<&[u8]> {
    let mut r = Reader(seeds);
    if r.u8()? != VERSION {
        return None;
    }
    loop {
        let at = r.u32()? as usize;
        let len = r.u16()? as usize;
        let body = r.take(len)?;
        if at >= pc {
            return (at == pc).then_some(body);
        }
    }
}

/// Puts a seed's state ([`find`]) in `s`, in place (a state is hundreds of bytes: the
/// walk decodes into the head's own). The state is well-formed whatever the bytes say
/// (values are read into the domain's form); false for a seed cut short, with two slots
/// at one offset or with a relation the domain has no form for (`s` is then any
/// state). (Out of line and built for size: it runs once per seeded head.)
#[inline(never)]
#[cfg_attr(target_os = "none", optimize(size))]
pub(crate) fn decode_into(body: &[u8], s: &mut State) -> bool {
    state(Reader(body), s).is_some()
}

/// [`decode_into`] a fresh state: the tests' view of a seed.
#[cfg(test)]
pub(crate) fn decode(body: &[u8]) -> Option<State> {
    let mut s = State::new([Any; 11]);
    decode_into(body, &mut s).then_some(s)
}

fn state(mut r: Reader, s: &mut State) -> Option<()> {
    // (Only `slots[..nslots]` and `lins[..nlins]` are read: the rest is left as it is.)
    s.regs = [Any; 11];
    s.regs[10] = Ptr(Hint::Stack, 0, 0);
    s.nslots = 0;
    s.same = [NOT_SAME; 11];
    s.nlins = 0;
    let regs = r.u16()?;
    for k in crate::analysis::bits(regs & ((1 << 10) - 1)) {
        s.regs[k] = r.value()?;
    }
    for _ in 0..r.u8()? {
        let (off, same, val) = (r.u16()? as i16, r.same()?, r.value()?);
        let j = s.nslots as usize;
        if j == SLOTS || s.slots().iter().any(|o| o.off == off) {
            return None;
        }
        s.slots[j] = Slot { off, same, grown: 0, val };
        s.nslots += 1;
    }
    let classes = r.u16()?;
    for k in crate::analysis::bits(classes) {
        s.same[k] = r.same()?;
    }
    s.ids = s.same.iter().chain(s.slots().iter().map(|o| &o.same)).fold(0, |m, c| m | 1 << c.id) & !1;
    for _ in 0..r.u8()? {
        let [k, base, scale, region] = r.bytes()?;
        let (region, lo, hi) = (hint(region)?, r.u32()? as i32, r.u32()? as i32);
        let l = Lin { k, base, scale, region, lo, hi };
        let j = s.nlins as usize;
        let formed = k < 10 && base < 10 && k != base && (1..=64).contains(&scale);
        if j == LINS || !formed || ptr(region, lo.into(), hi.into()) != Ptr(region, lo, hi) || s.lins[..j].contains(&l)
        {
            return None;
        }
        s.lins[j] = l;
        s.nlins += 1;
    }
    s.linked = s.lins[..s.nlins as usize].iter().fold(0, |m, l| m | 1 << l.k | 1 << l.base);
    r.0.is_empty().then_some(())
}

fn hint(b: u8) -> Option<Hint> {
    Some(match b {
        0 => Hint::Unknown,
        1 => Hint::Input,
        2 => Hint::Rodata,
        3 => Hint::Data,
        4 => Hint::Stack,
        _ => return None,
    })
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.bytes::<1>()?[0])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.bytes()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes()?))
    }

    /// A class membership: ids past 15 (and 0) are none.
    fn same(&mut self) -> Option<Same> {
        let (id, d) = (self.u8()?, self.u16()? as i16);
        Some(if (1..=15).contains(&id) { Same { id, d } } else { NOT_SAME })
    }

    /// A value, read into the domain's form: a number's bounds rounded to its stride
    /// (an empty range is its upper bound), a pointer past the offsets tracked only
    /// near its region.
    fn value(&mut self) -> Option<Abs> {
        Some(match self.u8()? {
            0 => {
                let (lo, hi, tz) = (self.u32()?, self.u32()?, self.u8()?);
                num(lo, hi, tz.into())
            }
            1 => {
                let (r, lo, hi) = (hint(self.u8()?)?, self.u32()? as i32, self.u32()? as i32);
                ptr(r, lo.into(), hi.into())
            }
            2 => Near(hint(self.u8()?)?),
            3 => Any,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{loop_seeds, Sizes};

    /// Three counted loops, the innermost walking the input and the frame through
    /// stepped pointers, a counter spilled to the frame.
    const NESTED: &str = include_str!("../../../tests/nested_loops.s");

    fn seeds_of(src: &str) -> Vec<u8> {
        loop_seeds(&vm::asm::assemble(src).unwrap(), Sizes::default()).unwrap()
    }

    /// The entries of a seed list: (pc, body).
    fn entries(seeds: &[u8]) -> Vec<(usize, &[u8])> {
        let mut out = Vec::new();
        let mut r = Reader(&seeds[1..]);
        while !r.0.is_empty() {
            let pc = r.u32().unwrap() as usize;
            let len = r.u16().unwrap() as usize;
            out.push((pc, r.take(len).unwrap()));
        }
        out
    }

    #[test]
    fn every_seed_decodes_to_the_state_it_was_made_of() {
        let seeds = seeds_of(NESTED);
        assert_eq!(seeds[0], VERSION);
        let all = entries(&seeds);
        assert_eq!(all.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 3, 8], "a seed per loop head");
        for (pc, body) in all {
            let state = find(&seeds, pc).and_then(decode).expect("a seed made by the analysis is well-formed");
            let mut again = Vec::new();
            encode(&mut again, pc, &state, crate::analysis::ALL);
            assert_eq!(&again[7..], body, "the seed at {pc} encodes back to itself");
        }
        // The innermost head keeps what makes its code fast: bounded counters, a
        // spilled counter in its register's class, a pointer stepped with a counter.
        let inner = find(&seeds, 8).and_then(decode).unwrap();
        assert_eq!(inner.regs[8], Scalar(0, 7, 0));
        assert_eq!(inner.slots()[0].val, Scalar(0, 7, 0));
        // r6 is reloaded from the slot before it is read: not part of the seed.
        assert_eq!(inner.regs[6], Any);
        assert_eq!((inner.nlins, inner.lins[0].k, inner.lins[0].base, inner.lins[0].scale), (1, 3, 8, 4));
        assert!(find(&seeds, 2).and_then(decode).is_none(), "no seed for a pc that is no loop head");
    }

    #[test]
    fn no_loops_no_seeds() {
        assert!(seeds_of("mov %r0, 1\nja +1\nmov %r0, 2\nexit").is_empty());
    }

    /// The seed with its first value (its lowest register's) written as `value`, as
    /// read back: `None` if the seed no longer decodes.
    fn with_first_value(seeds: &[u8], value: &[u8]) -> Option<Abs> {
        let (pc, body) = entries(seeds)[0];
        let first = (0..10).find(|&k| u16::from_le_bytes([body[0], body[1]]) & 1 << k != 0).unwrap();
        let old = Reader(&body[2..]).value().unwrap();
        let mut old_bytes = Vec::new();
        super::value(&mut old_bytes, old);
        let mut new_body = body[..2].to_vec();
        new_body.extend_from_slice(value);
        new_body.extend_from_slice(&body[2 + old_bytes.len()..]);
        let mut out = alloc::vec![VERSION];
        out.extend_from_slice(&(pc as u32).to_le_bytes());
        out.extend_from_slice(&(new_body.len() as u16).to_le_bytes());
        out.extend_from_slice(&new_body);
        find(&out, pc).and_then(decode).map(|s| s.regs[first])
    }

    #[test]
    fn values_are_read_into_the_domains_form() {
        let seeds = seeds_of(NESTED);
        let num = |lo: u32, hi: u32, tz: u8| [&[0][..], &lo.to_le_bytes(), &hi.to_le_bytes(), &[tz]].concat();
        let ptr = |r: u8, lo: i32, hi: i32| [&[1, r][..], &lo.to_le_bytes(), &hi.to_le_bytes()].concat();
        assert_eq!(with_first_value(&seeds, &num(0, 7, 0)), Some(Scalar(0, 7, 0)));
        assert_eq!(with_first_value(&seeds, &num(4, 12, 2)), Some(Scalar(4, 12, 2)));
        assert_eq!(with_first_value(&seeds, &num(8, 7, 0)), Some(Scalar(7, 7, 0)), "an empty range");
        assert_eq!(with_first_value(&seeds, &num(1, 13, 2)), Some(Scalar(4, 12, 2)), "bounds off the stride");
        assert_eq!(with_first_value(&seeds, &num(0, 0, 40)), Some(Scalar(0, 0, 31)), "a stride past 2^31");
        assert_eq!(with_first_value(&seeds, &ptr(4, -256, -8)), Some(Ptr(Hint::Stack, -256, -8)));
        assert_eq!(with_first_value(&seeds, &ptr(4, -8, -256)), Some(Near(Hint::Stack)), "an empty range");
        assert_eq!(with_first_value(&seeds, &ptr(2, 0, 1 << 25)), Some(Near(Hint::Rodata)), "past the offsets tracked");
        assert_eq!(with_first_value(&seeds, &ptr(5, 0, 8)), None, "no such region");
        assert_eq!(with_first_value(&seeds, &[2, 3]), Some(Near(Hint::Data)));
        assert_eq!(with_first_value(&seeds, &[2, 9]), None, "no such region");
        assert_eq!(with_first_value(&seeds, &[3]), Some(Any));
        assert_eq!(with_first_value(&seeds, &[4]), None, "no such value");
    }

    #[test]
    fn any_damage_to_a_seed_is_refused_or_decodes_to_a_well_formed_state() {
        let seeds = seeds_of(NESTED);
        let heads: Vec<usize> = entries(&seeds).iter().map(|e| e.0).collect();
        let check = |bytes: &[u8]| {
            for &pc in &heads {
                if let Some(s) = find(bytes, pc).and_then(decode) {
                    well_formed(&s);
                }
            }
        };
        for n in 0..seeds.len() {
            check(&seeds[..n]);
        }
        for at in 0..seeds.len() {
            for bit in 0..8 {
                let mut bytes = seeds.clone();
                bytes[at] ^= 1 << bit;
                check(&bytes);
            }
        }
        let mut wrong_version = seeds.clone();
        wrong_version[0] = VERSION + 1;
        assert!(heads.iter().all(|&pc| find(&wrong_version, pc).and_then(decode).is_none()));
        let mut trailing = seeds.clone();
        trailing.push(0);
        assert!(find(&trailing, *heads.last().unwrap()).and_then(decode).is_some(), "entries before the damage decode");
    }

    /// What [`decode`] promises of a state it returns, whatever the bytes.
    fn well_formed(s: &State) {
        let value = |v: Abs| match v {
            Scalar(lo, hi, tz) => assert!(tz <= 31 && num(lo, hi, tz as u32) == v, "{v:?}"),
            Ptr(r, lo, hi) => assert_eq!(ptr(r, lo as i64, hi as i64), v),
            Near(_) | Any => {}
        };
        s.regs.iter().for_each(|&v| value(v));
        assert_eq!(s.regs[10], Ptr(Hint::Stack, 0, 0));
        assert!(s.nslots as usize <= SLOTS && s.nlins as usize <= LINS);
        for (j, slot) in s.slots().iter().enumerate() {
            value(slot.val);
            assert!(s.slots()[..j].iter().all(|o| o.off != slot.off), "slots at one offset");
        }
        let ids = s.same.iter().chain(s.slots().iter().map(|o| &o.same)).fold(0u16, |m, c| m | 1 << c.id) & !1;
        assert_eq!(s.ids, ids);
        assert!(s.same.iter().chain(s.slots().iter().map(|o| &o.same)).all(|c| c.id <= 15 && (c.id != 0 || c.d == 0)));
        for l in &s.lins[..s.nlins as usize] {
            assert!(l.k < 10 && l.base < 10 && l.k != l.base && (1..=64).contains(&l.scale));
            assert_eq!(ptr(l.region, l.lo as i64, l.hi as i64), Ptr(l.region, l.lo, l.hi));
        }
        let linked = s.lins[..s.nlins as usize].iter().fold(0u16, |m, l| m | 1 << l.k | 1 << l.base);
        assert_eq!(s.linked, linked);
    }
}
