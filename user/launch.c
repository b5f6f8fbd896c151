// SPDX-License-Identifier: GPL-2.0
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || *end || *out >= (unsigned long)(uid_t)-1) ? -EINVAL : 0;
}

int cp_user_from_env(struct cp_user *user, char *err, size_t errlen)
{
	const char *uid_s = getenv("SUDO_UID"), *gid_s = getenv("SUDO_GID");
	unsigned long uid, gid;
	struct passwd *pw;

	*user = (struct cp_user){ 0 };
	if (geteuid() != 0 || !uid_s)
		return 0;
	if (parse_id(uid_s, &uid) || parse_id(gid_s, &gid)) {
		snprintf(err, errlen, "SUDO_UID/SUDO_GID are not numbers: '%s', '%s'", uid_s,
			 gid_s ? gid_s : "");
		return -EINVAL;
	}
	if (uid == 0)
		return 0;
	user->drop = true;
	user->uid = uid;
	user->gid = gid;
	pw = getpwuid(uid);
	if (pw)
		snprintf(user->name, sizeof(user->name), "%s", pw->pw_name);
	return 0;
}

int cp_open_output(const char *path, const struct cp_user *user)
{
	int fd, saved;

	/* Open with the user's own rights, so a path they could not write is refused and what
	 * they can is created as theirs; O_NOFOLLOW refuses a symlink planted in its place.
	 */
	if (user->drop && (setegid(user->gid) || seteuid(user->uid)))
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	saved = errno;
	if (user->drop && (seteuid(0) || setegid(0))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return fd >= 0 ? fd : -saved;
}

static void drop_privileges(const struct cp_user *user)
{
	if (!user->drop)
		return;
	if ((user->name[0] ? initgroups(user->name, user->gid) : setgroups(0, NULL)) ||
	    setgid(user->gid) || setuid(user->uid)) {
		fprintf(stderr, "concprof: cannot switch to uid %u: %s\n", (unsigned)user->uid,
			strerror(errno));
		_exit(126);
	}
}

int cp_launch_start(struct cp_launch *l, char *const argv[], const struct cp_user *user)
{
	int gate[2], exec_err[2];
	pid_t pid;

	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(exec_err, O_CLOEXEC)) {
		int err = -errno;

		close(gate[0]);
		close(gate[1]);
		return err;
	}
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(gate[0]);
		close(gate[1]);
		close(exec_err[0]);
		close(exec_err[1]);
		return err;
	}
	if (pid == 0) {
		sigset_t none;
		char go;
		int e;

		close(gate[1]);
		close(exec_err[0]);
		/* Die with concprof if it dies before releasing the gate. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		prctl(PR_SET_PDEATHSIG, 0);
		drop_privileges(user);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(exec_err[1], &e, sizeof(e)) != sizeof(e))
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(gate[0]);
	close(exec_err[1]);
	l->pid = pid;
	l->gate_fd = gate[1];
	l->exec_err_fd = exec_err[0];
	return 0;
}

int cp_launch_release(struct cp_launch *l)
{
	char go = 1;
	int child_errno = 0;
	ssize_t n;

	if (write(l->gate_fd, &go, 1) != 1)
		child_errno = errno;
	close(l->gate_fd);
	l->gate_fd = -1;
	do
		n = read(l->exec_err_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(l->exec_err_fd);
	l->exec_err_fd = -1;
	return n == sizeof(child_errno) ? child_errno : 0;
}

static volatile sig_atomic_t forward_pid;
static volatile sig_atomic_t last_signal;

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	last_signal = sig;
	/* A terminal's ^C reaches the whole foreground process group, the workload included:
	 * sending it again would deliver it twice. Forward only what was sent to us alone.
	 */
	if (forward_pid > 0 && info->si_code != SI_KERNEL)
		kill(forward_pid, sig);
}

int cp_forward_signals(pid_t pid)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };

	forward_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

int cp_take_signal(void)
{
	int sig = last_signal;

	last_signal = 0;
	return sig;
}
