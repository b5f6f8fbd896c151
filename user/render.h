/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text report, for a student seeing it the first time: a `time`-like summary, where the wall
 * time went, the processes and threads (most active first, long lists summarised), and why, in
 * plain words (explain.h).
 */
#ifndef CONCPROF_RENDER_H
#define CONCPROF_RENDER_H

#include "analyze.h"
#include "model.h"

#include <stdbool.h>
#include <stdio.h>

#define CP_RENDER_DEFAULT_WIDTH 100
/* Narrower than this, the tables cannot stay readable: they are laid out for this much. */
#define CP_RENDER_MIN_WIDTH	      60
#define CP_RENDER_DEFAULT_MAX_THREADS 20

struct cp_render_opts {
	bool color;	 /* ANSI colours: headings bold, user green, sys red, runnable yellow,
			  * blocked cyan, warnings red. Never any escape code when false. */
	int width;	 /* terminal columns; <= 0: CP_RENDER_DEFAULT_WIDTH */
	int max_threads; /* table rows before summarising the rest; <= 0: the default */
};

#define CP_RENDER_OPTS_DEFAULT                                      \
	((struct cp_render_opts){ .color = false,                   \
				  .width = CP_RENDER_DEFAULT_WIDTH, \
				  .max_threads = CP_RENDER_DEFAULT_MAX_THREADS })

/*
 * Writes the report for run, analysed into a, to out. opts may be NULL (the defaults). Returns 0,
 * or -errno if writing failed.
 */
int cp_render_report(FILE *out, const struct cp_run *run, const struct cp_analysis *a,
		     const struct cp_render_opts *opts);

#endif
