// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: one thread that sleeps. `sleep500 [MS]` (default 500) calls nanosleep once for
 * MS milliseconds: concprof should show the thread >= 99% blocked "sleep", about MS long.
 */
#include "gt.h"

int main(int argc, char **argv)
{
	long ms = gt_arg(argc, argv, 1, 500);
	uint64_t before, slept;

	gt_thread_start();
	before = gt_mono_ns();
	gt_sleep_ns((uint64_t)ms * 1000000ull);
	slept = gt_mono_ns() - before;
	gt_report("sleeper", ",\"sleep_ms\":%ld,\"slept_ns\":%llu", ms, (unsigned long long)slept);
	return 0;
}
