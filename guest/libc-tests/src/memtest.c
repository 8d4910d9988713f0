/* Memory mappings under glibc: `memtest CASE DIR`. `maps` reads the
 * process's own /proc/self/maps and checks what Linux promises of it;
 * `remap` exercises mremap, madvise, mprotect on file mappings and brk;
 * `shared` checks that MAP_SHARED memory is shared: anonymous between a
 * parent and its children, and of a file with read, write and its other
 * mappings, in this process and in others; `othermaps` reads a child's
 * /proc/<pid>/maps.
 * Every case prints only facts that hold at any address (never an
 * address), so its output can be compared with QEMU's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* One line of /proc/self/maps. */
struct map {
	unsigned long start, end, offset, inode;
	unsigned dev_major, dev_minor;
	char perms[5];
	char path[256];
};

static struct map maps[512];
static int nmaps;
static int bad_lines;

/* Parse the maps file `path` into `maps`; counts lines that do not
 * parse. */
static void read_maps_of(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open maps: %s\n", strerror(errno));
		exit(1);
	}
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	nmaps = 0;
	bad_lines = 0;
	for (char *line = buf; *line && nmaps < 512;) {
		char *nl = strchr(line, '\n');
		if (!nl) {
			bad_lines++;
			break;
		}
		*nl = 0;
		struct map *m = &maps[nmaps];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu%n", &m->start, &m->end, m->perms,
			   &m->offset, &m->dev_major, &m->dev_minor, &m->inode, &pos) != 7) {
			bad_lines++;
		} else {
			const char *p = line + pos;
			while (*p == ' ')
				p++;
			snprintf(m->path, sizeof m->path, "%s", p);
			nmaps++;
		}
		line = nl + 1;
	}
}

static void read_maps(void)
{
	read_maps_of("/proc/self/maps");
}

static struct map *find(const void *addr)
{
	unsigned long a = (unsigned long)(uintptr_t)addr;
	for (int i = 0; i < nmaps; i++)
		if (maps[i].start <= a && a < maps[i].end)
			return &maps[i];
	return NULL;
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void describe(const char *what, const void *addr)
{
	struct map *m = find(addr);
	if (!m) {
		printf("%s: not listed\n", what);
		return;
	}
	printf("%s: %s offset %08lx %s\n", what, m->perms, m->offset,
	       m->path[0] ? base(m->path) : "(anonymous)");
}

static int make_file(const char *dir, const char *name, char *path, size_t pages)
{
	snprintf(path, 256, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("create %s: %s\n", name, strerror(errno));
		exit(1);
	}
	char page[4096];
	for (size_t i = 0; i < pages; i++) {
		memset(page, 'A' + (int)i, sizeof page);
		if (write(fd, page, sizeof page) != (ssize_t)sizeof page) {
			printf("write %s: %s\n", name, strerror(errno));
			exit(1);
		}
	}
	return fd;
}

static int case_maps(const char *dir)
{
	char path[256];
	int fd = make_file(dir, "maps-file", path, 3);
	char *file = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
	char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (file == MAP_FAILED || anon == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	anon[0] = 1;
	/* Past the first brk page, so glibc's own heap use does not matter. */
	char *heap = sbrk(1 << 20);
	if (heap == (void *)-1) {
		printf("sbrk: %s\n", strerror(errno));
		return 1;
	}
	heap[0] = 1;
	int local = 0;
	char exe[256] = "";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	read_maps();

	printf("lines: %s\n", nmaps > 4 && !bad_lines ? "all parse" : "some do not parse");
	int sorted = 1;
	for (int i = 1; i < nmaps; i++)
		if (maps[i].start < maps[i - 1].end || maps[i].start >= maps[i].end)
			sorted = 0;
	printf("order: %s\n", sorted ? "ascending, disjoint" : "overlapping or unsorted");
	int aligned = 1;
	for (int i = 0; i < nmaps; i++)
		if ((maps[i].start | maps[i].end) & 4095)
			aligned = 0;
	printf("bounds: %s\n", aligned ? "page-aligned" : "unaligned");

	struct map *text = find((void *)&case_maps);
	printf("own text: %s, %s\n", text ? text->perms : "none",
	       text && !strcmp(text->path, exe) ? "path of /proc/self/exe" : "another path");
	describe("text of printf", (void *)&printf);
	if (getauxval(AT_BASE))
		describe("interpreter at AT_BASE", (void *)getauxval(AT_BASE));
	else
		puts("interpreter at AT_BASE: none");

	struct map *f = find(file);
	printf("file mapping: %s offset %08lx %s, %s\n", f ? f->perms : "none", f ? f->offset : 0,
	       f && !strcmp(f->path, path) ? "its path" : "another path",
	       f && f->inode != 0 ? "an inode" : "no inode");
	printf("file mapping spans: %s\n",
	       f && f->start == (unsigned long)(uintptr_t)file &&
			       f->end == (unsigned long)(uintptr_t)file + 8192
		       ? "exactly its pages"
		       : "other pages");
	struct map *a = find(anon);
	printf("anonymous mapping: %s offset %08lx %02x:%02x %lu %s\n", a ? a->perms : "none",
	       a ? a->offset : 1, a ? a->dev_major : 1, a ? a->dev_minor : 1, a ? a->inode : 1,
	       a && !a->path[0] ? "no path" : "a path");
	/* A middle page made read-only splits the mapping in three. */
	mprotect(anon + 4096, 4096, PROT_READ);
	read_maps();
	struct map *mid = find(anon + 4096);
	printf("after mprotect: %s, then %s\n", mid ? mid->perms : "none",
	       find(anon + 8192) ? find(anon + 8192)->perms : "none");
	printf("split: %s\n", mid && mid->start == (unsigned long)(uintptr_t)(anon + 4096) &&
					       mid->end == (unsigned long)(uintptr_t)(anon + 8192)
				      ? "one page"
				      : "not split");

	struct map *h = find(heap);
	printf("heap: %s %s\n", h ? h->perms : "none", h ? h->path : "");
	struct map *s = find(&local);
	printf("stack: %s %s\n", s ? s->perms : "none", s ? s->path : "");

	munmap(file, 8192);
	read_maps();
	printf("after munmap: %s\n", find(file) ? "still listed" : "gone");

	/* /proc/<pid>/maps is the same file. */
	char other[64];
	snprintf(other, sizeof other, "/proc/%d/maps", (int)getpid());
	int pfd = open(other, O_RDONLY);
	printf("/proc/<pid>/maps: %s\n", pfd >= 0 ? "opens" : strerror(errno));
	if (pfd >= 0)
		close(pfd);
	close(fd);
	unlink(path);
	return 0;
}

static int case_remap(const char *dir)
{
	long pg = 4096;
	/* Grow, keeping the contents; shrink; move to a fixed place. */
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'x', 2 * pg);
	/* A guard page after it forces a move when it grows. */
	char *guard = mmap(p + 2 * pg, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	char *q = mremap(p, 2 * pg, 8 * pg, 0);
	printf("grow without MAYMOVE: %s\n", q == MAP_FAILED ? strerror(errno) : "grew");
	q = mremap(p, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
	printf("grow with MAYMOVE: %s, moved %s, contents %s, new pages %s\n",
	       q == MAP_FAILED ? strerror(errno) : "ok", q != p ? "yes" : "no",
	       q != MAP_FAILED && q[0] == 'x' && q[2 * pg - 1] == 'x' ? "kept" : "lost",
	       q != MAP_FAILED && q[2 * pg] == 0 && q[8 * pg - 1] == 0 ? "zero" : "not zero");
	volatile char *old = p;
	(void)old;
	q[0] = 'y';
	char *r = mremap(q, 8 * pg, 3 * pg, 0);
	printf("shrink: %s\n", r == q ? "in place" : "moved");
	char *target = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *f = mremap(r, 3 * pg, 4 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	printf("MREMAP_FIXED: %s, at target %s, contents %s\n", f == MAP_FAILED ? strerror(errno) : "ok",
	       f == target ? "yes" : "no", f != MAP_FAILED && f[0] == 'y' && f[pg] == 'x' ? "kept" : "lost");
	errno = 0;
	char *e = mremap(target, pg, 2 * pg, MREMAP_FIXED, target + 8 * pg);
	printf("MREMAP_FIXED without MAYMOVE: %s\n", e == MAP_FAILED ? strerror(errno) : "accepted");
	e = mremap(f, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, f);
	printf("MREMAP_FIXED onto itself: %s\n", e == MAP_FAILED ? strerror(errno) : "accepted");
	munmap(guard, pg);
	munmap(f, 4 * pg);
	e = mremap(f, pg, 2 * pg, MREMAP_MAYMOVE);
	printf("mremap of unmapped memory: %s\n", e == MAP_FAILED ? strerror(errno) : "accepted");
	e = mremap(f + 1, pg, 2 * pg, MREMAP_MAYMOVE);
	printf("mremap of an unaligned address: %s\n", e == MAP_FAILED ? strerror(errno) : "accepted");

	/* madvise(MADV_DONTNEED): private anonymous pages read back as zero,
	 * private file pages as the file's bytes again. */
	char path[256];
	int fd = make_file(dir, "remap-file", path, 2);
	char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(a, 'z', 2 * pg);
	int rc = madvise(a, pg, MADV_DONTNEED);
	printf("DONTNEED anonymous: %d, first page %s, second page %s\n", rc,
	       a[0] == 0 && a[pg - 1] == 0 ? "zero" : "kept", a[pg] == 'z' ? "kept" : "changed");
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	m[0] = 'q';
	m[pg] = 'r';
	rc = madvise(m, 2 * pg, MADV_DONTNEED);
	printf("DONTNEED private file: %d, pages read %c %c\n", rc, m[0], m[pg]);
	rc = madvise(a, pg, MADV_WILLNEED);
	printf("WILLNEED: %d\n", rc);
	rc = madvise(a + 1, pg, MADV_DONTNEED);
	printf("unaligned madvise: %s\n", rc ? strerror(errno) : "accepted");

	/* mprotect of a private file mapping: writable, the file unchanged. */
	char *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
	rc = mprotect(ro, pg, PROT_READ | PROT_WRITE);
	ro[0] = 'w';
	char byte = 0;
	pread(fd, &byte, 1, pg);
	printf("mprotect file mapping writable: %d, mapping %c, file %c\n", rc, ro[0], byte);
	rc = mprotect(ro, pg, PROT_READ);
	printf("back to read-only: %d, still %c\n", rc, ro[0]);
	char *hole = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole + pg, pg);
	rc = mprotect(hole, 2 * pg, PROT_READ | PROT_WRITE);
	printf("mprotect over unmapped pages: %s\n", rc ? strerror(errno) : "accepted");
	rc = mprotect(ro + 1, pg, PROT_READ);
	printf("mprotect unaligned: %s\n", rc ? strerror(errno) : "accepted");
	char *beyond = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("page past the end of the file: mapped %s\n", beyond == MAP_FAILED ? "no" : "yes");
	printf("last file byte %c\n", beyond[2 * pg - 1]);

	/* brk: the break moves in any amount, shrinking frees the pages,
	 * growing again gives zeros, and a break below the start is refused. */
	char *b0 = sbrk(0);
	/* From a page boundary, so no byte of an old page is involved. */
	if ((uintptr_t)b0 & (pg - 1))
		b0 = (char *)sbrk(pg - ((uintptr_t)b0 & (pg - 1))) + (pg - ((uintptr_t)b0 & (pg - 1)));
	char *b1 = sbrk(3 * pg + 5);
	printf("sbrk grow: %s\n", b1 == b0 ? "returns the old break" : "other");
	printf("unaligned break: %s\n", sbrk(0) == b0 + 3 * pg + 5 ? "kept exactly" : "rounded");
	memset(b0, 'h', 3 * pg + 5);
	sbrk(-(3 * pg + 5));
	sbrk(2 * pg);
	printf("regrown break reads %s\n", b0[0] == 0 && b0[pg] == 0 ? "zeros" : "old bytes");
	long now = (long)(uintptr_t)sbrk(0);
	printf("brk below the program: %s\n",
	       syscall(SYS_brk, 4096L) == now ? "returns the break unchanged" : "moved it");
	printf("brk(0): %s\n", syscall(SYS_brk, 0L) == now ? "returns the break" : "other");
	close(fd);
	unlink(path);
	return 0;
}

/* Read one byte from `fd` (a handshake); exits on end of file. */
static void await_turn(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		_exit(3);
}

static void give_turn(int fd)
{
	if (write(fd, "t", 1) != 1)
		_exit(4);
}

static void reap(const char *what)
{
	int status;
	if (wait(&status) < 0)
		printf("%s: wait: %s\n", what, strerror(errno));
	else
		printf("%s: status %04x\n", what, status);
}

/* `len` bytes of the file at `off`, through pread, as text. */
static void show_pread(const char *what, int fd, off_t off, size_t len)
{
	char buf[64] = { 0 };
	ssize_t n = pread(fd, buf, len, off);
	printf("%s: %zd [%.*s]\n", what, n, n > 0 ? (int)n : 0, buf);
}

static int case_shared(const char *dir)
{
	/* A counter in shared anonymous memory, stepped in turn by the
	 * parent (+10) and the child (+1) with a pipe handshake. */
	volatile int *counter =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *mine =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED || mine == MAP_FAILED) {
		printf("mmap anonymous: %s\n", strerror(errno));
		return 1;
	}
	*counter = 0;
	*mine = 1;
	int down[2], up[2];
	if (pipe(down) || pipe(up)) {
		printf("pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			await_turn(down[0]);
			*counter += 1;
			give_turn(up[1]);
		}
		*mine = 2;
		_exit(0);
	}
	for (int i = 0; i < 5; i++) {
		*counter += 10;
		give_turn(down[1]);
		await_turn(up[0]);
		printf("round %d: counter %d\n", i, *counter);
	}
	reap("counter child");
	printf("after the child: shared %d, private %d\n", *counter, *mine);
	close(down[0]), close(down[1]), close(up[0]), close(up[1]);

	/* A shared file mapping, two pages of 'A' and 'B'. */
	char path[256];
	int fd = make_file(dir, "shared-file", path, 2);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *second = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	if (m == MAP_FAILED || second == MAP_FAILED) {
		printf("mmap file: %s\n", strerror(errno));
		return 1;
	}
	memcpy(m + 100, "stored in the mapping", 21);
	show_pread("pread after a store", fd, 100, 21);
	if (pwrite(fd, "pwritten", 8, 5000) != 8)
		printf("pwrite: %s\n", strerror(errno));
	printf("mapping after pwrite: [%.8s]\n", m + 5000);
	printf("second mapping after pwrite: [%.8s]\n", second + 5000 - 4096);
	lseek(fd, 200, SEEK_SET);
	if (write(fd, "by write", 8) != 8)
		printf("write: %s\n", strerror(errno));
	printf("mapping after write: [%.8s]\n", m + 200);
	m[4096 + 10] = 'Z';
	printf("second mapping sees a store: %c\n", second[10]);
	/* A private mapping holds the file's bytes of the time of the call
	 * here (Linux's shows later changes of pages it has not written). */
	char *copy = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (copy == MAP_FAILED) {
		printf("mmap private: %s\n", strerror(errno));
		return 1;
	}
	copy[100] = 'x';
	printf("private copy: [%.10s], its store stays: file has %c\n", copy + 100,
	       m[100]);
	show_pread("pread after a private store", fd, 100, 1);
	printf("msync: %d\n", msync(m, 8192, MS_SYNC));
	errno = 0;
	int r = msync(m, 4096, MS_SYNC | MS_ASYNC);
	printf("msync MS_SYNC|MS_ASYNC: %d %s\n", r, strerror(errno));

	/* The mapping survives a fork shared, and another process mapping
	 * the file sees and makes the same bytes. */
	pid = fork();
	if (pid == 0) {
		memcpy(m + 300, "inherited", 9);
		int cfd = open(path, O_RDWR);
		char *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(5);
		memcpy(c + 400, "child mapping", 13);
		_exit(c[100] == 's' && c[200] == 'b' ? 0 : 6);
	}
	reap("file child");
	printf("after the file child: [%.9s] [%.13s]\n", m + 300, m + 400);
	show_pread("pread of the child's store", fd, 400, 13);

	/* Truncation drops the pages past the end: grown again, they read
	 * zeros. */
	if (ftruncate(fd, 4096) || ftruncate(fd, 8192))
		printf("ftruncate: %s\n", strerror(errno));
	printf("after truncate and grow: mapping %d, second %d\n", m[5000], second[904]);
	show_pread("pread after truncate and grow", fd, 5000, 4);

	/* Unmapped, the stores are in the file. */
	munmap(m, 8192);
	munmap(second, 4096);
	munmap(copy, 4096);
	close(fd);
	fd = open(path, O_RDONLY);
	show_pread("reopened", fd, 100, 21);
	show_pread("reopened, the child's", fd, 400, 13);
	errno = 0;
	void *bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("writable shared map of a read-only descriptor: %s\n",
	       bad == MAP_FAILED ? strerror(errno) : "mapped");
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("read-only shared map: %s [%.8s]\n", ro == MAP_FAILED ? strerror(errno) : "mapped",
	       ro == MAP_FAILED ? "" : ro + 200);
	close(fd);
	unlink(path);
	return 0;
}

/* A child's mappings through /proc/<pid>/maps (qemu-user shows its own
 * host mappings there, so this case is checked against Linux's rules). */
static int case_othermaps(const char *dir)
{
	char path[256];
	int fd = make_file(dir, "other-map", path, 3);
	int ready[2], done[2];
	if (pipe(ready) || pipe(done)) {
		printf("pipe: %s\n", strerror(errno));
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char *addrs[2];
		addrs[0] = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
		addrs[1] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		if (addrs[0] == MAP_FAILED || addrs[1] == MAP_FAILED)
			_exit(5);
		if (write(ready[1], addrs, sizeof addrs) != sizeof addrs)
			_exit(6);
		await_turn(done[0]);
		_exit(0);
	}
	char *addrs[2];
	if (read(ready[0], addrs, sizeof addrs) != sizeof addrs) {
		printf("the child sent no addresses\n");
		return 1;
	}
	char procpath[64];
	snprintf(procpath, sizeof procpath, "/proc/%d/maps", (int)pid);
	read_maps_of(procpath);
	printf("child's lines that do not parse: %d\n", bad_lines);
	describe("child's shared mapping", addrs[0]);
	describe("child's private mapping", addrs[1]);
	read_maps();
	describe("here, the child's shared address", addrs[0]);
	give_turn(done[1]);
	reap("child");
	errno = 0;
	int gone = open(procpath, O_RDONLY);
	printf("maps of the reaped child: %s\n", gone < 0 ? strerror(errno) : "still there");
	close(fd);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	/* Line by line, so a crash shows how far the case got. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: memtest maps|remap|shared|othermaps DIR\n");
		return 2;
	}
	if (!strcmp(argv[1], "maps"))
		return case_maps(argv[2]);
	if (!strcmp(argv[1], "remap"))
		return case_remap(argv[2]);
	if (!strcmp(argv[1], "shared"))
		return case_shared(argv[2]);
	if (!strcmp(argv[1], "othermaps"))
		return case_othermaps(argv[2]);
	fprintf(stderr, "memtest: unknown case %s\n", argv[1]);
	return 2;
}
