//! Axes → cells, with GitHub Actions' documented `exclude`/`include`
//! semantics, then per-cell settings and expectations.
//!
//! GitHub's rules, as implemented here:
//! - the axes' cartesian product gives the original combinations, the
//!   first axis varying slowest;
//! - an exclude entry removes every combination it matches partially
//!   (all of its keys equal), and excludes run before includes;
//! - each include entry is added to every original combination in which it
//!   overwrites no original axis value (values added by earlier includes may
//!   be overwritten); if it fits none, it becomes a new combination, which
//!   later includes do not extend.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use super::diag::{ConfigError, Diag, Source};
use super::parse::{ExpectPatch, Parsed};
use super::{Cell, DebugHook, Key, Matrix, Param, Settings, Value};

/// Longest file name (in bytes) the file systems we write snapshots to
/// accept.
const MAX_FILE_NAME: usize = 255;

/// A combination under construction.
#[derive(Clone, Debug)]
pub(super) struct Combo {
    /// Axis values, in axis order (new combinations may lack some).
    pub axes: Vec<(Key, Value)>,
    /// Values include entries added, in order of first addition.
    pub added: Vec<(Key, Value)>,
    pub expect: ExpectPatch,
    /// Where the combination comes from (for messages and annotations).
    pub span: Range<usize>,
}

impl Combo {
    fn get(&self, k: &Key) -> Option<&Value> {
        self.axes.iter().chain(&self.added).find(|(ck, _)| ck == k).map(|(_, v)| v)
    }

    fn set_added(&mut self, k: &Key, v: &Value) {
        match self.added.iter_mut().find(|(ak, _)| ak == k) {
            Some(slot) => slot.1 = v.clone(),
            None => self.added.push((k.clone(), v.clone())),
        }
    }

    /// Stable ID: axis values joined by `/`, then `key=value` per added key.
    pub fn id(&self) -> String {
        let mut parts: Vec<String> = self.axes.iter().map(|(_, v)| v.to_string()).collect();
        parts.extend(self.added.iter().map(|(k, v)| format!("{k}={v}")));
        parts.join("/")
    }
}

/// An include entry: its values, its `expect` override and where it is.
pub(super) type Include = (Vec<(Key, Value)>, Option<ExpectPatch>, Range<usize>);

/// The GitHub expansion on plain data (kept separate for tests).
pub(super) fn combinations(
    axes: &[(Key, Vec<Value>)],
    excludes: &[Vec<(Key, Value)>],
    includes: &[Include],
    base_span: Range<usize>,
) -> Vec<Combo> {
    let mut originals: Vec<Combo> = Vec::new();
    if !axes.is_empty() {
        let mut idx = vec![0usize; axes.len()];
        'outer: loop {
            let values = axes.iter().zip(&idx).map(|((k, vs), &i)| (k.clone(), vs[i].clone()));
            originals.push(Combo {
                axes: values.collect(),
                added: Vec::new(),
                expect: ExpectPatch::default(),
                span: base_span.clone(),
            });
            // Odometer with the last axis varying fastest.
            for d in (0..axes.len()).rev() {
                idx[d] += 1;
                if idx[d] < axes[d].1.len() {
                    continue 'outer;
                }
                idx[d] = 0;
            }
            break;
        }
    }
    originals.retain(|c| !excludes.iter().any(|e| e.iter().all(|(k, v)| c.get(k) == Some(v))));
    let axis_keys: Vec<&Key> = axes.iter().map(|(k, _)| k).collect();
    let mut extra: Vec<Combo> = Vec::new();
    for (entry, expect, span) in includes {
        let mut matched = false;
        for c in &mut originals {
            let fits = entry.iter().all(|(k, v)| {
                !axis_keys.contains(&k) || c.axes.iter().any(|(ck, cv)| ck == k && cv == v)
            });
            if fits {
                matched = true;
                for (k, v) in entry {
                    if !axis_keys.contains(&k) {
                        c.set_added(k, v);
                    }
                }
                if let Some(e) = expect {
                    c.expect.overlay(e);
                }
                // An include that touches a cell is the better place to point at.
                c.span = span.clone();
            }
        }
        if !matched {
            let mut axes_part = Vec::new();
            for k in &axis_keys {
                if let Some((_, v)) = entry.iter().find(|(ek, _)| ek == *k) {
                    axes_part.push(((*k).clone(), v.clone()));
                }
            }
            let added = entry.iter().filter(|(k, _)| !axis_keys.contains(&k)).cloned().collect();
            extra.push(Combo {
                axes: axes_part,
                added,
                expect: expect.clone().unwrap_or_default(),
                span: span.clone(),
            });
        }
    }
    originals.extend(extra);
    originals
}

pub(super) fn build(src: &Source, path: &Path, p: Parsed) -> Result<Matrix, ConfigError> {
    let axes: Vec<(Key, Vec<Value>)> =
        p.axes.iter().map(|(a, _)| (a.key.clone(), a.values.clone())).collect();
    let excludes: Vec<Vec<(Key, Value)>> = p
        .excludes
        .iter()
        .map(|e| e.values.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect())
        .collect();
    let includes: Vec<_> = p
        .includes
        .iter()
        .map(|e| {
            let vals = e.values.iter().map(|(k, v, _)| (k.clone(), v.clone())).collect();
            (vals, e.expect.clone(), e.span.clone())
        })
        .collect();
    let combos = combinations(&axes, &excludes, &includes, p.matrix_span.clone());

    let mut errs: Vec<Diag> = Vec::new();
    if combos.is_empty() {
        errs.push(
            src.diag(&p.matrix_span, "the matrix has no cells (every combination is excluded)"),
        );
    }
    let mut cells: Vec<Cell> = Vec::new();
    // ID → line, and snapshot file stem → (ID, line): hash lookups keep
    // expansion linear in the number of cells.
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut stems: HashMap<String, (String, usize)> = HashMap::new();
    for c in &combos {
        let id = c.id();
        if id.is_empty() {
            errs.push(src.diag(&c.span, "an include entry defines a cell with no values"));
            continue;
        }
        let line = src.line_col(c.span.start).0;
        if let Some(prev) = ids.get(&id) {
            errs.push(src.diag(
                &c.span,
                format!(
                    "duplicate cell ID `{id}` (also defined at line {prev}); cell IDs must be unique"
                ),
            ));
            continue;
        }
        ids.insert(id.clone(), line);
        // Snapshot files are named after cell IDs; two IDs must not
        // collide after the file-name mapping.
        let stem = super::file_stem(&id);
        match stems.get(&stem) {
            Some((other, other_line)) => {
                errs.push(src.diag(
                    &c.span,
                    format!(
                        "cells `{other}` (line {other_line}) and `{id}` would share a snapshot \
                         file name ({stem}.snap)"
                    ),
                ));
                continue;
            }
            None => {
                stems.insert(stem.clone(), (id.clone(), line));
            }
        }
        match settings(src, &p, c) {
            Ok(settings) => {
                let mut expect = p.expect.clone();
                expect.overlay(&c.expect);
                let expect = expect.resolve();
                if expect.snapshot && stem.len() + ".snap.new".len() > MAX_FILE_NAME {
                    errs.push(src.diag(
                        &c.span,
                        format!(
                            "cell `{id}`: its ID is too long for a snapshot file name \
                             ({} bytes, at most {} with `snapshot = true`)",
                            stem.len(),
                            MAX_FILE_NAME - ".snap.new".len()
                        ),
                    ));
                    continue;
                }
                cells.push(Cell {
                    index: cells.len(),
                    id,
                    values: c.axes.iter().chain(&c.added).cloned().collect(),
                    settings,
                    expect,
                    line,
                });
            }
            Err(msg) => errs.push(src.diag(&c.span, format!("cell `{id}`: {msg}"))),
        }
    }
    if !errs.is_empty() {
        return Err(ConfigError { diags: errs });
    }
    Ok(Matrix {
        name: p.name,
        description: p.description,
        path: path.to_path_buf(),
        root: p.root,
        axes: p.axes.into_iter().map(|(a, _)| a).collect(),
        cells,
        mtds: p.mtds,
        files: p.files,
        scripts: p.scripts,
        rootfs_defs: p
            .rootfs_defs
            .into_iter()
            .map(|(name, (image, span))| {
                (name, super::rootfs::RootfsDef { image, at: src.line_col(span.start) })
            })
            .collect(),
        images: std::sync::OnceLock::new(),
    })
}

/// Defaults ← `[cell]` ← the combination's values.
fn settings(src: &Source, p: &Parsed, c: &Combo) -> Result<Settings, String> {
    let d = bohr_emu::machine::MachineConfig::new(bohr_emu::arch::Arch::Riscv64);
    let mut s = Settings {
        arch: d.arch,
        engine: d.engine,
        write_path: d.write_path,
        quantum: d.quantum,
        seed: 0,
        chaos: d.chaos,
        max_insns: d.max_insns,
        max_block_insns: d.max_block_insns,
        mtd_chunk: d.mtd_chunk,
        jit_threshold: d.jit_threshold,
        memory: None,
        max_tasks: d.limits.max_tasks,
        disk: d.limits.disk,
        timeout: None,
        script: String::new(),
        env: p.env.clone(),
        rootfs: None,
        shell: d.shell,
        debug_hook: None,
    };
    let mut rootfs: Option<&str> = None;
    let mut have_arch = false;
    let mut have_script = false;
    let values = p
        .defaults
        .iter()
        .map(|(k, v, _)| (k, v))
        .chain(c.axes.iter().chain(&c.added).map(|(k, v)| (k, v)));
    for (k, v) in values {
        match k {
            Key::Env(name) => match s.env.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = v.to_string(),
                None => s.env.push((name.clone(), v.to_string())),
            },
            Key::Param(Param::Rootfs) => match v {
                Value::Str(name) => rootfs = Some(name.as_str()),
                _ => return Err(format!("internal error: unexpected value `{v}` for `rootfs`")),
            },
            Key::Param(param) => apply(&mut s, *param, v, &mut have_arch, &mut have_script)?,
        }
    }
    if !have_arch {
        return Err("no `arch`: set it as an axis, in [cell] or in the include".into());
    }
    if !have_script {
        return Err("no `script`: set it as an axis, in [cell] or in the include".into());
    }
    if s.write_path == bohr_emu::machine::WritePath::Portal
        && bohr_emu::arch::frontend_for(s.arch).and_then(|f| f.portal_copy_stub()).is_none()
    {
        return Err(format!(
            "the portal write path is not available on {a} yet (its frontend has no copy \
             stub); exclude it with [[matrix.exclude]] arch = \"{a}\", write_path = \"portal\"",
            a = s.arch
        ));
    }
    s.rootfs = match rootfs {
        None | Some(super::rootfs::NONE) => None,
        Some(name) => {
            let (template, span) = match p.rootfs_defs.get(name) {
                Some((image, span)) => (image.as_str(), span),
                None => (name, p.rootfs_paths.get(name).unwrap_or(&c.span)),
            };
            Some(super::rootfs::CellRootfs {
                name: name.to_string(),
                path: super::rootfs::image_path(&p.dir, template, s.arch.name()),
                at: src.line_col(span.start),
            })
        }
    };
    if s.shell == bohr_emu::machine::ShellKind::Guest && s.rootfs.is_none() {
        return Err("`shell = \"guest\"` runs the rootfs's own /bin/sh: give the cell a \
                    `rootfs`"
            .into());
    }
    if s.debug_hook == Some(DebugHook::Hang) && s.timeout.is_none() {
        return Err("`debug_hook = \"hang\"` needs a `timeout`".into());
    }
    Ok(s)
}

/// Values were validated when parsed; a mismatch here is a parser bug, so
/// it is reported as a configuration error rather than a panic.
fn apply(
    s: &mut Settings,
    p: Param,
    v: &Value,
    arch: &mut bool,
    script: &mut bool,
) -> Result<(), String> {
    let bad = || format!("internal error: unexpected value `{v}` for `{}`", p.name());
    let int = || match v {
        Value::Int(n) => Ok(*n),
        _ => Err(bad()),
    };
    let text = || match v {
        Value::Str(t) => Ok(t.as_str()),
        _ => Err(bad()),
    };
    match p {
        Param::Arch => {
            s.arch = text()?.parse().map_err(|_| bad())?;
            *arch = true;
        }
        Param::WritePath => s.write_path = text()?.parse().map_err(|_| bad())?,
        Param::Engine => s.engine = text()?.parse().map_err(|_| bad())?,
        Param::Script => {
            s.script = text()?.to_string();
            *script = true;
        }
        Param::Quantum => s.quantum = int()?,
        Param::Seed => s.seed = int()?,
        Param::Chaos => match v {
            Value::Bool(b) => s.chaos = *b,
            _ => return Err(bad()),
        },
        Param::MaxBlockInsns => s.max_block_insns = u32::try_from(int()?).map_err(|_| bad())?,
        Param::MtdChunk => s.mtd_chunk = u32::try_from(int()?).map_err(|_| bad())?,
        Param::MaxInsns => s.max_insns = int()?,
        Param::JitThreshold => s.jit_threshold = u32::try_from(int()?).map_err(|_| bad())?,
        Param::Memory | Param::Disk => {
            let bytes = match v {
                Value::Int(n) => *n,
                Value::Str(t) => crate::units::parse_size(t).map_err(|_| bad())?,
                Value::Bool(_) => return Err(bad()),
            };
            if p == Param::Memory {
                s.memory = Some(bytes);
            } else {
                s.disk = bytes;
            }
        }
        Param::MaxTasks => s.max_tasks = u32::try_from(int()?).map_err(|_| bad())?,
        Param::Timeout => {
            s.timeout = Some(match v {
                Value::Int(secs) => std::time::Duration::from_secs(*secs),
                Value::Str(t) => super::parse::parse_duration(t).ok_or_else(bad)?,
                Value::Bool(_) => return Err(bad()),
            })
        }
        Param::Shell => s.shell = text()?.parse().map_err(|_| bad())?,
        // Resolved with the definitions, in `settings`.
        Param::Rootfs => return Err(bad()),
        Param::DebugHook => {
            s.debug_hook = Some(match text()? {
                "panic" => DebugHook::Panic,
                "hang" => DebugHook::Hang,
                _ => return Err(bad()),
            })
        }
    }
    Ok(())
}
