//! Unit tests of the plugin host: instrumentation at translation time,
//! hook arguments, reset at safe points (QEMU issue #1381's scenario) and
//! equal callback sequences under both engines.

use super::*;
use crate::arch::Arch;
use crate::engine::{EngineKind, StopReason, translate, translate_instrumented};
use crate::linux::Errno;
use crate::testing::Harness;

const CODE: u64 = 0x1_0000;
const DATA: u64 = 0x2_0000;

// ----- riscv64 encodings -------------------------------------------------

const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;
const A4: u32 = 14;
const T0: u32 = 5;

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    (((imm as u32) & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}

fn ld(rd: u32, rs1: u32) -> u32 {
    i_type(0x03, 3, rd, rs1, 0)
}

fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}

/// A 64-bit AMO-major-opcode instruction (`lr.d`, `sc.d`, `amoadd.d`).
fn amo_d(funct5: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (funct5 << 27) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | (rd << 7) | 0x2f
}

/// `bne rs1, x0, offset` (offset in bytes, even, within ±4 KiB).
fn bnez(rs1: u32, offset: i32) -> u32 {
    let imm = offset as u32;
    (((imm >> 12) & 1) << 31)
        | (((imm >> 5) & 0x3f) << 25)
        | (rs1 << 15)
        | (1 << 12)
        | (((imm >> 1) & 0xf) << 8)
        | (((imm >> 11) & 1) << 7)
        | 0x63
}

const ECALL: u32 = 0x73;

fn code(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// The #1381 program: a loop of a plain load, then `lr.d`/`sc.d` and an
/// AMO on the same doubleword, `iters` times.
fn atomic_loop(iters: i32) -> Vec<u8> {
    code(&[
        addi(T0, 0, iters),
        // loop:
        ld(A1, A0),
        amo_d(0b00010, A2, A0, 0), // lr.d a2, (a0)
        addi(A2, A2, 1),
        amo_d(0b00011, A3, A0, A2), // sc.d a3, a2, (a0)
        amo_d(0b00000, A4, A0, A1), // amoadd.d a4, a1, (a0)
        addi(T0, T0, -1),
        bnez(T0, -24),
        ECALL,
    ])
}

/// Records every callback; optionally requests a reset from the
/// instruction callback of every instruction whose text starts with
/// `reset_on`.
#[derive(Default)]
struct Probe {
    reset_on: Option<&'static str>,
    reset_on_store: bool,
    texts: Vec<String>,
    log: Vec<String>,
    translations: u64,
}

impl Plugin for Probe {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        self.translations += 1;
        for (i, insn) in block.insns.iter().enumerate() {
            let data = self.texts.len() as u64;
            self.texts.push(insn.disasm(block.arch));
            plan.on_insn(i, data);
            plan.on_mem(i, data);
        }
    }

    fn insn(&mut self, cx: &mut Cx, e: &InsnEvent) {
        let text = &self.texts[e.data as usize];
        self.log.push(format!("{:#x} {text}", e.pc));
        if self.reset_on.is_some_and(|p| text.starts_with(p)) {
            cx.request_reset();
        }
    }

    fn mem(&mut self, cx: &mut Cx, e: &MemEvent) {
        let kind = if e.store { "store" } else { "load" };
        self.log.push(format!("  {kind} {:#x} {} {:#x}", e.addr, e.size, e.value));
        if e.store && self.reset_on_store {
            cx.request_reset();
        }
    }
}

fn riscv_harness(kind: EngineKind, program: &[u8]) -> Harness {
    let mut h = Harness::with_engine(Arch::Riscv64, kind);
    h.map_code(CODE, program);
    h.map_data(DATA, &5u64.to_le_bytes());
    h.set_reg("a0", DATA);
    h
}

fn instrumented(
    kind: EngineKind,
    program: &[u8],
    probe: Probe,
) -> (Harness, PluginHandle, PluginId<Probe>) {
    let mut h = riscv_harness(kind, program);
    let mut host = PluginHost::new();
    let id = host.add(probe);
    let host = host.into_handle();
    h.set_plugins(host.clone());
    (h, host, id)
}

fn run_to_ecall(h: &mut Harness) {
    assert_eq!(h.step(10_000), StopReason::Syscall, "program ends with ecall");
}

fn load_u64(h: &Harness, addr: u64) -> u64 {
    u64::from_le_bytes(h.read_mem(addr, 8).expect("mapped").try_into().expect("8 bytes"))
}

#[test]
fn test_program_encodes_what_it_claims() {
    let bytes = atomic_loop(3);
    let texts: Vec<String> = bytes
        .chunks(4)
        .enumerate()
        .map(|(i, w)| disasm(Arch::Riscv64, CODE + 4 * i as u64, w))
        .collect();
    let mnemonics: Vec<&str> = texts.iter().map(|t| t.split(' ').next().unwrap_or("")).collect();
    assert_eq!(
        mnemonics,
        ["addi", "ld", "lr.d", "addi", "sc.d", "amoadd.d", "addi", "bnez", "ecall"],
        "{texts:?}"
    );
    assert!(texts[7].ends_with("-0x18"), "branch back to the load: {}", texts[7]);
}

#[test]
fn without_plugins_and_where_nobody_asks_the_ir_is_unchanged() {
    struct Silent;
    impl Plugin for Silent {}
    let h = riscv_harness(EngineKind::Interp, &atomic_loop(1));
    let f = h.frontend;
    let plain = translate(f, &h.mem, CODE, 64).unwrap();
    let host = RefCell::new(PluginHost::new());
    assert_eq!(translate_instrumented(f, &h.mem, CODE, 64, Some(&host)).unwrap(), plain);
    host.borrow_mut().add(Silent);
    assert_eq!(translate_instrumented(f, &h.mem, CODE, 64, Some(&host)).unwrap(), plain);
    assert!(!is_instrumented(&plain));

    host.borrow_mut().add(Probe::default());
    let hooked = translate_instrumented(f, &h.mem, CODE, 64, Some(&host)).unwrap();
    assert!(is_instrumented(&hooked));
    assert_eq!(crate::ir::validate(&hooked), Ok(()));
    assert_eq!(hooked.insn_count, plain.insn_count);
    assert_eq!(hooked.exit, plain.exit);
    // Without hook ops (and the address copies loads into their own
    // address register need), the instrumented block is the plain one.
    let stripped: Vec<Op> =
        hooked.ops.iter().copied().filter(|op| !matches!(op, Op::Hook { .. })).collect();
    assert_eq!(stripped.len(), plain.ops.len(), "no address copy needed here");
    assert_eq!(stripped, plain.ops);
}

#[test]
fn a_load_into_its_own_address_register_reports_the_address() {
    // ld a0, 0(a0): the load overwrites the address temp's register.
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        let program = code(&[ld(A0, A0), ECALL]);
        let (mut h, host, id) = instrumented(kind, &program, Probe::default());
        run_to_ecall(&mut h);
        let log = host.borrow_mut().get(id).log.clone();
        assert_eq!(log[1], format!("  load {DATA:#x} 8 0x5"), "{kind:?}: {log:?}");
        assert_eq!(h.reg("a0"), 5);
    }
}

/// QEMU issue #1381: an instruction callback on a load requests a reset;
/// the next instructions are `lr.d`, `sc.d` and an AMO. The run must
/// complete with correct results and no stale callback state, under both
/// engines, with the same callback sequence.
#[test]
fn reset_from_a_load_callback_before_atomics_is_safe() {
    let iters = 3;
    let mut logs = Vec::new();
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        let probe = Probe { reset_on: Some("ld"), ..Probe::default() };
        let (mut h, host, id) = instrumented(kind, &atomic_loop(iters), probe);
        run_to_ecall(&mut h);
        // Reference values: v -> lr/sc store v+1 -> amoadd makes 2v+1.
        let mut v = 5u64;
        for _ in 0..iters {
            v = 2 * v + 1;
        }
        assert_eq!(load_u64(&h, DATA), v, "{kind:?}: memory after the loop");
        assert_eq!(h.reg("a3"), 0, "{kind:?}: the last sc.d succeeded across the reset");
        assert_eq!(h.reg("t0"), 0);
        // The ecall retires too.
        assert_eq!(h.icount(), 2 + 7 * iters as u64, "{kind:?}: instruction count");
        let mut host = host.borrow_mut();
        assert_eq!(host.resets(), iters as u64, "{kind:?}: one reset per load");
        assert!(!host.reset_pending());
        // The hook table holds only the current epoch's hooks: those of the
        // blocks translated after the last reset, at most the blocks at the
        // load (7 instructions), at lr.d (6) and at the ecall (1), with two
        // hooks per instruction. Without the reset it would grow per epoch.
        assert!(host.hook_count() <= 2 * (7 + 6 + 1), "{kind:?}: {} hooks", host.hook_count());
        let probe = host.get(id);
        assert!(probe.translations > iters as u64, "{kind:?}: blocks were re-instrumented");
        logs.push(probe.log.clone());
    }
    let first_iteration: Vec<String> = logs[0][1..14].to_vec();
    let pc = |i: u64| CODE + 4 * i;
    assert_eq!(
        first_iteration,
        [
            format!("{:#x} ld a1, 0(a0)", pc(1)),
            format!("  load {DATA:#x} 8 0x5"),
            format!("{:#x} lr.d a2, (a0)", pc(2)),
            format!("  load {DATA:#x} 8 0x5"),
            format!("{:#x} addi a2, a2, 1", pc(3)),
            format!("{:#x} sc.d a3, a2, (a0)", pc(4)),
            format!("  store {DATA:#x} 8 0x6"),
            format!("{:#x} amoadd.d a4, a1, (a0)", pc(5)),
            format!("  load {DATA:#x} 8 0x6"),
            format!("  store {DATA:#x} 8 0xb"),
            format!("{:#x} addi t0, t0, -1", pc(6)),
            format!("{:#x} bnez t0, -0x18", pc(7)),
            format!("{:#x} ld a1, 0(a0)", pc(1)),
        ]
    );
    assert_eq!(logs[0], logs[1], "interp and jit callback sequences");
}

#[test]
fn reset_from_a_memory_callback_takes_effect_after_the_instruction() {
    let mut logs = Vec::new();
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        let probe = Probe { reset_on_store: true, ..Probe::default() };
        let (mut h, host, id) = instrumented(kind, &atomic_loop(4), probe);
        run_to_ecall(&mut h);
        assert_eq!(load_u64(&h, DATA), 95, "{kind:?}");
        let mut host = host.borrow_mut();
        // sc.d and amoadd.d store once each per iteration.
        assert_eq!(host.resets(), 8, "{kind:?}");
        logs.push(host.get(id).log.clone());
    }
    assert_eq!(logs[0], logs[1]);
}

#[test]
fn instrumentation_does_not_change_counts_or_fuel_stops() {
    for kind in [EngineKind::Interp, EngineKind::Jit] {
        for stop_at in [1u64, 5, 9, 13, 20] {
            let mut plain = riscv_harness(kind, &atomic_loop(5));
            let probe = Probe { reset_on: Some("sc.d"), ..Probe::default() };
            let (mut traced, _host, _) = instrumented(kind, &atomic_loop(5), probe);
            let (a, b) = (plain.step(stop_at), traced.step(stop_at));
            assert_eq!(a, b, "{kind:?} stop at {stop_at}");
            assert_eq!(plain.cpu, traced.cpu, "{kind:?} stop at {stop_at}");
            assert_eq!(plain.read_mem(DATA, 8), traced.read_mem(DATA, 8));
        }
    }
}

#[test]
fn a_panicking_callback_under_the_jit_unwinds_to_the_caller() {
    struct Boom;
    impl Plugin for Boom {
        fn translate(&mut self, _cx: &mut Cx, _b: &BlockInfo, plan: &mut Plan) {
            plan.on_insn(0, 0);
        }
        fn insn(&mut self, _cx: &mut Cx, _e: &InsnEvent) {
            panic!("plugin bug");
        }
    }
    let mut h = riscv_harness(EngineKind::Jit, &atomic_loop(2));
    let mut host = PluginHost::new();
    host.add(Boom);
    h.set_plugins(host.into_handle());
    let r = std::panic::catch_unwind(AssertUnwindSafe(|| h.step(100)));
    let msg = r.expect_err("the callback's panic reaches the caller");
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"plugin bug"));
}

#[test]
fn opcodes_follow_the_guest_byte_order() {
    assert_eq!(opcode(Arch::Riscv64, &[0x13, 0x05, 0x00, 0x00]), 0x513);
    assert_eq!(opcode(Arch::Powerpc64, &[0x4e, 0x80, 0x00, 0x20]), 0x4e80_0020);
    assert_eq!(opcode(Arch::Riscv64, &[0x05, 0x05]), 0x0505);
    assert_eq!(
        execlog::format_insn(2, 0x100, 0x505, 2, "addi a0, a0, 1"),
        "2, 0x100, 0x0505, \"addi a0, a0, 1\""
    );
}

#[test]
fn execlog_attaches_accesses_and_honours_ranges() {
    let program = atomic_loop(2);
    let run = |opts: execlog::ExecLogOptions| {
        let mut h = riscv_harness(EngineKind::Jit, &program);
        let mut host = PluginHost::new();
        let id = host.add(execlog::ExecLog::in_memory(opts));
        let host = host.into_handle();
        h.set_plugins(host.clone());
        run_to_ecall(&mut h);
        let mut host = host.borrow_mut();
        host.finish();
        String::from_utf8(host.get(id).output().to_vec()).unwrap()
    };
    let all = run(Default::default());
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 1 + 7 * 2 + 1, "{all}");
    assert_eq!(lines[1], format!("0, 0x10004, 0x00053583, \"ld a1, 0(a0)\", load, {DATA:#x}"));
    assert_eq!(
        lines[5],
        format!(
            "0, 0x10014, 0x00b5372f, \"amoadd.d a4, a1, (a0)\", load, {DATA:#x}, store, {DATA:#x}"
        )
    );
    let window = run(execlog::ExecLogOptions { from: 2, to: Some(4), ..Default::default() });
    assert_eq!(window.lines().collect::<Vec<_>>(), lines[2..4]);
    let pcs =
        run(execlog::ExecLogOptions { pc_range: Some((0x10008, 0x1000c)), ..Default::default() });
    assert_eq!(pcs.lines().collect::<Vec<_>>(), [lines[2], lines[9]]);
}

#[test]
fn counters_and_coverage_count_executions() {
    let mut h = riscv_harness(EngineKind::Jit, &atomic_loop(3));
    let mut host = PluginHost::new();
    let c = host.add(counters::Counters::default());
    let v = host.add(coverage::Coverage::default());
    let host = host.into_handle();
    h.set_plugins(host.clone());
    run_to_ecall(&mut h);
    let mut host = host.borrow_mut();
    let counts = host.get(c).counts().clone();
    // The ecall starts too (it retires when the kernel takes over).
    assert_eq!(counts[&0], counters::Counts { insns: 1 + 7 * 3 + 1, blocks: 1 + 2 + 1 });
    let blocks: Vec<u64> = host.get(v).blocks()[&0].iter().copied().collect();
    assert_eq!(blocks, [CODE, CODE + 4, CODE + 32]);
}

/// Record the program with `initial` at `DATA`, for `fuel` instructions
/// or to its ecall.
fn record(program: &[u8], initial: u64, fuel: Option<u64>) -> trace::Trace {
    let mut h = riscv_harness(EngineKind::Jit, program);
    h.map_data(DATA, &initial.to_le_bytes());
    let mut host = PluginHost::new();
    let id = host.add(trace::Recorder::new(1000));
    let host = host.into_handle();
    h.set_plugins(host.clone());
    match fuel {
        Some(n) => assert_eq!(h.step(n), StopReason::FuelExhausted),
        None => run_to_ecall(&mut h),
    }
    let mut host = host.borrow_mut();
    std::mem::replace(host.get(id), trace::Recorder::new(0)).into_trace()
}

#[test]
fn the_first_divergence_names_a_differing_memory_value() {
    let a = record(&atomic_loop(2), 5, None);
    let b = record(&atomic_loop(2), 6, None);
    assert!(trace::first_divergence(&a, &a.clone()).is_none());
    let d = trace::first_divergence(&a, &b).expect("the loaded values differ");
    // Instruction 0 (addi) agrees; the load at index 1 reads 5 and 6.
    assert_eq!((d.pid, d.index, d.what), (0, 1, "memory value"));
    assert_eq!(d.detail, format!("A load [{DATA:#x}] = 0x5 / B load [{DATA:#x}] = 0x6"));
    let lines = trace::context(&a, 0, d.index, 5);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], format!("0, 0x10004, 0x00053583, \"ld a1, 0(a0)\", load, {DATA:#x}"));

    // A shorter run: equal as far as it goes.
    let c = record(&atomic_loop(2), 5, Some(10));
    let d = trace::first_divergence(&a, &c).expect("c stops early");
    assert_eq!((d.index, d.what, d.b.is_none()), (10, "end of run", true));
    assert_eq!(
        d.detail, "only A goes on: 0, 0x1000c, 0x00160613, \"addi a2, a2, 1\"",
        "instruction 10 is the second iteration's addi"
    );
}

#[test]
fn the_hook_op_does_not_grow_the_ir() {
    // Blocks without plugins hold the same ops; their memory footprint
    // must not grow either: the hook op is no larger than `ExitIf`'s
    // payload, which sized `Op` before it.
    let exit_if = std::mem::size_of::<(crate::ir::Temp, crate::ir::Exit)>();
    assert!(std::mem::size_of::<Op>() <= exit_if, "{} > {exit_if}", std::mem::size_of::<Op>());
}

/// A trace of two processes; `first` is the pid whose items come first.
fn kernel_trace(read: Result<u64, Errno>, exit3: i32, first: u32) -> trace::Trace {
    use trace::{Item, ItemKind, ProcTrace};
    let entry = ItemKind::SyscallEntry {
        number: 63,
        name: Some("read".into()),
        args: [3, 0x1000, 64, 0, 0, 0],
    };
    let two = vec![
        ItemKind::Start { name: "badbuf".into() },
        entry,
        ItemKind::SyscallExit { number: 63, name: Some("read".into()), result: read },
        ItemKind::Exit { status: 0 },
    ];
    let three = vec![ItemKind::Start { name: "badbuf".into() }, ItemKind::Exit { status: exit3 }];
    let mut seq = 0;
    let mut procs = std::collections::BTreeMap::new();
    let order = if first == 2 { [(2, two), (3, three)] } else { [(3, three), (2, two)] };
    for (pid, kinds) in order {
        let mut p = ProcTrace::default();
        for kind in kinds {
            seq += 1;
            p.items.push(Item { seq, kind });
        }
        procs.insert(pid, p);
    }
    trace::Trace { arch: Some(Arch::Riscv64), insns: Vec::new(), procs, truncated: false }
}

#[test]
fn divergences_come_in_the_order_they_happened() {
    for first in [2, 3] {
        let a = kernel_trace(Ok(64), 0, first);
        let b = kernel_trace(Err(Errno::EFAULT), 1, first);
        let all = trace::divergences(&a, &b);
        let found: Vec<(u32, usize, &str)> = all.iter().map(|d| (d.pid, d.index, d.what)).collect();
        let (read, exit) = ((2, 2, "syscall result"), (3, 1, "process exit"));
        let want = if first == 2 { [read, exit] } else { [exit, read] };
        assert_eq!(found, want, "pid {first} runs first");
        let d = all.iter().find(|d| d.pid == 2).expect("pid 2 diverges");
        assert_eq!(d.detail, "A 2: read = 64 / B 2: read = -EFAULT");
    }
}

#[test]
fn a_record_cut_at_its_limit_does_not_diverge_where_it_ends() {
    let a = record(&atomic_loop(2), 5, None);
    let mut cut = a.clone();
    cut.procs.get_mut(&0).expect("pid 0 recorded").items.truncate(10);
    cut.truncated = true;
    assert!(trace::first_divergence(&a, &cut).is_none());
    assert!(trace::first_divergence(&cut, &a).is_none());
    // The same record, ended by the run rather than the limit, diverges.
    cut.truncated = false;
    let d = trace::first_divergence(&a, &cut).expect("the run ended early");
    assert_eq!((d.index, d.what), (10, "end of run"));
}
