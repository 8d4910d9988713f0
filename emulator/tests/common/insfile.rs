//! The data-driven instruction test runner shared by every architecture.
//!
//! `tests/insns.rs` describes each architecture with an [`ArchSpec`]
//! (register names and their initial values, its `.ins` files, which
//! decoder rows they must exercise) and calls [`run`] once per engine; how
//! long an instruction is, which decoder row it hits and capstone's text
//! for it come from the arch's `Frontend`. The line syntax is documented at
//! the top of each `.ins` file:
//!
//! ```text
//! BYTES | DISASSEMBLY | INPUTS | EXPECTED
//! ```
//!
//! Every case runs on a fresh `bohr_emu::testing::Harness`, and the runner
//! checks registers, memory, pc, instruction count and how execution
//! stopped. It also checks each line's disassembly column against
//! capstone, so a line cannot silently test other bytes than it claims,
//! and that every encoding of the decoder's table is exercised. All
//! failures are reported together, with file names and line numbers.

use std::collections::BTreeSet;

use bohr_emu::arch::{Arch, Frontend, frontend_for, frontend_for_mode};
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::TrapKind;
use bohr_emu::testing::Harness;

/// One `.ins` file of an arch.
pub struct InsFile {
    /// Path of the file.
    pub path: String,
    /// Its instruction words are written most significant byte first and
    /// run with each 4-byte word reversed: the mips cases shared by both
    /// byte orders, on mipsel.
    pub reverse_words: bool,
}

/// What the runner needs to know about one architecture.
pub struct ArchSpec {
    pub arch: Arch,
    /// The files whose cases run, in order.
    pub files: Vec<InsFile>,
    /// Register names a line may assign or check, with the value each
    /// holds before the line's inputs are applied.
    pub regs: Vec<(&'static str, u64)>,
    /// Decoder-table entry names the files must hit, each by some line.
    pub encodings: Vec<&'static str>,
    /// Pc bits that select an execution state rather than an address
    /// (armel's Thumb bit): set in the default pc, clear where the code is
    /// mapped.
    pub pc_state: u64,
    /// Instruction length in that state, where the frontend's table
    /// (`insn_len`, decoder rows) describes the other one (armel Thumb).
    pub state_insn_len: Option<fn(&[u8]) -> usize>,
    /// The execution mode the cases run in (`Frontend::mode`: the mips
    /// FPU mode).
    pub mode: u32,
}

impl ArchSpec {
    fn frontend(&self) -> &'static dyn Frontend {
        frontend_for_mode(self.arch, self.mode).expect("the arch has a frontend")
    }

    fn insn_len(&self, bytes: &[u8]) -> usize {
        match self.state_insn_len {
            Some(len) => len(bytes),
            None => self.frontend().insn_len(bytes),
        }
    }
}

/// Where code is mapped unless a line says otherwise.
const DEFAULT_PC: u64 = 0x4000_0000;

/// How a case is expected to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Retired,
    Syscall,
    Illegal,
    Breakpoint,
    TrapInstruction,
    ArithmeticTrap,
    FpException,
    FetchFault(u64),
    Fault(u64),
}

#[derive(Debug, Default)]
struct Assigns {
    regs: Vec<(String, u64)>,
    mems: Vec<(u64, Vec<u8>)>,
    pc: Option<u64>,
    icount: Option<u64>,
    vclock_bias: Option<u64>,
    stop: Option<Stop>,
}

#[derive(Debug)]
struct Case {
    line: usize,
    bytes: Vec<u8>,
    disasm: String,
    input: Assigns,
    expect: Assigns,
}

fn parse_value(s: &str) -> Result<u64, String> {
    let bad = || format!("bad value `{s}`");
    if let Some(hex) = s.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).map_err(|_| bad())
    } else if let Some(neg) = s.strip_prefix('-') {
        neg.parse::<u64>().map(u64::wrapping_neg).map_err(|_| bad())
    } else {
        s.parse::<u64>().map_err(|_| bad())
    }
}

fn parse_hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in `{s}`"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("bad hex `{s}`")))
        .collect()
}

fn parse_assigns(spec: &ArchSpec, field: &str) -> Result<Assigns, String> {
    let mut a = Assigns::default();
    for tok in field.split_whitespace() {
        let set_stop = |a: &mut Assigns, s| {
            if a.stop.replace(s).is_some() {
                Err(format!("two stop kinds at `{tok}`"))
            } else {
                Ok(())
            }
        };
        if tok == "syscall" {
            set_stop(&mut a, Stop::Syscall)?;
            continue;
        }
        let (key, value) = tok.split_once('=').ok_or_else(|| format!("bad token `{tok}`"))?;
        if let Some(addr) = key.strip_prefix("mem[").and_then(|k| k.strip_suffix(']')) {
            a.mems.push((parse_value(addr)?, parse_hex_bytes(value)?));
            continue;
        }
        match key {
            "pc" => a.pc = Some(parse_value(value)?),
            "icount" => a.icount = Some(parse_value(value)?),
            "vclock_bias" => a.vclock_bias = Some(parse_value(value)?),
            "fault" => set_stop(&mut a, Stop::Fault(parse_value(value)?))?,
            "trap" => {
                let stop = match value.split_once(':') {
                    None if value == "illegal" => Stop::Illegal,
                    None if value == "breakpoint" => Stop::Breakpoint,
                    None if value == "trap" => Stop::TrapInstruction,
                    None if value == "fpe" => Stop::ArithmeticTrap,
                    None if value == "fp" => Stop::FpException,
                    Some(("fetchfault", addr)) => Stop::FetchFault(parse_value(addr)?),
                    _ => return Err(format!("bad trap `{value}`")),
                };
                set_stop(&mut a, stop)?;
            }
            _ if spec.regs.iter().any(|&(n, _)| n == key) => {
                a.regs.push((key.to_string(), parse_value(value)?))
            }
            _ => return Err(format!("unknown name `{key}`")),
        }
    }
    Ok(a)
}

fn parse_case(spec: &ArchSpec, file: &InsFile, line: usize, text: &str) -> Result<Case, String> {
    let fields: Vec<&str> = text.split('|').map(str::trim).collect();
    let [bytes, disasm, input, expect] = fields[..] else {
        return Err(format!("expected 4 `|`-separated fields, found {}", fields.len()));
    };
    let mut bytes = bytes
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("bad byte `{b}`")))
        .collect::<Result<Vec<u8>, String>>()?;
    if bytes.is_empty() {
        return Err("no bytes".into());
    }
    if file.reverse_words {
        if !bytes.len().is_multiple_of(4) {
            return Err("bytes are not whole words".into());
        }
        bytes.chunks_mut(4).for_each(<[u8]>::reverse);
    }
    let input = parse_assigns(spec, input)?;
    if input.stop.is_some() {
        return Err("a stop kind among the inputs".into());
    }
    Ok(Case {
        line,
        bytes,
        disasm: disasm.to_string(),
        input,
        expect: parse_assigns(spec, expect)?,
    })
}

/// `(offset, length)` of each instruction in `bytes`; the last one may be
/// cut short.
fn split_insns(spec: &ArchSpec, bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < bytes.len() {
        let len = spec.insn_len(&bytes[off..]).max(1).min(bytes.len() - off);
        out.push((off, len));
        off += len;
    }
    out
}

fn normalise(s: &str) -> String {
    s.split(';')
        .map(|part| part.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Run one case; returns the list of mismatches.
fn run_case(
    spec: &ArchSpec,
    case: &Case,
    kind: EngineKind,
    covered: &mut BTreeSet<&'static str>,
) -> Vec<String> {
    let mut errs = Vec::new();
    let pc = case.input.pc.unwrap_or(DEFAULT_PC | spec.pc_state);
    let insns = split_insns(spec, &case.bytes);

    // The disassembly column must match capstone's reading of the bytes.
    let text: Vec<String> = insns
        .iter()
        .map(|&(off, len)| {
            spec.frontend()
                .disassemble(pc + off as u64, &case.bytes[off..off + len])
                .filter(|&(_, n)| n == len)
                .map_or_else(|| "(bad)".to_string(), |(t, _)| t)
        })
        .collect();
    let got = normalise(&text.join("; "));
    if got != normalise(&case.disasm) {
        errs.push(format!("disassembly is `{got}`, line says `{}`", case.disasm));
    }
    for &(off, len) in &insns {
        if spec.state_insn_len.is_none()
            && let Some(name) = spec.frontend().encoding_name(&case.bytes[off..off + len])
        {
            covered.insert(name);
        }
    }

    // Blocks end with the case's code, so the JIT runs it compiled.
    let mut h = Harness::with_block_limit(spec.arch, spec.mode, kind, insns.len() as u32);
    for (addr, bytes) in &case.input.mems {
        h.map_data(*addr, bytes);
    }
    h.map_code(bohr_emu::ir::pc_address(pc) & !spec.pc_state, &case.bytes);
    h.cpu.pc = pc;
    for &(name, value) in &spec.regs {
        h.set_reg(name, value);
    }
    for (name, value) in &case.input.regs {
        h.set_reg(name, *value);
    }
    let icount0 = case.input.icount.unwrap_or(0);
    h.cpu.icount = icount0;
    h.cpu.vclock_bias = case.input.vclock_bias.unwrap_or(0);

    let n = insns.len() as u64;
    let stop = h.step(n);

    let (last_off, last_len) = *insns.last().expect("bytes are not empty");
    let last_pc = pc + last_off as u64;
    let end_pc = pc + case.bytes.len() as u64;
    let expected = case.expect.stop.unwrap_or(Stop::Retired);
    let stop_ok = match (expected, stop) {
        (Stop::Retired, StopReason::FuelExhausted) => true,
        (Stop::Syscall, StopReason::Syscall) => true,
        (Stop::Breakpoint, StopReason::Trap(TrapKind::Breakpoint)) => true,
        (Stop::TrapInstruction, StopReason::Trap(TrapKind::TrapInstruction)) => true,
        (Stop::ArithmeticTrap, StopReason::Trap(TrapKind::ArithmeticTrap)) => true,
        (Stop::FpException, StopReason::Trap(TrapKind::FpException)) => true,
        (Stop::Illegal, StopReason::Trap(TrapKind::IllegalInstruction { bytes, len })) => {
            let raw = &case.bytes[last_off..last_off + last_len];
            let packed = raw.iter().rev().fold(0u32, |w, &b| (w << 8) | b as u32);
            bytes == packed && len as usize == last_len
        }
        (Stop::FetchFault(a), StopReason::Trap(TrapKind::FetchFault { addr })) => a == addr,
        (Stop::Fault(a), StopReason::Fault(f)) => a == f.addr,
        _ => false,
    };
    if !stop_ok {
        errs.push(format!("stopped with {stop:x?}, expected {expected:x?}"));
    }
    let (default_pc, retired) = match expected {
        Stop::Retired | Stop::Syscall => (end_pc, n),
        _ => (last_pc, n - 1),
    };
    let want_pc = case.expect.pc.unwrap_or(default_pc);
    if h.pc() != want_pc {
        errs.push(format!("pc={:#x}, expected {want_pc:#x}", h.pc()));
    }
    if h.icount() != icount0 + retired {
        errs.push(format!("icount={}, expected {}", h.icount(), icount0 + retired));
    }
    // The JIT's run must be compiled code's, not the interpreter's. All of
    // it but where the case's code leaves compiled code by design: after a
    // code-synchronising instruction (`isb`, `fence.i`, `synci`), an
    // annulled delay slot, a start inside a delay slot.
    let compiled = h.stats().insns_run_compiled;
    if kind == EngineKind::Jit && expected == Stop::Retired && compiled == 0 {
        errs.push(format!("compiled code retired none of the {n} instructions"));
    }

    // Every register: the expected value if listed, else its input value,
    // else its initial value.
    for &(name, initial) in &spec.regs {
        let find = |a: &Assigns| a.regs.iter().rev().find(|(n, _)| n == name).map(|&(_, v)| v);
        let want = find(&case.expect).or_else(|| find(&case.input)).unwrap_or(initial);
        let got = h.reg(name);
        if got != want {
            errs.push(format!("{name}={got:#x}, expected {want:#x}"));
        }
    }
    for (addr, want) in &case.expect.mems {
        match h.read_mem(*addr, want.len()) {
            Some(got) if got == *want => {}
            got => errs.push(format!("mem[{addr:#x}]={:02x?}, expected {want:02x?}", got)),
        }
    }
    errs
}

/// The encoding names hit by the lines of `path` that do not trap.
pub fn encodings_hit(arch: Arch, path: &str) -> BTreeSet<&'static str> {
    let frontend = frontend_for(arch).expect("the arch has a frontend");
    let text = std::fs::read_to_string(path).expect("instruction test file is readable");
    let mut hit = BTreeSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() == 4 && !fields[3].contains("trap=") {
            let bytes: Vec<u8> = fields[0]
                .split_whitespace()
                .filter_map(|b| u8::from_str_radix(b, 16).ok())
                .collect();
            if let Some(name) = frontend.encoding_name(&bytes) {
                hit.insert(name);
            }
        }
    }
    hit
}

/// Run every case of `spec`'s files under `kind`; panics with every
/// failure.
pub fn run(spec: &ArchSpec, kind: EngineKind) {
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    let mut cases = 0;
    for file in &spec.files {
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        let text = std::fs::read_to_string(&file.path).expect("instruction test file is readable");
        let mut file_cases = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.trim();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            file_cases += 1;
            match parse_case(spec, file, line, body) {
                Ok(case) => {
                    for e in run_case(spec, &case, kind, &mut covered) {
                        failures.push(format!("{name} line {}: {e}\n    {body}", case.line));
                    }
                }
                Err(e) => {
                    failures.push(format!("{name} line {line}: parse error: {e}\n    {body}"))
                }
            }
        }
        assert!(file_cases > 0, "no cases in {}", file.path);
        cases += file_cases;
    }
    let uncovered: Vec<&str> =
        spec.encodings.iter().copied().filter(|n| !covered.contains(n)).collect();
    if !uncovered.is_empty() {
        failures.push(format!("encodings without a test line: {}", uncovered.join(", ")));
    }
    assert!(
        failures.is_empty(),
        "{} {kind}: {} failure(s) in {cases} cases:\n{}",
        spec.arch,
        failures.len(),
        failures.join("\n")
    );
}
