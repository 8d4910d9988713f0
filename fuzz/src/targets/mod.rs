//! The fuzz targets, one per input Bohr reads: the frontends' decoders and
//! lifters, both engines on random code (as a differential), the ELF
//! loader, the matrix parser, the shell parser, the rootfs image readers
//! and the system-call layer.
//!
//! Each target turns bytes into one run and reports features (see
//! [`crate::engine`]); what a target's features count is named in its
//! [`TargetSpec`], since none of them is edge coverage.

pub mod code;
pub mod elf;
pub mod rootfs;
pub mod syscall;
pub mod text;

use crate::engine::{TargetSpec, feature_str};

/// Every target, in the order the campaign runs them.
pub static TARGETS: &[TargetSpec] = &[
    code::LIFT_RISCV64,
    code::LIFT_AARCH64,
    code::LIFT_POWERPC64,
    code::LIFT_MIPSEL,
    code::LIFT_MIPSEB,
    code::LIFT_ARMEL,
    code::DIFF_RISCV64,
    code::DIFF_AARCH64,
    code::DIFF_POWERPC64,
    code::DIFF_MIPSEL,
    code::DIFF_MIPSEB,
    code::DIFF_ARMEL,
    code::DIFF_ARMEL_THUMB,
    elf::ELF,
    text::MATRIX,
    text::SHELL,
    rootfs::ARCHIVE,
    rootfs::DIR,
    syscall::SYSCALL_RISCV64,
    syscall::SYSCALL_MIPSEL,
];

/// The target named `name`.
pub fn by_name(name: &str) -> Option<&'static TargetSpec> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Features of an error: its Debug variant name and its message with
/// digits dropped and cut to 48 characters (so positions and sizes do not
/// make every input look new).
pub fn error_features(ns: u64, debug: &str, display: &str, features: &mut Vec<u64>) {
    let variant: String = debug.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    features.push(feature_str(ns, &variant));
    let message: String = display.chars().filter(|c| !c.is_ascii_digit()).take(48).collect();
    features.push(feature_str(ns + 1, &message));
}

/// Features of a parsed value's shape: the type and variant names in its
/// Debug form (identifiers followed by ` {` or `(`), alone and in pairs of
/// consecutive ones, which approximate the parser's productions reached.
pub fn shape_features(ns: u64, debug: &str, features: &mut Vec<u64>) {
    let bytes = debug.as_bytes();
    let mut prev: &str = "";
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        let ident = b.is_ascii_alphanumeric() || b == b'_';
        match (ident, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                start = None;
                let is_node = b == b'(' || (b == b' ' && bytes.get(i + 1) == Some(&b'{'));
                let word = &debug[s..i];
                if is_node && word.starts_with(|c: char| c.is_ascii_uppercase()) {
                    features.push(feature_str(ns, word));
                    features.push(feature_str(ns + 1, &format!("{prev}>{word}")));
                    prev = word;
                }
            }
            _ => {}
        }
    }
}
