//! Compiled code shared between engines of one thread (processes of a
//! cell, and cells run one after the other): what an engine runs never
//! depends on what another compiled first. Code at the same address with
//! other bytes (another binary, code written since) is never served from
//! the shared cache, and a cell gives the same outcome, instruction counts
//! and fingerprint with sharing on and off.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, StopReason};
use bohr_emu::engine::{set_background_compile, set_sharing};
use bohr_emu::ir::TrapKind;
use bohr_emu::machine::{MachineConfig, WritePath};
use bohr_emu::testing::Harness;
use machine_support::*;

const CODE: u64 = 0x40_0000;

/// Map riscv64 instruction `words` (little-endian) as code at CODE.
fn map_words(h: &mut Harness, words: &[u32]) {
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    h.map_code(CODE, &code);
}

/// Run `li a0, imm; addi a0, a0, 1; ebreak` at CODE on a fresh engine and
/// address space (compiled at once: the harness's threshold is 0);
/// returns a0 and how many regions came from the shared cache.
fn li_addi(imm: u32) -> (u64, u64) {
    let mut h = Harness::with_engine(Arch::Riscv64, EngineKind::Jit);
    let li = (imm << 20) | (10 << 7) | 0x13;
    map_words(&mut h, &[li, 0x0015_0513, 0x0010_0073]);
    h.cpu.pc = CODE;
    assert_eq!(h.step(100), StopReason::Trap(TrapKind::Breakpoint));
    (h.reg("a0"), h.stats().regions_shared)
}

#[test]
fn other_code_at_the_same_address_is_never_served_from_the_shared_cache() {
    set_sharing(true);
    assert_eq!(li_addi(41), (42, 0), "compiled");
    // Another "process" with other bytes at CODE: a cache keyed by address
    // would return 42.
    assert_eq!(li_addi(1336).0, 1337, "other bytes, other code");
    // The same bytes again: the first region, found, not compiled.
    assert_eq!(li_addi(41), (42, 1), "the same bytes share the code");
}

/// `li a0, 0; li a1, 100; loop: addi a0, a0, 3; addi a1, a1, -1;
/// bnez a1, loop; ebreak` at CODE.
const LOOP: [u32; 6] =
    [0x0000_0513, 0x0640_0593, 0x0035_0513, 0xfff5_8593, 0xfe05_9ce3, 0x0010_0073];

/// Run LOOP for at most `fuel` instructions on a fresh JIT with
/// `threshold`; returns a0, the instructions retired and the engine's
/// statistics.
fn run_loop(threshold: u32, fuel: u64) -> (u64, u64, bohr_emu::engine::EngineStats, StopReason) {
    let config = bohr_emu::jit::JitConfig { threshold, ..Default::default() };
    let mut h = Harness::with_jit(Arch::Riscv64, config);
    map_words(&mut h, &LOOP);
    let stop = h.step(fuel);
    (h.reg("a0"), h.icount(), h.stats(), stop)
}

#[test]
fn cold_blocks_run_code_another_engine_compiled_without_tiering_up() {
    set_sharing(true);
    // Compiled at once by a first engine...
    let (a0, n, _, stop) = run_loop(0, 1000);
    assert_eq!((a0, n, stop), (300, 302, StopReason::Trap(TrapKind::Breakpoint)));
    // ... and run, one block at a time, by one that never tiers up: the
    // same result, nothing compiled by it, every loop block in native code.
    let (a0, n, st, stop) = run_loop(u32::MAX, 1000);
    assert_eq!((a0, n, stop), (300, 302, StopReason::Trap(TrapKind::Breakpoint)));
    assert_eq!(st.blocks_compiled, 0);
    assert!(st.insns_run_compiled >= 300, "{st:?}");
    // Fuel still ends a run at an exact instruction inside borrowed code.
    for fuel in [1, 2, 3, 4, 5, 6, 7, 50, 101] {
        let (a0, n, _, stop) = run_loop(u32::MAX, fuel);
        // Every third instruction is the `addi a0, a0, 3`.
        let expect = 3 * (fuel / 3);
        assert_eq!((n, stop), (fuel, StopReason::FuelExhausted), "fuel {fuel}");
        assert_eq!(a0, expect, "fuel {fuel}");
    }
    // Without sharing, the cold engine interprets everything; it looks up
    // and translates exactly the blocks the borrowing one did, because
    // borrowed code runs one block per dispatch.
    set_sharing(false);
    let (a0, _, alone, _) = run_loop(u32::MAX, 1000);
    assert_eq!((a0, alone.insns_run_compiled), (300, 0));
    assert_eq!(
        (alone.blocks_translated, alone.cache_hits, alone.cache_misses),
        (st.blocks_translated, st.cache_hits, st.cache_misses)
    );
}

/// Time slices that end inside a block go on in that block: the run gives
/// what one long slice gives, and no block is translated at the pcs where
/// slices happened to end.
#[test]
fn slices_ending_inside_a_block_go_on_in_it() {
    for sharing in [true, false] {
        set_sharing(sharing);
        let config = bohr_emu::jit::JitConfig { threshold: u32::MAX, ..Default::default() };
        let mut h = Harness::with_jit(Arch::Riscv64, config);
        // Ten `addi a0, a0, 1`, then `ebreak`: one block.
        let mut words = vec![0x0015_0513u32; 10];
        words.push(0x0010_0073);
        map_words(&mut h, &words);
        h.cpu.pc = CODE;
        let mut slices = 0;
        let stop = loop {
            slices += 1;
            match h.step(3) {
                StopReason::FuelExhausted => continue,
                other => break other,
            }
        };
        assert_eq!(stop, StopReason::Trap(TrapKind::Breakpoint), "sharing {sharing}");
        assert_eq!((h.reg("a0"), h.icount(), slices), (10, 10, 4), "sharing {sharing}");
        assert_eq!(h.stats().blocks_translated, 1, "sharing {sharing}");
    }
}

#[test]
fn without_sharing_every_engine_compiles() {
    set_sharing(false);
    assert_eq!(li_addi(41), (42, 0));
    assert_eq!(li_addi(41), (42, 0));
}

/// A pipeline of several processes of the same programs, with
/// self-modifying code (`smc` writes a function, runs it, patches and runs
/// it again at the same address) in every cell.
const SCRIPT: &str = "cat /dev/$MTD | strings -n 8 | wc -l\n\
                      cat /dev/$MTD | strings -n 6 | grep -c PENGUIN\n\
                      smc; smc\n";

fn small(arch: Arch) -> MachineConfig {
    let mut cfg = cell(arch, EngineKind::Jit, WritePath::Host);
    cfg.mtds[0].size = 64 << 10;
    cfg
}

/// What a cell reports that must not depend on sharing: everything but
/// host timings and the count of shared regions.
fn view(o: &bohr_emu::machine::Outcome) -> String {
    let mut o = o.clone();
    o.stats.regions_shared = 0;
    format!(
        "{}\ntranslated {} compiled {}",
        guest_view(&o),
        o.stats.blocks_translated,
        o.stats.blocks_compiled
    )
}

#[test]
fn cells_give_the_same_outcome_with_and_without_sharing() {
    for arch in [Arch::Riscv64, Arch::Mipseb] {
        let cfg = small(arch);
        set_sharing(false);
        let alone = run(&cfg, SCRIPT);
        assert_eq!(alone.exit_code, 0, "{arch:?}\n{}", guest_view(&alone));
        assert_eq!(alone.stats.regions_shared, 0, "{arch:?}");
        set_sharing(true);
        // The first shared cell already shares between its processes, the
        // second finds the first one's code too (the smc function at the
        // same address in both).
        let first = run(&cfg, SCRIPT);
        let second = run(&cfg, SCRIPT);
        assert!(first.stats.regions_shared > 0, "{arch:?}: the processes of a cell share code");
        assert!(
            second.stats.regions_shared > first.stats.regions_shared,
            "{arch:?}: a later cell finds the earlier one's code"
        );
        assert_eq!(view(&alone), view(&first), "{arch:?}");
        assert_eq!(view(&alone), view(&second), "{arch:?}");
        assert_eq!(alone.fingerprint, second.fingerprint, "{arch:?}");
        assert!(
            stdout(&alone).contains("1337"),
            "{arch:?}: smc ran its patched code\n{}",
            stdout(&alone)
        );
    }
}

/// `li a0, 0; li a1, 200; loop: call f; addi a1, a1, -1; bnez a1, loop;
/// ebreak; f: addi a0, a0, 3; ret` at CODE: a loop and a function it
/// calls, so regions chain and a return is predicted.
const CALLS: [u32; 8] = [
    0x0000_0513,
    0x0c80_0593,
    0x0100_00ef,
    0xfff5_8593,
    0xfe05_9ce3,
    0x0010_0073,
    0x0035_0513,
    0x0000_8067,
];

/// `addi a0, a0, 5`, patched over `f`'s first instruction.
const ADD5: u32 = 0x0055_0513;

/// CALLS in slices of `fuel`, moving the engine to another thread for
/// every `move_every`-th slice (0: never), patching `f` before slice
/// `patch_at` (0: never); returns a0, the instructions retired, the
/// slices and the statistics that do not depend on other engines.
fn run_calls(
    threshold: u32,
    fuel: u64,
    move_every: u32,
    patch_at: u32,
) -> (u64, u64, u32, [u64; 6]) {
    let config = bohr_emu::jit::JitConfig { threshold, ..Default::default() };
    let mut h = Harness::with_jit(Arch::Riscv64, config);
    map_words(&mut h, &CALLS);
    h.cpu.pc = CODE;
    let mut slices = 0;
    let stop = loop {
        slices += 1;
        if slices == patch_at {
            h.mem.write_debug(CODE + 24, &ADD5.to_le_bytes()).unwrap();
        }
        let stop = match move_every {
            m if m > 0 && slices % m == 0 => h.step_elsewhere(fuel),
            _ => h.step(fuel),
        };
        if stop != StopReason::FuelExhausted {
            break stop;
        }
    };
    assert_eq!(stop, StopReason::Trap(TrapKind::Breakpoint));
    let st = h.stats();
    let counts = [
        st.blocks_translated,
        st.blocks_compiled,
        st.insns_compiled,
        st.cache_hits,
        st.cache_misses,
        st.blocks_invalidated,
    ];
    (h.reg("a0"), h.icount(), slices, counts)
}

/// An engine that moves to another host thread and back between time
/// slices (as a process's engine does between the world's thread and a
/// lane) goes on exactly as one that stayed: the same registers and
/// instruction count, the same blocks translated and compiled. Its
/// regions are looked up again on each thread, compiled code that was
/// patched while they waited there is dropped, not run.
#[test]
fn an_engine_moved_between_threads_goes_on_as_if_it_had_not() {
    // Compiled in the foreground, so that every count is exact (in the
    // background, how long cold blocks run depends on the compile
    // threads; the machine tests move engines with it on).
    set_background_compile(false);
    for sharing in [true, false] {
        set_sharing(sharing);
        for threshold in [0, 3, 50] {
            for fuel in [7, 100] {
                let stayed = run_calls(threshold, fuel, 0, 0);
                assert_eq!((stayed.0, stayed.1), (600, 1002), "threshold {threshold}");
                for every in [1, 2, 5] {
                    let moved = run_calls(threshold, fuel, every, 0);
                    assert_eq!(
                        moved, stayed,
                        "sharing {sharing} threshold {threshold} fuel {fuel} moved every {every}"
                    );
                }
                // `f` patched to add 5 midway, with regions compiled and
                // waiting to be looked up on the other thread.
                let patched = run_calls(threshold, fuel, 0, 5);
                assert!(patched.0 > 600, "{patched:?}");
                for every in [1, 2] {
                    let moved = run_calls(threshold, fuel, every, 5);
                    assert_eq!(
                        moved, patched,
                        "patched, sharing {sharing} threshold {threshold} fuel {fuel} moved every {every}"
                    );
                }
            }
        }
    }
}

/// `li a0, 0; li a1, 50; loop: addi a0, a0, 1; addi a1, a1, -1; bnez a1,
/// loop; ebreak` at CODE: the block at CODE runs on into the loop's, so a
/// slice of two instructions ends inside it exactly where a compiled
/// block starts.
const INTO_LOOP: [u32; 6] =
    [0x0000_0513, 0x0320_0593, 0x0015_0513, 0xfff5_8593, 0xfe05_9ce3, 0x0010_0073];

/// INTO_LOOP compiled at once, a first slice of two instructions, then
/// slices of 7, the engine moving to another thread for each when
/// `moving`; a0, instructions and the counts that must not move.
fn run_into_loop(moving: bool) -> (u64, u64, [u64; 4]) {
    let config = bohr_emu::jit::JitConfig { threshold: 0, ..Default::default() };
    let mut h = Harness::with_jit(Arch::Riscv64, config);
    map_words(&mut h, &INTO_LOOP);
    h.cpu.pc = CODE;
    let mut fuel = 2;
    loop {
        let stop = if moving { h.step_elsewhere(fuel) } else { h.step(fuel) };
        fuel = 7;
        if stop != StopReason::FuelExhausted {
            assert_eq!(stop, StopReason::Trap(TrapKind::Breakpoint));
            break;
        }
    }
    let st = h.stats();
    let counts = [st.blocks_translated, st.cache_hits, st.cache_misses, st.insns_run_compiled];
    (h.reg("a0"), h.icount(), counts)
}

/// A slice that ended inside a block, where a compiled block starts, goes
/// on in the compiled one after a move as it does without one (its region
/// waiting to be looked up on the new thread counts as compiled).
#[test]
fn a_moved_engine_enters_compiled_code_where_a_slice_ended() {
    set_background_compile(false);
    for sharing in [true, false] {
        set_sharing(sharing);
        let stayed = run_into_loop(false);
        assert_eq!((stayed.0, stayed.1), (50, 152), "sharing {sharing}");
        assert_eq!(run_into_loop(true), stayed, "sharing {sharing}");
    }
}
