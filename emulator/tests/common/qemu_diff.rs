//! What the random differential tests against `qemu-<arch>-static` share
//! (`fp_qemu_riscv64`, `fp_qemu_powerpc64`, `fp_qemu_mips`,
//! `simd_qemu_aarch64`): the generator, the special operand values, tool
//! look-up, assembling a batch with the cross compiler, running it under
//! QEMU (with `prlimit --nproc=64`) and under both engines, and naming the
//! first difference.
//!
//! A test whose records need more than a byte comparison (masked flag
//! bits) drives [`Campaign::build`], [`Campaign::run_qemu`] and
//! [`Campaign::run_bohr`] itself.
//!
//! A test supplies what is its own: the instruction pool, how a batch of
//! sequences becomes assembly, its record layout (register names) and how
//! to print an instruction word. A batch is one freestanding program that
//! writes every record to stdout, and the outputs must be byte-identical.
//! Without QEMU or the cross compiler the test skips with a notice, and
//! fails under CI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{GuestFile, MachineConfig, RunControl, run_script};

/// The tests' deterministic generator: a seed reproduces a run.
pub use bohr_emu::arch::decode_kit::Rng;

/// Whether this is a CI run, where a missing tool is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// Doubles every IEEE campaign draws its operands from: signed zeros and
/// infinities, quiet and signaling NaNs with payloads (IEEE 754-2008
/// encoding), subnormals, the extreme finite values, values that round
/// differently per mode, and the integer limits. A test extends it with
/// [`join`] where its conversions need more.
pub const F64_SPECIAL: [u64; 23] = [
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
];

/// Singles, likewise.
pub const F32_SPECIAL: [u32; 21] = [
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
];

/// The first 19 entries of [`F64_SPECIAL`] or [`F32_SPECIAL`] (signs,
/// infinities, NaNs, subnormals, extremes, values near 1 and 2.5) with its
/// four NaNs (default quiet, quiet with payload, signaling, signaling with
/// payload) replaced by `nans`: the base of a table for an arch with
/// another NaN encoding (mips' legacy one).
pub const fn with_nans<T: Copy, const N: usize>(table: [T; N], nans: [T; 4]) -> [T; 19] {
    assert!(N >= 19, "a shared table");
    let mut out = [table[0]; 19];
    let mut i = 0;
    while i < 19 {
        out[i] = if i >= 4 && i < 8 { nans[i - 4] } else { table[i] };
        i += 1;
    }
    out
}

/// `a` followed by `b`, for a test's own table built on a shared one.
pub const fn join<T: Copy, const A: usize, const B: usize, const N: usize>(
    a: [T; A],
    b: [T; B],
) -> [T; N] {
    assert!(A > 0 && A + B == N, "N is the joined length");
    let mut out = [a[0]; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// Whether QEMU's record and Bohr's (in that order) differ only in a
/// known way.
pub type Deviation = fn(&[u8], &[u8]) -> bool;

/// One campaign: the arch, its tools and how a batch's output is laid
/// out.
pub struct Campaign {
    /// The test's name, for the skip notice.
    pub test: &'static str,
    pub arch: Arch,
    pub qemu: &'static str,
    pub gcc: &'static str,
    /// Compiler arguments beside `-nostdlib -static`.
    pub gcc_args: &'static [&'static str],
    /// The variables that override the number of sequences and the seed.
    pub env: (&'static str, &'static str),
    pub default_seed: u64,
    /// Sequences per program (one QEMU run).
    pub batch: usize,
    /// Records each sequence runs over: a batch holds whole loops.
    pub reps: usize,
    /// Bytes of one record.
    pub record: usize,
    /// Bytes of one register in a record, and their order.
    pub word: usize,
    pub big_endian: bool,
    /// Compile every block at once (the sequences run once each).
    pub compile_at_once: bool,
    /// A difference in one record where QEMU is known to part from the
    /// architecture manual: true when QEMU's record and Bohr's (in that
    /// order) differ only in that way. Such records are counted and
    /// reported, never silently passed.
    pub qemu_deviation: Option<Deviation>,
}

impl Campaign {
    /// A floating-point campaign of `arch` whose records are `record`
    /// bytes of 64-bit registers in the arch's byte order: 1000
    /// sequences a program, each over 10 records, every block compiled at
    /// once, `BOHR_FP_SEQUENCES` and `BOHR_FP_SEED` to override.
    pub fn fp(
        test: &'static str,
        arch: Arch,
        qemu: &'static str,
        gcc: &'static str,
        record: usize,
    ) -> Campaign {
        Campaign {
            test,
            arch,
            qemu,
            gcc,
            gcc_args: &[],
            env: ("BOHR_FP_SEQUENCES", "BOHR_FP_SEED"),
            default_seed: 0x5eed_f10a7,
            batch: 1000,
            reps: 10,
            record,
            word: 8,
            big_endian: arch.endian() == bohr_emu::ir::Endian::Big,
            compile_at_once: true,
            qemu_deviation: None,
        }
    }
}

/// A program of random sequences: its assembly and each record's
/// instruction words.
pub struct Batch {
    pub asm: String,
    pub words: Vec<Vec<u32>>,
}

impl Campaign {
    /// The names of the tools missing here; the test skips when some are
    /// (and fails under CI).
    pub fn tools_present(&self) -> bool {
        let missing: Vec<&str> = [self.qemu, self.gcc, "prlimit"]
            .into_iter()
            .filter(|t| find_in_path(t).is_none())
            .collect();
        if missing.is_empty() {
            return true;
        }
        assert!(!in_ci(), "missing tools in CI: {missing:?}");
        eprintln!("skipping {}: missing {missing:?}", self.test);
        false
    }

    /// Run the campaign: batches from `make_batch(rng, n)` until the
    /// requested number of sequences ran, each under QEMU and both
    /// engines. A difference fails with the first differing sequence and
    /// register (`reg_name` of its index in the record) and the
    /// sequence's words (`describe`d).
    pub fn run(
        &self,
        mut make_batch: impl FnMut(&mut Rng, usize) -> Batch,
        reg_name: impl Fn(usize) -> String,
        describe: impl Fn(u32) -> String,
    ) {
        if !self.tools_present() {
            return;
        }
        let (n_var, seed_var) = self.env;
        let total: usize = std::env::var(n_var).ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
        let seed: u64 =
            std::env::var(seed_var).ok().and_then(|v| v.parse().ok()).unwrap_or(self.default_seed);
        let dir = std::env::temp_dir().join(format!("bohr-{}-{}", self.test, std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut rng = Rng(seed | 1);
        let mut done = 0;
        let mut b = 0;
        let mut deviations = 0;
        while done < total {
            let n = self.batch.min(total - done).div_ceil(self.reps) * self.reps;
            let batch = make_batch(&mut rng, n);
            let prog = self.build(&dir, &format!("batch{b}"), &batch.asm);
            // QEMU and the two engines run side by side: the campaigns
            // are most of the suite's time.
            let (want, interp, jit) = std::thread::scope(|s| {
                let qemu = s.spawn(|| self.run_qemu(&prog));
                let interp = s.spawn(|| self.run_bohr(&prog, EngineKind::Interp));
                let jit = self.run_bohr(&prog, EngineKind::Jit);
                let join = |h: std::thread::ScopedJoinHandle<'_, Vec<u8>>| {
                    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
                };
                (join(qemu), join(interp), jit)
            });
            assert_eq!(want.len(), n * self.record, "qemu output size");
            for (engine, got) in [(EngineKind::Interp, interp), (EngineKind::Jit, jit)] {
                let known = self.known_deviations(&want, &got);
                if engine == EngineKind::Interp {
                    deviations += known.unwrap_or(0);
                }
                assert!(
                    got == want || known.is_some(),
                    "{} batch {b} (seed {seed:#x}) {engine}: {}",
                    self.arch,
                    self.explain(&batch, &want, &got, &reg_name, &describe)
                );
            }
            done += n;
            b += 1;
        }
        if deviations > 0 {
            eprintln!(
                "{}: {deviations} records differ from QEMU only where QEMU departs from the manual",
                self.test
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// When every differing record of `got` against `want` is the known
    /// QEMU deviation, how many there are; `None` when some record
    /// differs otherwise (or outputs differ in length).
    fn known_deviations(&self, want: &[u8], got: &[u8]) -> Option<usize> {
        let deviation = self.qemu_deviation?;
        if want.len() != got.len() {
            return None;
        }
        let mut n = 0;
        for (w, g) in want.chunks(self.record).zip(got.chunks(self.record)) {
            if w != g {
                if !deviation(w, g) {
                    return None;
                }
                n += 1;
            }
        }
        Some(n)
    }

    pub fn build(&self, dir: &Path, name: &str, asm: &str) -> PathBuf {
        let src = dir.join(format!("{name}.S"));
        let out = dir.join(name);
        std::fs::write(&src, asm).unwrap();
        let st = Command::new(self.gcc)
            .args(["-nostdlib", "-static"])
            .args(self.gcc_args)
            .arg("-o")
            .arg(&out)
            .arg(&src)
            .status()
            .expect("the cross compiler runs");
        assert!(st.success(), "assembling {}", src.display());
        out
    }

    pub fn run_qemu(&self, prog: &Path) -> Vec<u8> {
        let out = Command::new("prlimit")
            .arg("--nproc=64")
            .arg(self.qemu)
            .arg(prog)
            .output()
            .expect("qemu runs");
        assert!(out.status.success(), "qemu: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    pub fn run_bohr(&self, prog: &Path, engine: EngineKind) -> Vec<u8> {
        let elf = std::fs::read(prog).unwrap();
        let mut cfg = MachineConfig::new(self.arch);
        cfg.engine = engine;
        if self.compile_at_once {
            cfg.jit_threshold = 0;
        }
        cfg.files.push(GuestFile {
            path: "/bin/seq".into(),
            data: Arc::new(elf),
            executable: true,
        });
        let o = run_script(&cfg, "seq.sh", "seq", &RunControl::default()).expect("valid script");
        assert_eq!(o.exit_code, 0, "{engine}: {}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    }

    /// Names the first differing sequence and register.
    fn explain(
        &self,
        batch: &Batch,
        want: &[u8],
        got: &[u8],
        reg_name: &dyn Fn(usize) -> String,
        describe: &dyn Fn(u32) -> String,
    ) -> String {
        let n = self.word;
        let word = |b: &[u8]| {
            let mut v = [0u8; 8];
            if self.big_endian {
                v[8 - n..].copy_from_slice(b);
                u64::from_be_bytes(v)
            } else {
                v[..n].copy_from_slice(b);
                u64::from_le_bytes(v)
            }
        };
        if want.len() != got.len() {
            return format!("output length {} vs qemu {}", got.len(), want.len());
        }
        let known = |seq: usize| {
            let r = seq * self.record..(seq + 1) * self.record;
            self.qemu_deviation.is_some_and(|d| d(&want[r.clone()], &got[r]))
        };
        for (i, (a, b)) in want.chunks(n).zip(got.chunks(n)).enumerate() {
            let seq = i * n / self.record;
            if a != b && !known(seq) {
                let reg = i % (self.record / n);
                let insns: Vec<String> = batch.words[seq]
                    .iter()
                    .map(|&w| format!("{w:#010x} {}", describe(w)))
                    .collect();
                return format!(
                    "sequence {seq}, {}: qemu {:#x}, bohr {:#x}\n  {}",
                    reg_name(reg),
                    word(a),
                    word(b),
                    insns.join("\n  ")
                );
            }
        }
        "identical".into()
    }
}
