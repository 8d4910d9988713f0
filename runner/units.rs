//! The one parser for the units users write: numbers (decimal or `0x`
//! hex, `_` separators), sizes (`4096`, `0x1000`, `64KiB`, `1MiB`,
//! `1GiB`) and durations (`500ms`, `1.5s`, `2m`, `1h`). The command line
//! (`bohr sh`, `bohr run --seed`, `bohr trace`) and matrices all parse
//! through here, so a value means the same wherever it is written.

use std::time::Duration;

pub use crate::errors::UnitError;

/// Decimal or `0x` hexadecimal, underscores allowed.
pub fn parse_u64(s: &str) -> Result<u64, UnitError> {
    let t: String = s.trim().chars().filter(|&c| c != '_').collect();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    };
    r.map_err(|_| UnitError::Number(s.to_string()))
}

/// `"4096"`, `"0x1000"`, `"64KiB"`, `"1MiB"`, `"1GiB"`, `"16B"`.
pub fn parse_size(s: &str) -> Result<u64, UnitError> {
    let t = s.trim();
    for (suffix, mult) in [("KiB", 1u64 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)] {
        if let Some(n) = t.strip_suffix(suffix) {
            let n = parse_u64(n.trim()).map_err(|_| UnitError::Size(s.to_string()))?;
            return n.checked_mul(mult).ok_or_else(|| UnitError::TooLarge(s.to_string()));
        }
    }
    parse_u64(t).map_err(|_| UnitError::Size(s.to_string()))
}

/// [`parse_size`] limited to `u32`.
pub fn parse_size_u32(s: &str) -> Result<u32, UnitError> {
    u32::try_from(parse_size(s)?).map_err(|_| UnitError::TooLarge(s.to_string()))
}

/// `"60s"`, `"1.5s"`, `"500ms"`, `"2m"`, `"1h"`.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let bad = || UnitError::Duration(s.to_string());
    let t = s.trim();
    let (num, mult_ms) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        return Err(bad());
    };
    let n = num.trim();
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    let v: f64 = n.parse().map_err(|_| bad())?;
    let ms = v * mult_ms;
    if ms.is_finite() && ms < 1e12 {
        Ok(Duration::from_micros((ms * 1000.0).round() as u64))
    } else {
        Err(UnitError::TooLarge(s.to_string()))
    }
}

/// Render a duration the way matrices write them.
pub fn format_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sizes_and_durations() {
        assert_eq!(parse_u64("0x1_000"), Ok(4096));
        assert_eq!(parse_u64("12"), Ok(12));
        assert!(matches!(parse_u64("x"), Err(UnitError::Number(_))));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1 MiB"), Ok(1 << 20));
        assert_eq!(parse_size("0x10"), Ok(16));
        assert!(matches!(parse_size("lots"), Err(UnitError::Size(_))));
        assert!(matches!(parse_size("99999999999999GiB"), Err(UnitError::TooLarge(_))));
        assert!(matches!(parse_size_u32("8GiB"), Err(UnitError::TooLarge(_))));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(matches!(parse_duration("5"), Err(UnitError::Duration(_))));
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }

    #[test]
    fn messages_name_the_input() {
        assert_eq!(
            parse_size("lots").unwrap_err().to_string(),
            "`lots` is not a size (like 4096, 0x1000, 64KiB, 1MiB)"
        );
    }
}
