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
	/* What every syscall touches, together in the first 64 bytes (one cache line). */
	unsigned long long since_ns; /* when the current state began */
	unsigned long long user_ns;
	unsigned long long sys_ns;
	unsigned long long syscalls;
	int syscall_nr; /* the syscall in progress, -1 when in user mode */
	int syscall_fd; /* its fd argument (first pollfd's for poll), -1 if none */
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
	char comm[CP_TASK_COMM_LEN];
};

/* Value of the `procs` map, keyed by pid. */
struct cp_kprocess {
	unsigned long long start_ns;
	unsigned long long end_ns; /* when its last thread exited */
	unsigned int pid;
	unsigned int ppid;
	int exit_status; /* wait(2)-style status of the group's last thread, valid if exited */
	unsigned char exited;
	unsigned char pad[3];
	char comm[CP_TASK_COMM_LEN];
};

/* Counters the kernel side keeps about itself (global .bss). */
struct cp_kstats {
	unsigned long long lost_events;	 /* ring buffer full */
	unsigned long long lost_threads; /* `threads` map full */
	unsigned long long lost_procs;	 /* `procs` map full */
	unsigned long long lost_archive; /* tid reused and the archive was full */
	unsigned long long repaired_switches; /* switch-ins the kernel did not report */
	unsigned long long repaired_wakeups;  /* wakeups the kernel did not report */
};

enum cp_event_type {
	EV_SWITCH = 1, /* prev_tid/next_tid: traced threads leaving/taking the CPU (0 = not ours) */
	EV_EXEC,       /* tid started (launched program) or exec'd; it is on a CPU */
	EV_FORK,       /* tid created child_tid */
};

/* One record of the event stream: 32 bytes; a switch record carries two transitions. */
struct cp_event {
	unsigned long long ts_ns;
	unsigned int tid;   /* EV_SWITCH: prev (0 if not traced); others: the subject */
	unsigned int other; /* EV_SWITCH: next (0 if not traced); EV_FORK: child tid */
	unsigned short cpu;
	unsigned char type;
	unsigned char state; /* EV_SWITCH: prev's new cp_kstate in the low 4 bits, reason above */
	unsigned int waker; /* EV_SWITCH: the thread that woke `other`, 0 if preempted/unknown */
	/* EV_SWITCH: prev's slice really started this many ns before its switch-in record (or
	 * after, if negative): its length is the kernel's (see align_slice).
	 */
	int shift;
};

#endif
