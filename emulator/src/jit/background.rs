//! Cranelift's part of compiling a region, on the calling thread or on a
//! small pool of compile threads, so an engine can keep running a block
//! cold while its region compiles.
//!
//! The engine builds a region's Cranelift function itself (`lower`). What
//! runs here is the expensive rest, which needs nothing of the engine:
//! optimisation, register allocation and emission, giving machine code and
//! relocations that `CodeCache` installs into its module when the engine
//! next looks. Results never depend on when they arrive: a block runs the
//! same in the interpreter, borrowed and compiled (see the module
//! documentation of `jit`), and the engine tiers up at the same points, so
//! only how fast it runs depends on the compile threads.
//!
//! The pool has one thread per host core but one, and none on a one-core
//! host; [`crate::engine::set_background_compile`] turns it off for the
//! process (a runner that already keeps every core busy gains nothing from
//! it and pays for code that runs cold a little longer).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_module::{FuncId, ModuleReloc};

/// Machine code of one function, ready to install.
pub(super) struct MachineCode {
    pub bytes: Vec<u8>,
    pub align: u64,
    pub relocs: Vec<ModuleReloc>,
    /// Trap records `(offset, raw code)`.
    pub traps: Vec<(u32, u8)>,
    /// The disassembly, when asked for (`BOHR_JIT_DUMP`).
    pub vcode: Option<String>,
    /// Host microseconds Cranelift took.
    pub micros: u64,
}

/// Compile `func` (declared as `id`) for `isa`. An error is Cranelift
/// rejecting IR that `lower` built, a bug in `lower`: its message carries
/// the function.
pub(super) fn compile(
    func: Function,
    id: FuncId,
    isa: &OwnedTargetIsa,
    disasm: bool,
) -> Result<MachineCode, String> {
    let started = Instant::now();
    let mut ctx = Context::for_function(func);
    ctx.set_disasm(disasm);
    if let Err(e) = ctx.compile(&**isa, &mut ControlPlane::default()) {
        return Err(format!("{:?}\n{}", e.inner, e.func.display()));
    }
    let code = ctx.compiled_code().expect("compiled just above");
    let relocs = code
        .buffer
        .relocs()
        .iter()
        .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
        .collect();
    Ok(MachineCode {
        bytes: code.code_buffer().to_vec(),
        align: u64::from(code.buffer.alignment),
        relocs,
        traps: code.buffer.traps().iter().map(|t| (t.offset, t.code.as_raw().get())).collect(),
        vcode: code.vcode.clone(),
        micros: started.elapsed().as_micros() as u64,
    })
}

/// A function to compile on the pool, and where its result goes.
pub(super) struct Job {
    pub ticket: u64,
    /// Boxed: a `Function` is large, and a job moves twice.
    pub func: Box<Function>,
    pub id: FuncId,
    pub isa: OwnedTargetIsa,
    pub disasm: bool,
    pub reply: Replies,
}

/// Where the compile threads send an engine's results.
#[derive(Clone)]
pub(super) struct Replies {
    tx: Sender<Done>,
    /// Results sent, counted after each is in the channel.
    sent: Arc<AtomicU64>,
}

impl Replies {
    fn send(&self, done: Done) {
        // The engine may be gone (its process exited): nothing to do.
        if self.tx.send(done).is_ok() {
            self.sent.fetch_add(1, Ordering::Release);
        }
    }
}

/// The receiving end of [`Replies`]: the engine's dispatch loop asks it on
/// every block while code is in flight, so it answers "nothing new" with
/// one atomic load rather than a look into the channel.
pub(super) struct Inbox {
    rx: Receiver<Done>,
    sent: Arc<AtomicU64>,
    taken: u64,
}

impl Inbox {
    /// Whether a result is ready to take.
    pub fn has_new(&self) -> bool {
        self.sent.load(Ordering::Acquire) != self.taken
    }

    /// The next result, waiting for it until `deadline` at most.
    pub fn take_by(&mut self, deadline: Instant) -> Option<Done> {
        let wait = deadline.checked_duration_since(Instant::now())?;
        let done = self.rx.recv_timeout(wait).ok()?;
        self.taken += 1;
        Some(done)
    }

    /// The next result sent, if any.
    pub fn take(&mut self) -> Option<Done> {
        if !self.has_new() {
            return None;
        }
        let done = self.rx.try_recv().ok()?;
        self.taken += 1;
        Some(done)
    }
}

/// A channel for compile results.
pub(super) fn inbox() -> (Replies, Inbox) {
    let (tx, rx) = channel();
    let sent = Arc::new(AtomicU64::new(0));
    (Replies { tx, sent: sent.clone() }, Inbox { rx, sent, taken: 0 })
}

/// A job's result.
pub(super) struct Done {
    pub ticket: u64,
    pub code: Result<MachineCode, String>,
}

/// The pool's queue, with its threads started on first use; `None` when
/// the host has a single core.
fn queue() -> Option<&'static Mutex<Sender<Job>>> {
    static QUEUE: OnceLock<Option<Mutex<Sender<Job>>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let threads = cores.saturating_sub(1).min(4);
            if threads == 0 {
                return None;
            }
            let (tx, rx) = channel::<Job>();
            let rx = Arc::new(Mutex::new(rx));
            let mut started = 0;
            for i in 0..threads {
                let rx = rx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("bohr-compile-{i}"))
                    .spawn(move || worker(&rx));
                started += usize::from(spawned.is_ok());
            }
            // A host that refuses threads compiles on the calling thread.
            (started > 0).then(|| Mutex::new(tx))
        })
        .as_ref()
}

fn worker(rx: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job.
        let job = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let Job { ticket, func, id, isa, disasm, reply } = job;
        // A panic inside Cranelift becomes an error the engine reports,
        // not a silently dead compile thread.
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile(*func, id, &isa, disasm)
        }))
        .unwrap_or_else(|_| Err(format!("Cranelift panicked compiling function {id}")));
        reply.send(Done { ticket, code });
    }
}

/// Queue `job`; gives it back when there is no pool (one core, background
/// compilation off), for the caller to compile itself.
pub(super) fn submit(job: Job) -> Result<(), Job> {
    if !crate::engine::background_compile() {
        return Err(job);
    }
    let Some(queue) = queue() else { return Err(job) };
    let sender = match queue.lock() {
        Ok(s) => s.clone(),
        Err(_) => return Err(job),
    };
    sender.send(job).map_err(|e| e.0)
}
