/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Plain types shared by the BPF programs and userspace: the per-thread state the kernel keeps,
 * the per-process record, and one record of the event stream. No kernel or libc headers here.
 */
#ifndef CONCPROF_H
#define CONCPROF_H

#define CP_TASK_COMM_LEN 16
#define CP_NR_BLOCK_REASONS 8 /* the order of enum cp_reason in user/model.h */

/* A traced thread's state. Exactly one at any time between its start and its exit. */
enum cp_kstate {
	KS_PENDING = 0,	  /* launched program before its exec: not yet counted */
	KS_USER,	  /* on a CPU, not in a syscall */
	KS_SYS,		  /* on a CPU, in a syscall */
	KS_RQ_PREEMPTED,  /* on a run queue after losing the CPU while runnable */
	KS_RQ_WOKEN,	  /* woken (or new), waiting for a CPU */
	KS_BLOCKED,	  /* asleep; reason in cp_kthread.reason */
	KS_DEAD,	  /* final switch-out done; totals are final */
};

/* What kind of file a syscall's fd is, for block reasons and byte counts. */
enum cp_fdkind {
	FDK_UNKNOWN = 0,
	FDK_SOCKET,
	FDK_PIPE,
	FDK_REGULAR, /* regular files and block devices */
	FDK_OTHER,   /* ttys, eventfds, epoll, ... */
};

/* Value of the `threads` map, keyed by tid. */
struct cp_kthread {
	/* What every syscall touches, together at the start. */
	unsigned long long since_ns; /* when the current state began */
	unsigned long long user_ns;
	unsigned long long sys_ns;
	unsigned long long syscalls;
	/* The syscall it was inside at its latest switch-out (read then from its saved
	 * registers, not at every sys_enter), -1 if none: what it blocked in, and whether it
	 * resumes in the kernel.
	 */
	int syscall_nr;
	unsigned int stack_known; /* its stack's mapping was found (stack_start/end) */
	unsigned char state;	   /* enum cp_kstate */
	unsigned char reason;	   /* enum cp_reason, while KS_BLOCKED */
	unsigned char last_io_fdk; /* enum cp_fdkind of the latest fd I/O: a guess for epoll/select */
	unsigned char ran;	   /* has been on a CPU at least once (last_cpu is valid) */
	unsigned char pre_in_state; /* state and reason of the interval its switch-in closed */
	unsigned char pre_in_reason;
	unsigned char slice_start_sys; /* it switched in inside a syscall */
	unsigned char slice_repaired;  /* its switch-in was rebuilt (repair_missed_switch_in) */
	unsigned int tid;
	unsigned int pid;

	/* The switch path. */
	unsigned long long slice_start_ns;   /* our timestamp of its latest switch-in */
	unsigned long long pre_in_ns;	     /* length of the interval that switch-in closed */
	unsigned long long sum_at_in;	     /* the kernel's se.sum_exec_runtime then */
	unsigned long long run_delay_at_out; /* its sched_info.run_delay at the latest switch-out */
	unsigned long long sum_at_out;	     /* and its se.sum_exec_runtime */
	unsigned long long sys_at_in;	     /* sys_ns at its latest switch-in */
	unsigned long long user_at_in;	     /* and user_ns */
	unsigned long long lock_addr;	     /* the futex it is blocked on, 0 if none */
	unsigned long long rq_preempted_ns;
	unsigned long long rq_woken_ns;
	unsigned long long blocked_ns[CP_NR_BLOCK_REASONS];
	unsigned long long voluntary_switches;
	unsigned long long involuntary_switches;
	unsigned long long migrations;
	unsigned int last_cpu;
	unsigned int waker_tid;	 /* who woke it last, until its next switch-in */
	int other_syscall;	 /* syscall of the latest block classified "other", -1 if none */
	unsigned int pad;

	unsigned long long net_rx_bytes, net_tx_bytes;
	unsigned long long disk_read_bytes, disk_write_bytes;
	unsigned long long pipe_read_bytes, pipe_write_bytes;
	unsigned long long start_ns;
	unsigned long long end_ns;
	/* The kernel's own counters when tracing of the thread began (exec, attach; 0 after
	 * fork): at its exit, switches and migrations are the kernel's counts since then.
	 */
	unsigned long long base_nvcsw, base_nivcsw, base_migrations;
	unsigned long long first_run_ns; /* its first switch-in, 0 until then */
	unsigned long long min_user_sp;	 /* the lowest user stack pointer seen at a switch-out */
	unsigned long long stack_start;	 /* the mapping that stack pointer lies in, once found */
	unsigned long long stack_end;
	char comm[CP_TASK_COMM_LEN];
};

/* Value of the `procs` map, keyed by pid. */
struct cp_kprocess {
	unsigned long long start_ns;
	unsigned long long end_ns; /* when its last thread exited */
	unsigned int pid;
	unsigned int ppid;
	int exit_status; /* wait(2)-style status of the group's last thread, valid if exited */
	unsigned long long peak_rss_pages; /* its resident memory at its most, at its exit */
	unsigned char exited;
	unsigned char pad[3];
	char comm[CP_TASK_COMM_LEN];
};

/* Where a lock's futex word lies, found at its first wait while the process is alive. */
enum cp_lock_where {
	LW_UNKNOWN = 0,
	LW_EXE,	  /* the program's data or bss: offset = address - mm->start_code */
	LW_FILE,  /* a file mapping (a library's data): offset = offset in the file */
	LW_HEAP,  /* the brk heap */
	LW_ANON,  /* anonymous memory: malloc's mmap'd arenas, thread stacks */
	LW_STACK, /* the main thread's stack */
};

#define CP_LOCK_IDS 8	      /* waiters and wakers remembered per lock */
#define CP_LOCK_PATH_PARTS 12 /* path components of the file, leaf first */
#define CP_LOCK_PART_LEN 40

struct cp_lock_key {
	unsigned int pid;
	unsigned int pad;
	unsigned long long addr;
};

/* Value of the `locks` map: the waits on one futex word of one process. */
struct cp_klock {
	unsigned long long wait_ns;
	unsigned long long max_wait_ns;
	unsigned long long waits;
	unsigned long long offset; /* see enum cp_lock_where */
	unsigned int waiters[CP_LOCK_IDS]; /* the first distinct threads that waited */
	unsigned int wakers[CP_LOCK_IDS];  /* the first distinct threads that woke a waiter */
	unsigned char nr_waiters, nr_wakers;
	unsigned char more_waiters, more_wakers; /* more than CP_LOCK_IDS of them */
	unsigned char where;			 /* enum cp_lock_where */
	unsigned char pad[3];
	char path[CP_LOCK_PATH_PARTS][CP_LOCK_PART_LEN];
};

/* Counters the kernel side keeps about itself (global .bss). */
struct cp_kstats {
	unsigned long long lost_events;	 /* ring buffer full */
	unsigned long long lost_threads; /* `threads` map full */
	unsigned long long lost_procs;	 /* `procs` map full */
	unsigned long long lost_archive; /* tid reused and the archive was full */
	unsigned long long repaired_switches; /* switch-ins the kernel did not report */
	unsigned long long repaired_wakeups;  /* wakeups the kernel did not report */
	unsigned long long lost_locks;	      /* `locks` map full: waits not attributed */
};

enum cp_rec_type {
	EV_OUT = 1, /* tid left its CPU: state = its new cp_kstate | reason << 4 (| REPAIRED) */
	EV_IN,	    /* tid took the CPU: state = the cp_kstate it waited in | reason << 4 (| ...) */
	EV_FORK,    /* tid created thread a (of process b); state 1: a new process */
	EV_EXEC,    /* tid exec'd; state 1: the launched program starts (time zero) */
};

/* The bench's floors (collect opts' floor_only). */
#define CP_FLOOR 1
#define CP_FLOOR_CLOCK 2

#define CP_NO_SYSCALL 0xffff
#define CP_SYSCALL_UNKNOWN 0xfffe /* inside a syscall, which one is not known */
#define CP_REC_REPAIRED 0x80 /* in state: the kernel did not report this switch; rebuilt */

/*
 * One record of the event stream, 24 bytes. A context switch between two traced threads is an
 * EV_OUT and an EV_IN with the same time; the IN also tells when the wait before it began, so
 * a wakeup needs no record of its own: each record is one or two state transitions.
 */
struct cp_rec {
	unsigned long long ts_ns;
	unsigned int tid;
	unsigned char type;	 /* enum cp_rec_type */
	unsigned char state;	 /* see enum cp_rec_type */
	unsigned short syscall;	 /* EV_OUT: the syscall it blocks in; EV_IN: the one it returns
				  * to; CP_NO_SYSCALL if none */
	/* EV_OUT: how much of the slice just ended was in the kernel (cp_dur32);
	 * EV_IN: the tid that woke it (0 if preempted or unknown); EV_FORK: the child's tid.
	 */
	unsigned int a;
	/* EV_OUT: the slice started this many ns before its EV_IN's time (after, if negative):
	 * it is as long as the kernel's own (see align_slice);
	 * EV_IN: how long it waited in `state` just before (cp_dur32); EV_FORK: child's tgid.
	 */
	unsigned int b;
};

/* Durations in 32 bits: ns below 2^31 (2.1 s), above that µs with the top bit set (35 min). */
#define CP_DUR32_US 0x80000000u
static inline unsigned int cp_dur32(unsigned long long ns)
{
	unsigned long long us;

	if (ns < CP_DUR32_US)
		return (unsigned int)ns;
	us = ns / 1000;
	return CP_DUR32_US | (unsigned int)(us < CP_DUR32_US ? us : CP_DUR32_US - 1);
}

static inline unsigned long long cp_dur32_ns(unsigned int v)
{
	return v & CP_DUR32_US ? (unsigned long long)(v & ~CP_DUR32_US) * 1000 : v;
}

/*
 * Records travel in per-CPU batches: one ring buffer record per CP_BATCH_RECS stream records,
 * since reserving a ring slot costs several times what filling a record does. A CPU's batch
 * is sent when full; what is left is read from the map at the end. A CPU's records are in
 * time order, except those a repair dates back (see repair_missed_switch_in).
 */
#define CP_BATCH_RECS 170
struct cp_batch {
	unsigned int cpu;
	unsigned short nr;   /* records in rec[] */
	unsigned char busy;  /* an append is in progress (an interrupt's append goes alone) */
	unsigned char pad;
	struct cp_rec rec[CP_BATCH_RECS];
	unsigned char tail[8]; /* up to 4096 bytes, a page; not sent */
};
#define CP_BATCH_HDR 8 /* bytes before rec[] */
#define CP_BATCH_SENT (CP_BATCH_HDR + CP_BATCH_RECS * 24) /* a full batch's bytes in the ring */
_Static_assert(sizeof(struct cp_batch) == 4096, "a batch is a page");

#endif
