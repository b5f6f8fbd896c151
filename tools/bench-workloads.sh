#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the demo workloads in each concurrency model and prints the lecture's comparison:
# wall time, user and system CPU time, CPU busy as a share of wall time, and the speed-up
# over the sequential version. Each program is measured from outside: wall time with
# `date +%s%N`, CPU time with GNU time (getrusage of the child and all it waited for).
#
# Run from the repository root after `make`. Takes about 2 minutes per run (--runs), under 1
# with --quick.
set -u

usage() {
	cat <<EOF
Usage: tools/bench-workloads.sh [OPTION]...
Time workloads/download and workloads/primes (and their Python versions) in each
concurrency model and print a table like the lecture's.

  --quick          a smaller download set and smaller numbers (about 4 times faster)
  --no-python      skip workloads/python/*.py
  --runs N         run each command N times and keep the fastest run (default 1):
                   on a shared machine, the least disturbed one
  -n N             download workers (default 8)
  -h, --help       show this help

Examples:
  tools/bench-workloads.sh
  tools/bench-workloads.sh --quick --no-python
  tools/bench-workloads.sh --runs 3
EOF
}

die() {
	local status=$1
	shift
	echo "bench-workloads.sh: $*" >&2
	exit "$status"
}

QUICK=0 PYTHON=1 DL_WORKERS=8 RUNS=1
while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--no-python) PYTHON=0 ;;
	-n)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die 2 "-n needs a number"
		DL_WORKERS=$2
		shift
		;;
	--runs)
		[[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die 2 "--runs needs a number"
		RUNS=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die 2 "unknown option '$1'" ;;
	esac
	shift
done

for prog in workloads/imgserver workloads/download workloads/primes; do
	[[ -x $prog ]] || die 1 "$prog is missing: run make first"
done
TIME=/usr/bin/time
[[ -x $TIME ]] || die 1 "needs GNU time ($TIME): apt-get install time"
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

if ((QUICK)); then
	SERVER_ARGS=(--total-bytes 5M) PRIMES_SCALE=2 PY_PRIMES_SCALE=0.3
else
	SERVER_ARGS=() PRIMES_SCALE=6 PY_PRIMES_SCALE=1
fi

T=$(mktemp -d /tmp/bench-workloads.XXXXXX)
SERVER=
cleanup() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

workloads/imgserver --port 0 "${SERVER_ARGS[@]}" >"$T/url" 2>"$T/server.err" &
SERVER=$!
for ((i = 0; i < 100; i++)); do
	URL=$(head -n 1 "$T/url" 2>/dev/null)
	[[ $URL == http://* ]] && break
	sleep 0.05
done
[[ $URL == http://* ]] || die 1 "imgserver did not start: $(cat "$T/server.err")"

cpus=$(nproc)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname): $cpus CPUs, ${model:-unknown CPU}"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg); fastest of $RUNS run(s) each"
echo "# $(head -n 1 "$T/server.err")"
echo "# primes: workloads/primes --scale $PRIMES_SCALE," \
	"workloads/python/primes.py --scale $PY_PRIMES_SCALE"
printf '%-16s %-8s %7s %8s %8s %8s %6s %9s\n' \
	workload mode workers "wall s" "user s" "sys s" "CPU %" speed-up

fcmp() { awk "BEGIN { exit !($1) }" </dev/null; }

# measure LABEL MODE WORKERS CMD...: runs CMD $RUNS times, prints one row for the fastest
# run. The first row of each LABEL is its sequential baseline.
declare -A BASELINE
measure() {
	local label=$1 mode=$2 workers=$3 run start end w u s wall="" user sys
	shift 3
	for ((run = 0; run < RUNS; run++)); do
		start=$(date +%s%N)
		if ! "$TIME" -f '%U %S' -o "$T/time" "$@" >"$T/out" 2>"$T/err"; then
			echo "bench-workloads.sh: failed: $*" >&2
			tail -n 5 "$T/err" >&2
			printf '%-16s %-8s %7s %8s\n' "$label" "$mode" "$workers" FAILED
			return
		fi
		end=$(date +%s%N)
		w=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", (e - s) / 1e9 }')
		read -r u s <"$T/time"
		if [[ -z $wall ]] || fcmp "$w < $wall"; then
			wall=$w user=$u sys=$s
		fi
	done
	[[ -n ${BASELINE[$label]:-} ]] || BASELINE[$label]=$wall
	awk -v l="$label" -v m="$mode" -v n="$workers" -v w="$wall" -v u="$user" -v s="$sys" \
		-v b="${BASELINE[$label]}" 'BEGIN {
		printf "%-16s %-8s %7s %8.2f %8.2f %8.2f %5.0f%% %8.2fx\n",
			l, m, n, w, u, s, 100 * (u + s) / w, b / w
	}'
}

for mode in seq threads procs async; do
	measure "download (C)" "$mode" "$([[ $mode == seq ]] && echo 1 || echo "$DL_WORKERS")" \
		workloads/download --mode "$mode" -n "$DL_WORKERS" --base-url "$URL"
done
for mode in seq threads procs gil; do
	measure "primes (C)" "$mode" "$([[ $mode == seq ]] && echo 1 || echo "$cpus")" \
		workloads/primes --mode "$mode" --scale "$PRIMES_SCALE"
done
if ((PYTHON)); then
	for mode in seq threads procs asyncio; do
		measure "download.py" "$mode" \
			"$([[ $mode == seq ]] && echo 1 || echo "$DL_WORKERS")" \
			"$PY" workloads/python/download.py --mode "$mode" -n "$DL_WORKERS" \
			--base-url "$URL"
	done
	for mode in seq threads procs; do
		measure "primes.py" "$mode" "$([[ $mode == seq ]] && echo 1 || echo "$cpus")" \
			"$PY" workloads/python/primes.py --mode "$mode" --scale "$PY_PRIMES_SCALE"
	done
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
