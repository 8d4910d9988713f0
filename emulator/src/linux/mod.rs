//! The Linux user-mode kernel: processes, system calls, files, pipes and
//! the write paths of device reads.
//!
//! It sits above the engines: a [`Process`] owns a CPU, an address space
//! and an engine, and [`Process::run`] drives the engine until something
//! the kernel must handle (a system call, a fault, a trap, the end of the
//! fuel). Paths are resolved by a [`FileSystem`] chosen by the caller: the
//! host's files for `bohr exec`, the machine's VFS for matrix cells.
//! Processes never create processes: the machine (`machine`) starts them
//! and schedules them, so there is no fork, exec or wait here. A call that
//! would block returns [`RunState::Blocked`] and is retried when the
//! scheduler runs the process again.
//! The clock is virtual (instruction counts); randomness comes from the seed.

pub mod abi;
pub mod arch;
pub mod errno;
pub mod file;
pub mod hostfs;
pub mod imagefs;
pub mod limits;
pub mod lower;
pub mod overlay;
pub mod pipe;
pub mod procfs;
pub mod shared;
pub mod signal;
mod syscall;
pub mod thread;
pub mod timer;
mod writepath;

use std::sync::Arc;

use crate::arch::{Arch, Frontend, frontend_for, frontend_for_mode};
use crate::cpu::CpuState;
use crate::engine::{Engine, StopReason};
use crate::events::Event;
use crate::ir::TrapKind;
use crate::ir::trap_signal;
pub use crate::loader::FileBytes;
use crate::loader::{self, LoadError};
use crate::mem::{AddressSpace, FilePages, Layout};
use crate::types::{StreamHash, WritePath};

pub use abi::{FileStat, OpenFlags};
pub use errno::Errno;
pub use file::{FdTable, FileObject, FileRef};
pub use syscall::normalize;
pub use writepath::portal_base;

/// Largest `mtd_chunk` the write paths accept.
pub const fn writepath_max_chunk() -> u64 {
    writepath::MAX_CHUNK
}

/// Resolves guest paths to files. Paths are absolute and normalised, and
/// the kernel has already resolved every symlink in them except possibly
/// the last component, which an implementation never follows: `open` of a
/// symlink fails with `ELOOP` unless `O_PATH` asks for the link itself.
pub trait FileSystem {
    /// Open the guest `path`.
    fn open(
        &mut self,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn FileObject>, Errno>;
    /// Remove a file (`rmdir` when `dir`).
    fn unlink(&mut self, path: &[u8], dir: bool) -> Result<(), Errno>;
    /// `lstat`: the file itself, a symlink not followed.
    fn lstat(&mut self, path: &[u8]) -> Result<FileStat, Errno> {
        let flags = OpenFlags { path: true, ..Default::default() };
        let mut obj = self.open(path, flags, 0)?;
        let st = obj.stat();
        obj.close();
        Ok(st)
    }
    /// Target of symlink `path` (`EINVAL` if it is not one).
    fn readlink(&mut self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        self.lstat(path)?;
        Err(Errno::EINVAL)
    }
    fn mkdir(&mut self, path: &[u8], _mode: u32) -> Result<(), Errno> {
        self.lstat(path).map_or(Err(Errno::EROFS), |_| Err(Errno::EEXIST))
    }
    /// Create symlink `path` pointing at `target`.
    fn symlink(&mut self, _target: &[u8], path: &[u8]) -> Result<(), Errno> {
        self.lstat(path).map_or(Err(Errno::EROFS), |_| Err(Errno::EEXIST))
    }
    fn rename(&mut self, from: &[u8], _to: &[u8]) -> Result<(), Errno> {
        self.lstat(from).and(Err(Errno::EROFS))
    }
    /// Hard link `to` to `from`.
    fn link(&mut self, from: &[u8], _to: &[u8]) -> Result<(), Errno> {
        self.lstat(from).and(Err(Errno::EROFS))
    }
    fn chmod(&mut self, path: &[u8], _mode: u32) -> Result<(), Errno> {
        self.lstat(path).and(Err(Errno::EROFS))
    }
}

/// Largest file the loader reads (an ELF interpreter).
const MAX_LOAD_FILE: u64 = 64 << 20;

/// `path` made absolute with every symlink followed, the last one too.
pub fn resolve_guest_path(fs: &mut dyn FileSystem, path: &[u8]) -> Result<Vec<u8>, Errno> {
    syscall::path::walk(fs, b"/", path, true)
}

/// The whole of guest file `path`, symlinks followed: lent by its layer
/// when it is an image's file that never changes (`FileObject::contents`),
/// else read.
pub fn read_guest_file(fs: &mut dyn FileSystem, path: &[u8]) -> Result<FileBytes, Errno> {
    read_guest_image(fs, path).map(|(data, _)| data)
}

/// [`read_guest_file`], with the file's resolved path, device and inode
/// (what `/proc/<pid>/maps` shows for its mappings).
pub fn read_guest_image(
    fs: &mut dyn FileSystem,
    path: &[u8],
) -> Result<(FileBytes, loader::FileId), Errno> {
    let abs = syscall::path::walk(fs, b"/", path, true)?;
    let mut obj = fs.open(&abs, OpenFlags::default(), 0)?;
    let st = obj.stat();
    if st.mode & abi::S_IFMT != abi::S_IFREG {
        obj.close();
        return Err(Errno::EACCES);
    }
    if st.size > MAX_LOAD_FILE {
        obj.close();
        return Err(Errno::EFBIG);
    }
    let id = |abs| loader::FileId { path: abs, dev: st.dev, ino: st.ino };
    if let Some(bytes) = obj.contents().filter(|b| b.len() as u64 == st.size) {
        obj.close();
        return Ok((FileBytes::Image(bytes), id(abs)));
    }
    let mut data = vec![0u8; st.size as usize];
    let mut done = 0;
    while done < data.len() {
        match obj.pread(&mut data[done..], done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                obj.close();
                return Err(e);
            }
        }
    }
    obj.close();
    data.truncate(done);
    Ok((FileBytes::Read(data), id(abs)))
}

/// The file pages of the program or interpreter at `path` whose bytes
/// are `image` (read from there just before), when the file never
/// changes: only files the loader maps get them made.
fn program_pages(fs: &mut dyn FileSystem, path: &[u8], image: &[u8]) -> Option<Arc<FilePages>> {
    let mut obj = fs.open(path, OpenFlags::default(), 0).ok()?;
    let pages = obj.file_pages().filter(|p| p.len() == image.len() as u64);
    obj.close();
    pages
}

/// Load program `image` (read from guest path `exe`) and its interpreter
/// from `fs` into `mem`, for a new process or an `execve`.
#[allow(clippy::too_many_arguments)]
fn load_program(
    fs: &mut dyn FileSystem,
    image: &[u8],
    exe: &[u8],
    arch: Arch,
    mem: &mut AddressSpace,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &loader::AuxInfo,
) -> Result<loader::StartInfo, SpawnError> {
    let id = program_id(fs, exe);
    let pages = program_pages(fs, &id.path, image);
    let mut read_file = |path: &[u8]| {
        let (data, id) = read_guest_image(fs, path).map_err(|e| format!("{e:?}"))?;
        let pages = program_pages(fs, &id.path, &data);
        Ok((data, id, pages))
    };
    loader::load(image, &id, pages.as_ref(), arch, mem, argv, envp, aux, &mut read_file)
        .map_err(load_error)
}

/// The identity of the program file `exe` for its mappings: its device
/// and inode when the guest file system has it, else (a host program that
/// `bohr exec` runs from outside the root) device 0 and the inode number
/// the path gives, as for other files without one.
fn program_id(fs: &mut dyn FileSystem, exe: &[u8]) -> loader::FileId {
    let found = syscall::path::walk(fs, b"/", exe, true).and_then(|abs| {
        let st = fs.lstat(&abs)?;
        Ok(loader::FileId { path: abs, dev: st.dev, ino: st.ino })
    });
    found.unwrap_or_else(|_| loader::FileId {
        path: exe.to_vec(),
        dev: 0,
        ino: file::path_ino(exe),
    })
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    Exited(u8),
    Signaled(u32),
}

impl ExitStatus {
    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c as i32,
            ExitStatus::Signaled(s) => 128 + s as i32,
        }
    }
}

/// State the kernel shares between processes.
pub struct Kernel {
    pub fs: Box<dyn FileSystem>,
    pub events: Vec<Event>,
    /// Seed of the cell: `getrandom` and AT_RANDOM derive from it.
    pub seed: u64,
    /// How reads of write-path devices (MTD) reach guest buffers.
    pub write_path: WritePath,
    /// Bytes per write-path chunk; 0 counts as 1.
    pub mtd_chunk: u64,
    /// Processes share the machine's clock. `nanosleep` then blocks until
    /// the clock passes the deadline (the scheduler moves the clock), where
    /// a lone process (`bohr exec`) just moves its own clock forward.
    pub shared_clock: bool,
    /// Counts system calls that moved data or changed a pipe, so the
    /// scheduler can tell progress from a deadlock.
    pub io_progress: u64,
    /// What a `read` passes through on its way to the guest, kept from one
    /// read to the next (see `syscall::files::read_through`): a read then
    /// zeroes no buffer of the size the guest asked for, which programs
    /// make large (busybox asks for 4 to 64 KiB and mostly gets less).
    pub io_scratch: Vec<u8>,
    /// Counts system calls that completed (did not block), and processes
    /// that ended or joined the machine: with `io_progress`, everything a
    /// blocked call's retry could find changed ([`Kernel::generation`]).
    pub changes: u64,
    /// Next inode number for pipes.
    next_ino: u64,
    /// Next process id. pid 1 is the launcher (the machine's shell), or
    /// the program itself under `bohr exec`.
    next_pid: u32,
    /// Every process a guest process created (`fork`, `clone`) that its
    /// parent has not reaped yet, by pid: parent, group and, once it has
    /// exited, its status (a zombie).
    pub children: std::collections::BTreeMap<u32, ChildInfo>,
    /// Processes `fork` created during the last system calls, for the
    /// caller (the machine's world or `bohr exec`) to schedule.
    pub spawned: Vec<Process>,
    /// Signals for other processes (`kill`, `SIGCHLD`), by target pid, for
    /// the caller to hand over with [`signal::route`].
    pub signal_outbox: Vec<(u32, signal::SigInfo)>,
    /// Thread-directed signals for threads of other processes (`tkill`,
    /// `tgkill`), by target tid, handed over the same way.
    pub thread_outbox: Vec<(u32, signal::SigInfo)>,
    /// Instrumentation: told about system calls, write-path host writes,
    /// faults and process exits (see `plugin`).
    pub plugins: Option<crate::plugin::PluginHandle>,
    /// The world's resource limits (memory, tasks, file bytes).
    pub limits: limits::WorldLimits,
    /// Set when the host failed the world (not the guest): the caller
    /// stops the run and reports it as an error, never as a guest result.
    pub host_error: Option<HostError>,
    /// Threads alive beyond each process's first, against
    /// [`thread::MAX_THREADS_PER_CELL`].
    pub threads: usize,
    /// The thread group (pid) of every thread created by `clone`, by tid,
    /// so that a signal to a tid finds its process.
    pub thread_groups: std::collections::BTreeMap<u32, u32>,
    /// The objects of files mapped `MAP_SHARED` (see `shared`), which `fs`
    /// keeps coherent with `read` and `write`.
    pub shared_files: shared::SharedFilesRef,
    /// Every live process's mappings as of the end of its last time
    /// slice (or its creation), by pid, for `/proc/<pid>/maps` of other
    /// processes: only the running process changes its mappings, so these
    /// are current for every other one.
    pub proc_maps: std::collections::BTreeMap<u32, procfs::PublishedMaps>,
}

/// A failure of the host under a guest world: Bohr could not do its part,
/// so the run says nothing about the guest. Callers report it as an error,
/// never as an exit status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The host refused the address-space reservation of a new process
    /// (for example under `ulimit -v`).
    #[error("pid {pid}: {why}")]
    Reserve { pid: u32, why: String },
    /// A file the world depends on could not be read from the host.
    #[error("cannot read {path} from the host: {why}")]
    Read { path: String, why: String },
}

impl Kernel {
    /// A kernel over `fs`, wrapped so that shared file mappings stay
    /// coherent with its files (see `shared`).
    pub fn new(fs: Box<dyn FileSystem>, seed: u64) -> Self {
        let shared_files = shared::SharedFilesRef::default();
        Kernel {
            fs: Box::new(shared::CoherentFs::new(fs, shared_files.clone())),
            shared_files,
            proc_maps: std::collections::BTreeMap::new(),
            events: Vec::new(),
            seed,
            write_path: WritePath::Host,
            mtd_chunk: 4096,
            shared_clock: false,
            io_progress: 0,
            io_scratch: Vec::new(),
            changes: 0,
            next_ino: 1,
            next_pid: 2,
            children: std::collections::BTreeMap::new(),
            spawned: Vec::new(),
            signal_outbox: Vec::new(),
            thread_outbox: Vec::new(),
            plugins: None,
            limits: limits::WorldLimits::new(limits::Limits::default()),
            host_error: None,
            threads: 0,
            thread_groups: std::collections::BTreeMap::new(),
        }
    }

    /// Moves whenever something a blocked call could be waiting for may
    /// have changed: another call completed, data moved, a process ended,
    /// stopped or continued, or a new one joined (see
    /// [`Process::retry_would_block`]).
    pub fn generation(&self) -> u64 {
        self.changes.wrapping_add(self.io_progress)
    }

    /// Are signals waiting for [`signal::route`]?
    pub fn has_outgoing_signals(&self) -> bool {
        !self.signal_outbox.is_empty() || !self.thread_outbox.is_empty()
    }

    /// Count a new task against the task limit (`EAGAIN` past it).
    /// Zombies count until they are reaped.
    pub fn start_task(&mut self) -> Result<(), Errno> {
        let zombies = self.children.values().filter(|c| c.status.is_some()).count();
        self.limits.start_task(zombies)
    }

    /// Record refused requests as events (once per limit).
    pub fn report_limits(&mut self, pid: u32) {
        self.limits.report(pid, &mut self.events);
    }

    /// A fresh process id, in allocation order (deterministic).
    pub fn alloc_pid(&mut self) -> u32 {
        let p = self.next_pid;
        self.next_pid += 1;
        p
    }

    /// A fresh inode number, in allocation order (deterministic).
    pub fn alloc_ino(&mut self) -> u64 {
        let i = self.next_ino;
        self.next_ino += 1;
        i
    }
}

/// A forked process as its parent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildInfo {
    pub ppid: u32,
    pub pgid: u32,
    /// `Some` once it has exited and until its parent reaps it.
    pub status: Option<ExitStatus>,
    /// A stop (by this signal) that `wait4` with `WUNTRACED` has not
    /// reported yet.
    pub stopped: Option<u32>,
    /// A continue that `wait4` with `WCONTINUED` has not reported yet.
    pub continued: bool,
}

/// Why [`Process::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    /// The fuel given is used up; the process can go on.
    Ready,
    /// The process waits for I/O (a file returned EAGAIN); the pending
    /// system call is retried when it runs again.
    Blocked,
    Exited(ExitStatus),
}

/// A deterministic generator (SplitMix64) for guest randomness.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// What each step adds to the state.
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// The generator seeded with `seed`, positioned to yield its output
    /// number `index` (from 0) next: the state only ever adds a constant,
    /// so any output is one multiplication away.
    pub fn at(seed: u64, index: u64) -> SplitMix64 {
        SplitMix64(seed.wrapping_add(index.wrapping_mul(Self::GAMMA)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value below `n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        // Whole words first: an 8-byte copy of a known size is one store,
        // where a copy of a slice's length is a `memcpy` call per word.
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            let v = self.next_u64().to_le_bytes();
            tail.copy_from_slice(&v[..tail.len()]);
        }
    }
}

/// Builds the engine of each new process image, given its frontend and
/// pid. The kernel never picks an engine itself: the machine and `bohr
/// exec` hand it one of these.
pub type EngineFactory = std::rc::Rc<dyn Fn(&'static dyn Frontend, u32) -> Box<dyn Engine>>;

/// Options for creating a process.
#[derive(Clone)]
pub struct ProcessConfig {
    pub arch: Arch,
    pub engine: EngineFactory,
}

impl std::fmt::Debug for ProcessConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessConfig").field("arch", &self.arch).finish_non_exhaustive()
    }
}

/// Errors creating a process.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("architecture {0} has no frontend yet")]
    NoFrontend(Arch),
    #[error("cannot load program: {0}")]
    Load(#[from] LoadError),
    #[error("cannot create the address space: {0}")]
    Memory(#[from] crate::mem::ReserveError),
    /// A limit of the world refused the process (`EAGAIN` for tasks,
    /// `ENOMEM` for memory).
    #[error("resource limit: {0:?}")]
    Limit(Errno),
}

impl SpawnError {
    /// The failure is the host's (see [`HostError`]), not the guest's.
    pub fn host_error(&self, pid: u32) -> Option<HostError> {
        match self {
            SpawnError::Memory(e) => Some(HostError::Reserve { pid, why: e.to_string() }),
            _ => None,
        }
    }
}

/// A load that ran out of the world's memory budget is the limit's
/// `ENOMEM`; every other load failure stays what it is.
fn load_error(e: LoadError) -> SpawnError {
    match e {
        LoadError::Map(crate::mem::MapError::NoMemory) => SpawnError::Limit(Errno::ENOMEM),
        e => SpawnError::Load(e),
    }
}

/// One guest process: CPU, memory, engine and descriptors.
pub struct Process {
    pub pid: u32,
    pub arch: Arch,
    pub frontend: &'static dyn Frontend,
    pub cpu: CpuState,
    pub mem: AddressSpace,
    pub engine: Box<dyn Engine>,
    pub fds: FdTable,
    pub rng: SplitMix64,
    pub exit: Option<ExitStatus>,
    /// Guest path of the program, for messages.
    pub name: String,
    /// Working directory (absolute guest path).
    pub cwd: Vec<u8>,
    /// Virtual-time deadline of a `nanosleep` in progress.
    pub sleep_until: Option<u64>,
    /// The last system call blocked and must be retried before running on.
    pub pending_syscall: bool,
    /// The kernel's [`Kernel::generation`] when that call last blocked,
    /// if it waits only on pipes or children (see
    /// [`Process::retry_would_block`]).
    pub blocked_at: Option<u64>,
    /// Bytes a blocked `write` has already transferred; the retry goes on
    /// from there, so a blocking pipe write completes like Linux's.
    pub write_progress: u64,
    /// `sched_yield` was called: end the current time slice.
    pub yield_now: bool,
    /// Bytes of portal mapped (stub page and staging), 0 if none yet.
    pub portal_len: u64,
    /// Hash of every byte the process wrote, to any descriptor, in order
    /// (for the machine's determinism fingerprint).
    pub output_hash: StreamHash,
    /// Absolute guest path of the program (`/proc/self/exe`).
    pub exe: Vec<u8>,
    /// `argv` joined with NULs (`/proc/self/cmdline`).
    pub cmdline: Vec<u8>,
    pub ppid: u32,
    /// Process group and session.
    pub pgid: u32,
    pub sid: u32,
    pub umask: u32,
    /// `(soft, hard)` per `RLIMIT_*`.
    pub rlimits: [(u64, u64); 16],
    /// Dispositions, mask, pending signals, alternate stack, `alarm`.
    pub signals: signal::SigState,
    /// Builds the engine of a forked child or an `execve`d image.
    pub engine_factory: EngineFactory,
    /// The running thread's id (`pid` for the group's first thread); the
    /// fields above that are per thread (registers, blocked-call state,
    /// signal mask, pending signals, alternate stack) are this thread's.
    pub tid: u32,
    /// The other threads of the group, parked, by ascending tid.
    pub threads: Vec<thread::ThreadCtx>,
    /// Instructions of the group's threads that have exited.
    pub exited_insns: u64,
    /// Running thread: deadline of a timed wait (futex) that ends it with
    /// `ETIMEDOUT`; unlike `sleep_until`, a wake before it counts.
    pub timeout_at: Option<u64>,
    /// Running thread: `set_tid_address` / `CLONE_CHILD_CLEARTID` word.
    pub clear_child_tid: u64,
    /// Running thread: `set_robust_list` head and length (recorded).
    pub robust_list: (u64, u64),
    /// Running thread: the futex wait it is blocked in.
    pub futex_wait: Option<thread::FutexWait>,
    /// Futex waiters of the group, in the order they began waiting.
    pub futex_queue: Vec<thread::FutexWaiter>,
    /// Waiters a wake has released; their wait returns 0 when retried.
    pub futex_woken: std::collections::BTreeSet<u32>,
    /// POSIX timers (`timer_create`), by id.
    pub timers: Vec<timer::PosixTimer>,
    /// Signals other processes sent while this one was between slices in
    /// its own code, by target thread (`None`: the group), in order: they
    /// are sent when it next stops for anything but the end of a slice, or
    /// after [`signal::DEFER_SLICES`] whole slices (see [`signal::route`]).
    pub deferred_signals: Vec<(Option<u32>, signal::SigInfo)>,
    /// Slices in a row that were one engine run of their whole fuel (see
    /// [`signal::DEFER_SLICES`]).
    pub compute_streak: u64,
}

impl Process {
    /// Load `image` and set up a process ready to run at its entry (or
    /// at its ELF interpreter's, read from `kernel.fs`). `exe` is the
    /// program's absolute guest path (`/proc/self/exe`, `AT_EXECFN`).
    #[allow(clippy::too_many_arguments)]
    pub fn spawn(
        cfg: &ProcessConfig,
        kernel: &mut Kernel,
        pid: u32,
        image: &[u8],
        exe: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
        fds: FdTable,
    ) -> Result<Process, SpawnError> {
        let frontend = frontend_for(cfg.arch).ok_or(SpawnError::NoFrontend(cfg.arch))?;
        let mut mem = AddressSpace::try_new(Layout::for_bits(cfg.arch.is_64bit()))?;
        mem.set_budget(kernel.limits.memory.clone())
            .map_err(|_| SpawnError::Limit(Errno::ENOMEM))?;
        let mut rng = SplitMix64(kernel.seed ^ (pid as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut random = [0u8; 16];
        rng.fill(&mut random);
        let abi = arch::linux_abi(cfg.arch);
        let aux = loader::AuxInfo {
            hwcap: frontend.hwcap(),
            hwcap2: abi.hwcap2,
            platform: abi.platform,
            arch_auxv: abi.arch_auxv,
            random,
            execfn: exe,
        };
        let fs: &mut dyn FileSystem = kernel.fs.as_mut();
        let start = load_program(fs, image, exe, cfg.arch, &mut mem, argv, envp, &aux)?;
        kernel.start_task().map_err(SpawnError::Limit)?;
        // The mode the image starts in (mips: its FPU mode).
        let frontend = frontend_for_mode(cfg.arch, start.mode).unwrap_or(frontend);
        let mut cpu = CpuState::default();
        frontend.init_registers(&mut cpu, start.pc, start.sp, start.toc);
        let engine = (cfg.engine)(frontend, pid);
        let name =
            argv.first().map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
        let mut cmdline = Vec::new();
        for a in argv {
            cmdline.extend_from_slice(a);
            cmdline.push(0);
        }
        Ok(Process {
            pid,
            arch: cfg.arch,
            frontend,
            cpu,
            mem,
            engine,
            fds,
            rng,
            exit: None,
            name,
            cwd: b"/".to_vec(),
            sleep_until: None,
            pending_syscall: false,
            blocked_at: None,
            write_progress: 0,
            yield_now: false,
            portal_len: 0,
            output_hash: StreamHash::default(),
            exe: exe.to_vec(),
            cmdline,
            // The launcher (the machine's shell as pid 1) leads the group
            // and session, as a non-interactive shell does. A process
            // that is pid 1 itself (`bohr exec`) was started from outside
            // the guest: its group and session are 0, so it may `setsid`.
            ppid: 1,
            pgid: if pid == 1 { 0 } else { 1 },
            sid: if pid == 1 { 0 } else { 1 },
            umask: 0o022,
            rlimits: syscall::default_rlimits(),
            signals: signal::SigState::new(),
            engine_factory: cfg.engine.clone(),
            tid: pid,
            threads: Vec::new(),
            exited_insns: 0,
            timeout_at: None,
            clear_child_tid: 0,
            robust_list: (0, 0),
            futex_wait: None,
            futex_queue: Vec::new(),
            futex_woken: std::collections::BTreeSet::new(),
            timers: Vec::new(),
            deferred_signals: Vec::new(),
            compute_streak: 0,
        })
    }

    /// Replace this process's image (`execve`): a fresh address space with
    /// `image` loaded (and its interpreter), fresh registers and engine;
    /// pid, descriptors and working directory stay.
    pub fn exec_image(
        &mut self,
        kernel: &mut Kernel,
        image: &[u8],
        exe: &[u8],
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<(), SpawnError> {
        let mut mem = AddressSpace::try_new(Layout::for_bits(self.arch.is_64bit()))?;
        mem.set_budget(kernel.limits.memory.clone())
            .map_err(|_| SpawnError::Limit(Errno::ENOMEM))?;
        let mut random = [0u8; 16];
        self.rng.fill(&mut random);
        let abi = arch::linux_abi(self.arch);
        let aux = loader::AuxInfo {
            hwcap: frontend_for(self.arch).map_or(0, |f| f.hwcap()),
            hwcap2: abi.hwcap2,
            platform: abi.platform,
            arch_auxv: abi.arch_auxv,
            random,
            execfn: exe,
        };
        let fs: &mut dyn FileSystem = kernel.fs.as_mut();
        let start = load_program(fs, image, exe, self.arch, &mut mem, argv, envp, &aux)?;
        let mut cpu = CpuState::default();
        self.frontend = frontend_for_mode(self.arch, start.mode).unwrap_or(self.frontend);
        self.frontend.init_registers(&mut cpu, start.pc, start.sp, start.toc);
        // Time goes on across an exec.
        cpu.icount = self.cpu.icount;
        cpu.vclock_bias = self.cpu.vclock_bias;
        let mut engine = (self.engine_factory)(self.frontend, self.pid);
        if let Some(h) = &kernel.plugins {
            engine.set_plugins(h.clone());
        }
        // The other threads end; the caller goes on as the only one, and
        // POSIX timers do not survive an exec.
        self.drop_threads(kernel);
        self.timers.clear();
        self.clear_child_tid = 0;
        self.robust_list = (0, 0);
        self.tid = self.pid;
        self.mem = mem;
        // A new address space counts its changes afresh.
        kernel.proc_maps.remove(&self.pid);
        shared::flush(&kernel.shared_files);
        self.cpu = cpu;
        self.engine = engine;
        self.portal_len = 0;
        self.exe = exe.to_vec();
        self.name =
            argv.first().map(|a| String::from_utf8_lossy(a).into_owned()).unwrap_or_default();
        self.cmdline.clear();
        for a in argv {
            self.cmdline.extend_from_slice(a);
            self.cmdline.push(0);
        }
        Ok(())
    }

    /// Instrument this process with `host` (its engine and its start and
    /// exit), before it runs.
    pub fn instrument(&mut self, host: &crate::plugin::PluginHandle) {
        self.engine.set_plugins(host.clone());
        let start = crate::plugin::ProcessStart { pid: self.pid, name: self.name.clone() };
        host.borrow_mut().process_start(&start);
    }

    /// Tell the plugins, if any, about a fault or trap.
    fn report_fault(&self, kernel: &Kernel, e: crate::plugin::FaultEvent) {
        if let Some(h) = &kernel.plugins {
            h.borrow_mut().fault(&e);
        }
    }

    /// Run for at most `fuel` guest instructions.
    pub fn run(&mut self, kernel: &mut Kernel, fuel: u64) -> RunState {
        let (state, engine_ran) = self.run_slice(kernel, fuel);
        if !engine_ran {
            // A slice that ended before any engine run (a signal that
            // stops or ends the process) sends what `route` held back.
            self.compute_streak = 0;
            self.accept_deferred_signals(kernel);
        }
        if self.exit.is_some() {
            self.deferred_signals.clear();
        }
        self.publish_maps(kernel);
        state
    }

    /// Give the kernel a copy of this process's mappings if they changed
    /// since the last one (see [`Kernel::proc_maps`]); a process that has
    /// exited has none.
    pub fn publish_maps(&self, kernel: &mut Kernel) {
        if self.exit.is_some() {
            kernel.proc_maps.remove(&self.pid);
            return;
        }
        if self.mem.is_vacant() {
            // The address space is running ahead on another host thread
            // (`machine::lanes`); only a system call changes its mappings,
            // and none has run since the last copy.
            return;
        }
        let generation = self.mem.generation();
        if kernel.proc_maps.get(&self.pid).is_some_and(|m| m.generation == generation) {
            return;
        }
        let maps = procfs::PublishedMaps {
            generation,
            maps: self.mem.maps(),
            is_64bit: self.arch.is_64bit(),
        };
        kernel.proc_maps.insert(self.pid, maps);
    }

    /// One slice: its run state, and whether the engine ran in it.
    fn run_slice(&mut self, kernel: &mut Kernel, fuel: u64) -> (RunState, bool) {
        let mut engine_ran = false;
        let state = self.run_slice_inner(kernel, fuel, &mut engine_ran);
        (state, engine_ran)
    }

    fn run_slice_inner(
        &mut self,
        kernel: &mut Kernel,
        fuel: u64,
        engine_ran: &mut bool,
    ) -> RunState {
        // The slice begins in the process's own code, not in a retried call.
        let pure_start = !self.pending_syscall;
        if let Some(s) = self.exit {
            return RunState::Exited(s);
        }
        if let Some(h) = &kernel.plugins {
            h.borrow_mut().set_pid(self.pid);
        }
        self.report_continue(kernel);
        if self.signals.stopped.is_some() {
            return RunState::Blocked;
        }
        if self.pending_syscall
            && self.signal_deliverable()
            && let Some(state) = self.signal_point(kernel)
        {
            return state;
        }
        if self.pending_syscall {
            self.pending_syscall = false;
            let state = self.handle_syscall(kernel, true);
            self.log_invalidations(kernel);
            if let Some(state) = state {
                return state;
            }
            if std::mem::take(&mut self.yield_now) {
                return RunState::Ready;
            }
        }
        let start = self.cpu.icount;
        loop {
            if let Some(state) = self.signal_point(kernel) {
                return state;
            }
            let used = self.cpu.icount - start;
            if used >= fuel {
                return RunState::Ready;
            }
            let budget = self.fuel_until_alarm(fuel - used);
            let stop = self.engine.run(&mut self.cpu, &mut self.mem, budget);
            if !std::mem::replace(engine_ran, true) {
                let whole = pure_start
                    && stop == StopReason::FuelExhausted
                    && self.cpu.icount - start >= fuel;
                self.after_first_run(kernel, whole);
            } else {
                self.accept_deferred_signals(kernel);
            }
            self.log_invalidations(kernel);
            match stop {
                StopReason::FuelExhausted => {
                    if self.cpu.icount - start < fuel {
                        // Stopped early for the alarm: deliver it.
                        continue;
                    }
                    return RunState::Ready;
                }
                StopReason::Syscall => {
                    let state = self.handle_syscall(kernel, false);
                    // A portal copy may have run guest code: log what it
                    // invalidated now, in order.
                    self.log_invalidations(kernel);
                    if let Some(state) = state {
                        return state;
                    }
                    if std::mem::take(&mut self.yield_now) {
                        return RunState::Ready;
                    }
                }
                StopReason::Trap(kind) => {
                    let signal = trap_signal(kind);
                    let pc = self.cpu.pc;
                    if let Some(state) = self.trap_to_handler(kernel, kind) {
                        match state {
                            Some(state) => return state,
                            None => continue,
                        }
                    }
                    let (addr, access) = match kind {
                        TrapKind::FetchFault { addr } => (Some(addr), "exec"),
                        _ => (None, "trap"),
                    };
                    let e = crate::plugin::FaultEvent {
                        pid: self.pid,
                        pc,
                        signal,
                        addr,
                        access,
                        handled: false,
                    };
                    self.report_fault(kernel, e);
                    kernel.events.push(match kind {
                        TrapKind::IllegalInstruction { bytes, len } => Event::IllegalInstruction {
                            pid: self.pid,
                            pc,
                            bytes: bytes.to_le_bytes()[..len.min(4) as usize].to_vec(),
                        },
                        TrapKind::FetchFault { addr } => {
                            Event::GuestFault { pid: self.pid, signal, addr, pc, access: "exec" }
                        }
                        _ => Event::GuestTrap { pid: self.pid, signal, pc },
                    });
                    return RunState::Exited(self.terminate(kernel, ExitStatus::Signaled(signal)));
                }
                StopReason::Fault(f) => {
                    let access = f.access.name();
                    let code = if f.unmapped {
                        signal::code::SEGV_MAPERR
                    } else {
                        signal::code::SEGV_ACCERR
                    };
                    let info = signal::SigInfo {
                        signo: signal::SIGSEGV,
                        code,
                        addr: Some(f.addr),
                        ..Default::default()
                    };
                    let pc = self.cpu.pc;
                    if let Some(state) = self.fault_to_handler(kernel, info) {
                        let e = crate::plugin::FaultEvent {
                            pid: self.pid,
                            pc,
                            signal: signal::SIGSEGV,
                            addr: Some(f.addr),
                            access,
                            handled: true,
                        };
                        self.report_fault(kernel, e);
                        match state {
                            Some(state) => return state,
                            None => continue,
                        }
                    }
                    let e = crate::plugin::FaultEvent {
                        pid: self.pid,
                        pc: self.cpu.pc,
                        signal: 11,
                        addr: Some(f.addr),
                        access,
                        handled: false,
                    };
                    self.report_fault(kernel, e);
                    kernel.events.push(Event::GuestFault {
                        pid: self.pid,
                        signal: 11,
                        addr: f.addr,
                        pc: self.cpu.pc,
                        access,
                    });
                    return RunState::Exited(self.terminate(kernel, ExitStatus::Signaled(11)));
                }
            }
        }
    }

    /// Turn the engines' invalidation reports into events.
    fn log_invalidations(&mut self, kernel: &mut Kernel) {
        for (page, blocks) in self.mem.take_invalidations() {
            kernel.events.push(Event::BlocksInvalidated { pid: self.pid, page, blocks });
        }
    }

    /// Would retrying the running thread's blocked call now block again
    /// and change nothing? So when it is a call that waits only on pipes
    /// or on children (`read`, `write`, `readv`, `writev`, `wait4`,
    /// `waitid`), nothing has moved since it last blocked
    /// ([`Kernel::generation`]: only another call, an exit or a new process
    /// changes a pipe or a child), and nothing else would act first: no
    /// signal to take, deferred, stopping or continuing it, no timer or
    /// deadline, a single thread, no plugin watching the retry. The
    /// scheduler then counts the turn without making the call, which
    /// would only find what it found last time. (`blocked_at` is set only
    /// for those calls, when one blocks.)
    pub fn retry_would_block(&self, kernel: &Kernel) -> bool {
        self.pending_syscall
            && self.blocked_at == Some(kernel.generation())
            && self.threads.is_empty()
            && kernel.plugins.is_none()
            && self.exit.is_none()
            && self.signals.stopped.is_none()
            && self.sleep_until.is_none()
            && self.deferred_signals.is_empty()
            && self.undisturbed()
    }

    /// Is the call the CPU stopped at one that waits only on pipes or on
    /// children? Asked once when it blocks, not at every turn it waits:
    /// the number is a search of the arch's table.
    fn waits_on_pipes_or_children(&self) -> bool {
        use crate::arch::Sysno;
        matches!(
            self.frontend.syscall_abi().call_in(&self.cpu),
            Some(
                Sysno::Read
                    | Sysno::Write
                    | Sysno::Readv
                    | Sysno::Writev
                    | Sysno::Wait4
                    | Sysno::Waitid
            )
        )
    }

    /// Run the system call the CPU stopped at; `Some` when the process
    /// cannot continue right away. `retry`: it blocked before.
    fn handle_syscall(&mut self, kernel: &mut Kernel, retry: bool) -> Option<RunState> {
        let outcome = syscall::dispatch(kernel, self, retry);
        kernel.report_limits(self.pid);
        self.blocked_at = None;
        match outcome {
            syscall::Outcome::Continue => None,
            syscall::Outcome::Block => {
                self.pending_syscall = true;
                self.blocked_at = self.waits_on_pipes_or_children().then(|| kernel.generation());
                if !kernel.shared_clock
                    && let Some(t) = self.wake_time()
                {
                    // Alone, the process is the machine: time jumps to
                    // its next timer, as the machine's clock would.
                    let now = self.cpu.vclock_ns();
                    self.cpu.vclock_bias = self.cpu.vclock_bias.wrapping_add(t.saturating_sub(now));
                }
                Some(RunState::Blocked)
            }
            syscall::Outcome::Exit(status) => {
                Some(RunState::Exited(self.terminate(kernel, status)))
            }
            // Another thread is the running one now: end the slice.
            syscall::Outcome::ThreadExit => Some(RunState::Ready),
        }
    }

    /// Mark the process exited, close its descriptors and tell the plugins.
    pub fn terminate(&mut self, kernel: &mut Kernel, status: ExitStatus) -> ExitStatus {
        kernel.changes += 1;
        if self.exit.replace(status).is_none() {
            kernel.limits.end_task();
        }
        self.drop_threads(kernel);
        self.timers.clear();
        // Its memory is done with: shared objects only it mapped go back
        // to their files now, before anyone reads them.
        self.mem.unmap_shared();
        shared::flush(&kernel.shared_files);
        kernel.proc_maps.remove(&self.pid);
        self.fds.close_all();
        // A forked process becomes a zombie until its parent reaps it; its
        // own children are orphans, and nobody waits for orphans: their
        // entries go, and the running ones get parent 0 (nobody).
        if let Some(c) = kernel.children.get_mut(&self.pid) {
            c.status = Some(status);
            if c.ppid != 0 {
                let info = signal::child_exit_info(self.arch, self.pid, status);
                kernel.signal_outbox.push((c.ppid, info));
            }
        }
        let pid = self.pid;
        kernel.children.retain(|_, c| c.ppid != pid || c.status.is_none());
        for c in kernel.children.values_mut().filter(|c| c.ppid == pid) {
            c.ppid = 0;
        }
        kernel.children.retain(|_, c| c.ppid != 0 || c.status.is_none());
        if let Some(h) = &kernel.plugins {
            let e = crate::plugin::ProcessExit { pid: self.pid, status: status.shell_code() };
            h.borrow_mut().process_exit(&e);
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn at_yields_the_sequence_from_any_index() {
        let mut whole = SplitMix64(831);
        let outputs: Vec<u64> = (0..40).map(|_| whole.next_u64()).collect();
        for (i, &want) in outputs.iter().enumerate() {
            assert_eq!(SplitMix64::at(831, i as u64).next_u64(), want, "output {i}");
        }
    }

    #[test]
    fn fill_is_the_little_endian_words_of_the_sequence_cut_to_length() {
        for len in [0usize, 1, 7, 8, 9, 23, 64, 1001] {
            let mut words = SplitMix64(831);
            let want: Vec<u8> = (0..len.div_ceil(8))
                .flat_map(|_| words.next_u64().to_le_bytes())
                .take(len)
                .collect();
            let mut got = vec![0u8; len];
            SplitMix64(831).fill(&mut got);
            assert_eq!(got, want, "{len} bytes");
        }
        // Fixed: a cell's flash contents reach its fingerprint.
        let mut b = [0u8; 8];
        SplitMix64(0).fill(&mut b);
        assert_eq!(u64::from_le_bytes(b), 0xe220_a839_7b1d_cdaf);
    }
}
