//! The system-call layer, driven from a guest: the input becomes a guest
//! program that makes up to 32 system calls with chosen numbers and
//! arguments, then exits; it runs as a cell's only command on a fresh
//! machine (Bohr's shell, the embedded userland, a 1 MiB flash device).
//!
//! Numbers come mostly from the arch's own table (so every call Bohr
//! implements is reached), else anywhere; arguments are small integers,
//! -1, random words, pointers into a scratch buffer, pointers to path
//! strings, sizes or unmapped and kernel addresses. Nothing is excluded:
//! `fork`, `kill(-1, …)`, `execve`, `exit_group`, signal handlers at
//! random addresses all run, and must be contained by the machine's own
//! limits (the instruction limit ends every run). Random code runs only
//! inside Bohr, never under QEMU.
//!
//! Features: each call's number with its result (success or the errno),
//! each process's exit status, and why the run stopped.

use std::sync::Arc;

use arbitrary::Unstructured;
use bohr_emu::arch::{Arch, frontend_for};
use bohr_emu::machine::{
    GuestFile, MachineConfig, MtdFill, MtdSpec, RunControl, run_script_instrumented,
};
use bohr_emu::plugin::{Cx, Plugin, PluginHost, ProcessExit, SyscallEntry, SyscallExit};

use crate::elfgen::{Load, elf};
use crate::engine::{Target, TargetSpec, feature, feature_str};

pub const SYSCALL_RISCV64: TargetSpec = TargetSpec {
    name: "syscall-riscv64",
    features: "(syscall, result) pairs, exit statuses, stop kinds",
    make: || Box::new(Syscalls::new(Arch::Riscv64)),
};

pub const SYSCALL_MIPSEL: TargetSpec = TargetSpec {
    name: "syscall-mipsel",
    features: "(syscall, result) pairs, exit statuses, stop kinds",
    make: || Box::new(Syscalls::new(Arch::Mipsel)),
};

const MAX_CALLS: usize = 32;
/// The program's data segment: the call table, then path strings, then a
/// scratch buffer.
const DATA: u64 = 0x2_0000;
const STRINGS: u64 = 0x2_8000;
const SCRATCH: u64 = 0x3_0000;
const DATA_SIZE: u64 = 0x2_0000;
const CODE: u64 = 0x1_0000;
/// Instructions a run may take, over all its processes.
pub const MAX_INSNS: u64 = 1_000_000;

const PATHS: &[&str] = &[
    "/tmp/f",
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/proc/self/stat",
    "/",
    "/bin/sysfuzz",
    "/tmp",
    ".",
    "/dev/mtd0",
    "/etc/passwd",
    "/proc/self/fd/0",
    "/bin/sh",
    "..",
    "",
];

/// Records the features of a run.
#[derive(Default)]
struct Recorder {
    features: Vec<u64>,
    pending: Option<u64>,
}

impl Plugin for Recorder {
    fn syscall_entry(&mut self, _cx: &mut Cx, e: &SyscallEntry) {
        self.pending = Some(e.number);
        self.features.push(feature(50, e.number));
    }
    fn syscall_exit(&mut self, _cx: &mut Cx, e: &SyscallExit) {
        let result = match e.result {
            Ok(_) => 0,
            Err(errno) => 1 + errno as u64,
        };
        self.features.push(feature(51, e.number << 16 | result));
        self.pending = None;
    }
    fn process_exit(&mut self, _cx: &mut Cx, e: &ProcessExit) {
        self.features.push(feature(52, e.status as u64));
    }
}

struct Syscalls {
    arch: Arch,
    numbers: Vec<u64>,
    cfg: MachineConfig,
}

impl Syscalls {
    fn new(arch: Arch) -> Self {
        let frontend = frontend_for(arch).expect("frontend exists");
        let numbers = frontend.syscall_abi().table.iter().map(|&(n, _)| n as u64).collect();
        let mut cfg = MachineConfig::new(arch);
        cfg.max_insns = MAX_INSNS;
        cfg.mtds.push(MtdSpec {
            name: "firmware".into(),
            size: 1 << 20,
            erasesize: 64 << 10,
            fill: MtdFill::Erased,
            writes: Vec::new(),
        });
        Syscalls { arch, numbers, cfg }
    }

    fn argument(&self, u: &mut Unstructured) -> arbitrary::Result<u64> {
        let wide = self.arch.is_64bit();
        let v = match u.int_in_range(0..=9u8)? {
            0 | 1 => u.int_in_range(0..=16u64)?,
            2 => u64::MAX,
            3 => u.arbitrary::<u64>()?,
            4 | 5 => SCRATCH + u.int_in_range(0..=0xfff0u64)?,
            6 => {
                let i = u.choose_index(PATHS.len())?;
                STRINGS + PATHS[..i].iter().map(|p| p.len() as u64 + 1).sum::<u64>()
            }
            7 => *u.choose(&[4096u64, 1 << 20, 1 << 31, 0x7fff_ffff])?,
            8 => *u.choose(&[0x1000u64, 0xffff_ffff_ffff_f000, 0x8000_0000, CODE])?,
            _ => u.arbitrary::<u32>()? as u64,
        };
        Ok(if wide { v } else { v & 0xffff_ffff })
    }

    /// The calls the input describes: (number, six arguments).
    fn calls(&self, input: &[u8]) -> Vec<[u64; 7]> {
        let mut u = Unstructured::new(input);
        let mut calls = Vec::new();
        let base = if matches!(self.arch, Arch::Mipsel | Arch::Mipseb) { 4000 } else { 0 };
        while calls.len() < MAX_CALLS && !u.is_empty() {
            let Ok(pick) = u.int_in_range(0..=19u8) else { break };
            let number = match pick {
                0 => base + u.int_in_range(0..=600u64).unwrap_or(0),
                1 => u.arbitrary::<u64>().unwrap_or(0),
                _ => {
                    let i = u.arbitrary::<u16>().unwrap_or(0) as usize;
                    self.numbers[i % self.numbers.len()]
                }
            };
            let mut call = [number, 0, 0, 0, 0, 0, 0];
            for a in &mut call[1..] {
                *a = self.argument(&mut u).unwrap_or(0);
            }
            calls.push(call);
        }
        calls
    }

    /// The guest program making `calls`.
    fn program(&self, calls: &[[u64; 7]]) -> Vec<u8> {
        let wide = self.arch.is_64bit();
        let big = self.arch.endian() == bohr_emu::ir::Endian::Big;
        let mut data = vec![0u8; (STRINGS - DATA) as usize];
        let word = if wide { 8 } else { 4 };
        for (k, call) in calls.iter().enumerate() {
            for (j, &v) in call.iter().enumerate() {
                let at = (k * 7 + j) * word;
                let bytes = match (wide, big) {
                    (true, _) => v.to_le_bytes().to_vec(),
                    (false, false) => (v as u32).to_le_bytes().to_vec(),
                    (false, true) => (v as u32).to_be_bytes().to_vec(),
                };
                data[at..at + word].copy_from_slice(&bytes);
            }
        }
        for p in PATHS {
            data.extend(p.as_bytes());
            data.push(0);
        }
        let code = match self.arch {
            Arch::Riscv64 => riscv64_code(calls.len()),
            _ => mips_code(calls.len(), big),
        };
        let loads = [
            Load { vaddr: CODE, memsz: code.len() as u64, bytes: code, flags: 5 },
            Load { vaddr: DATA, memsz: DATA_SIZE, bytes: data, flags: 6 },
        ];
        elf(self.arch, CODE, &loads, None)
    }
}

/// riscv64: `s0` = the table; per call `ld a7, a0..a5` from it and
/// `ecall`; then `exit(0)`.
fn riscv64_code(n: usize) -> Vec<u8> {
    let ld = |rd: u32, off: u32| (off << 20) | (8 << 15) | (3 << 12) | (rd << 7) | 0x03;
    let mut words = vec![((DATA as u32 >> 12) << 12) | (8 << 7) | 0x37]; // lui s0
    for k in 0..n as u32 {
        let off = k * 56;
        words.push(ld(17, off));
        for a in 0..6 {
            words.push(ld(10 + a, off + 8 + 8 * a));
        }
        words.push(0x73); // ecall
    }
    words.extend([(93 << 20) | (17 << 7) | 0x13, (10 << 7) | 0x13, 0x73]);
    words.into_iter().flat_map(u32::to_le_bytes).collect()
}

/// mips o32: `s0` = the table; per call `lw v0, a0..a3` from it, the fifth
/// and sixth arguments to the stack (`sp+16`, `sp+20`), `syscall`; then
/// `exit(0)`.
fn mips_code(n: usize, big: bool) -> Vec<u8> {
    let lw = |rt: u32, base: u32, off: u32| (0x23 << 26) | (base << 21) | (rt << 16) | off;
    let sw = |rt: u32, base: u32, off: u32| (0x2b << 26) | (base << 21) | (rt << 16) | off;
    let mut words = vec![
        (0xf << 26) | (16 << 16) | (DATA as u32 >> 16), // lui s0
        0x27bd_ffe0,                                    // addiu sp, sp, -32
    ];
    for k in 0..n as u32 {
        let off = k * 28;
        words.push(lw(2, 16, off));
        for a in 0..4 {
            words.push(lw(4 + a, 16, off + 4 + 4 * a));
        }
        words.extend([lw(8, 16, off + 20), sw(8, 29, 16), lw(8, 16, off + 24), sw(8, 29, 20)]);
        words.push(0xc); // syscall
    }
    words.extend([0x2402_0fa1, 0x2404_0000, 0xc]); // exit(0)
    words.into_iter().flat_map(|w| if big { w.to_be_bytes() } else { w.to_le_bytes() }).collect()
}

impl Target for Syscalls {
    fn seeds(&self) -> Vec<Vec<u8>> {
        // Every table entry once, with zero arguments, 32 calls a seed.
        // The number's index is a u16 in the input: find its byte order.
        let little = self.calls(&[2, 1, 0]).first().is_some_and(|c| c[0] == self.numbers[1]);
        let mut seeds = Vec::new();
        for chunk in (0..self.numbers.len() as u16).collect::<Vec<_>>().chunks(MAX_CALLS) {
            let mut s = Vec::new();
            for &i in chunk {
                s.push(2);
                s.extend(if little { i.to_le_bytes() } else { i.to_be_bytes() });
                s.extend([0u8; 12]);
            }
            seeds.push(s);
        }
        seeds
    }

    fn max_len(&self) -> usize {
        1024
    }

    fn run(&mut self, input: &[u8], features: &mut Vec<u64>) {
        let calls = self.calls(input);
        let program = self.program(&calls);
        let mut cfg = self.cfg.clone();
        cfg.files.push(GuestFile {
            path: "/bin/sysfuzz".into(),
            data: Arc::new(program),
            executable: true,
        });
        let mut host = PluginHost::new();
        let id = host.add(Recorder::default());
        let handle = host.into_handle();
        let outcome = run_script_instrumented(
            &cfg,
            "sysfuzz.sh",
            "sysfuzz\necho $?\n",
            &RunControl::default(),
            Some(handle.clone()),
        )
        .expect("the fuzz script is valid");
        let mut host = handle.borrow_mut();
        let rec = host.get(id);
        features.append(&mut rec.features);
        if let Some(n) = rec.pending {
            // The last call never returned (an exit, or the run stopped).
            features.push(feature(53, n));
        }
        features.push(feature_str(
            54,
            &format!("{:?}", outcome.stopped.map(|s| std::mem::discriminant(&s))),
        ));
    }
}
