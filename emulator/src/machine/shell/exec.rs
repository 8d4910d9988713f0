//! Runs a parsed script on a machine world. The shell itself is host code
//! (pid 1 from the guests' point of view); every command is a guest
//! process started in the world, and a pipeline's processes run together
//! until they have all exited.
//!
//! Descriptors of a command: stdin is `/dev/null`, stdout and stderr are
//! the script's captured streams, pipes connect pipeline neighbours, and
//! redirections apply left to right on top. Shell messages (`sh: NAME: not
//! found`) go to the command's own stderr after its redirections, as in
//! dash; `set -x` traces go to the script's stderr.
//!
//! Variables: the cell's environment is imported and exported in its
//! order; assignments create unexported shell variables unless `export`ed;
//! `NAME=value cmd` exports to that command only. Unquoted expansions are
//! split on blanks; nothing is globbed.

use super::ast::{AndOr, Builtin, Command, Connector, Part, Pipeline, RedirOp, Script, Word};
use super::parse::{is_name, long_option, set_option};
use crate::linux::errno::Errno;
use crate::linux::file::{DevNull, FdTable, FileRef, open_file};
use crate::linux::pipe::new_pipe;
use crate::linux::{OpenFlags, normalize};
use crate::machine::Stopped;
use crate::machine::vfs::CaptureFile;
use crate::machine::world::World;

/// How a script ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It ran to the end, `exit` or a `set -e` failure: the status.
    Exited(i32),
    /// The machine stopped it.
    Stopped(Stopped),
}

/// Control flow out of a command.
enum Flow {
    Next,
    Exit(i32),
}

type Run<T> = Result<T, Stopped>;

struct Var {
    name: String,
    value: String,
    exported: bool,
}

pub struct Shell<'w> {
    world: &'w mut World,
    vars: Vec<Var>,
    status: i32,
    errexit: bool,
    nounset: bool,
    xtrace: bool,
    pipefail: bool,
    cwd: Vec<u8>,
    stdin: FileRef,
    stdout: FileRef,
    stderr: FileRef,
}

/// Text of an errno for shell messages.
fn strerror(e: Errno) -> &'static str {
    match e {
        Errno::ENOENT => "No such file or directory",
        Errno::ENOTDIR => "Not a directory",
        Errno::EISDIR => "Is a directory",
        Errno::EACCES => "Permission denied",
        Errno::EROFS => "Read-only file system",
        Errno::EEXIST => "File exists",
        Errno::ENOSPC => "No space left on device",
        Errno::ENAMETOOLONG => "File name too long",
        Errno::EMFILE => "Too many open files",
        _ => "I/O error",
    }
}

impl<'w> Shell<'w> {
    pub fn new(world: &'w mut World, env: &[(String, String)]) -> Self {
        let stdout_ino = world.kernel.alloc_ino();
        let stderr_ino = world.kernel.alloc_ino();
        let ro = OpenFlags { access: 0, ..Default::default() };
        let wo = OpenFlags { access: 1, ..Default::default() };
        let stdin = open_file(Box::new(DevNull), ro, b"/dev/null".to_vec());
        let stdout = open_file(
            Box::new(CaptureFile { cap: world.stdout.clone(), ino: stdout_ino }),
            wo,
            b"pipe:[stdout]".to_vec(),
        );
        let stderr = open_file(
            Box::new(CaptureFile { cap: world.stderr.clone(), ino: stderr_ino }),
            wo,
            b"pipe:[stderr]".to_vec(),
        );
        let mut sh = Shell {
            world,
            vars: Vec::new(),
            status: 0,
            errexit: false,
            nounset: false,
            xtrace: false,
            pipefail: false,
            cwd: b"/".to_vec(),
            stdin,
            stdout,
            stderr,
        };
        for (k, v) in env {
            sh.set_var(k, v.clone(), true);
        }
        sh
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars.iter().find(|v| v.name == name).map(|v| v.value.as_str())
    }

    fn set_var(&mut self, name: &str, value: String, export: bool) {
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(v) => {
                v.value = value;
                v.exported |= export;
            }
            None => self.vars.push(Var { name: name.into(), value, exported: export }),
        }
    }

    /// Write a shell message to the script's stderr.
    fn say(&self, msg: &str) {
        self.world.stderr.borrow_mut().push(msg.as_bytes());
    }

    /// Run the script to its end.
    pub fn run(&mut self, script: &Script) -> Ending {
        for item in &script.items {
            match self.and_or(item) {
                Ok(Flow::Next) => {}
                Ok(Flow::Exit(code)) => return Ending::Exited(code),
                Err(stopped) => return Ending::Stopped(stopped),
            }
        }
        Ending::Exited(self.status)
    }

    fn and_or(&mut self, a: &AndOr) -> Run<Flow> {
        let mut flow = self.pipeline(&a.first)?;
        // `set -e` only looks at the last pipeline of the list, and never
        // at a negated one.
        let mut last_ran = 0usize;
        for (i, (conn, p)) in a.rest.iter().enumerate() {
            if let Flow::Exit(_) = flow {
                return Ok(flow);
            }
            let go = match conn {
                Connector::And => self.status == 0,
                Connector::Or => self.status != 0,
            };
            if go {
                flow = self.pipeline(p)?;
                last_ran = i + 1;
            }
        }
        if let Flow::Exit(_) = flow {
            return Ok(flow);
        }
        let last = if last_ran == 0 { &a.first } else { &a.rest[last_ran - 1].1 };
        if self.errexit && self.status != 0 && last_ran == a.rest.len() && !last.bang {
            return Ok(Flow::Exit(self.status));
        }
        Ok(Flow::Next)
    }

    fn pipeline(&mut self, p: &Pipeline) -> Run<Flow> {
        if let [cmd] = p.commands.as_slice()
            && let Some(b) = cmd.builtin()
        {
            let flow = self.builtin(b, cmd);
            if p.bang {
                self.status = (self.status == 0) as i32;
            }
            return Ok(flow);
        }
        let n = p.commands.len();
        // Pipes between neighbours: (read end, write end).
        let mut pipes: Vec<(FileRef, FileRef)> = Vec::with_capacity(n.saturating_sub(1));
        for _ in 1..n {
            let ino = self.world.kernel.alloc_ino();
            let (r, w) = new_pipe(ino);
            let name = format!("pipe:[{ino}]").into_bytes();
            let ro = OpenFlags { access: 0, ..Default::default() };
            let wo = OpenFlags { access: 1, ..Default::default() };
            pipes
                .push((open_file(Box::new(r), ro, name.clone()), open_file(Box::new(w), wo, name)));
        }
        // Per command: a pid, or the status of a command that never started.
        let mut started: Vec<Result<u32, i32>> = Vec::with_capacity(n);
        for (i, cmd) in p.commands.iter().enumerate() {
            let stdin = if i > 0 { pipes[i - 1].0.clone() } else { self.stdin.clone() };
            let stdout = if i + 1 < n { pipes[i].1.clone() } else { self.stdout.clone() };
            match self.start(cmd, stdin, stdout, n == 1) {
                Ok(r) => started.push(r),
                Err(code) => {
                    // An expansion error (`set -u`) ends the script.
                    drop(pipes);
                    self.world.run()?;
                    self.status = code;
                    return Ok(Flow::Exit(code));
                }
            }
        }
        // The shell's own references must go, or readers never see EOF.
        drop(pipes);
        self.world.run()?;
        let statuses: Vec<i32> = started
            .into_iter()
            .map(|r| match r {
                Ok(pid) => self.world.status(pid).unwrap_or(0),
                Err(status) => status,
            })
            .collect();
        let mut status = *statuses.last().expect("a pipeline has a command");
        if self.pipefail {
            status = statuses.iter().rev().copied().find(|&s| s != 0).unwrap_or(0);
        }
        if p.bang {
            status = (status == 0) as i32;
        }
        self.status = status;
        Ok(Flow::Next)
    }

    /// Expand `w` into fields (splitting unquoted expansions on blanks).
    /// `Err` is the message of a `set -u` failure.
    fn expand(&self, w: &Word) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut has = false;
        for part in &w.parts {
            let (value, quoted) = match part {
                Part::Lit { text, .. } => {
                    cur.push_str(text);
                    has = true;
                    continue;
                }
                Part::Status { quoted } => (self.status.to_string(), *quoted),
                Part::Var { name, quoted } => match self.var(name) {
                    Some(v) => (v.to_string(), *quoted),
                    None if self.nounset => return Err(format!("sh: {name}: parameter not set\n")),
                    None => (String::new(), *quoted),
                },
            };
            if quoted {
                cur.push_str(&value);
                has = true;
                continue;
            }
            let blank = |c: char| c == ' ' || c == '\t' || c == '\n';
            if value.starts_with(blank) && has {
                fields.push(std::mem::take(&mut cur));
                has = false;
            }
            let mut pieces = value.split(blank).filter(|s| !s.is_empty()).peekable();
            while let Some(piece) = pieces.next() {
                cur.push_str(piece);
                has = true;
                if pieces.peek().is_some() {
                    fields.push(std::mem::take(&mut cur));
                }
            }
            if value.ends_with(blank) && has {
                fields.push(std::mem::take(&mut cur));
                has = false;
            }
        }
        if has {
            fields.push(cur);
        }
        Ok(fields)
    }

    /// Expand `w` into one string (assignments, redirection targets).
    fn expand_one(&self, w: &Word) -> Result<String, String> {
        let mut s = String::new();
        for part in &w.parts {
            match part {
                Part::Lit { text, .. } => s.push_str(text),
                Part::Status { .. } => s.push_str(&self.status.to_string()),
                Part::Var { name, .. } => match self.var(name) {
                    Some(v) => s.push_str(v),
                    None if self.nounset => return Err(format!("sh: {name}: parameter not set\n")),
                    None => {}
                },
            }
        }
        Ok(s)
    }

    /// Apply `cmd`'s redirections to `fds`. `Err` is a message.
    fn redirect(&mut self, cmd: &Command, fds: &mut FdTable) -> Result<(), String> {
        for r in &cmd.redirs {
            let target = self.expand_one(&r.target)?;
            let fd = r.fd as u64;
            let flags = match r.op {
                RedirOp::Dup => {
                    if target == "-" {
                        let _ = fds.close(fd);
                        continue;
                    }
                    let src = target.parse::<u64>().ok().and_then(|n| fds.get(n).ok());
                    let Some(src) = src else {
                        return Err(format!("sh: {target}: Bad file descriptor\n"));
                    };
                    fds.install_at(fd, src)
                        .map_err(|_| format!("sh: {fd}: Bad file descriptor\n"))?;
                    continue;
                }
                RedirOp::In => OpenFlags { access: 0, ..Default::default() },
                RedirOp::Out => {
                    OpenFlags { access: 1, create: true, trunc: true, ..Default::default() }
                }
                RedirOp::Append => {
                    OpenFlags { access: 1, create: true, append: true, ..Default::default() }
                }
            };
            if target.is_empty() {
                return Err("sh: : No such file or directory\n".into());
            }
            let path = normalize(&self.cwd, target.as_bytes());
            let object = self
                .world
                .kernel
                .fs
                .open(&path, flags, 0o644)
                .map_err(|e| format!("sh: cannot open {target}: {}\n", strerror(e)))?;
            fds.install_at(fd, open_file(object, flags, path))
                .map_err(|_| format!("sh: {fd}: Bad file descriptor\n"))?;
        }
        Ok(())
    }

    /// Write `msg` to descriptor 2 of `fds` (a command that did not start).
    fn tell(&self, fds: &FdTable, msg: &str) {
        if let Ok(f) = fds.get(2) {
            let mut f = f.borrow_mut();
            if f.flags.writable() {
                // A full pipe drops the message, as no process waits here.
                let _ = f.object.write(msg.as_bytes());
            }
        }
    }

    /// Start one command of a pipeline. `Ok(Ok(pid))` when a process runs,
    /// `Ok(Err(status))` when it could not start (or needed no process),
    /// `Err(status)` when the script must end (a `set -u` failure).
    fn start(
        &mut self,
        cmd: &Command,
        stdin: FileRef,
        stdout: FileRef,
        alone: bool,
    ) -> Result<Result<u32, i32>, i32> {
        let mut fds = FdTable::default();
        for (fd, f) in [stdin, stdout, self.stderr.clone()].into_iter().enumerate() {
            fds.install_at(fd as u64, f).expect("descriptors 0 to 2 are valid");
        }
        let mut argv: Vec<String> = Vec::new();
        let mut assigns: Vec<(String, String)> = Vec::new();
        let expanded = (|| {
            for (name, w) in &cmd.assigns {
                assigns.push((name.clone(), self.expand_one(w)?));
            }
            for w in &cmd.words {
                argv.extend(self.expand(w)?);
            }
            Ok::<(), String>(())
        })();
        if let Err(msg) = expanded {
            self.say(&msg);
            return Err(2);
        }
        if self.xtrace {
            let mut line = String::from("+");
            for (k, v) in &assigns {
                line.push_str(&format!(" {k}={v}"));
            }
            for a in &argv {
                line.push(' ');
                line.push_str(a);
            }
            line.push('\n');
            self.say(&line);
        }
        if let Err(msg) = self.redirect(cmd, &mut fds) {
            self.tell(&fds, &msg);
            return Ok(Err(1));
        }
        let Some(name) = argv.first().cloned() else {
            // Only assignments and redirections.
            if alone {
                for (k, v) in assigns {
                    self.set_var(&k, v, false);
                }
            }
            return Ok(Err(0));
        };
        let found = if name.contains('/') {
            self.world.vfs.borrow_mut().program(&normalize(&self.cwd, name.as_bytes()))
        } else {
            self.search(&name)
        };
        let image = match found {
            Ok(image) => image,
            Err(Errno::ENOENT | Errno::ENOTDIR) => {
                let msg = if name.contains('/') {
                    format!("sh: {name}: No such file or directory\n")
                } else {
                    format!("sh: {name}: not found\n")
                };
                self.tell(&fds, &msg);
                return Ok(Err(127));
            }
            Err(_) => {
                self.tell(&fds, &format!("sh: {name}: Permission denied\n"));
                return Ok(Err(126));
            }
        };
        let argv: Vec<Vec<u8>> = argv.into_iter().map(String::into_bytes).collect();
        let envp = self.environment(&assigns);
        match self.world.spawn(&image, &argv, &envp, fds.clone(), &self.cwd) {
            Ok(pid) => Ok(Ok(pid)),
            // The host failed, not the command: end the script; the
            // machine reports the host error instead of any status.
            Err(_) if self.world.kernel.host_error.is_some() => Err(126),
            Err(e) => {
                self.tell(&fds, &format!("sh: {name}: cannot execute: {e}\n"));
                Ok(Err(126))
            }
        }
    }

    /// A command name looked up in `$PATH` (without one: `/bin`, and in a
    /// rootfs cell its usual directories and then Bohr's tools), as a
    /// shell's `execvp` does: the first executable wins; a file found but
    /// not executable is `EACCES` if nothing later is.
    fn search(&mut self, name: &str) -> Result<crate::linux::FileBytes, Errno> {
        let default = if self.world.vfs.borrow().has_rootfs() {
            format!("/bin:/sbin:/usr/bin:/usr/sbin:{}", crate::machine::vfs::TOOLS_DIR)
        } else {
            "/bin".to_string()
        };
        let path = self.var("PATH").map_or(default, str::to_string);
        let mut err = Errno::ENOENT;
        for dir in path.split(':') {
            // An empty entry is the current directory.
            let dir = if dir.is_empty() { "." } else { dir };
            let full = normalize(&self.cwd, format!("{dir}/{name}").as_bytes());
            match self.world.vfs.borrow_mut().program(&full) {
                Ok(image) => return Ok(image),
                Err(Errno::ENOENT | Errno::ENOTDIR) => {}
                Err(e) => err = e,
            }
        }
        Err(err)
    }

    /// `NAME=value` strings for a command: exported variables in order,
    /// with the command's own assignments over them.
    fn environment(&self, assigns: &[(String, String)]) -> Vec<Vec<u8>> {
        let mut env: Vec<(String, String)> = self
            .vars
            .iter()
            .filter(|v| v.exported)
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect();
        for (k, v) in assigns {
            match env.iter_mut().find(|(n, _)| n == k) {
                Some(e) => e.1 = v.clone(),
                None => env.push((k.clone(), v.clone())),
            }
        }
        env.into_iter().map(|(k, v)| format!("{k}={v}").into_bytes()).collect()
    }

    /// Run a builtin (always alone in its pipeline); sets `self.status`.
    fn builtin(&mut self, b: Builtin, cmd: &Command) -> Flow {
        let mut args = Vec::new();
        let mut assigns = Vec::new();
        let expanded = (|| {
            for (name, w) in &cmd.assigns {
                assigns.push((name.clone(), self.expand_one(w)?));
            }
            for w in &cmd.words[1..] {
                args.extend(self.expand(w)?);
            }
            Ok::<(), String>(())
        })();
        if let Err(msg) = expanded {
            self.say(&msg);
            self.status = 2;
            return Flow::Exit(2);
        }
        if self.xtrace {
            let mut line = format!("+ {}", b.name());
            for a in &args {
                line.push(' ');
                line.push_str(a);
            }
            line.push('\n');
            self.say(&line);
        }
        // Redirections still happen (`: > file` creates the file).
        let mut fds = FdTable::default();
        for (fd, f) in
            [self.stdin.clone(), self.stdout.clone(), self.stderr.clone()].into_iter().enumerate()
        {
            fds.install_at(fd as u64, f).expect("descriptors 0 to 2 are valid");
        }
        if let Err(msg) = self.redirect(cmd, &mut fds) {
            self.tell(&fds, &msg);
            self.status = 1;
            return Flow::Next;
        }
        for (k, v) in assigns {
            self.set_var(&k, v, false);
        }
        let fail = |sh: &mut Self, msg: String, status: i32| {
            sh.tell(&fds, &msg);
            sh.status = status;
            Flow::Next
        };
        match b {
            Builtin::Colon => {
                self.status = 0;
                Flow::Next
            }
            Builtin::Exit => match args.first() {
                None => Flow::Exit(self.status),
                Some(a) => match a.parse::<u32>() {
                    Ok(n) => {
                        self.status = (n & 0xff) as i32;
                        Flow::Exit(self.status)
                    }
                    Err(_) => {
                        self.tell(&fds, &format!("sh: exit: Illegal number: {a}\n"));
                        self.status = 2;
                        Flow::Exit(2)
                    }
                },
            },
            Builtin::Set => {
                let mut i = 0;
                while i < args.len() {
                    let a = &args[i];
                    let opts: Vec<(char, bool)> = if a == "-o" || a == "+o" {
                        let Some(c) = args.get(i + 1).and_then(|n| long_option(n)) else {
                            return fail(self, format!("sh: set: bad option after {a}\n"), 2);
                        };
                        i += 1;
                        vec![(c, a == "-o")]
                    } else if let Some(o) = set_option(a) {
                        o
                    } else {
                        return fail(self, format!("sh: set: unsupported argument {a}\n"), 2);
                    };
                    for (c, on) in opts {
                        match c {
                            'e' => self.errexit = on,
                            'u' => self.nounset = on,
                            'x' => self.xtrace = on,
                            _ => self.pipefail = on,
                        }
                    }
                    i += 1;
                }
                self.status = 0;
                Flow::Next
            }
            Builtin::Export => {
                for a in &args {
                    let (name, value) = match a.split_once('=') {
                        Some((n, v)) => (n, Some(v.to_string())),
                        None => (a.as_str(), None),
                    };
                    if !is_name(name) {
                        return fail(self, format!("sh: export: {a}: bad variable name\n"), 1);
                    }
                    let value = value.or_else(|| self.var(name).map(str::to_string));
                    self.set_var(name, value.unwrap_or_default(), true);
                }
                self.status = 0;
                Flow::Next
            }
            Builtin::Unset => {
                self.vars.retain(|v| !args.contains(&v.name));
                self.status = 0;
                Flow::Next
            }
            Builtin::Cd => {
                let dir = args.first().cloned().or_else(|| self.var("HOME").map(str::to_string));
                let dir = dir.unwrap_or_else(|| "/".into());
                let path = normalize(&self.cwd, dir.as_bytes());
                if !self.world.vfs.borrow_mut().is_dir(&path) {
                    return fail(self, format!("sh: cd: can't cd to {dir}\n"), 1);
                }
                self.cwd = path;
                self.status = 0;
                Flow::Next
            }
        }
    }
}
