// SPDX-License-Identifier: GPL-2.0
#include "timeline.h"

#include <stdlib.h>

const char *cp_tl_state_name(enum cp_tl_state state)
{
	switch (state) {
	case CP_TL_CPU:
		return "cpu";
	case CP_TL_PREEMPTED:
		return "preempted";
	case CP_TL_WOKEN:
		return "woken";
	case CP_TL_BLOCKED:
		return "blocked";
	default:
		return "unknown";
	}
}

void cp_tl_thread_spans(const struct cp_timeline *tl, const struct cp_run *run, size_t i,
			size_t *first, size_t *count)
{
	size_t lo = 0, hi = tl->nr_spans, end;

	(void)run;
	while (lo < hi) { /* the first span of a thread at or after i */
		size_t mid = lo + (hi - lo) / 2;

		if (tl->spans[mid].thread < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	end = lo;
	while (end < tl->nr_spans && tl->spans[end].thread == i)
		end++;
	*first = lo;
	*count = end - lo;
}

void cp_timeline_free(struct cp_timeline *tl)
{
	free(tl->spans);
	free(tl->marks);
	tl->spans = NULL;
	tl->marks = NULL;
	tl->nr_spans = tl->nr_marks = 0;
}
