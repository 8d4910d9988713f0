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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::arch::riscv64::decode::{self, Decoded, Format, FpOpc, Opcode};
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

/// Instructions per sequence.
const SEQ_LEN: usize = 6;
/// Sequences per program (one QEMU run).
const BATCH: usize = 1000;
/// Each random instruction sequence runs in a loop over this many
/// records (operand sets), so the JIT compiles a loop and runs it hot,
/// and the program stays small enough to compile quickly.
const REPS: usize = 10;
/// Bytes of one record: f0–f31, x1–x29, fcsr.
const RECORD: usize = 32 * 8 + 29 * 8 + 8;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

const F64_SPECIAL: &[u64] = &[
    0x0000_0000_0000_0000, // +0
    0x8000_0000_0000_0000, // -0
    0x7ff0_0000_0000_0000, // +inf
    0xfff0_0000_0000_0000, // -inf
    0x7ff8_0000_0000_0000, // canonical qNaN
    0xfff8_0000_0000_1234, // qNaN with payload, negative
    0x7ff0_0000_0000_0001, // sNaN
    0x7ff4_0000_0000_beef, // sNaN with payload
    0x0000_0000_0000_0001, // smallest subnormal
    0x000f_ffff_ffff_ffff, // largest subnormal
    0x0010_0000_0000_0000, // smallest normal
    0x7fef_ffff_ffff_ffff, // largest finite
    0xffef_ffff_ffff_ffff, // most negative finite
    0x3ff0_0000_0000_0000, // 1
    0xbff0_0000_0000_0000, // -1
    0x3ff0_0000_0000_0001, // 1 + ulp
    0x3fe0_0000_0000_0000, // 0.5
    0x4004_0000_0000_0000, // 2.5 (rounds differently per mode)
    0xc004_0000_0000_0000, // -2.5
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x41f0_0000_0000_0000, // 2^32
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0x43f0_0000_0000_0000, // 2^64
];

const F32_SPECIAL: &[u32] = &[
    0x0000_0000,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_1234,
    0x7f80_0001,
    0x7fa0_beef,
    0x0000_0001,
    0x007f_ffff,
    0x0080_0000,
    0x7f7f_ffff,
    0xff7f_ffff,
    0x3f80_0000,
    0xbf80_0000,
    0x3f80_0001,
    0x3f00_0000,
    0x4020_0000,
    0xc020_0000,
    0x5f00_0000, // 2^63
    0x4f00_0000, // 2^31
    0x4f80_0000, // 2^32
    0x5f80_0000, // 2^64
];

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
        5 => boxed(rng.next() as u32),
        // An improperly boxed f32.
        6 => rng.next() & 0x7fff_ffff_ffff_ffff,
        // A double near 1 with random low bits: inexact results.
        7 => 0x3ff0_0000_0000_0000 | (rng.next() >> 12) ^ ((rng.below(4) as u64) << 62),
        8 => boxed(0x3f80_0000 | (rng.next() as u32 >> 9)),
        _ => rng.next(),
    }
}

fn x_value(rng: &mut Rng) -> u64 {
    match rng.below(3) {
        0 => X_SPECIAL[rng.below(X_SPECIAL.len())],
        1 => rng.next() >> rng.below(64),
        _ => rng.next(),
    }
}

/// A random F/D computational instruction word.
fn random_insn(rng: &mut Rng, pool: &[&'static decode::Encoding]) -> u32 {
    loop {
        let enc = pool[rng.below(pool.len())];
        let mut w = enc.value | (rng.next() as u32 & !enc.mask);
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

struct Batch {
    asm: String,
    words: Vec<Vec<u32>>,
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

fn build(dir: &Path, name: &str, asm: &str) -> PathBuf {
    let src = dir.join(format!("{name}.S"));
    let out = dir.join(name);
    std::fs::write(&src, asm).unwrap();
    let st = Command::new("riscv64-linux-gnu-gcc")
        .args(["-nostdlib", "-static", "-march=rv64gc", "-mabi=lp64d", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("riscv64-linux-gnu-gcc runs");
    assert!(st.success(), "assembling {}", src.display());
    out
}

fn run_qemu(prog: &Path) -> Vec<u8> {
    let out = Command::new("prlimit")
        .arg("--nproc=64")
        .arg("qemu-riscv64-static")
        .arg(prog)
        .output()
        .expect("qemu-riscv64-static runs");
    assert!(out.status.success(), "qemu: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn run_bohr(prog: &Path, engine: EngineKind) -> Vec<u8> {
    let elf = std::fs::read(prog).unwrap();
    let mut cfg = MachineConfig::new(Arch::Riscv64);
    cfg.engine = engine;
    // Compile every block at once: the sequences run once each.
    cfg.jit_threshold = 0;
    cfg.files.push(GuestFile { path: "/bin/fpseq".into(), data: Arc::new(elf), executable: true });
    let o = run_script(&cfg, "fpseq.sh", "fpseq", &RunControl::default()).expect("valid script");
    assert_eq!(o.exit_code, 0, "{engine}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn reg_name(i: usize) -> String {
    match i {
        0..=31 => format!("f{i}"),
        32..=60 => format!("x{}", i - 31),
        _ => "fcsr".into(),
    }
}

/// Names the first differing sequence and register.
fn explain(batch: &Batch, want: &[u8], got: &[u8]) -> String {
    let word = |b: &[u8], i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    if want.len() != got.len() {
        return format!("output length {} vs qemu {}", got.len(), want.len());
    }
    for (i, (a, b)) in want.chunks(8).zip(got.chunks(8)).enumerate() {
        if a != b {
            let seq = i * 8 / RECORD;
            let reg = i % (RECORD / 8);
            let insns: Vec<String> = batch.words[seq]
                .iter()
                .map(|&w| match decode::decode_word(w, 4) {
                    Decoded::Insn(x) => format!(
                        "{w:#010x} {} rd={} rs1={} rs2={} rs3={} rm={}",
                        x.name, x.rd, x.rs1, x.rs2, x.rs3, x.rm
                    ),
                    _ => format!("{w:#010x} ?"),
                })
                .collect();
            return format!(
                "sequence {seq}, {}: qemu {:#x}, bohr {:#x}\n  {}",
                reg_name(reg),
                word(want, i),
                word(got, i),
                insns.join("\n  ")
            );
        }
    }
    "identical".into()
}

#[test]
fn riscv64_fp_matches_qemu() {
    let missing: Vec<&str> = ["qemu-riscv64-static", "riscv64-linux-gnu-gcc", "prlimit"]
        .into_iter()
        .filter(|t| find_in_path(t).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping riscv64_fp_matches_qemu: missing {missing:?}");
        return;
    }
    let total: usize =
        std::env::var("BOHR_FP_SEQUENCES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let seed: u64 =
        std::env::var("BOHR_FP_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_f10a7);
    let pool: Vec<&'static decode::Encoding> =
        decode::encodings().filter(|e| e.len() == 4 && matches!(e.opcode, Opcode::Fp(..))).collect();
    let dir = std::env::temp_dir().join(format!("bohr-fp-qemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(seed | 1);
    let mut done = 0;
    let mut b = 0;
    while done < total {
        let n = BATCH.min(total - done).div_ceil(REPS) * REPS;
        let batch = make_batch(&mut rng, n, &pool);
        let prog = build(&dir, &format!("batch{b}"), &batch.asm);
        let want = run_qemu(&prog);
        assert_eq!(want.len(), n * RECORD, "qemu output size");
        for engine in [EngineKind::Interp, EngineKind::Jit] {
            let got = run_bohr(&prog, engine);
            assert!(
                got == want,
                "batch {b} (seed {seed:#x}) {engine}: {}",
                explain(&batch, &want, &got)
            );
        }
        done += n;
        b += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
