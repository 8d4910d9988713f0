//! `bohr sh` end to end: the binary, run from a directory that is not the
//! repository (the guest programs are embedded), with scripts from
//! `guest-scripts/` and from temporary files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MTD: &str =
    "name=firmware,size=256KiB,erasesize=64KiB,fill=random,text@0x1000=PENGUIN_MTD_MAGIC_831";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn guest_script(name: &str) -> String {
    repo().join("guest-scripts").join(format!("{name}.sh")).display().to_string()
}

/// A scratch directory for one test, removed when dropped.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("bohr-cli-sh-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn write_script(dir: &Path, text: &str) -> String {
    let path = dir.join("script.sh");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Run `bohr sh ARGS...` in `cwd`.
fn bohr_sh(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bohr"))
        .arg("sh")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("bohr runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn mtd_readback_prints_the_magic_and_a_summary() {
    let dir = scratch("readback");
    let script = guest_script("mtd_readback");
    let o = bohr_sh(
        &dir,
        &["--arch", "riscv64", "--engine", "interp", "--mtd", MTD, "--env", "MTD=mtd0", &script],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    // strings ends the run at the first unprintable byte after the text.
    assert!(text(&o.stdout).starts_with("PENGUIN_MTD_MAGIC_831"), "{}", text(&o.stdout));
    assert!(err.contains("bohr: pid 2 cat: "), "{err}");
    assert!(err.contains("bohr: pid 4 grep: "), "{err}");
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("bohr: exit 0; "), "{last}");
    assert!(last.contains(" fingerprint "), "{last}");
}

#[test]
fn badbuf_differs_by_write_path_and_events_are_summarised() {
    let dir = scratch("badbuf");
    let script = write_script(&dir, "badbuf code /dev/$MTD\n");
    let mut outputs = Vec::new();
    for wp in ["host", "portal", "checked"] {
        let o = bohr_sh(
            &dir,
            &["--arch", "riscv64", "--write-path", wp, "--mtd", MTD, "--env", "MTD=mtd0", &script],
        );
        assert_eq!(o.status.code(), Some(0));
        let has_event = text(&o.stderr).contains("bohr: event host-write-code-page: pid 2 ");
        outputs.push((text(&o.stdout), has_event));
    }
    assert_eq!(
        outputs,
        [
            ("badbuf code: read=64\n".to_string(), true),
            ("badbuf code: read=-1 errno=EFAULT\n".to_string(), false),
            ("badbuf code: read=-1 errno=EFAULT\n".to_string(), false),
        ]
    );
}

#[test]
fn the_exit_status_is_the_scripts() {
    let dir = scratch("status");
    let script = write_script(&dir, "echo out\necho err >&2\nexit 7\n");
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--quiet", &script]);
    assert_eq!(o.status.code(), Some(7));
    assert_eq!(text(&o.stdout), "out\n");
    // --quiet: only the script's own stderr.
    assert_eq!(text(&o.stderr), "err\n");
}

#[test]
fn rejected_scripts_and_bad_arguments_exit_2() {
    let dir = scratch("errors");
    let script = write_script(&dir, "echo fine\nwhile true; do echo; done\n");
    let o = bohr_sh(&dir, &["--arch", "riscv64", &script]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stdout), "");
    assert_eq!(text(&o.stderr), format!("bohr: {script}:2:1: loops are not supported\n"));

    let ok = write_script(&dir, "true\n");
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--mtd", "size=lots", &ok]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--mtd \"size=lots\": `lots` is not a size"),
        "{}",
        text(&o.stderr)
    );
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--mtd", "size=64KiB,text@0x10000=x", &ok]);
    assert_eq!(o.status.code(), Some(2));
    // The same check, and message, as a matrix's `[[mtd]]`.
    assert!(
        text(&o.stderr).contains("MTD `mtd0`: write of 1 bytes at 0x10000 runs past the end"),
        "{}",
        text(&o.stderr)
    );
    let o = bohr_sh(&dir, &["--arch", "sparc", &ok]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("unknown architecture `sparc`"), "{}", text(&o.stderr));
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--write-path", "dma", &ok]);
    assert_eq!(o.status.code(), Some(2));
    let o = bohr_sh(&dir, &["--arch", "riscv64", "missing.sh"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("bohr: cannot read missing.sh: "), "{}", text(&o.stderr));
}

#[test]
fn the_instruction_limit_exits_124() {
    let dir = scratch("limit");
    let script = write_script(&dir, "spin\n");
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--max-insns", "20000", &script]);
    assert_eq!(o.status.code(), Some(124));
    let err = text(&o.stderr);
    assert!(err.contains("bohr: event instruction-limit: pid 2 stopped at pc "), "{err}");
    assert!(err.contains("bohr: stopped: instruction limit reached in pid 2 at pc "), "{err}");
    assert!(err.contains("bohr: pid 2 spin: 20000 instructions, still running"), "{err}");
}

#[test]
fn chaos_seeds_change_the_schedule_not_the_output() {
    let dir = scratch("chaos");
    let script = write_script(&dir, "yes | head -c 200000 | wc -c\n");
    let mut schedules = Vec::new();
    for seed in ["1", "2"] {
        let o = bohr_sh(&dir, &["--arch", "riscv64", "--chaos", "--seed", seed, &script]);
        assert_eq!(text(&o.stdout), "200000\n");
        let err = text(&o.stderr);
        let last = err.lines().last().unwrap().to_string();
        let schedule = last.split("schedule ").nth(1).unwrap()[..16].to_string();
        schedules.push(schedule);
    }
    assert_ne!(schedules[0], schedules[1]);
}

#[test]
fn lanes_change_nothing_but_the_time() {
    let dir = scratch("lanes");
    let script = write_script(
        &dir,
        "cat /dev/$MTD | strings | grep PENGUIN; yes | head -c 300000 | wc -c\n",
    );
    let run = |lanes: &str| {
        let o = bohr_sh(
            &dir,
            &["--arch", "riscv64", "--mtd", MTD, "--env", "MTD=mtd0", "--lanes", lanes, &script],
        );
        let out = text(&o.stdout);
        assert!(out.starts_with("PENGUIN_MTD_MAGIC_831") && out.ends_with("\n300000\n"), "{out}");
        // The summary, without its last field (the wall time).
        let err = text(&o.stderr);
        let last = err.lines().last().unwrap();
        (out, last[..last.rfind(", ").unwrap()].to_string())
    };
    let none = run("0");
    assert!(none.1.contains("fingerprint"), "{none:?}");
    assert_eq!(run("1"), none);
    assert_eq!(run("2"), none);
    assert_eq!(run("auto"), none);
    let o = bohr_sh(&dir, &["--arch", "riscv64", "--lanes", "9", &script]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}

#[test]
fn bohr_timeline_writes_a_trace_of_the_world_and_its_lane() {
    let dir = scratch("timeline");
    let script = write_script(&dir, "cat /dev/$MTD | strings | grep PENGUIN\n");
    let trace = dir.join("timeline.json");
    let run = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_bohr"))
            .args(["sh", "--arch", "riscv64", "--mtd", MTD, "--env", "MTD=mtd0", "--lanes", "1"])
            .arg(&script)
            .env("BOHR_TIMELINE", path)
            .current_dir(&*dir)
            .output()
            .expect("bohr runs")
    };
    let o = run(&trace);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("PENGUIN_MTD_MAGIC_831"), "{}", text(&o.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&trace).unwrap()).unwrap();
    let events = doc["traceEvents"].as_array().expect("a trace-event list");
    let threads: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert!(threads.iter().any(|t| t.contains("lane")) && threads.len() >= 2, "{threads:?}");
    for cat in ["turn", "lane turn", "wait", "run", "ahead", "syscall"] {
        assert!(events.iter().any(|e| e["ph"] == "X" && e["cat"] == cat), "no {cat} slice");
    }
    // A file that cannot be written: said, and the run's own status kept.
    let o = run(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("BOHR_TIMELINE: cannot write"), "{}", text(&o.stderr));
}

#[test]
fn files_and_rootfs_reach_the_guest() {
    let dir = scratch("files");
    std::fs::create_dir_all(dir.join("root/etc")).unwrap();
    std::fs::write(dir.join("root/etc/config"), "from rootfs\n").unwrap();
    std::fs::write(dir.join("host.txt"), "from file\n").unwrap();
    let script = write_script(&dir, "cat /etc/config /data/host.txt\n");
    let o = bohr_sh(
        &dir,
        &[
            "--arch",
            "riscv64",
            "-q",
            "--rootfs",
            "root",
            "--file",
            "/data/host.txt=host.txt",
            &script,
        ],
    );
    assert_eq!(text(&o.stderr), "");
    assert_eq!(text(&o.stdout), "from rootfs\nfrom file\n");
    assert_eq!(o.status.code(), Some(0));
}

/// A compressed image is decoded once: later runs read the decoded tree
/// from the cache under `BOHR_CACHE_DIR` and the guest sees the same
/// files; a damaged entry is ignored and written anew; `off` keeps nothing.
#[test]
fn compressed_images_are_decoded_once_and_kept_in_the_cache() {
    let dir = scratch("image-cache");
    let data = b"from image\n";
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, "etc/config", &data[..]).unwrap();
    std::fs::write(dir.join("image.tar.gz"), b.into_inner().unwrap().finish().unwrap()).unwrap();
    let script = write_script(&dir, "cat /etc/config\n");
    let run = |cache: &Path| {
        let o = Command::new(env!("CARGO_BIN_EXE_bohr"))
            .args(["sh", "--arch", "riscv64", "-q", "--rootfs", "image.tar.gz", &script])
            .env("BOHR_CACHE_DIR", cache)
            .current_dir(&*dir)
            .output()
            .expect("bohr runs");
        assert_eq!(
            (text(&o.stdout), text(&o.stderr), o.status.code()),
            ("from image\n".into(), String::new(), Some(0))
        );
    };
    let entries = |cache: &Path| -> Vec<PathBuf> {
        let Ok(d) = std::fs::read_dir(cache.join("images")) else { return Vec::new() };
        d.map(|e| e.unwrap().path()).collect()
    };
    let cache = dir.join("cache");
    run(&cache);
    let kept = entries(&cache);
    assert_eq!(kept.len(), 1, "one entry after the first run: {kept:?}");
    let entry = std::fs::read(&kept[0]).unwrap();
    run(&cache);
    assert_eq!(entries(&cache), kept, "the second run reads the entry");
    std::fs::write(&kept[0], b"damaged").unwrap();
    run(&cache);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), entry, "a damaged entry is written anew");
    run(Path::new("off"));
    assert!(!dir.join("off").exists(), "`off` keeps nothing");
}
