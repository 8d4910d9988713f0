//! The code store (`jit::store`): machine code one thread compiled runs on
//! another thread, and code kept in a pack runs in a later "process" (the
//! store's memory forgotten), with the same outcome, instruction counts
//! and fingerprint as code compiled afresh. A damaged pack is ignored,
//! and saving it again drops its damaged entries.
//! One test: the store and its directory are the process's.

mod machine_support;

use bohr_emu::arch::Arch;
use bohr_emu::engine::{EngineKind, set_background_compile, set_sharing};
use bohr_emu::jit::store;
use bohr_emu::machine::{MachineConfig, Outcome, WritePath};
use machine_support::*;

/// Several processes of the same programs, and self-modifying code.
const SCRIPT: &str = "cat /dev/$MTD | strings -n 6 | grep -c PENGUIN\nsmc; smc\n";

fn small(arch: Arch) -> MachineConfig {
    let mut cfg = cell(arch, EngineKind::Jit, WritePath::Host);
    cfg.mtds[0].size = 64 << 10;
    cfg
}

/// Run the cell on a new thread: its thread-local code caches start empty,
/// as in a new runner thread or process. Regions compile on the spot, so
/// every one is in the store when the cell ends (code still on the compile
/// threads then is never kept, and how much that is depends on timing).
fn on_new_thread(cfg: &MachineConfig) -> Outcome {
    let cfg = cfg.clone();
    std::thread::spawn(move || {
        set_sharing(true);
        set_background_compile(false);
        run(&cfg, SCRIPT)
    })
    .join()
    .expect("the cell thread")
}

/// Run the cell here with sharing (and so the store) off: code compiled
/// afresh.
fn unshared(cfg: &MachineConfig) -> Outcome {
    set_sharing(false);
    let o = run(cfg, SCRIPT);
    set_sharing(true);
    o
}

/// What must not depend on the store: everything but host timings and
/// the count of regions found compiled.
fn view(o: &Outcome) -> String {
    format!(
        "{}\ntranslated {} compiled {}",
        guest_view(o),
        o.stats.blocks_translated,
        o.stats.blocks_compiled
    )
}

#[test]
fn stored_code_runs_on_other_threads_and_in_later_runs_alike() {
    let dir = std::env::temp_dir().join(format!("bohr-jit-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    store::set_dir(Some(dir.clone()));
    // Regions a cell finds compiled with an empty store: its processes
    // share code through their thread's cache.
    let mut alone = Vec::new();
    for arch in [Arch::Riscv64, Arch::Armel] {
        let cfg = small(arch);
        let first = on_new_thread(&cfg);
        alone.push(first.stats.regions_shared);
        assert_eq!(first.exit_code, 0, "{arch:?}\n{}", guest_view(&first));
        assert!(stdout(&first).contains("1337"), "{arch:?}: smc ran its patched code");
        // Another thread: its own caches are empty, the store is not.
        let other = on_new_thread(&cfg);
        assert!(
            other.stats.regions_shared > first.stats.regions_shared,
            "{arch:?}: another thread finds the first one's code"
        );
        assert_eq!(view(&first), view(&other), "{arch:?}");
        assert_eq!(first.fingerprint, other.fingerprint, "{arch:?}");

        // A later run: the store's memory is gone, the pack is not.
        store::save();
        store::forget();
        let later = on_new_thread(&cfg);
        assert!(
            later.stats.regions_shared > first.stats.regions_shared,
            "{arch:?}: a later run finds code in the pack"
        );
        assert_eq!(view(&first), view(&later), "{arch:?}");
    }
    // Damage every pack in many places: entries fail their checksums and
    // are compiled again, with the same outcome.
    let packs: Vec<_> = std::fs::read_dir(&dir).expect("the store's directory").flatten().collect();
    assert!(!packs.is_empty(), "packs written to {}", dir.display());
    for p in &packs {
        let mut bytes = std::fs::read(p.path()).expect("pack");
        for i in (bytes.len() / 3..bytes.len()).step_by(97) {
            bytes[i] ^= 0x5a;
        }
        std::fs::write(p.path(), bytes).expect("damaged pack");
    }
    store::forget();
    for arch in [Arch::Riscv64, Arch::Armel] {
        let cfg = small(arch);
        let fresh = unshared(&cfg);
        let damaged = on_new_thread(&cfg);
        assert_eq!(view(&fresh), view(&damaged), "{arch:?}");
    }
    // Saving drops the damaged entries and keeps what was compiled again:
    // a later run finds its code.
    store::save();
    store::forget();
    for (arch, alone) in [Arch::Riscv64, Arch::Armel].into_iter().zip(alone) {
        let cfg = small(arch);
        let first = unshared(&cfg);
        let later = on_new_thread(&cfg);
        assert!(later.stats.regions_shared > alone, "{arch:?}: the repaired pack serves code");
        assert_eq!(view(&first), view(&later), "{arch:?}");
    }
    store::set_dir(None);
    let _ = std::fs::remove_dir_all(&dir);
}
