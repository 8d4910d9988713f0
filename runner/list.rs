//! `bohr list`: the cells of a matrix as text (one ID per line and nothing
//! else), JSON (a list of cell objects) or a GitHub Actions matrix for
//! `fromJSON` (one job per cell, or one per shard with `--shards N`).

use serde::Serialize;
use serde_json::{Map, Value as Json};

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
        env: s.env.iter().map(|(k, v)| (k.clone(), Json::String(v.clone()))).collect(),
        line: c.line,
    }
}

/// Render `cells` (already selected) in `format`. `shards` turns the
/// github-matrix form into one entry per non-empty partition.
pub fn render(m: &Matrix, cells: &[&Cell], format: Format, shards: Option<usize>) -> String {
    match format {
        Format::Text => cells.iter().map(|c| format!("{}\n", c.id)).collect(),
        Format::Json => {
            let list: Vec<CellJson> = cells.iter().map(|c| cell_json(m, c)).collect();
            // Serialising plain maps and strings cannot fail.
            let mut s = serde_json::to_string_pretty(&list).expect("cell JSON serialises");
            s.push('\n');
            s
        }
        Format::GithubMatrix => {
            let include: Vec<Json> = match shards {
                Some(n) => (1..=n)
                    .filter_map(|k| {
                        let p = Partition { k, n };
                        let count = (0..cells.len()).filter(|&i| p.contains(i)).count();
                        (count > 0).then(|| {
                            let mut o = Map::new();
                            o.insert("partition".into(), Json::String(p.to_string()));
                            o.insert("cells".into(), Json::from(count));
                            Json::Object(o)
                        })
                    })
                    .collect(),
                None => cells
                    .iter()
                    .map(|c| {
                        let mut o = Map::new();
                        o.insert("cell".into(), Json::String(c.id.clone()));
                        for (k, v) in &c.values {
                            o.insert(k.to_string(), Json::String(v.to_string()));
                        }
                        Json::Object(o)
                    })
                    .collect(),
            };
            let mut o = Map::new();
            o.insert("include".into(), Json::Array(include));
            let mut s = Json::Object(o).to_string();
            s.push('\n');
            s
        }
    }
}
