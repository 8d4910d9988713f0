//! The syntax tree of a guest script, as `parse` builds it and `exec`
//! runs it. Every node keeps the position of its first character for
//! messages.

/// 1-based line and column (in characters) in the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A whole script: and-or lists run one after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub items: Vec<AndOr>,
}

/// `p1 && p2 || p3 ...`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next pipeline if the status so far is 0.
    And,
    /// `||`: run the next pipeline if the status so far is not 0.
    Or,
}

/// `[!] cmd1 | cmd2 | ...`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// `!`: invert the status.
    pub bang: bool,
    pub commands: Vec<Command>,
    pub pos: Pos,
}

/// A simple command: assignments, words and redirections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    pub pos: Pos,
}

/// The shell's built-in commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Exit,
    Set,
    Export,
    Unset,
    Cd,
    /// `:` (does nothing, succeeds; useful as `: > file`).
    Colon,
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "exit" => Builtin::Exit,
            "set" => Builtin::Set,
            "export" => Builtin::Export,
            "unset" => Builtin::Unset,
            "cd" => Builtin::Cd,
            ":" => Builtin::Colon,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Exit => "exit",
            Builtin::Set => "set",
            Builtin::Export => "export",
            Builtin::Unset => "unset",
            Builtin::Cd => "cd",
            Builtin::Colon => ":",
        }
    }
}

impl Command {
    /// The builtin this command runs, if its name is a literal builtin name.
    pub fn builtin(&self) -> Option<Builtin> {
        self.words.first().and_then(Word::literal).and_then(|n| Builtin::from_name(&n))
    }
}

/// `[fd]op target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redir {
    pub fd: u32,
    pub op: RedirOp,
    /// A file name, or for `>&`/`<&` a descriptor number or `-`.
    pub target: Word,
    pub pos: Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>&` and `<&`: duplicate (or with `-`, close) a descriptor.
    Dup,
}

/// A word: literal text and expansions, with their quoting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub parts: Vec<Part>,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text; `quoted` when it came from quotes or a backslash.
    Lit { text: String, quoted: bool },
    /// `$NAME` or `${NAME}`; unquoted values undergo field splitting.
    Var { name: String, quoted: bool },
    /// `$?`
    Status { quoted: bool },
}

impl Word {
    /// The text, if the word has no expansions.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit { text, .. } => s.push_str(text),
                _ => return None,
            }
        }
        Some(s)
    }

    /// The text, if the word is entirely unquoted literal text (how
    /// reserved words and `!` are recognised).
    pub fn bare(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Lit { text, quoted: false }] => Some(text),
            _ => None,
        }
    }
}
