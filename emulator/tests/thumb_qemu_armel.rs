//! Random differential test of armel's Thumb state against
//! `qemu-arm-static`.
//!
//! Generates random sequences of Thumb instructions: 16-bit data
//! processing (shifts, add/sub, immediates, the register ALU group, the
//! high-register forms, extends, byte reversal) and 32-bit Thumb-2 data
//! processing (modified and plain immediates, shifted registers, register
//! shifts, extends, the miscellaneous group, multiplies, long multiplies
//! and divides, saturation, bit fields), a quarter of them inside random
//! IT blocks. Register fields are drawn from r0–r10 (the harness keeps its
//! pointers in r11 and r12; the sp differs between the two runs), with the
//! pc only where an encoding means "no register" by it; words Bohr's
//! lifter refuses are redrawn. Each sequence starts from its own r0–r10,
//! N, Z, C, V, Q and GE, and stores r0–r10 and the APSR after it. A batch
//! is one freestanding Thumb program (assembled by
//! `arm-linux-gnueabi-gcc`) without any system call but the final `write`
//! and `exit`; it runs under QEMU (with `prlimit --nproc=64`) and under
//! both engines, and the outputs must be identical.
//!
//! `BOHR_THUMB_SEQUENCES=N` runs N sequences instead of the default 3,000,
//! and `BOHR_THUMB_SEED=S` picks another seed. Without QEMU or the cross
//! compiler the test skips with a notice, and fails under CI.

#[path = "common/qemu_diff.rs"]
mod qemu_diff;

use std::fmt::Write as _;

use bohr_emu::arch::Arch;
use bohr_emu::arch::arm::thumb;
use bohr_emu::engine::EngineKind;
use bohr_emu::ir::{BlockBuilder, Exit};
use qemu_diff::{Campaign, Rng};

/// Instructions per sequence (an IT block counts as its instructions).
const SEQ_LEN: usize = 8;
/// Sequences per program (one QEMU run).
const BATCH: usize = 500;
/// Words of one record: r0–r10, the APSR.
const WORDS: usize = 12;
/// The APSR bits compared: N, Z, C, V, Q and GE.
const APSR_MASK: u32 = 0xf80f_0000;

const SPECIAL: &[u32] = &[
    0,
    1,
    2,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0001,
    0xffff_ffff,
    0xffff_fffe,
    0xffff,
    0x8000,
    0x7fff,
    0x80,
    0x7f,
    31,
    32,
    33,
];

fn value(rng: &mut Rng) -> u32 {
    match rng.below_u32(5) {
        0 | 1 => SPECIAL[rng.below_u32(SPECIAL.len() as u32) as usize],
        2 => rng.below_u32(256),
        _ => rng.next_u32(),
    }
}

/// A register r0–r10.
fn reg(rng: &mut Rng) -> u32 {
    rng.below_u32(11)
}

/// One instruction class: fixed bits, and the 4-bit register fields
/// (`(shift, pc_allowed)`) to redraw into r0–r10. 16-bit classes have
/// `wide` false and only 3-bit register fields (always low registers).
struct Class {
    wide: bool,
    mask: u32,
    value: u32,
    fields: &'static [(u32, bool)],
}

const fn t16(mask: u32, value: u32) -> Class {
    Class { wide: false, mask, value, fields: &[] }
}

const fn t32(mask: u32, value: u32, fields: &'static [(u32, bool)]) -> Class {
    Class { wide: true, mask, value, fields }
}

/// Rn (hw1 3:0), Rd (hw2 11:8), Rm (hw2 3:0), Ra/RdLo (hw2 15:12) in the
/// 32-bit word hw1:hw2.
const RN: u32 = 16;
const RD: u32 = 8;
const RM: u32 = 0;
const RA: u32 = 12;

static CLASSES: &[Class] = &[
    // 16-bit: shifts by immediate, add/subtract, immediates, ALU group,
    // extends, byte reversal.
    t16(0xe000, 0x0000),
    t16(0xf800, 0x1800),
    t16(0xe000, 0x2000),
    t16(0xfc00, 0x4000),
    t16(0xff00, 0xb200),
    t16(0xff00, 0xba00),
    // 32-bit: modified immediate (Rn = pc: mov/mvn; Rd = pc: compares).
    t32(0xfa00_8000, 0xf000_0000, &[(RN, true), (RD, true)]),
    // Plain binary immediate.
    t32(0xfa00_8000, 0xf200_0000, &[(RN, true), (RD, false)]),
    // Shifted register.
    t32(0xfe00_8000, 0xea00_0000, &[(RN, true), (RD, true), (RM, false)]),
    // Register: shifts, extends (Rn = pc: no accumulate), misc.
    t32(0xff80_f000, 0xfa00_f000, &[(RN, true), (RD, false), (RM, false)]),
    t32(0xff80_f000, 0xfa80_f000, &[(RN, false), (RD, false), (RM, false)]),
    // Multiplies (Ra = pc: no accumulate), long multiplies and divides.
    t32(0xff80_0000, 0xfb00_0000, &[(RN, false), (RD, false), (RM, false), (RA, true)]),
    t32(0xff80_0000, 0xfb80_0000, &[(RN, false), (RD, false), (RM, false), (RA, true)]),
    // High-register add, compare and move.
    t16(0xfc00, 0x4400),
];

/// Does Bohr's lifter refuse the instruction (lift it to a trap)?
fn lifts_to_trap(bytes: &[u8]) -> bool {
    let mut b = BlockBuilder::new(0x1001);
    thumb::lift_insn(0x1001, bytes, &mut b);
    matches!(b.finish().exit, Exit::Trap { .. })
}

/// A random instruction (as its memory bytes) Bohr lifts.
fn random_insn(rng: &mut Rng) -> Vec<u8> {
    loop {
        let c = &CLASSES[rng.below_u32(CLASSES.len() as u32) as usize];
        let mut w = c.value | (rng.next_u32() & !c.mask);
        if !c.wide {
            w &= 0xffff;
            if c.value == 0x4400 {
                // High registers: r0–r10 only.
                let (d, m) = (reg(rng), reg(rng));
                w = (w & 0xff00) | ((d & 8) << 4) | (m << 3) | (d & 7);
                if w & 0x300 == 0x300 {
                    continue;
                }
            }
        }
        for &(at, pc_ok) in c.fields {
            let f = (w >> at) & 0xf;
            if f >= 11 && !(f == 15 && pc_ok && rng.below_u32(2) == 0) {
                w = (w & !(0xf << at)) | (reg(rng) << at);
            }
        }
        let bytes = if c.wide {
            let mut v = ((w >> 16) as u16).to_le_bytes().to_vec();
            v.extend_from_slice(&(w as u16).to_le_bytes());
            v
        } else {
            (w as u16).to_le_bytes().to_vec()
        };
        if !lifts_to_trap(&bytes) {
            return bytes;
        }
    }
}

fn directive(bytes: &[u8]) -> String {
    let h = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    if bytes.len() == 2 {
        format!("    .inst.n {:#06x}\n", h(0))
    } else {
        format!("    .inst.w {:#010x}\n", (h(0) as u32) << 16 | h(2) as u32)
    }
}

struct Batch {
    asm: String,
    seqs: Vec<Vec<Vec<u8>>>,
}

fn make_batch(rng: &mut Rng, n: usize) -> Batch {
    let mut data = String::new();
    let mut code = String::new();
    let mut seqs = Vec::new();
    for _ in 0..n {
        for _ in 0..11 {
            writeln!(data, "    .word {:#x}", value(rng)).unwrap();
        }
        writeln!(data, "    .word {:#x}", (rng.next_u32() & 0x1f) << 27 | rng.below_u32(16) << 16)
            .unwrap();
        code.push_str("    ldr r0, [r11, #44]\n    msr APSR_nzcvqg, r0\n    ldmia r11, {r0-r10}\n");
        let mut seq = Vec::new();
        while seq.len() < SEQ_LEN {
            if rng.below_u32(4) == 0 {
                let first = rng.below_u32(14);
                let mask = 1 + rng.below_u32(15);
                let it = 0xbf00 | first << 4 | mask;
                let count = 4 - mask.trailing_zeros() as usize;
                seq.push((it as u16).to_le_bytes().to_vec());
                for _ in 0..count {
                    seq.push(random_insn(rng));
                }
            } else {
                seq.push(random_insn(rng));
            }
        }
        for i in &seq {
            code.push_str(&directive(i));
        }
        code.push_str(
            "    stmia r12, {r0-r10}\n    mrs r0, APSR\n    str r0, [r12, #44]\n\
             \x20   add r11, r11, #48\n    add r12, r12, #48\n",
        );
        seqs.push(seq);
    }
    let len = n * WORDS * 4;
    let asm = format!(
        "    .syntax unified\n    .thumb\n    .text\n    .globl _start\n    .thumb_func\n_start:\n\
         \x20   movw r11, #:lower16:inputs\n    movt r11, #:upper16:inputs\n\
         \x20   movw r12, #:lower16:outputs\n    movt r12, #:upper16:outputs\n{code}\
         \x20   movs r0, #1\n    ldr r1, =outputs\n    ldr r2, ={len}\n    movs r7, #4\n    svc #0\n\
         \x20   movs r0, #0\n    movs r7, #1\n    svc #0\n    .ltorg\n    .data\n    .balign 4\ninputs:\n{data}\
         \x20   .bss\n    .balign 4\noutputs:\n    .zero {len}\n"
    );
    Batch { asm, seqs }
}

/// The words of an output, the APSR masked to the compared bits.
fn words(out: &[u8]) -> Vec<u32> {
    out.chunks(4)
        .enumerate()
        .map(|(i, c)| {
            let v = u32::from_le_bytes(c.try_into().unwrap());
            if i % WORDS == WORDS - 1 { v & APSR_MASK } else { v }
        })
        .collect()
}

/// Names the first differing sequence and register.
fn explain(batch: &Batch, want: &[u32], got: &[u32]) -> String {
    if want.len() != got.len() {
        return format!("output length {} vs qemu {}", got.len(), want.len());
    }
    let Some(i) = (0..want.len()).find(|&i| want[i] != got[i]) else {
        return "identical".into();
    };
    let seq = i / WORDS;
    let r = i % WORDS;
    let name = if r == WORDS - 1 { "apsr".to_string() } else { format!("r{r}") };
    let mut pc = 0x1001u64;
    let insns: Vec<String> = batch.seqs[seq]
        .iter()
        .map(|b| {
            let text =
                bohr_emu::arch::arm::disasm::disassemble(pc, b).map_or("?".to_string(), |(t, _)| t);
            pc += b.len() as u64;
            format!("{:02x?} {text}", b)
        })
        .collect();
    format!(
        "sequence {seq}, {name}: qemu {:#x}, bohr {:#x}\n  {}",
        want[i],
        got[i],
        insns.join("\n  ")
    )
}

#[test]
fn armel_thumb_matches_qemu() {
    // Records are compared as masked words, so this test drives the
    // campaign's build and runs itself rather than `Campaign::run`.
    let campaign = Campaign {
        test: "armel_thumb_matches_qemu",
        arch: Arch::Armel,
        qemu: "qemu-arm-static",
        gcc: "arm-linux-gnueabi-gcc",
        gcc_args: &["-mthumb", "-march=armv7ve"],
        env: ("BOHR_THUMB_SEQUENCES", "BOHR_THUMB_SEED"),
        default_seed: 0x007e_113b,
        batch: BATCH,
        reps: 1,
        record: WORDS * 4,
        word: 4,
        big_endian: false,
        compile_at_once: false,
        qemu_deviation: None,
    };
    if !campaign.tools_present() {
        return;
    }
    let (n_var, seed_var) = campaign.env;
    let total: usize = std::env::var(n_var).ok().and_then(|v| v.parse().ok()).unwrap_or(3_000);
    let seed: u64 =
        std::env::var(seed_var).ok().and_then(|v| v.parse().ok()).unwrap_or(campaign.default_seed);
    let dir = std::env::temp_dir().join(format!("bohr-thumb-qemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(seed | 1);
    let mut done = 0;
    let mut b = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let batch = make_batch(&mut rng, n);
        let prog = campaign.build(&dir, &format!("batch{b}"), &batch.asm);
        let want = campaign.run_qemu(&prog);
        assert_eq!(want.len(), n * WORDS * 4, "qemu output size");
        let want = words(&want);
        for engine in [EngineKind::Interp, EngineKind::Jit] {
            let got = words(&campaign.run_bohr(&prog, engine));
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
