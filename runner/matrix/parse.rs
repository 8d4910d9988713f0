//! Matrix file → validated, still unexpanded description ([`Parsed`]).
//!
//! Walks toml's spanned document tree (`toml::de::DeTable`) instead of
//! deriving serde structs, because every key and value needs its own
//! position for `file:line:col` messages, unknown keys need suggestions,
//! and axis order must follow the file. Script names are resolved and the
//! scripts read here, so a missing script is reported at its value.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use bohr_emu::arch::{Arch, supported_arches};
use bohr_emu::engine::EngineKind;
use bohr_emu::events::Event;
use bohr_emu::machine::{GuestFile, MtdFill, MtdSpec, ShellKind, WritePath};

use super::diag::{ConfigError, Diag, Source, choices, did_you_mean};
use super::{Axis, Key, Param, Pattern, Script, Value};
use crate::limits::{HIGHEST_DISK, HIGHEST_MEMORY, HIGHEST_TASKS, LOWEST_MEMORY, show_size};

type Span = Range<usize>;
type Entries<'a, 'i> = Vec<(&'a Spanned<std::borrow::Cow<'i, str>>, &'a Spanned<DeValue<'i>>)>;

/// A partial `[expect]`: set fields override the ones beneath.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct ExpectPatch {
    pub exit: Option<Option<i32>>,
    pub stdout_contains: Option<Vec<String>>,
    pub stdout_not_contains: Option<Vec<String>>,
    pub stdout_regex: Option<Vec<Pattern>>,
    pub stderr_contains: Option<Vec<String>>,
    pub stderr_not_contains: Option<Vec<String>>,
    pub stderr_regex: Option<Vec<Pattern>>,
    pub events_none: Option<Vec<String>>,
    pub snapshot: Option<bool>,
}

impl ExpectPatch {
    /// Overlay `top` on `self`.
    pub fn overlay(&mut self, top: &ExpectPatch) {
        macro_rules! over {
            ($($f:ident),*) => { $( if top.$f.is_some() { self.$f = top.$f.clone(); } )* };
        }
        over!(
            exit,
            stdout_contains,
            stdout_not_contains,
            stdout_regex,
            stderr_contains,
            stderr_not_contains,
            stderr_regex,
            events_none,
            snapshot
        );
    }

    pub fn resolve(&self) -> super::Expect {
        let d = super::Expect::default();
        super::Expect {
            exit: self.exit.unwrap_or(d.exit),
            stdout_contains: self.stdout_contains.clone().unwrap_or_default(),
            stdout_not_contains: self.stdout_not_contains.clone().unwrap_or_default(),
            stdout_regex: self.stdout_regex.clone().unwrap_or_default(),
            stderr_contains: self.stderr_contains.clone().unwrap_or_default(),
            stderr_not_contains: self.stderr_not_contains.clone().unwrap_or_default(),
            stderr_regex: self.stderr_regex.clone().unwrap_or_default(),
            events_none: self.events_none.clone().unwrap_or_default(),
            snapshot: self.snapshot.unwrap_or(d.snapshot),
        }
    }
}

/// An include or exclude entry.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub span: Span,
    pub values: Vec<(Key, Value, Span)>,
    pub expect: Option<ExpectPatch>,
}

/// A matrix file after validation, before expansion.
#[derive(Debug)]
pub(super) struct Parsed {
    pub name: String,
    pub description: Option<String>,
    pub root: PathBuf,
    /// Span of the `[matrix]` key, for cells that come from the axes.
    pub matrix_span: Span,
    pub axes: Vec<(Axis, Span)>,
    pub excludes: Vec<Entry>,
    pub includes: Vec<Entry>,
    /// `[cell]` values.
    pub defaults: Vec<(Key, Value, Span)>,
    pub env: Vec<(String, String)>,
    pub mtds: Vec<MtdSpec>,
    pub files: Vec<GuestFile>,
    pub expect: ExpectPatch,
    pub scripts: BTreeMap<String, Script>,
    /// The matrix's directory (relative host paths start here).
    pub dir: PathBuf,
    /// `[rootfs.NAME]` definitions: the image path as written and its span.
    pub rootfs_defs: BTreeMap<String, (String, Span)>,
    /// `rootfs` values that are paths, with the span of their first use.
    pub rootfs_paths: BTreeMap<String, Span>,
}

const TOP_KEYS: [&str; 9] =
    ["name", "description", "matrix", "cell", "env", "mtd", "file", "expect", "rootfs"];
const ROOTFS_KEYS: [&str; 1] = ["image"];
const EXPECT_KEYS: [&str; 9] = [
    "exit",
    "stdout_contains",
    "stdout_not_contains",
    "stdout_regex",
    "stderr_contains",
    "stderr_not_contains",
    "stderr_regex",
    "events_none",
    "snapshot",
];
const MTD_KEYS: [&str; 6] = ["name", "size", "erasesize", "fill", "file", "write"];
const WRITE_KEYS: [&str; 4] = ["offset", "text", "bytes", "file"];
const FILE_KEYS: [&str; 5] = ["path", "text", "bytes", "source", "executable"];

struct Parser<'s> {
    src: &'s Source,
    /// Directory of the matrix file (relative paths start here).
    dir: PathBuf,
    root: PathBuf,
    errs: Vec<Diag>,
    scripts: BTreeMap<String, Script>,
    /// `[rootfs.NAME]` definitions, read before anything that names them.
    rootfs_defs: BTreeMap<String, (String, Span)>,
    rootfs_paths: BTreeMap<String, Span>,
}

/// Table entries in file order (toml's map is sorted by key).
fn entries<'a, 'i>(t: &'a DeTable<'i>) -> Entries<'a, 'i> {
    let mut v: Entries<'a, 'i> = t.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// The project a matrix belongs to: the nearest ancestor of its directory
/// holding a `Cargo.toml` or `.git`, else the nearest holding a
/// `guest-scripts/` directory, else the matrix's directory itself.
pub(super) fn project_root(dir: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let find =
        |pred: &dyn Fn(&Path) -> bool| abs.ancestors().find(|a| pred(a)).map(Path::to_path_buf);
    find(&|a| a.join("Cargo.toml").is_file() || a.join(".git").exists())
        .or_else(|| find(&|a| a.join("guest-scripts").is_dir()))
        .unwrap_or(abs.clone())
}

/// The directories searched for `guest-scripts/`: the matrix's directory
/// and its ancestors up to the project root.
fn search_dirs(dir: &Path, root: &Path) -> Vec<PathBuf> {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut out = Vec::new();
    for a in abs.ancestors() {
        out.push(a.to_path_buf());
        if a == root {
            return out;
        }
    }
    // The root is not above the matrix: search only beside it.
    out.truncate(1);
    out
}

pub(super) fn parse(src: &Source, path: &Path) -> Result<Parsed, ConfigError> {
    let doc = DeTable::parse(&src.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        ConfigError::one(src.diag(&span, format!("invalid TOML: {}", e.message().trim())))
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let root = project_root(&dir);
    let mut p = Parser {
        src,
        dir,
        root,
        errs: Vec::new(),
        scripts: BTreeMap::new(),
        rootfs_defs: BTreeMap::new(),
        rootfs_paths: BTreeMap::new(),
    };
    let parsed = p.document(doc.get_ref(), path);
    if p.errs.is_empty() {
        Ok(parsed)
    } else {
        p.errs.sort_by_key(|d| d.line);
        Err(ConfigError { diags: p.errs })
    }
}

impl<'s> Parser<'s> {
    fn err(&mut self, span: &Span, msg: impl Into<String>) {
        let d = self.src.diag(span, msg);
        self.errs.push(d);
    }

    fn unknown_key(&mut self, span: &Span, key: &str, what: &str, valid: &[&str]) {
        let msg = format!(
            "unknown key `{key}` in {what} (valid keys: {}){}",
            choices(valid.iter().copied()),
            did_you_mean(key, valid.iter().copied())
        );
        self.err(span, msg);
    }

    fn wrong_type(&mut self, v: &Spanned<DeValue>, what: &str, expected: &str) {
        let msg = format!("{what} must be {expected}, found {}", v.get_ref().type_str());
        self.err(&v.span(), msg);
    }

    fn table<'a, 'i>(
        &mut self,
        v: &'a Spanned<DeValue<'i>>,
        what: &str,
    ) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(v, what, "a table");
                None
            }
        }
    }

    fn string(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(v, what, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(v, what, "a boolean");
                None
            }
        }
    }

    /// A non-negative integer (TOML integers, or a string such as
    /// `"0xffffffffffffffff"` for values beyond TOML's signed range).
    fn uint(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<u64> {
        let parsed = match v.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            DeValue::String(s) => parse_u64(s),
            _ => {
                self.wrong_type(v, what, "a non-negative integer");
                return None;
            }
        };
        if parsed.is_none() {
            self.err(&v.span(), format!("{what} must be a non-negative integer below 2^64"));
        }
        parsed
    }

    /// A size in bytes, as an integer or a string such as `"512MiB"`,
    /// between `lo` and `hi`; kept as written.
    fn size_in(&mut self, v: &Spanned<DeValue>, what: &str, lo: u64, hi: u64) -> Option<Value> {
        let (bytes, value) = match v.get_ref() {
            DeValue::Integer(_) => {
                let n = self.uint(v, what)?;
                (n, Value::Int(n))
            }
            DeValue::String(s) => match parse_size(s) {
                Some(n) => (n, Value::Str(s.to_string())),
                None => {
                    let msg = format!(
                        "invalid {what} `{s}` (write a size such as \"512MiB\", \"2GiB\" or                          a number of bytes)"
                    );
                    self.err(&v.span(), msg);
                    return None;
                }
            },
            _ => {
                self.wrong_type(v, what, "a size such as \"512MiB\"");
                return None;
            }
        };
        if bytes < lo || bytes > hi {
            let msg = format!(
                "{what} must be between {} and {}, found {}",
                show_size(lo),
                show_size(hi),
                show_size(bytes)
            );
            self.err(&v.span(), msg);
            return None;
        }
        Some(value)
    }

    fn uint_in(&mut self, v: &Spanned<DeValue>, what: &str, lo: u64, hi: u64) -> Option<u64> {
        let n = self.uint(v, what)?;
        if n < lo || n > hi {
            self.err(&v.span(), format!("{what} must be between {lo} and {hi}, found {n}"));
            return None;
        }
        Some(n)
    }

    fn int(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<i64> {
        match v.get_ref() {
            DeValue::Integer(i) => {
                let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
                if n.is_none() {
                    self.err(&v.span(), format!("{what} is out of range"));
                }
                n
            }
            _ => {
                self.wrong_type(v, what, "an integer");
                None
            }
        }
    }

    /// A string or a list of strings.
    fn strings(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Vec<String>> {
        match v.get_ref() {
            DeValue::String(s) => Some(vec![s.to_string()]),
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for item in a.iter() {
                    out.push(self.string(item, what)?);
                }
                Some(out)
            }
            _ => {
                self.wrong_type(v, what, "a string or a list of strings");
                None
            }
        }
    }

    fn document(&mut self, doc: &DeTable, path: &Path) -> Parsed {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut out = Parsed {
            name: stem,
            description: None,
            root: self.root.clone(),
            matrix_span: 0..0,
            axes: Vec::new(),
            excludes: Vec::new(),
            includes: Vec::new(),
            defaults: Vec::new(),
            env: Vec::new(),
            mtds: Vec::new(),
            files: Vec::new(),
            expect: ExpectPatch::default(),
            scripts: BTreeMap::new(),
            dir: self.dir.clone(),
            rootfs_defs: BTreeMap::new(),
            rootfs_paths: BTreeMap::new(),
        };
        // Axes and includes name rootfs definitions wherever those are.
        if let Some(v) = doc.get("rootfs") {
            self.rootfs_defs(v);
        }
        let mut saw_matrix = false;
        for (k, v) in entries(doc) {
            match k.get_ref().as_ref() {
                "rootfs" => {}
                "name" => {
                    if let Some(n) = self.string(v, "`name`") {
                        if valid_matrix_name(&n) {
                            out.name = n;
                        } else {
                            self.err(
                                &v.span(),
                                format!(
                                    "`name` `{n}` must use only letters, digits, `_`, `-` and `.` \
                                     (it names the snapshot directory and the JUnit suite)"
                                ),
                            );
                        }
                    }
                }
                "description" => out.description = self.string(v, "`description`"),
                "matrix" => {
                    saw_matrix = true;
                    out.matrix_span = k.span();
                    if let Some(t) = self.table(v, "`matrix`") {
                        self.matrix(t, &mut out);
                    }
                }
                "cell" => {
                    if let Some(t) = self.table(v, "`cell`") {
                        for (ck, cv) in entries(t) {
                            let name = ck.get_ref().as_ref();
                            match Param::from_name(name) {
                                Some(param) => {
                                    if let Some(val) = self.param_value(param, cv) {
                                        out.defaults.push((Key::Param(param), val, cv.span()));
                                    }
                                }
                                None => self.unknown_param(&ck.span(), name, "[cell]"),
                            }
                        }
                    }
                }
                "env" => {
                    if let Some(t) = self.table(v, "`env`") {
                        for (ek, ev) in entries(t) {
                            let name = ek.get_ref().to_string();
                            if !valid_env_name(&name) {
                                self.err(
                                    &ek.span(),
                                    format!("invalid environment variable name `{name}`"),
                                );
                                continue;
                            }
                            if let Some(s) = self.env_value(ev, &name) {
                                out.env.push((name, s));
                            }
                        }
                    }
                }
                "mtd" => {
                    for t in self.array_of_tables(v, "`mtd`") {
                        if let Some(m) = self.mtd(t, out.mtds.len()) {
                            if out.mtds.iter().any(|o| o.name == m.name) {
                                self.err(
                                    &t.span(),
                                    format!("duplicate MTD device name `{}`", m.name),
                                );
                            }
                            out.mtds.push(m);
                        }
                    }
                }
                "file" => {
                    for t in self.array_of_tables(v, "`file`") {
                        if let Some(f) = self.guest_file(t) {
                            if out.files.iter().any(|o| o.path == f.path) {
                                self.err(&t.span(), format!("duplicate guest file `{}`", f.path));
                            }
                            out.files.push(f);
                        }
                    }
                }
                "expect" => {
                    if let Some(t) = self.table(v, "`expect`") {
                        out.expect = self.expect(t, "[expect]");
                    }
                }
                other => self.unknown_key(&k.span(), other, "the matrix file", &TOP_KEYS),
            }
        }
        if !saw_matrix {
            self.errs.push(Diag {
                file: self.src.name.clone(),
                line: Some((1, 1)),
                message: "missing `[matrix]` table (the axes that define the cells)".into(),
            });
        }
        out.scripts = std::mem::take(&mut self.scripts);
        out.rootfs_defs = std::mem::take(&mut self.rootfs_defs);
        out.rootfs_paths = std::mem::take(&mut self.rootfs_paths);
        out
    }

    /// `[rootfs.NAME] image = "PATH"` tables.
    fn rootfs_defs(&mut self, v: &Spanned<DeValue>) {
        let Some(t) = self.table(v, "`rootfs`") else { return };
        for (k, dv) in entries(t) {
            let name = k.get_ref().to_string();
            if !valid_rootfs_name(&name) {
                self.err(
                    &k.span(),
                    format!(
                        "rootfs name `{name}` must be letters, digits, `_`, `-` and `.`, and not \
                         `{}` (it forms cell IDs)",
                        super::rootfs::NONE
                    ),
                );
                continue;
            }
            let Some(dt) = self.table(dv, &format!("`rootfs.{name}`")) else { continue };
            let mut image = None;
            for (ik, iv) in entries(dt) {
                match ik.get_ref().as_ref() {
                    "image" => {
                        image = self
                            .string(iv, &format!("`rootfs.{name}.image`"))
                            .map(|s| (s, iv.span()))
                    }
                    other => self.unknown_key(
                        &ik.span(),
                        other,
                        &format!("[rootfs.{name}]"),
                        &ROOTFS_KEYS,
                    ),
                }
            }
            match image {
                Some((s, _)) if s.is_empty() || s.contains('\0') => {
                    self.err(&dv.span(), format!("`rootfs.{name}.image` must be a path"))
                }
                Some(img) => {
                    self.rootfs_defs.insert(name, img);
                }
                None if !dt.contains_key("image") => self.err(
                    &dv.span(),
                    format!(
                        "[rootfs.{name}] needs an `image`: a directory, tar, cpio or squashfs \
                         image (`{{arch}}` becomes the cell's architecture)"
                    ),
                ),
                None => {}
            }
        }
    }

    fn unknown_param(&mut self, span: &Span, name: &str, what: &str) {
        if name == "debug_hook" {
            self.err(span, "`debug_hook` is a test hook that only debug builds accept");
            return;
        }
        let mut valid = Param::cell_names();
        if what != "[cell]" {
            valid.push("env.NAME");
            valid.push("expect");
        }
        self.unknown_key(span, name, what, &valid);
    }

    fn array_of_tables<'a, 'i>(
        &mut self,
        v: &'a Spanned<DeValue<'i>>,
        what: &str,
    ) -> Vec<&'a Spanned<DeValue<'i>>> {
        match v.get_ref() {
            DeValue::Array(a) => {
                let mut out = Vec::new();
                for item in a.iter() {
                    if matches!(item.get_ref(), DeValue::Table(_)) {
                        out.push(item);
                    } else {
                        self.wrong_type(item, &format!("each {what} entry"), "a table");
                    }
                }
                out
            }
            _ => {
                self.wrong_type(v, what, "an array of tables (`[[...]]`)");
                Vec::new()
            }
        }
    }

    fn matrix(&mut self, t: &DeTable, out: &mut Parsed) {
        let mut include = None;
        let mut exclude = None;
        for (k, v) in entries(t) {
            let name = k.get_ref().as_ref();
            match name {
                "include" => include = Some(v),
                "exclude" => exclude = Some(v),
                "env" => {
                    // `env.NAME = [...]` (a dotted key) arrives as a table.
                    if let Some(et) = self.table(v, "`env` axes") {
                        for (ek, ev) in entries(et) {
                            let n = ek.get_ref().to_string();
                            self.axis(Key::Env(n), ek.span(), ev, out);
                        }
                    }
                }
                _ => {
                    if let Some(n) = name.strip_prefix("env.") {
                        self.axis(Key::Env(n.to_string()), k.span(), v, out);
                        continue;
                    }
                    match Param::from_name(name) {
                        Some(p) if p.is_axis() => self.axis(Key::Param(p), k.span(), v, out),
                        Some(p) => self.err(
                            &k.span(),
                            format!(
                                "`{}` cannot be an axis; set it in [cell] or in an include \
                                 (axes: {}, env.NAME)",
                                p.name(),
                                choices(Param::axis_names())
                            ),
                        ),
                        None => {
                            let mut valid = Param::axis_names();
                            valid.extend(["env.NAME", "include", "exclude"]);
                            self.unknown_key(&k.span(), name, "[matrix]", &valid);
                        }
                    }
                }
            }
        }
        // Entries refer to axes, so read them once every axis is known.
        if let Some(v) = exclude {
            for e in self.array_of_tables(v, "`matrix.exclude`") {
                if let Some(entry) = self.entry(e, false, out) {
                    out.excludes.push(entry);
                }
            }
        }
        if let Some(v) = include {
            for e in self.array_of_tables(v, "`matrix.include`") {
                if let Some(entry) = self.entry(e, true, out) {
                    out.includes.push(entry);
                }
            }
        }
    }

    fn axis(&mut self, key: Key, kspan: Span, v: &Spanned<DeValue>, out: &mut Parsed) {
        if let Key::Env(n) = &key
            && !valid_env_name(n)
        {
            self.err(&kspan, format!("invalid environment variable name `{n}`"));
            return;
        }
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, &format!("axis `{key}`"), "a list of values");
            return;
        };
        if items.is_empty() {
            self.err(&v.span(), format!("axis `{key}` has no values"));
            return;
        }
        let mut values = Vec::new();
        for item in items.iter() {
            let Some(val) = self.key_value(&key, item) else { continue };
            if values.contains(&val) {
                self.err(&item.span(), format!("axis `{key}` lists `{val}` twice"));
                continue;
            }
            values.push(val);
        }
        out.axes.push((Axis { key, values }, kspan));
    }

    /// Validate a value for any key.
    fn key_value(&mut self, key: &Key, v: &Spanned<DeValue>) -> Option<Value> {
        let value = match key {
            Key::Param(p) => self.param_value(*p, v),
            Key::Env(n) => self.env_value(v, n).map(Value::Str),
        }?;
        // Values form cell IDs, which are printed one per line, used as
        // file names and shown in every report.
        if let Value::Str(s) = &value
            && s.chars().any(char::is_control)
        {
            self.err(
                &v.span(),
                format!(
                    "value {s:?} of `{key}` contains a control character; values that form \
                     cell IDs cannot"
                ),
            );
            return None;
        }
        Some(value)
    }

    fn env_value(&mut self, v: &Spanned<DeValue>, name: &str) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(i) => Some(match i.radix() {
                10 => i.as_str().to_string(),
                _ => i.to_string(),
            }),
            DeValue::Boolean(b) => Some(b.to_string()),
            _ => {
                self.wrong_type(v, &format!("environment variable `{name}`"), "a string");
                None
            }
        }
    }

    fn param_value(&mut self, p: Param, v: &Spanned<DeValue>) -> Option<Value> {
        let what = format!("`{}`", p.name());
        match p {
            Param::Arch => {
                let s = self.string(v, &what)?;
                match s.parse::<Arch>() {
                    Ok(a) if supported_arches().contains(&a) => Some(Value::Str(s)),
                    Ok(_) => {
                        let sup: Vec<&str> = supported_arches().iter().map(|a| a.name()).collect();
                        self.err(
                            &v.span(),
                            format!(
                                "architecture `{s}` is known but not supported yet \
                                 (supported: {})",
                                choices(sup)
                            ),
                        );
                        None
                    }
                    Err(_) => {
                        let all = Arch::ALL.map(Arch::name);
                        self.err(
                            &v.span(),
                            format!(
                                "unknown architecture `{s}` (valid: {}){}",
                                choices(all),
                                did_you_mean(&s, all)
                            ),
                        );
                        None
                    }
                }
            }
            Param::WritePath => {
                let s = self.string(v, &what)?;
                let all = WritePath::ALL.map(WritePath::name);
                self.choice(v, &s, "write path", &all)
            }
            Param::Engine => {
                let s = self.string(v, &what)?;
                let all = [EngineKind::Interp.name(), EngineKind::Jit.name()];
                self.choice(v, &s, "engine", &all)
            }
            Param::DebugHook => {
                let s = self.string(v, &what)?;
                self.choice(v, &s, "debug hook", &["panic", "hang"])
            }
            Param::Shell => {
                let s = self.string(v, &what)?;
                let all = ShellKind::ALL.map(ShellKind::name);
                self.choice(v, &s, "shell", &all)
            }
            Param::Rootfs => {
                let s = self.string(v, &what)?;
                if s == super::rootfs::NONE || self.rootfs_defs.contains_key(&s) {
                    return Some(Value::Str(s));
                }
                if s.contains('/') && !s.contains('\0') {
                    self.rootfs_paths.entry(s.clone()).or_insert_with(|| v.span());
                    return Some(Value::Str(s));
                }
                let names: Vec<&str> = self.rootfs_defs.keys().map(String::as_str).collect();
                self.err(
                    &v.span(),
                    format!(
                        "unknown rootfs `{s}`: name a [rootfs.NAME] definition ({}), give a \
                         path holding `/`, or `none`{}",
                        if names.is_empty() {
                            "this matrix has none".into()
                        } else {
                            choices(names.iter().copied())
                        },
                        did_you_mean(&s, names.iter().copied())
                    ),
                );
                None
            }
            Param::Script => {
                let s = self.string(v, &what)?;
                self.script(&s, &v.span())?;
                Some(Value::Str(s))
            }
            Param::Quantum | Param::MaxInsns => self.uint_in(v, &what, 1, u64::MAX).map(Value::Int),
            Param::Seed => self.uint(v, &what).map(Value::Int),
            Param::Chaos => self.boolean(v, &what).map(Value::Bool),
            Param::MaxBlockInsns => self.uint_in(v, &what, 1, 4096).map(Value::Int),
            Param::MtdChunk => self.uint_in(v, &what, 1, 1 << 24).map(Value::Int),
            Param::JitThreshold => self.uint_in(v, &what, 0, u32::MAX as u64).map(Value::Int),
            Param::Memory => self.size_in(v, &what, LOWEST_MEMORY, HIGHEST_MEMORY),
            Param::Disk => self.size_in(v, &what, 0, HIGHEST_DISK),
            Param::MaxTasks => self.uint_in(v, &what, 1, u64::from(HIGHEST_TASKS)).map(Value::Int),
            Param::Timeout => match v.get_ref() {
                DeValue::Integer(_) => self.uint_in(v, &what, 1, 1 << 32).map(Value::Int),
                DeValue::String(s) => {
                    if parse_duration(s).is_some_and(|d| !d.is_zero()) {
                        Some(Value::Str(s.to_string()))
                    } else {
                        self.err(
                            &v.span(),
                            format!(
                                "invalid timeout `{s}` (write a positive duration such as \
                                 \"60s\", \"500ms\", \"2m\" or \"1h\")"
                            ),
                        );
                        None
                    }
                }
                _ => {
                    self.wrong_type(v, &what, "a duration such as \"60s\"");
                    None
                }
            },
        }
    }

    fn choice(&mut self, v: &Spanned<DeValue>, s: &str, what: &str, all: &[&str]) -> Option<Value> {
        if all.contains(&s) {
            return Some(Value::Str(s.to_string()));
        }
        self.err(
            &v.span(),
            format!(
                "unknown {what} `{s}` (valid: {}){}",
                choices(all.iter().copied()),
                did_you_mean(s, all.iter().copied())
            ),
        );
        None
    }

    /// Resolve and read a script; `name` is as the matrix wrote it.
    fn script(&mut self, name: &str, span: &Span) -> Option<()> {
        if self.scripts.contains_key(name) {
            return Some(());
        }
        let is_path = name.contains('/') || name.ends_with(".sh");
        let mut tried = Vec::new();
        if is_path {
            tried.push(self.dir.join(name));
        } else {
            // "beside the matrix's directory and in the repository": walk up
            // to the project root.
            let file = format!("{name}.sh");
            for d in search_dirs(&self.dir, &self.root) {
                tried.push(d.join("guest-scripts").join(&file));
            }
        }
        let Some(found) = tried.iter().find(|p| p.is_file()) else {
            let available = self.available_scripts();
            let msg = format!(
                "script `{name}` not found (looked for {}){}{}",
                tried.iter().map(|p| super::diag::shown(p)).collect::<Vec<_>>().join(", "),
                if available.is_empty() {
                    String::new()
                } else {
                    format!("; available: {}", available.join(", "))
                },
                did_you_mean(name, available.iter().map(String::as_str)),
            );
            self.err(span, msg);
            return None;
        };
        let text = match std::fs::read(found) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => t,
                Err(_) => {
                    self.err(span, format!("script `{}` is not valid UTF-8", found.display()));
                    return None;
                }
            },
            Err(e) => {
                self.err(span, format!("cannot read script `{}`: {e}", found.display()));
                return None;
            }
        };
        let stable = stable_name(&self.root, found);
        self.scripts.insert(
            name.to_string(),
            Script { name: stable, path: found.clone(), text: Arc::from(text) },
        );
        Some(())
    }

    /// Script names under the `guest-scripts/` directories searched.
    fn available_scripts(&self) -> Vec<String> {
        let mut names = Vec::new();
        for a in search_dirs(&self.dir, &self.root) {
            if let Ok(rd) = std::fs::read_dir(a.join("guest-scripts")) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if let Some(stem) = n.strip_suffix(".sh")
                        && !names.iter().any(|x| x == stem)
                    {
                        names.push(stem.to_string());
                    }
                }
            }
        }
        names.sort();
        names
    }

    fn entry(&mut self, v: &Spanned<DeValue>, include: bool, out: &Parsed) -> Option<Entry> {
        let DeValue::Table(t) = v.get_ref() else { return None };
        let what = if include { "a matrix include" } else { "a matrix exclude" };
        let mut entry = Entry { span: v.span(), values: Vec::new(), expect: None };
        let axis_keys: Vec<String> = out.axes.iter().map(|(a, _)| a.key.to_string()).collect();
        let mut flat: Vec<(Key, Span, &Spanned<DeValue>)> = Vec::new();
        let mut ok = true;
        for (k, ev) in entries(t) {
            let name = k.get_ref().as_ref();
            if include && name == "expect" {
                if let Some(et) = self.table(ev, "`expect`") {
                    entry.expect = Some(self.expect(et, "an include's `expect`"));
                }
                continue;
            }
            if name == "env"
                && let DeValue::Table(et) = ev.get_ref()
            {
                for (ek, eev) in entries(et) {
                    flat.push((Key::Env(ek.get_ref().to_string()), ek.span(), eev));
                }
                continue;
            }
            if let Some(n) = name.strip_prefix("env.") {
                flat.push((Key::Env(n.to_string()), k.span(), ev));
                continue;
            }
            match Param::from_name(name) {
                Some(p) => flat.push((Key::Param(p), k.span(), ev)),
                None => {
                    ok = false;
                    if include {
                        self.unknown_param(&k.span(), name, what);
                    } else {
                        self.unknown_key(
                            &k.span(),
                            name,
                            what,
                            &axis_keys.iter().map(String::as_str).collect::<Vec<_>>(),
                        );
                    }
                }
            }
        }
        for (key, kspan, ev) in flat {
            if !include && !axis_keys.contains(&key.to_string()) {
                // GitHub rejects an exclude naming a key that is not in the
                // matrix; a typo would otherwise silently exclude nothing.
                ok = false;
                let ks = key.to_string();
                self.err(
                    &kspan,
                    format!(
                        "exclude key `{ks}` is not an axis of this matrix (axes: {}){}",
                        choices(axis_keys.iter().map(String::as_str)),
                        did_you_mean(&ks, axis_keys.iter().map(String::as_str))
                    ),
                );
                continue;
            }
            if let Key::Env(n) = &key
                && !valid_env_name(n)
            {
                ok = false;
                self.err(&kspan, format!("invalid environment variable name `{n}`"));
                continue;
            }
            match self.key_value(&key, ev) {
                Some(val) => entry.values.push((key, val, ev.span())),
                None => ok = false,
            }
        }
        if entry.values.is_empty() && entry.expect.is_none() && ok {
            self.err(&v.span(), format!("{what} entry is empty"));
            return None;
        }
        ok.then_some(entry)
    }

    fn expect(&mut self, t: &DeTable, what: &str) -> ExpectPatch {
        let mut e = ExpectPatch::default();
        for (k, v) in entries(t) {
            let name = k.get_ref().as_ref();
            let w = format!("`expect.{name}`");
            match name {
                "exit" => {
                    e.exit = match v.get_ref() {
                        DeValue::String(s) if s.as_ref() == "any" => Some(None),
                        DeValue::Integer(_) => match self.int(v, &w) {
                            Some(n) if (0..=255).contains(&n) => Some(Some(n as i32)),
                            Some(n) => {
                                self.err(&v.span(), format!("{w} must be 0 to 255, found {n}"));
                                None
                            }
                            None => None,
                        },
                        _ => {
                            self.wrong_type(v, &w, "an exit status (0-255) or \"any\"");
                            None
                        }
                    }
                }
                "stdout_contains" => e.stdout_contains = self.strings(v, &w),
                "stdout_not_contains" => e.stdout_not_contains = self.strings(v, &w),
                "stderr_contains" => e.stderr_contains = self.strings(v, &w),
                "stderr_not_contains" => e.stderr_not_contains = self.strings(v, &w),
                "stdout_regex" => e.stdout_regex = self.regexes(v, &w),
                "stderr_regex" => e.stderr_regex = self.regexes(v, &w),
                "events_none" => {
                    if let Some(kinds) = self.strings(v, &w) {
                        let mut good = true;
                        for kind in &kinds {
                            if !Event::KINDS.contains(&kind.as_str()) {
                                good = false;
                                self.err(
                                    &v.span(),
                                    format!(
                                        "unknown event kind `{kind}` (valid: {}){}",
                                        choices(Event::KINDS),
                                        did_you_mean(kind, Event::KINDS)
                                    ),
                                );
                            }
                        }
                        if good {
                            e.events_none = Some(kinds);
                        }
                    }
                }
                "snapshot" => e.snapshot = self.boolean(v, &w),
                other => self.unknown_key(&k.span(), other, what, &EXPECT_KEYS),
            }
        }
        e
    }

    fn regexes(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Vec<Pattern>> {
        let mut out = Vec::new();
        for s in self.strings(v, what)? {
            match regex::Regex::new(&s) {
                Ok(regex) => out.push(Pattern { source: s, regex }),
                Err(e) => {
                    self.err(&v.span(), format!("{what}: invalid regular expression: {e}"));
                    return None;
                }
            }
        }
        Some(out)
    }

    fn size(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<u64> {
        match v.get_ref() {
            DeValue::String(s) => {
                match parse_size(s) {
                    Some(n) => Some(n),
                    None => {
                        self.err(
                        &v.span(),
                        format!("{what}: invalid size `{s}` (write bytes, or e.g. \"64KiB\", \"1MiB\")"),
                    );
                        None
                    }
                }
            }
            _ => self.uint(v, what),
        }
    }

    /// Read a host file named relative to the matrix.
    fn host_file(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Vec<u8>> {
        let rel = self.string(v, what)?;
        let path = self.dir.join(&rel);
        match std::fs::read(&path) {
            Ok(b) => Some(b),
            Err(e) => {
                self.err(&v.span(), format!("{what}: cannot read `{}`: {e}", path.display()));
                None
            }
        }
    }

    fn byte_list(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Vec<u8>> {
        let DeValue::Array(a) = v.get_ref() else {
            self.wrong_type(v, what, "a list of byte values (0-255)");
            return None;
        };
        let mut out = Vec::new();
        for item in a.iter() {
            out.push(self.uint_in(item, what, 0, 255)? as u8);
        }
        Some(out)
    }

    fn mtd(&mut self, v: &Spanned<DeValue>, index: usize) -> Option<MtdSpec> {
        let DeValue::Table(t) = v.get_ref() else { return None };
        let mut name = None;
        let mut size = None;
        let mut erasesize = Some(64 * 1024);
        let mut fill = Some(MtdFill::Erased);
        let mut writes = Vec::new();
        let mut ok = true;
        for (k, fv) in entries(t) {
            let key = k.get_ref().as_ref();
            let w = format!("`mtd.{key}`");
            match key {
                "name" => name = self.string(fv, &w),
                "size" => size = self.size(fv, &w),
                "erasesize" => erasesize = self.size(fv, &w),
                "fill" => {
                    let Some(s) = self.string(fv, &w) else {
                        ok = false;
                        continue;
                    };
                    fill = match s.as_str() {
                        "erased" => Some(MtdFill::Erased),
                        "zero" => Some(MtdFill::Zero),
                        "random" => Some(MtdFill::Random),
                        _ => {
                            let all = ["erased", "zero", "random"];
                            self.err(
                                &fv.span(),
                                format!(
                                    "unknown fill `{s}` (valid: {}, or `file = \"PATH\"`){}",
                                    choices(all),
                                    did_you_mean(&s, all)
                                ),
                            );
                            None
                        }
                    }
                }
                "file" => fill = self.host_file(fv, &w).map(|b| MtdFill::Bytes(Arc::new(b))),
                "write" => {
                    for wt in self.array_of_tables(fv, "`mtd.write`") {
                        match self.mtd_write(wt) {
                            Some(x) => writes.push((x, wt.span())),
                            None => ok = false,
                        }
                    }
                }
                other => {
                    ok = false;
                    self.unknown_key(&k.span(), other, "[[mtd]]", &MTD_KEYS);
                }
            }
        }
        let (Some(size), Some(erasesize), Some(fill)) = (size, erasesize, fill) else {
            if size.is_none() && !t.contains_key("size") {
                self.err(&v.span(), "[[mtd]] needs a `size`");
            }
            return None;
        };
        let name = name.unwrap_or_else(|| format!("mtd{index}"));
        let spans: Vec<Span> = writes.iter().map(|(_, s)| s.clone()).collect();
        let spec = MtdSpec {
            name,
            size,
            erasesize,
            fill,
            writes: writes.into_iter().map(|(w, _)| w).collect(),
        };
        if let Err(e) = crate::mtd::check(&spec) {
            let span = match &e {
                crate::mtd::MtdError::Write { index, .. } => spans[*index].clone(),
                crate::mtd::MtdError::Size { .. } => t.get("size").map_or(v.span(), |s| s.span()),
                _ => v.span(),
            };
            self.err(&span, e.to_string());
            return None;
        }
        ok.then_some(spec)
    }

    fn mtd_write(&mut self, v: &Spanned<DeValue>) -> Option<(u64, Vec<u8>)> {
        let DeValue::Table(t) = v.get_ref() else { return None };
        let mut offset = None;
        let mut data: Option<Vec<u8>> = None;
        let mut sources = 0;
        for (k, fv) in entries(t) {
            let key = k.get_ref().as_ref();
            let w = format!("`mtd.write.{key}`");
            match key {
                "offset" => offset = self.size(fv, &w),
                "text" => {
                    sources += 1;
                    data = self.string(fv, &w).map(String::into_bytes);
                }
                "bytes" => {
                    sources += 1;
                    data = self.byte_list(fv, &w);
                }
                "file" => {
                    sources += 1;
                    data = self.host_file(fv, &w);
                }
                other => self.unknown_key(&k.span(), other, "an MTD write", &WRITE_KEYS),
            }
        }
        if sources != 1 {
            self.err(&v.span(), "an MTD write needs exactly one of `text`, `bytes` or `file`");
            return None;
        }
        let Some(offset) = offset else {
            if !t.contains_key("offset") {
                self.err(&v.span(), "an MTD write needs an `offset`");
            }
            return None;
        };
        Some((offset, data?))
    }

    fn guest_file(&mut self, v: &Spanned<DeValue>) -> Option<GuestFile> {
        let DeValue::Table(t) = v.get_ref() else { return None };
        let mut path = None;
        let mut data: Option<Vec<u8>> = None;
        let mut sources = 0;
        let mut executable = false;
        for (k, fv) in entries(t) {
            let key = k.get_ref().as_ref();
            let w = format!("`file.{key}`");
            match key {
                "path" => {
                    let p = self.string(fv, &w)?;
                    if !p.starts_with('/') || p.ends_with('/') || p.contains('\0') {
                        self.err(
                            &fv.span(),
                            format!("{w} must be an absolute guest file path, found `{p}`"),
                        );
                        return None;
                    }
                    path = Some(p);
                }
                "text" => {
                    sources += 1;
                    data = self.string(fv, &w).map(String::into_bytes);
                }
                "bytes" => {
                    sources += 1;
                    data = self.byte_list(fv, &w);
                }
                "source" => {
                    sources += 1;
                    data = self.host_file(fv, &w);
                }
                "executable" => executable = self.boolean(fv, &w)?,
                other => self.unknown_key(&k.span(), other, "[[file]]", &FILE_KEYS),
            }
        }
        if sources != 1 {
            self.err(&v.span(), "a [[file]] needs exactly one of `text`, `bytes` or `source`");
            return None;
        }
        let Some(path) = path else {
            self.err(&v.span(), "a [[file]] needs a `path`");
            return None;
        };
        Some(GuestFile { path, data: Arc::new(data?), executable })
    }
}

/// `root`-relative, `/`-separated path of `file`, or its file name.
fn stable_name(root: &Path, file: &Path) -> String {
    let abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    match abs.strip_prefix(root) {
        Ok(rel) => {
            rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
        }
        Err(_) => file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

fn valid_matrix_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn valid_rootfs_name(s: &str) -> bool {
    valid_matrix_name(s) && s != super::rootfs::NONE
}

fn valid_env_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// Decimal or `0x` hexadecimal, underscores allowed.
pub(crate) fn parse_u64(s: &str) -> Option<u64> {
    crate::units::parse_u64(s).ok()
}

fn parse_size(s: &str) -> Option<u64> {
    crate::units::parse_size(s).ok()
}

pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    crate::units::parse_duration(s).ok()
}
