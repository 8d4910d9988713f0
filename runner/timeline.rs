//! `BOHR_TIMELINE=PATH`: the host threads' timeline of a run
//! (`bohr_emu::timeline`) written as a Chrome trace (the JSON
//! trace-event format that Perfetto and `chrome://tracing` open): one
//! track per host thread, one slice per world turn, system call, wait,
//! lane run and slice run ahead, named by what it was (a system call by
//! its name) and by the guest process's pid.
//!
//! Talks to: `cli` (which starts the recording before the command and
//! writes the file after it).

use std::path::{Path, PathBuf};

use bohr_emu::timeline::{self, Recording};
use serde_json::{Value, json};

/// The file asked for in the environment, when it is set and not empty.
pub fn requested() -> Option<PathBuf> {
    std::env::var_os("BOHR_TIMELINE").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// A recording as a Chrome trace document.
pub fn chrome_trace(rec: &Recording) -> Value {
    let mut events: Vec<Value> = Vec::with_capacity(rec.spans.len() + rec.threads.len());
    for (tid, name) in &rec.threads {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 0, "tid": tid, "args": { "name": name },
        }));
    }
    for s in &rec.spans {
        let what = if s.detail.is_empty() { s.kind.name() } else { &s.detail };
        let name = match s.pid {
            0 => what.to_string(),
            pid => format!("{what} {pid}"),
        };
        events.push(json!({
            "name": name, "cat": s.kind.name(), "ph": "X", "pid": 0, "tid": s.thread,
            "ts": s.start_us, "dur": s.dur_us, "args": { "pid": s.pid },
        }));
    }
    let other = json!({ "dropped_spans": rec.dropped });
    json!({ "traceEvents": events, "displayTimeUnit": "ns", "otherData": other })
}

/// Stop recording and write the trace to `path`.
pub fn write(path: &Path) -> Result<(), String> {
    let doc = chrome_trace(&timeline::take());
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bohr_emu::timeline::{Kind, Span};

    fn span(kind: Kind, pid: u32, thread: u32, start_us: f64) -> Span {
        Span { kind, pid, detail: String::new(), thread, start_us, dur_us: 2.5 }
    }

    #[test]
    fn spans_become_named_threads_and_complete_events() {
        let fork = Span { detail: "fork".into(), ..span(Kind::Syscall, 2, 0, 1.2) };
        let spans = [
            span(Kind::Turn, 2, 0, 1.0),
            fork,
            span(Kind::Run, 3, 1, 1.5),
            span(Kind::Wait, 0, 0, 4.0),
        ];
        let threads = vec![(0, "t0".to_string()), (1, "t1".to_string())];
        let doc = chrome_trace(&Recording { spans: spans.to_vec(), threads, dropped: 7 });
        assert_eq!(doc["otherData"]["dropped_spans"], 7);
        let events = doc["traceEvents"].as_array().unwrap();
        let names: Vec<_> = events.iter().filter(|e| e["ph"] == "M").collect();
        assert_eq!(names.len(), 2, "one name per thread: {names:?}");
        assert_eq!(names[1]["tid"], 1);
        assert_eq!(names[1]["args"]["name"], "t1");
        let slices: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        let got: Vec<_> =
            slices.iter().map(|e| (e["name"].as_str().unwrap(), e["tid"].as_u64())).collect();
        let want =
            [("turn 2", Some(0)), ("fork 2", Some(0)), ("run 3", Some(1)), ("wait", Some(0))];
        assert_eq!(got, want);
        assert_eq!(slices[1]["cat"], "syscall");
        assert_eq!(slices[2]["ts"], 1.5);
        assert_eq!(slices[2]["dur"], 2.5);
        assert_eq!(slices[2]["args"]["pid"], 3);
    }
}
