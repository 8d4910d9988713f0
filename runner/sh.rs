//! `bohr sh`: run one guest script on one machine, as a single matrix cell
//! would, then report what happened. The script's stdout and stderr are
//! printed as captured; a summary (events, processes, totals, fingerprint)
//! follows on stderr, each line starting with `bohr:`. The exit status is
//! the script's (124 when the machine stopped it, 2 for bad arguments or a
//! script the shell rejects).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::machine::{
    GuestFile, MachineConfig, MtdSpec, Outcome, RunControl, ShellKind, Stopped, WritePath,
    run_script,
};

/// Arguments of `bohr sh`.
#[derive(clap::Args, Debug, Clone)]
pub struct ShArgs {
    /// Guest architecture.
    #[arg(long, value_parser = |s: &str| s.parse::<Arch>().map_err(|e| e.to_string()))]
    pub arch: Arch,
    /// Execution engine.
    #[arg(long, default_value = "jit", value_parser = |s: &str| s.parse::<EngineKind>())]
    pub engine: EngineKind,
    /// How MTD reads deliver bytes into guest buffers: host, portal or checked.
    #[arg(long, default_value = "host", value_parser = |s: &str| s.parse::<WritePath>())]
    pub write_path: WritePath,
    /// Scheduler quantum in guest instructions.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub quantum: u64,
    /// Cell seed: chaos scheduling, random MTD fill, getrandom (decimal or 0x hex).
    #[arg(long, default_value = "0", value_parser = parse_u64)]
    pub seed: u64,
    /// Jitter quanta and priorities from the seed (rr-style chaos mode).
    #[arg(long)]
    pub chaos: bool,
    /// Stop the script after this many guest instructions in total.
    #[arg(long, default_value_t = 500_000_000)]
    pub max_insns: u64,
    /// Largest number of guest instructions per translated block.
    #[arg(long, default_value_t = bohr_emu::engine::DEFAULT_MAX_BLOCK_INSNS,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_block_insns: u32,
    /// Bytes per write-path chunk of an MTD read.
    #[arg(long, default_value = "4096", value_parser = parse_size_u32)]
    pub mtd_chunk: u32,
    /// Executions of a block before the JIT compiles it (0: at once).
    #[arg(long, default_value_t = bohr_emu::jit::DEFAULT_THRESHOLD)]
    pub jit_threshold: u32,
    /// An MTD device, /dev/mtdN in order (repeatable): comma-separated
    /// name=NAME, size=SIZE, erasesize=SIZE, fill=erased|zero|random,
    /// file=PATH, text@OFFSET=STRING (repeatable; `\,` for a comma).
    /// Sizes take KiB/MiB/GiB suffixes.
    #[arg(long = "mtd", value_name = "SPEC")]
    pub mtds: Vec<String>,
    /// Guest environment variable (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Add a host file to the guest file system (repeatable).
    #[arg(long = "file", value_name = "GUEST_PATH=HOST_PATH")]
    pub files: Vec<String>,
    /// A firmware root filesystem as the guest's `/` (read-only, under the
    /// run's own writable layer): a directory, tar (plain, gzip, xz), cpio
    /// (newc, plain, gzip, xz) or squashfs. Bohr's tools move to /bohr/bin.
    #[arg(long, short = 'L', value_name = "IMAGE")]
    pub rootfs: Option<PathBuf>,
    /// Which shell runs the script: bohr (Bohr's own; every command a
    /// guest process) or guest (the rootfs's `/bin/sh -c SCRIPT`).
    #[arg(long, default_value = "bohr", value_parser = |s: &str| s.parse::<ShellKind>())]
    pub shell: ShellKind,
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,
    /// Print only the script's output, no summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Host threads, besides the run's own, that run guest processes'
    /// code ahead of their turn, 0 to 8; results are the same for any
    /// value. auto: one on a host with two cores or more when compiled
    /// code is kept across runs, else none.
    #[arg(long, default_value = "auto", value_parser = crate::run::Lanes::parse)]
    pub lanes: crate::run::Lanes,
    /// The script file.
    pub script: PathBuf,
}

pub use crate::errors::ShError;

fn parse_u64(s: &str) -> Result<u64, String> {
    crate::units::parse_u64(s).map_err(|e| e.to_string())
}

fn parse_size_u32(s: &str) -> Result<u32, String> {
    crate::units::parse_size_u32(s).map_err(|e| e.to_string())
}

/// Parse one `--mtd` spec (device `index`).
pub fn parse_mtd(spec: &str, index: usize) -> Result<MtdSpec, ShError> {
    Ok(crate::mtd::parse_spec(spec, index)?)
}

fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// Build the machine configuration from the arguments.
pub fn config(a: &ShArgs) -> Result<MachineConfig, ShError> {
    let mut cfg = MachineConfig::new(a.arch);
    cfg.engine = a.engine;
    cfg.write_path = a.write_path;
    cfg.quantum = a.quantum;
    cfg.seed = a.seed;
    cfg.chaos = a.chaos;
    cfg.max_insns = a.max_insns;
    cfg.max_block_insns = a.max_block_insns;
    cfg.mtd_chunk = a.mtd_chunk;
    cfg.jit_threshold = a.jit_threshold;
    cfg.limits = a.limits.limits();
    for (i, spec) in a.mtds.iter().enumerate() {
        cfg.mtds.push(parse_mtd(spec, i)?);
    }
    for e in &a.env {
        let (k, v) =
            e.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or(ShError::Env(e.clone()))?;
        cfg.env.push((k.to_string(), v.to_string()));
    }
    if let Some(image) = &a.rootfs {
        cfg.rootfs = Some(bohr_rootfs::Image::open(image)?);
    }
    cfg.shell = a.shell;
    for f in &a.files {
        let (guest, host) = f.split_once('=').ok_or_else(|| ShError::File(f.clone()))?;
        if !guest.starts_with('/') {
            return Err(ShError::File(f.clone()));
        }
        let read_err = |source| ShError::Read { path: host.to_string(), source };
        let meta = std::fs::metadata(host).map_err(read_err)?;
        let data = std::fs::read(host).map_err(read_err)?;
        cfg.files.push(GuestFile {
            path: guest.to_string(),
            data: Arc::new(data),
            executable: is_executable(&meta),
        });
    }
    Ok(cfg)
}

/// The summary lines printed after the script's output.
pub fn summary(o: &Outcome) -> String {
    let mut s = String::new();
    for e in &o.events {
        s.push_str(&format!("bohr: event {e}\n"));
    }
    for p in &o.processes {
        let status = match p.status {
            Some(code) if code > 128 => {
                format!("killed by {}", bohr_emu::events::signal_name((code - 128) as u32))
            }
            Some(code) => format!("exit {code}"),
            None => "still running".into(),
        };
        s.push_str(&format!(
            "bohr: pid {} {}: {} instructions, {status}\n",
            p.pid, p.name, p.insns
        ));
    }
    match &o.stopped {
        Some(Stopped::InstructionLimit { pid, pc }) => s.push_str(&format!(
            "bohr: stopped: instruction limit reached in pid {pid} at pc {pc:#x}\n"
        )),
        Some(Stopped::Cancelled { pid, pc }) => {
            s.push_str(&format!("bohr: stopped: cancelled while pid {pid} was at pc {pc:#x}\n"))
        }
        Some(d @ Stopped::Deadlock { pid, pc, .. }) => {
            s.push_str(&format!(
                "bohr: stopped: deadlock, every thread is blocked (pid {pid} at pc {pc:#x})\n"
            ));
            s.push_str(&d.blocked_lines("bohr:   "));
        }
        None => {}
    }
    let st = &o.stats;
    s.push_str(&format!(
        "bohr: exit {}; {} instructions, {} blocks translated, {} context switches, schedule {:016x}, fingerprint {:016x}, {} ms\n",
        o.exit_code,
        st.insns,
        st.blocks_translated,
        st.context_switches,
        st.schedule_hash,
        o.fingerprint,
        st.wall_ms
    ));
    s
}

/// Run `bohr sh`; returns the process exit status.
pub fn run(a: &ShArgs) -> Result<i32, ShError> {
    let path = a.script.display().to_string();
    let text =
        std::fs::read(&a.script).map_err(|source| ShError::Read { path: path.clone(), source })?;
    let text = String::from_utf8(text).map_err(|_| ShError::Read {
        path: path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the script is not UTF-8"),
    })?;
    let cfg = config(a)?;
    let stored = bohr_emu::jit::store::persisting();
    let lanes = a.lanes.resolve(crate::run::host_cores(), 1, stored);
    let outcome = run_script(&cfg, &path, &text, &RunControl { lanes, ..Default::default() })?;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&outcome.stdout);
    let _ = out.flush();
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(&outcome.stderr);
    if !a.quiet {
        let _ = err.write_all(summary(&outcome).as_bytes());
    }
    let _ = err.flush();
    Ok(outcome.exit_code)
}

/// Entry point from the command line.
pub fn main(a: &ShArgs) -> i32 {
    match run(a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bohr: {e}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bohr_emu::machine::MtdFill;

    #[test]
    fn mtd_specs() {
        let m =
            parse_mtd("name=firmware,size=1MiB,erasesize=64KiB,fill=random,text@0x1000=A\\,B", 0)
                .unwrap();
        assert_eq!(m.name, "firmware");
        assert_eq!(m.size, 1 << 20);
        assert_eq!(m.erasesize, 64 << 10);
        assert_eq!(m.fill, MtdFill::Random);
        assert_eq!(m.writes, vec![(0x1000, b"A,B".to_vec())]);
        let d = parse_mtd("", 3).unwrap();
        assert_eq!((d.name.as_str(), d.size, d.fill), ("mtd3", 1 << 20, MtdFill::Erased));
        assert!(parse_mtd("size=lots", 0).unwrap_err().to_string().contains("not a size"));
        assert!(parse_mtd("colour=red", 0).unwrap_err().to_string().contains("unknown key"));
        assert!(parse_mtd("fill=ones", 0).unwrap_err().to_string().contains("expected erased"));
        assert!(
            parse_mtd("file=/nonexistent/x", 0).unwrap_err().to_string().contains("cannot read")
        );
    }
}
