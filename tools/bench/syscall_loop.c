// SPDX-License-Identifier: GPL-2.0
/*
 * A syscall loop that times itself: `syscall_loop [N]` makes N getppid() calls and prints the
 * mean cost of one, in ns. The bench runs it untraced, under the probes' floor, and under
 * concprof: the ratios are the overhead per syscall.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct timespec a, b;
	double ns;

	if (n <= 0) {
		fprintf(stderr, "usage: syscall_loop [N > 0]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid); /* not glibc's getppid(): never cached */
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%.1f ns/syscall\n", ns / n);
	return 0;
}
