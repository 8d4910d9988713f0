//! Unit tests of the address space: permissions, faults, page crossing,
//! addresses near 2^64, code tracking and the host accessors.

use super::*;

fn space() -> AddressSpace {
    AddressSpace::new(Layout::for_bits(true))
}

#[test]
fn fresh_pages_read_zero_and_store_roundtrips() {
    let mut m = space();
    m.map_fixed(0x10000, 0x2000, Perms::RW).unwrap();
    assert_eq!(m.load(0x10008, 8), Ok(0));
    m.store(0x10008, 8, 0x1122334455667788).unwrap();
    assert_eq!(m.load(0x10008, 8), Ok(0x1122334455667788));
    assert_eq!(m.load(0x10008, 1), Ok(0x88));
    assert_eq!(m.load(0x1000c, 4), Ok(0x11223344));
}

#[test]
fn cross_page_access_goes_through_slow_path() {
    let mut m = space();
    m.map_fixed(0x10000, 0x2000, Perms::RW).unwrap();
    m.store(0x10ffd, 8, 0x0807060504030201).unwrap();
    assert_eq!(m.load(0x10ffd, 8), Ok(0x0807060504030201));
    assert_eq!(m.load(0x11000, 1), Ok(0x04));
}

#[test]
fn cross_into_unmapped_page_faults_without_partial_write() {
    let mut m = space();
    m.map_fixed(0x10000, 0x1000, Perms::RW).unwrap();
    let err = m.store(0x10ffe, 4, 0xaabbccdd).unwrap_err();
    assert_eq!(err, MemFault { addr: 0x11000, access: Access::Write, unmapped: true });
    assert_eq!(m.load(0x10ffe, 2), Ok(0));
}

#[test]
fn checked_reads_into_a_vector_read_what_checked_reads_do() {
    let mut m = space();
    m.map_fixed(0x10000, 0x2000, Perms::RW).unwrap();
    m.map_fixed(0x12000, 0x1000, Perms::NONE).unwrap();
    let bytes: Vec<u8> = (0..0x2000u32).map(|i| (i * 7) as u8).collect();
    m.write_checked(0x10000, &bytes).unwrap();
    for (addr, len) in
        [(0x10000, 0), (0x10ffd, 8), (0x10000, 0x2000), (0x11ff0, 0x20), (0x13000, 4)]
    {
        let mut buf = vec![0; len];
        let want = m.read_checked(addr, &mut buf).map(|()| buf);
        assert_eq!(m.read_checked_vec(addr, len), want, "{addr:#x}/{len}");
    }
}

#[test]
fn permissions_are_enforced() {
    let mut m = space();
    m.map_fixed(0x10000, 0x1000, Perms::R).unwrap();
    assert!(!m.store(0x10000, 4, 1).unwrap_err().unmapped);
    m.protect(0x10000, 0x1000, Perms::NONE).unwrap();
    assert_eq!(m.load(0x10000, 4).unwrap_err().access, Access::Read);
    m.protect(0x10000, 0x1000, Perms::RW).unwrap();
    m.store(0x10000, 4, 5).unwrap();
    // Downgrading must drop the cached write permission.
    m.protect(0x10000, 0x1000, Perms::R).unwrap();
    assert!(m.store(0x10000, 4, 6).is_err());
    assert_eq!(m.load(0x10000, 4), Ok(5));
}

#[test]
fn addresses_near_top_of_u64_fault_cleanly() {
    let mut m = space();
    for addr in [u64::MAX, u64::MAX - 3, u64::MAX - 7, 0xffff_ffff_ffff_f000, 1 << 63] {
        for size in [1, 2, 4, 8] {
            assert!(m.load(addr, size).is_err(), "{addr:#x}/{size}");
            assert!(m.store(addr, size, 0).is_err(), "{addr:#x}/{size}");
        }
    }
    let mut buf = [0u8; 16];
    assert!(m.read_debug(u64::MAX - 4, &mut buf).is_err());
    assert!(m.write_debug(u64::MAX - 4, &buf).is_err());
    assert!(m.map_fixed(0xffff_ffff_ffff_f000, 0x1000, Perms::RW).is_err());
    assert!(m.map_fixed(0x1000, u64::MAX, Perms::RW).is_err());
}

#[test]
fn unmap_removes_access() {
    let mut m = space();
    m.map_fixed(0x10000, 0x3000, Perms::RW).unwrap();
    m.store(0x11000, 8, 7).unwrap();
    m.unmap(0x11000, 0x1000).unwrap();
    assert!(m.load(0x11000, 8).unwrap_err().unmapped);
    assert_eq!(m.load(0x12000, 8), Ok(0));
}

#[test]
fn code_pages_queue_invalidation_on_write() {
    let mut m = space();
    m.map_fixed(0x10000, 0x1000, Perms::RWX).unwrap();
    m.store(0x10000, 4, 1).unwrap();
    m.mark_code(0x10);
    assert_eq!(m.store(0x10004, 4, 2), Ok(true));
    assert_eq!(m.take_code_writes(), vec![0x10]);
    // The code flag is cleared by the write, so later stores are fast again.
    assert_eq!(m.store(0x10004, 4, 3), Ok(false));
    m.mark_code(0x10);
    let report = m.write_debug(0x10000, &[0; 8]).unwrap();
    assert!(report.hit_code && report.hit_exec && !report.hit_readonly);
    assert_eq!(m.take_code_writes(), vec![0x10]);
}

#[test]
fn debug_write_ignores_permissions_checked_does_not() {
    let mut m = space();
    m.map_fixed(0x10000, 0x1000, Perms::RX).unwrap();
    let r = m.write_checked(0x10000, b"abc").unwrap_err();
    assert!(!r.unmapped);
    let report = m.write_debug(0x10000, b"abc").unwrap();
    assert!(report.hit_readonly);
    let mut buf = [0; 3];
    m.read_debug(0x10000, &mut buf).unwrap();
    assert_eq!(&buf, b"abc");
    assert_eq!(m.load(0x10000, 2), Ok(0x6261));
}

#[test]
fn find_free_is_top_down_and_skips_mappings() {
    let mut m = space();
    let top = m.layout().mmap_top;
    let a = m.find_free(0x3000, 0).unwrap();
    assert_eq!(a, top - 0x3000);
    m.map_fixed(a, 0x3000, Perms::RW).unwrap();
    let b = m.find_free(0x1000, 0).unwrap();
    assert_eq!(b, a - 0x1000);
    assert_eq!(m.find_free(0x1000, 0x2_0000_0000), Some(0x2_0000_0000));
}

#[test]
fn brk_grows_and_shrinks() {
    let mut m = space();
    m.init_brk(0x20_0123);
    assert_eq!(m.set_brk(0), 0x20_1000);
    assert_eq!(m.set_brk(0x20_5000), 0x20_5000);
    m.store(0x20_4ff8, 8, 9).unwrap();
    assert_eq!(m.set_brk(0x20_2000), 0x20_2000);
    assert!(m.load(0x20_4ff8, 8).is_err());
}

/// Put page `pn` in every read and write site, as compiled code would after
/// a TLB hit (so after the TLB filled the page).
fn fill_sites(m: &mut AddressSpace, pn: u64) {
    m.load(pn << PAGE_SHIFT, 1).expect("a readable page");
    let tlb = m.tlb_ptr();
    // SAFETY: `tlb` points at `m`'s boxed TLB, and `m` is borrowed here
    // exclusively; nothing else references the TLB.
    let tlb = unsafe { &mut *tlb };
    for s in tlb.read_sites.iter_mut().chain(tlb.write_sites.iter_mut()) {
        *s = Site { tag: pn << PAGE_SHIFT, addend: 0x1000 };
    }
}

fn sites_with(m: &mut AddressSpace, pn: u64) -> usize {
    read_sites_with(m, pn) + write_sites_with(m, pn)
}

fn read_sites_with(m: &mut AddressSpace, pn: u64) -> usize {
    // SAFETY: as in `fill_sites`.
    let tlb = unsafe { &*m.tlb_ptr() };
    tlb.read_sites.iter().filter(|s| s.tag == pn << PAGE_SHIFT).count()
}

fn write_sites_with(m: &mut AddressSpace, pn: u64) -> usize {
    // SAFETY: as in `fill_sites`.
    let tlb = unsafe { &*m.tlb_ptr() };
    tlb.write_sites.iter().filter(|s| s.tag == pn << PAGE_SHIFT).count()
}

#[test]
fn every_change_to_what_a_page_allows_clears_its_access_sites() {
    let mut m = space();
    m.map_fixed(0x10000, 0x4000, Perms::RW).unwrap();
    let pn = 0x11;
    type Change = (&'static str, fn(&mut AddressSpace));
    let changes: [Change; 2] = [
        ("mprotect", |m| m.protect(0x11000, 0x1000, Perms::R).unwrap()),
        ("munmap", |m| m.unmap(0x10000, 0x4000).unwrap()),
    ];
    for (what, change) in changes {
        let mut m2 = space();
        m2.map_fixed(0x10000, 0x4000, Perms::RW).unwrap();
        fill_sites(&mut m2, pn);
        assert_eq!(sites_with(&mut m2, pn), 2 * SITES);
        change(&mut m2);
        assert_eq!(sites_with(&mut m2, pn), 0, "{what} left sites of the page");
    }
    // Code marking takes only writes away: the page's write sites go, its
    // read sites (reads are allowed as before) stay.
    let mut m2 = space();
    m2.map_fixed(0x10000, 0x4000, Perms::RW).unwrap();
    fill_sites(&mut m2, pn);
    m2.mark_code(pn);
    assert_eq!(write_sites_with(&mut m2, pn), 0, "code marking left write sites of the page");
    assert_eq!(read_sites_with(&mut m2, pn), SITES, "code marking dropped read sites");
    // Other pages' sites survive a change to one page.
    fill_sites(&mut m, 0x12);
    m.protect(0x11000, 0x1000, Perms::R).unwrap();
    assert_eq!(sites_with(&mut m, 0x12), 2 * SITES);
    // A range larger than the TLB flushes everything.
    m.map_fixed(0x100000, (TLB_SIZE as u64 + 1) << PAGE_SHIFT, Perms::RW).unwrap();
    m.unmap(0x100000, (TLB_SIZE as u64 + 1) << PAGE_SHIFT).unwrap();
    assert_eq!(sites_with(&mut m, 0x12), 0);
}

/// The TLB entry of page `addr`'s page.
fn entry_of(m: &mut AddressSpace, addr: u64) -> TlbEntry {
    // SAFETY: as in `fill_sites`.
    let tlb = unsafe { &*m.tlb_ptr() };
    tlb.entries[((addr >> PAGE_SHIFT) as usize) & (TLB_SIZE - 1)]
}

#[test]
fn host_protection_mirrors_what_the_fast_path_may_do() {
    let mut m = space();
    let pn = 0x10;
    m.map_fixed(pn << PAGE_SHIFT, 0x1000, Perms::RW).unwrap();
    assert_eq!(m.host_prot(pn), HostProt::ReadWrite);
    // Translated code write-protects a writable page; a write lifts it.
    m.mark_code(pn);
    assert_eq!(m.host_prot(pn), HostProt::Read);
    assert_eq!(m.store(pn << PAGE_SHIFT, 4, 1), Ok(true), "the store hit code");
    assert_eq!(m.host_prot(pn), HostProt::ReadWrite);
    for (perms, prot) in [
        (Perms::R, HostProt::Read),
        (Perms::RX, HostProt::Read),
        (Perms::RWX, HostProt::ReadWrite),
        // The host cannot write without reading: such pages take the slow
        // path for both.
        (Perms::W, HostProt::None),
        (Perms::X, HostProt::None),
        (Perms::NONE, HostProt::None),
    ] {
        m.protect(pn << PAGE_SHIFT, 0x1000, perms).unwrap();
        assert_eq!(m.host_prot(pn), prot, "{perms}");
    }
    m.unmap(pn << PAGE_SHIFT, 0x1000).unwrap();
    assert_eq!(m.host_prot(pn), HostProt::None);
}

#[test]
fn guest_memory_is_at_base_plus_address() {
    let mut m = space();
    m.map_fixed(0x20000, 0x2000, Perms::RW).unwrap();
    m.store(0x20ff8, 8, 0x1122_3344_5566_7788).unwrap();
    let host = (m.direct_base() + 0x20ff8) as *const u64;
    // SAFETY: the page is mapped read-write, so the host may read it.
    assert_eq!(unsafe { host.read_unaligned() }, 0x1122_3344_5566_7788);
    let e = entry_of(&mut m, 0x20ff8);
    assert_eq!(e.addend, m.direct_base(), "the TLB points at the same bytes");
    assert!(m.direct_span() >= m.layout().user_end);
}

#[test]
fn host_accessors_reach_pages_the_host_protects() {
    let mut m = space();
    m.map_fixed(0x30000, 0x3000, Perms::RW).unwrap();
    m.store(0x30ffe, 4, 0xaabb_ccdd).unwrap();
    // Execute-only, write-only and inaccessible pages are host-protected,
    // yet debug reads and writes see and change them.
    m.protect(0x30000, 0x1000, Perms::X).unwrap();
    m.protect(0x31000, 0x1000, Perms::W).unwrap();
    m.protect(0x32000, 0x1000, Perms::NONE).unwrap();
    let mut buf = [0u8; 4];
    m.read_debug(0x30ffe, &mut buf).unwrap();
    assert_eq!(u32::from_le_bytes(buf), 0xaabb_ccdd);
    assert_eq!(m.fetch(0x30ffe, &mut buf), 2, "fetch stops at the non-executable page");
    m.write_debug(0x31ffe, &[1, 2, 3, 4]).unwrap();
    m.protect(0x31000, 0x2000, Perms::R).unwrap();
    assert_eq!(m.load(0x31ffe, 4), Ok(0x0403_0201));
    // A guest store to a write-only page takes the slow path and lands.
    m.protect(0x31000, 0x1000, Perms::W).unwrap();
    m.store(0x31000, 1, 9).unwrap();
    m.read_debug(0x31000, &mut buf[..1]).unwrap();
    assert_eq!(buf[0], 9);
    // Protections are back as the guest set them.
    assert_eq!(m.host_prot(0x30), HostProt::None);
    assert_eq!(m.host_prot(0x31), HostProt::None);
}

#[test]
fn remapped_pages_read_zero() {
    let mut m = space();
    m.map_fixed(0x40000, 0x1000, Perms::RW).unwrap();
    m.store(0x40010, 8, u64::MAX).unwrap();
    m.map_fixed(0x40000, 0x1000, Perms::RW).unwrap();
    assert_eq!(m.load(0x40010, 8), Ok(0), "MAP_FIXED over a mapping");
    m.store(0x40010, 8, u64::MAX).unwrap();
    m.unmap(0x40000, 0x1000).unwrap();
    m.map_fixed(0x40000, 0x1000, Perms::R).unwrap();
    assert_eq!(m.load(0x40010, 8), Ok(0), "unmapped, then mapped again");
}

#[test]
fn budget_is_shared_charged_by_accessible_pages_and_refuses_past_its_limit() {
    let budget = Arc::new(MemBudget::new(16 * PAGE_SIZE));
    let mut a = space();
    let mut b = space();
    a.set_budget(budget.clone()).unwrap();
    b.set_budget(budget.clone()).unwrap();
    // PROT_NONE reservations are free.
    a.map_fixed(0x100000, 64 * PAGE_SIZE, Perms::NONE).unwrap();
    assert_eq!(budget.used_bytes(), 0);
    a.protect(0x100000, 10 * PAGE_SIZE, Perms::RW).unwrap();
    assert_eq!(budget.used_bytes(), 10 * PAGE_SIZE);
    // The other space sees the same budget.
    assert_eq!(b.map_fixed(0x10000, 7 * PAGE_SIZE, Perms::RW), Err(MapError::NoMemory));
    assert!(!b.is_mapped(0x10000), "a refused mapping changes nothing");
    b.map_fixed(0x10000, 6 * PAGE_SIZE, Perms::R).unwrap();
    assert_eq!(budget.used_bytes(), 16 * PAGE_SIZE);
    // Remapping pages already charged costs nothing more.
    b.map_fixed(0x10000, 6 * PAGE_SIZE, Perms::RW).unwrap();
    assert_eq!(a.protect(0x10a000, PAGE_SIZE, Perms::R), Err(MapError::NoMemory));
    // Unmapping, PROT_NONE and dropping give pages back.
    a.protect(0x100000, 2 * PAGE_SIZE, Perms::NONE).unwrap();
    assert_eq!(budget.used_bytes(), 14 * PAGE_SIZE);
    b.unmap(0x10000, 3 * PAGE_SIZE).unwrap();
    assert_eq!(budget.used_bytes(), 11 * PAGE_SIZE);
    drop(a);
    assert_eq!(budget.used_bytes(), 3 * PAGE_SIZE);
    let stats = budget.stats();
    assert_eq!(stats.peak_bytes, 16 * PAGE_SIZE);
    assert_eq!(stats.refused, 2);
    assert_eq!(stats.limit_bytes, 16 * PAGE_SIZE);
}

#[test]
fn brk_past_the_budget_keeps_the_old_break() {
    let budget = Arc::new(MemBudget::new(4 * PAGE_SIZE));
    let mut m = space();
    m.set_budget(budget).unwrap();
    m.init_brk(0x200000);
    assert_eq!(m.set_brk(0x200000 + 4 * PAGE_SIZE), 0x200000 + 4 * PAGE_SIZE);
    assert_eq!(m.set_brk(0x200000 + 5 * PAGE_SIZE), 0x200000 + 4 * PAGE_SIZE);
}

#[test]
fn a_fork_copy_keeps_kernel_pages_above_user_space() {
    let mut m = AddressSpace::new(Layout::for_bits(false));
    let mut kuser = vec![0u8; PAGE_SIZE as usize];
    kuser[0xfa0] = 0x42;
    m.map_system_page(0xffff_0000, Perms::RX, &kuser, "[vectors]").unwrap();
    m.map_fixed(0x10000, PAGE_SIZE, Perms::RW).unwrap();
    let child = m.fork_copy().unwrap();
    assert_eq!(child.perms(0xffff_0000), Some(Perms::RX));
    let mut b = [0u8; 1];
    child.read_debug(0xffff_0fa0, &mut b).unwrap();
    assert_eq!(b[0], 0x42);
}

fn file(offset: u64) -> Backing {
    Backing::File { path: Arc::from(&b"/lib/x.so"[..]), offset, dev: 1, ino: 7, shared: false }
}

fn lines(m: &AddressSpace) -> Vec<(u64, u64, Perms, Backing)> {
    m.maps().into_iter().map(|e| (e.start, e.end, e.perms, e.backing)).collect()
}

#[test]
fn ranges_keep_their_backing_through_protect_and_merge_back() {
    let mut m = space();
    m.map_backed(0x10000, 0x3000, Perms::R, file(0x2000)).unwrap();
    m.map_fixed(0x13000, 0x1000, Perms::R).unwrap();
    m.protect(0x11000, 0x1000, Perms::RW).unwrap();
    assert_eq!(
        lines(&m),
        [
            (0x10000, 0x11000, Perms::R, file(0x2000)),
            (0x11000, 0x12000, Perms::RW, file(0x3000)),
            (0x12000, 0x13000, Perms::R, file(0x4000)),
            (0x13000, 0x14000, Perms::R, Backing::Anon),
        ]
    );
    assert_eq!(m.backing(0x12800), Some(file(0x4000)));
    // The same permissions again: one range, as Linux merges the VMAs; the
    // anonymous page after it stays apart.
    m.protect(0x11000, 0x1000, Perms::R).unwrap();
    assert_eq!(m.maps().len(), 2);
    assert_eq!(lines(&m)[0], (0x10000, 0x13000, Perms::R, file(0x2000)));
    // Unmapping the middle cuts it in two, offsets preserved.
    m.unmap(0x11000, 0x1000).unwrap();
    assert_eq!(lines(&m)[1], (0x12000, 0x13000, Perms::R, file(0x4000)));
    let child = m.fork_copy().unwrap();
    assert_eq!(lines(&child), lines(&m));
}

#[test]
fn the_break_is_the_heap_and_anonymous_neighbours_merge() {
    let mut m = space();
    m.init_brk(0x20000);
    assert_eq!(m.set_brk(0x23005), 0x23005);
    assert_eq!(lines(&m), [(0x20000, 0x24000, Perms::RW, Backing::Heap)]);
    m.map_fixed(0x30000, 0x1000, Perms::RW).unwrap();
    m.map_fixed(0x31000, 0x1000, Perms::RW).unwrap();
    assert_eq!(lines(&m)[1], (0x30000, 0x32000, Perms::RW, Backing::Anon));
    // A file range right after an anonymous one is a range of its own.
    m.map_backed(0x32000, 0x1000, Perms::RW, file(0)).unwrap();
    assert_eq!(m.maps().len(), 3);
}

#[test]
fn shared_pages_are_shared_across_spaces_forks_and_views() {
    let budget = Arc::new(MemBudget::new(64 * PAGE_SIZE));
    let mut a = space();
    a.set_budget(budget.clone()).unwrap();
    let obj = SharedMem::new(4, 9, Some(budget.clone())).unwrap();
    assert_eq!(budget.used_bytes(), 4 * PAGE_SIZE, "the object is charged");
    let view = |page| SharedRef { mem: obj.clone(), page };
    let anon = Backing::SharedAnon { ino: 9 };
    a.map_shared(0x10000, 0x4000, Perms::RW, anon.clone(), view(0)).unwrap();
    // A second view of pages 2..4 at another address of the same space.
    a.map_shared(0x40000, 0x2000, Perms::R, anon.clone(), view(2)).unwrap();
    assert_eq!(budget.used_bytes(), 4 * PAGE_SIZE, "mappings are not charged again");
    let mut b = a.fork_copy().unwrap();
    a.store(0x12008, 8, 0x1122_3344_5566_7788).unwrap();
    assert_eq!(a.load(0x40008, 8), Ok(0x1122_3344_5566_7788), "the other view sees it");
    assert_eq!(b.load(0x12008, 8), Ok(0x1122_3344_5566_7788), "the fork sees it");
    b.write_checked(0x10010, b"child").unwrap();
    let mut buf = [0u8; 5];
    a.read_debug(0x10010, &mut buf).unwrap();
    assert_eq!(&buf, b"child");
    obj.read(0x10, &mut buf);
    assert_eq!(&buf, b"child", "the kernel reads the object itself");
    assert_eq!(
        b.store(0x40000, 1, 1),
        Err(MemFault { addr: 0x40000, access: Access::Write, unmapped: false })
    );
    // Splitting and re-protecting keeps each part on its own pages.
    a.protect(0x11000, 0x1000, Perms::R).unwrap();
    assert_eq!(a.shared(0x13000).map(|s| s.page), Some(3));
    assert_eq!(a.load(0x12008, 8), Ok(0x1122_3344_5566_7788));
    assert_eq!(budget.used_bytes(), 4 * PAGE_SIZE);
    // Private memory next to it is charged as usual.
    a.map_fixed(0x20000, 0x1000, Perms::RW).unwrap();
    assert_eq!(budget.used_bytes(), 5 * PAGE_SIZE);
    a.unmap_shared();
    b.unmap_shared();
    assert!(a.shared(0x10000).is_none() && !a.is_mapped(0x10000));
    assert_eq!(Arc::strong_count(&obj), 1, "no mapping holds the object any more");
    drop(obj);
    assert_eq!(budget.used_bytes(), PAGE_SIZE);
}

#[test]
fn a_shared_view_must_lie_inside_its_object() {
    let mut m = space();
    let obj = SharedMem::new(2, 1, None).unwrap();
    let v = SharedRef { mem: obj, page: 1 };
    assert_eq!(m.map_shared(0x10000, 0x2000, Perms::RW, Backing::Anon, v), Err(MapError::Invalid));
    assert!(!m.is_mapped(0x10000));
}

#[test]
fn a_fork_copy_copies_every_page_whatever_its_protection() {
    let mut m = space();
    m.map_fixed(0x10000, 0x6000, Perms::RW).unwrap();
    // Data across a page boundary, then pages the host cannot write
    // (read-only, code) or read (write-only, execute-only).
    m.write_debug(0x10ff8, &[0xa5; 16]).unwrap();
    for (i, addr) in [0x11000u64, 0x12000, 0x13000, 0x14000].into_iter().enumerate() {
        m.write_debug(addr + 8, &[i as u8 + 1; 4]).unwrap();
    }
    m.protect(0x11000, 0x1000, Perms::R).unwrap();
    m.mark_code(0x12);
    m.protect(0x13000, 0x1000, Perms::W).unwrap();
    m.protect(0x14000, 0x1000, Perms::X).unwrap();
    let mut child = m.fork_copy().unwrap();
    let (mut a, mut b) = (vec![0u8; 0x6000], vec![0u8; 0x6000]);
    m.read_debug(0x10000, &mut a).unwrap();
    child.read_debug(0x10000, &mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(b[0xff8..0x1008], [0xa5; 16]);
    assert_eq!(b[0x4008..0x400c], [4; 4]);
    assert!(b[0x5000..].iter().all(|&x| x == 0), "an untouched page stays zero");
    // Both keep their protections: the parent's read-only page is still
    // refused to the guest, the child's writable page takes a store.
    assert!(m.store(0x11000, 1, 1).is_err());
    child.store(0x10000, 1, 7).unwrap();
    assert_eq!(m.load(0x10000, 1).unwrap(), 0);
    assert_eq!(child.load(0x10000, 1).unwrap(), 7);
}

#[test]
fn a_fork_copy_of_a_large_range_copies_the_written_pages_only_where_they_are() {
    let mut m = space();
    // 8 MiB, like a stack: a few pages written far apart, one written
    // back to zero, the rest never touched.
    let (base, len) = (0x100_0000u64, 0x80_0000u64);
    m.map_fixed(base, len, Perms::RW).unwrap();
    let written = [0u64, 0x1000, 0x40_0000, 0x7f_f000];
    for (i, &off) in written.iter().enumerate() {
        m.write_debug(base + off + 16, &[i as u8 + 1; 8]).unwrap();
    }
    m.write_debug(base + 0x20_0000, &[9]).unwrap();
    m.write_debug(base + 0x20_0000, &[0]).unwrap();
    let child = m.fork_copy().unwrap();
    let (mut a, mut b) = (vec![0u8; len as usize], vec![0u8; len as usize]);
    m.read_debug(base, &mut a).unwrap();
    child.read_debug(base, &mut b).unwrap();
    assert!(a == b, "the child's memory differs from its parent's");
    for (i, &off) in written.iter().enumerate() {
        let at = (off + 16) as usize;
        assert_eq!(b[at..at + 8], [i as u8 + 1; 8], "page at offset {off:#x}");
    }
}

#[test]
fn a_fill_writes_in_place_across_protections_and_refuses_unmapped_memory() {
    let mut m = space();
    m.map_fixed(0x10000, 0x2000, Perms::R).unwrap();
    let n = m
        .fill_debug(0x10ffe, 4, |b| {
            b.copy_from_slice(&[1, 2, 3, 4]);
            b.len()
        })
        .unwrap();
    assert_eq!(n, 4);
    let mut back = [0u8; 4];
    m.read_debug(0x10ffe, &mut back).unwrap();
    assert_eq!(back, [1, 2, 3, 4]);
    // Still read-only for the guest.
    assert!(m.store(0x10ffe, 1, 9).is_err());
    let mut called = false;
    assert!(m.fill_debug(0x11800, 0x1000, |_| called = true).is_err());
    assert!(!called, "nothing is filled when part of the range is unmapped");
}

/// A file of `len` bytes, byte `i` being `i * 7 + 1` (never zero at page
/// starts), as file pages and as bytes.
fn file_bytes(len: usize) -> (Arc<FilePages>, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
    (Arc::new(FilePages::new(&bytes).unwrap()), bytes)
}

/// A space with `len` bytes at 0x10000 mapped `perms` from file `f`.
fn file_space(f: &Arc<FilePages>, len: u64, perms: Perms) -> AddressSpace {
    let mut m = space();
    m.map_backed(0x10000, len, perms, Backing::Anon).unwrap();
    m.map_file_pages(0x10000, len, f, 0).unwrap();
    m
}

fn read(m: &AddressSpace, addr: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    m.read_debug(addr, &mut buf).unwrap();
    buf
}

#[test]
fn file_pages_show_the_file_from_the_offset_and_zeros_past_its_end() {
    let (f, bytes) = file_bytes(0x2800);
    let mut m = space();
    m.map_backed(0x10000, 0x4000, Perms::R, Backing::Anon).unwrap();
    assert_eq!(m.map_file_pages(0x10000, 0x4000, &f, 0x1000), Ok(0x1800));
    assert_eq!(read(&m, 0x10000, 0x1800), bytes[0x1000..]);
    // The rest of the last file page, and the pages past it, are zeros.
    assert!(read(&m, 0x11800, 0x2800).iter().all(|&b| b == 0));
    // Through the loads of the engines as well.
    assert_eq!(m.load(0x10000, 1), Ok(u64::from(bytes[0x1000])));
    // An offset inside a page cannot be mapped.
    m.map_backed(0x20000, 0x1000, Perms::R, Backing::Anon).unwrap();
    assert_eq!(m.map_file_pages(0x20000, 0x1000, &f, 0x10), Err(MapError::Invalid));
}

#[test]
fn file_pages_in_a_host_file_start_at_their_offset() {
    // A host file holding other bytes, then 0x1800 bytes of the file from
    // its second page on, then zeros to the end of their page (as an image
    // cache entry holds a long file), then more other bytes.
    let (_, bytes) = file_bytes(0x1800);
    let mut host = vec![0xeeu8; 0x1000];
    host.extend_from_slice(&bytes);
    host.resize(0x3000, 0);
    host.extend_from_slice(&[0xee; 0x1000]);
    let path = std::env::temp_dir().join(format!("bohr-file-pages-{}", std::process::id()));
    std::fs::write(&path, &host).unwrap();
    let fd: std::os::fd::OwnedFd = std::fs::File::open(&path).unwrap().into();
    let _ = std::fs::remove_file(&path);
    let f = Arc::new(FilePages::in_host_file(fd, 0x1000, 0x1800).unwrap());
    let mut m = space();
    m.map_backed(0x10000, 0x3000, Perms::RW, Backing::Anon).unwrap();
    assert_eq!(m.map_file_pages(0x10000, 0x3000, &f, 0), Ok(0x1800));
    assert_eq!(read(&m, 0x10000, 0x1800), bytes);
    assert!(read(&m, 0x11800, 0x1800).iter().all(|&b| b == 0), "zeros past the bytes");
    // From a later page of the bytes, and written privately.
    m.map_backed(0x20000, 0x1000, Perms::RW, Backing::Anon).unwrap();
    assert_eq!(m.map_file_pages(0x20000, 0x1000, &f, 0x1000), Ok(0x800));
    assert_eq!(read(&m, 0x20000, 0x800), bytes[0x1000..]);
    m.store(0x20000, 1, 0x5a).unwrap();
    assert_eq!(read(&m, 0x10000 + 0x1000, 1), [bytes[0x1000]], "the other mapping is unchanged");
    // Bytes that do not start on a page cannot be mapped so.
    let fd: std::os::fd::OwnedFd = std::fs::File::open("/dev/null").unwrap().into();
    assert!(FilePages::in_host_file(fd, 0x10, 0x100).is_err());
}

#[test]
fn file_pages_are_private_copies() {
    let (f, bytes) = file_bytes(0x2000);
    let (mut a, mut b) = (file_space(&f, 0x2000, Perms::RW), file_space(&f, 0x2000, Perms::RW));
    a.store(0x10010, 4, 0xdead_beef).unwrap();
    a.write_debug(0x11000, b"abc").unwrap();
    assert_eq!(a.load(0x10010, 4), Ok(0xdead_beef));
    assert_eq!(read(&b, 0x10000, 0x2000), bytes, "the other mapping does not see the stores");
    // A fork copies what the parent sees, stores included.
    let child = a.fork_copy().unwrap();
    assert_eq!(read(&child, 0x10000, 0x2000), read(&a, 0x10000, 0x2000));
    // Mapping the range again, or unmapping it, leaves no file bytes.
    a.map_fixed(0x10000, 0x2000, Perms::RW).unwrap();
    assert!(read(&a, 0x10000, 0x2000).iter().all(|&x| x == 0));
    b.unmap(0x10000, 0x2000).unwrap();
    b.map_fixed(0x10000, 0x1000, Perms::R).unwrap();
    assert!(read(&b, 0x10000, 0x1000).iter().all(|&x| x == 0));
}

#[test]
fn code_on_file_pages_is_tracked_like_any_code() {
    let (f, _) = file_bytes(0x1000);
    let mut m = file_space(&f, 0x1000, Perms::RWX);
    m.mark_code(0x10);
    assert_eq!(m.store(0x10020, 1, 0x55), Ok(true), "a store to translated code is seen");
    assert_eq!(m.take_code_writes(), vec![0x10]);
    assert_eq!(m.load(0x10020, 1), Ok(0x55));
}

#[test]
fn fetch_follows_every_change_of_the_mappings() {
    let mut m = space();
    m.map_fixed(0x10000, 0x1000, Perms::RX).unwrap();
    m.write_debug(0x10000, &[1, 2, 3, 4]).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(m.fetch(0x10000, &mut buf), 4);
    assert_eq!(buf, [1, 2, 3, 4]);
    // No longer executable: nothing to fetch, from the same page.
    m.protect(0x10000, 0x1000, Perms::R).unwrap();
    assert_eq!(m.fetch(0x10000, &mut buf), 0);
    m.protect(0x10000, 0x1000, Perms::RX).unwrap();
    assert_eq!(m.fetch(0x10002, &mut buf[..2]), 2);
    // Mapped anew: the new page's bytes.
    m.map_fixed(0x10000, 0x1000, Perms::RX).unwrap();
    assert_eq!(m.fetch(0x10000, &mut buf), 4);
    assert_eq!(buf, [0; 4]);
    m.unmap(0x10000, 0x1000).unwrap();
    assert_eq!(m.fetch(0x10000, &mut buf), 0);
    // Execute-only pages are fetched too (the host cannot read them as
    // they are mapped).
    m.map_fixed(0x10000, 0x1000, Perms::X).unwrap();
    assert_eq!(m.fetch(0x10ffe, &mut buf), 2, "up to the page's end");
}

#[test]
fn a_fork_copies_the_written_file_pages_and_maps_the_others() {
    let (f, bytes) = file_bytes(0x3000);
    let mut parent = file_space(&f, 0x4000, Perms::RW);
    // A page written to zeros (a copy must not take it for an untouched
    // one), a page written in part, a page only read, a page never touched.
    parent.write_debug(0x10000, &[0u8; 0x1000]).unwrap();
    parent.store(0x11010, 4, 0x1234_5678).unwrap();
    assert_eq!(parent.load(0x12000, 1), Ok(u64::from(bytes[0x2000])));
    let want = read(&parent, 0x10000, 0x4000);
    let mut child = parent.fork_copy().unwrap();
    assert_eq!(read(&child, 0x10000, 0x4000), want);
    // Each side's later stores stay its own.
    child.store(0x12000, 1, 0xaa).unwrap();
    parent.store(0x13000, 1, 0xbb).unwrap();
    assert_eq!(parent.load(0x12000, 1), Ok(u64::from(bytes[0x2000])));
    assert_eq!(child.load(0x13000, 1), Ok(0));
    assert_eq!(child.load(0x11010, 4), Ok(0x1234_5678));
}

#[test]
fn file_pages_of_part_of_a_mapping_are_one_mapping_to_the_guest() {
    let (f, _) = file_bytes(0x1800);

    let mut m = space();
    m.map_backed(0x10000, 0x4000, Perms::R, Backing::Anon).unwrap();
    let before = m.maps();
    m.map_file_pages(0x10000, 0x4000, &f, 0).unwrap();
    assert_eq!(m.maps(), before);
    assert_eq!(m.maps().len(), 1);
    // Permissions of part of it split it as they always do.
    m.protect(0x11000, 0x1000, Perms::RW).unwrap();
    assert_eq!(m.maps().len(), 3);
    m.protect(0x11000, 0x1000, Perms::R).unwrap();
    assert_eq!(m.maps(), before);
}
