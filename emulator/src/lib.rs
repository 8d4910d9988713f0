//! `bohr-emu`: everything that executes guest code.
//!
//! Data flow: guest bytes → frontend (`arch`) → IR block (`ir`) → engine
//! (`interp`, `jit`) → exits → kernel (`linux`) → back to the engine.
//! Dependencies point one way: `ir` ← `arch` ← engines ← `linux`.
//! `plugin` (instrumentation) sits beside the engines: they and the kernel
//! call it, and it uses only `ir`, `arch` and the leaves (`cpu`, `mem`,
//! `events`, `types`). `tests/layers.rs` checks the whole order.
//!
//! Modules marked `#[warn(missing_docs)]` document every public item, and
//! clippy's `-D warnings` keeps it so.

pub mod arch;
pub mod cpu;
#[warn(missing_docs)]
pub mod engine;
pub mod events;
pub mod interp;
pub mod ir;
#[warn(missing_docs)]
pub mod jit;
pub mod linux;
pub mod loader;
pub mod machine;
pub mod mem;
pub mod plugin;
pub mod testing;
pub mod timeline;
pub mod types;

use engine::{Engine, EngineKind};

/// Build the engine of `kind` for one process. `jit_threshold` is the number
/// of executions after which the JIT compiles a block (0: compile at once).
pub fn engine_for(
    kind: EngineKind,
    frontend: &'static dyn arch::Frontend,
    max_block_insns: u32,
    jit_threshold: u32,
) -> Box<dyn Engine> {
    match kind {
        EngineKind::Interp => Box::new(interp::Interpreter::new(frontend, max_block_insns)),
        EngineKind::Jit => {
            let config = jit::JitConfig { threshold: jit_threshold, ..Default::default() };
            Box::new(jit::Jit::new(frontend, max_block_insns, config))
        }
    }
}
