//! The counters plugin: executed instructions and blocks per process.
//!
//! Every instruction gets an execution callback; the first instruction of
//! each translated block also counts a block. Instructions are counted
//! when they start, so a faulting instruction counts here although it does
//! not retire; for a run without faults the totals equal the machine's
//! instruction counts.

use std::collections::BTreeMap;

use super::{BlockInfo, Cx, InsnEvent, Plan, Plugin};

/// Counts of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub insns: u64,
    pub blocks: u64,
}

/// The counters plugin.
#[derive(Debug, Default)]
pub struct Counters {
    per_pid: BTreeMap<u32, Counts>,
}

impl Counters {
    /// Counts by pid, ascending.
    pub fn counts(&self) -> &BTreeMap<u32, Counts> {
        &self.per_pid
    }

    /// One line per process: `pid P: N instructions, M blocks`.
    pub fn report(&self) -> String {
        self.per_pid
            .iter()
            .map(|(pid, c)| format!("pid {pid}: {} instructions, {} blocks\n", c.insns, c.blocks))
            .collect()
    }
}

impl Plugin for Counters {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        for i in 0..block.insns.len() {
            plan.on_insn(i, (i == 0) as u64);
        }
    }

    fn insn(&mut self, _cx: &mut Cx, e: &InsnEvent) {
        let c = self.per_pid.entry(e.pid).or_default();
        c.insns += 1;
        c.blocks += e.data;
    }
}
