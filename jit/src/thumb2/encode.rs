//! One pure function per Thumb-2 encoding. Parameters are named after the fields they
//! fill; ranges that types do not already guarantee are asserted. Each function cites
//! its section of the ARMv7-M ARM (DDI 0403E). Checked against LLVM's disassembler in
//! `tests/encode_llvm.rs`.
use super::cond::Cond;
use super::imm::{ModImm, NegOff8, Off12};
use super::regs::Reg;
pub use super::regs::RegList;
use super::Enc;

/// Data-processing operations shared by the modified-immediate (A5.3.1) and
/// shifted-register (A5.3.11) groups: the `op` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum DpOp {
    And = 0b0000,
    Bic = 0b0001,
    Orr = 0b0010,
    Orn = 0b0011,
    Eor = 0b0100,
    Add = 0b1000,
    Adc = 0b1010,
    Sbc = 0b1011,
    Sub = 0b1101,
    Rsb = 0b1110,
}

/// Shift types (A7.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum Shift {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    Ror = 3,
}

/// Whether an instruction sets the flags (the `S` bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flags {
    Keep,
    Set,
}

impl Flags {
    fn bit(self) -> u16 {
        (self == Flags::Set) as u16
    }
}

/// `<op>{S}.W Rd, Rn, #imm` — data processing, modified immediate (A5.3.1).
#[inline(never)]
pub fn dp_imm(op: DpOp, flags: Flags, rd: Reg, rn: Reg, imm: ModImm) -> Enc {
    let (i, imm3, imm8) = imm.fields();
    Enc::T32(0xf000 | i << 10 | (op as u16) << 5 | flags.bit() << 4 | rn.n(), imm3 << 12 | rd.n() << 8 | imm8)
}

/// `<op>{S}.W Rd, Rn, Rm{, <shift> #n}` — data processing, shifted register (A5.3.11).
pub fn dp_reg(op: DpOp, flags: Flags, rd: Reg, rn: Reg, rm: Reg, shift: Shift, amount: u16) -> Enc {
    assert!(amount < 32);
    let (imm3, imm2) = (amount >> 2, amount & 3);
    Enc::T32(
        0xea00 | (op as u16) << 5 | flags.bit() << 4 | rn.n(),
        imm3 << 12 | rd.n() << 8 | imm2 << 6 | (shift as u16) << 4 | rm.n(),
    )
}

/// `MOV{S}.W Rd, Rm{, <shift> #n}` — ORR with Rn = PC (A7.7.77 T3, A7.7.68).
pub fn mov_reg_shifted(flags: Flags, rd: Reg, rm: Reg, shift: Shift, amount: u16) -> Enc {
    dp_reg(DpOp::Orr, flags, rd, super::regs::PC, rm, shift, amount)
}

/// `MOV Rd, Rm` — 16-bit, any registers (A7.7.76 T1).
pub fn mov_reg16(rd: Reg, rm: Reg) -> Enc {
    Enc::T16(0x4600 | (rd.n() >> 3) << 7 | rm.n() << 3 | (rd.n() & 7))
}

/// `MOV{S}.W Rd, #imm` — ORR with Rn = PC, modified immediate (A7.7.75 T2).
pub fn mov_imm(flags: Flags, rd: Reg, imm: ModImm) -> Enc {
    dp_imm(DpOp::Orr, flags, rd, super::regs::PC, imm)
}

/// `MVN{S} Rd, #imm` — ORN with Rn = PC (A7.7.84 T1).
pub fn mvn_imm(flags: Flags, rd: Reg, imm: ModImm) -> Enc {
    dp_imm(DpOp::Orn, flags, rd, super::regs::PC, imm)
}

/// `MOVW Rd, #imm16` (A7.7.75 T3).
pub fn movw(rd: Reg, imm16: u16) -> Enc {
    let (imm4, i, imm3, imm8) = (imm16 >> 12, (imm16 >> 11) & 1, (imm16 >> 8) & 7, imm16 & 0xff);
    Enc::T32(0xf240 | i << 10 | imm4, imm3 << 12 | rd.n() << 8 | imm8)
}

/// `MOVT Rd, #imm16` (A7.7.78 T1).
pub fn movt(rd: Reg, imm16: u16) -> Enc {
    let (imm4, i, imm3, imm8) = (imm16 >> 12, (imm16 >> 11) & 1, (imm16 >> 8) & 7, imm16 & 0xff);
    Enc::T32(0xf2c0 | i << 10 | imm4, imm3 << 12 | rd.n() << 8 | imm8)
}

/// `CMP.W Rn, #imm` — SUBS with Rd = PC (A7.7.27 T2).
pub fn cmp_imm(rn: Reg, imm: ModImm) -> Enc {
    dp_imm(DpOp::Sub, Flags::Set, super::regs::PC, rn, imm)
}

/// `CMP.W Rn, Rm` (A7.7.28 T3).
pub fn cmp_reg(rn: Reg, rm: Reg) -> Enc {
    dp_reg(DpOp::Sub, Flags::Set, super::regs::PC, rn, rm, Shift::Lsl, 0)
}

/// `TST.W Rn, Rm` — ANDS with Rd = PC (A7.7.189 T2).
pub fn tst_reg(rn: Reg, rm: Reg) -> Enc {
    dp_reg(DpOp::And, Flags::Set, super::regs::PC, rn, rm, Shift::Lsl, 0)
}

/// `<LSL|LSR|ASR|ROR>{S}.W Rd, Rn, Rm` — shift by register (A7.7.68 T2 and siblings).
pub fn shift_reg(shift: Shift, flags: Flags, rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfa00 | (shift as u16) << 5 | flags.bit() << 4 | rn.n(), 0xf000 | rd.n() << 8 | rm.n())
}

/// `MUL.W Rd, Rn, Rm` (A7.7.84 T2).
pub fn mul(rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfb00 | rn.n(), 0xf000 | rd.n() << 8 | rm.n())
}

/// `MLA Rd, Rn, Rm, Ra` (A7.7.74 T1).
pub fn mla(rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> Enc {
    Enc::T32(0xfb00 | rn.n(), ra.n() << 12 | rd.n() << 8 | rm.n())
}

/// `MLS Rd, Rn, Rm, Ra` (A7.7.75 T1): Rd = Ra - Rn * Rm.
pub fn mls(rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> Enc {
    Enc::T32(0xfb00 | rn.n(), ra.n() << 12 | rd.n() << 8 | 0x10 | rm.n())
}

/// `UMULL RdLo, RdHi, Rn, Rm` (A7.7.204 T1).
pub fn umull(rd_lo: Reg, rd_hi: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfba0 | rn.n(), rd_lo.n() << 12 | rd_hi.n() << 8 | rm.n())
}

/// `SMULL RdLo, RdHi, Rn, Rm` (A7.7.149 T1).
pub fn smull(rd_lo: Reg, rd_hi: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfb80 | rn.n(), rd_lo.n() << 12 | rd_hi.n() << 8 | rm.n())
}

/// `SUBW Rd, Rn, #imm12` (A7.7.174 T4): any 12-bit constant, flags kept.
pub fn subw(rd: Reg, rn: Reg, imm12: u16) -> Enc {
    let imm = imm12 & 0xfff;
    Enc::T32(0xf2a0 | (imm >> 11) << 10 | rn.n(), (imm >> 8 & 7) << 12 | rd.n() << 8 | (imm & 0xff))
}

/// `UDIV Rd, Rn, Rm` (A7.7.195 T1); a zero divisor gives 0 unless DIV_0_TRP is set.
pub fn udiv(rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfbb0 | rn.n(), 0xf0f0 | rd.n() << 8 | rm.n())
}

/// `USUB16 Rd, Rn, Rm` (A7.7.209 T1): two halfword subtractions; each sets its two
/// GE flags when it does not borrow.
pub fn usub16(rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfad0 | rn.n(), 0xf040 | rd.n() << 8 | rm.n())
}

/// `SEL Rd, Rn, Rm` (A7.7.123 T1): each byte from `Rn` where its GE flag is set, else
/// from `Rm`.
pub fn sel(rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfaa0 | rn.n(), 0xf080 | rd.n() << 8 | rm.n())
}

/// `SDIV Rd, Rn, Rm` (A7.7.127 T1).
pub fn sdiv(rd: Reg, rn: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfb90 | rn.n(), 0xf0f0 | rd.n() << 8 | rm.n())
}

/// Load/store widths and signedness (A5.3.7-A5.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Byte,
    Half,
    Word,
    SignedByte,
    SignedHalf,
}

impl Width {
    /// hw1 base of the T3 (imm12) load, with the store one 0x10 lower.
    fn base(self) -> u16 {
        match self {
            Width::Byte => 0xf890,
            Width::Half => 0xf8b0,
            Width::Word => 0xf8d0,
            Width::SignedByte => 0xf990,
            Width::SignedHalf => 0xf9b0,
        }
    }
}

/// `LDR{B,H,SB,SH}.W Rt, [Rn, #imm12]` (A7.7.43 T3 and siblings).
pub fn ldr_imm(width: Width, rt: Reg, rn: Reg, off: Off12) -> Enc {
    Enc::T32(width.base() | rn.n(), rt.n() << 12 | off.bits())
}

/// `STR{B,H}.W Rt, [Rn, #imm12]` (A7.7.161 T3 and siblings).
pub fn str_imm(width: Width, rt: Reg, rn: Reg, off: Off12) -> Enc {
    assert!(matches!(width, Width::Byte | Width::Half | Width::Word), "stores have no signed widths");
    Enc::T32((width.base() - 0x10) | rn.n(), rt.n() << 12 | off.bits())
}

/// `LDR{B,H,SB,SH} Rt, [Rn, #-imm8]` (A7.7.43 T4: P=1, U=0, W=0).
pub fn ldr_neg(width: Width, rt: Reg, rn: Reg, off: NegOff8) -> Enc {
    Enc::T32((width.base() & !0x0080) | rn.n(), rt.n() << 12 | 0x0c00 | off.bits())
}

/// `STR{B,H} Rt, [Rn, #-imm8]` (A7.7.161 T4).
pub fn str_neg(width: Width, rt: Reg, rn: Reg, off: NegOff8) -> Enc {
    assert!(matches!(width, Width::Byte | Width::Half | Width::Word), "stores have no signed widths");
    Enc::T32(((width.base() - 0x10) & !0x0080) | rn.n(), rt.n() << 12 | 0x0c00 | off.bits())
}

/// `LDR{B,H,SB,SH}.W Rt, [Rn, Rm]` (A7.7.45 T2).
pub fn ldr_reg(width: Width, rt: Reg, rn: Reg, rm: Reg) -> Enc {
    ldr_reg_lsl(width, rt, rn, rm, 0)
}

/// `LDR{B,H,SB,SH}.W Rt, [Rn, Rm, LSL #n]`, n < 4 (A7.7.45 T2): a table's entry.
pub fn ldr_reg_lsl(width: Width, rt: Reg, rn: Reg, rm: Reg, n: u16) -> Enc {
    assert!(n < 4);
    Enc::T32((width.base() & !0x0080) | rn.n(), rt.n() << 12 | n << 4 | rm.n())
}

/// `STR{B,H}.W Rt, [Rn, Rm]` (A7.7.163 T2).
pub fn str_reg(width: Width, rt: Reg, rn: Reg, rm: Reg) -> Enc {
    assert!(matches!(width, Width::Byte | Width::Half | Width::Word), "stores have no signed widths");
    Enc::T32(((width.base() - 0x10) & !0x0080) | rn.n(), rt.n() << 12 | rm.n())
}

/// `LDRD Rt, Rt2, [Rn, #imm8*4]` (A7.7.50 T1, P=1 U=1 W=0).
pub fn ldrd(rt: Reg, rt2: Reg, rn: Reg, words: u16) -> Enc {
    assert!(words < 256);
    Enc::T32(0xe9d0 | rn.n(), rt.n() << 12 | rt2.n() << 8 | words)
}

/// `STRD Rt, Rt2, [Rn, #imm8*4]` (A7.7.166 T1).
pub fn strd(rt: Reg, rt2: Reg, rn: Reg, words: u16) -> Enc {
    assert!(words < 256);
    Enc::T32(0xe9c0 | rn.n(), rt.n() << 12 | rt2.n() << 8 | words)
}

/// `PUSH.W {regs}` (A7.7.99 T2); SP and PC may not be pushed.
pub fn push(regs: RegList) -> Enc {
    assert!(regs.0 & 0xa000 == 0 && regs.0.count_ones() >= 2);
    Enc::T32(0xe92d, regs.0)
}

/// `POP.W {regs}` (A7.7.98 T2); SP may not be popped, nor PC together with LR.
pub fn pop(regs: RegList) -> Enc {
    assert!(regs.0 & 0x2000 == 0 && regs.0 & 0xc000 != 0xc000 && regs.0.count_ones() >= 2);
    Enc::T32(0xe8bd, regs.0)
}

/// `BX Rm` (A7.7.20 T1).
pub fn bx(rm: Reg) -> Enc {
    Enc::T16(0x4700 | rm.n() << 3)
}

/// `BLX Rm` (A7.7.19 T1).
pub fn blx(rm: Reg) -> Enc {
    Enc::T16(0x4780 | rm.n() << 3)
}

/// `B<c>.W label` (A7.7.12 T3): `offset` from this instruction's address + 4, even,
/// within ±1 MiB.
pub fn b_cond_w(cond: Cond, offset: i32) -> Enc {
    assert!(offset % 2 == 0 && (-(1 << 20)..(1 << 20)).contains(&offset), "B<c>.W offset {offset}");
    let v = (offset >> 1) as u32;
    let (s, j2, j1, imm6, imm11) = ((v >> 19) & 1, (v >> 18) & 1, (v >> 17) & 1, (v >> 11) & 0x3f, v & 0x7ff);
    Enc::T32(
        0xf000 | (s as u16) << 10 | cond.bits() << 6 | imm6 as u16,
        0x8000 | (j1 as u16) << 13 | (j2 as u16) << 11 | imm11 as u16,
    )
}

fn b_t4_fields(offset: i32) -> (u16, u16) {
    assert!(offset % 2 == 0 && (-(1 << 24)..(1 << 24)).contains(&offset), "B.W/BL offset {offset}");
    let v = (offset >> 1) as u32;
    let (s, i1, i2, imm10, imm11) = ((v >> 23) & 1, (v >> 22) & 1, (v >> 21) & 1, (v >> 11) & 0x3ff, v & 0x7ff);
    let (j1, j2) = ((!(i1 ^ s)) & 1, (!(i2 ^ s)) & 1);
    (0xf000 | (s as u16) << 10 | imm10 as u16, (j1 as u16) << 13 | (j2 as u16) << 11 | imm11 as u16)
}

/// `B.W label` (A7.7.12 T4): within ±16 MiB.
pub fn b_w(offset: i32) -> Enc {
    let (h1, h2) = b_t4_fields(offset);
    Enc::T32(h1, 0x9000 | h2)
}

/// `BL label` (A7.7.18 T1): within ±16 MiB.
pub fn bl(offset: i32) -> Enc {
    let (h1, h2) = b_t4_fields(offset);
    Enc::T32(h1, 0xd000 | h2)
}

/// Byte reversals (A7.7.111-113 T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rev {
    Rev = 0xf080,
    Rev16 = 0xf090,
    Revsh = 0xf0b0,
}

/// `REV.W / REV16.W / REVSH.W Rd, Rm`.
pub fn rev(kind: Rev, rd: Reg, rm: Reg) -> Enc {
    Enc::T32(0xfa90 | rm.n(), kind as u16 | rd.n() << 8 | rm.n())
}

/// Extensions (A7.7.182, 184, 221, 223 T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extend {
    Sxth = 0xfa0f,
    Uxth = 0xfa1f,
    Sxtb = 0xfa4f,
    Uxtb = 0xfa5f,
}

/// `SXTH/UXTH/SXTB/UXTB.W Rd, Rm`.
pub fn extend(kind: Extend, rd: Reg, rm: Reg) -> Enc {
    Enc::T32(kind as u16, 0xf080 | rd.n() << 8 | rm.n())
}

/// Bit-field extracts (A7.7.126 SBFX T1, A7.7.193 UBFX T1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bfx {
    Sbfx = 0xf340,
    Ubfx = 0xf3c0,
}

/// `SBFX/UBFX Rd, Rn, #lsb, #width`: bits `lsb .. lsb + width` of Rn, sign- or
/// zero-extended (`lsb + width` at most 32).
pub fn bitfield(kind: Bfx, rd: Reg, rn: Reg, lsb: u16, width: u16) -> Enc {
    debug_assert!(lsb < 32 && (1..=32 - lsb).contains(&width));
    Enc::T32(kind as u16 | rn.n(), (lsb & 0x1c) << 10 | rd.n() << 8 | (lsb & 3) << 6 | (width - 1) & 31)
}

/// `NOP` (A7.7.88 T1).
pub fn nop() -> Enc {
    Enc::T16(0xbf00)
}

/// `IT<cond>`: the next instruction runs only if `cond` holds (A7.7.38 T1, one slot).
pub fn it_block(cond: Cond) -> Enc {
    Enc::T16(0xbf08 | cond.bits() << 4)
}

// ---- 16-bit forms. Each is chosen only where it means exactly what the 32-bit
// ---- encoding means: none of them sets flags that the 32-bit form would not.

/// `LDR{B,H} / STR{B,H} Rt, [Rn, #imm]` (A7.7.43 T1 and siblings): low registers, an
/// offset that is a multiple of the width below 32 widths. `None` if it does not fit.
pub fn ldst16(load: bool, width: Width, rt: Reg, rn: Reg, off: u16) -> Option<Enc> {
    let (base, scale) = match width {
        Width::Word => (0x6000u16, 4u16),
        Width::Byte => (0x7000, 1),
        Width::Half => (0x8000, 2),
        Width::SignedByte | Width::SignedHalf => return None,
    };
    let fits = rt.is_low() && rn.is_low() && off % scale == 0 && off / scale < 32;
    fits.then(|| Enc::T16(base | (load as u16) << 11 | (off / scale) << 6 | rn.n() << 3 | rt.n()))
}

/// `ADD Rdn, Rm` (A7.7.4 T2): any registers but PC, flags untouched.
pub fn add_reg16(rdn: Reg, rm: Reg) -> Enc {
    Enc::T16(0x4400 | (rdn.n() >> 3) << 7 | rm.n() << 3 | (rdn.n() & 7))
}

/// `CMP Rn, #imm8` (A7.7.27 T1): a low register.
pub fn cmp_imm16(rn: Reg, imm8: u8) -> Option<Enc> {
    rn.is_low().then(|| Enc::T16(0x2800 | rn.n() << 8 | imm8 as u16))
}

/// `CMP Rn, Rm` (A7.7.28 T1 for two low registers, T2 otherwise).
pub fn cmp_reg16(rn: Reg, rm: Reg) -> Enc {
    if rn.is_low() && rm.is_low() {
        Enc::T16(0x4280 | rm.n() << 3 | rn.n())
    } else {
        Enc::T16(0x4500 | (rn.n() >> 3) << 7 | rm.n() << 3 | (rn.n() & 7))
    }
}

/// `B<c> label` (A7.7.12 T1): `offset` from this instruction's address + 4, even,
/// within -256..254.
pub fn b_cond16(cond: Cond, offset: i32) -> Option<Enc> {
    ((-256..256).contains(&offset) && offset % 2 == 0)
        .then(|| Enc::T16(0xd000 | cond.bits() << 8 | ((offset >> 1) as u16 & 0xff)))
}

/// `B label` (A7.7.12 T2): within -2048..2046.
pub fn b16(offset: i32) -> Option<Enc> {
    ((-2048..2048).contains(&offset) && offset % 2 == 0).then_some(Enc::T16(0xe000 | ((offset >> 1) as u16 & 0x7ff)))
}

/// `MOVS Rd, #imm8` (A7.7.75 T1): a low register. Sets N and Z: only where the flags
/// are dead.
pub fn movs_imm16(rd: Reg, imm8: u8) -> Option<Enc> {
    rd.is_low().then(|| Enc::T16(0x2000 | rd.n() << 8 | imm8 as u16))
}
