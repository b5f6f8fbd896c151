/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's colours, one palette for every text view (report, compare): each state keeps
 * its colour everywhere. ANSI SGR sequences; the views print none when colour is off.
 */
#ifndef CONCPROF_PAINT_H
#define CONCPROF_PAINT_H

enum cp_paint {
	PAINT_NONE,
	PAINT_BOLD,
	PAINT_DIM,
	PAINT_USER,	/* green */
	PAINT_SYS,	/* red */
	PAINT_RUNNABLE, /* yellow */
	PAINT_BLOCKED,	/* cyan */
	PAINT_WARN,	/* bold red: warnings, a slower run */
	PAINT_GOOD,	/* bold green: a faster run */
	CP_NR_PAINTS,
};

static const char *const cp_paint_codes[CP_NR_PAINTS] = {
	[PAINT_NONE] = "",
	[PAINT_BOLD] = "\033[1m",
	[PAINT_DIM] = "\033[2m",
	[PAINT_USER] = "\033[32m",
	[PAINT_SYS] = "\033[31m",
	[PAINT_RUNNABLE] = "\033[33m",
	[PAINT_BLOCKED] = "\033[36m",
	[PAINT_WARN] = "\033[1;31m",
	[PAINT_GOOD] = "\033[1;32m",
};

#endif
