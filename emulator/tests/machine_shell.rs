//! The guest-script shell, end to end: expansions, status handling,
//! redirections, builtins, errors at load time. riscv64, interpreter
//! (the engines' agreement is `machine_determinism`'s job).

mod machine_support;

use std::sync::Arc;

use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{
    ConfigError, GuestFile, MachineConfig, RunControl, ScriptError, parse_script, run_script,
};
use machine_support::*;

fn cfg() -> MachineConfig {
    let mut c = riscv(EngineKind::Interp);
    add_program(&mut c, "printenv", printenv_program());
    c
}

/// Run and return (exit, stdout, stderr).
fn sh(text: &str) -> (i32, String, String) {
    let o = run(&cfg(), text);
    assert!(o.stopped.is_none(), "{}", guest_view(&o));
    (o.exit_code, stdout(&o), stderr(&o))
}

#[test]
fn quoting_expansion_and_field_splitting() {
    let (code, out, err) = sh(r#"X="a  b"
echo $X
echo "$X"
echo '$X' "${X}"x \$X
E=
echo [$E] "[$E]" $E "" end
echo $MTD ${MTD}x $NOPE.
S=" lead trail "
echo [$S]
echo a\
b # a comment
"#);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "a b\na  b\n$X a  bx $X\n[] []  end\nmtd0 mtd0x .\n[ lead trail ]\nab\n");
    assert_eq!(err, "");
}

#[test]
fn unquoted_splitting_makes_separate_arguments() {
    // badbuf takes MODE [DEV]: split, `$S` gives it two arguments; quoted,
    // one argument that is not a mode (usage error, status 2).
    let (_, out, err) = sh("S='stack   /dev/mtd0'\nbadbuf $S\nbadbuf \"$S\"; echo $?\n");
    assert_eq!(out, "badbuf stack: read=64\n2\n");
    assert!(err.contains("usage"), "{err}");
}

#[test]
fn statuses_connectors_and_negation() {
    let (code, out, err) = sh("false; echo $?
true && echo and1
false && echo and2
false || echo or1
true || echo or2
! false; echo $?
! true; echo $?
nosuch arg; echo $?
false | true; echo $?
true | false; echo $?
");
    assert_eq!(code, 0);
    assert_eq!(out, "1\nand1\nor1\n0\n1\n127\n0\n1\n");
    assert_eq!(err, "sh: nosuch: not found\n");
}

#[test]
fn errexit_stops_at_the_first_failure_that_counts() {
    assert_eq!(sh("set -e\necho a\nfalse\necho b\n"), (1, "a\n".into(), String::new()));
    // Failures in a non-final && / || position, or negated, do not count.
    let (code, out, _) = sh("set -e\nfalse || true\nfalse && echo no\n! true\necho reached\n");
    assert_eq!((code, out.as_str()), (0, "reached\n"));
    assert_eq!(sh("set -e\ntrue && false\necho no\n").0, 1);
    assert_eq!(sh("set -e\nfalse || false\necho no\n").0, 1);
    // A missing command under set -e ends the script with 127.
    assert_eq!(sh("set -e\nnope\necho no\n").0, 127);
    assert_eq!(sh("set -e\nset +e\nfalse\necho yes\n").1, "yes\n");
}

#[test]
fn pipefail_reports_the_last_failing_command() {
    let (_, out, _) = sh("false | true; echo $?
set -o pipefail
false | true; echo $?
true | true; echo $?
set +o pipefail
false | true; echo $?
");
    assert_eq!(out, "0\n1\n0\n0\n");
    // The rightmost failure wins.
    let (_, out, _) = sh("set -o pipefail\nnope | false | true\necho $?\n");
    assert_eq!(out, "1\n");
    let (_, out, _) = sh("set -o pipefail\nfalse | nope | true\necho $?\n");
    assert_eq!(out, "127\n");
}

#[test]
fn exit_ends_the_script() {
    assert_eq!(sh("echo a; exit 3; echo b"), (3, "a\n".into(), String::new()));
    assert_eq!(sh("false; exit").0, 1);
    assert_eq!(sh("exit 300").0, 44);
    assert_eq!(sh("true").0, 0);
    assert_eq!(sh("false").0, 1);
    let (code, _, err) = sh("N=x; exit $N");
    assert_eq!((code, err.as_str()), (2, "sh: exit: Illegal number: x\n"));
}

#[test]
fn redirections() {
    let (code, out, err) = sh("echo one > /tmp/f
echo two >> /tmp/f
cat /tmp/f
wc -l < /tmp/f
echo three > /tmp/f
cat /tmp/f
: > /tmp/empty
wc -c /tmp/empty
cat /nonexistent 2>/dev/null; echo status $?
cat /nonexistent 2>&1 | grep -c ENOENT
cat /nonexistent 2>&1 >/dev/null | wc -l
cat /nonexistent >/dev/null 2>&1 | wc -l
echo to-stderr 1>&2
echo closed >&-; echo status $?
");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "one\ntwo\n2\nthree\n0 /tmp/empty\nstatus 1\n1\n1\n0\nstatus 1\n");
    assert_eq!(err, "to-stderr\n");
}

#[test]
fn failed_redirections_do_not_run_the_command() {
    let (code, out, err) = sh("cat < /nonexistent; echo $?
echo x > /bin/new; echo $?
echo x > /nodir/file; echo $?
echo x 2>/dev/null > /bin/quiet; echo $?
echo x 3>&9; echo $?
");
    assert_eq!(code, 0);
    assert_eq!(out, "1\n1\n1\n1\n1\n");
    // The message goes to the command's stderr after its redirections.
    assert_eq!(
        err,
        "sh: cannot open /nonexistent: No such file or directory\n\
         sh: cannot open /bin/new: Read-only file system\n\
         sh: cannot open /nodir/file: No such file or directory\n\
         sh: 9: Bad file descriptor\n"
    );
}

#[test]
fn console_output_joins_stderr() {
    let (_, out, err) = sh("echo hi > /dev/console; echo out");
    assert_eq!((out.as_str(), err.as_str()), ("out\n", "hi\n"));
}

#[test]
fn cd_changes_where_relative_paths_resolve() {
    let (code, out, err) = sh("cd /tmp\necho x > rel\ncat /tmp/rel\ncat rel\ncd /nope\necho $?\n");
    assert_eq!(code, 0);
    assert_eq!(out, "x\nx\n1\n");
    assert_eq!(err, "sh: cd: can't cd to /nope\n");
}

#[test]
fn environment_and_export() {
    let (_, out, _) = sh("printenv
A=1
printenv
export A
B=2 printenv
printenv
unset A
export C=3
printenv
");
    assert_eq!(
        out,
        "MTD=mtd0\n\
         MTD=mtd0\n\
         MTD=mtd0\nA=1\nB=2\n\
         MTD=mtd0\nA=1\n\
         MTD=mtd0\nC=3\n"
    );
}

#[test]
fn xtrace_and_nounset() {
    let (code, out, err) = sh("set -x\necho hi $MTD\nV=2 true\n");
    assert_eq!((code, out.as_str()), (0, "hi mtd0\n"));
    assert_eq!(err, "+ echo hi mtd0\n+ V=2 true\n");
    let (code, out, err) = sh("set -u\necho $MTD\necho $NOPE\necho after\n");
    assert_eq!((code, out.as_str(), err.as_str()), (2, "mtd0\n", "sh: NOPE: parameter not set\n"));
}

#[test]
fn programs_resolve_in_bin_and_by_path() {
    let mut c = cfg();
    c.files.push(GuestFile {
        path: "/etc/motd".into(),
        data: Arc::new(b"hello\n".to_vec()),
        executable: false,
    });
    c.files.push(GuestFile {
        path: "/bin/broken".into(),
        data: Arc::new(b"#!/bin/sh\n".to_vec()),
        executable: true,
    });
    // A caller's file overrides an embedded program.
    let false_elf = bohr_emu::machine::programs::programs_for(bohr_emu::arch::Arch::Riscv64)
        .find(|(n, _)| *n == "false")
        .unwrap()
        .1;
    c.files.push(GuestFile {
        path: "/bin/true".into(),
        data: Arc::new(false_elf.to_vec()),
        executable: true,
    });
    let o = run(
        &c,
        "/bin/echo by path\n/etc/motd; echo $?\nbroken; echo $?\ntrue; echo $?\n/tmp/none; echo $?\ncat /etc/motd\n",
    );
    assert_eq!(stdout(&o), "by path\n126\n126\n1\n127\nhello\n");
    let err = stderr(&o);
    assert!(
        err.starts_with("sh: /etc/motd: Permission denied\nsh: broken: cannot execute: "),
        "{err}"
    );
    assert!(err.ends_with("sh: /tmp/none: No such file or directory\n"), "{err}");
}

#[test]
fn syntax_errors_are_reported_before_anything_runs() {
    let text = "echo first > /tmp/ran\nfor x in a b; do echo $x; done\n";
    let err = run_script(&cfg(), "loop.sh", text, &RunControl::default()).unwrap_err();
    assert_eq!(
        err,
        ScriptError::Syntax {
            file: "loop.sh".into(),
            line: 2,
            col: 1,
            message: "loops are not supported".into()
        }
    );
    assert_eq!(err.to_string(), "loop.sh:2:1: loops are not supported");
    for (text, line, col, what) in [
        ("echo $(date)", 1, 6, "command substitution"),
        ("echo ok\n  echo `date`", 2, 8, "backquotes"),
        ("if true; then echo; fi", 1, 1, "`if`"),
        ("f() { true; }", 1, 2, "function definitions"),
        ("cat <<EOF\nEOF", 1, 5, "here-documents"),
        ("sleep 1 &", 1, 9, "background"),
        ("echo 'open", 1, 6, "unterminated single quote"),
        ("echo a |", 1, 9, "expected a command after `|`"),
        ("set -k", 1, 5, "unsupported argument `-k`"),
    ] {
        match parse_script("s.sh", text) {
            Err(ScriptError::Syntax { line: l, col: c, message, .. }) => {
                assert_eq!((l, c), (line, col), "{text:?}: {message}");
                assert!(message.contains(what), "{text:?}: {message}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn configuration_errors_are_reported_before_anything_runs() {
    let ctl = RunControl::default();
    let mut c = cfg();
    c.mtds[0].writes.push((0x10_0000, b"x".to_vec()));
    let e = run_script(&c, "t.sh", "true", &ctl).unwrap_err();
    assert!(e.to_string().contains("runs past size"), "{e}");
    let mut c = cfg();
    c.mtd_chunk = 0;
    assert!(run_script(&c, "t.sh", "true", &ctl).unwrap_err().to_string().contains("mtd_chunk"));
    let mut c = cfg();
    c.quantum = 0;
    assert!(run_script(&c, "t.sh", "true", &ctl).unwrap_err().to_string().contains("quantum"));
    let mut c = cfg();
    c.files.push(GuestFile {
        path: "relative/x".into(),
        data: Arc::new(vec![]),
        executable: false,
    });
    assert!(run_script(&c, "t.sh", "true", &ctl).unwrap_err().to_string().contains("absolute"));
    let c = MachineConfig::new(bohr_emu::arch::Arch::Armel);
    if bohr_emu::arch::frontend_for(c.arch).is_none() {
        let e = run_script(&c, "t.sh", "true", &ctl).unwrap_err();
        assert_eq!(e, ScriptError::Config(ConfigError::NoFrontend(c.arch)));
    }
}
