//! The memory-access log plugin: one line per completed guest load or
//! store, `pid, pc, load|store, addr, size, value`, in execution order.
//! Accesses that fault are not logged (they did not happen).

use super::{BlockInfo, Cx, MemEvent, Plan, Plugin, Sink};

/// The memory-access log.
#[derive(Debug)]
pub struct MemLog {
    sink: Sink,
    error: Option<std::io::Error>,
    accesses: u64,
}

impl MemLog {
    pub fn new(sink: Sink) -> Self {
        MemLog { sink, error: None, accesses: 0 }
    }

    pub fn in_memory() -> Self {
        Self::new(Sink::Memory(Vec::new()))
    }

    /// The log so far, for an in-memory log.
    pub fn output(&self) -> &[u8] {
        self.sink.contents()
    }

    /// Accesses logged.
    pub fn accesses(&self) -> u64 {
        self.accesses
    }

    /// The first error writing the log, if any.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

impl Plugin for MemLog {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        for i in 0..block.insns.len() {
            plan.on_mem(i, 0);
        }
    }

    fn mem(&mut self, _cx: &mut Cx, e: &MemEvent) {
        let kind = if e.store { "store" } else { "load" };
        let line =
            format!("{}, {:#x}, {kind}, {:#x}, {}, {:#x}", e.pid, e.pc, e.addr, e.size, e.value);
        self.sink.write_line(&line, &mut self.error);
        self.accesses += 1;
    }

    fn finish(&mut self) {
        self.sink.flush(&mut self.error);
    }
}
