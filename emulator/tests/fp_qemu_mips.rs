//! Random differential test of the MIPS FPU (o32, legacy NaNs) against
//! `qemu-mipsel-static` and `qemu-mips-static`, with `FR=0` (a `-mfp32`
//! program) and with `FR=1` (a `-mfp64` one, whose `.MIPS.abiflags` make
//! both QEMU and Bohr start it with 64-bit FP registers).
//!
//! Generates random sequences of COP1/COP1X computational instructions
//! and register moves (drawn from the decoder's own encoding table) over
//! random and special operands (±0, ±inf, quiet and signaling NaNs of the
//! legacy encoding with payloads, subnormals, extremes, integer extremes)
//! with random rounding modes, accrued flags and condition codes. Each
//! sequence starts from its own FPU registers, GPRs and `FCSR`, and stores
//! every FPU register, every GPR and `FCSR` after it; each sequence runs
//! in a loop over several such records ($s5 counts the loop, $s6 and $s7
//! point at the records, so those three registers are not random). Loads,
//! stores, branches and `ctc1` are left out: the first two would need
//! valid addresses, `ctc1` with random bits would raise SIGFPE. A batch
//! is one freestanding program (assembled by `mips{el,}-linux-gnu-gcc`)
//! that writes all records to stdout; it runs under QEMU (with `prlimit
//! --nproc=64`) and under both engines (the JIT compiling every block at
//! once), and the outputs must be byte-identical. The generated code holds
//! no system call but the harness's final `write` and `exit`.
//!
//! `BOHR_FP_SEQUENCES=N` runs N sequences per byte order instead of the
//! default 10,000, and `BOHR_FP_SEED=S` picks another seed. Without QEMU
//! or the cross compilers the test skips with a notice, and fails under CI.

#[path = "common/qemu_diff.rs"]
mod qemu_diff;

use std::fmt::Write as _;

use bohr_emu::arch::Arch;
use bohr_emu::arch::mips::decode::{self, Decoded, Opcode};
use qemu_diff::{Batch, Campaign, Rng};

/// Instructions per sequence.
const SEQ_LEN: usize = 6;
/// Records (operand sets) each sequence runs over, in a loop.
const REPS: usize = 10;
/// Words of one record: f0–f31 (two words each with `FR=1`), $1–$31,
/// FCSR.
const fn record(fr1: bool) -> usize {
    (fwords(fr1) + 31 + 1) * 4
}

/// Words of the FP registers in a record.
const fn fwords(fr1: bool) -> usize {
    if fr1 { 64 } else { 32 }
}
/// The harness's registers: loop counter, input and output pointers.
const RESERVED: [u32; 3] = [21, 22, 23];

/// Doubles: in the legacy encoding a set top fraction bit is signaling.
const F64_SPECIAL: [u64; 22] = qemu_diff::join(
    qemu_diff::with_nans(
        qemu_diff::F64_SPECIAL,
        [
            0x7ff7_ffff_ffff_ffff, // default qNaN
            0xfff0_0000_0000_1234, // qNaN with payload
            0x7ff8_0000_0000_0000, // sNaN
            0x7ffc_0000_0000_beef, // sNaN with payload
        ],
    ),
    [
        0x41e0_0000_0000_0000, // 2^31
        0xc1e0_0000_0000_0000,
        0x41df_ffff_ffc0_0000,
    ],
);

const F32_SPECIAL: [u32; 21] = qemu_diff::join(
    qemu_diff::with_nans(
        qemu_diff::F32_SPECIAL,
        [
            0x7fbf_ffff, // default qNaN
            0xff80_1234, // qNaN with payload
            0x7fc0_0000, // sNaN
            0x7fe0_beef, // sNaN with payload
        ],
    ),
    [0x4f00_0000, 0xcf00_0000],
);

const X_SPECIAL: &[u32] = &[0, 1, u32::MAX, i32::MAX as u32, i32::MIN as u32, 3, 0x7f80_0000];

/// Values for the 32 64-bit FPU registers of `FR=1`, as the words `sdc1`
/// stores (`big`: the upper one first): doubles, or singles in the low
/// half under random bits.
fn f_values_fr1(rng: &mut Rng, big: bool) -> Vec<u32> {
    let mut v = Vec::with_capacity(64);
    for _ in 0..32 {
        let d = match rng.below(5) {
            0..=1 => F64_SPECIAL[rng.below(F64_SPECIAL.len())],
            2 => 0x3ff0_0000_0000_0000 | (rng.next_u64() >> 12) ^ ((rng.below(4) as u64) << 62),
            3 => (rng.next_u64() << 32) | F32_SPECIAL[rng.below(F32_SPECIAL.len())] as u64,
            _ => rng.next_u64(),
        };
        let (lo, hi) = (d as u32, (d >> 32) as u32);
        v.extend(if big { [hi, lo] } else { [lo, hi] });
    }
    v
}

/// Values for the 32 FPU registers: doubles in even/odd pairs or singles.
fn f_values(rng: &mut Rng) -> Vec<u32> {
    let mut v = Vec::with_capacity(32);
    for _ in 0..16 {
        match rng.below(6) {
            0..=1 => {
                let d = F64_SPECIAL[rng.below(F64_SPECIAL.len())];
                v.extend([d as u32, (d >> 32) as u32]);
            }
            2 => {
                let d =
                    0x3ff0_0000_0000_0000 | (rng.next_u64() >> 12) ^ ((rng.below(4) as u64) << 62);
                v.extend([d as u32, (d >> 32) as u32]);
            }
            3 => v.extend([
                F32_SPECIAL[rng.below(F32_SPECIAL.len())],
                F32_SPECIAL[rng.below(F32_SPECIAL.len())],
            ]),
            4 => v.extend([0x3f80_0000 | (rng.next_u64() as u32 >> 9), rng.next_u64() as u32]),
            _ => v.extend([rng.next_u64() as u32, rng.next_u64() as u32]),
        }
    }
    v
}

fn x_value(rng: &mut Rng) -> u32 {
    match rng.below(3) {
        0 => X_SPECIAL[rng.below(X_SPECIAL.len())],
        1 => (rng.next_u64() as u32) >> rng.below(32),
        _ => rng.next_u64() as u32,
    }
}

/// A random FPU instruction word that neither touches memory, branches,
/// writes `FCSR` wholesale, nor writes the harness's registers.
fn random_insn(rng: &mut Rng, pool: &[&'static decode::Encoding], fr1: bool) -> u32 {
    loop {
        let enc = pool[rng.below(pool.len())];
        let w = enc.value | (rng.next_u64() as u32 & !enc.mask);
        let Decoded::Insn(i) = decode::decode_word(w) else { continue };
        // With FR=0 the instructions only FR=1 runs (odd doubles, the L
        // format) would just be reserved instructions.
        if i.fr1 && !fr1 {
            continue;
        }
        let gpr_dst = match i.opcode {
            Opcode::Mfc1 | Opcode::Mfhc1 | Opcode::Cfc1 => Some(i.rt),
            Opcode::Movci { .. } => Some(i.rd),
            _ => None,
        };
        if gpr_dst.is_some_and(|r| RESERVED.contains(&(r as u32))) {
            continue;
        }
        if i.opcode == Opcode::Cfc1 && ![0, 25, 26, 28, 31].contains(&i.rd) {
            continue;
        }
        return w;
    }
}

/// Which FPU mode a batch runs in, and its byte order.
#[derive(Clone, Copy)]
struct Mode {
    fr1: bool,
    big: bool,
}

fn make_batch(rng: &mut Rng, n: usize, pool: &[&'static decode::Encoding], mode: Mode) -> Batch {
    let (fr1, fw) = (mode.fr1, fwords(mode.fr1));
    assert_eq!(n % REPS, 0, "whole loops per batch");
    let mut data = String::new();
    let mut code = String::new();
    let mut words: Vec<Vec<u32>> = Vec::new();
    for _ in 0..n / REPS {
        let seq: Vec<u32> = (0..SEQ_LEN).map(|_| random_insn(rng, pool, fr1)).collect();
        for _ in 0..REPS {
            let mut rec = if fr1 { f_values_fr1(rng, mode.big) } else { f_values(rng) };
            rec.extend((1..32).map(|_| x_value(rng)));
            // Rounding mode, accrued flags, condition codes; no enables,
            // no cause (cause E would trap), no FS.
            let flags = if rng.below(2) == 0 { rng.below(32) as u32 } else { 0 };
            let fcc = rng.next_u64() as u32 & 0xfe80_0000;
            rec.push(rng.below(4) as u32 | flags << 2 | fcc);
            for v in &rec {
                writeln!(data, "    .word {v:#x}").unwrap();
            }
            words.push(seq.clone());
        }
        let fcsr = (fw + 31) * 4;
        writeln!(code, "    li $21, {REPS}\n1:\n    lw $1, {fcsr}($22)\n    ctc1 $1, $31").unwrap();
        let (fload, fstore, fsize) = if fr1 { ("ldc1", "sdc1", 8) } else { ("lwc1", "swc1", 4) };
        for r in 0..32 {
            writeln!(code, "    {fload} $f{r}, {}($22)", r * fsize).unwrap();
        }
        for r in 1..32u32 {
            if !RESERVED.contains(&r) {
                writeln!(code, "    lw ${r}, {}($22)", (fw + r as usize - 1) * 4).unwrap();
            }
        }
        for w in &seq {
            writeln!(code, "    .word {w:#010x}").unwrap();
        }
        for r in 0..32 {
            writeln!(code, "    {fstore} $f{r}, {}($23)", r * fsize).unwrap();
        }
        for r in 1..32u32 {
            if !RESERVED.contains(&r) {
                writeln!(code, "    sw ${r}, {}($23)", (fw + r as usize - 1) * 4).unwrap();
            }
        }
        writeln!(code, "    cfc1 $1, $31\n    sw $1, {fcsr}($23)").unwrap();
        let rec = record(fr1);
        writeln!(code, "    addiu $22, $22, {rec}\n    addiu $23, $23, {rec}").unwrap();
        code.push_str("    addiu $21, $21, -1\n    bnez $21, 1b\n    nop\n");
    }
    let asm = format!(
        "    .set noreorder\n    .set noat\n    .text\n    .globl __start\n__start:\n\
         \x20   la $22, inputs\n    la $23, outputs\n{code}\
         \x20   li $4, 1\n    la $5, outputs\n    li $6, {len}\n    li $2, 4004\n    syscall\n\
         \x20   li $4, 0\n    li $2, 4001\n    syscall\n    .data\n    .balign 8\ninputs:\n{data}\
         \x20   .bss\n    .balign 8\noutputs:\n    .space {len}\n",
        len = n * record(fr1)
    );
    Batch { asm, words }
}

/// The register of record word `i` with `FR=0`.
fn reg_name(i: usize) -> String {
    match i {
        0..=31 => format!("f{i}"),
        32..=62 => format!("${}", i - 31),
        _ => "fcsr".into(),
    }
}

/// The register of record word `i` with `FR=1` (`.0`, `.1`: the words of
/// a register in memory order).
fn reg_name_fr1(i: usize) -> String {
    match i {
        0..=63 => format!("f{}.{}", i / 2, i % 2),
        64..=94 => format!("${}", i - 63),
        _ => "fcsr".into(),
    }
}

/// An instruction word as the decoder sees it.
fn describe(w: u32) -> String {
    match decode::decode_word(w) {
        Decoded::Insn(x) => {
            format!("{} rs={} rt={} rd={} sa={} imm={}", x.name, x.rs, x.rt, x.rd, x.sa, x.imm)
        }
        Decoded::Illegal => "?".into(),
    }
}

fn differential(test: &'static str, arch: Arch, qemu: &'static str, gcc: &'static str, fr1: bool) {
    let pool: Vec<&'static decode::Encoding> = decode::encodings()
        .filter(|e| {
            e.opcode.is_fpu()
                && !matches!(
                    e.opcode,
                    Opcode::FpLoad { .. }
                        | Opcode::FpStore { .. }
                        | Opcode::FpLoadX { .. }
                        | Opcode::FpStoreX { .. }
                        | Opcode::Bc1 { .. }
                        | Opcode::Ctc1
                )
        })
        .collect();
    let fp = if fr1 { "-mfp64" } else { "-mfp32" };
    let args: &'static [&'static str] =
        Box::leak(Box::new(["-march=mips32r2", fp, "-mno-abicalls", "-fno-pic", "-no-pie"]));
    let campaign =
        Campaign { gcc_args: args, word: 4, ..Campaign::fp(test, arch, qemu, gcc, record(fr1)) };
    let mode = Mode { fr1, big: arch == Arch::Mipseb };
    let name = if fr1 { reg_name_fr1 } else { reg_name };
    campaign.run(|rng, n| make_batch(rng, n, &pool, mode), name, describe);
}

#[test]
fn mipsel_fp_matches_qemu() {
    differential(
        "mipsel_fp_matches_qemu",
        Arch::Mipsel,
        "qemu-mipsel-static",
        "mipsel-linux-gnu-gcc",
        false,
    );
}

#[test]
fn mipseb_fp_matches_qemu() {
    let (qemu, gcc) = ("qemu-mips-static", "mips-linux-gnu-gcc");
    differential("mipseb_fp_matches_qemu", Arch::Mipseb, qemu, gcc, false);
}

#[test]
fn mipsel_fr1_fp_matches_qemu() {
    let (qemu, gcc) = ("qemu-mipsel-static", "mipsel-linux-gnu-gcc");
    differential("mipsel_fr1_fp_matches_qemu", Arch::Mipsel, qemu, gcc, true);
}

#[test]
fn mipseb_fr1_fp_matches_qemu() {
    let (qemu, gcc) = ("qemu-mips-static", "mips-linux-gnu-gcc");
    differential("mipseb_fr1_fp_matches_qemu", Arch::Mipseb, qemu, gcc, true);
}
