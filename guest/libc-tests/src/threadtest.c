/* Threads on glibc: pthread_create/join, a mutex, a condition variable,
 * a barrier, thread-local storage, gettid, spinning on a flag (which needs
 * preemption), futex timeouts (pthread_cond_timedwait, sem_timedwait),
 * timers (timer_create with SIGEV_SIGNAL and SIGEV_THREAD_ID, taken with
 * sigtimedwait so no handler frame is needed), and the thread cap.
 * Usage: threadtest CASE. Every case prints only what is the same on any
 * host and under any schedule, so its output can be compared with QEMU's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NT 4

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value = 5;

static void *count_worker(void *arg)
{
	long id = (long)arg;
	tls_value = id * 7;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		if (i % 5000 == 0)
			sched_yield();
	}
	/* Each thread keeps its own copy of the TLS variable. */
	long ok = tls_value == id * 7;
	long tid_differs = syscall(SYS_gettid) != getpid();
	return (void *)(100 + id + 10 * ok + 20 * tid_differs);
}

static int case_mutex(void)
{
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		if (pthread_create(&t[i], NULL, count_worker, (void *)i) != 0)
			return 1;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		printf("thread %d returned %ld\n", i, (long)r);
	}
	printf("counter %ld (expect %d)\n", counter, NT * 20000);
	printf("main tls %ld, gettid==getpid %d\n", tls_value,
	       (pid_t)syscall(SYS_gettid) == getpid());
	return 0;
}

/* A bounded queue: one producer, two consumers. */
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[4], qhead, qlen, done;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= 200; i++) {
		pthread_mutex_lock(&mu);
		while (qlen == 4)
			pthread_cond_wait(&not_full, &mu);
		queue[(qhead + qlen++) % 4] = i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0;
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (qlen == 0 && !done)
			pthread_cond_wait(&not_empty, &mu);
		if (qlen == 0) {
			pthread_mutex_unlock(&mu);
			break;
		}
		sum += queue[qhead];
		qhead = (qhead + 1) % 4;
		qlen--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
	}
	return (void *)sum;
}

static int case_cond(void)
{
	pthread_t p, c1, c2;
	pthread_create(&c1, NULL, consumer, NULL);
	pthread_create(&c2, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	void *r1, *r2;
	pthread_join(p, NULL);
	pthread_join(c1, &r1);
	pthread_join(c2, &r2);
	printf("consumed sum %ld (expect %d)\n", (long)r1 + (long)r2, 200 * 201 / 2);
	return 0;
}

static pthread_barrier_t barrier;
static atomic_int arrived, serial;

static void *barrier_worker(void *arg)
{
	(void)arg;
	for (int round = 0; round < 3; round++) {
		atomic_fetch_add(&arrived, 1);
		int r = pthread_barrier_wait(&barrier);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serial, 1);
		/* Everyone of this round has arrived before anyone leaves. */
		if (atomic_load(&arrived) < (round + 1) * NT)
			return (void *)1;
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static int case_barrier(void)
{
	pthread_t t[NT];
	pthread_barrier_init(&barrier, NULL, NT);
	for (int i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, barrier_worker, NULL);
	long bad = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("barrier: arrived %d, serial threads %d, early leavers %ld\n",
	       atomic_load(&arrived), atomic_load(&serial), bad);
	return 0;
}

/* Two threads spin (no system call) on flags the other sets: only
 * preemption lets both finish. */
static volatile int flag_a, flag_b;

static void *spinner(void *arg)
{
	(void)arg;
	while (!flag_a)
		;
	flag_b = 1;
	return NULL;
}

static int case_spin(void)
{
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	for (volatile int i = 0; i < 100000; i++)
		;
	flag_a = 1;
	while (!flag_b)
		;
	pthread_join(t, NULL);
	printf("spin: both flags seen\n");
	return 0;
}

/* Timed waits end with ETIMEDOUT in (virtual) time. */
static int case_timedwait(void)
{
	struct timespec t0, t1, dl;
	clock_gettime(CLOCK_REALTIME, &t0);
	dl = t0;
	dl.tv_nsec += 50 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&mu);
	int r = pthread_cond_timedwait(&not_empty, &mu, &dl);
	pthread_mutex_unlock(&mu);
	clock_gettime(CLOCK_REALTIME, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("cond_timedwait: %s, waited >= 50ms %d\n", strerrorname_np(r), ms >= 50);
	sem_t sem;
	sem_init(&sem, 0, 0);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 1;
	r = sem_timedwait(&sem, &dl);
	printf("sem_timedwait: %d %s\n", r, strerrorname_np(errno));
	sem_post(&sem);
	r = sem_timedwait(&sem, &dl);
	printf("sem_timedwait after post: %d\n", r);
	return 0;
}

/* POSIX timers, their signals taken with sigtimedwait. */
static pid_t waiter_tid;
static atomic_int waiter_ready;

static void *timer_waiter(void *arg)
{
	sigset_t *set = arg;
	waiter_tid = syscall(SYS_gettid);
	atomic_store(&waiter_ready, 1);
	siginfo_t si;
	int sig = sigwaitinfo(set, &si);
	return (void *)(long)(sig == SIGUSR2 && si.si_code == SI_TIMER && si.si_value.sival_int == 7);
}

static int case_timer(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 42;
	timer_t tm;
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm) != 0) {
		printf("timer_create: %s\n", strerrorname_np(errno));
		return 1;
	}
	struct itimerspec its = { { 0, 10 * 1000 * 1000 }, { 0, 10 * 1000 * 1000 } };
	/* t0 is read before arming: the third expiry is then at least 30 ms
	 * after it however long the host takes between the two calls. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timer_settime(tm, 0, &its, NULL);
	for (int i = 0; i < 3; i++) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		printf("expiry %d: %s code SI_TIMER %d value %d\n", i, sig == SIGUSR1 ? "SIGUSR1" : "?",
		       si.si_code == SI_TIMER, si.si_value.sival_int);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
	printf("three expiries took >= 30ms %d\n", ns >= 30LL * 1000 * 1000);
	struct itimerspec cur;
	timer_gettime(tm, &cur);
	printf("interval %ld ns, armed %d\n", cur.it_interval.tv_nsec,
	       cur.it_value.tv_sec != 0 || cur.it_value.tv_nsec != 0);
	timer_delete(tm);
	printf("settime after delete: %d %s\n", timer_settime(tm, 0, &its, NULL),
	       strerrorname_np(errno));

	/* SIGEV_THREAD_ID: the signal goes to one thread. */
	pthread_t t;
	pthread_create(&t, NULL, timer_waiter, &set);
	while (!atomic_load(&waiter_ready))
		sched_yield();
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR2;
	ev.sigev_value.sival_int = 7;
	ev._sigev_un._tid = waiter_tid;
	timer_create(CLOCK_REALTIME, &ev, &tm);
	struct itimerspec once = { { 0, 0 }, { 0, 20 * 1000 * 1000 } };
	timer_settime(tm, 0, &once, NULL);
	void *r;
	pthread_join(t, &r);
	printf("thread-directed timer reached its thread: %ld\n", (long)r);
	timer_delete(tm);
	return 0;
}

/* Threads past the cap fail with EAGAIN; joining them all frees it. */
static void *idle(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int case_many(void)
{
	enum { MAX = 300 };
	static pthread_t t[MAX];
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_mutex_lock(&mu);
	int n = 0, err = 0;
	while (n < MAX) {
		err = pthread_create(&t[n], &a, idle, NULL);
		if (err)
			break;
		n++;
	}
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("created %d threads, then %s\n", n, err ? strerrorname_np(err) : "none");
	err = pthread_create(&t[0], &a, idle, NULL);
	pthread_join(t[0], NULL);
	printf("after joining: %s\n", err ? strerrorname_np(err) : "ok");
	return 0;
}

/* Interleaving-visible: which thread writes each slot depends on the
 * schedule (the test compares chaos seeds, never QEMU). */
static char trace[64];
static atomic_int pos;

static void *tracer(void *arg)
{
	for (int i = 0; i < 16; i++) {
		int p = atomic_fetch_add(&pos, 1);
		if (p < 63)
			trace[p] = (char)(long)arg;
		for (volatile int j = 0; j < 200; j++)
			;
	}
	return NULL;
}

static int case_interleave(void)
{
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, tracer, (void *)('a' + i));
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	printf("%s\n", trace);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "mutex"))
		return case_mutex();
	if (!strcmp(c, "cond"))
		return case_cond();
	if (!strcmp(c, "barrier"))
		return case_barrier();
	if (!strcmp(c, "spin"))
		return case_spin();
	if (!strcmp(c, "timedwait"))
		return case_timedwait();
	if (!strcmp(c, "timer"))
		return case_timer();
	if (!strcmp(c, "many"))
		return case_many();
	if (!strcmp(c, "interleave"))
		return case_interleave();
	fprintf(stderr, "usage: threadtest mutex|cond|barrier|spin|timedwait|timer|many|interleave\n");
	return 2;
}
