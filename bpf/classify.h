/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why is a thread asleep? Decided from the syscall in progress when it blocked, the kind of
 * file its fd names, and whether the sleep is uninterruptible (D). Shared by the BPF side and
 * by userspace (which seeds the state of threads it attaches to), so it includes nothing.
 * Syscall numbers are x86_64's (asm/unistd_64.h).
 */
#ifndef CONCPROF_CLASSIFY_H
#define CONCPROF_CLASSIFY_H

#include "concprof.h"

#if defined(__TARGET_ARCH_x86) || defined(__x86_64__)
#define CP_NR_read 0
#define CP_NR_write 1
#define CP_NR_open 2
#define CP_NR_poll 7
#define CP_NR_pread64 17
#define CP_NR_pwrite64 18
#define CP_NR_readv 19
#define CP_NR_writev 20
#define CP_NR_select 23
#define CP_NR_nanosleep 35
#define CP_NR_sendfile 40
#define CP_NR_connect 42
#define CP_NR_accept 43
#define CP_NR_sendto 44
#define CP_NR_recvfrom 45
#define CP_NR_sendmsg 46
#define CP_NR_recvmsg 47
#define CP_NR_clone 56
#define CP_NR_execve 59
#define CP_NR_wait4 61
#define CP_NR_fsync 74
#define CP_NR_fdatasync 75
#define CP_NR_futex 202
#define CP_NR_clock_nanosleep 230
#define CP_NR_epoll_wait 232
#define CP_NR_waitid 247
#define CP_NR_openat 257
#define CP_NR_pselect6 270
#define CP_NR_ppoll 271
#define CP_NR_epoll_pwait 281
#define CP_NR_accept4 288
#define CP_NR_preadv 295
#define CP_NR_pwritev 296
#define CP_NR_recvmmsg 299
#define CP_NR_sendmmsg 307
#define CP_NR_preadv2 327
#define CP_NR_pwritev2 328
#define CP_NR_epoll_pwait2 441
#define CP_NR_futex_waitv 449
#define CP_NR_futex_wait 455
#define CP_NR_futex_requeue 456
#else
#error "concprof knows only x86_64 syscall numbers so far"
#endif

/* enum cp_reason values (user/model.h), repeated here for the BPF side. */
#define CPR_LOCK 0
#define CPR_SLEEP 1
#define CPR_CHILD 2
#define CPR_NET 3
#define CPR_PIPE 4
#define CPR_DISK 5
#define CPR_PAGING 6
#define CPR_OTHER 7

/* Direction of the bytes a syscall moves through its fd: 1 in, 2 out, 0 none. */
#define CP_IO_IN 1
#define CP_IO_OUT 2

/* Syscalls below 64 as bit masks: both tests run on every syscall, so one shift instead of a
 * chain of compares (BPF has no jump tables).
 */
#define CP_BIT(nr) (1ull << (nr))
#define CP_IO_IN_LOW                                                                        \
	(CP_BIT(CP_NR_read) | CP_BIT(CP_NR_readv) | CP_BIT(CP_NR_pread64) |                 \
	 CP_BIT(CP_NR_recvfrom) | CP_BIT(CP_NR_recvmsg))
#define CP_IO_OUT_LOW                                                                       \
	(CP_BIT(CP_NR_write) | CP_BIT(CP_NR_writev) | CP_BIT(CP_NR_pwrite64) |              \
	 CP_BIT(CP_NR_sendto) | CP_BIT(CP_NR_sendmsg) |                                     \
	 CP_BIT(CP_NR_sendfile)) /* sendfile's out_fd is its first argument */
#define CP_FD_OTHER_LOW (CP_BIT(CP_NR_connect) | CP_BIT(CP_NR_accept))

static inline int cp_syscall_io_dir(int nr)
{
	if ((unsigned int)nr < 64) {
		if ((CP_IO_IN_LOW >> nr) & 1)
			return CP_IO_IN;
		return (CP_IO_OUT_LOW >> nr) & 1 ? CP_IO_OUT : 0;
	}
	if (nr == CP_NR_preadv || nr == CP_NR_preadv2)
		return CP_IO_IN;
	if (nr == CP_NR_pwritev || nr == CP_NR_pwritev2)
		return CP_IO_OUT;
	return 0;
}

/* Does the syscall's first argument name the fd the thread may block on? */
static inline int cp_syscall_has_fd(int nr)
{
	if ((unsigned int)nr < 64)
		return ((CP_IO_IN_LOW | CP_IO_OUT_LOW | CP_FD_OTHER_LOW) >> nr) & 1;
	switch (nr) {
	case CP_NR_fsync:
	case CP_NR_fdatasync:
	case CP_NR_accept4:
	case CP_NR_recvmmsg:
	case CP_NR_sendmmsg:
	case CP_NR_preadv:
	case CP_NR_preadv2:
	case CP_NR_pwritev:
	case CP_NR_pwritev2:
		return 1;
	}
	return 0;
}

static inline int cp_fdkind_reason(int fdk, int uninterruptible)
{
	switch (fdk) {
	case FDK_SOCKET:
		return CPR_NET;
	case FDK_PIPE:
		return CPR_PIPE;
	case FDK_REGULAR:
		return CPR_DISK;
	}
	return uninterruptible ? CPR_DISK : CPR_OTHER;
}

/*
 * nr: syscall in progress (-1: none); fdk: kind of its fd; last_io_fdk: kind of the thread's
 * latest fd I/O, the best guess for what an epoll/select waits on.
 */
static inline int cp_block_reason(int nr, int fdk, int last_io_fdk, int uninterruptible)
{
	if (nr < 0) /* asleep outside any syscall: a page fault waiting for I/O, or a stop */
		return uninterruptible ? CPR_PAGING : CPR_OTHER;
	switch (nr) {
	case CP_NR_futex:
	case CP_NR_futex_waitv:
	case CP_NR_futex_wait:
	case CP_NR_futex_requeue:
		return CPR_LOCK;
	case CP_NR_nanosleep:
	case CP_NR_clock_nanosleep:
		return CPR_SLEEP;
	case CP_NR_wait4:
	case CP_NR_waitid:
		return CPR_CHILD;
	case CP_NR_connect:
	case CP_NR_accept:
	case CP_NR_accept4:
	case CP_NR_recvfrom:
	case CP_NR_recvmsg:
	case CP_NR_recvmmsg:
	case CP_NR_sendto:
	case CP_NR_sendmsg:
	case CP_NR_sendmmsg:
		return CPR_NET;
	case CP_NR_poll:
	case CP_NR_ppoll:
		return cp_fdkind_reason(fdk, 0) == CPR_OTHER ? cp_fdkind_reason(last_io_fdk, 0)
							     : cp_fdkind_reason(fdk, 0);
	case CP_NR_select:
	case CP_NR_pselect6:
	case CP_NR_epoll_wait:
	case CP_NR_epoll_pwait:
	case CP_NR_epoll_pwait2:
		return cp_fdkind_reason(last_io_fdk, 0);
	}
	if (cp_syscall_has_fd(nr))
		return cp_fdkind_reason(fdk, uninterruptible);
	/* D inside open, stat, execve, mmap...: the file system waiting for the disk. */
	return uninterruptible ? CPR_DISK : CPR_OTHER;
}

#endif
