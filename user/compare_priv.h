/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What compare.c's renderers share: the runs with their figures, labels, verdicts and notes,
 * and the table of rows built once for the text and Markdown views. Private to compare.c and
 * compare_json.c.
 */
#ifndef CONCPROF_COMPARE_PRIV_H
#define CONCPROF_COMPARE_PRIV_H

#include "compare.h"
#include "paint.h"

#include <stdio.h>

#define CELL_LEN  48
#define LABEL_LEN 160
#define NOTE_LEN  512

/* Colours: paint.h (the report's: the states keep their colours). */

enum row_kind {
	ROW_HEADING, /* a section: "Time" */
	ROW_GROUP,   /* a group of rows inside one, without cells: "memory" */
	ROW_VALUES,
};

struct cell {
	char s[CELL_LEN];
	enum cp_paint paint;
};

struct row {
	enum row_kind kind;
	int indent;
	enum cp_paint paint;
	char label[LABEL_LEN];
	struct cell *cells; /* one per run; NULL unless ROW_VALUES */
};

struct table {
	size_t n; /* runs: cells per row */
	struct row *rows;
	size_t nr_rows, cap;
	int err;
};

/* Everything the renderers share. */
struct compare {
	const struct cp_compare_run *runs;
	size_t n;
	struct cp_compare_figures *f;
	char (*labels)[LABEL_LEN]; /* sanitised */
	char (*verdicts)[CP_COMPARE_VERDICT_LEN];
	enum cp_verdict_kind *kinds;
	char notes[8][NOTE_LEN];
	size_t nr_notes;
	struct table table;
};

/* The figures, verdicts and notes as one JSON document on out (compare_json.c). */
int cp_compare_json(const struct compare *c, FILE *out);

#endif
