//! Firmware root filesystems in matrices, end to end, on the busybox
//! userland `scripts/busybox-rootfs.sh` builds from Debian's source package
//! (run here when its output is missing; without root, network or the
//! cross compilers that is a skip with a notice, and a failure under `CI`):
//!
//! - one tree as a directory, tar (plain, gzip, xz), cpio (plain, gzip)
//!   and squashfs gives the same cell outcome and fingerprint, under both
//!   shells;
//! - two cells writing the same paths in parallel see only their own
//!   writes, and the image is unchanged afterwards;
//! - busybox's applets under `shell = "guest"` print what they print under
//!   `qemu-<arch>-static`. QEMU cannot exec a foreign binary from a guest
//!   without binfmt_misc, so on its side each applet runs as busybox's one
//!   process (`busybox APPLET ARGS`), and the shell's own features
//!   (pipelines, redirections, `$?`, functions, `trap`, background jobs,
//!   `wait`, `kill`) run as `busybox sh -c` with builtins and subshells
//!   only; on Bohr's side every case runs through the guest's `sh -c`;
//! - `matrices/firmware.toml` passes and gives the same fingerprints at
//!   `--jobs 1` and `--jobs 2`.

#[path = "common/cross.rs"]
mod cross;
#[path = "common/guest_cases.rs"]
mod guest_cases;
mod runner_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use runner_support::Project;

/// Arches whose frontend runs the busybox userland (`matrices/firmware.toml`
/// lists the same).
const READY: &[&str] = &["riscv64", "aarch64", "powerpc64", "mipsel", "mipseb", "armel"];

/// Arches whose applet and shell cases run through busybox's own `sh` (it
/// catches SIGCHLD, so it needs the arch's signal frames): all of them.
const GUEST_SHELL: &[&str] = READY;

const LINKS: &[&str] = &["static", "dynamic"];

/// Every image format the script writes, with a definition name for it.
const FORMATS: &[(&str, &str)] = &[
    ("dir", "root"),
    ("tar", "rootfs.tar"),
    ("targz", "rootfs.tar.gz"),
    ("tarxz", "rootfs.tar.xz"),
    ("cpio", "rootfs.cpio"),
    ("cpiogz", "rootfs.cpio.gz"),
    ("squashfs", "rootfs.squashfs"),
];

fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The busybox rootfs directory of every arch (built if missing), or
/// `None` (a skip) where the script cannot run outside CI.
fn busybox() -> Option<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let out = guest_cases::repo_root().join("target/busybox-rootfs");
        let ready = |a: &&str| LINKS.iter().all(|l| out.join(a).join(l).join(".stamp").is_file());
        if READY.iter().all(ready) {
            return Ok(out);
        }
        let status =
            Command::new(guest_cases::repo_root().join("scripts/busybox-rootfs.sh")).status();
        match status {
            Ok(s) if s.success() && READY.iter().all(ready) => Ok(out),
            Ok(s) => Err(format!("scripts/busybox-rootfs.sh failed ({s})")),
            Err(e) => Err(format!("cannot run scripts/busybox-rootfs.sh: {e}")),
        }
    });
    match built {
        Ok(p) => Some(p.clone()),
        Err(e) if under_ci() => panic!("busybox rootfs: {e}"),
        Err(e) => {
            eprintln!("skipping: busybox rootfs unavailable: {e}");
            None
        }
    }
}

/// The JSON run records of a `--message-format json` run, by cell ID.
fn runs(stdout: &str) -> BTreeMap<String, serde_json::Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "run")
        .map(|v| (v["cell"].as_str().unwrap().to_string(), v))
        .collect()
}

const ROUNDTRIP_SCRIPT: &str = r#"# Reads the image every way a userland does.
cat /etc/passwd /etc/hostname
ls -l /bin/sh /usr/bin/awk | awk '{print $1, $2, $5, $6, $7, $8, $9, $10, $11}'
find /etc /tmp /dev/null | sort
md5sum /bin/busybox | cut -c1-32
printf 'made\n' > /tmp/made && cat /tmp/made
ls -l /tmp/made | awk '{print $1, $5, $6, $7, $8}'
"#;

#[test]
fn every_image_format_gives_the_same_cell() {
    let Some(bb) = busybox() else { return };
    let p = Project::new("formats");
    p.script("roundtrip", ROUNDTRIP_SCRIPT);
    let mut toml = String::new();
    for (name, file) in FORMATS {
        for link in LINKS {
            toml.push_str(&format!(
                "[rootfs.{name}-{link}]\nimage = \"{}\"\n",
                bb.join("{arch}").join(link).join(file).display()
            ));
        }
    }
    // One arch keeps the test short; the firmware matrix covers the rest.
    let arches: Vec<String> = GUEST_SHELL[..1].iter().map(|a| format!("\"{a}\"")).collect();
    let rootfs: Vec<String> = FORMATS
        .iter()
        .flat_map(|(n, _)| LINKS.iter().map(move |l| format!("\"{n}-{l}\"")))
        .collect();
    toml.push_str(&format!(
        "[matrix]\narch = [{}]\nrootfs = [{}]\nshell = [\"bohr\", \"guest\"]\nscript = [\"roundtrip\"]\n\
         [env]\nPATH = \"/bin:/usr/bin\"\n[expect]\nstdout_contains = [\"root:x:0:0\", \"busybox-rootfs\", \"made\"]\n",
        arches.join(", "),
        rootfs.join(", ")
    ));
    let m = p.matrix("formats", &toml);
    let out = p.bohr(&["run", &m, "--jobs", "2", "--message-format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let runs = runs(&out.stdout);
    assert_eq!(runs.len(), FORMATS.len() * LINKS.len() * 2, "{}", out.stdout);
    // Per arch, linkage and shell: one fingerprint for every format.
    let mut by_kind: BTreeMap<(String, String, String), Vec<(String, String)>> = BTreeMap::new();
    for (id, v) in &runs {
        let parts: Vec<&str> = id.split('/').collect();
        let (format, link) = parts[1].split_once('-').unwrap();
        let key = (parts[0].to_string(), link.to_string(), parts[2].to_string());
        let fp = v["fingerprint"].as_str().unwrap().to_string();
        by_kind.entry(key).or_default().push((format.to_string(), fp));
    }
    for (key, fps) in &by_kind {
        assert_eq!(fps.len(), FORMATS.len());
        assert!(fps.iter().all(|(_, f)| *f == fps[0].1), "{key:?}: fingerprints differ: {fps:?}");
    }
    // The two shells run the same commands on the same image: same output.
    let a = &runs[&format!("{}/squashfs-static/bohr/roundtrip", GUEST_SHELL[0])];
    let b = &runs[&format!("{}/squashfs-static/guest/roundtrip", GUEST_SHELL[0])];
    assert_eq!(a["exit"], b["exit"]);
}

/// A cell whose image comes from the image cache (the entry mapped, the
/// programs and libraries mapped straight from its pages) runs as one that
/// decodes the image: the same outcome, output and fingerprint, and
/// stores to data pages of mapped libraries stay the guest's own.
#[test]
fn a_cached_image_gives_the_same_cell() {
    let Some(bb) = busybox() else { return };
    let arch = GUEST_SHELL[0];
    let p = Project::new("image-cache");
    p.script("libs", ROUNDTRIP_SCRIPT);
    let m = p.matrix(
        "cached",
        &format!(
            "[rootfs.bb]\nimage = \"{}\"\n[matrix]\narch = [\"{arch}\"]\nrootfs = [\"bb\"]\n\
             shell = [\"guest\"]\nscript = [\"libs\"]\n[env]\nPATH = \"/bin:/usr/bin\"\n\
             [expect]\nstdout_contains = [\"root:x:0:0\", \"made\"]\n",
            bb.join(arch).join("dynamic/rootfs.squashfs").display()
        ),
    );
    let cache = p.path("cache");
    let cache = cache.to_str().unwrap();
    let run = |dir: &str| {
        let env = [("BOHR_CACHE_DIR", dir)];
        let out = p.bohr_env(&["run", &m, "--message-format", "json"], &env);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        let runs = runs(&out.stdout);
        assert_eq!(runs.len(), 1, "{}", out.stdout);
        let v = runs.into_values().next().unwrap();
        (v["fingerprint"].as_str().unwrap().to_string(), v["exit"].clone())
    };
    let decoded = run("off");
    let stored = run(cache);
    let entries: Vec<PathBuf> = std::fs::read_dir(p.path("cache/images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tree"))
        .collect();
    assert_eq!(entries.len(), 1, "the first run keeps the decoded image");
    let entry = std::fs::read(&entries[0]).unwrap();
    let mapped = run(cache);
    assert_eq!(stored, decoded);
    assert_eq!(mapped, decoded);
    assert!(std::fs::read(&entries[0]).unwrap() == entry, "the guests wrote their own copies");
}

#[test]
fn cells_write_to_their_own_layer() {
    let Some(bb) = busybox() else { return };
    let arch = GUEST_SHELL[0];
    let p = Project::new("overlay");
    // A private copy of the directory image, so the check below also sees
    // any host write.
    let root = p.path("root");
    let cp =
        Command::new("cp").arg("-a").arg(bb.join(arch).join("static/root")).arg(&root).status();
    assert!(cp.unwrap().success());
    let before = tree_digest(&root);
    let squash = bb.join(arch).join("static/rootfs.squashfs");
    let squash_before = std::fs::read(&squash).unwrap();
    p.script(
        "writer",
        "echo \"$WHO\" > /etc/shared\necho \"$WHO\" >> /tmp/log\nmkdir -p /var/$WHO\n\
         sleep 0.01\ncat /etc/shared /tmp/log\nls /var\nrm /bin/cat\ntest -e /bin/cat || echo 'cat gone'\n",
    );
    let m = p.matrix(
        "overlay",
        &format!(
            "[rootfs.dir]\nimage = \"../root\"\n[rootfs.squashfs]\nimage = \"{}\"\n\
             [matrix]\nrootfs = [\"dir\", \"squashfs\"]\nshell = [\"bohr\", \"guest\"]\nenv.WHO = [\"alpha\", \"beta\"]\n\
             [cell]\narch = \"{arch}\"\nscript = \"writer\"\n[env]\nPATH = \"/bin:/usr/bin:/bohr/bin\"\n",
            squash.display()
        ),
    );
    let out = p.bohr(&["run", &m, "--jobs", "2", "--message-format", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let runs = runs(&out.stdout);
    assert_eq!(runs.len(), 8);
    let out = p.bohr(&["run", &m, "--jobs", "2", "--message-format", "json"]);
    assert_eq!(runs, self::runs(&out.stdout), "a second run differs");
    // The outputs themselves are checked with `bohr sh`, which prints them.
    for who in ["alpha", "beta"] {
        let script = p.path(&format!("w-{who}.sh"));
        std::fs::write(&script, p.read("guest-scripts/writer.sh")).unwrap();
        for shell in ["bohr", "guest"] {
            let o = p.bohr(&[
                "sh",
                "--arch",
                arch,
                "-q",
                "--rootfs",
                "root",
                "--shell",
                shell,
                "--env",
                &format!("WHO={who}"),
                "--env",
                "PATH=/bin:/usr/bin",
                script.to_str().unwrap(),
            ]);
            assert_eq!(o.code, 0, "{o:?}");
            assert_eq!(o.stdout, format!("{who}\n{who}\n{who}\ncat gone\n"), "{shell}");
        }
    }
    assert_eq!(tree_digest(&root), before, "the directory image changed");
    assert_eq!(std::fs::read(&squash).unwrap(), squash_before, "the squashfs image changed");
}

/// Every path under `root` with its type, mode, size and contents.
fn tree_digest(root: &Path) -> Vec<(PathBuf, u32, u64, Vec<u8>)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let data = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else if meta.file_type().is_symlink() {
                std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes()
            } else {
                stack.push(path.clone());
                Vec::new()
            };
            out.push((path, meta.mode(), meta.mtime() as u64, data));
        }
    }
    out.sort();
    out
}

/// Shell features, with builtins and subshells only (QEMU runs these as
/// `busybox sh -c`).
const SHELL_CASES: &[&str] = &[
    "echo one | { read x; echo \"got $x\"; }; echo two > f; echo three >> f; { read a; read b; } < f; echo $a $b",
    "false; echo $?; true; echo $?; (exit 7); echo $?; ! false; echo $?",
    "f() { echo \"f:$1:$#\"; return 3; }; f a b; echo $?; g() { local v=in; echo $v; }; g",
    "trap 'echo bye' EXIT; echo body",
    "(echo bg; exit 5) & wait $!; echo \"waited $?\"; (exit 2) & (exit 3) & wait; echo all",
    "(while :; do :; done) & kill $!; wait $!; echo \"killed $?\"",
    "x=0; while [ $x -lt 5 ]; do x=$((x + 1)); done; echo $x; case $x in 5) echo five;; esac",
    "for w in a 'b c' d; do printf '[%s]' \"$w\"; done; echo; set -- p q; echo $# $2",
    "echo err 1>&2; echo out 2>&1; exec 3>g; echo three >&3; exec 3>&-; read l < g; echo $l",
];

/// Shell features that need a caught signal's frame.
const SIGNAL_CASES: &[&str] = &[
    "trap 'echo usr1' USR1; kill -USR1 $$; echo after",
    "trap 'echo term' TERM; kill $$; echo after",
];

/// Applet cases: `(input, command)`. The command reads `input` on stdin;
/// `in` names the same bytes as a file in the current directory.
const APPLET_CASES: &[(&str, &str)] = &[
    ("hello\nworld\n", "cat"),
    ("hello\nworld\n", "cat -n in"),
    ("\u{1}ab\u{2}PENGUIN_MTD\u{0}x\nlonger string here\n", "strings"),
    ("alpha\nbeta\ngamma\nalphabet\n", "grep -n alpha"),
    ("alpha\nbeta\ngamma\n", "grep -v -c beta in"),
    ("1\n2\n3\n4\n5\n6\n", "head -n 2"),
    ("1\n2\n3\n4\n5\n6\n", "tail -n 2"),
    ("one two\nthree\n", "wc"),
    ("pear\napple\nfig\napple\n", "sort"),
    ("10\n9\n100\n", "sort -n -r"),
    ("a\na\nb\nc\nc\nc\n", "uniq -c"),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "od -A x -t x1z"),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "hexdump -C"),
    ("0123456789abcdef", "dd bs=4 skip=1 count=2 status=none"),
    ("foo bar\nbaz foo\n", "sed -e s/foo/FOO/g -e 2d"),
    ("3 4\n5 6\n", "awk '{ s += $1 * $2 } END { printf \"%d %s\\n\", s, toupper(\"x\") }'"),
    ("Hello World\n", "tr a-z A-Z"),
    ("a:b:c\nd:e:f\n", "cut -d: -f2,3"),
    ("x y\nz\n", "xargs echo args:"),
    ("abc\n", "md5sum"),
    ("abc\n", "sha256sum"),
    ("", "seq 3 2 11"),
    ("", "sleep 0.05"),
    ("", "date -u -d @946684800 '+%Y-%m-%d %H:%M:%S'"),
    ("", "find /etc -name passwd"),
    // `-e`: full dates (plain `-l` shows a time or a year depending on
    // the clock, which is 2000 in Bohr and now under QEMU).
    ("", "ls -le in"),
    ("", "ls /etc"),
    ("", "env -i A=1 B=2 env"),
];

struct Run {
    code: i32,
    stdout: String,
    /// Calls the kernel answered `ENOSYS` for want (Bohr only).
    unsupported: Vec<String>,
}

/// Bohr: the case through the guest's `sh -c` (or, where busybox's sh
/// cannot run yet, Bohr's shell), in `/tmp` of the rootfs.
fn bohr_case(root: &Path, arch: &str, shell: &str, work: &Path, input: &str, cmd: &str) -> Run {
    let script = work.join("case.sh");
    // A file made in the run is dated by the virtual clock, which starts at
    // 2000-01-01 00:00:00 UTC; QEMU's copy is dated so by the host.
    let body = if input.is_empty() {
        format!("cd /tmp && : > in && {cmd}\n")
    } else {
        format!(
            "cd /tmp && printf '%b' '{}' > in && {cmd} < in\n",
            input
                .bytes()
                .map(|b| match b {
                    b' '..=b'~' if b != b'\\' && b != b'\'' => (b as char).to_string(),
                    _ => format!("\\0{b:03o}"),
                })
                .collect::<String>()
        )
    };
    std::fs::write(&script, body).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
        .args(["sh", "--arch", arch, "--shell", shell, "--rootfs"])
        .arg(root)
        .args(["--env", "PATH=/bin:/usr/bin"])
        .arg(&script)
        .output()
        .unwrap();
    // Without `-q` the summary (events included) follows on stderr.
    let unsupported = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains("unsupported-syscall"))
        .map(str::to_string)
        .collect();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        unsupported,
    }
}

/// QEMU: `busybox sh -c` for shell cases, `busybox APPLET` for applets,
/// in a private copy of the rootfs (QEMU writes through `-L`).
fn qemu_case(qemu: &str, root: &Path, input: &str, cmd: &str, applet: bool) -> Run {
    let tmp = root.join("tmp");
    std::fs::write(tmp.join("in"), input).unwrap();
    let t = Command::new("touch")
        .args(["-d", "2000-01-01 00:00:00"])
        .arg(tmp.join("in"))
        .env("TZ", "UTC")
        .status();
    assert!(t.unwrap().success());
    let busybox = root.join("bin/busybox");
    let mut c = Command::new("prlimit");
    c.args(["--nproc=64", qemu, "-L"]).arg(root).arg(&busybox);
    if applet {
        let words = shlex::split(cmd).unwrap();
        c.args(&words);
    } else {
        c.args(["sh", "-c", cmd]);
    }
    c.current_dir(&tmp).env_clear().env("PATH", "/bin:/usr/bin");
    c.stdin(std::fs::File::open(tmp.join("in")).unwrap());
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        unsupported: Vec::new(),
    }
}

#[test]
fn busybox_applets_match_qemu() {
    let Some(bb) = busybox() else { return };
    if Command::new("qemu-riscv64-static").arg("--version").output().is_err() {
        assert!(!under_ci(), "qemu-user-static is missing");
        eprintln!("skipping: qemu-user-static is missing");
        return;
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for &(arch, qemu, _) in cross::ARCHES.iter().filter(|(a, _, _)| READY.contains(a)) {
        for link in LINKS {
            let p = Project::new(&format!("applets-{arch}-{link}"));
            let root = p.path("root");
            let cp = Command::new("cp")
                .arg("-a")
                .arg(bb.join(arch).join(link).join("root"))
                .arg(&root)
                .status();
            assert!(cp.unwrap().success());
            let guest = GUEST_SHELL.contains(&arch);
            let mut cases: Vec<(&str, &str, bool)> = Vec::new();
            if guest {
                cases.extend(SHELL_CASES.iter().map(|c| ("", *c, false)));
                cases.extend(SIGNAL_CASES.iter().map(|c| ("", *c, false)));
            }
            cases.extend(APPLET_CASES.iter().map(|(i, c)| (*i, *c, true)));
            for (input, cmd, applet) in cases {
                let want = qemu_case(qemu, &root, input, cmd, applet);
                let shell = if guest { "guest" } else { "bohr" };
                let got = bohr_case(&root, arch, shell, &p.dir, input, cmd);
                compared += 1;
                if (got.code, &got.stdout) != (want.code, &want.stdout) {
                    failures.push(format!(
                        "{arch} {link}: `{cmd}`\n  qemu: exit {} {:?}\n  bohr: exit {} {:?}",
                        want.code, want.stdout, got.code, got.stdout
                    ));
                }
                // Every call busybox makes here has a handler.
                if !got.unsupported.is_empty() {
                    failures.push(format!("{arch} {link}: `{cmd}`: {:?}", got.unsupported));
                }
            }
        }
    }
    cross::assert_none_failed(&failures, compared, "differ");
}

#[test]
fn firmware_matrix_passes_at_any_jobs() {
    if busybox().is_none() {
        return;
    }
    let run = |jobs: &str, lanes: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
            .args(["run", "matrices/firmware.toml", "--jobs", jobs, "--lanes", lanes])
            .args(["--message-format", "json"])
            .current_dir(guest_cases::repo_root())
            .env("CI", "1")
            .env_remove("INSTA_UPDATE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
        runs(&stdout)
            .into_iter()
            .map(|(id, v)| (id, v["fingerprint"].as_str().unwrap().to_string()))
            .collect::<BTreeMap<_, _>>()
    };
    let one = run("1", "0");
    // Every arch under both shells, three write paths, three scripts.
    assert_eq!(one.len(), READY.len() * 2 * 3 * 3);
    assert_eq!(one, run("2", "0"));
    // Busy processes run ahead on other threads: the same cells.
    assert_eq!(one, run("1", "2"));
}

/// A one-entry ustar archive whose entry is named `name`.
fn tar_with_entry(name: &str) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(b"00000000000\0");
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend([0u8; 1024]);
    out
}

#[test]
fn bad_images_are_configuration_errors_before_any_cell_runs() {
    let p = Project::new("badimages");
    p.script("hello", "echo hello\n");
    let good = tar_with_entry("etc/ok");
    std::fs::write(p.path("truncated.tar"), &good[..700]).unwrap();
    std::fs::write(p.path("bzip2.tar.bz2"), b"BZh91AY&SY\x01\x02\x03\x04 rest of a bzip2 stream")
        .unwrap();
    std::fs::write(p.path("escape.tar"), tar_with_entry("../evil")).unwrap();
    std::fs::create_dir_all(p.path("loop/etc")).unwrap();
    std::os::unix::fs::symlink("b", p.path("loop/etc/a")).unwrap();
    std::os::unix::fs::symlink("a", p.path("loop/etc/b")).unwrap();
    let m = p.matrix(
        "bad",
        "[rootfs.missing]\nimage = \"../nope/{arch}.tar\"\n\
         [rootfs.truncated]\nimage = \"../truncated.tar\"\n\
         [rootfs.bzip2]\nimage = \"../bzip2.tar.bz2\"\n\
         [rootfs.escape]\nimage = \"../escape.tar\"\n\
         [rootfs.loop]\nimage = \"../loop\"\n\
         [matrix]\narch = [\"riscv64\"]\nrootfs = [\"missing\", \"truncated\", \"bzip2\", \"escape\", \"loop\"]\n\
         script = [\"hello\"]\n",
    );
    let out = p.bohr(&["run", &m]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.stdout, "", "no cell may run");
    assert!(!out.stderr.contains("result:"), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let want: &[(&str, &str)] = &[
        ("matrices/bad.toml:2:9: bad rootfs image `missing`", "no such file or directory"),
        ("matrices/bad.toml:4:9: bad rootfs image `truncated`", "truncated"),
        ("matrices/bad.toml:6:9: bad rootfs image `bzip2`", "unsupported compression"),
        ("matrices/bad.toml:8:9: bad rootfs image `escape`", "../evil"),
        ("matrices/bad.toml:10:9: bad rootfs image `loop`", "symlink loop"),
    ];
    for (at, why) in want {
        assert!(
            lines.iter().any(|l| l.contains(at) && l.contains(why)),
            "no `{at}` … `{why}` in:\n{}",
            out.stderr
        );
    }
    // `bohr list` names cells without opening images.
    assert_eq!(p.bohr(&["list", &m]).code, 0);

    // Values and shells are checked with the rest of the matrix.
    let m = p.matrix(
        "typo",
        "[rootfs.busybox]\nimage = \"x\"\n[matrix]\narch = [\"riscv64\"]\nrootfs = [\"busybx\"]\n\
         script = [\"hello\"]\n",
    );
    let out = p.bohr(&["run", &m]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("matrices/typo.toml:5:11: unknown rootfs `busybx`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("did you mean `busybox`?"), "{}", out.stderr);
    let m = p.matrix(
        "noroot",
        "[matrix]\narch = [\"riscv64\"]\nshell = [\"guest\"]\nscript = [\"hello\"]\n",
    );
    let out = p.bohr(&["run", &m]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("`shell = \"guest\"` runs the rootfs's own /bin/sh"),
        "{}",
        out.stderr
    );
}
