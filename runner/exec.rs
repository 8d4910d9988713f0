//! `bohr exec`: run one guest program (static or dynamic) with the host's
//! stdio, over the host's files read-only under an in-memory writable
//! layer, as `qemu-<arch>-static` would (`--rootfs DIR` acts as QEMU's
//! `-L DIR`); optionally
//! instrumented with built-in plugins (`--trace`), whose output goes to
//! stderr or a file, never to the guest's stdout.

use std::io::IsTerminal;
use std::time::Instant;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::events::Event;
use bohr_emu::linux::file::{FdTable, HostOutput, HostStdin, open_file};
use bohr_emu::linux::hostfs::host_fs;
use bohr_emu::linux::limits::WorldLimits;
use bohr_emu::linux::{ExitStatus, Kernel, OpenFlags, Process, ProcessConfig, RunState};
use bohr_emu::plugin::counters::Counters;
use bohr_emu::plugin::coverage::Coverage;
use bohr_emu::plugin::execlog::{ExecLog, ExecLogOptions};
use bohr_emu::plugin::memlog::MemLog;
use bohr_emu::plugin::{PluginHost, PluginId, Sink};

/// Options of `bohr exec`.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub arch: Arch,
    pub engine: EngineKind,
    pub max_insns: Option<u64>,
    pub max_block_insns: u32,
    pub jit_threshold: u32,
    pub seed: u64,
    pub dump_ir: bool,
    pub stats: bool,
    pub env: Vec<String>,
    pub trace: Vec<TracePlugin>,
    pub execlog: Option<std::path::PathBuf>,
    /// Guest paths resolve here first (`-L`).
    pub rootfs: Option<std::path::PathBuf>,
    /// Memory, task and file-layer limits of the program and its children.
    pub limits: bohr_emu::machine::Limits,
    pub program: std::path::PathBuf,
    pub args: Vec<String>,
}

/// A built-in plugin `bohr exec --trace` can load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TracePlugin {
    Execlog,
    Counters,
    Coverage,
    Memlog,
}

/// Errors before the guest starts.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot create execlog {path}: {source}")]
    Create { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Spawn { path: String, source: bohr_emu::linux::SpawnError },
    #[error("--rootfs: {0}")]
    Rootfs(#[from] bohr_rootfs::RootfsError),
    /// The host failed while the guest ran (not a guest result).
    #[error("host error: {0}")]
    Host(#[from] bohr_emu::linux::HostError),
}

/// The plugins `--trace` loaded, by kind.
struct Tracing {
    host: bohr_emu::plugin::PluginHandle,
    execlog: Option<PluginId<ExecLog>>,
    counters: Option<PluginId<Counters>>,
    coverage: Option<PluginId<Coverage>>,
    memlog: Option<PluginId<MemLog>>,
}

impl Tracing {
    fn load(opts: &ExecOptions) -> Result<Option<Tracing>, ExecError> {
        if opts.trace.is_empty() {
            return Ok(None);
        }
        let mut host = PluginHost::new();
        let wants = |p| opts.trace.contains(&p);
        let execlog = if wants(TracePlugin::Execlog) {
            let sink = Sink::file_or_stderr(opts.execlog.as_deref()).map_err(|source| {
                let path =
                    opts.execlog.as_ref().map_or_else(String::new, |p| p.display().to_string());
                ExecError::Create { path, source }
            })?;
            Some(host.add(ExecLog::new(ExecLogOptions::default(), sink)))
        } else {
            None
        };
        let counters = wants(TracePlugin::Counters).then(|| host.add(Counters::default()));
        let coverage = wants(TracePlugin::Coverage).then(|| host.add(Coverage::default()));
        let memlog = wants(TracePlugin::Memlog).then(|| host.add(MemLog::new(Sink::stderr())));
        Ok(Some(Tracing { host: host.into_handle(), execlog, counters, coverage, memlog }))
    }

    /// End of the run: flush the logs and print the reports on stderr.
    fn finish(&self) {
        let mut host = self.host.borrow_mut();
        host.finish();
        if let Some(id) = self.execlog
            && let Some(e) = host.get(id).error()
        {
            eprintln!("bohr: cannot write the execlog: {e}");
        }
        if let Some(id) = self.memlog
            && let Some(e) = host.get(id).error()
        {
            eprintln!("bohr: cannot write the memory log: {e}");
        }
        if let Some(id) = self.counters {
            eprint!("{}", host.get(id).report());
        }
        if let Some(id) = self.coverage {
            eprint!("{}", host.get(id).report());
        }
    }
}

/// Guest instructions per scheduling slice; only affects how often the
/// host checks the instruction limit, never guest-visible behaviour.
const SLICE: u64 = 1 << 24;

fn stdio_fds() -> FdTable {
    let mut fds = FdTable::default();
    let ro = OpenFlags { access: 0, ..Default::default() };
    let wo = OpenFlags { access: 1, ..Default::default() };
    // The guest sees whether each stream is a terminal, as under
    // qemu-user: its C library buffers by that.
    let stdin = HostStdin { terminal: std::io::stdin().is_terminal() };
    let stdout = HostOutput { stderr: false, terminal: std::io::stdout().is_terminal() };
    let stderr = HostOutput { stderr: true, terminal: std::io::stderr().is_terminal() };
    fds.install(open_file(Box::new(stdin), ro, b"/dev/stdin".to_vec())).expect("fd 0 is free");
    fds.install(open_file(Box::new(stdout), wo, b"/dev/stdout".to_vec())).expect("fd 1 is free");
    fds.install(open_file(Box::new(stderr), wo, b"/dev/stderr".to_vec())).expect("fd 2 is free");
    fds
}

/// Run the program; returns the process exit code for `bohr`.
pub fn exec(opts: &ExecOptions) -> Result<i32, ExecError> {
    let path = opts.program.display().to_string();
    let image = std::fs::read(&opts.program)
        .map_err(|source| ExecError::Read { path: path.clone(), source })?;
    let cfg = ProcessConfig {
        arch: opts.arch,
        engine: bohr_emu::machine::engine_factory(
            opts.engine,
            opts.max_block_insns,
            opts.jit_threshold,
        ),
    };
    let mut argv: Vec<Vec<u8>> = vec![path.clone().into_bytes()];
    argv.extend(opts.args.iter().map(|a| a.clone().into_bytes()));
    let envp: Vec<Vec<u8>> = opts.env.iter().map(|e| e.clone().into_bytes()).collect();
    // A directory is read lazily from the host; an image file (tar, cpio,
    // squashfs) is read once into memory and checked first.
    let limits = WorldLimits::new(opts.limits);
    let quota = limits.disk.clone();
    let fs = match &opts.rootfs {
        Some(r) if !r.is_dir() => {
            let image = bohr_rootfs::Image::open(r).map_err(ExecError::Rootfs)?;
            bohr_emu::linux::hostfs::image_host_fs(image, opts.seed, quota)
        }
        r => host_fs(r.clone(), opts.seed, quota),
    };
    let tracing = Tracing::load(opts)?;
    let mut kernel = Kernel::new(Box::new(fs), opts.seed);
    kernel.limits = limits;
    use std::os::unix::ffi::OsStrExt;
    let cwd = std::env::current_dir().map(|d| d.as_os_str().as_bytes().to_vec());
    let cwd = cwd.unwrap_or_else(|_| b"/".to_vec());
    // The program is a host path, as under QEMU; /proc/self/exe names it.
    let exe = bohr_emu::linux::normalize(&cwd, opts.program.as_os_str().as_bytes());
    let mut p = Process::spawn(&cfg, &mut kernel, 1, &image, &exe, &argv, &envp, stdio_fds())
        .map_err(|source| ExecError::Spawn { path: path.clone(), source })?;
    if let Some(t) = &tracing {
        kernel.plugins = Some(t.host.clone());
        p.instrument(&t.host);
    }
    p.cwd = cwd;
    let started = Instant::now();
    let limit = opts.max_insns.unwrap_or(u64::MAX);
    // The program, then the processes it forked, one slice per thread in
    // pid and tid order; the run ends when the program exits, as under
    // QEMU. One virtual clock for all of them: when every thread waits,
    // it jumps to the earliest timer, as the machine's does.
    kernel.shared_clock = true;
    let mut clock = 0u64;
    let mut others: Vec<Process> = Vec::new();
    let mut spent = 0u64;
    let mut deadlock: Option<Vec<bohr_emu::linux::thread::BlockedThread>> = None;
    let status = loop {
        let round_start = (spent, kernel.io_progress);
        let mut main_exit = None;
        'procs: for i in 0..=others.len() {
            let q = if i == 0 { &mut p } else { &mut others[i - 1] };
            for tid in q.thread_ids() {
                let left = limit - spent;
                if left == 0 {
                    break 'procs;
                }
                if q.exit.is_some() || !q.switch_to(tid) {
                    continue;
                }
                if q.asleep_at(clock) {
                    continue;
                }
                q.cpu.vclock_bias = clock.wrapping_sub(q.cpu.icount);
                let before = q.total_insns();
                let state = q.run(&mut kernel, left.min(SLICE));
                let ran = q.total_insns() - before;
                spent += ran;
                clock += ran;
                if let (0, RunState::Exited(s)) = (i, state) {
                    main_exit = Some(s);
                    break 'procs;
                }
            }
        }
        for mut child in std::mem::take(&mut kernel.spawned) {
            if let Some(t) = &tracing {
                child.instrument(&t.host);
            }
            others.push(child);
        }
        // Handing over a signal or ending a process is progress too.
        let routed = kernel.has_outgoing_signals();
        bohr_emu::linux::signal::route(
            &mut kernel,
            std::iter::once(&mut p).chain(others.iter_mut()),
        );
        let before = others.len();
        others.retain(|q| q.exit.is_none());
        let progressed = routed || others.len() != before;
        if main_exit.is_some() || kernel.host_error.is_some() {
            break main_exit;
        }
        if spent >= limit {
            break None;
        }
        // Nobody ran, moved data or forked: time jumps to the next timer,
        // or, without one, every thread waits forever.
        if (spent, kernel.io_progress) == round_start && kernel.spawned.is_empty() && !progressed {
            let all = || std::iter::once(&p).chain(others.iter());
            match all().filter_map(|q| q.group_wake_time()).min() {
                Some(t) => clock = clock.max(t),
                None => {
                    deadlock = Some(all().flat_map(|q| q.blocked_threads()).collect());
                    break None;
                }
            }
        }
    };
    let wall = started.elapsed();
    if let Some(t) = &tracing {
        t.finish();
    }
    if let Some(e) = kernel.host_error.take() {
        return Err(ExecError::Host(e));
    }
    // Faults, traps and unsupported calls explain an exit; the rest of the
    // log (invalidations, host writes) is statistics.
    for e in &kernel.events {
        let explains = matches!(
            e,
            Event::GuestFault { .. }
                | Event::GuestTrap { .. }
                | Event::IllegalInstruction { .. }
                | Event::UnsupportedSyscall { .. }
                | Event::LimitReached { .. }
        );
        if explains || opts.stats {
            eprintln!("bohr: {e}");
        }
    }
    let code = match status {
        Some(s) => {
            // Like a shell, say nothing about SIGPIPE: it is how a pipeline
            // writer is told that its reader is done.
            if let ExitStatus::Signaled(sig) = s
                && sig != 13
            {
                eprintln!("bohr: {} terminated by {}", path, bohr_emu::events::signal_name(sig));
            }
            s.shell_code()
        }
        None if deadlock.is_some() => {
            eprintln!("bohr: deadlock: every thread is blocked");
            for t in deadlock.iter().flatten() {
                eprintln!("bohr:   {t}");
            }
            124
        }
        None => {
            eprintln!("bohr: instruction limit of {limit} reached at pc {:#x}", p.cpu.pc);
            124
        }
    };
    if opts.dump_ir {
        for b in p.engine.dump_blocks() {
            eprint!("{b}");
        }
    }
    if opts.stats {
        let st = p.engine.stats();
        let insns = p.total_insns();
        let secs = wall.as_secs_f64().max(1e-9);
        eprintln!("guest instructions: {insns}");
        eprintln!("blocks translated: {}", st.blocks_translated);
        eprintln!("blocks compiled: {}", st.blocks_compiled);
        eprintln!("compile time: {} us", st.compile_us);
        eprintln!("regions shared: {}", st.regions_shared);
        if st.insns_compiled > 0 {
            eprintln!(
                "compile cost: {:.2} us per guest instruction compiled ({} instructions)",
                st.compile_us as f64 / st.insns_compiled as f64,
                st.insns_compiled
            );
            eprintln!("instructions run compiled: {}", st.insns_run_compiled);
        }
        eprintln!("cache hits: {} misses: {}", st.cache_hits, st.cache_misses);
        eprintln!("blocks invalidated: {}", st.blocks_invalidated);
        eprintln!("direct faults: {}", st.direct_faults);
        eprintln!("wall time: {:.1} ms", secs * 1000.0);
        eprintln!("guest MIPS: {:.1}", insns as f64 / secs / 1e6);
    }
    Ok(code)
}
