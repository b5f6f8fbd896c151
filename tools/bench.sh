#!/usr/bin/env bash
# make bench: concprof's overhead, as ratios measured in this one invocation.
#   untraced  the workload alone
#   floor     the same probes attached, each doing only the "is this thread ours?" lookup
#   floor_clock  the floor plus one clock read in each probe that found its thread: what the
#             clock alone costs (concprof reads it in each such probe)
#   nostream  exact totals, no event stream (--no-stream)
#   traced    concprof: exact totals and the switch stream
# Workloads: a syscall loop that times itself (ns per getppid) and `perf bench sched pipe`
# pinned to one CPU (µs per round trip). Each is run ROUNDS times per mode, interleaved; the
# median and the best (the run least disturbed by the rest of a shared machine) are kept.
# concprof / floor is given three ways: the ratio of the medians, of the bests, and the
# median of each round's own ratio (a traced run against the floor run just before it),
# which the slow drift of a shared VM's speed does not skew.
# Peers on the same pipe benchmark: perf sched record.
set -euo pipefail
cd "$(dirname "$0")/.."

CONCPROF=${CONCPROF:-./concprof}
ROUNDS=${ROUNDS:-5}
SYSCALLS=${SYSCALLS:-2000000}
PIPE_LOOPS=${PIPE_LOOPS:-200000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root to load BPF: run 'sudo make bench'" >&2
	exit 1
fi

# Prints the workload's own figure (first number of its result line).
syscall_loop() { "$@" .output/syscall_loop "$SYSCALLS" | awk '/ns\/syscall/ {print $1}'; }
pipe_bench() {
	"$@" taskset -c 0 perf bench sched pipe -l "$PIPE_LOOPS" 2>/dev/null |
		awk '/usecs\/op/ {print $1}'
}
untraced() { "$@"; }
floor() { "$CONCPROF" -q --floor -- "$@"; }
floor_clock() { "$CONCPROF" -q --floor=clock -- "$@"; }
nostream() { "$CONCPROF" -q --no-stream -- "$@"; }
traced() { "$CONCPROF" -q --json "$out/last.json" -- "$@"; }
perf_sched() { perf sched record -q -o "$out/perf.data" -- "$@" 2>/dev/null; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
best() { sort -g | head -n 1; }
# Each round's ratio of mode $1 to mode $2 (line i of each file is round i).
ratios() { paste "$out/$3.$1" "$out/$3.$2" | awk '{printf "%.3f\n", $1 / $2}'; }
lost() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["lost_events"] + d.get("lost_threads", 0))' "$out/last.json"; }

bench() { # key name workload modes...
	local key=$1 title=$2 workload=$3
	shift 3
	local mode r
	for r in $(seq "$ROUNDS"); do
		for mode in "$@"; do
			$workload "$mode" >>"$out/$key.$mode"
			if [ "$mode" = traced ]; then lost >>"$out/$key.lost"; fi
		done
	done
	base=$(median <"$out/$key.untraced")
	base_best=$(best <"$out/$key.untraced")
	printf '%-34s %12s %10s %12s %10s\n' "$title" "median" "× untraced" "best" "× untraced"
	for mode in "$@"; do
		m=$(median <"$out/$key.$mode")
		b=$(best <"$out/$key.$mode")
		printf '  %-32s %12s %10.3f %12s %10.3f\n' "$mode" "$m" "$(echo "$m / $base" | bc -l)" \
			"$b" "$(echo "$b / $base_best" | bc -l)"
	done
	printf '  %-32s %12s %10.3f %12s %10.3f   (target ≤ 1.10)\n' "concprof / floor" "" \
		"$(echo "$(median <"$out/$key.traced") / $(median <"$out/$key.floor")" | bc -l)" "" \
		"$(echo "$(best <"$out/$key.traced") / $(best <"$out/$key.floor")" | bc -l)"
	printf '  %-32s %12s %10.3f   (%s rounds: %s to %s)\n' "  median of per-round ratios" "" \
		"$(ratios traced floor "$key" | median)" "$ROUNDS" \
		"$(ratios traced floor "$key" | sort -g | head -n 1)" \
		"$(ratios traced floor "$key" | sort -g | tail -n 1)"
	printf '  %-32s %12s %10.3f\n' "concprof / floor_clock" "" \
		"$(ratios traced floor_clock "$key" | median)"
	printf '  %-32s %12s\n' "lost events (all rounds)" "$(paste -sd+ "$out/$key.lost" | bc)"
}

echo "concprof bench: $ROUNDS rounds per mode, interleaved; $(nproc) CPUs, kernel $(uname -r)"
echo
bench syscalls "syscall loop (ns/syscall)" syscall_loop untraced floor floor_clock nostream traced
echo
if command -v perf >/dev/null && perf bench sched pipe -l 1000 >/dev/null 2>&1; then
	bench pipe "sched pipe, 1 CPU (µs/op)" pipe_bench untraced floor floor_clock nostream traced \
		perf_sched
	# The stream's size: bytes per state transition the timeline shows (each span's start
	# but a thread's first is one), and perf sched record's file for the same run.
	"$CONCPROF" -q --json "$out/s.json" --spans "$out/s.tsv" -- \
		taskset -c 0 perf bench sched pipe -l "$PIPE_LOOPS" >/dev/null 2>&1
	perf sched record -q -o "$out/perf.data" -- taskset -c 0 perf bench sched pipe \
		-l "$PIPE_LOOPS" >/dev/null 2>&1
	python3 - "$out/s.json" "$out/s.tsv" "$out/perf.data" "$PIPE_LOOPS" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
spans = sum(1 for _ in open(sys.argv[2])) - 1
transitions = spans - len(d["threads"])
switches = sum(t["voluntary_switches"] + t["involuntary_switches"] for t in d["threads"])
size = d["stream_records"] * 24
perf = os.path.getsize(sys.argv[3])
print(f"  stream: {d['stream_records']} records, {size} bytes for {transitions} transitions: "
      f"{size / max(transitions, 1):.1f} bytes per transition, {size / max(switches, 1):.1f} "
      f"per context switch")
print(f"  perf sched record: {perf} bytes, {perf / max(switches, 1):.0f} per context switch "
      f"of the traced threads")
PY
else
	echo "sched pipe: skipped (perf bench is not available: apt-get install linux-perf)"
fi
