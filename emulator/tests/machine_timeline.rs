//! The host-time timeline (`timeline`): with one lane, a
//! pipeline's world turns, the world's waits and the lane's runs and
//! slices run ahead are all recorded, each on its own thread and labelled
//! with the guest process it was for; recording changes nothing the guest
//! sees, and stops when taken. Commands a shell waits for, one after the
//! other, take no lane (the timeline shows where each process ran). Its
//! own test binary, its tests one at a time: the recorder is global to the
//! host process.

mod machine_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{MachineConfig, Outcome, RunControl, WritePath, run_script};
use bohr_emu::timeline::{self, Kind, Span};
use machine_support::*;

const PIPELINE: &str = "cat /dev/$MTD | strings -n 6 | sha256sum\n";

/// Held by each test: one recording at a time.
static RECORDER: Mutex<()> = Mutex::new(());

fn run(cfg: &MachineConfig, lanes: usize) -> Outcome {
    run_text(cfg, PIPELINE, lanes)
}

fn run_text(cfg: &MachineConfig, text: &str, lanes: usize) -> Outcome {
    run_script(cfg, "test.sh", text, &RunControl { lanes, ..Default::default() })
        .unwrap_or_else(|e| panic!("script rejected: {e}"))
}

#[test]
fn a_pipeline_on_a_lane_leaves_a_timeline_of_both_threads() {
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    let mut cfg = cell(Arch::Riscv64, EngineKind::Jit, WritePath::Host);
    cfg.mtds[0].size = 256 << 10;
    let quiet = run(&cfg, 1);
    assert_eq!(quiet.exit_code, 0, "{}", guest_view(&quiet));
    assert!(timeline::take().spans.is_empty(), "recorded before it was started");

    timeline::start();
    let recorded = run(&cfg, 1);
    let timeline::Recording { spans, threads: names, dropped } = timeline::take();
    assert_eq!(guest_view(&recorded), guest_view(&quiet), "recording changed the run");
    assert_eq!(dropped, 0);

    let by_kind = |k: Kind| spans.iter().filter(move |s| s.kind == k);
    let pids = |k: Kind| by_kind(k).map(|s| s.pid).collect::<BTreeSet<u32>>();
    let threads = |k: Kind| by_kind(k).map(|s| s.thread).collect::<BTreeSet<u32>>();
    // The world's turns, its waits and the lane's work, each on one thread.
    for k in [Kind::Turn, Kind::LaneTurn, Kind::Wait, Kind::Run, Kind::Ahead] {
        assert!(by_kind(k).count() > 0, "no {k:?} span in {} spans", spans.len());
        assert_eq!(threads(k).len(), 1, "{k:?} spans on {:?}", threads(k));
    }
    let world = threads(Kind::Turn);
    assert_eq!(threads(Kind::LaneTurn), world);
    assert_eq!(threads(Kind::Wait), world);
    assert_eq!(threads(Kind::Run), threads(Kind::Ahead));
    assert_ne!(threads(Kind::Run), world, "the lane's work on the world's thread");
    // Every thread named once, the lane by its name.
    let named: BTreeSet<u32> = names.iter().map(|t| t.0).collect();
    assert_eq!(named.len(), names.len(), "{names:?}");
    assert_eq!(named, spans.iter().map(|s| s.thread).collect());
    let lane = *threads(Kind::Run).first().unwrap();
    assert!(names.iter().any(|(t, n)| *t == lane && n.contains("lane")), "{names:?}");
    assert!(by_kind(Kind::Wait).all(|s| s.pid == 0));
    // System calls, by name, inside the world's turns of their process.
    assert_eq!(threads(Kind::Syscall), world);
    let calls: BTreeSet<&str> = by_kind(Kind::Syscall).map(|s| s.detail.as_str()).collect();
    for name in ["read", "write", "exit_group"] {
        assert!(calls.contains(name), "no {name} among {calls:?}");
    }
    for call in by_kind(Kind::Syscall) {
        let inside = |t: &Span| {
            t.pid == call.pid
                && t.start_us <= call.start_us + 1.0
                && call.start_us + call.dur_us <= t.start_us + t.dur_us + 1.0
        };
        let turns = by_kind(Kind::Turn).chain(by_kind(Kind::LaneTurn));
        assert!(turns.filter(|t| inside(t)).count() == 1, "{call:?} in no turn");
    }
    // What ran on the lane was the lane's processes, and the world had
    // turns of every process of the pipeline and of the shell.
    let on_lane = pids(Kind::LaneTurn);
    assert!(pids(Kind::Run).is_subset(&on_lane) && pids(Kind::Ahead).is_subset(&on_lane));
    // `strings` moved to the lane once it had computed for a while beside
    // `cat` and `sha256sum`: it started on the world's thread, as every
    // process does.
    assert_eq!(on_lane, BTreeSet::from([3]));
    let first = |k: Kind, pid: u32| {
        by_kind(k).filter(|s| s.pid == pid).map(|s| s.start_us).fold(f64::INFINITY, f64::min)
    };
    assert!(first(Kind::Turn, 3) < first(Kind::LaneTurn, 3), "strings started on the lane");
    let all: BTreeSet<u32> = pids(Kind::Turn).union(&on_lane).copied().collect();
    let processes: BTreeSet<u32> = recorded.processes.iter().map(|p| p.pid).collect();
    assert!(processes.is_subset(&all), "turns of {all:?}, processes {processes:?}");

    // One thread does one thing at a time: the lane's runs and slices
    // follow each other, and so do the world's turns.
    let mut per_thread: BTreeMap<(u32, bool), Vec<&Span>> = BTreeMap::new();
    for s in &spans {
        assert!(s.start_us >= 0.0 && s.dur_us >= 0.0, "{s:?}");
        if s.kind != Kind::Wait && s.kind != Kind::Syscall {
            per_thread.entry((s.thread, s.kind == Kind::LaneTurn)).or_default().push(s);
        }
    }
    for list in per_thread.values_mut() {
        list.sort_by(|a, b| a.start_us.total_cmp(&b.start_us));
        for w in list.windows(2) {
            let end = w[0].start_us + w[0].dur_us;
            assert!(end <= w[1].start_us + 1.0, "{:?} overlaps {:?}", w[0], w[1]);
        }
    }

    // Taken means stopped.
    run(&cfg, 1);
    assert!(timeline::take().spans.is_empty(), "recorded after it was taken");
}

/// Commands the shell runs one after the other, and the children a guest
/// program forks, execs and waits for, run on the world's thread even with
/// a lane: nothing else has code to run there meanwhile, and on a lane
/// every system call of theirs would wait for a round trip. Where each
/// process ran is the timeline's (`Turn` against `LaneTurn`); the run is
/// the one without lanes.
#[test]
fn commands_run_one_after_another_take_no_lane() {
    let _one = RECORDER.lock().unwrap_or_else(|e| e.into_inner());
    let mut cfg = cell(Arch::Riscv64, EngineKind::Jit, WritePath::Host);
    cfg.mtds[0].size = 256 << 10;
    let kprobe = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest/libc-tests/bin/riscv64/kprobe");
    add_program(&mut cfg, "kprobe", std::fs::read(&kprobe).expect("the kernel probe"));
    // pids 2 and 3, the pipeline; 4 and 5, the checksums; 6, the probe,
    // and its children 7 and 8.
    let one_by_one = "strings -n 6 /dev/$MTD | wc -l\n\
                      sha256sum /dev/$MTD; sha256sum /dev/$MTD\n\
                      /bin/kprobe --exec /tmp\n";
    let alone = run_text(&cfg, one_by_one, 0);
    assert_eq!(alone.exit_code, 0, "{}", guest_view(&alone));

    timeline::start();
    let o = run_text(&cfg, one_by_one, 1);
    let spans = timeline::take().spans;
    assert_eq!(guest_view(&o), guest_view(&alone));
    let on = |k: Kind| spans.iter().filter(|s| s.kind == k).map(|s| s.pid).collect::<BTreeSet<_>>();
    let names: Vec<(u32, &str)> = o.processes.iter().map(|p| (p.pid, p.name.as_str())).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(names[1], (3, "wc"), "{names:?}");
    // The pipeline's second stage went to the lane, nothing else did.
    // Every process started here and stayed: the checksums and the probe
    // ran alone, and `strings` computed while `wc` only waited on the pipe
    // between its short bursts, so nothing could have run beside it.
    assert_eq!(on(Kind::LaneTurn), BTreeSet::new(), "{names:?}");
    assert_eq!(on(Kind::Turn), BTreeSet::from([2, 3, 4, 5, 6, 7, 8]), "{names:?}");
}
