// SPDX-License-Identifier: GPL-2.0
/*
 * The per-thread state machine. Every traced thread is, from its start to its exit, in exactly
 * one state (enum cp_kstate); each tracepoint that moves it closes the current interval at the
 * same timestamp it opens the next one, so user + sys + runnable + blocked = lifetime by
 * construction. Totals live in the `threads` map and stay exact whatever the ring buffer drops;
 * the ring buffer only carries the switch stream for userspace's views.
 *
 * Each tracepoint has a tp_btf and a raw_tp twin over one handler; userspace loads the tp_btf
 * set and falls back to raw_tp. Task pointers are read with BPF_CORE_READ so both work.
 *
 * Where locks, stacks and memory lie in the process (the `locks` map, stack mappings, peak
 * RSS) is in where.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "classify.h"
#include "concprof.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/sched.h */
#define TASK_RUNNING 0x0
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_DEAD 0x80

/* include/uapi/linux/sched.h */
#define SCHED_NORMAL 0
#define SCHED_BATCH 3
#define SCHED_IDLE 5

/* include/uapi/linux/stat.h */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFBLK 0060000
#define S_IFREG 0100000
#define S_IFIFO 0010000

/* Set before load. floor_only (make bench): attach everything but stop after the "is it
 * ours?" lookup (CP_FLOOR), or after it and one clock read (CP_FLOOR_CLOCK), which is what
 * the clock alone costs.
 */
const volatile unsigned char floor_only = 0;
const volatile bool stream_enabled = true;
/* Wake the stream's reader once this much waits in the ring (0: never, it polls). */
const volatile unsigned long long ring_wake_bytes = 0;

/* The timer tick, for explaining getrusage's sampling; 0 if libbpf cannot tell. */
extern unsigned int CONFIG_HZ __kconfig __weak;
unsigned int kernel_hz;

struct cp_kstats stats;
unsigned long long root_exec_ns;
unsigned int archive_seq;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768); /* resized by userspace */
	__type(key, u32);
	__type(value, struct cp_kthread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, u32);
	__type(value, struct cp_kprocess);
} procs SEC(".maps");

/* Records of exited threads and processes whose tid/pid was reused during the run. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u32);
	__type(value, struct cp_kthread);
} thread_archive SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u32);
	__type(value, struct cp_kprocess);
} proc_archive SEC(".maps");

/*
 * Each CPU's batch of stream records not yet sent, indexed by CPU (max_entries set to the
 * possible CPUs before load). A plain array rather than a per-CPU one: up to 7 CPUs it is
 * one kmalloc'ed block in the kernel's direct map, whose large pages are mostly in the TLB
 * already, where per-CPU map memory is vmalloc'ed 4 KiB pages; with PTI and no PCID the TLB
 * starts empty at every kernel entry, and that page walk cost 35 ns of each context switch
 * on the pinned pipe benchmark (more CPUs: vmalloc'ed, as before).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cp_batch);
} batches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace */
} events SEC(".maps");

static __always_inline void count(unsigned long long *counter)
{
	__sync_fetch_and_add(counter, 1);
}

static __always_inline void send(void *data, u64 size, u32 nr)
{
	/* A consumer wakeup per batch would be wasted: userspace polls every CP_DRAIN_MS, and is
	 * woken early only when a quarter of the ring waits. The ring is kept small so that what
	 * the batches are copied into is still in the cache (see cp_ring_bytes()).
	 */
	u64 flags = BPF_RB_NO_WAKEUP;

	if (ring_wake_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ring_wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, data, size, flags))
		__sync_fetch_and_add(&stats.lost_events, nr);
}

#define compiler_barrier() asm volatile("" ::: "memory")

static __always_inline void fill(struct cp_rec *r, u64 now, u8 type, u32 tid, u8 state,
				 int syscall, u32 a, u32 b)
{
	r->ts_ns = now;
	r->tid = tid;
	r->type = type;
	r->state = state;
	r->syscall = syscall >= 0 ? syscall : CP_NO_SYSCALL;
	r->a = a;
	r->b = b;
}

/* Append a record to this CPU's batch; send the batch when it is full. */
static __always_inline void emit(u64 now, u8 type, u32 tid, u8 state, int syscall, u32 a, u32 b)
{
	struct cp_batch *bt;
	u32 cpu, i;

	if (!stream_enabled)
		return;
	cpu = bpf_get_smp_processor_id();
	bt = bpf_map_lookup_elem(&batches, &cpu);
	if (!bt)
		return;
	if (bt->busy) {
		/* An interrupt's wakeup (a repair) landed inside an append on this CPU: send
		 * it as a batch of its own rather than touch the one being written.
		 */
		struct {
			u32 cpu;
			u16 nr;
			u16 pad;
			struct cp_rec rec;
		} one = { .cpu = cpu, .nr = 1 };

		fill(&one.rec, now, type, tid, state, syscall, a, b);
		send(&one, sizeof(one), 1);
		return;
	}
	bt->busy = 1;
	compiler_barrier();
	i = bt->nr;
	if (i >= CP_BATCH_RECS) /* never: nr is reset when it gets there */
		i = 0;
	fill(&bt->rec[i], now, type, tid, state, syscall, a, b);
	if (++i == CP_BATCH_RECS) {
		bt->cpu = cpu;
		bt->nr = i;
		send(bt, CP_BATCH_SENT, i);
		i = 0;
	}
	bt->nr = i;
	compiler_barrier();
	bt->busy = 0;
}

static __always_inline void emit_out(struct cp_kthread *t, u64 now, s32 shift, u8 repaired)
{
	emit(now, EV_OUT, t->tid, t->state | (t->reason << 4) | (repaired << 7), t->syscall_nr,
	     cp_dur32(t->sys_ns - t->sys_at_in), shift);
}

static __always_inline void emit_in(struct cp_kthread *t, u64 now, u32 waker)
{
	emit(now, EV_IN, t->tid,
	     t->pre_in_state | (t->pre_in_reason << 4) | (t->slice_repaired << 7), t->syscall_nr, waker,
	     cp_dur32(t->pre_in_ns));
}

/*
 * A task field on the switch path: a direct load from tp_btf programs' trusted pointers, a
 * fraction of the cost of the bpf_probe_read_kernel() call that raw_tp programs need. `btf` is
 * a constant in each program, so the other branch is compiled out.
 */
#define TASK_FIELD(btf, task, field) ((btf) ? (task)->field : BPF_CORE_READ(task, field))

/*
 * The registers a task saved when it entered the kernel from user mode. `task` must be a
 * trusted pointer (tp_btf's arguments, bpf_get_current_task_btf()); the raw_tp twins read
 * through the result with BPF_CORE_READ (REGS_FIELD).
 */
static __always_inline struct pt_regs *user_regs(struct task_struct *task)
{
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

#define REGS_FIELD(btf, regs, field) ((btf) ? (regs)->field : BPF_CORE_READ(regs, field))

/*
 * The syscall a task in state KS_SYS is inside, and its first argument (x86_64: orig_ax and
 * di). They are read where they are needed (a switch-out, a fork, a syscall's exit) rather
 * than stored at every sys_enter, whose hot path is then a clock read and two additions.
 */
static __always_inline int regs_syscall(struct pt_regs *regs, bool btf)
{
	return (int)REGS_FIELD(btf, regs, orig_ax);
}

static __always_inline u64 regs_arg1(struct pt_regs *regs, bool btf)
{
	return REGS_FIELD(btf, regs, di);
}

/*
 * The fd a blocked syscall waits on: its first argument, or for poll the first pollfd's
 * (sched_switch runs as the task switching out, so its user memory is the current one).
 */
static __always_inline int syscall_fd(int nr, struct pt_regs *regs, bool btf)
{
	int fd = -1;

	if (nr == CP_NR_poll || nr == CP_NR_ppoll)
		bpf_probe_read_user(&fd, sizeof(fd), (void *)regs_arg1(regs, btf));
	else if (cp_syscall_has_fd(nr))
		fd = (int)regs_arg1(regs, btf);
	return fd;
}

#include "where.bpf.h"

/* Close the current interval at `now`, crediting it to the state it was in; returns its length. */
static __always_inline u64 account(struct cp_kthread *t, u64 now)
{
	u64 delta = now > t->since_ns ? now - t->since_ns : 0;

	switch (t->state) {
	case KS_USER:
		t->user_ns += delta;
		break;
	case KS_SYS:
		t->sys_ns += delta;
		break;
	case KS_RQ_PREEMPTED:
		t->rq_preempted_ns += delta;
		break;
	case KS_RQ_WOKEN:
		t->rq_woken_ns += delta;
		break;
	case KS_BLOCKED:
		t->blocked_ns[t->reason & (CP_NR_BLOCK_REASONS - 1)] += delta;
		if (t->lock_addr)
			lock_waited(t, delta);
		break;
	}
	t->since_ns = now;
	return delta;
}

static __always_inline unsigned long long *bucket(struct cp_kthread *t, u8 state, u8 reason)
{
	switch (state) {
	case KS_SYS:
		return &t->sys_ns;
	case KS_RQ_PREEMPTED:
		return &t->rq_preempted_ns;
	case KS_RQ_WOKEN:
		return &t->rq_woken_ns;
	case KS_BLOCKED:
		return &t->blocked_ns[reason & (CP_NR_BLOCK_REASONS - 1)];
	}
	return &t->user_ns;
}

/* Only the fair class keeps se.prev_sum_exec_runtime, the sum at the latest switch-in. */
static __always_inline bool is_cfs(struct task_struct *task, bool btf)
{
	unsigned int policy = TASK_FIELD(btf, task, policy);

	return policy == SCHED_NORMAL || policy == SCHED_BATCH || policy == SCHED_IDLE;
}

/* Switch-in at `now`: remember what it closed, for align_slice(). */
static __always_inline void switch_in(struct cp_kthread *t, struct task_struct *task, u64 now,
				      bool btf)
{
	t->sum_at_in = TASK_FIELD(btf, task, se.sum_exec_runtime);
	t->pre_in_state = t->state;
	t->pre_in_reason = t->reason;
	t->pre_in_ns = account(t, now);
	t->sys_at_in = t->sys_ns;
	t->user_at_in = t->user_ns;
	t->state = t->syscall_nr >= 0 ? KS_SYS : KS_USER;
	t->slice_start_sys = t->state == KS_SYS;
	t->slice_start_ns = now;
	t->slice_repaired = 0;
}

/* A slice's boundaries that differ from the kernel's by more than this are not boundary
 * skew but something else (a missed event): leave them alone.
 */
#define MAX_BOUNDARY_SKEW_NS 20000
/* A slice whose switch-in was rebuilt while the thread was running can be off by up to the
 * tick that the kernel's sum_exec_runtime lags (10 ms at HZ=100): its end corrects that.
 */
#define MAX_REPAIR_SKEW_NS 10000000

/*
 * The kernel starts and ends a slice when __schedule() updates the run queue's clock, a
 * little before sched_switch fires; for a thread that switches thousands of times those
 * microseconds add up to more than the kernel's own CLOCK_THREAD_CPUTIME_ID differs from
 * them. So at switch-out, make the slice exactly as long as the kernel's (for CFS tasks:
 * sum_exec_runtime - prev_sum_exec_runtime) by moving its start, taking the difference from
 * (or giving it to) the interval the switch-in closed. The invariant holds: the lifetime is
 * only redistributed. Returns how much earlier (or later, if negative) the slice now starts,
 * so that the switch stream can move its start too.
 */
static __always_inline s32 align_slice(struct cp_kthread *t, struct task_struct *task, u64 now,
				       bool btf)
{
	u64 kernel_slice, our_slice, move;
	u64 max_skew = t->slice_repaired ? MAX_REPAIR_SKEW_NS : MAX_BOUNDARY_SKEW_NS;
	unsigned long long *before, *during;

	if (!t->slice_start_ns || now < t->slice_start_ns || !is_cfs(task, btf))
		return 0;
	kernel_slice = TASK_FIELD(btf, task, se.sum_exec_runtime) -
		       TASK_FIELD(btf, task, se.prev_sum_exec_runtime);
	our_slice = now - t->slice_start_ns;
	before = bucket(t, t->pre_in_state, t->pre_in_reason);
	during = bucket(t, t->slice_start_sys ? KS_SYS : KS_USER, 0);
	if (kernel_slice > our_slice) {
		move = kernel_slice - our_slice;
		if (move > max_skew)
			return 0;
		if (move > t->pre_in_ns)
			move = t->pre_in_ns;
		*before -= move;
		*during += move;
		return move;
	}
	/* A later start takes the time from the slice's own first state, never from before it
	 * (the switch-out record tells how much of the slice was sys: that must stay >= 0).
	 */
	move = our_slice - kernel_slice;
	if (move > max_skew ||
	    move > *during - (t->slice_start_sys ? t->sys_at_in : t->user_at_in))
		return 0;
	*during -= move;
	*before += move;
	return -(s32)move;
}

static __always_inline bool counting(const struct cp_kthread *t)
{
	return t->state != KS_PENDING && t->state != KS_DEAD;
}

/*
 * The thread is evidently on a CPU (it is switching out, or making a syscall) but its state
 * says otherwise: we never saw it switch in. Two causes: a thread seeded from /proc when
 * attaching ('R' cannot tell running from runnable), and kernels that do not fire
 * sched_switch for some switches (seen here for switches away from one host agent thread;
 * tracefs misses them too). The kernel's own accounting says how long it has been on the
 * CPU since we last saw it switch out: its sum_exec_runtime then (at fork 0; at exec or the
 * attach, the value then) and now. For a thread still running that figure lags by up to a
 * tick, so the repair can only err towards runnable.
 */
static __always_inline void repair_missed_switch_in(struct cp_kthread *t, struct task_struct *task,
						    u64 now)
{
	u64 sum, on_cpu = 0, switched_in;

	if (t->state == KS_USER || t->state == KS_SYS)
		return;
	sum = BPF_CORE_READ(task, se.sum_exec_runtime);
	/* CPU time since we last saw it leave a CPU (or since fork, exec or the attach). */
	if (sum >= t->sum_at_out)
		on_cpu = sum - t->sum_at_out;
	switched_in = now - on_cpu;
	if (on_cpu > now || switched_in < t->since_ns)
		switched_in = t->since_ns;
	if (t->state == KS_BLOCKED && t->ran) {
		/* Its wakeup went unseen too: the kernel's run_delay grew by the wait since. */
		u64 waited = BPF_CORE_READ(task, sched_info.run_delay) - t->run_delay_at_out;

		if (waited < switched_in - t->since_ns) {
			account(t, switched_in - waited);
			t->state = KS_RQ_WOKEN;
			count(&stats.repaired_wakeups);
		}
	}
	u32 cpu = bpf_get_smp_processor_id();

	switch_in(t, task, switched_in, false);
	if (!t->first_run_ns) /* its first switch-in was one the kernel did not report */
		t->first_run_ns = switched_in;
	t->sum_at_in -= now - switched_in < t->sum_at_in ? now - switched_in : t->sum_at_in;
	t->slice_repaired = 1;
	if (t->ran) {
		count(&stats.repaired_switches);
		if (t->last_cpu != cpu)
			t->migrations++;
	}
	t->ran = 1;
	t->last_cpu = cpu;
	emit_in(t, switched_in, 0);
}

/*
 * A thread switching in (or being woken) while we think it is on a CPU: its switch-out was not
 * reported. The kernel's sum_exec_runtime says how long it really ran since its switch-in;
 * after that it was asleep (it is being woken) or waiting on the run queue (switching in).
 */
static __always_inline void repair_missed_switch_out(struct cp_kthread *t, struct task_struct *task,
						     u64 now, bool woken, bool btf)
{
	u64 ran = BPF_CORE_READ(task, se.sum_exec_runtime) - t->sum_at_in;
	u64 left = t->slice_start_ns + ran;

	if (!t->slice_start_ns || left > now)
		left = now;
	if (left < t->since_ns)
		left = t->since_ns;
	account(t, left);
	/* The task is not current: only tp_btf's trusted pointer reaches its registers. */
	if (t->state != KS_SYS)
		t->syscall_nr = -1;
	else if (btf)
		t->syscall_nr = regs_syscall(user_regs(task), true);
	else
		t->syscall_nr = CP_SYSCALL_UNKNOWN;
	if (woken) {
		t->reason = cp_block_reason(t->syscall_nr, FDK_UNKNOWN, t->last_io_fdk, 0);
		t->state = KS_BLOCKED;
		t->voluntary_switches++;
	} else {
		t->state = KS_RQ_PREEMPTED;
		t->involuntary_switches++;
	}
	t->slice_start_ns = 0;
	t->sum_at_out = t->sum_at_in + ran;
	count(&stats.repaired_switches);
	emit_out(t, left, 0, 1);
}

/*
 * A thread switching in while we think it asleep: its wakeup was not reported (this kernel
 * drops a few sched_wakeup events too). The kernel queued it at sched_info.last_queued and
 * picked it at se.exec_start, both on the run queue's clock: that difference is how long it
 * waited for a CPU, the rest of the interval it slept.
 */
static __always_inline void repair_missed_wakeup(struct cp_kthread *t, struct task_struct *task,
						 u64 now)
{
	u64 queued = BPF_CORE_READ(task, sched_info.last_queued);
	u64 picked = BPF_CORE_READ(task, se.exec_start);
	u64 waited;

	if (!queued || picked <= queued)
		return;
	waited = picked - queued;
	if (waited >= now - t->since_ns)
		return;
	account(t, now - waited);
	t->state = KS_RQ_WOKEN;
	count(&stats.repaired_wakeups);
}

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline u8 mode_kind(unsigned int mode)
{
	switch (mode & S_IFMT) {
	case S_IFSOCK:
		return FDK_SOCKET;
	case S_IFIFO:
		return FDK_PIPE;
	case S_IFREG:
	case S_IFBLK:
		return FDK_REGULAR;
	}
	return FDK_OTHER;
}

/*
 * The kind of file behind a task's fd. With btf (tp_btf programs) the pointer chain is read
 * with direct loads, a fraction of the cost of one bpf_probe_read_kernel() call each; the
 * raw_tp twins must use BPF_CORE_READ.
 */
static __always_inline u8 fd_kind(struct task_struct *task, int fd, bool btf)
{
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0)
		return FDK_UNKNOWN;
	if (btf) {
		struct llist_node *slot;

		fdt = task->files->fdt;
		if (!fdt || (unsigned int)fd >= fdt->max_fds)
			return FDK_UNKNOWN;
		/* fds[fd]: the verifier allows no variable index into a kernel object, so the
		 * slot is read as the one pointer of a struct llist_node, a load rather than a
		 * helper call.
		 */
		slot = bpf_rdonly_cast(fdt->fd + fd, bpf_core_type_id_kernel(struct llist_node));
		file = bpf_rdonly_cast(slot->next, bpf_core_type_id_kernel(struct file));
		if (!file)
			return FDK_UNKNOWN;
		return mode_kind(file->f_inode->i_mode);
	}
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return FDK_UNKNOWN;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return FDK_UNKNOWN;
	return mode_kind(BPF_CORE_READ(file, f_inode, i_mode));
}

static __always_inline void archive_thread(struct cp_kthread *old)
{
	u32 seq = __sync_fetch_and_add(&archive_seq, 1);

	if (bpf_map_update_elem(&thread_archive, &seq, old, BPF_NOEXIST))
		count(&stats.lost_archive);
}

static __always_inline void archive_process(struct cp_kprocess *old)
{
	u32 seq = __sync_fetch_and_add(&archive_seq, 1);

	if (bpf_map_update_elem(&proc_archive, &seq, old, BPF_NOEXIST))
		count(&stats.lost_archive);
}

static __always_inline void insert_thread(u32 tid, struct cp_kthread *val)
{
	struct cp_kthread *old = bpf_map_lookup_elem(&threads, &tid);

	if (old) /* the tid of a thread that exited earlier in the run, reused */
		archive_thread(old);
	if (bpf_map_update_elem(&threads, &tid, val, BPF_ANY))
		count(&stats.lost_threads);
}

static __always_inline void insert_process(struct task_struct *task, u64 now)
{
	struct cp_kprocess proc = {};
	struct cp_kprocess *old;
	u32 pid = BPF_CORE_READ(task, tgid);

	proc.pid = pid;
	proc.ppid = BPF_CORE_READ(task, real_parent, tgid);
	proc.start_ns = now;
	BPF_CORE_READ_STR_INTO(&proc.comm, task, comm);
	old = bpf_map_lookup_elem(&procs, &pid);
	if (old)
		archive_process(old);
	if (bpf_map_update_elem(&procs, &pid, &proc, BPF_ANY))
		count(&stats.lost_procs);
}

/* The floor's handlers stop here (for CP_FLOOR_CLOCK, after reading the clock). */
static __always_inline bool floor_stop(void)
{
	if (!floor_only)
		return false;
	if (floor_only == CP_FLOOR_CLOCK)
		bpf_ktime_get_ns();
	return true;
}

static __always_inline int handle_switch(bool preempt, struct task_struct *prev,
					 struct task_struct *next, unsigned int prev_state, bool btf)
{
	u32 prev_tid = TASK_FIELD(btf, prev, pid);
	u32 next_tid = TASK_FIELD(btf, next, pid);
	struct cp_kthread *pt = NULL, *nt = NULL;
	u32 cpu = 0;
	s32 shift;
	u64 now = 0;

	/* tid 0 is the idle task. */
	if (prev_tid)
		pt = bpf_map_lookup_elem(&threads, &prev_tid);
	if (next_tid)
		nt = bpf_map_lookup_elem(&threads, &next_tid);
	if (floor_only) {
		/* Two tests, for the reason given below. */
		if (pt)
			floor_stop();
		else if (nt)
			floor_stop();
		return 0;
	}
	/* Two separate tests: clang would fold !pt && !nt into (pt | nt) == 0, which the
	 * verifier refuses on pointers.
	 */
	if (pt && counting(pt)) {
		/* tp_btf's prev is a trusted pointer; raw_tp's is not, but sched_switch runs as
		 * prev, so current is the same task.
		 */
		struct task_struct *task = btf ? prev : bpf_get_current_task_btf();
		struct pt_regs *regs = user_regs(task);

		now = bpf_ktime_get_ns();
		cpu = bpf_get_smp_processor_id();
		repair_missed_switch_in(pt, prev, now);
		account(pt, now);
		shift = align_slice(pt, prev, now, btf);
		pt->slice_start_ns = 0;
		pt->syscall_nr = pt->state == KS_SYS ? regs_syscall(regs, btf) : -1;
		note_user_sp(pt, task, regs, btf);
		pt->run_delay_at_out = TASK_FIELD(btf, prev, sched_info.run_delay);
		pt->sum_at_out = TASK_FIELD(btf, prev, se.sum_exec_runtime);
		if (prev_state & TASK_DEAD) {
			pt->state = KS_DEAD;
			pt->end_ns = now;
			BPF_CORE_READ_STR_INTO(&pt->comm, prev, comm);
			/* The kernel counted every switch and migration, even those its
			 * tracepoints did not report: its counts are the ones to keep.
			 */
			pt->voluntary_switches = BPF_CORE_READ(prev, nvcsw) - pt->base_nvcsw;
			pt->involuntary_switches = BPF_CORE_READ(prev, nivcsw) - pt->base_nivcsw;
			pt->migrations = BPF_CORE_READ(prev, se.nr_migrations) - pt->base_migrations;
		} else if (preempt || prev_state == TASK_RUNNING) {
			/* Preempted, or woken before it could sleep: it stays on the run queue. */
			pt->state = KS_RQ_PREEMPTED;
			pt->involuntary_switches++;
		} else {
			int nr = pt->syscall_nr;
			u8 fdk = fd_kind(prev, syscall_fd(nr, regs, btf), btf);

			pt->reason = cp_block_reason(nr, fdk, pt->last_io_fdk,
						     prev_state & TASK_UNINTERRUPTIBLE);
			if (pt->reason == CPR_OTHER)
				pt->other_syscall = nr;
			pt->lock_addr = 0;
			if (pt->reason == CPR_LOCK && nr == CP_NR_futex) {
				pt->lock_addr = regs_arg1(regs, btf);
				if (pt->lock_addr)
					lock_blocked(pt);
			}
			pt->state = KS_BLOCKED;
			pt->voluntary_switches++;
		}
		emit_out(pt, now, shift, 0);
	}
	if (nt && counting(nt)) {
		if (!now) {
			now = bpf_ktime_get_ns();
			cpu = bpf_get_smp_processor_id();
		}
		if (nt->state == KS_USER || nt->state == KS_SYS)
			repair_missed_switch_out(nt, next, now, false, btf);
		else if (nt->state == KS_BLOCKED)
			repair_missed_wakeup(nt, next, now);
		switch_in(nt, next, now, btf);
		if (nt->ran && nt->last_cpu != cpu)
			nt->migrations++;
		nt->ran = 1;
		nt->last_cpu = cpu;
		if (!nt->first_run_ns)
			nt->first_run_ns = now;
		emit_in(nt, now, nt->waker_tid);
		nt->waker_tid = 0;
	}
	return 0;
}

/*
 * sched_wakeup, not sched_waking: it fires when the task is put on the run queue, which is when
 * the kernel's run_delay starts counting too. sched_waking can fire before the wakee has even
 * finished switching out.
 */
static __always_inline int handle_wakeup(struct task_struct *p, bool btf)
{
	u32 tid = TASK_FIELD(btf, p, pid);
	struct cp_kthread *t = bpf_map_lookup_elem(&threads, &tid);
	u64 now;

	if (!t || floor_stop())
		return 0;
	if (t->state != KS_BLOCKED) {
		/* Woken while we think it runs, yet off its CPU: we missed it going to sleep. */
		if ((t->state != KS_USER && t->state != KS_SYS) || BPF_CORE_READ(p, on_cpu))
			return 0;
		now = bpf_ktime_get_ns();
		repair_missed_switch_out(t, p, now, true, btf);
	} else {
		now = bpf_ktime_get_ns();
	}
	/* Who woke it travels with its switch-in record (and, for a lock, into the lock's). */
	t->waker_tid = (u32)bpf_get_current_pid_tgid();
	account(t, now);
	t->state = KS_RQ_WOKEN;
	return 0;
}

static __always_inline int handle_fork(struct task_struct *parent, struct task_struct *child,
				       bool btf)
{
	u32 parent_tid = TASK_FIELD(btf, parent, pid);
	struct cp_kthread *pt = bpf_map_lookup_elem(&threads, &parent_tid);
	struct cp_kthread nt = {};
	int nr = -1;
	u64 now;

	if (!pt || floor_stop() || !counting(pt))
		return 0;
	now = bpf_ktime_get_ns();
	/* The fork (clone, clone3, vfork) the parent is inside: it runs as the parent. */
	if (pt->state == KS_SYS)
		nr = regs_syscall(user_regs(bpf_get_current_task_btf()), btf);
	nt.tid = BPF_CORE_READ(child, pid);
	nt.pid = BPF_CORE_READ(child, tgid);
	nt.start_ns = now;
	nt.since_ns = now;
	/* New tasks wait for their first run as if woken; they start inside clone's return. */
	nt.state = KS_RQ_WOKEN;
	nt.syscall_nr = nr;
	nt.other_syscall = -1;
	nt.last_io_fdk = pt->last_io_fdk;
	BPF_CORE_READ_STR_INTO(&nt.comm, child, comm);
	insert_thread(nt.tid, &nt);
	if (nt.tid == nt.pid)
		insert_process(child, now);
	emit(now, EV_FORK, parent_tid, nt.tid == nt.pid, nr, nt.tid, nt.pid);
	return 0;
}

static __always_inline int handle_exec(struct task_struct *p, u32 old_tid, bool btf)
{
	u32 tid = BPF_CORE_READ(p, pid);
	struct cp_kthread *t;
	struct cp_kprocess *proc;
	u8 started = 0;
	u64 now;

	if (old_tid != tid) {
		/*
		 * A non-leader thread exec'd: de_thread() gave it the leader's tid. Move its
		 * record there; the old leader's, already dead, goes to the archive.
		 */
		struct cp_kthread *moved = bpf_map_lookup_elem(&threads, &old_tid);

		if (!moved || floor_only)
			return 0;
		moved->tid = tid;
		insert_thread(tid, moved);
		bpf_map_delete_elem(&threads, &old_tid);
	}
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t || floor_stop())
		return 0;
	now = bpf_ktime_get_ns();
	if (t->state == KS_PENDING) {
		/* The launched program's exec: time zero. It is on a CPU, inside execve. */
		t->start_ns = now;
		t->first_run_ns = now;
		t->since_ns = now;
		t->state = KS_SYS;
		t->syscall_nr = CP_NR_execve;
		t->other_syscall = -1;
		t->ran = 1;
		t->last_cpu = bpf_get_smp_processor_id();
		t->base_nvcsw = BPF_CORE_READ(p, nvcsw);
		t->base_nivcsw = BPF_CORE_READ(p, nivcsw);
		t->base_migrations = BPF_CORE_READ(p, se.nr_migrations);
		/* Its first slice starts here; it has no interval before to align against. */
		t->slice_start_ns = now;
		t->slice_start_sys = 1;
		t->sum_at_in = BPF_CORE_READ(p, se.sum_exec_runtime);
		t->pre_in_state = KS_RQ_WOKEN;
		t->pre_in_ns = 0;
		t->run_delay_at_out = BPF_CORE_READ(p, sched_info.run_delay);
		t->sum_at_out = t->sum_at_in;
		root_exec_ns = now;
		kernel_hz = CONFIG_HZ;
		insert_process(p, now);
		started = 1;
	}
	BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	proc = bpf_map_lookup_elem(&procs, &t->pid);
	if (proc)
		BPF_CORE_READ_STR_INTO(&proc->comm, p, comm);
	/* Inside execve or execveat, which it runs as. */
	emit(now, EV_EXEC, tid, started, regs_syscall(user_regs(bpf_get_current_task_btf()), btf), 0,
	     0);
	return 0;
}

static __always_inline int handle_exit(struct task_struct *p)
{
	u32 tid = BPF_CORE_READ(p, pid);
	u32 pid = BPF_CORE_READ(p, tgid);
	struct cp_kthread *t = bpf_map_lookup_elem(&threads, &tid);
	struct cp_kprocess *proc;
	struct task_struct *task;

	if (!t || floor_stop() || !counting(t))
		return 0;
	/* Thread names set with prctl(PR_SET_NAME) after start. */
	BPF_CORE_READ_STR_INTO(&t->comm, p, comm);
	task = bpf_get_current_task_btf(); /* p: the exit runs as the exiting thread */
	note_user_sp(t, task, user_regs(task), false);
	/* do_exit() has already counted this thread out of signal->live. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	proc = bpf_map_lookup_elem(&procs, &pid);
	if (!proc)
		return 0;
	proc->exited = 1;
	proc->exit_status = BPF_CORE_READ(p, exit_code);
	proc->peak_rss_pages = peak_rss(p);
	proc->end_ns = bpf_ktime_get_ns();
	return 0;
}

/*
 * Every syscall's entry and exit: the hot path. A thread in the state it should be in pays a
 * clock read and two additions at each; everything else (the syscall's number and fd, what
 * it blocks on) is read from its saved registers at the rare points that need it.
 */
static __always_inline void sys_enter_slow(struct cp_kthread *t, u64 now)
{
	repair_missed_switch_in(t, (struct task_struct *)bpf_get_current_task(), now);
	account(t, now);
	t->state = KS_SYS;
	t->syscalls++;
}

static __always_inline int handle_sys_enter(void)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct cp_kthread *t = bpf_map_lookup_elem(&threads, &tid);
	u64 now;

	if (!t || floor_stop())
		return 0;
	if (t->state != KS_USER) {
		if (counting(t))
			sys_enter_slow(t, bpf_ktime_get_ns());
		return 0;
	}
	now = bpf_ktime_get_ns();
	t->user_ns += now - t->since_ns;
	t->since_ns = now;
	t->state = KS_SYS;
	t->syscalls++;
	return 0;
}

/* Bytes a read or write moved, by the kind of file it went through. */
static __always_inline void count_io(struct cp_kthread *t, int dir, u8 fdk, long ret)
{
	if (fdk == FDK_SOCKET) {
		if (dir == CP_IO_IN)
			t->net_rx_bytes += ret;
		else
			t->net_tx_bytes += ret;
	} else if (fdk == FDK_PIPE) {
		if (dir == CP_IO_IN)
			t->pipe_read_bytes += ret;
		else
			t->pipe_write_bytes += ret;
	} else if (fdk == FDK_REGULAR) {
		if (dir == CP_IO_IN)
			t->disk_read_bytes += ret;
		else
			t->disk_write_bytes += ret;
	}
	if (fdk == FDK_SOCKET || fdk == FDK_PIPE)
		t->last_io_fdk = fdk;
}

static __always_inline int handle_sys_exit(struct pt_regs *regs, long ret, bool btf)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct cp_kthread *t = bpf_map_lookup_elem(&threads, &tid);
	struct task_struct *task;
	int nr, dir;
	u64 now;

	if (!t || floor_stop())
		return 0;
	if (t->state != KS_SYS) {
		if (!counting(t))
			return 0;
		now = bpf_ktime_get_ns();
		repair_missed_switch_in(t, (struct task_struct *)bpf_get_current_task(), now);
		account(t, now);
	} else {
		now = bpf_ktime_get_ns();
		t->sys_ns += now - t->since_ns;
		t->since_ns = now;
	}
	t->state = KS_USER;
	if (ret >= 0) {
		nr = regs_syscall(regs, btf);
		dir = cp_syscall_io_dir(nr);
		if (dir && ret > 0) {
			task = btf ? bpf_get_current_task_btf()
				   : (struct task_struct *)bpf_get_current_task();
			count_io(t, dir, fd_kind(task, (int)regs_arg1(regs, btf), btf), ret);
		} else if (nr == CP_NR_connect || nr == CP_NR_accept || nr == CP_NR_accept4) {
			t->last_io_fdk = FDK_SOCKET;
		}
	}
	/* Its stack's mapping, until found: the lookup at a switch-out can fail for a while (its
	 * unlock is deferred there, and another thread may hold the mmap lock); here, in the
	 * thread's own context with interrupts on, it seldom does.
	 */
	if (!t->stack_known) {
		task = bpf_get_current_task_btf();
		note_user_sp(t, task, user_regs(task), btf);
	}
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_btf_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return handle_switch(preempt, prev, next, prev_state, true);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_tp_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return handle_switch(preempt, prev, next, prev_state, false);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tp_btf_sched_wakeup, struct task_struct *p)
{
	return handle_wakeup(p, true);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_tp_sched_wakeup, struct task_struct *p)
{
	return handle_wakeup(p, false);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent, child, true);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent, child, false);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf_sched_process_exec, struct task_struct *p, pid_t old_pid)
{
	return handle_exec(p, old_pid, true);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp_sched_process_exec, struct task_struct *p, pid_t old_pid)
{
	return handle_exec(p, old_pid, false);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_sched_process_exit, struct task_struct *p)
{
	return handle_exit(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp_sched_process_exit, struct task_struct *p)
{
	return handle_exit(p);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_btf_sys_enter, struct pt_regs *regs, long id)
{
	return handle_sys_enter();
}

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_tp_sys_enter, struct pt_regs *regs, long id)
{
	return handle_sys_enter();
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf_sys_exit, struct pt_regs *regs, long ret)
{
	return handle_sys_exit(regs, ret, true);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_tp_sys_exit, struct pt_regs *regs, long ret)
{
	return handle_sys_exit(regs, ret, false);
}
