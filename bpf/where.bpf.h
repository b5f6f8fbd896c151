/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where things lie in a traced process's memory, found from the kernel side while the
 * process is alive: each lock's futex word (the program's data, a library's, the heap,
 * anonymous memory, the stack) with its waiters and wakers, each thread's stack mapping and
 * how deep it went, and each process's peak resident memory. Included by concprof.bpf.c
 * after its maps, stats and the task/register accessors (TASK_FIELD, REGS_FIELD).
 */
#ifndef CONCPROF_WHERE_BPF_H
#define CONCPROF_WHERE_BPF_H

/* Waits on each futex word, per process: the lock report. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* 600 bytes an entry: only those used */
	__type(key, struct cp_lock_key);
	__type(value, struct cp_klock);
} locks SEC(".maps");

static const struct cp_klock zero_lock;

static __always_inline void add_id(unsigned int *ids, unsigned char *nr, unsigned char *more,
				   u32 id)
{
	for (int i = 0; i < CP_LOCK_IDS; i++) {
		if (i >= *nr) {
			ids[i] = id;
			*nr = i + 1;
			return;
		}
		if (ids[i] == id)
			return;
	}
	*more = 1;
}

/* A wait on lock t->lock_addr ended after `delta` ns; t->waker_tid woke it (0: unknown). */
static __always_inline void lock_waited(struct cp_kthread *t, u64 delta)
{
	struct cp_lock_key key = { .pid = t->pid, .addr = t->lock_addr };
	struct cp_klock *l = bpf_map_lookup_elem(&locks, &key);

	t->lock_addr = 0;
	if (!l)
		return;
	__sync_fetch_and_add(&l->wait_ns, delta);
	__sync_fetch_and_add(&l->waits, 1);
	if (delta > l->max_wait_ns)
		l->max_wait_ns = delta;
	if (t->waker_tid)
		add_id(l->wakers, &l->nr_wakers, &l->more_wakers, t->waker_tid);
}

struct vma_ctx {
	u64 addr;
	u64 offset;
	struct file *file;
	u64 start, end;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *c = data;

	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->file = vma->vm_file;
	c->offset = c->addr - vma->vm_start + (vma->vm_pgoff << 12);
	return 0;
}

/* The file's path, leaf first, one component per slot: userspace joins them. */
static __always_inline void file_path(struct file *file, struct cp_klock *l)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);

	for (int i = 0; i < CP_LOCK_PATH_PARTS && d; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);

		bpf_probe_read_kernel_str(l->path[i], CP_LOCK_PART_LEN, BPF_CORE_READ(d, d_name.name));
		if (parent == d)
			break;
		d = parent;
	}
}

/*
 * Where a futex word lies, while its process is certainly alive (a thread of it is blocking
 * on it right now): the program's data or bss, a library's data, the heap, anonymous memory or
 * the stack. Userspace turns that into a symbol with the ELF file's symbol tables.
 */
static __always_inline void name_lock(struct cp_klock *l, u64 addr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct vma_ctx c = { .addr = addr };
	u64 start_data = BPF_CORE_READ(mm, start_data);
	u64 start_brk = BPF_CORE_READ(mm, start_brk);

	if (!mm)
		return;
	if (addr >= start_data && addr < start_brk) {
		l->where = LW_EXE;
		l->offset = addr - BPF_CORE_READ(mm, start_code);
		file_path(BPF_CORE_READ(mm, exe_file), l);
		return;
	}
	if (addr >= start_brk && addr < BPF_CORE_READ(mm, brk)) {
		l->where = LW_HEAP;
		return;
	}
	if (bpf_find_vma(task, addr, vma_cb, &c, 0))
		return;
	if (c.file) {
		l->where = LW_FILE;
		l->offset = c.offset;
		file_path(c.file, l);
	} else {
		u64 stack = BPF_CORE_READ(mm, start_stack);

		/* The main thread's stack grows down from start_stack (8 MiB by default). */
		l->where = addr <= stack && stack - addr < (8 << 20) ? LW_STACK : LW_ANON;
	}
}

/* Thread t blocks on the futex word t->lock_addr. */
static __always_inline void lock_blocked(struct cp_kthread *t)
{
	struct cp_lock_key key = { .pid = t->pid, .addr = t->lock_addr };
	struct cp_klock *l = bpf_map_lookup_elem(&locks, &key);

	if (!l) {
		/* Another CPU may insert it first: then the lookup finds theirs. */
		bpf_map_update_elem(&locks, &key, &zero_lock, BPF_NOEXIST);
		l = bpf_map_lookup_elem(&locks, &key);
		if (!l) {
			count(&stats.lost_locks);
			t->lock_addr = 0;
			return;
		}
		if (!l->where)
			name_lock(l, key.addr);
	}
	add_id(l->waiters, &l->nr_waiters, &l->more_waiters, t->tid);
}

/*
 * The deepest its stack has been seen: its user stack pointer when it leaves a CPU (where a
 * syscall or an interrupt entered the kernel). sched_switch runs as the thread switching out.
 */
static __always_inline void note_user_sp(struct cp_kthread *t, struct task_struct *task,
					 struct pt_regs *regs, bool btf)
{
	u64 sp = REGS_FIELD(btf, regs, sp);
	struct vma_ctx c = {};

	if (sp && (!t->min_user_sp || sp < t->min_user_sp))
		t->min_user_sp = sp;
	sp = t->min_user_sp;
	if (!sp || (t->stack_known && sp >= t->stack_start && sp < t->stack_end))
		return;
	/* Its stack's mapping (a pthread's, or the main [stack], which grows): looked up again
	 * at each switch-out until found, since the lookup gives up while another thread holds
	 * the mmap lock (creating threads maps their stacks).
	 */
	c.addr = sp;
	if (!bpf_find_vma(task, sp, vma_cb, &c, 0) && c.end > sp) {
		t->stack_start = c.start;
		t->stack_end = c.end;
		t->stack_known = 1;
	}
}

/*
 * A process's resident memory at its most: the kernel's high-water mark (kept up to date when
 * memory is unmapped), the largest of its exec'd images (signal->maxrss) and what is resident
 * now, at the exit of its last thread, before its memory is torn down. In pages.
 */
static __always_inline u64 peak_rss(struct task_struct *p)
{
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	u64 peak = BPF_CORE_READ(p, signal, maxrss);
	s64 now = 0;

	if (!mm)
		return peak;
	for (int i = 0; i < 4; i++) /* file, anon, swap entries, shmem */
		if (i != 2)
			now += BPF_CORE_READ(mm, rss_stat[i].count);
	if ((u64)now > peak && now > 0)
		peak = now;
	if (BPF_CORE_READ(mm, hiwater_rss) > peak)
		peak = BPF_CORE_READ(mm, hiwater_rss);
	return peak;
}

#endif
