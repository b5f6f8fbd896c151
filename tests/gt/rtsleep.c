// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: real-time threads that sleep. `rtsleep [CHILDREN] [SLEEPS] [SLEEP_US]` (defaults
 * 20, 20, 2000) forks CHILDREN child processes that make themselves SCHED_FIFO (when allowed)
 * and call nanosleep SLEEPS times for SLEEP_US each, then exit; the parent reaps them and
 * reports the kernel's final figures for each (gt_reap()). Each child is blocked "sleep" at
 * least SLEEPS x SLEEP_US and on a CPU for only a few ms (fork, exit).
 */
#include "gt.h"

int main(int argc, char **argv)
{
	long nchildren = gt_arg(argc, argv, 1, 20);
	long sleeps = gt_arg(argc, argv, 2, 20);
	long sleep_us = gt_arg(argc, argv, 3, 2000);
	struct gt_reaped *reaped;
	pid_t *pids;
	char *children;
	int fifo = 0;

	gt_thread_start();
	reaped = calloc(nchildren + 1, sizeof(*reaped));
	pids = calloc(nchildren + 1, sizeof(*pids));
	if (!reaped || !pids)
		gt_die("calloc");
	for (long i = 0; i < nchildren; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			gt_die("fork");
		if (pids[i] == 0) {
			gt_become_fifo();
			gt_thread_start();
			for (long k = 0; k < sleeps; k++)
				gt_sleep_ns((uint64_t)sleep_us * 1000);
			gt_report("sleeper", ",\"sleeps\":%ld,\"sleep_us\":%ld", sleeps, sleep_us);
			_exit(0);
		}
	}
	for (long i = 0; i < nchildren; i++)
		gt_reap(pids[i], &reaped[i]);
	/* Could the children have been FIFO? */
	fifo = gt_become_fifo();
	children = gt_format_reaped(reaped, nchildren);
	gt_report("parent", ",\"fifo_allowed\":%d%s", fifo, children);
	free(children);
	return 0;
}
