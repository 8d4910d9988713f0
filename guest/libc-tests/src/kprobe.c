/* kprobe DIR: a freestanding probe of the kernel's file, path and process
 * calls, built on Bohr's guest libc (no C library, no floating point), so
 * it runs on every arch today. It prints only host-independent facts, to be
 * compared with qemu-user. Everything it creates lives under DIR/kp. */
#include "libc.h"
#include <asm/unistd.h>
#include <asm/termbits.h>
#include <asm/ioctls.h>
#include <linux/fcntl.h>
#include <linux/poll.h>
#include <linux/stat.h>
#include <asm/signal.h>

#define SYS(n, a, b, c, d, e, f) __sys(__NR_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static char base[256];

static const char *at(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ & 3];
	size_t n = strlen(base);
	memcpy(p, base, n);
	p[n] = '/';
	memcpy(p + n + 1, name, strlen(name) + 1);
	return p;
}

static void show(const char *what, long r)
{
	out_puts(what);
	out_puts(": ");
	if (r < 0)
		out_puts(errname(r));
	else
		o_i64(&out_stdout, r);
	out_putc('\n');
}

static const char *kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "dir";
	case S_IFREG: return "reg";
	case S_IFLNK: return "lnk";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chr";
	}
	return "other";
}

static void statx_show(const char *what, const char *path, int flags)
{
	struct statx sx;
	long r = SYS(statx, AT_FDCWD, path, flags, STATX_BASIC_STATS, &sx, 0);
	out_puts(what);
	out_puts(": ");
	if (r < 0) {
		out_puts(errname(r));
	} else {
		out_puts(kind(sx.stx_mode));
		out_puts(" size=");
		o_u64(&out_stdout, (sx.stx_mode & S_IFMT) == S_IFDIR ? 0 : sx.stx_size);
		out_puts(" perm=");
		o_hex(&out_stdout, sx.stx_mode & 07777, 4);
	}
	out_putc('\n');
}

static void read_show(const char *what, const char *path)
{
	char buf[64];
	long fd = SYS(openat, AT_FDCWD, path, O_RDONLY, 0, 0, 0);
	out_puts(what);
	out_puts(": ");
	if (fd < 0) {
		out_puts(errname(fd));
	} else {
		long n = SYS(read, fd, buf, sizeof buf, 0, 0, 0);
		if (n >= 0)
			out_write(buf, n);
		else
			out_puts(errname(n));
		SYS(close, fd, 0, 0, 0, 0, 0);
	}
	out_putc('\n');
}

/* Names in a directory, sorted, without . and .. */
static void list(const char *path)
{
	char buf[2048], names[16][64];
	int count = 0;
	long fd = SYS(openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, 0, 0);
	if (fd < 0) {
		show("opendir", fd);
		return;
	}
	for (;;) {
		long n = SYS(getdents64, fd, buf, sizeof buf, 0, 0, 0);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, 2);
			const char *name = buf + off + 19;
			if (strcmp(name, ".") && strcmp(name, "..") && count < 16) {
				size_t len = strlen(name);
				memcpy(names[count], name, len + 1);
				count++;
			}
			off += reclen;
		}
	}
	SYS(close, fd, 0, 0, 0, 0, 0);
	for (int i = 1; i < count; i++)
		for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[64];
			memcpy(t, names[j], 64);
			memcpy(names[j], names[j - 1], 64);
			memcpy(names[j - 1], t, 64);
		}
	out_puts("entries:");
	for (int i = 0; i < count; i++) {
		out_putc(' ');
		out_puts(names[i]);
	}
	out_putc('\n');
}

static void files(void)
{
	show("mkdir", SYS(mkdirat, AT_FDCWD, base, 0755, 0, 0, 0));
	show("mkdir again", SYS(mkdirat, AT_FDCWD, base, 0755, 0, 0, 0));
	long fd = SYS(openat, AT_FDCWD, at("f"), O_WRONLY | O_CREAT | O_TRUNC, 0640, 0, 0);
	show("create", fd < 0 ? fd : 0);
	show("write", SYS(write, fd, "data", 4, 0, 0, 0));
	show("ftruncate", SYS(ftruncate, fd, 6, 0, 0, 0, 0));
	show("fsync", SYS(fsync, fd, 0, 0, 0, 0, 0));
	SYS(close, fd, 0, 0, 0, 0, 0);
	show("excl", SYS(openat, AT_FDCWD, at("f"), O_WRONLY | O_CREAT | O_EXCL, 0600, 0, 0));
	show("symlink", SYS(symlinkat, "f", AT_FDCWD, at("l"), 0, 0, 0));
	show("symlink2", SYS(symlinkat, "l", AT_FDCWD, at("l2"), 0, 0, 0));
	show("loop", SYS(symlinkat, "loop", AT_FDCWD, at("loop"), 0, 0, 0));
	char t[64];
	long n = SYS(readlinkat, AT_FDCWD, at("l2"), t, sizeof t, 0, 0);
	show("readlink", n);
	if (n > 0) {
		out_write(t, n);
		out_putc('\n');
	}
	show("readlink of a file", SYS(readlinkat, AT_FDCWD, at("f"), t, sizeof t, 0, 0));
	read_show("read through two links", at("l2"));
	read_show("open a loop", at("loop"));
	show("open nofollow", SYS(openat, AT_FDCWD, at("l"), O_RDONLY | O_NOFOLLOW, 0, 0, 0));
	statx_show("statx l2", at("l2"), 0);
	statx_show("statx l2 nofollow", at("l2"), AT_SYMLINK_NOFOLLOW);
	statx_show("statx dir", base, 0);
	statx_show("statx through a file", at("f/x"), 0);
	show("chmod", SYS(fchmodat, AT_FDCWD, at("f"), 0600, 0, 0, 0));
	statx_show("statx after chmod", at("f"), 0);
	show("access", SYS(faccessat, AT_FDCWD, at("l"), 4, 0, 0, 0));
	show("access x", SYS(faccessat, AT_FDCWD, at("f"), 1, 0, 0, 0));
	list(base);
	show("rename", SYS(renameat2, AT_FDCWD, at("f"), AT_FDCWD, at("g"), 0, 0));
	read_show("dangling", at("l"));
	read_show("renamed", at("g"));
	show("noreplace", SYS(renameat2, AT_FDCWD, at("g"), AT_FDCWD, at("l"), 1, 0));
	show("link", SYS(linkat, AT_FDCWD, at("g"), AT_FDCWD, at("h"), 0, 0));
	read_show("hard link", at("h"));
	show("mkdir sub", SYS(mkdirat, AT_FDCWD, at("sub"), 0700, 0, 0, 0));
	show("rmdir non-empty", SYS(unlinkat, AT_FDCWD, base, AT_REMOVEDIR, 0, 0, 0));
	list(base);
	show("chdir", SYS(chdir, at("sub"), 0, 0, 0, 0, 0));
	char cwd[512];
	long c = SYS(getcwd, cwd, sizeof cwd, 0, 0, 0, 0);
	out_puts("cwd ends in /kp/sub: ");
	out_puts(c > 7 && !strcmp(cwd + c - 8, "/kp/sub") ? "yes\n" : "no\n");
	read_show("relative dotdot", "../g");
	show("chdir back", SYS(chdir, "/", 0, 0, 0, 0, 0));
	static const char *names[] = { "g", "h", "l", "l2", "loop" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		show("unlink", SYS(unlinkat, AT_FDCWD, at(names[i]), 0, 0, 0, 0));
	show("unlink a dir", SYS(unlinkat, AT_FDCWD, at("sub"), 0, 0, 0, 0));
	show("rmdir sub", SYS(unlinkat, AT_FDCWD, at("sub"), AT_REMOVEDIR, 0, 0, 0));
	show("rmdir", SYS(unlinkat, AT_FDCWD, base, AT_REMOVEDIR, 0, 0, 0));
	show("access gone", SYS(faccessat, AT_FDCWD, base, 0, 0, 0, 0));
}

static void pipes(void)
{
	int p[2];
	show("pipe2", SYS(pipe2, p, 0, 0, 0, 0, 0));
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	struct { long sec, nsec; } zero = { 0, 0 };
	show("ppoll empty", SYS(ppoll, &pf, 1, &zero, 0, 8, 0));
	SYS(write, p[1], "abc", 3, 0, 0, 0);
	show("ppoll data", SYS(ppoll, &pf, 1, &zero, 0, 8, 0));
	show("revents", pf.revents);
	int avail = -1;
	show("fionread", SYS(ioctl, p[0], FIONREAD, &avail, 0, 0, 0));
	show("available", avail);
	show("tcgets on a pipe", SYS(ioctl, p[0], TCGETS, base, 0, 0, 0));
	show("dup3", SYS(dup3, p[0], 10, 0, 0, 0, 0));
	show("close write end", SYS(close, p[1], 0, 0, 0, 0, 0));
	pf.revents = 0;
	show("ppoll hangup", SYS(ppoll, &pf, 1, &zero, 0, 8, 0));
	show("revents", pf.revents);
	char buf[8];
	show("read", SYS(read, 10, buf, sizeof buf, 0, 0, 0));
	show("read eof", SYS(read, 10, buf, sizeof buf, 0, 0, 0));
	show("fcntl getfl", SYS(fcntl, p[0], F_GETFL, 0, 0, 0, 0) & 3);
	/* Whoever runs the probe reads its stdout through a pipe, and a C
	 * library buffers by what fstat and TCGETS say of it. */
	struct statx sx;
	long r = SYS(statx, 1, "", AT_EMPTY_PATH, STATX_TYPE, &sx, 0);
	out_puts("stdout: ");
	out_puts(r < 0 ? errname(r) : kind(sx.stx_mode));
	out_putc('\n');
	char tio[128];
	show("tcgets on stdout", SYS(ioctl, 1, TCGETS, tio, 0, 0, 0));
}

static void self(const char *argv0)
{
	char exe[512];
	long n = SYS(readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof exe - 1, 0, 0);
	if (n < 0) {
		show("/proc/self/exe", n);
		return;
	}
	exe[n] = 0;
	const char *a = strchr(argv0, '/') ? argv0 + strlen(argv0) : argv0;
	while (a > argv0 && a[-1] != '/')
		a--;
	const char *e = exe + n;
	while (e > exe && e[-1] != '/')
		e--;
	out_puts("exe basename matches: ");
	out_puts(strcmp(a, e) ? "no\n" : "yes\n");
	char rnd[16];
	show("getrandom", SYS(getrandom, rnd, sizeof rnd, 0, 0, 0, 0));
	show("getppid positive", SYS(getppid, 0, 0, 0, 0, 0, 0) > 0);
	show("setsid", SYS(setsid, 0, 0, 0, 0, 0, 0) > 0);
	show("getsid is pid", SYS(getsid, 0, 0, 0, 0, 0, 0) == SYS(getpid, 0, 0, 0, 0, 0, 0));
	show("rseq", SYS(rseq, 0, 0, 0, 0, 0, 0) == -38 || SYS(rseq, 0, 0, 0, 0, 0, 0) == -89 ? 0 : 1);
}

static void report_wait(const char *what, long pid, long r, int status)
{
	out_puts(what);
	out_puts(": ");
	if (r < 0) {
		out_puts(errname(r));
	} else {
		out_puts(r == pid ? "the child" : "another pid");
		out_puts(", status ");
		o_hex(&out_stdout, (unsigned)status, 4);
	}
	out_putc('\n');
}

/* fork through clone, a pipe from the child, wait4 and waitid. */
static void procs(void)
{
	int p[2];
	SYS(pipe2, p, 0, 0, 0, 0, 0);
	o_flush(&out_stdout);
	long pid = SYS(clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0) {
		SYS(close, p[0], 0, 0, 0, 0, 0);
		SYS(write, p[1], "from the child", 14, 0, 0, 0);
		SYS(exit_group, 5, 0, 0, 0, 0, 0);
	}
	show("fork", pid > 0);
	SYS(close, p[1], 0, 0, 0, 0, 0);
	char buf[32];
	long n, total = 0;
	while ((n = SYS(read, p[0], buf + total, sizeof buf - total, 0, 0, 0)) > 0)
		total += n;
	out_write(buf, total);
	out_putc('\n');
	int status = 0;
	report_wait("wait4", pid, SYS(wait4, pid, &status, 0, 0, 0, 0), status);
	report_wait("wait4 again", pid, SYS(wait4, -1, &status, 0, 0, 0, 0), status);
	pid = SYS(clone, SIGCHLD, 0, 0, 0, 0, 0);
	if (pid == 0)
		SYS(kill, SYS(getpid, 0, 0, 0, 0, 0, 0), 9, 0, 0, 0, 0);
	int info[32];
	memset(info, 0, sizeof info);
	long r = SYS(waitid, 1 /* P_PID */, pid, info, 4 /* WEXITED */, 0, 0);
	show("waitid", r);
	show("waitid signo is SIGCHLD", info[0] == SIGCHLD);
	show("waitid nohang, none left", SYS(waitid, 0, 0, info, 5, 0, 0));
}

/* execve of this program and of a "#!" script that names it (Bohr only:
 * qemu-user cannot exec a foreign binary without binfmt_misc). */
static void exec_demo(const char *self, const char *dir)
{
	char script[512];
	size_t n = strlen(dir);
	memcpy(script, dir, n);
	memcpy(script + n, "/kp-script", 11);
	long fd = SYS(openat, AT_FDCWD, script, O_WRONLY | O_CREAT | O_TRUNC, 0755, 0, 0);
	o_puts(&out_stdout, "");
	char line[600];
	size_t l = 0;
	memcpy(line, "#!", 2);
	l = 2;
	memcpy(line + l, self, strlen(self));
	l += strlen(self);
	memcpy(line + l, " --child\n", 9);
	l += 9;
	SYS(write, fd, line, l, 0, 0, 0);
	SYS(close, fd, 0, 0, 0, 0, 0);
	const char *targets[] = { self, script };
	for (int i = 0; i < 2; i++) {
		o_flush(&out_stdout);
		long pid = SYS(clone, SIGCHLD, 0, 0, 0, 0, 0);
		if (pid == 0) {
			char *args[] = { (char *)targets[i], (char *)"--child", (char *)"x y", 0 };
			char *env[] = { (char *)"K=V", 0 };
			long e = SYS(execve, targets[i], args, env, 0, 0, 0);
			show("execve failed", e);
			o_flush(&out_stdout);
			SYS(exit_group, 127, 0, 0, 0, 0, 0);
		}
		int status = 0;
		report_wait(i ? "script" : "execve", pid, SYS(wait4, pid, &status, 0, 0, 0, 0), status);
	}
	show("exec of a directory", SYS(execve, dir, 0, 0, 0, 0, 0));
	SYS(unlinkat, AT_FDCWD, script, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child")) {
		out_puts("child argv:");
		for (int i = 1; i < argc; i++) {
			out_puts(" [");
			out_puts(argv[i]);
			out_putc(']');
		}
		out_putc('\n');
		return 9;
	}
	if (argc > 2 && !strcmp(argv[1], "--exec")) {
		exec_demo(argv[0], argv[2]);
		return 0;
	}
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	size_t n = strlen(dir);
	if (n + 4 > sizeof base)
		return 2;
	memcpy(base, dir, n);
	memcpy(base + n, "/kp", 4);
	files();
	pipes();
	self(argv[0]);
	procs();
	return 0;
}
