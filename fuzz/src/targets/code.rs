//! Guest code as input: each frontend's decoder and lifter (`lift-ARCH`),
//! and both engines on the code (`diff-ARCH`).
//!
//! `lift-ARCH` lifts the input as consecutive blocks of instructions, as
//! the translator does, and checks every block's IR invariants
//! (`ir::builder::validate`); its features are the decoder table rows the
//! instructions match and the blocks' exits. `diff-ARCH` runs the input as
//! a sequence under the interpreter, the JIT and the TLB-only JIT through
//! `bohr_emu::testing::random::Differential` (the differential test's own
//! comparison) and panics on any difference, so a divergence is a finding
//! that gets shrunk like a crash.

use bohr_emu::arch::{Arch, Frontend, frontend_for};
use bohr_emu::cpu::NUM_SLOTS;
use bohr_emu::ir::{BlockBuilder, validate};
use bohr_emu::testing::random::{
    self, DATA, DATA_LEN, Differential, Encoding, Generator, Rng, Sequence,
};

use crate::engine::{Target, TargetSpec, feature, feature_str};

/// The table row a word matches first: the features' coverage proxy.
fn row(table: &[Encoding], word: u32, len: usize) -> Option<usize> {
    table.iter().position(|e| e.len == len && word & e.mask == e.value)
}

/// The instruction word at the start of `bytes` (a 16-bit one for
/// riscv64's compressed forms) and its length.
fn word_at(arch: Arch, bytes: &[u8]) -> (u32, usize) {
    let mut w = [0u8; 4];
    let n = bytes.len().min(4);
    w[..n].copy_from_slice(&bytes[..n]);
    match arch {
        Arch::Riscv64 if w[0] & 3 != 3 => (u16::from_le_bytes([w[0], w[1]]) as u32, 2),
        _ if arch.endian() == bohr_emu::ir::Endian::Big => (u32::from_be_bytes(w), 4),
        _ => (u32::from_le_bytes(w), 4),
    }
}

/// Seeds: random sequences from the differential test's generator, which
/// start the corpus on every table row's fixed bits.
fn generated_seeds(arch: Arch, n: u64) -> Vec<Vec<u8>> {
    let g = Generator::new(arch, false, None);
    (0..n).map(|i| g.sequence(g.seed(i)).code).collect()
}

/// The Thumb instruction at the start of `bytes` as `hw1 << 16 | hw2` (a
/// 16-bit one as itself) and its length.
fn thumb_word_at(bytes: &[u8]) -> (u32, usize) {
    let hw = |i: usize| bytes.get(i..i + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as u32);
    let len = bohr_emu::arch::arm::thumb::insn_len(bytes).min(bytes.len().max(2));
    if len == 4 { ((hw(0) << 16) | hw(2), 4) } else { (hw(0), 2) }
}

struct Lift {
    arch: Arch,
    frontend: &'static dyn Frontend,
    table: Vec<Encoding>,
}

impl Target for Lift {
    fn seeds(&self) -> Vec<Vec<u8>> {
        generated_seeds(self.arch, 64)
    }

    fn max_len(&self) -> usize {
        512
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        const PC: u64 = 0x40_0000;
        let mut off = 0;
        let mut before = [0u8; 4];
        while off < input.len() {
            let start = off;
            let pc = PC + off as u64;
            let mut b = BlockBuilder::new(pc);
            let n = off.min(4);
            before[..n].copy_from_slice(&input[off - n..off]);
            self.frontend.begin_block(pc, &before[..n], &mut b);
            while off < input.len() {
                let cur = b.end_pc();
                let at = (cur - PC) as usize;
                let end = (at + self.frontend.max_insn_len()).min(input.len());
                self.frontend.lift_insn(cur, &input[at..end], &mut b);
                let (word, len) = word_at(self.arch, &input[at..end]);
                let r = row(&self.table, word, len).map_or(u64::MAX, |r| r as u64);
                features.push(feature(1, r));
                off = (b.end_pc() - PC) as usize;
                if b.is_terminated() || b.insn_count() >= 32 || b.end_pc() == cur {
                    break;
                }
            }
            let block = b.finish();
            if let Err(e) = validate(&block) {
                panic!("{} lifted an invalid block at {:#x}: {e}", self.arch, block.pc);
            }
            features.push(feature_str(
                2,
                &format!("{:?}", block.exit).chars().take(6).collect::<String>(),
            ));
            if off <= start {
                // Nothing consumed: the rest cannot be lifted further.
                break;
            }
        }
    }
}

struct Diff {
    arch: Arch,
    table: Vec<Encoding>,
    engines: Differential,
    /// armel code run in Thumb state (`diff-armel-thumb`).
    thumb: bool,
}

impl Target for Diff {
    fn seeds(&self) -> Vec<Vec<u8>> {
        // A seed is a fuel byte, then the code.
        let codes = if self.thumb {
            let g = Generator::thumb(false);
            (0..32).map(|i| g.sequence(g.seed(i)).code).collect()
        } else {
            generated_seeds(self.arch, 32)
        };
        codes.into_iter().map(|code| [&[14u8][..], &code].concat()).collect()
    }

    fn max_len(&self) -> usize {
        1 + 16 * 4
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        let Some((&fuel, code)) = input.split_first() else { return };
        let unit = if self.thumb { 2 } else { 4 };
        let code = &code[..code.len() - code.len() % unit];
        if code.is_empty() {
            return;
        }
        // The start state comes from the fuel byte, as the generator's does
        // from its seed: registers pointing into the data region or not.
        // (Not from the code, so shrinking the code keeps the state.)
        let seed = fuel as u64;
        let mut rng = Rng(seed);
        let mut regs = vec![0u64; NUM_SLOTS];
        for r in regs.iter_mut().take(32) {
            let v = match rng.below(4) {
                0 | 1 => DATA + rng.below(DATA_LEN as u64),
                2 => rng.below(64),
                _ => rng.next_u64(),
            };
            *r = if self.arch.is_64bit() { v } else { v & 0xffff_ffff };
        }
        random::keep_invariants(self.arch, &mut regs);
        let mut names = Vec::new();
        let mut at = 0;
        while at < code.len() {
            let (word, len) = if self.thumb {
                thumb_word_at(&code[at..])
            } else {
                word_at(self.arch, &code[at..])
            };
            let r = row(&self.table, word, len);
            names.push(r.map_or("?", |r| self.table[r].name));
            features.push(feature(3, r.map_or(u64::MAX, |r| r as u64)));
            at += len;
        }
        let seq = Sequence {
            seed,
            looped: false,
            code: code.to_vec(),
            names,
            regs,
            fuel: 1 + fuel as u64 % 64,
            thumb: self.thumb,
        };
        match self.engines.check(&seq) {
            Ok(a) => features.push(feature_str(4, &format!("{:?}", a.stop))),
            Err(e) => panic!("engines differ: {e}"),
        }
    }
}

macro_rules! code_targets {
    ($($lift:ident $diff:ident $arch:ident $name:literal;)*) => {$(
        pub const $lift: TargetSpec = TargetSpec {
            name: concat!("lift-", $name),
            features: "decoder table rows matched, block exit kinds",
            make: || {
                let frontend = frontend_for(Arch::$arch).expect("frontend exists");
                Box::new(Lift { arch: Arch::$arch, frontend, table: random::encodings(Arch::$arch) })
            },
        };
        pub const $diff: TargetSpec = TargetSpec {
            name: concat!("diff-", $name),
            features: "decoder table rows matched, stop reasons",
            make: || Box::new(Diff {
                arch: Arch::$arch,
                table: random::encodings(Arch::$arch),
                engines: Differential::new(Arch::$arch),
                thumb: false,
            }),
        };
    )*};
}

/// armel in Thumb state: the code as Thumb instructions (`diff-ARCH`
/// otherwise).
pub const DIFF_ARMEL_THUMB: TargetSpec = TargetSpec {
    name: "diff-armel-thumb",
    features: "Thumb encoding groups matched, stop reasons",
    make: || {
        Box::new(Diff {
            arch: Arch::Armel,
            table: random::thumb_encodings(),
            engines: Differential::new(Arch::Armel),
            thumb: true,
        })
    },
};

code_targets! {
    LIFT_RISCV64 DIFF_RISCV64 Riscv64 "riscv64";
    LIFT_AARCH64 DIFF_AARCH64 Aarch64 "aarch64";
    LIFT_POWERPC64 DIFF_POWERPC64 Powerpc64 "powerpc64";
    LIFT_MIPSEL DIFF_MIPSEL Mipsel "mipsel";
    LIFT_MIPSEB DIFF_MIPSEB Mipseb "mipseb";
    LIFT_ARMEL DIFF_ARMEL Armel "armel";
}
