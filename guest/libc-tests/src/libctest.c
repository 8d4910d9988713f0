/* One multi-call glibc test program: argv[1] names the case, so each arch
 * needs one static and one dynamic binary. Every case prints only what is
 * the same on any host, so its output can be compared with QEMU's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* This program's path, argv[0]. */
static const char *self;

/* stdio: formatted output through a buffered stdout, argv and exit status. */

static int case_hello(int argc, char **argv)
{
	printf("hello from glibc, argc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=%s len=%zu\n", i, argv[i], strlen(argv[i]));
	fprintf(stderr, "to stderr %d\n", 42);
	puts("done");
	return 3;
}

/* malloc of large blocks: glibc serves them with mmap and frees them with
 * munmap; small ones grow the heap with brk. */

static int case_bigmalloc(void)
{
	unsigned long sum = 0;
	for (int round = 0; round < 4; round++) {
		size_t n = (size_t)(1 + round) << 20;
		unsigned char *p = malloc(n);
		if (!p) {
			puts("malloc failed");
			return 1;
		}
		memset(p, round + 1, n);
		for (size_t i = 0; i < n; i += 4096)
			sum += p[i];
		free(p);
	}
	char *small[64];
	for (int i = 0; i < 64; i++) {
		small[i] = malloc(100 + i * 37);
		memset(small[i], 'a' + i % 26, 100 + i * 37);
	}
	for (int i = 0; i < 64; i++) {
		sum += (unsigned char)small[i][99];
		free(small[i]);
	}
	char *r = NULL;
	for (int i = 1; i <= 20; i++) {
		r = realloc(r, (size_t)i << 16);
		r[((size_t)i << 16) - 1] = (char)i;
		sum += (unsigned char)r[((size_t)i << 16) - 1];
	}
	free(r);
	printf("sum=%lu\n", sum);
	return 0;
}

/* Files and directories under DIR (argv[1], default /tmp): create, write,
 * read back, list a directory with getdents64 (through readdir) in sorted
 * order, symlinks, unlink, rmdir. */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int case_dirs(int argc, char **argv)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/bohr-libc-dirs", argc > 1 ? argv[1] : "/tmp");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		printf("mkdir: %s\n", strerror(errno));
		return 1;
	}
	static const char *names[] = { "zeta", "alpha", "mid" };
	char path[1024];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		if (!f) {
			printf("fopen %s: %s\n", names[i], strerror(errno));
			return 1;
		}
		fprintf(f, "file %s %d\n", names[i], i);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/link", dir);
	if (symlink("alpha", path) != 0)
		printf("symlink: %s\n", strerror(errno));
	char target[64];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n >= 0) {
		target[n] = 0;
		printf("readlink -> %s\n", target);
	} else {
		printf("readlink: %s\n", strerror(errno));
	}
	FILE *f = fopen(path, "r");
	if (f) {
		char line[64];
		if (fgets(line, sizeof line, f))
			printf("through link: %s", line);
		fclose(f);
	}
	struct stat st, lst;
	if (stat(path, &st) == 0 && lstat(path, &lst) == 0)
		printf("stat: reg=%d size=%lld; lstat: lnk=%d\n", S_ISREG(st.st_mode),
		       (long long)st.st_size, S_ISLNK(lst.st_mode));
	DIR *d = opendir(dir);
	if (!d) {
		printf("opendir: %s\n", strerror(errno));
		return 1;
	}
	char *seen[16];
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) && count < 16) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			seen[count++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(seen, count, sizeof seen[0], cmp_names);
	for (int i = 0; i < count; i++)
		printf("entry %s\n", seen[i]);
	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, seen[i]);
		if (unlink(path) != 0)
			printf("unlink %s: %s\n", seen[i], strerror(errno));
	}
	if (rmdir(dir) != 0)
		printf("rmdir: %s\n", strerror(errno));
	printf("after rmdir: %s\n", access(dir, F_OK) == 0 ? "exists" : "gone");
	return 0;
}

/* /proc/self/exe names the running program; dup2 redirects stdout into a
 * file under DIR (argv[1], default /tmp), which is then read back. */

static int case_selfexe(int argc, char **argv)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	exe[n] = 0;
	const char *base = strrchr(exe, '/');
	const char *abase = strrchr(self, '/');
	printf("exe basename matches argv[0]: %s\n",
	       strcmp(base ? base + 1 : exe, abase ? abase + 1 : self) == 0 ? "yes" : "no");
	fflush(stdout);
	int saved = dup(1);
	char file[512];
	snprintf(file, sizeof file, "%s/bohr-libc-dup2", argc > 1 ? argv[1] : "/tmp");
	int fd = open(file, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	dup2(fd, 1);
	printf("this line went to a file\n");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	char buf[128];
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("read back %zd bytes: %s", n, buf);
	close(fd);
	unlink(file);
	return 0;
}

/* fork, a pipe between parent and child, waitpid with the exit status, and
 * poll on the pipe. */

static int case_forkpipe(void)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("pipe");
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(fds[0]);
		const char msg[] = "message from the child";
		write(fds[1], msg, sizeof msg - 1);
		close(fds[1]);
		_exit(7);
	}
	close(fds[1]);
	struct pollfd p = { .fd = fds[0], .events = POLLIN };
	int r = poll(&p, 1, -1);
	printf("poll=%d revents_in=%d\n", r, (p.revents & POLLIN) != 0);
	char buf[64];
	ssize_t n, total = 0;
	while ((n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	printf("parent read: %s\n", buf);
	int status;
	pid_t w = waitpid(pid, &status, 0);
	printf("waited for child: %d, exited=%d code=%d\n", w == pid, WIFEXITED(status),
	       WEXITSTATUS(status));
	return 0;
}

/* posix_spawn and execve: runs this program's "hello" case through
 * posix_spawn, then through fork+execve of each program named on the command
 * line and of a "#!" script whose interpreter is this program. */
static void report(const char *how, int status)
{
	printf("%s: exited=%d code=%d\n", how, WIFEXITED(status), WEXITSTATUS(status));
	fflush(stdout);
}

static void run_exec(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *eargs[] = { (char *)path, "hello", "via", "execve", NULL };
		execve(path, eargs, environ);
		perror("execve");
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	report("execve", status);
}

static int case_spawn(int argc, char **argv)
{
	char *args[] = { (char *)self, "hello", "spawned", NULL };
	fflush(stdout);
	pid_t pid;
	int r = posix_spawn(&pid, self, NULL, NULL, args, environ);
	if (r != 0) {
		printf("posix_spawn failed: %s\n", strerror(r));
		return 1;
	}
	int status;
	waitpid(pid, &status, 0);
	report("posix_spawn", status);
	for (int i = 1; i < argc; i++)
		run_exec(argv[i]);
	const char *script = "/tmp/bohr-libc-script";
	FILE *f = fopen(script, "w");
	if (!f) {
		perror("fopen script");
		return 1;
	}
	fprintf(f, "#!%s hello\n", self);
	fclose(f);
	chmod(script, 0755);
	pid = fork();
	if (pid == 0) {
		char *sargs[] = { (char *)script, "from", "script", NULL };
		execve(script, sargs, environ);
		perror("execve script");
		_exit(127);
	}
	waitpid(pid, &status, 0);
	report("script", status);
	unlink(script);
	return 0;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc < 2) {
		fprintf(stderr, "usage: libctest CASE [ARGS]\n");
		return 2;
	}
	const char *c = argv[1];
	argc--;
	argv++;
	if (!strcmp(c, "hello"))
		return case_hello(argc, argv);
	if (!strcmp(c, "bigmalloc"))
		return case_bigmalloc();
	if (!strcmp(c, "dirs"))
		return case_dirs(argc, argv);
	if (!strcmp(c, "selfexe"))
		return case_selfexe(argc, argv);
	if (!strcmp(c, "forkpipe"))
		return case_forkpipe();
	if (!strcmp(c, "spawn"))
		return case_spawn(argc, argv);
	fprintf(stderr, "libctest: unknown case %s\n", c);
	return 2;
}
