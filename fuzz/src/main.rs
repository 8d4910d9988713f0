//! `bohr-fuzz`: runs the fuzz campaign (`run`), the differential long mode
//! (`differential`) or lists the targets (`list`). `scripts/fuzz.sh` is
//! its usual driver.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bohr_emu::arch::Arch;
use bohr_fuzz::engine::{Budget, Campaign, fnv, quiet_panics};
use bohr_fuzz::targets::{TARGETS, by_name};
use bohr_fuzz::{corpus_dirs, differential};

const USAGE: &str = "\
usage: bohr-fuzz run [--target NAME]... [--execs N] [--seconds S] [--seed S]
                     [--findings DIR] [--save-corpus DIR]
       bohr-fuzz differential [--arch ARCH]... [--sequences N] [--start I]
       bohr-fuzz replay --target NAME FILE...
       bohr-fuzz list

run: each target (all by default) for N executions or S seconds, whichever
comes first, after its committed corpus and regressions; prints executions,
features (the coverage proxy each target names), corpus size and findings,
and writes each finding's shrunk input to DIR/<target>/. Exit status 1 if
anything panicked.
replay: run each FILE as an input of the target; a panicking one is shrunk
and the shrunk input written beside it as FILE.min.
differential: N generated sequences per arch (all six by default) under the
interpreter, the JIT and the TLB-only JIT; exit status 1 if any differ.";

struct Args {
    rest: Vec<String>,
}

impl Args {
    /// Every value of `--flag VALUE`.
    fn all(&mut self, flag: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        while let Some(i) = self.rest.iter().position(|a| a == flag) {
            if i + 1 >= self.rest.len() {
                return Err(format!("{flag} needs a value"));
            }
            out.push(self.rest.remove(i + 1));
            self.rest.remove(i);
        }
        Ok(out)
    }

    fn one<T: std::str::FromStr>(&mut self, flag: &str) -> Result<Option<T>, String> {
        match self.all(flag)?.pop() {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| format!("{flag}: bad value {v:?}")),
        }
    }

    fn done(&self) -> Result<(), String> {
        match self.rest.first() {
            Some(a) => Err(format!("unexpected argument {a:?}")),
            None => Ok(()),
        }
    }
}

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() || argv.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let command = argv.remove(0);
    let args = Args { rest: argv };
    let result = match command.as_str() {
        "run" => run(args),
        "differential" => diff(args),
        "replay" => replay(args),
        "list" => {
            for t in TARGETS {
                println!("{:<16} {}", t.name, t.features);
            }
            Ok(true)
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("bohr-fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(mut args: Args) -> Result<bool, String> {
    let names = args.all("--target")?;
    let execs: u64 = args.one("--execs")?.unwrap_or(u64::MAX);
    let seconds: Option<f64> = args.one("--seconds")?;
    let seed: u64 = args.one("--seed")?.unwrap_or(0);
    let findings_dir: PathBuf =
        args.one("--findings")?.unwrap_or_else(|| PathBuf::from("target/fuzz-findings"));
    let save: Option<PathBuf> = args.one("--save-corpus")?;
    args.done()?;
    if execs == u64::MAX && seconds.is_none() {
        return Err("give --execs or --seconds".into());
    }
    let specs = if names.is_empty() {
        TARGETS.iter().collect::<Vec<_>>()
    } else {
        names
            .iter()
            .map(|n| by_name(n).ok_or_else(|| format!("no target {n:?} (see `bohr-fuzz list`)")))
            .collect::<Result<_, _>>()?
    };
    let budget = Budget { execs, time: seconds.map(Duration::from_secs_f64) };
    println!(
        "{:<16} {:>10} {:>9} {:>8} {:>7} {:>8} {:>5} {:>9}",
        "target", "execs", "features", "corpus", "finds", "seconds", "slow", "execs/s"
    );
    let (mut total, mut clean) = (0u64, true);
    for spec in specs {
        let report = quiet_panics(|| {
            let mut c = Campaign::new(spec, seed);
            let dirs = corpus_dirs(spec.name);
            c.load(&[&dirs[0], &dirs[1]]);
            let r = c.run(budget);
            if let Some(dir) = &save {
                let _ = c.save_corpus(&dir.join(spec.name));
            }
            r
        });
        let secs = report.elapsed.as_secs_f64();
        println!(
            "{:<16} {:>10} {:>9} {:>8} {:>7} {:>8.1} {:>5} {:>9.0}",
            spec.name,
            report.execs,
            report.features,
            report.corpus,
            report.findings.len(),
            secs,
            report.slow.len(),
            report.execs as f64 / secs.max(1e-9)
        );
        total += report.execs;
        for f in &report.findings {
            clean = false;
            let dir = findings_dir.join(f.target);
            let path = dir.join(format!("{:016x}", fnv(&f.input)));
            let saved = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &f.input));
            println!(
                "  FINDING {} ({} bytes, {}): {}",
                f.target,
                f.input.len(),
                match saved {
                    Ok(()) => path.display().to_string(),
                    Err(e) => format!("not saved: {e}"),
                },
                f.message.lines().next().unwrap_or("")
            );
        }
        for s in &report.slow {
            println!("  SLOW {} {} ms ({} bytes)", s.target, s.millis, s.input.len());
        }
    }
    println!("total executions: {total}");
    Ok(clean)
}

fn diff(mut args: Args) -> Result<bool, String> {
    let arches = args.all("--arch")?;
    let count: u64 = args.one("--sequences")?.unwrap_or(1_000_000);
    let start: u64 = args.one("--start")?.unwrap_or(0);
    args.done()?;
    let arches: Vec<Arch> = if arches.is_empty() {
        Arch::ALL.to_vec()
    } else {
        arches
            .iter()
            .map(|a| a.parse().map_err(|_| format!("no arch {a:?}")))
            .collect::<Result<_, _>>()?
    };
    let mut clean = true;
    println!(
        "{:<10} {:>10} {:>9} {:>11} {:>9} {:>9} {:>8}",
        "arch", "sequences", "looped", "went round", "differ", "seconds", "seq/s"
    );
    for arch in arches {
        let r = differential::run(arch, start, count, 20, &mut |n| {
            eprintln!("{arch}: {n} sequences");
        });
        println!(
            "{:<10} {:>10} {:>9} {:>11} {:>9} {:>9.1} {:>8.0}",
            arch.name(),
            r.sequences,
            r.looped,
            r.went_around,
            r.failures.len(),
            r.seconds,
            r.sequences as f64 / r.seconds.max(1e-9)
        );
        for e in &r.engines {
            println!("  {e}");
        }
        for f in &r.failures {
            clean = false;
            println!("  DIFFER {f}");
        }
    }
    Ok(clean)
}

fn replay(mut args: Args) -> Result<bool, String> {
    let name: String = args.one("--target")?.ok_or("give --target")?;
    let spec = by_name(&name).ok_or_else(|| format!("no target {name:?}"))?;
    let mut clean = true;
    for file in std::mem::take(&mut args.rest) {
        let input = std::fs::read(&file).map_err(|e| format!("{file}: {e}"))?;
        let shrunk = quiet_panics(|| {
            let mut c = Campaign::new(spec, 0);
            c.replay(input)
        });
        match shrunk {
            None => println!("{file}: ok"),
            Some(f) => {
                clean = false;
                let out = format!("{file}.min");
                std::fs::write(&out, &f.input).map_err(|e| format!("{out}: {e}"))?;
                println!(
                    "{file}: PANIC, shrunk to {} bytes in {out}:\n{}",
                    f.input.len(),
                    f.message
                );
            }
        }
    }
    Ok(clean)
}
