//! Colour for terminal output (`--color auto|always|never`), through
//! `console`. Only status words and symbols are coloured; files (JUnit,
//! snapshots, the step summary) never are.

use std::io::IsTerminal;

use crate::results::{CellStatus, Status};

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When the stream is a terminal, `NO_COLOR` is unset and `TERM` is
    /// not `dumb`.
    Auto,
    // clap prints a variant's doc comment in `--help`; these two say
    // nothing the name does not.
    #[allow(missing_docs)]
    Always,
    #[allow(missing_docs)]
    Never,
}

/// Whether to colour one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colour sequences.
    pub color: bool,
}

impl Style {
    /// The style for stdout (`stderr == false`) or stderr.
    pub fn detect(choice: ColorChoice, stderr: bool) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let tty = if stderr {
                    std::io::stderr().is_terminal()
                } else {
                    std::io::stdout().is_terminal()
                };
                tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        };
        Style { color }
    }

    /// No colour (files, tests).
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, style: console::Style, text: &str) -> String {
        if self.color { style.force_styling(true).apply_to(text).to_string() } else { text.into() }
    }

    /// `text` in the colour of a run status.
    pub fn status(&self, s: Status, text: &str) -> String {
        let st = console::Style::new();
        match s {
            Status::Pass => self.paint(st.green(), text),
            Status::Fail | Status::Error => self.paint(st.red().bold(), text),
            Status::Timeout => self.paint(st.magenta().bold(), text),
            Status::Skipped => self.paint(st.dim(), text),
        }
    }

    /// `text` in the colour of a cell status.
    pub fn cell(&self, s: CellStatus, text: &str) -> String {
        let st = console::Style::new();
        match s {
            CellStatus::Pass => self.paint(st.green(), text),
            CellStatus::Fail | CellStatus::Error => self.paint(st.red().bold(), text),
            CellStatus::Timeout => self.paint(st.magenta().bold(), text),
            CellStatus::Flaky => self.paint(st.yellow().bold(), text),
            CellStatus::Skipped => self.paint(st.dim(), text),
        }
    }
}
