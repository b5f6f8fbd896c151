// SPDX-License-Identifier: GPL-2.0
/*
 * concprof's HTML report: the interactive per-thread timeline. Plain JS, no framework, nothing
 * fetched: tl_html.c inlines this file, timeline.css and the run's data (#cp-data) in one page.
 *
 * The data holds, per thread, one flat array of 5 integers per span, [gap, dur, code, x, sc]:
 *   start = the previous span's end (the first: 0) + gap, end = start + dur, in ns from the
 *   run's start; code = kind | flags << 4 | cpu << 6 with kind 0 unknown, 1 cpu, 2 preempted,
 *   3 woken, 4 + reason blocked (reasons in data.reasons), flags 1 repaired, 2 incomplete;
 *   x = sys ns (cpu) or the waker's tid (woken); sc = the syscall nr, or -1.
 *
 * Drawing stays fast with millions of spans: one canvas, only the rows and spans in view (a
 * binary search per row finds the first), spans narrower than a pixel merged into one pixel of
 * the state that took most of it, one fill per colour, at most one draw per animation frame.
 */
(function () {
	'use strict';

	const ROW_H = 20, BAR_PAD = 3, AXIS_H = 26, MIN_VIEW_NS = 1000, ZOOM_STEP = 1.5;
	const MARK_HIT_PX = 4;
	const loadStart = performance.now();
	const data = JSON.parse(document.getElementById('cp-data').textContent);
	const REASONS = data.reasons;
	const REASON_WORDS = {
		lock: 'futex: mutexes, condition variables, joins',
		sleep: 'nanosleep, clock_nanosleep',
		child: 'waiting for a child process',
		net: 'sockets',
		pipe: 'pipes and FIFOs',
		disk: 'regular files',
		paging: 'page faults, outside any syscall',
		other: 'any other syscall',
	};
	/* Drawing categories: CPU time split into user and sys, then the kinds 2..11, unknown. */
	const C_USER = 0, C_SYS = 1, C_PRE = 2, C_WOKEN = 3, C_UNKNOWN = 4 + REASONS.length;
	const NCAT = C_UNKNOWN + 1;
	const CAT_NAMES = ['user', 'sys', 'preempted', 'woken'].concat(REASONS, ['unknown']);
	const MARK_NAMES = { 1: 'exec', 2: 'fork', 3: 'exit' };
	const css = getComputedStyle(document.documentElement);
	const COLORS = CAT_NAMES.map(n => css.getPropertyValue('--' + n).trim() || '#999');

	/* ---- the data ---- */

	function decodeThread(t, a) {
		const n = Math.floor(a.length / 5);
		const start = new Float64Array(n), end = new Float64Array(n);
		const code = new Int32Array(n), x = new Float64Array(n), sc = new Int32Array(n);
		let at = 0;

		for (let i = 0, j = 0; i < n; i++, j += 5) {
			start[i] = at + a[j];
			end[i] = at = start[i] + a[j + 1];
			code[i] = a[j + 2];
			x[i] = a[j + 3];
			sc[i] = a[j + 4];
		}
		return Object.assign({}, t, { n, start, end, code, x, sc, marks: [] });
	}

	const threads = data.threads.map((t, i) => decodeThread(t, data.spans[i] || []));
	const endNs = threads.reduce((m, t) => Math.max(m, t.n ? t.end[t.n - 1] : 0),
				     Math.max(1, data.end_ns));
	const byTid = new Map();
	for (const th of threads) {
		if (!byTid.has(th.tid))
			byTid.set(th.tid, []);
		byTid.get(th.tid).push(th);
	}
	/* A tid can be reused within a run: the thread of that tid alive at ns, else the first. */
	function threadOf(tid, ns) {
		const list = byTid.get(tid);
		if (!list)
			return null;
		return list.find(t => t.start <= ns && ns <= t.end) || list[0];
	}

	let nrMarks = 0;
	for (let j = 0; j + 4 < data.marks.length; j += 5) {
		const m = { ts: data.marks[j], tid: data.marks[j + 1], other: data.marks[j + 3],
			    kind: data.marks[j + 4] };
		const th = threadOf(m.tid, m.ts);
		if (th) {
			th.marks.push(m);
			nrMarks++;
		}
	}

	/* Processes in start order, each with its threads: the main thread first, then by start. */
	const procs = data.procs.map(p => Object.assign({ threads: [], collapsed: false }, p));
	const procOf = new Map(procs.map(p => [p.pid, p]));
	for (const th of threads) {
		if (!procOf.has(th.pid)) { /* its process was not recorded: still show the thread */
			const p = { pid: th.pid, ppid: 0, comm: th.comm, start: th.start, end: th.end,
				    exited: th.exited, exit_code: -1, signal: 0, threads: [],
				    collapsed: false };
			procs.push(p);
			procOf.set(p.pid, p);
		}
		procOf.get(th.pid).threads.push(th);
	}
	procs.sort((a, b) => a.start - b.start || a.pid - b.pid);
	for (const p of procs)
		p.threads.sort((a, b) => (b.tid === p.pid) - (a.tid === p.pid) || a.start - b.start ||
			       a.tid - b.tid);

	/* ---- words ---- */

	/* Like the text report's durations, with `digits` significant digits. */
	function fmtDur(ns, digits) {
		digits = digits || 3;
		if (ns < 0)
			return '-' + fmtDur(-ns, digits);
		if (ns >= 60e9) {
			const s = Math.round(ns / 1e9);
			if (s < 3600)
				return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
			const m = Math.round(s / 60);
			return Math.floor(m / 60) + ' h ' + String(m % 60).padStart(2, '0') + ' min';
		}
		const units = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs']];
		for (const [k, u] of units)
			if (ns >= k) {
				const v = ns / k;
				const dec = Math.max(0, digits - 1 - Math.floor(Math.log10(v)));
				return v.toFixed(dec) + ' ' + u;
			}
		return Math.round(ns) + ' ns';
	}

	/* A point in time in seconds, with enough decimals to tell apart things `res` ns apart. */
	function fmtTime(ns, res) {
		const dec = Math.min(9, Math.max(0, Math.ceil(-Math.log10(Math.max(res, 1) / 1e9))));
		return (ns / 1e9).toFixed(dec) + ' s';
	}

	function who(tid, ns) {
		const th = threadOf(tid, ns);
		return th ? tid + ' (' + th.comm + ')' : String(tid);
	}

	function syscallName(nr) {
		return data.syscalls[nr] ? data.syscalls[nr] + '(2)' : 'syscall ' + nr;
	}

	function kindOf(th, i) {
		const k = th.code[i] & 15;
		return k > C_UNKNOWN - 1 ? 0 : k;
	}

	function catOf(kind) {
		return kind === 0 ? C_UNKNOWN : kind === 1 ? C_USER : kind;
	}

	/* The tooltip of span i of th: [text, class] lines, the first one the title. */
	function spanLines(th, i) {
		const kind = kindOf(th, i), code = th.code[i], s = th.start[i], e = th.end[i];
		const dur = e - s, x = th.x[i], sc = th.sc[i];
		const lines = [];
		let more = null;

		if (kind === 1) {
			lines.push(['on CPU ' + (code >>> 6) + ', ' + fmtDur(dur, 4), 't1']);
			lines.push(['user ' + fmtDur(dur - x, 4) + ' · sys ' + fmtDur(x, 4) +
				    (dur > 0 ? ' (' + Math.round(100 * x / dur) + '% sys)' : ''), '']);
			if (sc >= 0)
				lines.push(['came on the CPU inside ' + syscallName(sc), 'dim']);
		} else if (kind === 2) {
			lines.push(['runnable: preempted, ' + fmtDur(dur, 4), 't1']);
			more = 'lost its CPU while it could still run';
		} else if (kind === 3) {
			lines.push(['runnable: woken, ' + fmtDur(dur, 4), 't1']);
			more = (x ? 'woken by ' + who(x, s) : 'woken (by whom is not known)') +
			       '; waiting for a CPU';
		} else if (kind >= 4) {
			const reason = REASONS[kind - 4];
			lines.push(['blocked: ' + reason + (sc >= 0 ? ' — ' + syscallName(sc) : '') + ', ' +
				    fmtDur(dur, 4), 't1']);
			if (i + 1 < th.n && kindOf(th, i + 1) === 3 && th.x[i + 1])
				more = 'woken by ' + who(th.x[i + 1], e);
			else
				more = REASON_WORDS[reason] || '';
		} else {
			lines.push(['unknown, ' + fmtDur(dur, 4), 't1']);
			more = 'records were lost: what the thread did then is not known';
		}
		if (more)
			lines.push([more, '']);
		lines.push([fmtTime(s, dur / 100) + ' → ' + fmtTime(e, dur / 100), 'dim']);
		if (code & 16)
			lines.push(['repaired: a bound was rebuilt from the kernel\'s accounting', 'warn']);
		if (code & 32)
			lines.push(['incomplete: records were lost around it, a bound is uncertain', 'warn']);
		return lines;
	}

	function threadLine(th) {
		const p = procOf.get(th.pid);
		return 'thread ' + th.tid + ' (' + th.comm + ') of process ' + th.pid +
		       (p ? ' (' + p.comm + ')' : '');
	}

	function procLines(p) {
		let end = p.exited ? 'exited' : 'still running';
		if (p.signal > 0)
			end = 'killed by signal ' + p.signal;
		else if (p.exited && p.exit_code >= 0)
			end = 'exit status ' + p.exit_code;
		return [['process ' + p.pid + ' (' + p.comm + ')', 't1'],
			[p.threads.length + ' thread' + (p.threads.length === 1 ? '' : 's') +
			 ', lived ' + fmtDur(p.end - p.start, 4) + '; ' + end, ''],
			['parent ' + who(p.ppid, p.start), 'dim'],
			['click its name to ' + (p.collapsed ? 'show' : 'hide') + ' its threads', 'dim']];
	}

	/* ---- the page ---- */

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	const root = document.getElementById('tl');
	const bar = root.appendChild(el('div', 'tl-bar'));
	const buttons = [['+', 'Zoom in (W or +)', () => zoomAt(W / 2, 1 / ZOOM_STEP)],
			 ['−', 'Zoom out (S or -)', () => zoomAt(W / 2, ZOOM_STEP)],
			 ['←', 'Pan left (A or ←)', () => pan(-0.25)],
			 ['→', 'Pan right (D or →)', () => pan(0.25)],
			 ['Fit', 'Show the whole run (0)', () => setView(0, endNs)],
			 ['?', 'Keyboard and mouse help (?)', () => { help.hidden = !help.hidden; }]];
	for (const [label, title, fn] of buttons) {
		const b = bar.appendChild(el('button', '', label));
		b.title = title;
		b.type = 'button';
		b.addEventListener('click', () => { fn(); schedule(); });
	}
	const range = bar.appendChild(el('span', 'tl-range'));
	bar.appendChild(el('span', 'tl-hint', 'wheel: zoom · drag: pan · hover: details · ? for help'));

	const help = root.appendChild(el('div', 'tl-help'));
	help.hidden = true;
	for (const [keys, what] of [[['wheel', 'W', '+'], 'zoom in around the pointer (wheel up)'],
				    [['S', '-'], 'zoom out'],
				    [['drag'], 'pan left and right, scroll the threads up and down'],
				    [['A', '←', 'D', '→', 'shift+wheel'], 'pan left, right'],
				    [['double-click'], 'zoom to the span under the pointer'],
				    [['0', 'Home'], 'show the whole run'],
				    [['click a process'], 'hide or show its threads'],
				    [['?'], 'show or hide this help'], [['Esc'], 'hide it']]) {
		const d = help.appendChild(el('div'));
		keys.forEach((k, i) => {
			if (i)
				d.appendChild(document.createTextNode(' '));
			d.appendChild(el('kbd', '', k));
		});
		d.appendChild(document.createTextNode(' ' + what));
	}

	const legend = root.appendChild(el('ul', 'legend'));
	CAT_NAMES.forEach((name, c) => {
		const li = legend.appendChild(el('li'));
		li.appendChild(el('i', 'sw ' + name));
		li.appendChild(document.createTextNode(c >= 4 && c < C_UNKNOWN ? 'blocked: ' + name
					     : c === C_PRE || c === C_WOKEN ? 'runnable: ' + name : name));
		li.title = c === C_USER ? 'on a CPU running the program\'s own code'
			 : c === C_SYS ? 'on a CPU, the kernel working for it'
			 : c === C_PRE ? 'lost its CPU while it could still run'
			 : c === C_WOKEN ? 'woken, waiting for a CPU'
			 : c === C_UNKNOWN ? 'records were lost: not known' : REASON_WORDS[name];
	});
	const markLi = legend.appendChild(el('li', '', '▼ fork · ◆ exec · ▮ exit'));
	markLi.title = 'marks on the thread that forked, exec\'d or exited';

	const grid = root.appendChild(el('div', 'tl-grid'));
	grid.appendChild(el('div', 'tl-corner', 'time →'));
	const axis = grid.appendChild(el('canvas', 'tl-axis'));
	const scroller = grid.appendChild(el('div', 'tl-scroll'));
	const labels = scroller.appendChild(el('div', 'tl-labels'));
	const cnvCol = scroller.appendChild(el('div', 'tl-cnv'));
	const canvas = cnvCol.appendChild(el('canvas'));
	const tip = document.body.appendChild(el('div', 'tl-tip'));
	tip.hidden = true;
	const ctx = canvas.getContext('2d', { alpha: false });
	const actx = axis.getContext('2d');

	let rows = [], W = 100, H = ROW_H, dpr = 1;
	let view0 = 0, view1 = endNs;
	let hoverRow = -1, drag = null, pointer = null, pending = false;

	function buildRows() {
		rows = [];
		for (const p of procs) {
			rows.push({ proc: p });
			if (!p.collapsed)
				for (const th of p.threads)
					rows.push({ th });
		}
		const frag = document.createDocumentFragment();
		rows.forEach((r, i) => {
			let d;
			if (r.proc) {
				d = el('div', 'row proc');
				d.dataset.pid = r.proc.pid;
				d.appendChild(el('span', 'tw', r.proc.collapsed ? '▸' : '▾'));
				d.appendChild(el('span', 'id', 'pid ' + r.proc.pid));
				d.appendChild(el('span', 'comm', r.proc.comm));
				d.title = procLines(r.proc).map(l => l[0]).join('\n');
				d.addEventListener('click', () => {
					r.proc.collapsed = !r.proc.collapsed;
					buildRows();
					layout();
					schedule();
				});
			} else {
				d = el('div', 'row thread');
				d.dataset.tid = r.th.tid;
				d.dataset.pid = r.th.pid;
				d.appendChild(el('span', 'id', String(r.th.tid)));
				d.appendChild(el('span', 'comm', r.th.comm));
				d.title = threadLine(r.th) + '\nlived ' + fmtDur(r.th.end - r.th.start, 4) +
					  ': user ' + fmtDur(r.th.user) + ', sys ' + fmtDur(r.th.sys) +
					  ', runnable ' + fmtDur(r.th.runnable) + ', blocked ' +
					  fmtDur(r.th.blocked) + '\n' + r.th.n + ' spans';
			}
			d.dataset.row = i;
			frag.appendChild(d);
		});
		labels.replaceChildren(frag);
		cnvCol.style.height = rows.length * ROW_H + 'px';
		hoverRow = -1;
	}

	function sizeCanvas(c, w, h) {
		c.style.width = w + 'px';
		c.style.height = h + 'px';
		c.width = Math.round(w * dpr);
		c.height = Math.round(h * dpr);
	}

	function layout() {
		dpr = window.devicePixelRatio || 1;
		W = Math.max(100, cnvCol.clientWidth);
		H = Math.max(ROW_H, Math.min(rows.length * ROW_H, scroller.clientHeight));
		sizeCanvas(canvas, W, H);
		sizeCanvas(axis, W, AXIS_H);
	}

	/* ---- drawing ---- */

	const rects = Array.from({ length: NCAT }, () => []);
	const acc = new Float64Array(NCAT);
	let hatch = null;

	function unknownFill() {
		if (!hatch) {
			const c = document.createElement('canvas');
			c.width = c.height = 6;
			const g = c.getContext('2d');
			g.fillStyle = COLORS[C_UNKNOWN];
			g.fillRect(0, 0, 6, 6);
			g.strokeStyle = css.getPropertyValue('--unknown-hatch').trim() || '#868e96';
			g.beginPath();
			g.moveTo(0, 6); g.lineTo(6, 0); g.moveTo(-1, 1); g.lineTo(1, -1);
			g.moveTo(5, 7); g.lineTo(7, 5);
			g.stroke();
			hatch = ctx.createPattern(c, 'repeat');
		}
		return hatch;
	}

	/*
	 * One thread's row. Whole pixel columns a span covers are drawn in its colour; the partial
	 * columns at its ends collect in acc and a column gets the category that took most of it.
	 * CPU time is drawn green with a red band below, as tall as sys's share of it.
	 */
	function drawRow(th, y) {
		const k = W / (view1 - view0), yb = y + BAR_PAD, hb = ROW_H - 2 * BAR_PAD;
		let col = -1, lastCat = -1, lastX0 = 0, lastX1 = 0, lastSys = 0;

		function commit() {
			if (lastCat < 0)
				return;
			const w = lastX1 - lastX0;
			if (lastCat === C_USER) {
				if (hb - lastSys > 0)
					rects[C_USER].push(lastX0, yb, w, hb - lastSys);
				if (lastSys > 0)
					rects[C_SYS].push(lastX0, yb + hb - lastSys, w, lastSys);
			} else {
				rects[lastCat].push(lastX0, yb, w, hb);
			}
		}
		function emit(cat, x0, x1, sysFrac) {
			const sys = cat === C_USER ? Math.round(hb * sysFrac) : 0;
			if (cat === lastCat && x0 === lastX1 && sys === lastSys) {
				lastX1 = x1;
				return;
			}
			commit();
			lastCat = cat; lastX0 = x0; lastX1 = x1; lastSys = sys;
		}
		function add(cat, w, sysFrac) {
			if (cat === C_USER) {
				acc[C_USER] += w * (1 - sysFrac);
				acc[C_SYS] += w * sysFrac;
			} else {
				acc[cat] += w;
			}
		}
		function flush() {
			if (col < 0)
				return;
			let best = C_USER, bestW = acc[C_USER] + acc[C_SYS];
			for (let c = C_PRE; c < NCAT; c++)
				if (acc[c] > bestW) {
					best = c;
					bestW = acc[c];
				}
			if (bestW > 0)
				emit(best, col, col + 1, best === C_USER ? acc[C_SYS] / bestW : 0);
			acc.fill(0);
			col = -1;
		}

		let i = firstEndingAfter(th, view0);
		for (; i < th.n && th.start[i] < view1; i++) {
			const a = Math.max(0, (th.start[i] - view0) * k), b = Math.min(W, (th.end[i] - view0) * k);
			if (b <= a)
				continue;
			const kind = kindOf(th, i), cat = catOf(kind), dur = th.end[i] - th.start[i];
			const sysFrac = kind === 1 && dur > 0 ? Math.min(1, th.x[i] / dur) : 0;
			const ca = Math.floor(a), cb = Math.floor(b);
			if (col >= 0 && col !== ca)
				flush();
			col = ca;
			if (ca === cb) {
				add(cat, b - a, sysFrac);
				continue;
			}
			add(cat, ca + 1 - a, sysFrac);
			flush();
			if (cb > ca + 1)
				emit(cat, ca + 1, cb, sysFrac);
			col = cb;
			add(cat, b - cb, sysFrac);
		}
		flush();
		commit();
	}

	function drawMarks(th, y) {
		const k = W / (view1 - view0);
		ctx.fillStyle = '#212529';
		for (const m of th.marks) {
			if (m.ts < view0 || m.ts > view1)
				continue;
			const x = Math.round((m.ts - view0) * k);
			ctx.beginPath();
			if (m.kind === 2) { /* fork: a triangle pointing down at the top */
				ctx.moveTo(x - 4, y + 1); ctx.lineTo(x + 4, y + 1); ctx.lineTo(x, y + 7);
			} else if (m.kind === 1) { /* exec: a diamond */
				ctx.moveTo(x, y + 2); ctx.lineTo(x + 4, y + ROW_H / 2);
				ctx.lineTo(x, y + ROW_H - 2); ctx.lineTo(x - 4, y + ROW_H / 2);
			} else { /* exit: a bar */
				ctx.rect(x - 1, y + 2, 3, ROW_H - 4);
			}
			ctx.fill();
		}
	}

	/* Ticks 1, 2 or 5 × 10^n ns apart, at least 90 px. */
	function ticks() {
		const span = view1 - view0, min = span * 90 / W;
		let step = Math.pow(10, Math.floor(Math.log10(min)));
		for (const f of [1, 2, 5, 10])
			if (step * f >= min) {
				step *= f;
				break;
			}
		step = Math.max(step, 1);
		const out = [];
		for (let t = Math.ceil(view0 / step) * step; t <= view1; t += step)
			out.push(t);
		return { step, list: out };
	}

	function drawAxis(tk) {
		const k = W / (view1 - view0);
		actx.setTransform(dpr, 0, 0, dpr, 0, 0);
		actx.fillStyle = '#fafbfc';
		actx.fillRect(0, 0, W, AXIS_H);
		actx.fillStyle = '#495057';
		actx.strokeStyle = '#adb5bd';
		actx.font = '11px system-ui, "DejaVu Sans", sans-serif';
		actx.textBaseline = 'top';
		actx.beginPath();
		for (const t of tk.list) {
			const x = Math.round((t - view0) * k) + 0.5;
			actx.moveTo(x, AXIS_H - 7);
			actx.lineTo(x, AXIS_H);
			const text = fmtTime(t, tk.step);
			const w = actx.measureText(text).width;
			actx.fillText(text, Math.min(Math.max(0, x - w / 2), W - w), 5);
		}
		actx.stroke();
		range.textContent = fmtTime(view0, (view1 - view0) / 1000) + ' – ' +
				    fmtTime(view1, (view1 - view0) / 1000) + '  (' +
				    fmtDur(view1 - view0) + ' of ' + fmtDur(endNs) + ' shown)';
	}

	function draw() {
		const t0 = performance.now();
		const top = scroller.scrollTop, k = W / (view1 - view0);
		const r0 = Math.max(0, Math.floor(top / ROW_H));
		const r1 = Math.min(rows.length, Math.ceil((top + H) / ROW_H));
		const tk = ticks();

		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.fillStyle = '#ffffff';
		ctx.fillRect(0, 0, W, H);
		for (let r = r0; r < r1; r++) {
			const y = r * ROW_H - top;
			if (rows[r].proc) {
				ctx.fillStyle = '#eef1f4';
				ctx.fillRect(0, y, W, ROW_H);
			} else if (r === hoverRow) {
				ctx.fillStyle = '#e8f1fb';
				ctx.fillRect(0, y, W, ROW_H);
			}
		}
		ctx.strokeStyle = '#e9ecef';
		ctx.beginPath();
		for (const t of tk.list) {
			const x = Math.round((t - view0) * k) + 0.5;
			ctx.moveTo(x, 0);
			ctx.lineTo(x, H);
		}
		ctx.stroke();

		for (const list of rects)
			list.length = 0;
		for (let r = r0; r < r1; r++) {
			const row = rows[r], y = r * ROW_H - top;
			if (row.proc) { /* the process's lifetime as a thin grey line */
				const a = Math.max(0, (row.proc.start - view0) * k);
				const b = Math.min(W, (row.proc.end - view0) * k);
				if (b > a) {
					ctx.fillStyle = '#adb5bd';
					ctx.fillRect(a, y + ROW_H / 2 - 2, Math.max(1, b - a), 4);
				}
			} else {
				drawRow(row.th, y);
			}
		}
		rects.forEach((list, c) => {
			if (!list.length)
				return;
			ctx.fillStyle = c === C_UNKNOWN ? unknownFill() : COLORS[c];
			ctx.beginPath();
			for (let j = 0; j < list.length; j += 4)
				ctx.rect(list[j], list[j + 1], list[j + 2], list[j + 3]);
			ctx.fill();
		});
		for (let r = r0; r < r1; r++)
			if (rows[r].th && rows[r].th.marks.length)
				drawMarks(rows[r].th, r * ROW_H - top);
		drawAxis(tk);

		api.lastDrawMs = performance.now() - t0;
		api.draws++;
		api.rendered = true;
		return api.lastDrawMs;
	}

	function schedule() {
		if (pending)
			return;
		pending = true;
		requestAnimationFrame(() => {
			pending = false;
			draw();
		});
	}

	/* ---- finding things ---- */

	/* The first span of th that ends after ns (spans tile the thread: ends are in order). */
	function firstEndingAfter(th, ns) {
		let lo = 0, hi = th.n;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (th.end[mid] <= ns)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo;
	}

	function hit(clientX, clientY) {
		const rc = canvas.getBoundingClientRect();
		const px = clientX - rc.left, py = clientY - rc.top;
		if (px < 0 || py < 0 || px >= W || py >= H)
			return null;
		const r = Math.floor((py + scroller.scrollTop) / ROW_H);
		if (r < 0 || r >= rows.length)
			return null;
		const nsPerPx = (view1 - view0) / W, t = view0 + px * nsPerPx;
		const h = { row: r, px, t, proc: rows[r].proc, th: rows[r].th, i: -1, under: 0,
			    mix: null, mark: null };
		if (!h.th)
			return h;
		const th = h.th;
		let i = firstEndingAfter(th, t);
		if (i < th.n && th.start[i] <= t)
			h.i = i;
		/*
		 * The spans drawn in this pixel, and the time of each category in it: the span under
		 * the pointer may not be the colour shown.
		 */
		const p0 = view0 + Math.floor(px) * nsPerPx, p1 = p0 + nsPerPx;
		h.mix = new Float64Array(NCAT);
		for (i = firstEndingAfter(th, p0); i < th.n && th.start[i] < p1; i++) {
			const len = Math.min(p1, th.end[i]) - Math.max(p0, th.start[i]);
			const kind = kindOf(th, i), dur = th.end[i] - th.start[i];
			if (kind === 1 && dur > 0) {
				h.mix[C_SYS] += len * Math.min(1, th.x[i] / dur);
				h.mix[C_USER] += len * (1 - Math.min(1, th.x[i] / dur));
			} else {
				h.mix[catOf(kind)] += len;
			}
			h.under++;
		}
		for (const m of th.marks)
			if (Math.abs(m.ts - t) <= MARK_HIT_PX * nsPerPx &&
			    (!h.mark || Math.abs(m.ts - t) < Math.abs(h.mark.ts - t)))
				h.mark = m;
		return h;
	}

	function hitLines(h) {
		if (!h)
			return [];
		if (h.proc)
			return procLines(h.proc);
		const lines = h.i >= 0 ? spanLines(h.th, h.i)
				       : [['not alive at ' + fmtTime(h.t, (view1 - view0) / W), 't1']];
		if (h.under > 1) {
			const total = h.mix.reduce((a, b) => a + b, 0) || 1;
			const parts = Array.from(h.mix.keys()).filter(c => h.mix[c] > 0)
				.sort((a, b) => h.mix[b] - h.mix[a]).slice(0, 4)
				.map(c => CAT_NAMES[c] + ' ' + Math.round(100 * h.mix[c] / total) + '%');
			lines.push([h.under + ' spans share this pixel (' + fmtDur(total) + '): ' +
				    parts.join(', ') + '; zoom in to see each', 'warn']);
		}
		if (h.mark) {
			const m = h.mark;
			let text = MARK_NAMES[m.kind] + ' at ' + fmtTime(m.ts, 1000);
			if (m.kind === 2 && m.other)
				text = 'forked ' + who(m.other, m.ts + 1) + ' at ' + fmtTime(m.ts, 1000);
			lines.push([text, '']);
		}
		lines.push([threadLine(h.th), 'dim']);
		return lines;
	}

	function showTip(h, clientX, clientY) {
		const lines = hitLines(h);
		if (!lines.length) {
			tip.hidden = true;
			return '';
		}
		tip.replaceChildren();
		lines.forEach(([text, cls], n) => {
			const d = tip.appendChild(el('div', cls));
			if (n === 0 && h.th && h.i >= 0) {
				const kind = kindOf(h.th, h.i);
				d.appendChild(el('i', 'sw ' + CAT_NAMES[catOf(kind)]));
			}
			d.appendChild(document.createTextNode(text));
		});
		tip.hidden = false;
		const tw = tip.offsetWidth, th = tip.offsetHeight;
		let x = clientX + 14, y = clientY + 16;
		if (x + tw > window.innerWidth - 4)
			x = Math.max(4, clientX - tw - 14);
		if (y + th > window.innerHeight - 4)
			y = Math.max(4, clientY - th - 12);
		tip.style.left = x + 'px';
		tip.style.top = y + 'px';
		return lines.map(l => l[0]).join('\n');
	}

	function setHoverRow(r) {
		if (r === hoverRow)
			return;
		const old = labels.children[hoverRow];
		if (old)
			old.classList.remove('hover');
		hoverRow = r;
		const now = labels.children[r];
		if (now)
			now.classList.add('hover');
		schedule();
	}

	function hover(clientX, clientY) {
		const h = hit(clientX, clientY);
		setHoverRow(h ? h.row : -1);
		return showTip(h, clientX, clientY);
	}

	/* ---- moving around ---- */

	function setView(t0, t1) {
		let span = Math.min(endNs, Math.max(MIN_VIEW_NS, t1 - t0));
		t0 = Math.min(Math.max(0, t0), endNs - span);
		view0 = t0;
		view1 = t0 + span;
		schedule();
	}

	function zoomAt(px, factor) {
		const t = view0 + px / W * (view1 - view0);
		const span = (view1 - view0) * factor;
		setView(t - px / W * span, t - px / W * span + span);
	}

	function pan(frac) {
		const d = (view1 - view0) * frac;
		setView(view0 + d, view1 + d);
	}

	function canvasX(e) {
		return e.clientX - canvas.getBoundingClientRect().left;
	}

	canvas.addEventListener('wheel', e => {
		e.preventDefault();
		const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? H : 1;
		let dx = e.deltaX * unit, dy = e.deltaY * unit;
		if (e.shiftKey && !dx) {
			dx = dy;
			dy = 0;
		}
		if (Math.abs(dx) > Math.abs(dy))
			pan(dx / W);
		else
			zoomAt(canvasX(e), Math.exp(dy * 0.002));
		tip.hidden = true;
	}, { passive: false });

	canvas.addEventListener('mousedown', e => {
		if (e.button !== 0)
			return;
		e.preventDefault();
		drag = { x: e.clientX, y: e.clientY, v0: view0, v1: view1, top: scroller.scrollTop };
		canvas.classList.add('drag');
		tip.hidden = true;
	});
	window.addEventListener('mousemove', e => {
		pointer = e;
		if (drag) {
			const d = (e.clientX - drag.x) * (drag.v1 - drag.v0) / W;
			setView(drag.v0 - d, drag.v1 - d);
			scroller.scrollTop = drag.top - (e.clientY - drag.y);
			return;
		}
		if (e.target === canvas)
			hover(e.clientX, e.clientY);
	});
	window.addEventListener('mouseup', () => {
		drag = null;
		canvas.classList.remove('drag');
	});
	canvas.addEventListener('mouseleave', () => {
		if (!drag) {
			tip.hidden = true;
			setHoverRow(-1);
		}
	});
	canvas.addEventListener('dblclick', e => {
		const h = hit(e.clientX, e.clientY);
		if (e.shiftKey || !h || !h.th || h.i < 0) {
			zoomAt(canvasX(e), e.shiftKey ? ZOOM_STEP * ZOOM_STEP : 1 / (ZOOM_STEP * ZOOM_STEP));
			return;
		}
		const s = h.th.start[h.i], d = Math.max(h.th.end[h.i] - s, MIN_VIEW_NS);
		setView(s - d * 0.1, s + d * 1.1);
	});
	scroller.addEventListener('scroll', () => {
		/* other rows are under the pointer now: say what they hold */
		if (pointer && pointer.target === canvas && !drag)
			hover(pointer.clientX, pointer.clientY);
		else
			tip.hidden = true;
		schedule();
	});
	window.addEventListener('resize', () => {
		layout();
		schedule();
	});

	document.addEventListener('keydown', e => {
		if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName))
			return;
		const overCanvas = pointer && pointer.target === canvas;
		const px = overCanvas ? canvasX(pointer) : W / 2;
		switch (e.key) {
		case 'w': case 'W': case '+': case '=':
			zoomAt(px, 1 / ZOOM_STEP);
			break;
		case 's': case 'S': case '-': case '_':
			zoomAt(px, ZOOM_STEP);
			break;
		case 'a': case 'A': case 'ArrowLeft':
			pan(-0.2);
			break;
		case 'd': case 'D': case 'ArrowRight':
			pan(0.2);
			break;
		case '0': case 'Home':
			setView(0, endNs);
			break;
		case '?':
			help.hidden = !help.hidden;
			break;
		case 'Escape':
			help.hidden = true;
			tip.hidden = true;
			break;
		default:
			return;
		}
		e.preventDefault();
		tip.hidden = true;
	});

	/* ---- for tests and the curious: window.concprof ---- */

	function rowOfTid(tid) {
		let r = rows.findIndex(row => row.th && row.th.tid === tid);
		if (r < 0) {
			const th = threadOf(tid, 0);
			if (!th)
				return -1;
			procOf.get(th.pid).collapsed = false;
			buildRows();
			layout();
			r = rows.findIndex(row => row.th && row.th.tid === tid);
		}
		return r;
	}

	const api = {
		threads: threads.length,
		processes: data.procs.length,
		spans: threads.reduce((n, t) => n + t.n, 0),
		marks: nrMarks,
		rendered: false,
		draws: 0,
		lastDrawMs: 0,
		loadMs: 0,
		/* The view, in seconds. */
		view: () => [view0 / 1e9, view1 / 1e9],
		/* Shows [t0, t1] seconds and draws it now; returns the draw's milliseconds. */
		zoom(t0, t1) {
			setView(t0 * 1e9, t1 * 1e9);
			return draw();
		},
		reset() {
			setView(0, endNs);
			return draw();
		},
		redraw: () => draw(),
		/* Scrolls thread tid into view; its row's middle, in client coordinates, or null. */
		rowCenter(tid) {
			const r = rowOfTid(tid);
			if (r < 0)
				return null;
			if (r * ROW_H < scroller.scrollTop || (r + 1) * ROW_H > scroller.scrollTop + H)
				scroller.scrollTop = r * ROW_H - H / 2;
			draw();
			let rc = canvas.getBoundingClientRect();
			const y = r * ROW_H - scroller.scrollTop + ROW_H / 2;
			if (rc.top + y < 0 || rc.top + y > window.innerHeight) { /* bring it into the window */
				window.scrollBy(0, rc.top + y - window.innerHeight / 2);
				rc = canvas.getBoundingClientRect();
			}
			return { x: rc.left + W / 2, y: rc.top + y };
		},
		/* The client x of time t seconds. */
		timeToX: t => canvas.getBoundingClientRect().left + (t * 1e9 - view0) * W / (view1 - view0),
		spanAt(clientX, clientY) {
			const h = hit(clientX, clientY);
			if (!h || !h.th || h.i < 0)
				return null;
			const kind = kindOf(h.th, h.i);
			return { tid: h.th.tid, index: h.i, state: CAT_NAMES[catOf(kind)],
				 start: h.th.start[h.i] / 1e9, end: h.th.end[h.i] / 1e9,
				 text: spanLines(h.th, h.i).map(l => l[0]).join('\n') };
		},
		hover,
		tooltip: () => (tip.hidden ? '' : tip.innerText),
		/* The timeline's colour at a client point, [r, g, b], and the legend's colours. */
		pixel(clientX, clientY) {
			const rc = canvas.getBoundingClientRect();
			const d = ctx.getImageData(Math.floor((clientX - rc.left) * dpr),
						   Math.floor((clientY - rc.top) * dpr), 1, 1).data;
			return [d[0], d[1], d[2]];
		},
		colors: Object.fromEntries(CAT_NAMES.map((name, c) => [name, COLORS[c]])),
	};
	window.concprof = api;

	buildRows();
	layout();
	draw();
	api.loadMs = performance.now() - loadStart;
})();
