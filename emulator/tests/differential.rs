//! Differential tests: the JIT against the reference interpreter.
//!
//! For every architecture with a frontend, random instruction sequences
//! are generated from the decoder's own encoding tables (an encoding's
//! fixed bits, random operand bits), run from the same random register
//! state under both engines, and compared: every state slot, pc,
//! instruction count, stop reason and the data memory. The JIT runs twice:
//! as configured by default (direct memory accesses where the host has
//! them) and with every access through the software TLB, the path of hosts
//! without direct accesses. Random registers make many accesses fault.
//! Runs are seeded; a failure names the seed and the sequence so it can be
//! replayed. A riscv64 floating-point run draws only F/D instructions and
//! starts from special float values and valid rounding modes, so the
//! float ops' lowering (flags included) is compared densely; an aarch64
//! run does the same with the SIMD&FP encoding groups.

use bohr_emu::arch::{Arch, frontend_for};
use bohr_emu::cpu::NUM_SLOTS;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::Endian;
use bohr_emu::jit::JitConfig;
use bohr_emu::testing::Harness;

const CODE: u64 = 0x40_0000;
const DATA: u64 = 0x10_0000;
const DATA_LEN: usize = 0x4000;
const SEQ_LEN: usize = 12;
const LOOP_BODY_LEN: usize = 4;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// (name, mask, value, length in bytes) of every encoding of `arch`.
fn encodings(arch: Arch) -> Vec<(&'static str, u32, u32, usize)> {
    use bohr_emu::arch::{aarch64, arm, mips, powerpc64, riscv64};
    match arch {
        Arch::Riscv64 => riscv64::decode::encodings()
            .map(|e| (e.name, e.mask, e.value, e.insn_len() as usize))
            .collect(),
        Arch::Aarch64 => {
            aarch64::decode::encodings().map(|e| (e.name, e.mask, e.value, 4)).collect()
        }
        Arch::Powerpc64 => {
            powerpc64::decode::encodings().map(|e| (e.name, e.mask, e.value, 4)).collect()
        }
        Arch::Mipsel | Arch::Mipseb => {
            mips::decode::encodings().map(|e| (e.name, e.mask, e.value, 4)).collect()
        }
        Arch::Armel => arm::decode::encodings().map(|e| (e.name, e.mask, e.value, 4)).collect(),
    }
}

struct Run {
    stop: StopReason,
    regs: Vec<u64>,
    pc: u64,
    icount: u64,
    data: Vec<u8>,
}

/// The engines compared: the interpreter, the JIT, the JIT with direct
/// memory accesses off.
#[derive(Clone, Copy, Debug)]
enum Engine {
    Interp,
    Jit,
    JitTlbOnly,
}

fn run(arch: Arch, engine: Engine, code: &[u8], regs: &[u64], fuel: u64) -> Run {
    let mut h = match engine {
        Engine::Interp => Harness::with_engine(arch, EngineKind::Interp),
        Engine::Jit => Harness::with_engine(arch, EngineKind::Jit),
        Engine::JitTlbOnly => Harness::with_jit(
            arch,
            JitConfig { threshold: 0, direct_memory: false, ..Default::default() },
        ),
    };
    h.map_data(DATA, &vec![0x5a; DATA_LEN]);
    h.map_code(CODE, code);
    h.cpu.regs.copy_from_slice(regs);
    let stop = h.step(fuel);
    Run {
        stop,
        regs: h.cpu.regs.to_vec(),
        pc: h.cpu.pc,
        icount: h.cpu.icount,
        data: h.read_mem(DATA, DATA_LEN).expect("data stays mapped"),
    }
}

/// An unconditional branch at `CODE + from` back to `CODE`, with a mips
/// delay-slot `nop` after it, in the arch's byte order.
fn branch_back(arch: Arch, from: u64) -> Vec<u8> {
    let back = from as i64;
    let words: Vec<u32> = match arch {
        Arch::Riscv64 => {
            // jal x0, -back (J-type immediate: [20|10:1|11|19:12]).
            let imm = (-back) as u32;
            let j = (imm & 0x10_0000) << 11
                | (imm & 0x7fe) << 20
                | (imm & 0x800) << 9
                | (imm & 0xf_f000);
            vec![j | 0x6f]
        }
        Arch::Aarch64 => vec![0x1400_0000 | ((-back / 4) as u32 & 0x3ff_ffff)],
        Arch::Powerpc64 => vec![0x4800_0000 | ((-back) as u32 & 0x03ff_fffc)],
        Arch::Mipsel | Arch::Mipseb => {
            // beq $0, $0, back; nop. The offset counts from the delay slot.
            vec![0x1000_0000 | (((-back - 4) / 4) as u32 & 0xffff), 0]
        }
        // b back: the offset counts from the branch + 8.
        Arch::Armel => vec![0xea00_0000 | (((-back - 8) / 4) as u32 & 0xff_ffff)],
    };
    let mut out = Vec::new();
    for w in words {
        match arch.endian() {
            Endian::Little => out.extend(w.to_le_bytes()),
            Endian::Big => out.extend(w.to_be_bytes()),
        }
    }
    out
}

/// Compare the engines on `sequences` random sequences. With `looped`,
/// each sequence ends in a branch back to its start and runs until the
/// fuel, drawn larger, runs out: hot loops get compiled, and exact fuel,
/// register carrying across back edges and the exits inside loop bodies
/// are all compared.
fn differential(arch: Arch, sequences: usize, looped: bool) {
    differential_over(arch, sequences, looped, None);
}

/// Values that exercise floating point: signed zeros, infinities, quiet
/// and signaling NaNs, subnormals, extremes, f32s NaN-boxed or not.
const FP_VALUES: &[u64] = &[
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

/// [`differential`] over the encodings whose names `only` accepts; for
/// riscv64 floating point (`fp`), the f registers hold [`FP_VALUES`] or
/// random bits and `frm` a valid rounding mode most of the time.
fn differential_over(arch: Arch, sequences: usize, looped: bool, only: Option<fn(&str) -> bool>) {
    let mut table = encodings(arch);
    if let Some(keep) = only {
        table.retain(|e| keep(e.0));
    }
    let fp = only.is_some();
    assert!(!table.is_empty(), "{arch} has no encoding table");
    let mut failures = Vec::new();
    let mut went_around = 0;
    for seq in 0..sequences {
        let seed = (arch as u64) << 32 | (looped as u64) << 31 | seq as u64;
        let mut rng = Rng(seed);
        let mut code = Vec::new();
        let mut names = Vec::new();
        // Loop bodies are short: a random branch, trap or fault in them
        // leaves the loop, and most long random runs contain one.
        let body_len = if looped { LOOP_BODY_LEN } else { SEQ_LEN };
        for _ in 0..body_len {
            let (name, mask, value, len) = table[(rng.next() % table.len() as u64) as usize];
            let word = value | (rng.next() as u32 & !mask);
            let bytes = match (len, arch.endian()) {
                (2, _) => (word as u16).to_le_bytes().to_vec(),
                (_, Endian::Little) => word.to_le_bytes().to_vec(),
                (_, Endian::Big) => word.to_be_bytes().to_vec(),
            };
            code.extend(bytes);
            names.push(name);
        }
        if looped {
            let from = code.len() as u64;
            code.extend(branch_back(arch, from));
            names.push("branch back");
        }
        let mut regs = vec![0u64; NUM_SLOTS];
        // Loops randomise only the 32 general registers: special slots
        // (a pending mips delay-slot branch, say) would leave at once.
        let random_slots = if looped { 32 } else { NUM_SLOTS };
        for r in regs.iter_mut().take(random_slots) {
            let v = match rng.next() % 4 {
                // Pointers into the data region, so memory ops often work.
                0 | 1 => DATA + rng.next() % DATA_LEN as u64,
                2 => rng.next() % 64,
                _ => rng.next(),
            };
            *r = if arch.is_64bit() { v } else { v & 0xffff_ffff };
        }
        if fp {
            for r in &mut regs[RISCV_F0..RISCV_F0 + 32] {
                *r = match rng.next() % 3 {
                    0 | 1 => FP_VALUES[(rng.next() % FP_VALUES.len() as u64) as usize],
                    _ => rng.next(),
                };
            }
            // Reserved modes (5–7) trap dynamic-rounding instructions.
            regs[RISCV_FRM] = rng.next() % 6;
        }
        if arch == Arch::Armel {
            // The flag slots hold 0 or 1, and GE four bits.
            use bohr_emu::arch::arm::regs::{GE, NF, QF};
            for r in &mut regs[NF.0 as usize..=QF.0 as usize] {
                *r &= 1;
            }
            regs[GE.0 as usize] &= 0xf;
        }
        let fuel = if looped {
            1 + rng.next() % (40 * SEQ_LEN as u64)
        } else {
            1 + rng.next() % (SEQ_LEN as u64 + 4)
        };
        let a = run(arch, Engine::Interp, &code, &regs, fuel);
        // More instructions than the sequence holds: the loop went around.
        went_around += (a.icount > names.len() as u64 + 1) as usize;
        for jit in [Engine::Jit, Engine::JitTlbOnly] {
            let b = run(arch, jit, &code, &regs, fuel);
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
                    let name =
                        frontend_for(arch).and_then(|f| f.slot_name(bohr_emu::ir::Slot(i as u16)));
                    diff.push(format!("slot {i} ({}) {x:#x} vs {y:#x}", name.unwrap_or("?")));
                }
            }
            if let Some(i) = a.data.iter().zip(&b.data).position(|(x, y)| x != y) {
                diff.push(format!("data differs first at {:#x}", DATA + i as u64));
            }
            if !diff.is_empty() {
                failures.push(format!(
                    "{arch} seed {seed:#x} fuel {fuel} [{}] code {}: interp vs {jit:?}: {}",
                    names.join(", "),
                    code.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                    diff.join("; ")
                ));
            }
        }
    }
    if looped {
        eprintln!("{arch}: {went_around} of {sequences} looped sequences went around");
        assert!(
            went_around * 20 >= sequences,
            "{arch}: only {went_around} of {sequences} looped sequences went around"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {sequences} sequences differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn jit_matches_interpreter_on_random_code() {
    let arches: Vec<Arch> = Arch::ALL.into_iter().filter(|&a| frontend_for(a).is_some()).collect();
    assert!(!arches.is_empty());
    for arch in arches {
        differential(arch, 400, false);
    }
}

/// riscv64 F and D instructions only (loads, stores, computation and
/// the FP CSRs), compressed forms included.
fn is_riscv_fp(name: &str) -> bool {
    (name.starts_with('f') && !name.starts_with("fence"))
        || name.starts_with("c.f")
        || name.starts_with("csr")
}

#[test]
fn jit_matches_interpreter_on_random_riscv64_fp() {
    differential_over(Arch::Riscv64, 1500, false, Some(is_riscv_fp));
    differential_over(Arch::Riscv64, 400, true, Some(is_riscv_fp));
}

#[test]
fn jit_matches_interpreter_on_random_loops() {
    let arches: Vec<Arch> = Arch::ALL.into_iter().filter(|&a| frontend_for(a).is_some()).collect();
    assert!(!arches.is_empty());
    for arch in arches {
        differential(arch, 400, true);
    }
}

/// aarch64 SIMD&FP encoding groups only (loads, stores and data
/// processing; see `SimdGroup`).
fn is_aarch64_simd(name: &str) -> bool {
    name.starts_with("simd_") || name.starts_with("fp_")
}

#[test]
fn jit_matches_interpreter_on_random_aarch64_simd() {
    // Straight-line only: random words of these groups are mostly
    // unallocated or fault on random addresses, so few loops go around.
    differential_over(Arch::Aarch64, 2000, false, Some(is_aarch64_simd));
}
