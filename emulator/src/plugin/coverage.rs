//! The block-coverage plugin: the start pcs of executed blocks, per
//! process. Only the first instruction of each block is instrumented.
//! A block that was entered counts even if it left early.

use std::collections::{BTreeMap, BTreeSet};

use super::{BlockInfo, Cx, InsnEvent, Plan, Plugin};

/// The coverage plugin.
#[derive(Debug, Default)]
pub struct Coverage {
    per_pid: BTreeMap<u32, BTreeSet<u64>>,
}

impl Coverage {
    /// Executed block start pcs by pid, both ascending.
    pub fn blocks(&self) -> &BTreeMap<u32, BTreeSet<u64>> {
        &self.per_pid
    }

    /// One line per block: `pid, pc`.
    pub fn report(&self) -> String {
        let mut out = String::new();
        for (pid, pcs) in &self.per_pid {
            for pc in pcs {
                out.push_str(&format!("{pid}, {pc:#x}\n"));
            }
        }
        out
    }
}

impl Plugin for Coverage {
    fn translate(&mut self, _cx: &mut Cx, block: &BlockInfo, plan: &mut Plan) {
        if !block.insns.is_empty() {
            plan.on_insn(0, 0);
        }
    }

    fn insn(&mut self, _cx: &mut Cx, e: &InsnEvent) {
        self.per_pid.entry(e.pid).or_default().insert(e.pc);
    }
}
