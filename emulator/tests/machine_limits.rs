//! How runs end besides normally: the instruction limit, cancellation from
//! the host, guest faults with their events, and runaway output.

mod machine_support;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bohr_emu::engine::EngineKind;
use bohr_emu::events::Event;
use bohr_emu::machine::{RunControl, STOPPED_EXIT_CODE, Stopped, run_script};
use machine_support::*;

#[test]
fn the_instruction_limit_stops_exactly_and_identically_on_both_engines() {
    let mut stops = Vec::new();
    for engine in ENGINES {
        let mut cfg = riscv(engine);
        cfg.max_insns = 123_457;
        let o = run(&cfg, "echo start\nspin\necho never\n");
        assert_eq!(stdout(&o), "start\n");
        assert_eq!(o.exit_code, STOPPED_EXIT_CODE);
        assert_eq!(o.stats.insns, 123_457, "{engine}");
        let Some(Stopped::InstructionLimit { pid: 3, pc }) = o.stopped else {
            panic!("{engine}: {:?}", o.stopped);
        };
        assert_eq!(o.events, [Event::InstructionLimit { pid: 3, pc, insns: 123_457 }], "{engine}");
        let spin = &o.processes[1];
        assert_eq!((spin.name.as_str(), spin.status), ("spin", None));
        assert_eq!(o.processes[0].insns + spin.insns, 123_457);
        stops.push(guest_view(&o));
    }
    assert_eq!(stops[0], stops[1]);
}

#[test]
fn the_limit_applies_to_all_processes_together() {
    let mut cfg = riscv(EngineKind::Interp);
    cfg.max_insns = 50_000;
    let o = run(&cfg, "spin | spin");
    assert_eq!(o.stats.insns, 50_000);
    let total: u64 = o.processes.iter().map(|p| p.insns).sum();
    assert_eq!(total, 50_000);
    // Round robin with the default quantum: both ran.
    assert!(o.processes.iter().all(|p| p.insns > 10_000), "{:?}", o.processes);
}

#[test]
fn cancellation_stops_between_quanta() {
    let cancel = Arc::new(AtomicBool::new(true));
    let ctl = RunControl { cancel: Some(cancel), ..Default::default() };
    let o = run_script(&riscv(EngineKind::Interp), "t.sh", "spin", &ctl).unwrap();
    assert!(matches!(o.stopped, Some(Stopped::Cancelled { pid: 2, .. })), "{:?}", o.stopped);
    assert_eq!(o.exit_code, STOPPED_EXIT_CODE);

    // From another thread, as the runner's wall-clock timeout does.
    let cancel = Arc::new(AtomicBool::new(false));
    let ctl = RunControl { cancel: Some(cancel.clone()), ..Default::default() };
    let setter = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let mut cfg = riscv(EngineKind::Interp);
    cfg.max_insns = u64::MAX;
    let o = run_script(&cfg, "t.sh", "spin", &ctl).unwrap();
    setter.join().unwrap();
    assert!(matches!(o.stopped, Some(Stopped::Cancelled { pid: 2, .. })), "{:?}", o.stopped);
}

#[test]
fn guest_faults_become_statuses_and_events() {
    for engine in ENGINES {
        let o = run(&riscv(engine), "segv; echo $?\nillegal; echo $?\n");
        assert_eq!(stdout(&o), "139\n132\n", "{engine}");
        assert!(
            matches!(
                o.events.as_slice(),
                [
                    Event::GuestFault { pid: 2, signal: 11, addr: 0, access: "write", .. },
                    Event::IllegalInstruction { pid: 4, .. }
                ]
            ),
            "{engine}: {}",
            events(&o)
        );
    }
}

#[test]
fn runaway_output_is_capped_with_a_note() {
    let mut cfg = riscv(EngineKind::Interp);
    // `yes` writes about 150 bytes per instruction: enough to pass the cap.
    cfg.max_insns = 600_000;
    let o = run(&cfg, "yes");
    assert!(matches!(o.stopped, Some(Stopped::InstructionLimit { .. })));
    let cap = bohr_emu::machine::vfs::CAPTURE_LIMIT;
    assert!(o.stdout.len() > cap && o.stdout.len() < cap + 200, "{}", o.stdout.len());
    let tail = String::from_utf8_lossy(&o.stdout[cap..]).into_owned();
    assert!(tail.starts_with(&format!("\n[bohr: output truncated after {cap} bytes; ")), "{tail}");
    assert!(o.stdout[..cap].chunks(2).all(|c| c == b"y\n"));
}
