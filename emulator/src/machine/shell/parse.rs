//! Lexer and parser of the guest-script language, a POSIX sh subset:
//!
//! ```text
//! script   := linebreak [and_or (sep and_or)* [sep]] EOF
//! and_or   := pipeline (('&&' | '||') linebreak pipeline)*
//! pipeline := ['!'] command ('|' linebreak command)*
//! command  := (NAME=word | word | redirect)+
//! redirect := [digits] ('<' | '>' | '>>' | '>&' | '<&') word
//! sep      := ';' linebreak | newline+
//! ```
//!
//! Words take single and double quotes, backslash escapes, `$NAME`,
//! `${NAME}` and `$?`; `#` starts a comment and backslash-newline joins
//! lines. Everything else sh has (compound commands, functions, command
//! substitution, arithmetic, here-documents, background jobs, subshells,
//! special parameters) is rejected here, with its position, so that no
//! unsupported script ever starts running. Globbing characters and `~`
//! stay literal.

use super::ast::{
    AndOr, Builtin, Command, Connector, Part, Pipeline, Pos, Redir, RedirOp, Script, Word,
};

/// A syntax error at a position of the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

type Result<T> = std::result::Result<T, SyntaxError>;

fn err<T>(pos: Pos, message: impl Into<String>) -> Result<T> {
    Err(SyntaxError { pos, message: message.into() })
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(Word),
    /// Digits directly before a redirection operator.
    IoNumber(u32),
    AndIf,
    OrIf,
    Pipe,
    Semi,
    Newline,
    Less,
    Great,
    DGreat,
    LessAnd,
    GreatAnd,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => match w.literal() {
                Some(s) => format!("`{s}`"),
                None => "a word".into(),
            },
            Tok::IoNumber(n) => format!("`{n}`"),
            Tok::AndIf => "`&&`".into(),
            Tok::OrIf => "`||`".into(),
            Tok::Pipe => "`|`".into(),
            Tok::Semi => "`;`".into(),
            Tok::Newline => "end of line".into(),
            Tok::Less => "`<`".into(),
            Tok::Great => "`>`".into(),
            Tok::DGreat => "`>>`".into(),
            Tok::LessAnd => "`<&`".into(),
            Tok::GreatAnd => "`>&`".into(),
            Tok::Eof => "end of script".into(),
        }
    }
}

/// Characters that end an unquoted word.
fn is_meta(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Is `s` a valid variable name?
pub fn is_name(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
}

struct Lexer {
    chars: Vec<char>,
    pos: Vec<Pos>,
    i: usize,
}

impl Lexer {
    fn new(src: &str) -> Self {
        let chars: Vec<char> = src.chars().collect();
        let mut pos = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut col) = (1, 1);
        for &c in &chars {
            pos.push(Pos { line, col });
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        pos.push(Pos { line, col });
        Lexer { chars, pos, i: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).copied()
    }

    fn here(&self) -> Pos {
        self.pos[self.i]
    }

    /// Skip blanks, comments and line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r') => self.i += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.i += 2,
                Some('#') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn next_token(&mut self) -> Result<(Tok, Pos)> {
        self.skip_blanks();
        let at = self.here();
        let Some(c) = self.peek() else {
            return Ok((Tok::Eof, at));
        };
        let two = self.peek_at(1);
        let tok = match c {
            '\n' => {
                self.i += 1;
                Tok::Newline
            }
            '&' if two == Some('&') => {
                self.i += 2;
                Tok::AndIf
            }
            '&' => return err(at, "background jobs (`&`) are not supported"),
            '|' if two == Some('|') => {
                self.i += 2;
                Tok::OrIf
            }
            '|' if two == Some('&') => return err(at, "`|&` is not supported; use `2>&1 |`"),
            '|' => {
                self.i += 1;
                Tok::Pipe
            }
            ';' if two == Some(';') => {
                return err(at, "`;;` belongs to `case`, which is not supported");
            }
            ';' => {
                self.i += 1;
                Tok::Semi
            }
            '<' if two == Some('<') => return err(at, "here-documents (`<<`) are not supported"),
            '<' if two == Some('>') => return err(at, "the `<>` redirection is not supported"),
            '<' if two == Some('&') => {
                self.i += 2;
                Tok::LessAnd
            }
            '<' => {
                self.i += 1;
                Tok::Less
            }
            '>' if two == Some('>') => {
                self.i += 2;
                Tok::DGreat
            }
            '>' if two == Some('&') => {
                self.i += 2;
                Tok::GreatAnd
            }
            '>' if two == Some('|') => return err(at, "the `>|` redirection is not supported"),
            '>' => {
                self.i += 1;
                Tok::Great
            }
            '(' => {
                return err(at, "subshells and function definitions (`(`) are not supported");
            }
            ')' => return err(at, "unexpected `)`"),
            _ => {
                let word = self.word()?;
                if let Some(digits) = word.bare()
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && matches!(self.peek(), Some('<' | '>'))
                {
                    return match digits.parse::<u32>() {
                        Ok(n) if n <= 9 => Ok((Tok::IoNumber(n), at)),
                        _ => err(at, format!("file descriptor {digits} is out of range (0 to 9)")),
                    };
                }
                Tok::Word(word)
            }
        };
        Ok((tok, at))
    }

    fn word(&mut self) -> Result<Word> {
        let pos = self.here();
        let mut parts: Vec<Part> = Vec::new();
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            let at = self.here();
            match c {
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.i += 2,
                    Some(n) => {
                        push_lit(&mut parts, n, true);
                        self.i += 2;
                    }
                    None => {
                        push_lit(&mut parts, '\\', false);
                        self.i += 1;
                    }
                },
                '\'' => {
                    self.i += 1;
                    let start = self.i;
                    while self.peek().is_some_and(|c| c != '\'') {
                        self.i += 1;
                    }
                    if self.peek().is_none() {
                        return err(at, "unterminated single quote");
                    }
                    let text: String = self.chars[start..self.i].iter().collect();
                    self.i += 1;
                    parts.push(Part::Lit { text, quoted: true });
                }
                '"' => {
                    self.i += 1;
                    // An empty "" still makes a (quoted, empty) word.
                    parts.push(Part::Lit { text: String::new(), quoted: true });
                    self.double_quoted(&mut parts, at)?;
                }
                '$' => self.dollar(&mut parts, false)?,
                '`' => return err(at, "command substitution with backquotes is not supported"),
                c => {
                    push_lit(&mut parts, c, false);
                    self.i += 1;
                }
            }
        }
        Ok(Word { parts, pos })
    }

    /// After an opening `"`: read up to the closing one.
    fn double_quoted(&mut self, parts: &mut Vec<Part>, open: Pos) -> Result<()> {
        loop {
            let at = self.here();
            match self.peek() {
                None => return err(open, "unterminated double quote"),
                Some('"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\\') => match self.peek_at(1) {
                    Some('\n') => self.i += 2,
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        push_lit(parts, n, true);
                        self.i += 2;
                    }
                    _ => {
                        push_lit(parts, '\\', true);
                        self.i += 1;
                    }
                },
                Some('$') => self.dollar(parts, true)?,
                Some('`') => {
                    return err(at, "command substitution with backquotes is not supported");
                }
                Some(c) => {
                    push_lit(parts, c, true);
                    self.i += 1;
                }
            }
        }
    }

    /// At a `$`.
    fn dollar(&mut self, parts: &mut Vec<Part>, quoted: bool) -> Result<()> {
        let at = self.here();
        match self.peek_at(1) {
            Some('?') => {
                self.i += 2;
                parts.push(Part::Status { quoted });
            }
            Some('{') => {
                let start = self.i + 2;
                let mut j = start;
                while self.chars.get(j).is_some_and(|&c| c != '}' && c != '\n') {
                    j += 1;
                }
                if self.chars.get(j) != Some(&'}') {
                    return err(at, "unterminated `${`");
                }
                let inner: String = self.chars[start..j].iter().collect();
                self.i = j + 1;
                if inner == "?" {
                    parts.push(Part::Status { quoted });
                } else if is_name(&inner) {
                    parts.push(Part::Var { name: inner, quoted });
                } else {
                    return err(
                        at,
                        format!(
                            "unsupported parameter expansion `${{{inner}}}`: only `${{NAME}}` is supported"
                        ),
                    );
                }
            }
            Some('(') if self.peek_at(2) == Some('(') => {
                return err(at, "arithmetic expansion `$((...))` is not supported");
            }
            Some('(') => return err(at, "command substitution `$(...)` is not supported"),
            Some(c) if is_name_start(c) => {
                let start = self.i + 1;
                let mut j = start;
                while self.chars.get(j).is_some_and(|&c| is_name_char(c)) {
                    j += 1;
                }
                let name: String = self.chars[start..j].iter().collect();
                self.i = j;
                parts.push(Part::Var { name, quoted });
            }
            Some(c) if c.is_ascii_digit() || "@*#$!-".contains(c) => {
                return err(at, format!("special parameter `${c}` is not supported"));
            }
            _ => {
                // A lone `$` is literal.
                push_lit(parts, '$', quoted);
                self.i += 1;
            }
        }
        Ok(())
    }
}

fn push_lit(parts: &mut Vec<Part>, c: char, quoted: bool) {
    if let Some(Part::Lit { text, quoted: q }) = parts.last_mut()
        && *q == quoted
    {
        text.push(c);
        return;
    }
    parts.push(Part::Lit { text: c.to_string(), quoted });
}

/// Words that start compound commands or other unsupported constructs.
fn reserved_message(word: &str) -> Option<&'static str> {
    Some(match word {
        "if" | "then" | "else" | "elif" | "fi" => "`if` compound commands are not supported",
        "while" | "until" | "for" | "do" | "done" | "select" => "loops are not supported",
        "case" | "esac" => "`case` is not supported",
        "function" => "functions are not supported",
        "{" | "}" => "brace groups are not supported",
        "[[" | "]]" => "`[[` tests are not supported",
        _ => return None,
    })
}

struct Parser {
    lex: Lexer,
    tok: Tok,
    at: Pos,
}

impl Parser {
    fn advance(&mut self) -> Result<()> {
        let (tok, at) = self.lex.next_token()?;
        self.tok = tok;
        self.at = at;
        Ok(())
    }

    fn skip_newlines(&mut self) -> Result<()> {
        while self.tok == Tok::Newline {
            self.advance()?;
        }
        Ok(())
    }

    fn script(&mut self) -> Result<Script> {
        let mut items = Vec::new();
        self.skip_newlines()?;
        while self.tok != Tok::Eof {
            items.push(self.and_or()?);
            match self.tok {
                Tok::Semi | Tok::Newline => {
                    self.advance()?;
                    self.skip_newlines()?;
                }
                Tok::Eof => {}
                _ => return err(self.at, format!("unexpected {}", self.tok.describe())),
            }
        }
        Ok(Script { items })
    }

    fn and_or(&mut self) -> Result<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let conn = match self.tok {
                Tok::AndIf => Connector::And,
                Tok::OrIf => Connector::Or,
                _ => break,
            };
            let op = self.tok.describe();
            self.advance()?;
            self.skip_newlines()?;
            if !self.starts_command() {
                return err(self.at, format!("expected a command after {op}"));
            }
            rest.push((conn, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn starts_command(&self) -> bool {
        matches!(
            self.tok,
            Tok::Word(_)
                | Tok::IoNumber(_)
                | Tok::Less
                | Tok::Great
                | Tok::DGreat
                | Tok::LessAnd
                | Tok::GreatAnd
        )
    }

    fn pipeline(&mut self) -> Result<Pipeline> {
        let pos = self.at;
        let mut bang = false;
        if let Tok::Word(w) = &self.tok
            && w.bare() == Some("!")
        {
            bang = true;
            self.advance()?;
        }
        if !self.starts_command() {
            return err(self.at, format!("expected a command, found {}", self.tok.describe()));
        }
        let mut commands = vec![self.command()?];
        while self.tok == Tok::Pipe {
            self.advance()?;
            self.skip_newlines()?;
            if !self.starts_command() {
                return err(self.at, "expected a command after `|`");
            }
            commands.push(self.command()?);
        }
        if commands.len() > 1 {
            for c in &commands {
                if let Some(b) = c.builtin() {
                    return err(
                        c.pos,
                        format!("the builtin `{}` cannot be part of a pipeline", b.name()),
                    );
                }
            }
        }
        Ok(Pipeline { bang, commands, pos })
    }

    fn command(&mut self) -> Result<Command> {
        let pos = self.at;
        let mut cmd = Command { assigns: Vec::new(), words: Vec::new(), redirs: Vec::new(), pos };
        loop {
            let at = self.at;
            match &self.tok {
                Tok::Word(w) => {
                    let w = w.clone();
                    if cmd.words.is_empty() {
                        if let Some(text) = w.bare() {
                            if let Some(msg) = reserved_message(text) {
                                return err(at, msg);
                            }
                            if text == "!" {
                                return err(at, "`!` is only allowed at the start of a pipeline");
                            }
                        }
                        if let Some((name, value)) = split_assignment(&w) {
                            cmd.assigns.push((name, value));
                            self.advance()?;
                            continue;
                        }
                    }
                    cmd.words.push(w);
                    self.advance()?;
                }
                Tok::IoNumber(n) => {
                    let fd = *n;
                    self.advance()?;
                    cmd.redirs.push(self.redirect(fd, at)?);
                }
                Tok::Less | Tok::LessAnd => cmd.redirs.push(self.redirect(0, at)?),
                Tok::Great | Tok::DGreat | Tok::GreatAnd => cmd.redirs.push(self.redirect(1, at)?),
                _ => break,
            }
        }
        if let Some(b) = cmd.builtin() {
            check_builtin(b, &cmd)?;
        }
        Ok(cmd)
    }

    /// At a redirection operator (after any fd number).
    fn redirect(&mut self, fd: u32, pos: Pos) -> Result<Redir> {
        let op = match self.tok {
            Tok::Less => RedirOp::In,
            Tok::Great => RedirOp::Out,
            Tok::DGreat => RedirOp::Append,
            Tok::LessAnd | Tok::GreatAnd => RedirOp::Dup,
            _ => {
                return err(self.at, "expected a redirection operator after the descriptor number");
            }
        };
        let op_text = self.tok.describe();
        self.advance()?;
        let Tok::Word(target) = &self.tok else {
            return err(self.at, format!("expected a file name after {op_text}"));
        };
        let target = target.clone();
        if op == RedirOp::Dup
            && let Some(t) = target.literal()
            && t != "-"
            && !(t.len() == 1 && t.as_bytes()[0].is_ascii_digit())
        {
            return err(
                target.pos,
                format!("{op_text} needs a descriptor number (0 to 9) or `-`, not `{t}`"),
            );
        }
        self.advance()?;
        Ok(Redir { fd, op, target, pos })
    }
}

/// `NAME=value` → `(NAME, value)`.
fn split_assignment(w: &Word) -> Option<(String, Word)> {
    let Some(Part::Lit { text, quoted: false }) = w.parts.first() else {
        return None;
    };
    let eq = text.find('=')?;
    let name = &text[..eq];
    if !is_name(name) {
        return None;
    }
    let mut parts = Vec::new();
    let rest = &text[eq + 1..];
    if !rest.is_empty() {
        parts.push(Part::Lit { text: rest.to_string(), quoted: false });
    }
    parts.extend(w.parts[1..].iter().cloned());
    Some((name.to_string(), Word { parts, pos: w.pos }))
}

/// `set` options the shell implements.
pub fn set_option(arg: &str) -> Option<Vec<(char, bool)>> {
    let (on, flags) = match arg.as_bytes().first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => return None,
    };
    if flags.is_empty() || !flags.chars().all(|c| "eux".contains(c)) {
        return None;
    }
    Some(flags.chars().map(|c| (c, on)).collect())
}

/// Long `set -o` names the shell implements, as their short letters
/// (`p` for pipefail).
pub fn long_option(name: &str) -> Option<char> {
    Some(match name {
        "errexit" => 'e',
        "nounset" => 'u',
        "xtrace" => 'x',
        "pipefail" => 'p',
        _ => return None,
    })
}

/// Reject builtin uses that can be recognised as wrong before running.
fn check_builtin(b: Builtin, cmd: &Command) -> Result<()> {
    let args = &cmd.words[1..];
    match b {
        Builtin::Exit => {
            if args.len() > 1 {
                return err(args[1].pos, "exit: too many arguments");
            }
            if let Some(a) = args.first()
                && let Some(t) = a.literal()
                && t.parse::<u32>().is_err()
            {
                return err(a.pos, format!("exit: `{t}` is not a non-negative number"));
            }
        }
        Builtin::Set => {
            let mut i = 0;
            if args.is_empty() {
                return err(cmd.pos, "set: expected options such as -e or -o pipefail");
            }
            while i < args.len() {
                let Some(t) = args[i].literal() else {
                    i += 1;
                    continue;
                };
                if t == "-o" || t == "+o" {
                    match args.get(i + 1).and_then(Word::literal) {
                        Some(name) if long_option(&name).is_some() => i += 2,
                        Some(name) => {
                            return err(
                                args[i + 1].pos,
                                format!(
                                    "set: unsupported option `{name}` (supported: errexit, nounset, xtrace, pipefail)"
                                ),
                            );
                        }
                        None if args.get(i + 1).is_some() => i += 2,
                        None => {
                            return err(args[i].pos, format!("set: `{t}` needs an option name"));
                        }
                    }
                } else if set_option(&t).is_some() {
                    i += 1;
                } else {
                    return err(
                        args[i].pos,
                        format!("set: unsupported argument `{t}` (supported: -e, -u, -x, -o NAME)"),
                    );
                }
            }
        }
        Builtin::Cd => {
            if args.len() > 1 {
                return err(args[1].pos, "cd: too many arguments");
            }
        }
        Builtin::Export | Builtin::Unset => {
            for a in args {
                if let Some(t) = a.literal() {
                    let name = t.split('=').next().unwrap_or_default();
                    let ok = if b == Builtin::Unset { is_name(&t) } else { is_name(name) };
                    if !ok {
                        return err(a.pos, format!("{}: `{t}` is not a valid name", b.name()));
                    }
                }
            }
        }
        Builtin::Colon => {}
    }
    Ok(())
}

/// Parse a whole script.
pub fn parse(src: &str) -> Result<Script> {
    let lex = Lexer::new(src);
    let mut p = Parser { lex, tok: Tok::Eof, at: Pos { line: 1, col: 1 } };
    p.advance()?;
    p.script()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str, quoted: bool) -> Part {
        Part::Lit { text: text.into(), quoted }
    }

    fn words(c: &Command) -> Vec<Vec<Part>> {
        c.words.iter().map(|w| w.parts.clone()).collect()
    }

    fn fails(src: &str) -> (u32, u32, String) {
        let e = parse(src).expect_err(src);
        (e.pos.line, e.pos.col, e.message)
    }

    #[test]
    fn pipelines_lists_and_connectors() {
        let s = parse("a | b c && ! d || e; f\n\ng").unwrap();
        assert_eq!(s.items.len(), 3);
        let first = &s.items[0];
        assert_eq!(first.first.commands.len(), 2);
        assert_eq!(words(&first.first.commands[1]), [vec![lit("b", false)], vec![lit("c", false)]]);
        assert_eq!(first.rest[0].0, Connector::And);
        assert!(first.rest[0].1.bang);
        assert_eq!(first.rest[1].0, Connector::Or);
        assert_eq!(s.items[2].first.pos, Pos { line: 3, col: 1 });
    }

    #[test]
    fn operators_may_be_followed_by_newlines() {
        let s = parse("a |\n  b &&\n c ||\n\n d").unwrap();
        assert_eq!(s.items.len(), 1);
        assert_eq!(s.items[0].first.commands.len(), 2);
        assert_eq!(s.items[0].rest.len(), 2);
    }

    #[test]
    fn quotes_escapes_and_expansions() {
        let s = parse(
            r#"echo 'a $b' "x $Y ${Z}$?" \$w a\ b "" c\
d"#,
        )
        .unwrap();
        let c = &s.items[0].first.commands[0];
        assert_eq!(
            words(c),
            [
                vec![lit("echo", false)],
                vec![lit("a $b", true)],
                vec![
                    lit("x ", true),
                    Part::Var { name: "Y".into(), quoted: true },
                    lit(" ", true),
                    Part::Var { name: "Z".into(), quoted: true },
                    Part::Status { quoted: true },
                ],
                vec![lit("$", true), lit("w", false)],
                vec![lit("a", false), lit(" ", true), lit("b", false)],
                vec![lit("", true)],
                vec![lit("cd", false)],
            ]
        );
    }

    #[test]
    fn redirections_and_assignments() {
        let s = parse("A=1 B=\"$x\" cmd <in >out 2>>log 2>&1 >&- 3<&0").unwrap();
        let c = &s.items[0].first.commands[0];
        assert_eq!(c.assigns.len(), 2);
        assert_eq!(c.assigns[0].0, "A");
        assert_eq!(
            c.assigns[1].1.parts,
            [lit("", true), Part::Var { name: "x".into(), quoted: true }]
        );
        let r: Vec<(u32, RedirOp, String)> =
            c.redirs.iter().map(|r| (r.fd, r.op, r.target.literal().unwrap())).collect();
        assert_eq!(
            r,
            [
                (0, RedirOp::In, "in".into()),
                (1, RedirOp::Out, "out".into()),
                (2, RedirOp::Append, "log".into()),
                (2, RedirOp::Dup, "1".into()),
                (1, RedirOp::Dup, "-".into()),
                (3, RedirOp::Dup, "0".into()),
            ]
        );
        // An assignment after the command name is an ordinary argument.
        let s = parse("cmd A=1").unwrap();
        assert_eq!(s.items[0].first.commands[0].words.len(), 2);
    }

    #[test]
    fn comments_and_continuations() {
        let s = parse("# header\ncat a # trailing\n  \\\n  b\n").unwrap();
        assert_eq!(s.items.len(), 2);
        let s = parse("echo a#b").unwrap();
        assert_eq!(words(&s.items[0].first.commands[0])[1], [lit("a#b", false)]);
    }

    #[test]
    fn unsupported_syntax_is_rejected_with_position() {
        assert_eq!(fails("echo ok\nif true; then x; fi").0, 2);
        assert!(fails("if true; then x; fi").2.contains("`if`"));
        assert_eq!(fails("for i in 1; do x; done").2, "loops are not supported");
        assert_eq!(fails("while true; do x; done").2, "loops are not supported");
        assert_eq!(fails("case x in a) ;; esac").2, "`case` is not supported");
        assert!(fails("f() { x; }").2.contains("function definitions"));
        assert_eq!(
            fails("echo $(date)"),
            (1, 6, "command substitution `$(...)` is not supported".into())
        );
        assert!(fails("echo `date`").2.contains("backquotes"));
        assert!(fails("echo \"`date`\"").2.contains("backquotes"));
        assert!(fails("echo $((1+2))").2.contains("arithmetic"));
        assert_eq!(fails("cat <<EOF\nx\nEOF").2, "here-documents (`<<`) are not supported");
        assert_eq!(fails("  sleep 1 &").1, 11);
        assert!(fails("echo ${X:-d}").2.contains("only `${NAME}`"));
        assert!(fails("echo $1").2.contains("special parameter `$1`"));
        assert_eq!(fails("echo 'abc").2, "unterminated single quote");
        assert_eq!(fails("echo\n  \"abc").0, 2);
        assert_eq!(fails("(cd x)").2, "subshells and function definitions (`(`) are not supported");
        assert_eq!(fails("{ a; }").2, "brace groups are not supported");
    }

    #[test]
    fn malformed_lists_are_rejected() {
        assert_eq!(fails("a |").2, "expected a command after `|`");
        assert_eq!(fails("a &&").2, "expected a command after `&&`");
        assert_eq!(fails("; a").2, "expected a command, found `;`");
        assert_eq!(fails("a >").2, "expected a file name after `>`");
        assert_eq!(fails("a | ! b").2, "`!` is only allowed at the start of a pipeline");
        assert!(fails("a 2>&x").2.contains("descriptor number"));
        assert_eq!(fails("a; ;").2, "expected a command, found `;`");
        assert!(fails("a 12>x").2.contains("out of range"));
    }

    #[test]
    fn builtins_are_checked() {
        assert!(parse("set -e; set -o pipefail; set +eux; exit 3").is_ok());
        assert!(fails("set -k").2.contains("unsupported argument `-k`"));
        assert!(fails("set -o posix").2.contains("unsupported option `posix`"));
        assert!(fails("exit abc").2.contains("not a non-negative number"));
        assert!(fails("exit 1 2").2.contains("too many"));
        assert!(fails("exit 1 | cat").2.contains("cannot be part of a pipeline"));
        assert!(fails("export 1A=2").2.contains("not a valid name"));
        assert!(parse("export A B=2; unset A; cd /tmp; : > /tmp/x").is_ok());
    }
}
