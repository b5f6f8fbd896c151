/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Starting the workload: a gated fork (the child waits until tracing is ready, then execs),
 * dropping root for the sudo user, forwarding signals, and opening files as that user.
 */
#ifndef CONCPROF_LAUNCH_H
#define CONCPROF_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct cp_user {
	bool drop; /* run the workload and write files as uid/gid instead of root */
	uid_t uid;
	gid_t gid;
	char name[64];
};

struct cp_launch {
	pid_t pid;
	int gate_fd;	 /* write end: one byte lets the child exec */
	int exec_err_fd; /* read end: the child's errno if exec failed, EOF if it succeeded */
};

/* From SUDO_UID/SUDO_GID when running as root; err message on failure. */
int cp_user_from_env(struct cp_user *user, char *err, size_t errlen);
/* open(2) for writing a report as `user`, never through a symlink. Returns fd or -errno. */
int cp_open_output(const char *path, const struct cp_user *user);

/* Fork the child, stopped at its gate. */
int cp_launch_start(struct cp_launch *l, char *const argv[], const struct cp_user *user);
/* Let it exec. Returns 0 once exec succeeded, or the errno that made it fail. */
int cp_launch_release(struct cp_launch *l);

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT go to `pid` unless the terminal sent them to it already. */
int cp_forward_signals(pid_t pid);
/* The signal that last arrived (0 if none since the previous call). */
int cp_take_signal(void);

#endif
