// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: many short-lived processes. `forkmany [CHILDREN] [BATCH] [SLEEP_US]` (defaults
 * 200, 20, 2000) forks CHILDREN children, BATCH at a time, and reaps each batch (waitid, wait4)
 * before forking the next one, so the parent's waits are blocked "child". Child i:
 *   i % 10 == 3   execs /bin/true  (exit 0, comm "true")
 *   i % 10 == 7   execs /bin/false (exit 1, comm "false")
 *   i % 50 == 9   execs this program again as "--exec-child": sleeps, exits i % 256
 *   i % 50 == 5   forks a grandchild (sleeps, exits 42) and waits for it, exits i % 256
 *   i == 1        kills itself with SIGTERM (exit code 143, signal 15)
 *   otherwise     sleeps SLEEP_US (up to twice that: see staggered_ns()), exits i % 256
 * Children that exec true or false run SCHED_FIFO when allowed (see run_child()). Every
 * process that runs this program's code reports its line; the parent's line and the middle
 * children's list the children they reaped, in the order of their index, with the kernel's
 * final figures for each (gt_reap()), exit_code as concprof writes it (0..255, or 128+N when
 * killed by signal N).
 */
#include "gt.h"

static char self_path[4096];
static long batch;

/*
 * SLEEP_US, plus up to as much again spread over the batch: children that woke together would
 * queue on $GT_OUT's inode lock to write their lines, a wait in the kernel ("disk") that is
 * the test's, not the workload's.
 */
static uint64_t staggered_ns(long i, long sleep_us)
{
	return (uint64_t)(sleep_us + sleep_us * (i % batch) / batch) * 1000;
}

static void run_child(long i, long sleep_us)
{
	uint64_t slept;
	char index[32], sleep_arg[32];

	gt_thread_start();
	/*
	 * exec runs long stretches in the kernel, where a preemption asked by a CFS wakeup (the
	 * parent's, a sibling's) skews the kernel's own split between CPU time and run delay
	 * (see gt.h): the children that exec /bin/true and /bin/false, which never sleep, run
	 * SCHED_FIFO (kept across exec), which those wakeups do not preempt.
	 */
	if (i % 10 == 3 || i % 10 == 7)
		gt_become_fifo();
	if (i % 10 == 3) {
		execl("/bin/true", "true", (char *)NULL);
		gt_die("exec /bin/true");
	}
	if (i % 10 == 7) {
		execl("/bin/false", "false", (char *)NULL);
		gt_die("exec /bin/false");
	}
	if (i % 50 == 9) {
		snprintf(index, sizeof(index), "%ld", i);
		snprintf(sleep_arg, sizeof(sleep_arg), "%ld", sleep_us);
		execl(self_path, "forkmany", "--exec-child", index, sleep_arg, (char *)NULL);
		gt_die("exec self");
	}
	if (i % 50 == 5) {
		struct gt_reaped grandchild;
		char *children;
		pid_t pid = fork();

		if (pid < 0)
			gt_die("fork");
		if (pid == 0) {
			uint64_t slept;

			gt_thread_start();
			slept = gt_sleep_ns(staggered_ns(i, sleep_us));
			gt_report("grandchild", ",\"index\":%ld,\"exit_code\":42,\"slept_ns\":%llu", i,
				  (unsigned long long)slept);
			_exit(42);
		}
		gt_reap(pid, &grandchild);
		children = gt_format_reaped(&grandchild, 1);
		gt_report("middle", ",\"index\":%ld,\"exit_code\":%ld%s", i, i % 256, children);
		_exit(i % 256);
	}
	if (i == 1) {
		signal(SIGTERM, SIG_DFL);
		gt_report("self-killed", ",\"index\":%ld,\"signal\":%d", i, SIGTERM);
		raise(SIGTERM);
		_exit(100); /* not reached */
	}
	slept = gt_sleep_ns(staggered_ns(i, sleep_us));
	gt_report("child", ",\"index\":%ld,\"exit_code\":%ld,\"slept_ns\":%llu", i, i % 256,
		  (unsigned long long)slept);
	_exit(i % 256);
}

int main(int argc, char **argv)
{
	long nchildren, sleep_us;
	struct gt_reaped *reaped;
	pid_t *pids;
	char *children;
	ssize_t n;

	if (argc >= 2 && strcmp(argv[1], "--exec-child") == 0) {
		long i = gt_arg(argc, argv, 2, 0);

		gt_thread_start();
		gt_sleep_ns((uint64_t)gt_arg(argc, argv, 3, 2000) * 1000);
		gt_report("exec-child", ",\"index\":%ld,\"exit_code\":%ld", i, i % 256);
		return i % 256;
	}

	gt_thread_start();
	nchildren = gt_arg(argc, argv, 1, 200);
	batch = gt_arg(argc, argv, 2, 20);
	sleep_us = gt_arg(argc, argv, 3, 2000);
	if (batch < 1)
		batch = 1;
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n < 0)
		gt_die("readlink /proc/self/exe");
	self_path[n] = '\0';
	reaped = calloc(nchildren + 1, sizeof(*reaped));
	pids = calloc(batch, sizeof(*pids));
	if (!reaped || !pids)
		gt_die("calloc");

	for (long first = 0; first < nchildren; first += batch) {
		long count = nchildren - first < batch ? nchildren - first : batch;

		for (long k = 0; k < count; k++) {
			pids[k] = fork();
			if (pids[k] < 0)
				gt_die("fork");
			if (pids[k] == 0)
				run_child(first + k, sleep_us);
		}
		for (long k = 0; k < count; k++)
			gt_reap(pids[k], &reaped[first + k]);
	}
	children = gt_format_reaped(reaped, nchildren);
	gt_report("parent", ",\"nchildren\":%ld%s", nchildren, children);
	return 0;
}
