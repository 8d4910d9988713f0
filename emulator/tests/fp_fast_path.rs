//! The JIT's host-arithmetic fast path for floating point against the
//! reference (the interpreter), on the arches whose FP flags are per
//! instruction (mips `FCSR.Cause`, powerpc64 `FPSCR.FI`), where the fast
//! path decides inexact itself from an exact error term.
//!
//! Random operands are drawn where that decision is delicate: small
//! integers, dyadic fractions and short mantissas (exact results), random
//! mantissas in a narrow exponent range (inexact ones), values at the
//! bounds that keep the error term exact (around the smallest normal, the
//! products' and roots' floors, the largest binades), and now and then a
//! zero, an infinity, a NaN or a subnormal and another rounding mode, which
//! must take the reference. Each sequence runs eight operations and saves
//! the flags register after each into its own register; every register
//! must match.

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::jit::JitConfig;
use bohr_emu::testing::Harness;
use bohr_emu::testing::random::{Rng, insn_bytes};

const SEQUENCES: usize = 1000;
const OPS: usize = 8;
const CODE: u64 = 0x1_0000;

/// A double near `2^e` with a random mantissa of `bits` significant bits.
fn near_pow2(rng: &mut Rng, e: i64, bits: u32) -> f64 {
    let m = if bits == 0 { 0 } else { rng.next_u64() >> (64 - bits) << (52 - bits.min(52)) };
    let field = (e + 1023).clamp(1, 2046) as u64;
    f64::from_bits(field << 52 | (m & ((1 << 52) - 1)))
}

/// A double operand; `single` keeps it within f32's range and precision.
fn operand(rng: &mut Rng, single: bool) -> f64 {
    let (emin, emax, mant): (i64, i64, u64) =
        if single { (-126, 127, 23) } else { (-1022, 1023, 52) };
    let sign = if rng.below(4) == 0 { -1.0 } else { 1.0 };
    let any_bits = rng.below(mant + 1) as u32;
    let (e, bits) = match rng.below(12) {
        0 | 1 => return sign * (1 + rng.below(1000)) as f64,
        2 => return sign * (1 + rng.below(1 << 20)) as f64 / (1u64 << rng.below(24)) as f64,
        3 | 4 => (rng.below(41) as i64 - 20, 1 + rng.below(mant) as u32),
        5 => (rng.below(41) as i64 - 20, mant as u32),
        // Around the smallest normal and the fast path's floors.
        6 => (emin + rng.below(4) as i64, any_bits),
        7 => ((if single { -101 } else { -968 }) + rng.below(9) as i64 - 4, any_bits),
        8 => (2 * ((if single { -49 } else { -483 }) + rng.below(9) as i64 - 4), any_bits),
        // The largest binades.
        9 => (emax - rng.below(4) as i64, any_bits),
        10 => {
            let specials = [0.0, f64::INFINITY, f64::NAN, 1e-310, f64::MIN_POSITIVE, 3.0];
            return sign * specials[rng.below(specials.len() as u64) as usize];
        }
        _ => (rng.below((emax - emin) as u64) as i64 + emin, mant as u32),
    };
    let v = sign * near_pow2(rng, e, bits);
    if single { v as f32 as f64 } else { v }
}

/// How one arch spells the test: its operations, registers and flags.
struct Target {
    arch: Arch,
    /// Instruction words of operation `op` (0 add, 1 sub, 2 mul, 3 div,
    /// 4 sqrt), in single precision or not, writing register `d` from
    /// `a` and `b`; then the word that saves the flags as the op's
    /// `index`-th record.
    op: fn(op: u32, single: bool, d: u32, a: u32, b: u32) -> u32,
    save_flags: fn(index: u32) -> u32,
    /// A word that ends the block with a trap. The runs get one more
    /// instruction of fuel than the sequence has, so the whole block fits
    /// in the fuel and runs compiled (with exactly the sequence's fuel, the
    /// trap's block would not fit and the JIT would interpret it).
    stop: u32,
    /// Register names: an FPR's (a double's register), a saved record's,
    /// the flags register's and the value of the flags at the start for
    /// rounding mode `rm` (0: to nearest).
    fpr: fn(u32) -> String,
    record: fn(u32) -> String,
    flags: &'static str,
    flags_value: fn(rm: u64) -> u64,
    /// Whether a saved record says the op was exact.
    exact: fn(u64) -> bool,
    /// The register bits of an operand.
    bits: fn(v: f64, single: bool) -> u64,
}

const MIPS_FMT_S: u32 = 16;
const MIPS_FMT_D: u32 = 17;

fn mips_op(op: u32, single: bool, d: u32, a: u32, b: u32) -> u32 {
    let fmt = if single { MIPS_FMT_S } else { MIPS_FMT_D };
    // FR=0: register n of the test is the even register 2n.
    let ft = if op == 4 { 0 } else { 2 * b };
    0x11 << 26 | fmt << 21 | ft << 16 | (2 * a) << 11 | (2 * d) << 6 | op
}

fn ppc_op(op: u32, single: bool, d: u32, a: u32, b: u32) -> u32 {
    let primary = if single { 59 } else { 63 };
    let (xo, fra, frb, frc) = match op {
        0 => (21, a, b, 0),
        1 => (20, a, b, 0),
        2 => (25, a, 0, b),
        3 => (18, a, b, 0),
        _ => (22, 0, a, 0),
    };
    primary << 26 | d << 21 | fra << 16 | frb << 11 | frc << 6 | xo << 1
}

const MIPS: Target = Target {
    arch: Arch::Mipsel,
    op: mips_op,
    // cfc1 $(8 + i), $31
    save_flags: |i| 0x4440_f800 | (8 + i) << 16,
    // break
    stop: 0x0000_000d,
    // FR=0: doubles in even registers.
    fpr: |n| format!("f{}", 2 * n),
    record: |i| ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"][i as usize].to_string(),
    flags: "fcsr",
    flags_value: |rm| rm,
    // FCSR.Cause, the op's own exceptions.
    exact: |r| (r >> 12) & 0x3f == 0,
    bits: |v, single| if single { (v as f32).to_bits() as u64 } else { v.to_bits() },
};

const PPC: Target = Target {
    arch: Arch::Powerpc64,
    op: ppc_op,
    // mffs f(16 + i)
    save_flags: |i| 0xfc00_048e | (16 + i) << 21,
    // trap (tw 31, 0, 0)
    stop: 0x7fe0_0008,
    fpr: |n| format!("f{n}"),
    record: |i| format!("f{}", 16 + i),
    flags: "fpscr",
    // RN: nearest, zero, up, down.
    flags_value: |rm| rm,
    // FPSCR.FI, the op's own inexact.
    exact: |r| r & 1 << 17 == 0,
    bits: |v, _| v.to_bits(),
};

/// Run `n` instructions and the stop word after them under both engines:
/// both must stop at that trap, the JIT in compiled code.
fn run_to_stop(arch: Arch, (interp, jit): (&mut Harness, &mut Harness), n: u64, seq: usize) {
    let compiled = jit.stats().blocks_compiled;
    let stop = interp.step(n + 1);
    assert!(matches!(stop, StopReason::Trap(_)), "{arch:?} seq {seq}: {stop:?}");
    assert_eq!(jit.step(n + 1), stop, "{arch:?} seq {seq}");
    assert!(jit.stats().blocks_compiled > compiled, "{arch:?} seq {seq}: nothing compiled");
}

fn names(t: &Target, h: &Harness) -> Vec<String> {
    let mut names: Vec<String> = (0..16).map(t.fpr).collect();
    names.extend((0..OPS as u32).map(t.record));
    names.push(t.flags.to_string());
    assert!(names.iter().all(|n| h.slot(n).is_some()), "{names:?}");
    names
}

fn check(t: &Target) {
    let mut interp = Harness::with_engine(t.arch, EngineKind::Interp);
    let mut jit = Harness::with_jit(t.arch, JitConfig { threshold: 0, ..Default::default() });
    let len = (OPS * 2 + 1) * 4;
    interp.map_code(CODE, &vec![0; len]);
    jit.map_code(CODE, &vec![0; len]);
    let regs = names(t, &interp);
    interp.cpu.pc = CODE;
    let base = interp.cpu.clone();
    let mut rng = Rng(0xfa57_f10a7 ^ t.arch as u64);
    let mut exact = 0usize;
    for seq in 0..SEQUENCES {
        let single = rng.below(3) == 0;
        let mut code = Vec::with_capacity(len);
        let mut ops = Vec::new();
        for i in 0..OPS as u32 {
            // Results in registers 0-7, operands in 8-15.
            let op = rng.below(5) as u32;
            let (a, b) = (8 + rng.below(8) as u32, 8 + rng.below(8) as u32);
            let word = (t.op)(op, single, i, a, b);
            ops.push(word);
            code.extend(insn_bytes(t.arch, word, 4));
            code.extend(insn_bytes(t.arch, (t.save_flags)(i), 4));
        }
        code.extend(insn_bytes(t.arch, t.stop, 4));
        let rm = if rng.below(5) == 0 { 1 + rng.below(3) } else { 0 };
        interp.reset(&base, (CODE, &code), (CODE, &[]));
        let mut operands = Vec::new();
        for n in 8..16u32 {
            let v = operand(&mut rng, single);
            operands.push(v);
            interp.set_reg(&(t.fpr)(n), (t.bits)(v, single));
        }
        interp.set_reg(t.flags, (t.flags_value)(rm));
        let start = interp.cpu.clone();
        jit.reset(&start, (CODE, &code), (CODE, &[]));
        let n = 2 * OPS as u64;
        run_to_stop(t.arch, (&mut interp, &mut jit), n, seq);
        for r in &regs {
            assert_eq!(
                jit.reg(r),
                interp.reg(r),
                "{:?} seq {seq}: {r} differs; rm {rm}, single {single}, ops {ops:08x?}, \
                 operands f8.. {operands:?}",
                t.arch
            );
        }
        exact += (0..OPS as u32).filter(|&i| (t.exact)(interp.reg(&(t.record)(i)))).count();
    }
    // The operands reach exact results often enough to matter.
    assert!(exact > SEQUENCES * OPS / 10, "{exact} exact results in {}", SEQUENCES * OPS);
}

/// A double near `2^e` with up to `mant` random significant bits.
fn random_near(rng: &mut Rng, e: i64, mant: u64) -> f64 {
    let bits = rng.below(mant + 1) as u32;
    near_pow2(rng, e, bits)
}

/// The fused multiply-add's exponent bounds as unbiased exponents: the
/// lowest and highest sum of the factors' exponents, and of the addend's
/// (the JIT's `FmaBounds`).
fn fma_bounds(single: bool) -> ((i64, i64), (i64, i64)) {
    if single { ((-56, 122), (-101, 123)) } else { ((-865, 1018), (-968, 1019)) }
}

/// Operands `a`, `c`, `b` of `a * c ± b` where the exactness of the
/// fused result is delicate: independent ones, an addend that cancels the
/// product (rounded, or off by a few last bits), one that overlaps it at
/// some distance, short mantissas (exact products), and factors and
/// addends at the bounds of the fast path.
fn fma_operands(rng: &mut Rng, single: bool) -> [f64; 3] {
    let ((plo, phi), (alo, ahi)) = fma_bounds(single);
    let mant = if single { 23 } else { 52 };
    let round = |v: f64| if single { v as f32 as f64 } else { v };
    let sign = |rng: &mut Rng| if rng.below(2) == 0 { 1.0 } else { -1.0 };
    let a = operand(rng, single);
    let c = operand(rng, single);
    let product = round(a * c);
    match rng.below(8) {
        0 => [a, c, operand(rng, single)],
        1 => [a, c, sign(rng) * product],
        2 => {
            let flip = rng.below(16);
            let b = if single {
                f32::from_bits((product as f32).to_bits() ^ flip as u32) as f64
            } else {
                f64::from_bits(product.to_bits() ^ flip)
            };
            [a, c, sign(rng) * b]
        }
        3 => {
            let k = rng.below(2 * (mant + 3)) as i32 - (mant + 3) as i32;
            [a, c, round(sign(rng) * product * 2f64.powi(k))]
        }
        4 => {
            let short = |rng: &mut Rng| {
                let e = rng.below(21) as i64 - 10;
                let bits = rng.below(mant / 2) as u32;
                sign(rng) * near_pow2(rng, e, bits)
            };
            [short(rng), short(rng), short(rng)]
        }
        5 | 6 => {
            // Factors whose exponents sum to near either bound.
            let target = if rng.below(2) == 0 { plo } else { phi } + rng.below(7) as i64 - 3;
            let ea = target / 2 + rng.below(9) as i64 - 4;
            let fa = sign(rng) * random_near(rng, ea, mant);
            let fc = sign(rng) * random_near(rng, target - ea, mant);
            let (fa, fc) = (round(fa), round(fc));
            let b = if rng.below(2) == 0 { round(fa * fc) } else { operand(rng, single) };
            [fa, fc, sign(rng) * b]
        }
        _ => {
            // An addend near either bound, half the time with a product
            // of its size (a sum that may overflow).
            let e = if rng.below(2) == 0 { alo } else { ahi } + rng.below(9) as i64 - 4;
            let b = round(sign(rng) * random_near(rng, e, mant));
            let (pe, b) = match rng.below(4) {
                0 | 1 => return [a, c, b],
                2 => (e, b),
                // The largest finite addend, a product near the upper bound.
                _ => {
                    let max = if single { f32::MAX as f64 } else { f64::MAX };
                    (phi + rng.below(3) as i64 - 1, sign(rng) * max)
                }
            };
            let ea = pe / 2;
            let fa = round(sign(rng) * random_near(rng, ea, mant));
            let fc = round(sign(rng) * random_near(rng, pe - ea, mant));
            [fa, fc, b]
        }
    }
}

/// powerpc64's fused multiply-adds (`fmadd`, `fmsub`, `fnmadd`, `fnmsub`
/// and their single forms) on the fast path against the reference: four
/// per sequence, each on its own operands (`f4`-`f15`), `FPSCR` saved
/// after each (`f16`-`f19`).
#[test]
fn powerpc64_fused_multiply_add_matches_the_reference() {
    const FMAS: usize = 4;
    let mut interp = Harness::with_engine(Arch::Powerpc64, EngineKind::Interp);
    let mut jit =
        Harness::with_jit(Arch::Powerpc64, JitConfig { threshold: 0, ..Default::default() });
    let len = (FMAS * 2 + 1) * 4;
    interp.map_code(CODE, &vec![0; len]);
    jit.map_code(CODE, &vec![0; len]);
    let mut regs: Vec<String> = (0..20).map(|n| format!("f{n}")).collect();
    regs.push("fpscr".into());
    interp.cpu.pc = CODE;
    let base = interp.cpu.clone();
    let mut rng = Rng(0xf3a_0dd);
    let (mut exact, mut inexact) = (0usize, 0usize);
    for seq in 0..4 * SEQUENCES {
        let single = rng.below(3) == 0;
        let mut code = Vec::with_capacity(len);
        let mut words = Vec::new();
        for i in 0..FMAS as u32 {
            let (fra, frc, frb) = (4 + 3 * i, 5 + 3 * i, 6 + 3 * i);
            // fmsub, fmadd, fnmsub, fnmadd.
            let xo = 28 + rng.below(4) as u32;
            let primary = if single { 59 } else { 63 };
            let word = primary << 26 | i << 21 | fra << 16 | frb << 11 | frc << 6 | xo << 1;
            words.push(word);
            code.extend(insn_bytes(Arch::Powerpc64, word, 4));
            code.extend(insn_bytes(Arch::Powerpc64, (PPC.save_flags)(i), 4));
        }
        code.extend(insn_bytes(Arch::Powerpc64, PPC.stop, 4));
        let rm = if rng.below(8) == 0 { 1 + rng.below(3) } else { 0 };
        interp.reset(&base, (CODE, &code), (CODE, &[]));
        let mut operands = Vec::new();
        for i in 0..FMAS as u32 {
            let [a, c, b] = fma_operands(&mut rng, single);
            operands.push([a, c, b]);
            for (n, v) in [(4 + 3 * i, a), (5 + 3 * i, c), (6 + 3 * i, b)] {
                interp.set_reg(&format!("f{n}"), v.to_bits());
            }
        }
        interp.set_reg("fpscr", rm);
        let start = interp.cpu.clone();
        jit.reset(&start, (CODE, &code), (CODE, &[]));
        let n = 2 * FMAS as u64;
        run_to_stop(Arch::Powerpc64, (&mut interp, &mut jit), n, seq);
        for r in &regs {
            assert_eq!(
                jit.reg(r),
                interp.reg(r),
                "seq {seq}: {r} differs; rm {rm}, single {single}, ops {words:08x?}, \
                 operands (a, c, b) {operands:?}"
            );
        }
        for i in 0..FMAS as u32 {
            if (PPC.exact)(interp.reg(&format!("f{}", 16 + i))) {
                exact += 1;
            } else {
                inexact += 1;
            }
        }
    }
    // Both outcomes are common.
    assert!(exact > SEQUENCES / 2 && inexact > SEQUENCES / 2, "{exact} exact, {inexact} inexact");
}

#[test]
fn mips_fast_path_matches_the_reference() {
    check(&MIPS);
}

#[test]
fn powerpc64_fast_path_matches_the_reference() {
    check(&PPC);
}
