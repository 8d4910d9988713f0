//! Data-driven riscv64 instruction tests.
//!
//! Reads `tests/insns/riscv64.ins` (its header documents the line syntax),
//! runs every case on a fresh `bohr_emu::testing::Harness` with the
//! reference interpreter, and again with the JIT engine so both engines are
//! held to the same data, and checks registers, memory, pc, instruction
//! count and how execution stopped. It also checks each line's disassembly
//! column against capstone, so a line cannot silently test other bytes than
//! it claims, and that every encoding of the decoder's tables is exercised.
//! All failures are reported together, with line numbers.

use std::collections::BTreeSet;

use bohr_emu::arch::Arch;
use bohr_emu::arch::riscv64::decode::{self, Decoded};
use bohr_emu::arch::riscv64::disasm::disassemble;
use bohr_emu::arch::riscv64::regs::{NAMES, NO_RESERVATION};
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::ir::TrapKind;
use bohr_emu::testing::Harness;

const DEFAULT_PC: u64 = 0x4000_0000;
const INS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/insns/riscv64.ins");

/// How a case is expected to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Retired,
    Syscall,
    Illegal,
    Breakpoint,
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

fn is_reg(name: &str) -> bool {
    NAMES.contains(&name) || name == "reservation"
}

fn parse_assigns(field: &str) -> Result<Assigns, String> {
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
                    Some(("fetchfault", addr)) => Stop::FetchFault(parse_value(addr)?),
                    _ => return Err(format!("bad trap `{value}`")),
                };
                set_stop(&mut a, stop)?;
            }
            _ if is_reg(key) => a.regs.push((key.to_string(), parse_value(value)?)),
            _ => return Err(format!("unknown name `{key}`")),
        }
    }
    Ok(a)
}

fn parse_case(line: usize, text: &str) -> Result<Case, String> {
    let fields: Vec<&str> = text.split('|').map(str::trim).collect();
    let [bytes, disasm, input, expect] = fields[..] else {
        return Err(format!("expected 4 `|`-separated fields, found {}", fields.len()));
    };
    let bytes = bytes
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).map_err(|_| format!("bad byte `{b}`")))
        .collect::<Result<Vec<u8>, String>>()?;
    if bytes.is_empty() {
        return Err("no bytes".into());
    }
    let input = parse_assigns(input)?;
    if input.stop.is_some() {
        return Err("a stop kind among the inputs".into());
    }
    Ok(Case { line, bytes, disasm: disasm.to_string(), input, expect: parse_assigns(expect)? })
}

/// `(offset, length)` of each instruction in `bytes`; the last one may be
/// cut short.
fn split_insns(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < bytes.len() {
        let len = (decode::insn_len(bytes[off]) as usize).min(bytes.len() - off);
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
fn run_case(case: &Case, kind: EngineKind, covered: &mut BTreeSet<&'static str>) -> Vec<String> {
    let mut errs = Vec::new();
    let pc = case.input.pc.unwrap_or(DEFAULT_PC);
    let insns = split_insns(&case.bytes);

    // The disassembly column must match capstone's reading of the bytes.
    let text: Vec<String> = insns
        .iter()
        .map(|&(off, len)| {
            disassemble(pc + off as u64, &case.bytes[off..off + len])
                .filter(|&(_, n)| n == len)
                .map_or_else(|| "(bad)".to_string(), |(t, _)| t)
        })
        .collect();
    let got = normalise(&text.join("; "));
    if got != normalise(&case.disasm) {
        errs.push(format!("disassembly is `{got}`, line says `{}`", case.disasm));
    }
    for &(off, len) in &insns {
        if let Decoded::Insn(i) = decode::decode(&case.bytes[off..off + len]) {
            covered.insert(i.name);
        }
    }

    let mut h = Harness::with_engine(Arch::Riscv64, kind);
    for (addr, bytes) in &case.input.mems {
        h.map_data(*addr, bytes);
    }
    h.map_code(pc, &case.bytes);
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

    // Every register: the expected value if listed, else its input value.
    for name in NAMES.iter().copied().chain(["reservation"]) {
        let default = if name == "reservation" { NO_RESERVATION } else { 0 };
        let find = |a: &Assigns| a.regs.iter().rev().find(|(n, _)| n == name).map(|&(_, v)| v);
        let want = find(&case.expect).or_else(|| find(&case.input)).unwrap_or(default);
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

fn run_file(kind: EngineKind) {
    let text = std::fs::read_to_string(INS_FILE).expect("instruction test file is readable");
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    let mut cases = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let body = raw.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        cases += 1;
        match parse_case(line, body) {
            Ok(case) => {
                for e in run_case(&case, kind, &mut covered) {
                    failures.push(format!("line {}: {e}\n    {body}", case.line));
                }
            }
            Err(e) => failures.push(format!("line {line}: parse error: {e}\n    {body}")),
        }
    }
    let uncovered: Vec<&str> =
        decode::encodings().map(|e| e.name).filter(|n| !covered.contains(n)).collect();
    if !uncovered.is_empty() {
        failures.push(format!("encodings without a test line: {}", uncovered.join(", ")));
    }
    assert!(cases > 0, "no cases in {INS_FILE}");
    assert!(
        failures.is_empty(),
        "{kind}: {} failure(s) in {cases} cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn riscv64_instructions_interp() {
    run_file(EngineKind::Interp);
}

#[test]
fn riscv64_instructions_jit() {
    run_file(EngineKind::Jit);
}
