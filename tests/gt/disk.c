// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: regular-file I/O. `disk [MIB] [DIR]` (defaults 64, /tmp) writes MIB MiB to a
 * new file in DIR in 1 MiB write(2)s, fsyncs it, drops it from the page cache, reads it back in
 * 1 MiB read(2)s with O_DIRECT (plain reads after the drop if the file system refuses
 * O_DIRECT), and removes it. The thread waits on the disk in fsync and in the reads: blocked
 * "disk" in concprof, with disk_write_bytes and disk_read_bytes of at least MIB MiB each.
 *
 * The thread runs SCHED_FIFO when allowed: it spends long stretches in the kernel (page cache
 * copies, page allocation), where a preemption asked by a CFS wakeup makes the kernel's own
 * CPU/run-delay split wrong (see gt.h); a CFS wakeup does not preempt a FIFO thread.
 */
#include "gt.h"

#define CHUNK (1 << 20)

int main(int argc, char **argv)
{
	long mib = gt_arg(argc, argv, 1, 64);
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	uint64_t written = 0, read_bytes = 0, t0, fsync_ns, read_ns;
	char path[4096];
	void *buf;
	int fd, direct = 1, fifo;

	gt_thread_start();
	fifo = gt_become_fifo();
	if (posix_memalign(&buf, 4096, CHUNK))
		gt_die("posix_memalign");
	for (size_t i = 0; i < CHUNK; i++)
		((unsigned char *)buf)[i] = (unsigned char)(i * 131 + 7);
	snprintf(path, sizeof(path), "%s/concprof-gt-disk-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		gt_die(path);
	for (long i = 0; i < mib; i++) {
		ssize_t n = write(fd, buf, CHUNK);

		if (n != CHUNK)
			gt_die("write");
		written += n;
	}
	t0 = gt_mono_ns();
	if (fsync(fd))
		gt_die("fsync");
	fsync_ns = gt_mono_ns() - t0;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);

	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL) {
		direct = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		gt_die(path);
	t0 = gt_mono_ns();
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0)
			gt_die("read");
		if (n == 0)
			break;
		read_bytes += n;
	}
	read_ns = gt_mono_ns() - t0;
	close(fd);
	unlink(path);
	free(buf);
	gt_report("io",
		  ",\"written\":%llu,\"read\":%llu,\"direct\":%d,\"fsync_ns\":%llu,\"read_ns\":%llu,"
		  "\"ran_fifo\":%d",
		  (unsigned long long)written, (unsigned long long)read_bytes, direct,
		  (unsigned long long)fsync_ns, (unsigned long long)read_ns, fifo);
	return 0;
}
