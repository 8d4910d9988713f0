//! Random differential test of aarch64 floating point and Advanced SIMD
//! against `qemu-aarch64-static`.
//!
//! Generates random sequences of SIMD&FP data-processing instructions
//! (drawn from the decoder's SIMD&FP encoding groups, so every group is
//! covered, and from its CRC32 entries; words the decoder rejects are
//! redrawn) over random and special
//! operands (±0, ±inf, quiet and signaling NaNs with payloads, subnormals,
//! extreme finite values, integer extremes, random bytes) and random
//! `fpcr` rounding modes, `FZ`, `DN` and `AHP`. Each sequence starts from its own
//! `v0`–`v31`, `x0`–`x27`, NZCV and `fpcr`, with `fpsr` cleared, and
//! stores every v and x register, NZCV and `fpsr` after it. A batch of
//! sequences is one freestanding program (assembled by
//! `aarch64-linux-gnu-gcc`) that writes all records to stdout; it runs
//! under QEMU (with `prlimit --nproc=64`) and under both engines, and the
//! outputs must be byte-identical. The generated code holds no system call
//! but the harness's final `write` and `exit`, and no load or store: the
//! loads and stores are covered by the one-line cases.
//!
//! `BOHR_SIMD_SEQUENCES=N` runs N sequences instead of the default 10,000,
//! and `BOHR_SIMD_SEED=S` picks another seed. Without QEMU or the cross
//! compiler the test skips with a notice, and fails under CI.

#[path = "common/qemu_diff.rs"]
mod qemu_diff;

use std::fmt::Write as _;

use bohr_emu::arch::Arch;
use bohr_emu::arch::aarch64::decode::{self, Decoded, Opcode, SimdGroup};
use qemu_diff::{Batch, Campaign, F32_SPECIAL, F64_SPECIAL, Rng};

/// Instructions per sequence.
const SEQ_LEN: usize = 6;
/// Bytes of one record: v0–v31, x0–x27, nzcv, fpsr.
const RECORD: usize = 32 * 16 + 28 * 8 + 16;

const X_SPECIAL: &[u64] = &[
    0,
    1,
    u64::MAX,
    i32::MAX as u64,
    i32::MIN as i64 as u64,
    u32::MAX as u64,
    i64::MAX as u64,
    i64::MIN as u64,
    0x0020_0000_0000_0001,
    0x0100_0001,
    0x8080_8080_8080_8080,
    0x00ff_00ff_00ff_00ff,
];

fn half(rng: &mut Rng) -> u64 {
    let f32s = |rng: &mut Rng| F32_SPECIAL[rng.below(F32_SPECIAL.len())] as u64;
    match rng.below(10) {
        0..=2 => F64_SPECIAL[rng.below(F64_SPECIAL.len())],
        3..=4 => f32s(rng) | f32s(rng) << 32,
        5 => X_SPECIAL[rng.below(X_SPECIAL.len())],
        6 => 0x3ff0_0000_0000_0000 | (rng.next_u64() >> 12) ^ ((rng.below(4) as u64) << 62),
        7 => {
            let a = 0x3f80_0000 | (rng.next_u64() as u32 >> 9);
            let b = 0x4000_0000 ^ (rng.next_u64() as u32 >> 9);
            a as u64 | (b as u64) << 32
        }
        // Bytes with zeros and small values, as string code sees.
        8 => rng.next_u64() & 0x1f7f_003f_ff00_7f1f,
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

/// The groups drawn from: everything but loads and stores.
fn data_group(g: SimdGroup) -> bool {
    !matches!(
        g,
        SimdGroup::LdStUnsigned
            | SimdGroup::LdStImm9
            | SimdGroup::LdStReg
            | SimdGroup::LdLiteral
            | SimdGroup::LdStPair
            | SimdGroup::LdStMulti
            | SimdGroup::LdStSingle
    )
}

/// A random SIMD&FP data-processing word that Bohr decodes and lifts
/// (not illegal), writing no x register above x27 (the harness's
/// pointers live in x28 and x29).
fn random_insn(rng: &mut Rng, pool: &[&'static decode::Encoding]) -> u32 {
    loop {
        let enc = pool[rng.below(pool.len())];
        let w = enc.value | (rng.next_u64() as u32 & !enc.mask);
        let Decoded::Insn(_) = decode::decode_word(w) else { continue };
        if lifts_to_trap(w) {
            continue;
        }
        if w & 0x1f >= 28 && w & 0x1f != 31 {
            continue;
        }
        return w;
    }
}

fn lifts_to_trap(w: u32) -> bool {
    let mut b = bohr_emu::ir::BlockBuilder::new(0x1000);
    bohr_emu::arch::aarch64::lift::lift_insn(0x1000, &w.to_le_bytes(), &mut b);
    let block = b.finish();
    matches!(block.exit, bohr_emu::ir::Exit::Trap { .. })
}

fn make_batch(rng: &mut Rng, n: usize, pool: &[&'static decode::Encoding]) -> Batch {
    let mut data = String::new();
    let mut code = String::new();
    let mut words = Vec::new();
    for _ in 0..n {
        let mut rec: Vec<u64> = (0..64).map(|_| half(rng)).collect();
        rec.extend((0..28).map(|_| x_value(rng)));
        // nzcv, then fpcr: a random rounding mode, FZ, DN and AHP each
        // one time in four.
        rec.push((rng.below(16) as u64) << 28);
        rec.push(
            (rng.below(4) as u64) << 22
                | ((rng.below(4) == 0) as u64) << 24
                | ((rng.below(4) == 0) as u64) << 25
                | ((rng.below(4) == 0) as u64) << 26,
        );
        for v in &rec {
            writeln!(data, "    .dword {v:#x}").unwrap();
        }
        code.push_str("    ldr x0, [x29, #736]\n    msr nzcv, x0\n    ldr x0, [x29, #744]\n    msr fpcr, x0\n    msr fpsr, xzr\n");
        for r in (0..32).step_by(2) {
            writeln!(code, "    ldp q{r}, q{}, [x29, #{}]", r + 1, r * 16).unwrap();
        }
        for r in 0..28 {
            writeln!(code, "    ldr x{r}, [x29, #{}]", 512 + r * 8).unwrap();
        }
        let seq: Vec<u32> = (0..SEQ_LEN).map(|_| random_insn(rng, pool)).collect();
        for w in &seq {
            writeln!(code, "    .inst {w:#010x}").unwrap();
        }
        for r in (0..32).step_by(2) {
            writeln!(code, "    stp q{r}, q{}, [x28, #{}]", r + 1, r * 16).unwrap();
        }
        for r in 0..28 {
            writeln!(code, "    str x{r}, [x28, #{}]", 512 + r * 8).unwrap();
        }
        code.push_str("    mrs x0, nzcv\n    str x0, [x28, #736]\n    mrs x0, fpsr\n    str x0, [x28, #744]\n");
        writeln!(code, "    add x29, x29, #{RECORD}\n    add x28, x28, #{RECORD}").unwrap();
        words.push(seq);
    }
    let asm = format!(
        "    .arch armv8-a\n    .text\n    .globl _start\n_start:\n    adrp x29, inputs\n    add x29, x29, :lo12:inputs\n\
         \x20   adrp x28, outputs\n    add x28, x28, :lo12:outputs\n{code}\
         \x20   mov x0, #1\n    adrp x1, outputs\n    add x1, x1, :lo12:outputs\n    ldr x2, ={len}\n    mov x8, #64\n    svc #0\n\
         \x20   mov x0, #0\n    mov x8, #93\n    svc #0\n    .ltorg\n    .data\n    .balign 16\ninputs:\n{data}\
         \x20   .bss\n    .balign 16\noutputs:\n    .zero {len}\n",
        len = n * RECORD
    );
    Batch { asm, words }
}

fn reg_name(i: usize) -> String {
    match i {
        0..=63 => format!("v{}.d{}", i / 2, i % 2),
        64..=91 => format!("x{}", i - 64),
        92 => "nzcv".into(),
        _ => "fpsr".into(),
    }
}

/// An instruction word as capstone disassembles it.
fn describe(w: u32) -> String {
    bohr_emu::arch::aarch64::disasm::disassemble(0, &w.to_le_bytes())
        .map_or("?".to_string(), |(t, _)| t)
}

#[test]
fn aarch64_simd_matches_qemu() {
    let pool: Vec<&'static decode::Encoding> = decode::encodings()
        .filter(|e| {
            matches!(e.opcode, Opcode::Simd(g) if data_group(g))
                || matches!(e.opcode, Opcode::Crc32 { .. })
        })
        .collect();
    let campaign = Campaign {
        env: ("BOHR_SIMD_SEQUENCES", "BOHR_SIMD_SEED"),
        default_seed: 0x05ee_d51d,
        // One record per sequence, and blocks compiled when hot.
        reps: 1,
        compile_at_once: false,
        ..Campaign::fp(
            "aarch64_simd_matches_qemu",
            Arch::Aarch64,
            "qemu-aarch64-static",
            "aarch64-linux-gnu-gcc",
            RECORD,
        )
    };
    campaign.run(|rng, n| make_batch(rng, n, &pool), reg_name, describe);
}
