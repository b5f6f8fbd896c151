// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: a syscall-heavy thread. `syscalls [N]` (default 100000) calls getppid() N times,
 * writes one byte to /dev/null N times and reads 64 KiB from /dev/zero N times. It never
 * sleeps: all of its life is on a CPU, and much of that in the kernel (sys). It reports the CPU
 * time of each phase.
 */
#include "gt.h"

int main(int argc, char **argv)
{
	long n = gt_arg(argc, argv, 1, 100000);
	uint64_t t0, getppid_ns, write_ns, read_ns, calls = 0;
	static char buf[65536];
	int null_fd, zero_fd;

	gt_thread_start();
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || zero_fd < 0)
		gt_die("open /dev/null, /dev/zero");
	t0 = gt_thread_cpu_ns();
	for (long i = 0; i < n; i++, calls++)
		if (getppid() < 0)
			gt_die("getppid");
	getppid_ns = gt_thread_cpu_ns() - t0;
	t0 = gt_thread_cpu_ns();
	for (long i = 0; i < n; i++, calls++)
		if (write(null_fd, buf, 1) != 1)
			gt_die("write /dev/null");
	write_ns = gt_thread_cpu_ns() - t0;
	t0 = gt_thread_cpu_ns();
	for (long i = 0; i < n; i++, calls++)
		if (read(zero_fd, buf, sizeof(buf)) != sizeof(buf))
			gt_die("read /dev/zero");
	read_ns = gt_thread_cpu_ns() - t0;
	close(null_fd);
	close(zero_fd);
	gt_report("syscaller",
		  ",\"syscalls\":%llu,\"getppid_cpu_ns\":%llu,\"write_cpu_ns\":%llu,"
		  "\"read_cpu_ns\":%llu",
		  (unsigned long long)calls, (unsigned long long)getppid_ns,
		  (unsigned long long)write_ns, (unsigned long long)read_ns);
	return 0;
}
