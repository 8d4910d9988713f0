//! Test harness: a bare CPU and address space for running a few guest
//! instructions, used by the data-driven instruction tests and the
//! differential engine tests. Not used by the product. `random` generates
//! the random instruction sequences the differential tests and the fuzz
//! campaign run under both engines.

pub mod random;

use crate::arch::{Arch, Frontend, frontend_for, frontend_for_mode};
use crate::cpu::CpuState;
use crate::engine::{DEFAULT_MAX_BLOCK_INSNS, Engine, EngineKind, StopReason};
use crate::ir::Slot;
use crate::mem::{AddressSpace, Layout, PAGE_MASK, PAGE_SIZE, Perms};

/// A CPU, an address space and an engine, with helpers for tests.
pub struct Harness {
    pub frontend: &'static dyn Frontend,
    pub cpu: CpuState,
    pub mem: AddressSpace,
    engine: Box<dyn Engine>,
}

impl Harness {
    /// A fresh harness using the reference interpreter.
    ///
    /// Panics if `arch` has no frontend: tests name arches that exist.
    pub fn new(arch: Arch) -> Self {
        Self::with_engine(arch, EngineKind::Interp)
    }

    pub fn with_engine(arch: Arch, kind: EngineKind) -> Self {
        Self::with_mode(arch, 0, kind)
    }

    /// A fresh harness whose engine runs `arch` in execution mode `mode`
    /// (see `Frontend::mode`: the mips FPU mode).
    pub fn with_mode(arch: Arch, mode: u32, kind: EngineKind) -> Self {
        Self::with_block_limit(arch, mode, kind, DEFAULT_MAX_BLOCK_INSNS)
    }

    /// [`with_mode`](Self::with_mode) with blocks of at most
    /// `max_block_insns` instructions (a delay slot joins its branch).
    /// A test that runs exactly its own `n` instructions passes `n`:
    /// compiled code enters a block only with fuel for all of it, so a
    /// block that ran on past the test's code would leave the JIT's run
    /// to the interpreter.
    pub fn with_block_limit(arch: Arch, mode: u32, kind: EngineKind, max_block_insns: u32) -> Self {
        let frontend = frontend_for_mode(arch, mode).expect("test arch has a frontend");
        let engine = crate::engine_for(kind, frontend, max_block_insns, 0);
        let mut h = Self::with(arch, engine);
        h.frontend = frontend;
        h
    }

    /// A fresh harness using the JIT with `config`.
    pub fn with_jit(arch: Arch, config: crate::jit::JitConfig) -> Self {
        let frontend = frontend_for(arch).expect("test arch has a frontend");
        Self::with(arch, Box::new(crate::jit::Jit::new(frontend, DEFAULT_MAX_BLOCK_INSNS, config)))
    }

    fn with(arch: Arch, engine: Box<dyn crate::engine::Engine>) -> Self {
        let frontend = frontend_for(arch).expect("test arch has a frontend");
        let mut cpu = CpuState::default();
        frontend.init_registers(&mut cpu, 0, 0, None);
        Harness { frontend, cpu, mem: AddressSpace::new(Layout::for_bits(arch.is_64bit())), engine }
    }

    fn map_bytes(&mut self, addr: u64, bytes: &[u8], perms: Perms) {
        let start = addr & PAGE_MASK;
        let end = (addr + bytes.len().max(1) as u64 + PAGE_SIZE - 1) & PAGE_MASK;
        let mut pn = start;
        // Map only what is not mapped yet, so code and data may share pages.
        while pn < end {
            if !self.mem.is_mapped(pn) {
                self.mem.map_fixed(pn, PAGE_SIZE, perms).expect("test mapping in range");
            } else if let Some(p) = self.mem.perms(pn) {
                self.mem.protect(pn, PAGE_SIZE, p.union(perms)).expect("mapped above");
            }
            pn += PAGE_SIZE;
        }
        self.mem.write_debug(addr, bytes).expect("mapped above");
    }

    /// Map the bytes at `pc` executable and point the CPU at them.
    pub fn map_code(&mut self, pc: u64, bytes: &[u8]) {
        self.map_bytes(pc, bytes, Perms::RX);
        self.cpu.pc = pc;
    }

    /// Map the bytes at `addr` readable and writable.
    pub fn map_data(&mut self, addr: u64, bytes: &[u8]) {
        self.map_bytes(addr, bytes, Perms::RW);
    }

    /// Slot of a register by the frontend's name for it.
    pub fn slot(&self, name: &str) -> Option<Slot> {
        (0..crate::cpu::NUM_SLOTS as u16)
            .map(Slot)
            .find(|&s| self.frontend.slot_name(s) == Some(name))
    }

    /// Panics on an unknown register name: test data names real registers.
    pub fn set_reg(&mut self, name: &str, value: u64) {
        if self.frontend.write_view(&mut self.cpu, name, value) {
            return;
        }
        let s = self.slot(name).unwrap_or_else(|| panic!("unknown register {name}"));
        self.cpu.regs[s.0 as usize] = value;
    }

    /// Panics on an unknown register name: test data names real registers.
    pub fn reg(&self, name: &str) -> u64 {
        if let Some(v) = self.frontend.read_view(&self.cpu, name) {
            return v;
        }
        let s = self.slot(name).unwrap_or_else(|| panic!("unknown register {name}"));
        self.cpu.regs[s.0 as usize]
    }

    pub fn pc(&self) -> u64 {
        self.cpu.pc
    }

    /// Point the CPU at `pc` (to run code again from its start).
    pub fn set_pc(&mut self, pc: u64) {
        self.cpu.pc = pc;
    }

    pub fn icount(&self) -> u64 {
        self.cpu.icount
    }

    /// Instrument the engine with `plugins`.
    pub fn set_plugins(&mut self, plugins: crate::plugin::PluginHandle) {
        self.engine.set_plugins(plugins);
    }

    /// Run until an exit or until `max_insns` instructions retire.
    pub fn step(&mut self, max_insns: u64) -> StopReason {
        self.engine.run(&mut self.cpu, &mut self.mem, max_insns)
    }

    /// The engine's counters.
    pub fn stats(&self) -> crate::engine::EngineStats {
        self.engine.stats()
    }

    /// Run one slice of `max_insns` on another host thread: the engine
    /// moves there (`Engine::export`), runs, and comes back. Panics where
    /// the engine cannot move.
    pub fn step_elsewhere(&mut self, max_insns: u64) -> StopReason {
        let moved = self.engine.export().expect("the engine can move");
        let (cpu, mem) = (&mut self.cpu, &mut self.mem);
        let (sharing, background) = (crate::engine::sharing(), crate::engine::background_compile());
        let (stop, back) = std::thread::scope(|s| {
            s.spawn(move || {
                crate::engine::set_sharing(sharing);
                crate::engine::set_background_compile(background);
                let mut engine = moved.adopt();
                let stop = engine.run(cpu, mem, max_insns);
                (stop, engine.export().expect("the engine can move back"))
            })
            .join()
            .expect("the other thread ran")
        });
        self.engine = back.adopt();
        stop
    }

    /// Read guest memory, ignoring permissions. `None` if unmapped.
    pub fn read_mem(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0; len];
        self.mem.read_debug(addr, &mut buf).ok()?;
        Some(buf)
    }
}

impl Harness {
    /// Put the harness back to a run's start for the next test case: the
    /// CPU state becomes `cpu`, and `code` and `data` are written over
    /// their (already mapped) places. Writing code invalidates the
    /// translations of its pages, so one harness, and one engine with its
    /// compiled-code cache, serves many cases.
    pub fn reset(&mut self, cpu: &CpuState, code: (u64, &[u8]), data: (u64, &[u8])) {
        self.cpu.clone_from(cpu);
        self.mem.write_debug(code.0, code.1).expect("code stays mapped");
        self.mem.write_debug(data.0, data.1).expect("data stays mapped");
    }
}
