// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: a workload that dies by a signal. `killed [SIGNAL] [MS]` (defaults 9, 100)
 * spins MS ms of CPU time, reports, and sends itself SIGNAL with kill(getpid()): concprof must
 * exit with 128 + SIGNAL and report the signal.
 */
#include <signal.h>

#include "gt.h"

int main(int argc, char **argv)
{
	long sig = gt_arg(argc, argv, 1, SIGKILL);
	long ms = gt_arg(argc, argv, 2, 100);

	gt_thread_start();
	gt_spin_cpu_ns((uint64_t)ms * 1000000ull);
	gt_report("victim", ",\"signal\":%ld", sig);
	kill(getpid(), (int)sig);
	/* A signal that did not kill (ignored, caught, or no such signal): say so and fail. */
	gt_sleep_ns(100000000ull);
	fprintf(stderr, "killed: still alive after signal %ld\n", sig);
	return 99;
}
