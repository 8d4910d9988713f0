/* Signals meet threads and processes under glibc: `sigthread CASE`.
 * Thread-directed signals with a handler, the process-wide pending set,
 * a process-directed signal that every thread blocks, tgkill's ESRCH,
 * and job control's stop and continue seen through waitpid and SIGCHLD.
 * Every case prints only what Linux guarantees under any schedule, so its
 * output can be compared with QEMU's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int tgkill_(pid_t tgid, pid_t tid, int sig)
{
	return (int)syscall(SYS_tgkill, tgid, tid, sig);
}

static atomic_int handler_tid, handler_hits;

static void on_usr(int sig)
{
	(void)sig;
	atomic_store(&handler_tid, gettid_());
	atomic_fetch_add(&handler_hits, 1);
}

static void catch(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

/* pthread_kill with a handler: it runs on the target thread. */
static atomic_int worker_tid, go;

static void *kill_target(void *arg)
{
	(void)arg;
	atomic_store(&worker_tid, gettid_());
	while (!atomic_load(&handler_hits))
		sched_yield();
	return NULL;
}

static int case_tkill(void)
{
	catch(SIGUSR1, on_usr, 0);
	pthread_t t;
	pthread_create(&t, NULL, kill_target, NULL);
	while (!atomic_load(&worker_tid))
		sched_yield();
	int r = pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	printf("pthread_kill: %d, handler ran once %d, on the target thread %d, not on main %d\n",
	       r, atomic_load(&handler_hits) == 1, atomic_load(&handler_tid) == atomic_load(&worker_tid),
	       atomic_load(&handler_tid) != getpid());
	return 0;
}

/* A pending set per thread plus the process's shared one. */
static int pending_has(int sig)
{
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static atomic_int step;

static void *pending_worker(void *arg)
{
	(void)arg;
	while (atomic_load(&step) != 1)
		sched_yield();
	printf("worker sees USR1 (process) %d, USR2 (main's) %d\n", pending_has(SIGUSR1),
	       pending_has(SIGUSR2));
	atomic_store(&step, 2);
	return NULL;
}

static int case_pending(void)
{
	catch(SIGUSR1, on_usr, 0);
	catch(SIGUSR2, on_usr, 0);
	/* The worker inherits the mask: both blocked everywhere. */
	block(SIGUSR1, SIG_BLOCK);
	block(SIGUSR2, SIG_BLOCK);
	pthread_t t;
	pthread_create(&t, NULL, pending_worker, NULL);
	kill(getpid(), SIGUSR1);
	pthread_kill(pthread_self(), SIGUSR2);
	printf("main sees USR1 (process) %d, USR2 (its own) %d\n", pending_has(SIGUSR1),
	       pending_has(SIGUSR2));
	atomic_store(&step, 1);
	pthread_join(t, NULL);
	/* sigpending reports only blocked signals: an unblocked one is
	 * delivered on the way out of the call. */
	block(SIGUSR2, SIG_UNBLOCK);
	printf("after unblocking USR2: handled %d, still pending USR1 %d USR2 %d\n",
	       atomic_load(&handler_hits), pending_has(SIGUSR1), pending_has(SIGUSR2));
	return 0;
}

/* A signal for the process that every thread blocks waits for the first
 * thread that unblocks it, whichever thread was running when it came. */
static void *unblocker(void *arg)
{
	(void)arg;
	atomic_store(&worker_tid, gettid_());
	while (atomic_load(&step) != 1)
		sched_yield();
	block(SIGUSR1, SIG_UNBLOCK);
	atomic_store(&step, 2);
	return NULL;
}

static int case_migrate(void)
{
	catch(SIGUSR1, on_usr, 0);
	block(SIGUSR1, SIG_BLOCK);
	pthread_t t;
	pthread_create(&t, NULL, unblocker, NULL);
	while (!atomic_load(&worker_tid))
		sched_yield();
	kill(getpid(), SIGUSR1);
	printf("pending on the process before: %d, handled %d\n", pending_has(SIGUSR1),
	       atomic_load(&handler_hits));
	atomic_store(&step, 1);
	pthread_join(t, NULL);
	printf("delivered once %d, on the thread that unblocked it %d, pending after %d\n",
	       atomic_load(&handler_hits) == 1, atomic_load(&handler_tid) == atomic_load(&worker_tid),
	       pending_has(SIGUSR1));
	return 0;
}

/* tgkill checks that the thread is in the group; kill takes any tid and
 * signals its process. */
static void *sleeper(void *arg)
{
	int *fds = arg;
	pid_t tid = gettid_();
	if (write(fds[1], &tid, sizeof tid) != sizeof tid)
		return NULL;
	char c;
	if (read(fds[2], &c, 1) < 0)
		return NULL;
	return NULL;
}

/* One call's result and errno, evaluated in that order. */
static void show_call(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r ? strerrorname_np(errno) : "ok");
}

static int case_esrch(void)
{
	show_call("tgkill(me, no such tid)", tgkill_(getpid(), 999999, 0));
	int up[2], down[2];
	if (pipe(up) || pipe(down))
		return 1;
	pid_t child = fork();
	if (child == 0) {
		int fds[3] = { up[0], up[1], down[0] };
		pthread_t t;
		pthread_create(&t, NULL, sleeper, fds);
		pthread_join(t, NULL);
		_exit(0);
	}
	pid_t tid;
	if (read(up[0], &tid, sizeof tid) != sizeof tid)
		return 1;
	printf("child thread is not the child: %d\n", tid != child);
	show_call("tgkill(me, child's thread)", tgkill_(getpid(), tid, 0));
	show_call("tgkill(child, child's thread)", tgkill_(child, tid, 0));
	show_call("tgkill(child, my tid)", tgkill_(child, getpid(), 0));
	show_call("tkill(child's thread)", (int)syscall(SYS_tkill, tid, 0));
	show_call("kill(child's thread)", kill(tid, 0));
	if (write(down[1], "x", 1) != 1)
		return 1;
	int st;
	waitpid(child, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* Stop and continue: waitpid's WUNTRACED and WCONTINUED, and SIGCHLD's
 * CLD_STOPPED and CLD_CONTINUED (none for stops under SA_NOCLDSTOP). */
static volatile sig_atomic_t chld_codes[16];
static volatile sig_atomic_t nchld;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	if (nchld < 16)
		chld_codes[nchld++] = si->si_code;
}

static const char *code_name(int c)
{
	switch (c) {
	case CLD_EXITED:
		return "CLD_EXITED";
	case CLD_KILLED:
		return "CLD_KILLED";
	case CLD_STOPPED:
		return "CLD_STOPPED";
	case CLD_CONTINUED:
		return "CLD_CONTINUED";
	default:
		return "?";
	}
}

static const char *sig_name(int s)
{
	return s == SIGSTOP ? "SIGSTOP" :
	       s == SIGTSTP ? "SIGTSTP" :
	       s == SIGTTIN ? "SIGTTIN" :
	       s == SIGTTOU ? "SIGTTOU" :
	       s == SIGCONT ? "SIGCONT" :
	       s == SIGKILL ? "SIGKILL" : "?";
}

static void show_status(const char *what, pid_t r, pid_t child, int st)
{
	printf("%s: ", what);
	if (r != child) {
		printf("waitpid %d %s\n", r, strerrorname_np(errno));
		return;
	}
	if (WIFSTOPPED(st))
		printf("stopped by %s\n", sig_name(WSTOPSIG(st)));
	else if (WIFCONTINUED(st))
		printf("continued\n");
	else if (WIFEXITED(st))
		printf("exited %d\n", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("killed by %s\n", sig_name(WTERMSIG(st)));
}

/* Wait for SIGCHLDs without racing the handler: they stay blocked and
 * are taken one at a time with sigsuspend. */
static void await_chld(int n, sigset_t *open)
{
	while (nchld < n)
		sigsuspend(open);
}

static void stop_round(int nocldstop)
{
	nchld = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | (nocldstop ? SA_NOCLDSTOP : 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t chld, open;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &open);
	sigdelset(&open, SIGCHLD);
	int p2c[2];
	if (pipe(p2c))
		return;
	static const int sigs[] = { SIGTSTP, SIGTTIN, SIGTTOU };
	pid_t child = fork();
	if (child == 0) {
		/* A group of its own, whose parent is in another group of the
		 * session: not orphaned, so the terminal stop signals stop it.
		 * After each stop it waits for the parent's word, so that no
		 * two of its SIGCHLDs are ever pending at once. */
		setpgid(0, 0);
		char c;
		for (int i = 0; i < 3; i++) {
			raise(sigs[i]);
			if (read(p2c[0], &c, 1) != 1)
				_exit(9);
		}
		/* Stopped from outside while it waits here. */
		if (read(p2c[0], &c, 1) != 1 || read(p2c[0], &c, 1) != 1)
			_exit(8);
		_exit(c == 'y' ? 3 : 7);
	}
	int st;
	/* SA_NOCLDSTOP: no SIGCHLD for stops nor for continues. */
	const int each = nocldstop ? 0 : 1;
	int expect = 0;
	static const char *const names[] = { "self SIGTSTP", "self SIGTTIN", "self SIGTTOU" };
	for (int i = 0; i < 3; i++) {
		pid_t r = waitpid(child, &st, WUNTRACED);
		show_status(names[i], r, child, st);
		expect += each;
		await_chld(expect, &open);
		kill(child, SIGCONT);
		r = waitpid(child, &st, WCONTINUED);
		show_status("after SIGCONT", r, child, st);
		expect += each;
		await_chld(expect, &open);
		if (write(p2c[1], "g", 1) != 1)
			return;
	}
	kill(child, SIGSTOP);
	pid_t r = waitpid(child, &st, WUNTRACED);
	show_status("SIGSTOP", r, child, st);
	expect += each;
	await_chld(expect, &open);
	/* Nothing more to report while it stays stopped. */
	r = waitpid(child, &st, WUNTRACED | WCONTINUED | WNOHANG);
	printf("WNOHANG while stopped: %d\n", r);
	/* A stopped process keeps its pipe data until it runs again. */
	if (write(p2c[1], "x", 1) != 1)
		return;
	kill(child, SIGCONT);
	expect += each;
	await_chld(expect, &open);
	if (write(p2c[1], "y", 1) != 1)
		return;
	/* Plain waitpid reports neither stops nor continues. */
	r = waitpid(child, &st, 0);
	show_status("end", r, child, st);
	expect++;
	await_chld(expect, &open);
	printf("SIGCHLD codes:");
	for (int i = 0; i < nchld; i++)
		printf(" %s", code_name(chld_codes[i]));
	printf("\n");
	sigprocmask(SIG_SETMASK, &open, NULL);
	close(p2c[0]);
	close(p2c[1]);
}

/* A stopped process still dies of SIGKILL; a stop signal it catches or
 * ignores does not stop it. */
static void stop_kill(void)
{
	pid_t child = fork();
	if (child == 0) {
		signal(SIGTSTP, SIG_IGN);
		raise(SIGTSTP);
		catch(SIGTTOU, on_usr, 0);
		raise(SIGTTOU);
		printf("child: ignored SIGTSTP and caught SIGTTOU (%d) without stopping\n",
		       atomic_load(&handler_hits));
		raise(SIGSTOP);
		_exit(1);
	}
	int st;
	pid_t r = waitpid(child, &st, WUNTRACED);
	show_status("child stopped itself", r, child, st);
	kill(child, SIGKILL);
	r = waitpid(child, &st, 0);
	show_status("SIGKILL while stopped", r, child, st);
}

static int case_stop(void)
{
	stop_round(0);
	stop_round(1);
	signal(SIGCHLD, SIG_DFL);
	stop_kill();
	return 0;
}

/* Every thread stops with the process and goes on after SIGCONT. */
static atomic_long spins;

static void *spinner(void *arg)
{
	(void)arg;
	while (atomic_load(&go) == 0)
		atomic_fetch_add(&spins, 1);
	return NULL;
}

static int case_stopthreads(void)
{
	pid_t child = fork();
	if (child == 0) {
		pthread_t t;
		pthread_create(&t, NULL, spinner, NULL);
		while (atomic_load(&spins) == 0)
			sched_yield();
		raise(SIGSTOP);
		/* Whatever ran before, the spinner runs again after SIGCONT. */
		long before = atomic_load(&spins);
		while (atomic_load(&spins) == before)
			sched_yield();
		atomic_store(&go, 1);
		pthread_join(t, NULL);
		_exit(5);
	}
	int st;
	pid_t r = waitpid(child, &st, WUNTRACED);
	show_status("threaded child", r, child, st);
	kill(child, SIGCONT);
	r = waitpid(child, &st, 0);
	show_status("threaded child", r, child, st);
	return 0;
}

/* Nobody continues it: under Bohr the run ends as a deadlock naming the
 * stopped process (QEMU, like Linux, waits forever). */
static int case_stopforever(void)
{
	printf("stopping\n");
	raise(SIGSTOP);
	printf("continued\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "tkill"))
		return case_tkill();
	if (!strcmp(c, "pending"))
		return case_pending();
	if (!strcmp(c, "migrate"))
		return case_migrate();
	if (!strcmp(c, "esrch"))
		return case_esrch();
	if (!strcmp(c, "stop"))
		return case_stop();
	if (!strcmp(c, "stopthreads"))
		return case_stopthreads();
	if (!strcmp(c, "stopforever"))
		return case_stopforever();
	fprintf(stderr, "usage: sigthread tkill|pending|migrate|esrch|stop|stopthreads|stopforever\n");
	return 2;
}
