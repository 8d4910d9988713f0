/* Two threads lock two mutexes in opposite order, each holding its first
 * when it asks for the second, while the main thread joins the first:
 * every thread waits forever. It prints the addresses of the mutexes'
 * futex words first, so a test can check that a deadlock report names
 * them. On Linux (and QEMU) it hangs. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *one(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(&b);
	return NULL;
}

static void *two(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both);
	pthread_mutex_lock(&a);
	return NULL;
}

int main(void)
{
	/* The futex word is the mutex's first int (__lock). */
	printf("a %p b %p\n", (void *)&a, (void *)&b);
	fflush(stdout);
	pthread_barrier_init(&both, NULL, 2);
	pthread_t t1, t2;
	pthread_create(&t1, NULL, one, NULL);
	pthread_create(&t2, NULL, two, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	puts("unreachable");
	return 0;
}
