//! MTD device descriptions, shared by `bohr sh --mtd SPEC` and a matrix's
//! `[[mtd]]` tables: the `--mtd` spec parser and the one validator both
//! use, so a device one accepts the other accepts too, and every problem
//! is found before a machine starts. Builds `bohr_emu::machine::MtdSpec`;
//! the emulator's own checks stay as a last line of defence.

use std::sync::Arc;

use bohr_emu::machine::mtd::MAX_MTD_SIZE;
use bohr_emu::machine::{MtdFill, MtdSpec};

pub use crate::errors::MtdError;
use crate::units::parse_size;

/// Default erase block size (64 KiB), as in a matrix.
pub const DEFAULT_ERASESIZE: u64 = 64 << 10;

/// Check a device before any machine is built. Errors come in this order:
/// name, size, geometry, file, then each write.
pub fn check(spec: &MtdSpec) -> Result<(), MtdError> {
    let name = &spec.name;
    if name.is_empty() || name.contains(['"', '\n']) || name.len() > 64 {
        return Err(MtdError::Name(name.clone()));
    }
    if spec.size == 0 || spec.size > MAX_MTD_SIZE {
        return Err(MtdError::Size { name: name.clone(), size: spec.size, max: MAX_MTD_SIZE });
    }
    if spec.erasesize == 0 || !spec.size.is_multiple_of(spec.erasesize) {
        return Err(MtdError::Geometry {
            name: name.clone(),
            size: spec.size,
            erasesize: spec.erasesize,
        });
    }
    if let MtdFill::Bytes(b) = &spec.fill
        && b.len() as u64 > spec.size
    {
        return Err(MtdError::File { name: name.clone(), len: b.len(), size: spec.size });
    }
    for (index, (offset, data)) in spec.writes.iter().enumerate() {
        if offset.checked_add(data.len() as u64).is_none_or(|end| end > spec.size) {
            return Err(MtdError::Write {
                name: name.clone(),
                index,
                offset: *offset,
                len: data.len(),
                size: spec.size,
            });
        }
    }
    Ok(())
}

/// Split on commas, honouring `\,` and `\\`.
fn split_spec(spec: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        let last = out.len() - 1;
        match c {
            '\\' => match chars.next() {
                Some(n @ (',' | '\\')) => out[last].push(n),
                Some(n) => {
                    out[last].push('\\');
                    out[last].push(n);
                }
                None => out[last].push('\\'),
            },
            ',' => out.push(String::new()),
            c => out[last].push(c),
        }
    }
    out
}

/// Parse and check one `--mtd` spec (device `index`): comma-separated
/// `name=`, `size=`, `erasesize=`, `fill=erased|zero|random`, `file=PATH`,
/// `text@OFFSET=STRING`.
pub fn parse_spec(spec: &str, index: usize) -> Result<MtdSpec, MtdError> {
    let bad = |why: String| MtdError::Spec { spec: spec.to_string(), why };
    let mut name = None;
    let mut size = None;
    let mut erasesize = None;
    let mut fill = None;
    let mut writes = Vec::new();
    for item in split_spec(spec) {
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            return Err(bad(format!("`{item}` is not KEY=VALUE")));
        };
        if let Some(off) = key.strip_prefix("text@") {
            let off = parse_size(off).map_err(|e| bad(e.to_string()))?;
            writes.push((off, value.as_bytes().to_vec()));
            continue;
        }
        match key {
            "name" => name = Some(value.to_string()),
            "size" => size = Some(parse_size(value).map_err(|e| bad(e.to_string()))?),
            "erasesize" => erasesize = Some(parse_size(value).map_err(|e| bad(e.to_string()))?),
            "fill" => {
                fill = Some(match value {
                    "erased" => MtdFill::Erased,
                    "zero" => MtdFill::Zero,
                    "random" => MtdFill::Random,
                    _ => {
                        return Err(bad(format!(
                            "fill `{value}`: expected erased, zero or random"
                        )));
                    }
                })
            }
            "file" => {
                let data = std::fs::read(value)
                    .map_err(|e| bad(format!("cannot read file {value}: {e}")))?;
                fill = Some(MtdFill::Bytes(Arc::new(data)));
            }
            _ => {
                return Err(bad(format!(
                    "unknown key `{key}` (expected name, size, erasesize, fill, file, text@OFFSET)"
                )));
            }
        }
    }
    let erasesize = erasesize.unwrap_or(DEFAULT_ERASESIZE);
    let size = match (size, &fill) {
        (Some(s), _) => s,
        // A file without a size: the file, rounded up to whole erase blocks.
        (None, Some(MtdFill::Bytes(b))) if erasesize > 0 => {
            (b.len() as u64).div_ceil(erasesize).max(1) * erasesize
        }
        (None, _) => 1 << 20,
    };
    let spec = MtdSpec {
        name: name.unwrap_or_else(|| format!("mtd{index}")),
        size,
        erasesize,
        fill: fill.unwrap_or(MtdFill::Erased),
        writes,
    };
    check(&spec)?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_are_checked() {
        let m =
            parse_spec("name=firmware,size=1MiB,erasesize=64KiB,fill=random,text@0x1000=A\\,B", 0)
                .unwrap();
        assert_eq!((m.size, m.erasesize), (1 << 20, 64 << 10));
        assert_eq!(m.writes, vec![(0x1000, b"A,B".to_vec())]);
        let d = parse_spec("", 3).unwrap();
        assert_eq!((d.name.as_str(), d.size, d.fill), ("mtd3", 1 << 20, MtdFill::Erased));
        assert!(parse_spec("size=lots", 0).unwrap_err().to_string().contains("not a size"));
        assert!(parse_spec("colour=red", 0).unwrap_err().to_string().contains("unknown key"));
        assert!(parse_spec("fill=ones", 0).unwrap_err().to_string().contains("expected erased"));
        assert!(matches!(parse_spec("size=1024GiB", 0), Err(MtdError::Size { .. })));
        assert!(matches!(parse_spec("size=64KiB,text@0xfffe=abc", 0), Err(MtdError::Write { .. })));
        assert!(matches!(parse_spec("size=96KiB", 0), Err(MtdError::Geometry { .. })));
    }
}
