// SPDX-License-Identifier: GPL-2.0
/*
 * Ground truth: IPC over pipes. `pingpong [ROUNDS]` (default 10000) forks a child; the parent
 * writes one byte into one pipe, the child reads it and answers one byte through another pipe,
 * ROUNDS times. Both processes spend their waits blocked on a pipe read ("pipe" in concprof)
 * and move exactly ROUNDS bytes each way.
 */
#include "gt.h"

static void must_write(int fd, uint64_t *bytes)
{
	char c = 'x';
	ssize_t n;

	while ((n = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		gt_die("pipe write");
	*bytes += n;
}

static void must_read(int fd, uint64_t *bytes)
{
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		gt_die("pipe read");
	*bytes += n;
}

int main(int argc, char **argv)
{
	long rounds = gt_arg(argc, argv, 1, 10000);
	uint64_t read_bytes = 0, written_bytes = 0;
	int to_child[2], to_parent[2];
	struct gt_reaped reaped;
	char *children;
	pid_t child;

	gt_thread_start();
	if (pipe2(to_child, O_CLOEXEC) || pipe2(to_parent, O_CLOEXEC))
		gt_die("pipe");
	child = fork();
	if (child < 0)
		gt_die("fork");
	if (child == 0) {
		gt_thread_start();
		close(to_child[1]);
		close(to_parent[0]);
		for (long i = 0; i < rounds; i++) {
			must_read(to_child[0], &read_bytes);
			must_write(to_parent[1], &written_bytes);
		}
		gt_report("ponger", ",\"rounds\":%ld,\"pipe_read\":%llu,\"pipe_written\":%llu", rounds,
			  (unsigned long long)read_bytes, (unsigned long long)written_bytes);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	for (long i = 0; i < rounds; i++) {
		must_write(to_child[1], &written_bytes);
		must_read(to_parent[0], &read_bytes);
	}
	gt_reap(child, &reaped);
	if (reaped.exit_code != 0) {
		fprintf(stderr, "pingpong: child failed (exit code %d)\n", reaped.exit_code);
		return 1;
	}
	children = gt_format_reaped(&reaped, 1);
	gt_report("pinger", ",\"rounds\":%ld,\"pipe_read\":%llu,\"pipe_written\":%llu%s", rounds,
		  (unsigned long long)read_bytes, (unsigned long long)written_bytes, children);
	free(children);
	return 0;
}
