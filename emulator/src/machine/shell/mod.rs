//! Guest scripts: a host-side interpreter of a POSIX-sh subset whose
//! commands run as guest processes of the machine it belongs to
//! (`machine::world`); it is part of the machine, so it may use its world.
//!
//! `parse` turns the text into an [`ast::Script`], rejecting unsupported
//! syntax with its position before anything runs; `exec` runs the tree.
//! The machine's `run_script` is the public entry point.

pub mod ast;
pub mod exec;
pub mod parse;

pub use exec::{Ending, Shell};
pub use parse::{SyntaxError, parse};
