//! Helpers shared by the `machine_*` tests: standard cell configurations,
//! the repository's guest scripts, outcome comparison, and a tiny riscv64
//! assembler with an ELF writer for test programs that make system calls
//! none of the guest programs make.

#![allow(dead_code)]

use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{
    GuestFile, MachineConfig, MtdFill, MtdSpec, Outcome, RunControl, WritePath, run_script,
};

pub const ENGINES: [EngineKind; 2] = [EngineKind::Interp, EngineKind::Jit];

/// The magic string of the standard flash, followed by a NUL so `strings`
/// prints exactly it even over random fill.
pub const MAGIC: &str = "PENGUIN_MTD_MAGIC_831";

/// The standard cell: one 1 MiB "firmware" flash with random fill and the
/// magic at 0x1000, `MTD=mtd0`, JIT threshold 8.
pub fn cell(arch: Arch, engine: EngineKind, write_path: WritePath) -> MachineConfig {
    let mut cfg = MachineConfig::new(arch);
    cfg.engine = engine;
    cfg.write_path = write_path;
    // Compile blocks that ran a few times: hot code still runs compiled,
    // and unoptimised test builds do not spend their time in Cranelift.
    cfg.jit_threshold = 8;
    let mut magic = MAGIC.as_bytes().to_vec();
    magic.push(0);
    cfg.mtds.push(MtdSpec {
        name: "firmware".into(),
        size: 1 << 20,
        erasesize: 64 << 10,
        fill: MtdFill::Random,
        writes: vec![(0x1000, magic)],
    });
    cfg.env.push(("MTD".into(), "mtd0".into()));
    cfg
}

pub fn riscv(engine: EngineKind) -> MachineConfig {
    cell(Arch::Riscv64, engine, WritePath::Host)
}

/// Text of `guest-scripts/NAME.sh`.
pub fn script(name: &str) -> String {
    let path = format!("{}/../guest-scripts/{name}.sh", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Run a script text; panics on a script or configuration error (the
/// tests that expect those call `run_script` themselves).
pub fn run(cfg: &MachineConfig, text: &str) -> Outcome {
    run_script(cfg, "test.sh", text, &RunControl::default())
        .unwrap_or_else(|e| panic!("script rejected: {e}\n{text}"))
}

pub fn stdout(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Outcome) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every event, one per line, for messages.
pub fn events(o: &Outcome) -> String {
    o.events.iter().map(|e| format!("{e}\n")).collect()
}

/// Everything but host timings, for comparing runs.
pub fn guest_view(o: &Outcome) -> String {
    let mut stats = o.stats;
    stats.compile_us = 0;
    stats.regions_shared = 0;
    stats.wall_ms = 0;
    stats.blocks_compiled = 0;
    format!(
        "exit {} stopped {:?}\nstdout {:?}\nstderr {:?}\nevents {:?}\nprocesses {:?}\ninsns {} switches {} schedule {:x}\nfingerprint {:x}",
        o.exit_code,
        o.stopped,
        stdout(o),
        stderr(o),
        o.events,
        o.processes,
        stats.insns,
        stats.context_switches,
        stats.schedule_hash,
        o.fingerprint
    )
}

/// [`guest_view`] without what legitimately differs between engines:
/// translation-cache bookkeeping (`BlocksInvalidated` events and block
/// counts; the JIT translates ahead). The fingerprint leaves them out too.
pub fn engine_neutral_view(o: &Outcome) -> String {
    let mut o = o.clone();
    o.events.retain(|e| !matches!(e, bohr_emu::events::Event::BlocksInvalidated { .. }));
    o.stats.blocks_translated = 0;
    guest_view(&o)
}

/// Add a test program as `/bin/NAME`.
pub fn add_program(cfg: &mut MachineConfig, name: &str, elf: Vec<u8>) {
    cfg.files.push(GuestFile {
        path: format!("/bin/{name}"),
        data: Arc::new(elf),
        executable: true,
    });
}

// ----- a tiny riscv64 assembler ------------------------------------------

pub const ZERO: u32 = 0;
pub const RA: u32 = 1;
pub const SP: u32 = 2;
pub const T0: u32 = 5;
pub const T1: u32 = 6;
pub const T2: u32 = 7;
pub const S0: u32 = 8;
pub const S1: u32 = 9;
pub const A0: u32 = 10;
pub const A1: u32 = 11;
pub const A2: u32 = 12;
pub const A3: u32 = 13;
pub const A7: u32 = 17;

/// Linux riscv64 system call numbers used by the test programs.
pub mod nr {
    pub const UNLINKAT: u32 = 35;
    pub const OPENAT: u32 = 56;
    pub const CLOSE: u32 = 57;
    pub const PIPE2: u32 = 59;
    pub const GETDENTS64: u32 = 61;
    pub const READ: u32 = 63;
    pub const WRITE: u32 = 64;
    pub const EXIT_GROUP: u32 = 94;
    pub const NANOSLEEP: u32 = 101;
    pub const CLOCK_GETTIME: u32 = 113;
    pub const SCHED_YIELD: u32 = 124;
    pub const MMAP: u32 = 222;
    pub const MPROTECT: u32 = 226;
}

/// Code and data of one program. Code starts at [`CODE_BASE`]; `data`
/// follows the code, 8-aligned, and then `bss` zero bytes.
#[derive(Default)]
pub struct Asm {
    words: Vec<u32>,
    labels: Vec<Option<usize>>,
    /// (instruction index, label, kind) to patch.
    fixups: Vec<(usize, usize, Fix)>,
    data: Vec<u8>,
    /// (instruction index of an `auipc`, data offset) pairs.
    data_refs: Vec<(usize, usize)>,
    pub bss: u64,
}

#[derive(Clone, Copy)]
enum Fix {
    Branch,
    Jal,
}

/// Where the loaded image starts; code starts after the headers.
pub const IMAGE_BASE: u64 = 0x10000;
const HEADERS: u64 = 64 + 56;
pub const CODE_BASE: u64 = IMAGE_BASE + HEADERS;

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}

fn s_type(f3: u32, rs1: u32, rs2: u32, imm: i32) -> u32 {
    let imm = imm as u32;
    (((imm >> 5) & 0x7f) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | ((imm & 0x1f) << 7)
        | 0x23
}

fn b_imm(imm: i32) -> u32 {
    let imm = imm as u32;
    (((imm >> 12) & 1) << 31)
        | (((imm >> 5) & 0x3f) << 25)
        | (((imm >> 1) & 0xf) << 8)
        | (((imm >> 11) & 1) << 7)
}

fn j_imm(imm: i32) -> u32 {
    let imm = imm as u32;
    (((imm >> 20) & 1) << 31)
        | (((imm >> 1) & 0x3ff) << 21)
        | (((imm >> 11) & 1) << 20)
        | (((imm >> 12) & 0xff) << 12)
}

impl Asm {
    /// A program with `bss` zero bytes after its data.
    pub fn with_bss(bss: u64) -> Asm {
        Asm { bss, ..Default::default() }
    }

    pub fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }

    pub fn bind(&mut self, l: usize) {
        self.labels[l] = Some(self.words.len());
    }

    fn emit(&mut self, w: u32) {
        self.words.push(w);
    }

    pub fn addi(&mut self, rd: u32, rs1: u32, imm: i32) {
        assert!((-2048..2048).contains(&imm));
        self.emit(i_type(0x13, 0, rd, rs1, imm));
    }

    pub fn mv(&mut self, rd: u32, rs: u32) {
        self.addi(rd, rs, 0);
    }

    /// Load a 32-bit signed constant.
    pub fn li(&mut self, rd: u32, v: i32) {
        let lo = (v << 20) >> 20;
        let hi = v.wrapping_sub(lo) as u32;
        if hi != 0 {
            self.emit((hi & 0xffff_f000) | (rd << 7) | 0x37); // lui
            self.emit(i_type(0x1b, 0, rd, rd, lo)); // addiw
        } else {
            self.addi(rd, ZERO, lo);
        }
    }

    pub fn slli(&mut self, rd: u32, rs1: u32, shamt: u32) {
        assert!(shamt < 64);
        self.emit(i_type(0x13, 1, rd, rs1, shamt as i32));
    }

    pub fn add(&mut self, rd: u32, rs1: u32, rs2: u32) {
        self.emit((rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33);
    }

    pub fn sub(&mut self, rd: u32, rs1: u32, rs2: u32) {
        self.emit((0x20 << 25) | (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33);
    }

    pub fn ld(&mut self, rd: u32, rs1: u32, imm: i32) {
        self.emit(i_type(0x03, 3, rd, rs1, imm));
    }

    pub fn lw(&mut self, rd: u32, rs1: u32, imm: i32) {
        self.emit(i_type(0x03, 2, rd, rs1, imm));
    }

    pub fn lhu(&mut self, rd: u32, rs1: u32, imm: i32) {
        self.emit(i_type(0x03, 5, rd, rs1, imm));
    }

    pub fn lbu(&mut self, rd: u32, rs1: u32, imm: i32) {
        self.emit(i_type(0x03, 4, rd, rs1, imm));
    }

    pub fn sd(&mut self, rs2: u32, rs1: u32, imm: i32) {
        self.emit(s_type(3, rs1, rs2, imm));
    }

    pub fn sb(&mut self, rs2: u32, rs1: u32, imm: i32) {
        self.emit(s_type(0, rs1, rs2, imm));
    }

    fn branch(&mut self, f3: u32, rs1: u32, rs2: u32, l: usize) {
        self.fixups.push((self.words.len(), l, Fix::Branch));
        self.emit((rs2 << 20) | (rs1 << 15) | (f3 << 12) | 0x63);
    }

    pub fn beq(&mut self, a: u32, b: u32, l: usize) {
        self.branch(0, a, b, l);
    }

    pub fn bne(&mut self, a: u32, b: u32, l: usize) {
        self.branch(1, a, b, l);
    }

    pub fn blt(&mut self, a: u32, b: u32, l: usize) {
        self.branch(4, a, b, l);
    }

    pub fn bge(&mut self, a: u32, b: u32, l: usize) {
        self.branch(5, a, b, l);
    }

    pub fn bltu(&mut self, a: u32, b: u32, l: usize) {
        self.branch(6, a, b, l);
    }

    pub fn j(&mut self, l: usize) {
        self.fixups.push((self.words.len(), l, Fix::Jal));
        self.emit(0x6f);
    }

    pub fn ecall(&mut self) {
        self.emit(0x73);
    }

    /// `a7 = nr; ecall`.
    pub fn sys(&mut self, nr: u32) {
        self.li(A7, nr as i32);
        self.ecall();
    }

    pub fn exit(&mut self, code: i32) {
        self.li(A0, code);
        self.sys(nr::EXIT_GROUP);
    }

    /// Add bytes to the data area; returns their offset in it.
    pub fn data(&mut self, bytes: &[u8]) -> usize {
        while !self.data.len().is_multiple_of(8) {
            self.data.push(0);
        }
        let off = self.data.len();
        self.data.extend_from_slice(bytes);
        off
    }

    /// `rd = address of data offset` (auipc + addi, patched at link).
    pub fn la(&mut self, rd: u32, data_off: usize) {
        self.data_refs.push((self.words.len(), data_off));
        self.emit((rd << 7) | 0x17);
        self.emit(i_type(0x13, 0, rd, rd, 0));
    }

    /// `rd = address of bss offset` (the bss starts page-aligned).
    pub fn la_bss(&mut self, rd: u32, bss_off: u64) {
        // The bss follows the data; data offsets past its end land there.
        self.data_refs.push((self.words.len(), usize::MAX - bss_off as usize));
        self.emit((rd << 7) | 0x17);
        self.emit(i_type(0x13, 0, rd, rd, 0));
    }

    /// Write `text` to stdout.
    pub fn print(&mut self, text: &str) {
        let off = self.data(text.as_bytes());
        self.li(A0, 1);
        self.la(A1, off);
        self.li(A2, text.len() as i32);
        self.sys(nr::WRITE);
    }

    /// A static riscv64 ELF executable of this program.
    pub fn elf(mut self) -> Vec<u8> {
        for &(at, l, kind) in &self.fixups {
            let target = self.labels[l].expect("label bound") as i32;
            let off = (target - at as i32) * 4;
            self.words[at] |= match kind {
                Fix::Branch => b_imm(off),
                Fix::Jal => j_imm(off),
            };
        }
        let code_len = self.words.len() as u64 * 4;
        let data_start = CODE_BASE + ((code_len + 7) & !7);
        let data_len = self.data.len() as u64;
        // The bss starts on its own page, so writes to it never touch the
        // page holding code.
        let bss_start = (CODE_BASE + (data_start - CODE_BASE) + data_len).next_multiple_of(4096);
        for &(at, off) in &self.data_refs {
            let addr = if off > usize::MAX / 2 {
                let bss_off = (usize::MAX - off) as u64;
                bss_start + bss_off
            } else {
                data_start + off as u64
            };
            let pc = CODE_BASE + at as u64 * 4;
            let delta = (addr - pc) as i32;
            let lo = (delta << 20) >> 20;
            let hi = delta.wrapping_sub(lo) as u32;
            self.words[at] |= hi & 0xffff_f000;
            self.words[at + 1] |= ((lo as u32) & 0xfff) << 20;
        }
        let mut body: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        body.resize((data_start - CODE_BASE) as usize, 0);
        body.extend_from_slice(&self.data);
        body.resize(body.len().next_multiple_of(8), 0);
        let filesz = HEADERS + body.len() as u64;
        let memsz = bss_start - IMAGE_BASE + self.bss;

        let mut e = Vec::new();
        e.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
        e.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        e.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
        e.extend_from_slice(&1u32.to_le_bytes());
        e.extend_from_slice(&CODE_BASE.to_le_bytes()); // e_entry
        e.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
        e.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        e.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        e.extend_from_slice(&64u16.to_le_bytes());
        e.extend_from_slice(&56u16.to_le_bytes());
        e.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
        e.extend_from_slice(&64u16.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        e.extend_from_slice(&7u32.to_le_bytes()); // RWX: code, data and bss in one
        e.extend_from_slice(&0u64.to_le_bytes()); // p_offset
        e.extend_from_slice(&IMAGE_BASE.to_le_bytes());
        e.extend_from_slice(&IMAGE_BASE.to_le_bytes());
        e.extend_from_slice(&filesz.to_le_bytes());
        e.extend_from_slice(&memsz.to_le_bytes());
        e.extend_from_slice(&0x1000u64.to_le_bytes());
        assert_eq!(e.len() as u64, HEADERS);
        e.extend_from_slice(&body);
        e
    }
}

/// A program that runs one path system call on `argv[1]` and exits with
/// its errno (0 on success): `a0 = AT_FDCWD, a1 = argv[1], a2, a3`.
pub fn errno_program(nr: u32, a2: i32, a3: i32) -> Vec<u8> {
    let mut a = Asm::default();
    a.ld(A1, SP, 16);
    a.li(A0, -100);
    a.li(A2, a2);
    a.li(A3, a3);
    a.sys(nr);
    let ok = a.label();
    a.bge(A0, ZERO, ok);
    a.sub(A0, ZERO, A0);
    a.sys(nr::EXIT_GROUP);
    a.bind(ok);
    a.exit(0);
    a.elf()
}

/// `printenv`: print each environment string on its own line.
pub fn printenv_program() -> Vec<u8> {
    let mut a = Asm::default();
    let nl = a.data(b"\n");
    // envp = sp + 8 + 8 * argc + 8
    a.ld(T0, SP, 0);
    a.slli(T0, T0, 3);
    a.add(S0, SP, T0);
    a.addi(S0, S0, 16);
    let next = a.label();
    let done = a.label();
    let scan = a.label();
    let found = a.label();
    a.bind(next);
    a.ld(S1, S0, 0);
    a.beq(S1, ZERO, done);
    a.mv(T1, S1);
    a.bind(scan);
    a.lbu(T2, T1, 0);
    a.beq(T2, ZERO, found);
    a.addi(T1, T1, 1);
    a.j(scan);
    a.bind(found);
    a.sub(A2, T1, S1);
    a.mv(A1, S1);
    a.li(A0, 1);
    a.sys(nr::WRITE);
    a.li(A0, 1);
    a.la(A1, nl);
    a.li(A2, 1);
    a.sys(nr::WRITE);
    a.addi(S0, S0, 8);
    a.j(next);
    a.bind(done);
    a.exit(0);
    a.elf()
}
