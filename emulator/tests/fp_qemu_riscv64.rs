//! Random differential test of riscv64 floating point against
//! `qemu-riscv64-static`.
//!
//! Generates random sequences of F and D instructions (drawn from the
//! decoder's own encoding tables, so every computational FP encoding is
//! covered) over random and special operands (±0, ±inf, quiet and
//! signaling NaNs with payloads, subnormals, the extreme finite values,
//! improperly NaN-boxed f32s, integer extremes) and random `frm` values.
//! Each sequence starts from its own register file and `fcsr`, and stores
//! every f and x register and `fcsr` after it; each instruction sequence
//! runs in a loop over several such records (t4 counts the loop, t5 and
//! t6 point at the records, so those three registers are not random). A batch of sequences is one
//! freestanding program (assembled by `riscv64-linux-gnu-gcc`) that writes
//! all records to stdout; it runs under QEMU (with `prlimit --nproc=64`)
//! and under both engines (the JIT compiling every block at once), and
//! the outputs must be byte-identical. The
//! generated code holds no system call but the harness's final `write`
//! and `exit`.
//!
//! `BOHR_FP_SEQUENCES=N` runs N sequences instead of the default 10,000,
//! and `BOHR_FP_SEED=S` picks another seed. Without QEMU or the cross
//! compiler the test skips with a notice, and fails under CI.

#[path = "common/qemu_diff.rs"]
mod qemu_diff;

use std::fmt::Write as _;

use bohr_emu::arch::Arch;
use bohr_emu::arch::riscv64::decode::{self, Decoded, Format, FpOpc, Opcode};
use qemu_diff::{Batch, Campaign, Rng};

/// Instructions per sequence.
const SEQ_LEN: usize = 6;
/// Each random instruction sequence runs in a loop over this many
/// records (operand sets), so the JIT compiles a loop and runs it hot,
/// and the program stays small enough to compile quickly.
const REPS: usize = 10;
/// Bytes of one record: f0–f31, x1–x29, fcsr.
const RECORD: usize = 32 * 8 + 29 * 8 + 8;

const F64_SPECIAL: [u64; 24] =
    qemu_diff::join(qemu_diff::F64_SPECIAL, [0x43f0_0000_0000_0000 /* 2^64 */]);

const F32_SPECIAL: [u32; 23] =
    qemu_diff::join(qemu_diff::F32_SPECIAL, [0x4f80_0000 /* 2^32 */, 0x5f80_0000 /* 2^64 */]);

const X_SPECIAL: &[u64] = &[
    0,
    1,
    u64::MAX,
    i32::MAX as u64,
    i32::MIN as i64 as u64,
    u32::MAX as u64,
    i64::MAX as u64,
    i64::MIN as u64,
    0x0020_0000_0000_0001, // 2^53 + 1: inexact as f64
    0x0100_0001,           // 2^24 + 1: inexact as f32
    3,
    0x7f80_0000,
];

fn f_value(rng: &mut Rng) -> u64 {
    let boxed = |v: u32| 0xffff_ffff_0000_0000 | v as u64;
    match rng.below(10) {
        0..=2 => F64_SPECIAL[rng.below(F64_SPECIAL.len())],
        3..=4 => boxed(F32_SPECIAL[rng.below(F32_SPECIAL.len())]),
        5 => boxed(rng.next_u64() as u32),
        // An improperly boxed f32.
        6 => rng.next_u64() & 0x7fff_ffff_ffff_ffff,
        // A double near 1 with random low bits: inexact results.
        7 => 0x3ff0_0000_0000_0000 | (rng.next_u64() >> 12) ^ ((rng.below(4) as u64) << 62),
        8 => boxed(0x3f80_0000 | (rng.next_u64() as u32 >> 9)),
        _ => rng.next_u64(),
    }
}

fn x_value(rng: &mut Rng) -> u64 {
    match rng.below(3) {
        0 => X_SPECIAL[rng.below(X_SPECIAL.len())],
        1 => rng.next_u64() >> rng.below(64),
        _ => rng.next_u64(),
    }
}

/// A random F/D computational instruction word.
fn random_insn(rng: &mut Rng, pool: &[&'static decode::Encoding]) -> u32 {
    loop {
        let enc = pool[rng.below(pool.len())];
        let mut w = enc.value | (rng.next_u64() as u32 & !enc.mask);
        if matches!(enc.format, Format::FR | Format::R4) && enc.mask & 0x7000 == 0 {
            let rm = [0u32, 1, 2, 3, 4, 7, 7, 7][rng.below(8)];
            w = (w & !0x7000) | rm << 12;
        }
        let Decoded::Insn(i) = decode::decode_word(w, 4) else { continue };
        // Keep the harness's pointers (t5, t6) intact.
        let writes_x = matches!(
            i.opcode,
            Opcode::Fp(
                FpOpc::Eq
                    | FpOpc::Lt
                    | FpOpc::Le
                    | FpOpc::Class
                    | FpOpc::MvToX
                    | FpOpc::CvtToInt { .. },
                _
            )
        );
        if writes_x && i.rd >= 29 {
            w = (w & !(0x1f << 7)) | ((i.rd as u32 - 10) << 7);
        }
        return w;
    }
}

fn make_batch(rng: &mut Rng, n: usize, pool: &[&'static decode::Encoding]) -> Batch {
    assert_eq!(n % REPS, 0, "whole loops per batch");
    let mut data = String::new();
    let mut code = String::new();
    let mut words: Vec<Vec<u32>> = Vec::new();
    for _ in 0..n / REPS {
        let seq: Vec<u32> = (0..SEQ_LEN).map(|_| random_insn(rng, pool)).collect();
        for _ in 0..REPS {
            let mut rec: Vec<u64> = (0..32).map(|_| f_value(rng)).collect();
            rec.extend((0..29).map(|_| x_value(rng)));
            // frm 0–4 (reserved modes would trap dynamic-rm instructions),
            // and sometimes accrued flags (inexact set enables the JIT's
            // host arithmetic).
            let flags = if rng.below(2) == 0 { rng.below(32) as u64 } else { 0 };
            rec.push((rng.below(5) as u64) << 5 | flags);
            for v in &rec {
                writeln!(data, "    .dword {v:#x}").unwrap();
            }
            words.push(seq.clone());
        }
        writeln!(code, "    li t4, {REPS}\n1:\n    ld x1, 488(t6)\n    fscsr x1").unwrap();
        for r in 0..32 {
            writeln!(code, "    fld f{r}, {}(t6)", r * 8).unwrap();
        }
        for r in 1..29 {
            writeln!(code, "    ld x{r}, {}(t6)", 256 + (r - 1) * 8).unwrap();
        }
        for w in &seq {
            writeln!(code, "    .word {w:#010x}").unwrap();
        }
        for r in 0..32 {
            writeln!(code, "    fsd f{r}, {}(t5)", r * 8).unwrap();
        }
        for r in 1..30 {
            writeln!(code, "    sd x{r}, {}(t5)", 256 + (r - 1) * 8).unwrap();
        }
        code.push_str("    frcsr x1\n    sd x1, 488(t5)\n");
        writeln!(code, "    addi t6, t6, {RECORD}\n    addi t5, t5, {RECORD}").unwrap();
        code.push_str("    addi t4, t4, -1\n    bnez t4, 1b\n");
    }
    let asm = format!(
        "    .option norvc\n    .text\n    .globl _start\n_start:\n    la t6, inputs\n    la t5, outputs\n{code}\
         \x20   li a0, 1\n    la a1, outputs\n    li a2, {len}\n    li a7, 64\n    ecall\n\
         \x20   li a0, 0\n    li a7, 93\n    ecall\n    .data\n    .balign 8\ninputs:\n{data}\
         \x20   .bss\n    .balign 8\noutputs:\n    .zero {len}\n",
        len = n * RECORD
    );
    Batch { asm, words }
}

fn reg_name(i: usize) -> String {
    match i {
        0..=31 => format!("f{i}"),
        32..=60 => format!("x{}", i - 31),
        _ => "fcsr".into(),
    }
}

/// An instruction word as the decoder sees it.
fn describe(w: u32) -> String {
    match decode::decode_word(w, 4) {
        Decoded::Insn(x) => {
            format!("{} rd={} rs1={} rs2={} rs3={} rm={}", x.name, x.rd, x.rs1, x.rs2, x.rs3, x.rm)
        }
        _ => "?".into(),
    }
}

#[test]
fn riscv64_fp_matches_qemu() {
    let pool: Vec<&'static decode::Encoding> = decode::encodings()
        .filter(|e| e.insn_len() == 4 && matches!(e.opcode, Opcode::Fp(..)))
        .collect();
    let campaign = Campaign {
        gcc_args: &["-march=rv64gc", "-mabi=lp64d"],
        ..Campaign::fp(
            "riscv64_fp_matches_qemu",
            Arch::Riscv64,
            "qemu-riscv64-static",
            "riscv64-linux-gnu-gcc",
            RECORD,
        )
    };
    campaign.run(|rng, n| make_batch(rng, n, &pool), reg_name, describe);
}
