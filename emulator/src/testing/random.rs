//! Random guest code, run under both engines and compared.
//!
//! Sequences are drawn from each decoder's own encoding tables (an
//! encoding's fixed bits, random operand bits) and start from a random
//! register state, with half the registers pointing into a data region so
//! memory operations often work. [`Differential`] runs one sequence under
//! the reference interpreter, the JIT as configured by default and the JIT
//! with every access through the software TLB, and compares every state
//! slot, the pc, the instruction count, the stop reason and the data
//! memory. Used by `tests/differential.rs` (a quick, seeded pass) and by
//! the fuzz campaign (`bohr-fuzz differential`, 10⁶ sequences per arch and
//! more), so both run the same generator.
//!
//! A [`Differential`] keeps its three harnesses across sequences: each
//! sequence is written over the previous one's code page, which
//! invalidates its translations, so no engine, JIT module or address space
//! is built per sequence. Every comparison therefore also checks that
//! invalidation leaves nothing stale behind.

use super::Harness;
use crate::arch::{Arch, frontend_for};
use crate::cpu::{CpuState, NUM_SLOTS};
use crate::engine::{EngineKind, StopReason};
use crate::ir::{Endian, Slot};
use crate::jit::JitConfig;
use crate::mem::PAGE_SIZE;

/// Where a sequence's code goes.
pub const CODE: u64 = 0x40_0000;
/// The data region registers point into.
pub const DATA: u64 = 0x10_0000;
pub const DATA_LEN: usize = 0x4000;
/// Fill of the data region at the start of every sequence.
pub const DATA_FILL: u8 = 0x5a;
/// Instructions in a straight-line sequence.
pub const SEQ_LEN: usize = 12;
/// Instructions in a loop body (before the branch back).
pub const LOOP_BODY_LEN: usize = 4;

/// SplitMix64, the guest's own generator: small, fast and the same
/// everywhere.
pub use crate::linux::SplitMix64 as Rng;

/// One row of a decoder's encoding table.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    pub name: &'static str,
    pub mask: u32,
    pub value: u32,
    /// Length in bytes (2 for riscv64's compressed forms, else 4).
    pub len: usize,
}

/// Every encoding of `arch`'s decoder.
pub fn encodings(arch: Arch) -> Vec<Encoding> {
    use crate::arch::{aarch64, arm, mips, powerpc64, riscv64};
    let four = |name, mask, value| Encoding { name, mask, value, len: 4 };
    match arch {
        Arch::Riscv64 => riscv64::decode::encodings()
            .map(|e| Encoding {
                name: e.name,
                mask: e.mask,
                value: e.value,
                len: e.insn_len() as usize,
            })
            .collect(),
        Arch::Aarch64 => {
            aarch64::decode::encodings().map(|e| four(e.name, e.mask, e.value)).collect()
        }
        Arch::Powerpc64 => {
            powerpc64::decode::encodings().map(|e| four(e.name, e.mask, e.value)).collect()
        }
        Arch::Mipsel | Arch::Mipseb => {
            mips::decode::encodings().map(|e| four(e.name, e.mask, e.value)).collect()
        }
        Arch::Armel => arm::decode::encodings().map(|e| four(e.name, e.mask, e.value)).collect(),
    }
}

/// `word` (a 16-bit word when `len == 2`) in `arch`'s byte order.
pub fn insn_bytes(arch: Arch, word: u32, len: usize) -> Vec<u8> {
    match (len, arch.endian()) {
        (2, _) => (word as u16).to_le_bytes().to_vec(),
        (_, Endian::Little) => word.to_le_bytes().to_vec(),
        (_, Endian::Big) => word.to_be_bytes().to_vec(),
    }
}

/// An unconditional branch at `CODE + from` back to `CODE`, with a mips
/// delay-slot `nop` after it, in the arch's byte order.
pub fn branch_back(arch: Arch, from: u64) -> Vec<u8> {
    branch(arch, -(from as i64))
}

/// An unconditional branch by `off` bytes (from the branch itself), with
/// a mips delay-slot `nop` after it, in the arch's byte order.
pub fn branch(arch: Arch, off: i64) -> Vec<u8> {
    let words: Vec<u32> = match arch {
        Arch::Riscv64 => {
            // jal x0, off (J-type immediate: [20|10:1|11|19:12]).
            let imm = off as u32;
            let j = (imm & 0x10_0000) << 11
                | (imm & 0x7fe) << 20
                | (imm & 0x800) << 9
                | (imm & 0xf_f000);
            vec![j | 0x6f]
        }
        Arch::Aarch64 => vec![0x1400_0000 | ((off / 4) as u32 & 0x3ff_ffff)],
        Arch::Powerpc64 => vec![0x4800_0000 | (off as u32 & 0x03ff_fffc)],
        Arch::Mipsel | Arch::Mipseb => {
            // beq $0, $0, off; nop. The offset counts from the delay slot.
            vec![0x1000_0000 | (((off - 4) / 4) as u32 & 0xffff), 0]
        }
        // b off: the offset counts from the branch + 8.
        Arch::Armel => vec![0xea00_0000 | (((off - 8) / 4) as u32 & 0xff_ffff)],
    };
    words.into_iter().flat_map(|w| insn_bytes(arch, w, 4)).collect()
}

/// Values that exercise floating point: signed zeros, infinities, quiet
/// and signaling NaNs, subnormals, extremes, f32s NaN-boxed or not.
pub const FP_VALUES: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff0_0000_0000_0001,
    0x0000_0000_0000_0001,
    0x7fef_ffff_ffff_ffff,
    0x3ff0_0000_0000_0000,
    0xc004_0000_0000_0000,
    0xffff_ffff_7fc0_0000,
    0xffff_ffff_7f80_0001,
    0xffff_ffff_0000_0001,
    0xffff_ffff_3f80_0000,
    0xffff_ffff_c020_0000,
    0x1234_5678_3f80_0000,
];

/// riscv64's floating-point state: f0–f31 (slots 33–64), frm (65).
const RISCV_F0: usize = 33;
const RISCV_FRM: usize = 65;

/// Make random register values ones the frontend can hold: armel's
/// carry and Q slots hold 0 or 1, its N, Z and V slots words and its GE
/// slot four bits (the lifter relies on it).
pub fn keep_invariants(arch: Arch, regs: &mut [u64]) {
    if arch == Arch::Armel {
        use crate::arch::arm::regs::{CF, GE, NF, QF, VF, ZF};
        // Bit 0 of the random value picks the flag, evenly; the other
        // bits stay random, so readers must ignore them.
        for r in [NF, VF] {
            let v = regs[r.0 as usize];
            regs[r.0 as usize] = ((v & 1) << 31) | ((v >> 1) & 0x7fff_ffff);
        }
        let z = regs[ZF.0 as usize];
        regs[ZF.0 as usize] = if z & 1 == 1 { 0 } else { (z | 1) & 0xffff_ffff };
        regs[CF.0 as usize] &= 1;
        regs[QF.0 as usize] &= 1;
        regs[GE.0 as usize] &= 0xf;
    }
}

/// One random test case: code, the registers it starts from, and the fuel.
#[derive(Clone, Debug)]
pub struct Sequence {
    pub seed: u64,
    /// The code ends in a branch back to its start.
    pub looped: bool,
    pub code: Vec<u8>,
    /// The encoding of each instruction, for failure messages.
    pub names: Vec<&'static str>,
    pub regs: Vec<u64>,
    pub fuel: u64,
    /// armel: the code is Thumb code, entered in Thumb state (pc bit 0).
    pub thumb: bool,
}

impl Sequence {
    /// What the pc of code at `addr` is: armel's Thumb bit where it runs
    /// in Thumb state.
    pub fn entry(&self, addr: u64) -> u64 {
        addr | self.thumb as u64
    }

    /// An unconditional branch by `off` bytes in the sequence's
    /// instruction set.
    pub fn branch(&self, arch: Arch, off: i64) -> Vec<u8> {
        if self.thumb { thumb_branch(off) } else { branch(arch, off) }
    }
}

/// armel's Thumb encoding groups (`arch::arm::thumb::GROUPS`).
pub fn thumb_encodings() -> Vec<Encoding> {
    crate::arch::arm::thumb::GROUPS
        .iter()
        .map(|&(name, mask, value, len)| Encoding { name, mask, value, len })
        .collect()
}

/// A Thumb `b` by `off` bytes (16-bit form, so within ±2 KiB).
pub fn thumb_branch(off: i64) -> Vec<u8> {
    crate::arch::arm::thumb::insn_bytes(crate::arch::arm::thumb::branch16(off), 2)
}

/// Draws [`Sequence`]s for one arch.
pub struct Generator {
    pub arch: Arch,
    table: Vec<Encoding>,
    looped: bool,
    riscv_fp: bool,
    thumb: bool,
}

impl Generator {
    /// Sequences over every encoding of `arch`; with `looped`, each ends in
    /// a branch back to its start and runs until its (larger) fuel is gone,
    /// so hot loops get compiled, and exact fuel, registers carried across
    /// back edges and exits inside loop bodies are all compared. `only`
    /// keeps the encodings whose names it accepts; on riscv64 it also makes
    /// the f registers hold [`FP_VALUES`] or random bits and `frm` a valid
    /// rounding mode most of the time.
    ///
    /// Panics if `arch` has no frontend or nothing is left of its table.
    pub fn new(arch: Arch, looped: bool, only: Option<fn(&str) -> bool>) -> Self {
        let mut table = encodings(arch);
        if let Some(keep) = only {
            table.retain(|e| keep(e.name));
        }
        assert!(!table.is_empty(), "{arch} has no encoding table");
        let riscv_fp = only.is_some() && arch == Arch::Riscv64;
        Generator { arch, table, looped, riscv_fp, thumb: false }
    }

    /// armel sequences of Thumb code (16-bit Thumb and Thumb-2 from the
    /// manual's encoding groups, IT blocks included: `it` has a row of its
    /// own), run in Thumb state; `looped` as for [`Generator::new`].
    pub fn thumb(looped: bool) -> Self {
        Generator {
            arch: Arch::Armel,
            table: thumb_encodings(),
            looped,
            riscv_fp: false,
            thumb: true,
        }
    }

    /// The seed of sequence number `index`: distinct per arch and shape.
    pub fn seed(&self, index: u64) -> u64 {
        (self.arch as u64) << 32 | (self.looped as u64) << 31 | (self.thumb as u64) << 30 | index
    }

    pub fn looped(&self) -> bool {
        self.looped
    }

    /// The sequence of `seed`: a pure function of the seed.
    pub fn sequence(&self, seed: u64) -> Sequence {
        let arch = self.arch;
        let mut rng = Rng(seed);
        let mut code = Vec::new();
        let mut names = Vec::new();
        // Loop bodies are short: a random branch, trap or fault in them
        // leaves the loop, and most long random runs contain one.
        let body_len = if self.looped { LOOP_BODY_LEN } else { SEQ_LEN };
        for _ in 0..body_len {
            let e = self.table[rng.below(self.table.len() as u64) as usize];
            let word = e.value | (rng.next_u64() as u32 & !e.mask);
            if self.thumb {
                code.extend(crate::arch::arm::thumb::insn_bytes(word, e.len));
            } else {
                code.extend(insn_bytes(arch, word, e.len));
            }
            names.push(e.name);
        }
        if self.looped {
            let from = code.len() as u64;
            code.extend(if self.thumb {
                thumb_branch(-(from as i64))
            } else {
                branch_back(arch, from)
            });
            names.push("branch back");
        }
        let mut regs = vec![0u64; NUM_SLOTS];
        // Loops randomise only the 32 general registers: special slots
        // (a pending mips delay-slot branch, say) would leave at once.
        let random_slots = if self.looped { 32 } else { NUM_SLOTS };
        for r in regs.iter_mut().take(random_slots) {
            let v = match rng.below(4) {
                // Pointers into the data region, so memory ops often work.
                0 | 1 => DATA + rng.below(DATA_LEN as u64),
                2 => rng.below(64),
                _ => rng.next_u64(),
            };
            *r = if arch.is_64bit() { v } else { v & 0xffff_ffff };
        }
        if self.riscv_fp {
            for r in &mut regs[RISCV_F0..RISCV_F0 + 32] {
                *r = match rng.below(3) {
                    0 | 1 => FP_VALUES[rng.below(FP_VALUES.len() as u64) as usize],
                    _ => rng.next_u64(),
                };
            }
            // Reserved modes (5–7) trap dynamic-rounding instructions.
            regs[RISCV_FRM] = rng.below(6);
        }
        keep_invariants(arch, &mut regs);
        let fuel = if self.looped {
            1 + rng.below(40 * SEQ_LEN as u64)
        } else {
            1 + rng.below(SEQ_LEN as u64 + 4)
        };
        Sequence { seed, looped: self.looped, code, names, regs, fuel, thumb: self.thumb }
    }
}

/// The engines compared: the interpreter, the JIT, the JIT with direct
/// memory accesses off (compiling every block at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Interp,
    Jit,
    JitTlbOnly,
}

impl Engine {
    /// Every engine compared, in this order.
    pub const ALL: [Engine; 3] = [Engine::Interp, Engine::Jit, Engine::JitTlbOnly];

    /// A fresh harness for `arch` running this engine.
    pub fn harness(self, arch: Arch) -> Harness {
        match self {
            Engine::Interp => Harness::with_engine(arch, EngineKind::Interp),
            Engine::Jit => Harness::with_engine(arch, EngineKind::Jit),
            Engine::JitTlbOnly => Harness::with_jit(
                arch,
                JitConfig { threshold: 0, direct_memory: false, ..Default::default() },
            ),
        }
    }
}

/// What one engine left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    pub stop: StopReason,
    pub regs: Vec<u64>,
    pub pc: u64,
    pub icount: u64,
    pub data: Vec<u8>,
}

/// Bytes of code page per sequence in [`Differential::check_batch`].
pub const SLOT: usize = 64;
/// Sequences per batch: a page of slots.
pub const BATCH: usize = PAGE_SIZE as usize / SLOT;

/// The three engines of one arch, kept across sequences.
pub struct Differential {
    pub arch: Arch,
    engines: Vec<(Engine, Harness)>,
    start: CpuState,
    page: Vec<u8>,
    data: Vec<u8>,
}

impl Differential {
    /// Panics if `arch` has no frontend.
    pub fn new(arch: Arch) -> Self {
        let data = vec![DATA_FILL; DATA_LEN];
        let page = vec![0; PAGE_SIZE as usize];
        let engines = Engine::ALL
            .into_iter()
            .map(|e| {
                let mut h = e.harness(arch);
                h.map_data(DATA, &data);
                h.map_code(CODE, &page);
                (e, h)
            })
            .collect();
        let mut start = CpuState::default();
        frontend_for(arch).expect("arch has a frontend").init_registers(&mut start, 0, 0, None);
        start.pc = CODE;
        Differential { arch, engines, start, page, data }
    }

    /// Each engine's counters so far (blocks compiled, compile time).
    pub fn stats(&self) -> Vec<(Engine, crate::engine::EngineStats)> {
        self.engines.iter().map(|(e, h)| (*e, h.stats())).collect()
    }

    fn run(&mut self, i: usize, seq: &Sequence) -> RunResult {
        let h = &mut self.engines[i].1;
        h.reset(&self.start, (CODE, &self.page), (DATA, &self.data));
        h.cpu.regs.copy_from_slice(&seq.regs);
        h.cpu.pc = seq.entry(CODE);
        let stop = h.step(seq.fuel);
        RunResult {
            stop,
            regs: h.cpu.regs.to_vec(),
            pc: h.cpu.pc,
            icount: h.cpu.icount,
            data: h.read_mem(DATA, DATA_LEN).expect("data stays mapped"),
        }
    }

    /// Run up to [`BATCH`] sequences from one code page, each in its own
    /// [`SLOT`]-byte slot, under the interpreter and the JIT engines
    /// `jits`, and compare each with the interpreter. A straight-line
    /// sequence continues into the next slot through a direct branch, so
    /// the JIT compiles chains of sequences as one region and later
    /// sequences find their code compiled: the batch costs one page write
    /// per engine and far fewer compilations than one sequence at a time.
    /// What a sequence runs after its own code is thus the next one's
    /// code, the same under every engine.
    ///
    /// Panics if there are too many sequences or one does not fit its slot.
    pub fn check_batch(
        &mut self,
        seqs: &[Sequence],
        jits: &[Engine],
    ) -> Vec<Result<RunResult, String>> {
        assert!(seqs.len() <= BATCH, "a batch fits in a page");
        self.page.fill(0);
        for (k, seq) in seqs.iter().enumerate() {
            let base = k * SLOT;
            let mut code = seq.code.clone();
            if !seq.looped && k + 1 < seqs.len() {
                code.extend(seq.branch(self.arch, (SLOT - seq.code.len()) as i64));
            }
            assert!(code.len() <= SLOT, "a sequence fits its slot");
            self.page[base..base + code.len()].copy_from_slice(&code);
        }
        let mut results: Vec<Vec<RunResult>> = Vec::new();
        let chosen: Vec<usize> = std::iter::once(0)
            .chain(jits.iter().filter_map(|j| self.engines.iter().position(|(e, _)| e == j)))
            .collect();
        for &i in &chosen {
            let h = &mut self.engines[i].1;
            h.mem.write_debug(CODE, &self.page).expect("code stays mapped");
            let mut out = Vec::with_capacity(seqs.len());
            for (k, seq) in seqs.iter().enumerate() {
                h.cpu.clone_from(&self.start);
                h.cpu.regs.copy_from_slice(&seq.regs);
                h.cpu.pc = seq.entry(CODE + (k * SLOT) as u64);
                h.mem.write_debug(DATA, &self.data).expect("data stays mapped");
                let stop = h.step(seq.fuel);
                out.push(RunResult {
                    stop,
                    regs: h.cpu.regs.to_vec(),
                    pc: h.cpu.pc,
                    icount: h.cpu.icount,
                    data: h.read_mem(DATA, DATA_LEN).expect("data stays mapped"),
                });
            }
            results.push(out);
        }
        let interp = results.remove(0);
        interp
            .into_iter()
            .enumerate()
            .map(|(k, a)| {
                let mut failures = Vec::new();
                for (j, r) in results.iter().enumerate() {
                    let diff = differences(self.arch, &a, &r[k]);
                    if !diff.is_empty() {
                        failures.push(format!(
                            "{} seed {:#x} (slot {k} of a batch of {}) fuel {} [{}] code {}: \
                             interp vs {:?}: {}",
                            self.arch,
                            seqs[k].seed,
                            seqs.len(),
                            seqs[k].fuel,
                            seqs[k].names.join(", "),
                            seqs[k].code.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                            self.engines[chosen[j + 1]].0,
                            diff.join("; ")
                        ));
                    }
                }
                if failures.is_empty() { Ok(a) } else { Err(failures.join("\n")) }
            })
            .collect()
    }

    /// Run `seq` under every engine. `Ok` holds the interpreter's result;
    /// `Err` describes every difference, with what replays it.
    ///
    /// Panics if the sequence is longer than a page.
    pub fn check(&mut self, seq: &Sequence) -> Result<RunResult, String> {
        assert!(seq.code.len() <= self.page.len(), "a sequence fits in a page");
        self.page.fill(0);
        self.page[..seq.code.len()].copy_from_slice(&seq.code);
        let a = self.run(0, seq);
        let mut failures = Vec::new();
        for i in 1..self.engines.len() {
            let b = self.run(i, seq);
            let diff = differences(self.arch, &a, &b);
            if !diff.is_empty() {
                failures.push(format!(
                    "{} seed {:#x} fuel {} [{}] code {}: interp vs {:?}: {}",
                    self.arch,
                    seq.seed,
                    seq.fuel,
                    seq.names.join(", "),
                    seq.code.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                    self.engines[i].0,
                    diff.join("; ")
                ));
            }
        }
        if failures.is_empty() { Ok(a) } else { Err(failures.join("\n")) }
    }
}

/// How `b` differs from `a`, one line per state element.
fn differences(arch: Arch, a: &RunResult, b: &RunResult) -> Vec<String> {
    let mut diff = Vec::new();
    if a.stop != b.stop {
        diff.push(format!("stop {:x?} vs {:x?}", a.stop, b.stop));
    }
    if a.pc != b.pc {
        diff.push(format!("pc {:#x} vs {:#x}", a.pc, b.pc));
    }
    if a.icount != b.icount {
        diff.push(format!("icount {} vs {}", a.icount, b.icount));
    }
    for (i, (x, y)) in a.regs.iter().zip(&b.regs).enumerate() {
        if x != y {
            let name = frontend_for(arch).and_then(|f| f.slot_name(Slot(i as u16)));
            diff.push(format!("slot {i} ({}) {x:#x} vs {y:#x}", name.unwrap_or("?")));
        }
    }
    if let Some(i) = a.data.iter().zip(&b.data).position(|(x, y)| x != y) {
        diff.push(format!("data differs first at {:#x}", DATA + i as u64));
    }
    diff
}
