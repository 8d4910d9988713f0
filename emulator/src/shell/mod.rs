//! Guest scripts: a host-side interpreter of a POSIX-sh subset whose
//! commands run as guest processes of a machine (`machine::world`).
//!
//! `parse` turns the text into an [`ast::Script`], rejecting unsupported
//! syntax with its position before anything runs; `exec` runs the tree.
//! The machine's `run_script` is the public entry point.

pub mod ast;
pub mod exec;
pub mod parse;

pub use exec::{Ending, Shell};
pub use parse::{SyntaxError, parse};
