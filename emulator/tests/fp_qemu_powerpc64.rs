//! Random differential test of the powerpc64 FPU against
//! `qemu-ppc64-static`.
//!
//! Generates random sequences of double-precision arithmetic, fused
//! multiply-adds, compares, conversions, rounding, sign moves and the
//! FPSCR reads and clears (drawn from the decoder's own encoding table)
//! over random and special operands (±0, ±inf, quiet and signaling NaNs
//! with payloads, subnormals, extremes, integer extremes), with random
//! rounding modes and sticky FPSCR bits and a random CR. Each sequence
//! starts from its own FPRs, CR and FPSCR and stores every FPR, CR and
//! FPSCR after it, over several records in a loop. Left out of the pool:
//! loads and stores (they need addresses), the instructions that can set
//! the FPSCR enable bits (`mtfsf`, `mtfsfi`, `mtfsb1`: QEMU would raise
//! SIGFPE at the next exception) and single-precision arithmetic, whose
//! operands Bohr narrows to single first (exact only for the single
//! operands compilers give it). Also left out are `fcfidu`, `fcfids` and
//! `fcfidus`: QEMU 7.2 leaves FPRF alone for them, where the Power ISA
//! (and Bohr) set it from the result. A batch is one freestanding ELFv1 program
//! (assembled by `powerpc64-linux-gnu-gcc`) that writes all records to
//! stdout; it runs under QEMU (with `prlimit --nproc=64`) and under both
//! engines, and the outputs must be byte-identical. The generated code
//! holds no system call but the harness's final `write` and `exit`.
//!
//! `BOHR_FP_SEQUENCES=N` runs N sequences instead of the default 10,000,
//! and `BOHR_FP_SEED=S` picks another seed. Without QEMU or the cross
//! compiler the test skips with a notice, and fails under CI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::arch::powerpc64::decode::{self, Decoded, Opcode};
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

/// Instructions per sequence.
const SEQ_LEN: usize = 6;
/// Sequences per program (one QEMU run).
const BATCH: usize = 1000;
/// Records (operand sets) each sequence runs over, in a loop.
const REPS: usize = 10;
/// Bytes of one record: f0–f31, CR, FPSCR.
const RECORD: usize = 32 * 8 + 8 + 8;

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
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_1234,
    0x7ff0_0000_0000_0001,
    0x7ff4_0000_0000_beef,
    0x0000_0000_0000_0001,
    0x000f_ffff_ffff_ffff,
    0x0010_0000_0000_0000,
    0x7fef_ffff_ffff_ffff,
    0xffef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x3ff0_0000_0000_0001,
    0x3fe0_0000_0000_0000,
    0x4004_0000_0000_0000,
    0xc004_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
    0x41f0_0000_0000_0000,
    0x41df_ffff_ffc0_0000,
    0x43f0_0000_0000_0000,
    0x4330_0000_0000_0001,
    0x3810_0000_0000_0000, // f32 subnormal range
    // Integers, for the conversions from integer.
    0x0000_0000_0000_0007,
    0xffff_ffff_ffff_ffff,
    0x7fff_ffff_ffff_ffff,
    0x0020_0000_0000_0001,
];

fn f_value(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0..=2 => F64_SPECIAL[rng.below(F64_SPECIAL.len())],
        3 => 0x3ff0_0000_0000_0000 | (rng.next() >> 12) ^ ((rng.below(4) as u64) << 62),
        4 => rng.next() >> rng.below(64),
        _ => rng.next(),
    }
}

/// Random FPSCR contents without enables, NI or the summary bits.
fn fpscr_value(rng: &mut Rng) -> u64 {
    let sticky = rng.next() & 0x9ff8_0700;
    let fr_fi_fprf = rng.next() & 0x0007_f000;
    (if rng.below(2) == 0 { sticky } else { 0 }) | fr_fi_fprf | rng.below(4) as u64
}

fn random_insn(rng: &mut Rng, pool: &[&'static decode::Encoding]) -> u32 {
    loop {
        let enc = pool[rng.below(pool.len())];
        let w = enc.value | (rng.next() as u32 & !enc.mask & !reserved(enc.opcode));
        if let Decoded::Insn(_) = decode::decode_word(w) {
            return w;
        }
    }
}

/// Fields that must be zero: Bohr ignores them as POWER8 does, QEMU
/// treats the word as illegal. (For `mffs`, bits 11-15 also select the
/// ISA 3.0 variants on QEMU's POWER9+.)
fn reserved(op: Opcode) -> u32 {
    const RA: u32 = 0x001f_0000;
    const RB: u32 = 0x0000_f800;
    const FRC: u32 = 0x0000_07c0;
    match op {
        Opcode::FpArith { op: decode::FpBinOp::Mul, .. } => RB,
        Opcode::FpArith { .. } => FRC,
        Opcode::FpSqrt { .. } => RA | FRC,
        Opcode::Frsp
        | Opcode::FpToInt { .. }
        | Opcode::FpFromInt { .. }
        | Opcode::FpRoundInt(_)
        | Opcode::FpMove(
            decode::FpMoveOp::Mr
            | decode::FpMoveOp::Neg
            | decode::FpMoveOp::Abs
            | decode::FpMoveOp::Nabs,
        ) => RA,
        Opcode::FpCmp { .. } => 0x0060_0001,
        Opcode::Mtfsb { .. } | Opcode::Mffs => RA | RB,
        Opcode::Mcrfs => 0x0063_f801,
        _ => 0,
    }
}

struct Batch {
    asm: String,
    words: Vec<Vec<u32>>,
}

/// `r{r} = address of {sym}`, for a static executable.
fn load_address(r: u32, sym: &str) -> String {
    format!(
        "    lis {r}, {sym}@highest\n    ori {r}, {r}, {sym}@higher\n    rldicr {r}, {r}, 32, 31\n\
         \x20   oris {r}, {r}, {sym}@h\n    ori {r}, {r}, {sym}@l\n"
    )
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
            rec.push(rng.next() & 0xffff_ffff);
            rec.push(fpscr_value(rng));
            for v in &rec {
                writeln!(data, "    .quad {v:#x}").unwrap();
            }
            words.push(seq.clone());
        }
        writeln!(code, "    li 29, {REPS}\n    mtctr 29\n1:").unwrap();
        code.push_str(
            "    lfd 0, 264(30)\n    mtfsf 0xff, 0\n    ld 3, 256(30)\n    mtcrf 0xff, 3\n",
        );
        for r in 0..32 {
            writeln!(code, "    lfd {r}, {}(30)", r * 8).unwrap();
        }
        for w in &seq {
            writeln!(code, "    .long {w:#010x}").unwrap();
        }
        for r in 0..32 {
            writeln!(code, "    stfd {r}, {}(31)", r * 8).unwrap();
        }
        code.push_str("    mfcr 3\n    std 3, 256(31)\n    mffs 0\n    stfd 0, 264(31)\n");
        writeln!(code, "    addi 30, 30, {RECORD}\n    addi 31, 31, {RECORD}\n    bdnz 1b")
            .unwrap();
    }
    let asm = format!(
        "    .section .opd, \"aw\"\n    .align 3\n    .globl _start\n_start:\n\
         \x20   .quad ._start, .TOC.@tocbase, 0\n    .text\n._start:\n{}{}{code}\
         \x20   li 3, 1\n{}    lis 5, {len}@h\n    ori 5, 5, {len}@l\n    li 0, 4\n    sc\n\
         \x20   li 3, 0\n    li 0, 1\n    sc\n    .data\n    .balign 8\ninputs:\n{data}\
         \x20   .bss\n    .balign 8\noutputs:\n    .space {len}\n",
        load_address(30, "inputs"),
        load_address(31, "outputs"),
        load_address(4, "outputs"),
        len = n * RECORD
    );
    Batch { asm, words }
}

fn build(dir: &Path, name: &str, asm: &str) -> PathBuf {
    let src = dir.join(format!("{name}.S"));
    let out = dir.join(name);
    std::fs::write(&src, asm).unwrap();
    let st = Command::new("powerpc64-linux-gnu-gcc")
        .args(["-nostdlib", "-static", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("powerpc64-linux-gnu-gcc runs");
    assert!(st.success(), "assembling {}", src.display());
    out
}

fn run_qemu(prog: &Path) -> Vec<u8> {
    let out = Command::new("prlimit")
        .arg("--nproc=64")
        .arg("qemu-ppc64-static")
        .arg(prog)
        .output()
        .expect("qemu-ppc64-static runs");
    assert!(out.status.success(), "qemu: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn run_bohr(prog: &Path, engine: EngineKind) -> Vec<u8> {
    let elf = std::fs::read(prog).unwrap();
    let mut cfg = MachineConfig::new(Arch::Powerpc64);
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
        32 => "cr".into(),
        _ => "fpscr".into(),
    }
}

/// Names the first differing sequence and register.
fn explain(batch: &Batch, want: &[u8], got: &[u8]) -> String {
    let word = |b: &[u8], i: usize| u64::from_be_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    if want.len() != got.len() {
        return format!("output length {} vs qemu {}", got.len(), want.len());
    }
    for (i, (a, b)) in want.chunks(8).zip(got.chunks(8)).enumerate() {
        if a != b {
            let seq = i * 8 / RECORD;
            let reg = i % (RECORD / 8);
            let insns: Vec<String> = batch.words[seq]
                .iter()
                .map(|&w| match decode::decode_word(w) {
                    Decoded::Insn(x) => format!(
                        "{w:#010x} {} rt={} ra={} rb={} frc={}",
                        x.name, x.rt, x.ra, x.rb, x.mb
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
fn powerpc64_fp_matches_qemu() {
    let missing: Vec<&str> = ["qemu-ppc64-static", "powerpc64-linux-gnu-gcc", "prlimit"]
        .into_iter()
        .filter(|t| find_in_path(t).is_none())
        .collect();
    if !missing.is_empty() {
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping powerpc64_fp_matches_qemu: missing {missing:?}");
        return;
    }
    let total: usize =
        std::env::var("BOHR_FP_SEQUENCES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let seed: u64 =
        std::env::var("BOHR_FP_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_f10a7);
    let pool: Vec<&'static decode::Encoding> = decode::encodings()
        .filter(|e| {
            e.opcode.is_fpu()
                && !matches!(
                    e.opcode,
                    Opcode::FpLoad { .. }
                        | Opcode::FpStore { .. }
                        | Opcode::Stfiwx
                        | Opcode::Lfiw { .. }
                        | Opcode::FpArith { single: true, .. }
                        | Opcode::FpSqrt { single: true }
                        | Opcode::FpMadd { single: true, .. }
                        | Opcode::Mtfsf
                        | Opcode::Mtfsfi
                        | Opcode::Mtfsb { set: true }
                        | Opcode::FpFromInt { single: true, .. }
                        | Opcode::FpFromInt { signed: false, .. }
                )
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("bohr-fp-qemu-ppc64-{}", std::process::id()));
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
