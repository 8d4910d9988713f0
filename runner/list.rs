//! `bohr list`: the cells of a matrix as text (one ID per line and nothing
//! else), JSON (a list of cell objects) or a GitHub Actions matrix for
//! `fromJSON` (one job per cell, or one per shard with `--shards N`).

use serde::Serialize;
use serde_json::{Map, Value as Json};

pub use crate::errors::ListError;
use crate::matrix::select::Partition;
use crate::matrix::{Cell, Key, Matrix, Value, format_duration};

/// Output format of `bohr list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    GithubMatrix,
}

/// A cell as JSON: its ID and every resolved parameter.
#[derive(Serialize)]
struct CellJson<'a> {
    id: &'a str,
    matrix: &'a str,
    /// The values that define the cell (axes, then include-only keys).
    values: Map<String, Json>,
    arch: &'a str,
    write_path: &'a str,
    script: &'a str,
    engine: &'a str,
    quantum: u64,
    seed: u64,
    chaos: bool,
    max_insns: u64,
    max_block_insns: u32,
    mtd_chunk: u32,
    jit_threshold: u32,
    timeout: Option<String>,
    /// The rootfs value (`none`, a definition's name or a path) and the
    /// image it resolves to.
    rootfs: &'a str,
    rootfs_image: Option<String>,
    shell: &'a str,
    env: Map<String, Json>,
    /// Line of the matrix that defines the cell.
    line: usize,
}

fn json_value(v: &Value) -> Json {
    match v {
        Value::Str(s) => Json::String(s.clone()),
        Value::Int(i) => Json::from(*i),
        Value::Bool(b) => Json::Bool(*b),
    }
}

fn values_map(values: &[(Key, Value)]) -> Map<String, Json> {
    values.iter().map(|(k, v)| (k.to_string(), json_value(v))).collect()
}

fn cell_json<'a>(m: &'a Matrix, c: &'a Cell) -> CellJson<'a> {
    let s = &c.settings;
    let script = m.scripts.get(&s.script).map_or(s.script.as_str(), |x| x.name.as_str());
    CellJson {
        id: &c.id,
        matrix: &m.name,
        values: values_map(&c.values),
        arch: s.arch.name(),
        write_path: s.write_path.name(),
        script,
        engine: s.engine.name(),
        quantum: s.quantum,
        seed: s.seed,
        chaos: s.chaos,
        max_insns: s.max_insns,
        max_block_insns: s.max_block_insns,
        mtd_chunk: s.mtd_chunk,
        jit_threshold: s.jit_threshold,
        timeout: s.timeout.map(format_duration),
        rootfs: s.rootfs.as_ref().map_or(crate::matrix::rootfs::NONE, |r| r.name.as_str()),
        rootfs_image: s.rootfs.as_ref().map(|r| r.path.display().to_string()),
        shell: s.shell.name(),
        env: s.env.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect(),
        line: c.line,
    }
}

/// Most jobs GitHub Actions allows in one matrix.
pub const GITHUB_MAX_JOBS: usize = 256;

/// Write `cells` (already selected) in `format` to `out` as they are
/// produced (one line per cell for text). `shards` turns the
/// github-matrix form into one entry per non-empty partition.
pub fn write(
    m: &Matrix,
    cells: &[&Cell],
    format: Format,
    shards: Option<usize>,
    out: &mut dyn std::io::Write,
) -> Result<(), ListError> {
    match format {
        Format::Text => {
            for c in cells {
                writeln!(out, "{}", c.id)?;
            }
        }
        Format::Json => {
            let list: Vec<CellJson> = cells.iter().map(|c| cell_json(m, c)).collect();
            serde_json::to_writer_pretty(&mut *out, &list).map_err(|e| ListError::Io(e.into()))?;
            writeln!(out)?;
        }
        Format::GithubMatrix => {
            let include: Vec<Json> = match shards {
                Some(n) => {
                    let mut counts = vec![0usize; n];
                    for i in 0..cells.len() {
                        counts[i % n] += 1;
                    }
                    (1..=n)
                        .filter(|&k| counts[k - 1] > 0)
                        .map(|k| {
                            let mut o = Map::new();
                            o.insert(
                                "partition".into(),
                                Json::String(Partition { k, n }.to_string()),
                            );
                            o.insert("cells".into(), Json::from(counts[k - 1]));
                            Json::Object(o)
                        })
                        .collect()
                }
                None => {
                    if cells.len() > GITHUB_MAX_JOBS {
                        return Err(ListError::TooManyJobs { jobs: cells.len() });
                    }
                    cells
                        .iter()
                        .map(|c| {
                            let mut o = Map::new();
                            o.insert("cell".into(), Json::String(c.id.clone()));
                            for (k, v) in &c.values {
                                o.insert(k.to_string(), Json::String(v.to_string()));
                            }
                            Json::Object(o)
                        })
                        .collect()
                }
            };
            if include.is_empty() {
                return Err(ListError::NoJobs);
            }
            let mut o = Map::new();
            o.insert("include".into(), Json::Array(include));
            writeln!(out, "{}", Json::Object(o))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// [`write`] into a string (for tests).
pub fn render(
    m: &Matrix,
    cells: &[&Cell],
    format: Format,
    shards: Option<usize>,
) -> Result<String, ListError> {
    let mut buf = Vec::new();
    write(m, cells, format, shards, &mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
