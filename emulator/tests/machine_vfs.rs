//! The machine's files and devices from the guest's side: `/proc/mtd`,
//! MTD contents, offsets and chunking, directory listings, and the errnos
//! of open flags and unlink.

mod machine_support;

use std::sync::Arc;

use bohr_emu::arch::Arch;
use bohr_emu::engine::EngineKind;
use bohr_emu::events::Event;
use bohr_emu::machine::{GuestFile, MachineConfig, MtdFill, MtdSpec, WritePath};
use machine_support::*;

const A4: u32 = 14;
const O_DIRECTORY: i32 = 0o200000;
const O_WRONLY: i32 = 1;
const O_CREAT: i32 = 0o100;
const O_EXCL: i32 = 0o200;

/// `lsdir DIR`: print every `getdents64` name, one per line; exit with the
/// errno of a failed open.
fn lsdir() -> Vec<u8> {
    let mut a = Asm::with_bss(4096);
    let nl = a.data(b"\n");
    a.ld(A1, SP, 16);
    a.li(A0, -100);
    a.li(A2, O_DIRECTORY);
    a.li(A3, 0);
    a.sys(nr::OPENAT);
    let opened = a.label();
    a.bge(A0, ZERO, opened);
    a.sub(A0, ZERO, A0);
    a.sys(nr::EXIT_GROUP);
    a.bind(opened);
    a.mv(S0, A0);
    let (batch, rec, body, scan, name_end, done) =
        (a.label(), a.label(), a.label(), a.label(), a.label(), a.label());
    a.bind(batch);
    a.mv(A0, S0);
    a.la_bss(A1, 0);
    a.li(A2, 4096);
    a.sys(nr::GETDENTS64);
    a.beq(A0, ZERO, done);
    a.la_bss(T0, 0);
    a.add(T1, T0, A0);
    a.bind(rec);
    a.bltu(T0, T1, body);
    a.j(batch);
    a.bind(body);
    a.lhu(T2, T0, 16);
    a.addi(A1, T0, 19);
    a.mv(A3, A1);
    a.bind(scan);
    a.lbu(A4, A3, 0);
    a.beq(A4, ZERO, name_end);
    a.addi(A3, A3, 1);
    a.j(scan);
    a.bind(name_end);
    a.sub(A2, A3, A1);
    a.li(A0, 1);
    a.sys(nr::WRITE);
    a.li(A0, 1);
    a.la(A1, nl);
    a.li(A2, 1);
    a.sys(nr::WRITE);
    a.add(T0, T0, T2);
    a.j(rec);
    a.bind(done);
    a.exit(0);
    a.elf()
}

/// `robuf`: read 64 bytes of /dev/mtd0 into an anonymous page made
/// read-only (not executable) with mprotect; exit with the byte count, or
/// the errno.
fn robuf() -> Vec<u8> {
    let mut a = Asm::with_bss(0);
    let dev = a.data(b"/dev/mtd0\0");
    a.li(A0, -100);
    a.la(A1, dev);
    a.li(A2, 0);
    a.li(A3, 0);
    a.sys(nr::OPENAT);
    a.mv(S0, A0);
    a.li(A0, 0);
    a.li(A1, 4096);
    a.li(A2, 3); // PROT_READ | PROT_WRITE
    a.li(A3, 0x22); // MAP_PRIVATE | MAP_ANONYMOUS
    a.li(A4, -1);
    a.li(15, 0); // a5: offset
    a.sys(nr::MMAP);
    a.mv(S1, A0);
    a.li(A1, 4096);
    a.li(A2, 1); // PROT_READ
    a.sys(nr::MPROTECT);
    a.mv(A0, S0);
    a.mv(A1, S1);
    a.li(A2, 64);
    a.sys(nr::READ);
    let ok = a.label();
    a.bge(A0, ZERO, ok);
    a.sub(A0, ZERO, A0);
    a.bind(ok);
    a.sys(nr::EXIT_GROUP);
    a.elf()
}

fn cfg(engine: EngineKind, wp: WritePath) -> MachineConfig {
    let mut c = cell(Arch::Riscv64, engine, wp);
    c.mtds.push(MtdSpec {
        name: "u-boot env".into(),
        size: 0x2_0000,
        erasesize: 0x1_0000,
        fill: MtdFill::Bytes(Arc::new(b"bootcmd=run distro_bootcmd\0baudrate=115200\0".to_vec())),
        writes: vec![(0x1_0000, b"second block\0".to_vec())],
    });
    c.files.push(GuestFile {
        path: "/etc/motd".into(),
        data: Arc::new(b"hello\n".to_vec()),
        executable: false,
    });
    add_program(&mut c, "lsdir", lsdir());
    add_program(&mut c, "robuf", robuf());
    add_program(
        &mut c,
        "creat_excl",
        errno_program(nr::OPENAT, O_WRONLY | O_CREAT | O_EXCL, 0o644),
    );
    add_program(&mut c, "open_wr", errno_program(nr::OPENAT, O_WRONLY, 0));
    add_program(&mut c, "open_dir", errno_program(nr::OPENAT, O_DIRECTORY, 0));
    add_program(&mut c, "unlink", errno_program(nr::UNLINKAT, 0, 0));
    c
}

fn sh(text: &str) -> (String, String) {
    let o = run(&cfg(EngineKind::Interp, WritePath::Host), text);
    assert!(o.stopped.is_none(), "{}", guest_view(&o));
    (stdout(&o), stderr(&o))
}

#[test]
fn proc_mtd_lists_every_device_like_linux() {
    let (out, _) = sh("cat /proc/mtd");
    assert_eq!(
        out,
        "dev:    size   erasesize  name\n\
         mtd0: 00100000 00010000 \"firmware\"\n\
         mtd1: 00020000 00010000 \"u-boot env\"\n"
    );
    let (out, _) = sh("mtdinfo /dev/mtd1");
    assert_eq!(out, "type 3\nflags 0xc00\nsize 131072\nerasesize 65536\nwritesize 1\noobsize 0\n");
    let (_, err) = sh("mtdinfo /etc/motd");
    assert_eq!(err, "mtdinfo: /etc/motd: ENOTTY\n");
}

#[test]
fn device_contents_come_from_file_text_and_fill() {
    let (out, _) = sh("strings /dev/mtd1");
    assert_eq!(out, "bootcmd=run distro_bootcmd\nbaudrate=115200\nsecond block\n");
    // Past the file: erased flash (0xff), which has no strings.
    let (out, _) = sh("dd if=/dev/mtd1 bs=4096 skip=1 count=15 2>/dev/null | strings | wc -c");
    assert_eq!(out, "0\n");
    let (out, _) =
        sh("dd if=/dev/mtd1 bs=4096 skip=15 count=2 2>/dev/null | od -A x -t x1 | head -n 1");
    assert_eq!(out, "000000 ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff\n");
}

#[test]
fn reads_honour_offsets_and_chunks_on_every_write_path() {
    // dd seeks the device (lseek) to the block holding the magic.
    let text = "dd if=/dev/mtd0 bs=4096 skip=1 count=1 2>/dev/null | strings -n 10\n\
                dd if=/dev/mtd0 bs=4096 count=4 2>/dev/null | sha256sum\n";
    let reference = run(&cfg(EngineKind::Interp, WritePath::Checked), text);
    assert!(stdout(&reference).starts_with(&format!("{MAGIC}\n")), "{}", stdout(&reference));
    for engine in ENGINES {
        for wp in WritePath::ALL {
            let mut portal_insns = Vec::new();
            for chunk in [1, 7, 4096, 65536] {
                let mut c = cfg(engine, wp);
                c.mtd_chunk = chunk;
                let o = run(&c, text);
                assert_eq!(stdout(&o), stdout(&reference), "{engine} {wp} chunk {chunk}");
                assert!(o.events.is_empty(), "{}", events(&o));
                portal_insns.push(o.processes.iter().map(|p| p.insns).sum::<u64>());
            }
            if wp == WritePath::Portal {
                // Each chunk is one run of the stub: smaller chunks cost more
                // (dd reads 4 KiB at a time, so 4096 and 65536 are equal).
                assert!(portal_insns.windows(2).all(|w| w[0] >= w[1]), "{portal_insns:?}");
                assert!(portal_insns[0] > portal_insns[1] && portal_insns[1] > portal_insns[2]);
            } else {
                assert!(portal_insns.windows(2).all(|w| w[0] == w[1]), "{wp}: {portal_insns:?}");
            }
        }
    }
}

#[test]
fn host_writes_to_read_only_data_are_reported() {
    for engine in ENGINES {
        for wp in WritePath::ALL {
            let o = run(&cfg(engine, wp), "robuf; echo $?");
            let ctx = format!("{engine} {wp}\n{}", guest_view(&o));
            match wp {
                WritePath::Host => {
                    assert_eq!(stdout(&o), "64\n", "{ctx}");
                    assert!(
                        matches!(
                            o.events.as_slice(),
                            [Event::HostWriteReadOnly { pid: 2, len: 64, addr }] if addr % 4096 == 0
                        ),
                        "{ctx}"
                    );
                }
                _ => {
                    assert_eq!(stdout(&o), "14\n", "{ctx}");
                    assert!(o.events.is_empty(), "{ctx}");
                }
            }
        }
    }
}

#[test]
fn directories_list_in_sorted_order() {
    let (out, _) = sh("lsdir /dev\necho x > /tmp/b; echo y > /tmp/a\nlsdir /tmp\nlsdir /\n");
    assert_eq!(
        out,
        ".\n..\nconsole\nmtd0\nmtd1\nnull\nzero\n\
         .\n..\na\nb\n\
         .\n..\nbin\ndev\netc\nproc\ntmp\n"
    );
    let (out, _) = sh("lsdir /bin | wc -l");
    let programs = bohr_emu::machine::programs::programs_for(Arch::Riscv64).count();
    // ".", "..", the embedded programs and the six test programs.
    assert_eq!(out, format!("{}\n", programs + 2 + 6));
}

#[test]
fn open_and_unlink_errnos() {
    let (out, _) = sh("creat_excl /tmp/new; echo $?
creat_excl /tmp/new; echo $?
creat_excl /etc/new; echo $?
creat_excl /nodir/new; echo $?
open_wr /dev/mtd0; echo $?
open_wr /etc/motd; echo $?
open_wr /tmp; echo $?
open_dir /etc/motd; echo $?
open_dir /tmp; echo $?
lsdir /nope; echo $?
unlink /tmp/new; echo $?
unlink /tmp/new; echo $?
unlink /bin/cat; echo $?
unlink /tmp; echo $?
");
    assert_eq!(
        out,
        "0\n17\n30\n2\n30\n30\n21\n20\n0\n2\n0\n2\n30\n21\n"
            .split('\n')
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn unlinked_files_are_gone() {
    let (out, err) = sh("echo data > /tmp/f\nunlink /tmp/f\ncat /tmp/f; echo $?\n");
    assert_eq!(out, "1\n");
    assert_eq!(err, "cat: /tmp/f: ENOENT\n");
}
