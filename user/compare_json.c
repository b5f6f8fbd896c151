// SPDX-License-Identifier: GPL-2.0
/* `concprof compare --json`: the figures, verdicts and notes of compare.c as one document. */
#include "compare_priv.h"

#include "fmt.h"
#include "model.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A string json-c can write as valid JSON: bytes that are not UTF-8 become U+FFFD. */
static json_object *json_text(const char *s)
{
	size_t len = strlen(s), used = 0;
	char *clean = malloc(3 * len + 1);
	json_object *v;

	if (!clean)
		return NULL;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = cp_utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			memcpy(clean + used, "\xef\xbf\xbd", 3);
			used += 3;
			i++;
		} else {
			memcpy(clean + used, s + i, n);
			used += n;
			i += n;
		}
	}
	clean[used] = '\0';
	v = json_object_new_string(clean);
	free(clean);
	return v;
}

/*
 * A figure with a fraction: six significant digits, as "%.6g" writes them in the C locale, and
 * always with a point or an exponent, so that every reader takes it for a fraction ("1.0").
 */
static json_object *json_number(double v)
{
	char text[40];

	if (!isfinite(v))
		v = 0;
	snprintf(text, sizeof(text), "%.6g", v);
	if (!strpbrk(text, ".e"))
		strcat(text, ".0");
	return json_object_new_double_s(v, text);
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* v, or null where it was not measured */
static void add_u64_or_null(json_object *o, const char *key, bool known, uint64_t v)
{
	json_object_object_add(o, key, known ? json_object_new_uint64(v) : NULL);
}

static json_object *json_run(const struct compare *c, size_t i)
{
	const struct cp_compare_figures *f = &c->f[i];
	const struct cp_run *run = c->runs[i].run;
	json_object *o = json_object_new_object(), *command = json_object_new_array();
	json_object *states = json_object_new_object(), *blocked = json_object_new_object();
	json_object *moved = json_object_new_object(), *cpu = json_object_new_object();
	json_object *memory = json_object_new_object(), *comm = json_object_new_object();
	json_object *startup = json_object_new_object(), *verdict = NULL;

	json_object_object_add(o, "label", json_text(c->runs[i].label ? c->runs[i].label : ""));
	for (int a = 0; run->argv && a < run->argc && run->argv[a]; a++)
		json_object_array_add(command, json_text(run->argv[a]));
	json_object_object_add(o, "command", command);
	json_object_object_add(o, "exit_code", json_object_new_int(run->exit_code));
	json_object_object_add(o, "signal", json_object_new_int(run->term_signal));
	json_object_object_add(o, "attached", json_object_new_boolean(run->attached));
	json_object_object_add(o, "cpus", json_object_new_int(run->cpus));
	add_u64(o, "wall_ns", f->wall_ns);
	add_u64(o, "user_ns", f->user_ns);
	add_u64(o, "sys_ns", f->sys_ns);
	add_u64(o, "cpu_ns", f->cpu_ns);
	json_object_object_add(o, "cpu_pct_of_wall", json_number(f->cpu_pct_of_wall));
	json_object_object_add(o, "cores_busy", json_number(f->cores_busy));
	json_object_object_add(o, "speedup", f->speedup > 0 ? json_number(f->speedup) : NULL);
	add_u64(o, "processes", f->nr_procs);
	add_u64(o, "threads", f->nr_threads);

	add_u64(states, "user_ns", f->user_ns);
	add_u64(states, "sys_ns", f->sys_ns);
	add_u64(states, "runnable_ns", f->runnable_ns);
	add_u64(states, "blocked_ns", f->blocked_ns);
	for (int r = 0; r < CP_NR_REASONS; r++)
		add_u64(blocked, cp_reason_name(r), f->blocked_by[r]);
	json_object_object_add(states, "blocked", blocked);
	json_object_object_add(o, "states", states);

	add_u64(moved, "net_bytes", f->net_bytes);
	add_u64(moved, "disk_bytes", f->disk_bytes);
	add_u64(moved, "pipe_bytes", f->pipe_bytes);
	add_u64(moved, "net_bytes_per_s", (uint64_t)llround(f->net_per_s));
	json_object_object_add(o, "bytes", moved);

	json_object_object_add(cpu, "profile", json_object_new_boolean(f->have_profile));
	json_object_object_add(cpu, "mean_parallelism", json_number(f->mean_parallelism));
	add_u64_or_null(cpu, "max_parallelism", f->have_profile, f->max_parallelism);
	json_object_object_add(cpu, "one_at_a_time_frac",
			       f->have_profile ? json_number(f->one_at_a_time_frac) : NULL);
	json_object_object_add(cpu, "idle_frac", json_number(f->idle_frac));
	json_object_object_add(cpu, "cores_busy", json_number(f->cores_busy));
	json_object_object_add(o, "cpu_use", cpu);

	add_u64(memory, "processes_known", f->nr_rss_known);
	add_u64_or_null(memory, "peak_rss_max_bytes", f->nr_rss_known, f->peak_rss_max);
	add_u64_or_null(memory, "peak_rss_mean_bytes", f->nr_rss_known,
			f->nr_rss_known ? f->peak_rss_sum / f->nr_rss_known : 0);
	add_u64_or_null(memory, "peak_rss_sum_bytes", f->nr_rss_known, f->peak_rss_sum);
	add_u64(memory, "thread_stacks_known", f->nr_stacks_known);
	add_u64_or_null(memory, "thread_stack_reserved_mean_bytes", f->nr_stacks_known,
			f->nr_stacks_known ? f->stack_reserved_sum / f->nr_stacks_known : 0);
	add_u64_or_null(memory, "thread_stack_used_mean_bytes", f->nr_stacks_known,
			f->nr_stacks_known ? f->stack_used_sum / f->nr_stacks_known : 0);
	add_u64_or_null(memory, "thread_stack_used_max_bytes", f->nr_stacks_known,
			f->stack_used_max);
	json_object_object_add(o, "memory", memory);

	add_u64(comm, "pipe_blocked_ns", f->pipe_blocked_ns);
	add_u64(comm, "lock_blocked_ns", f->lock_blocked_ns);
	add_u64(comm, "pipe_bytes", f->pipe_bytes);
	json_object_object_add(o, "communication", comm);

	add_u64(startup, "processes_created", f->procs_created);
	add_u64(startup, "process_first_runs", f->nr_proc_first_runs);
	add_u64_or_null(startup, "process_first_run_mean_ns", f->nr_proc_first_runs,
			f->proc_first_run_mean_ns);
	add_u64_or_null(startup, "process_first_run_max_ns", f->nr_proc_first_runs,
			f->proc_first_run_max_ns);
	add_u64(startup, "threads_created", f->threads_created);
	add_u64(startup, "thread_first_runs", f->nr_thread_first_runs);
	add_u64_or_null(startup, "thread_first_run_mean_ns", f->nr_thread_first_runs,
			f->thread_first_run_mean_ns);
	add_u64_or_null(startup, "thread_first_run_max_ns", f->nr_thread_first_runs,
			f->thread_first_run_max_ns);
	json_object_object_add(o, "startup", startup);

	if (i > 0) {
		verdict = json_object_new_object();
		json_object_object_add(verdict, "kind",
				       json_object_new_string(cp_verdict_kind_name(c->kinds[i])));
		json_object_object_add(verdict, "text", json_text(c->verdicts[i]));
	}
	json_object_object_add(o, "verdict", verdict);
	return o;
}

int cp_compare_json(const struct compare *c, FILE *out)
{
	json_object *doc = json_object_new_object(), *runs = json_object_new_array();
	json_object *notes = json_object_new_array();
	const char *text;
	int err = 0;

	if (!doc || !runs || !notes) {
		json_object_put(doc);
		json_object_put(runs);
		json_object_put(notes);
		return -ENOMEM;
	}
	json_object_object_add(doc, "format", json_object_new_string(CP_COMPARE_FORMAT));
	json_object_object_add(doc, "baseline", json_object_new_int(0));
	for (size_t i = 0; i < c->n; i++)
		json_object_array_add(runs, json_run(c, i));
	json_object_object_add(doc, "runs", runs);
	for (size_t i = 0; i < c->nr_notes; i++)
		json_object_array_add(notes, json_text(c->notes[i]));
	json_object_object_add(doc, "notes", notes);
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		err = -ENOMEM;
	else if (fputs(text, out) == EOF || fputc('\n', out) == EOF)
		err = -EIO;
	json_object_put(doc);
	return err;
}
