//! Choosing cells: `--cell` (exact ID or glob), `--filter key=value` and
//! `--partition K/N`. Used by `bohr run` and `bohr list`; errors are
//! configuration errors (exit status 2) that list what was available.

use std::fmt;
use std::str::FromStr;

use globset::{GlobBuilder, GlobMatcher};

use super::diag::{ConfigError, Diag, choices, did_you_mean, suggest};
use super::{Cell, Key, Matrix, Param};

/// `--partition K/N`: the K-th of N shards (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
}

impl FromStr for Partition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid partition `{s}` (expected K/N with 1 <= K <= N, e.g. 2/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Partition { k, n })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl Partition {
    /// Whether position `i` (0-based, in the selected cells' order) belongs
    /// to this shard. Round-robin, so every shard gets a mix of the first
    /// axis (typically the architectures) and the sizes differ by at most one.
    pub fn contains(&self, i: usize) -> bool {
        i % self.n == self.k - 1
    }
}

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `--cell`: exact IDs or globs; a cell matching any is selected.
    pub cells: Vec<String>,
    /// `--filter key=value`: a cell must match every key; several values
    /// for one key are alternatives.
    pub filters: Vec<String>,
    pub partition: Option<Partition>,
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

fn glob(p: &str) -> Result<GlobMatcher, String> {
    // `*` crosses `/` so that `riscv64*` selects every riscv64 cell.
    GlobBuilder::new(p)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid --cell glob `{p}`: {e}"))
}

fn listing(m: &Matrix) -> String {
    let ids: Vec<&str> = m.cells.iter().map(|c| c.id.as_str()).collect();
    format!("available cells:\n  {}", ids.join("\n  "))
}

/// Parse `key=value` into a key valid for this matrix.
fn filter_key(m: &Matrix, raw: &str) -> Result<(Key, String), String> {
    let (k, v) = raw.split_once('=').ok_or_else(|| {
        format!("invalid --filter `{raw}` (expected key=value, e.g. arch=riscv64)")
    })?;
    let key = if let Some(n) = k.strip_prefix("env.") {
        Key::Env(n.to_string())
    } else if let Some(p) = Param::from_name(k) {
        Key::Param(p)
    } else {
        let mut valid = Param::cell_names();
        let env: Vec<String> = m
            .axes
            .iter()
            .filter_map(|a| match &a.key {
                Key::Env(n) => Some(format!("env.{n}")),
                Key::Param(_) => None,
            })
            .collect();
        valid.extend(env.iter().map(String::as_str));
        return Err(format!(
            "unknown --filter key `{k}` (valid: {}){}",
            choices(valid.iter().copied()),
            did_you_mean(k, valid.iter().copied())
        ));
    };
    Ok((key, v.to_string()))
}

/// The selected cells, in matrix order.
pub fn select<'m>(m: &'m Matrix, sel: &Selection) -> Result<Vec<&'m Cell>, ConfigError> {
    let file = m.display_path();
    let err = |msg: String| ConfigError::one(Diag::file(file.clone(), msg));
    let mut chosen: Vec<&Cell> = m.cells.iter().collect();

    if !sel.cells.is_empty() {
        let mut any: Vec<bool> = vec![false; m.cells.len()];
        for pat in &sel.cells {
            let mut hit = false;
            // An exact ID wins even if it contains glob characters.
            if let Some(c) = m.cells.iter().find(|c| c.id == *pat) {
                any[c.index] = true;
                hit = true;
            } else if is_glob(pat) {
                let g = glob(pat).map_err(err)?;
                for c in &m.cells {
                    if g.is_match(&c.id) {
                        any[c.index] = true;
                        hit = true;
                    }
                }
            }
            if !hit {
                let hint = match suggest(pat, m.cells.iter().map(|c| c.id.as_str())) {
                    Some(s) => format!("did you mean `{s}`?\n"),
                    None => String::new(),
                };
                return Err(err(format!("--cell `{pat}` matches no cell; {hint}{}", listing(m))));
            }
        }
        chosen.retain(|c| any[c.index]);
    }

    if !sel.filters.is_empty() {
        let mut by_key: Vec<(Key, Vec<String>)> = Vec::new();
        for raw in &sel.filters {
            let (k, v) = filter_key(m, raw).map_err(err)?;
            match by_key.iter_mut().find(|(bk, _)| *bk == k) {
                Some((_, vs)) => vs.push(v),
                None => by_key.push((k, vec![v])),
            }
        }
        chosen.retain(|c| {
            by_key.iter().all(|(k, vs)| c.value_of(k).is_some_and(|cv| vs.contains(&cv)))
        });
    }

    if chosen.is_empty() {
        return Err(err(format!(
            "no cell matches the selection ({}); {}",
            describe(sel),
            listing(m)
        )));
    }

    if let Some(p) = sel.partition {
        chosen = chosen
            .into_iter()
            .enumerate()
            .filter(|(i, _)| p.contains(*i))
            .map(|(_, c)| c)
            .collect();
    }
    Ok(chosen)
}

fn describe(sel: &Selection) -> String {
    let mut parts: Vec<String> = sel.cells.iter().map(|c| format!("--cell '{c}'")).collect();
    parts.extend(sel.filters.iter().map(|f| format!("--filter {f}")));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_parse_and_reject_nonsense() {
        assert_eq!("2/4".parse::<Partition>(), Ok(Partition { k: 2, n: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", ""] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_cover_every_position_exactly_once() {
        for n in 1..6 {
            for i in 0..23 {
                let owners = (1..=n).filter(|&k| Partition { k, n }.contains(i)).count();
                assert_eq!(owners, 1, "position {i} of {n} shards");
            }
        }
    }
}
