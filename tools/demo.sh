#!/usr/bin/env bash
# make demo: concprof on the lecture's two demonstrations, as a student would see them.
#  1. downloading ≈ 20 MB of images one after the other: I/O bound
#  2. the same with 8 threads: the waits overlap
#  3. primes with 2 threads: CPU bound, both cores busy
#  4. primes with 2 threads under a GIL: one thread computes at a time
# The image server runs outside the traced program, as a remote server would.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: concprof needs root to trace: run 'sudo make demo'" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/concprof-demo.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

workloads/imgserver --port 0 >"$tmp/url" 2>"$tmp/server.log" &
server=$!
for _ in $(seq 100); do
	url=$(head -n 1 "$tmp/url" 2>/dev/null || true)
	case "$url" in http://*) break ;; esac
	sleep 0.05
done
case "$url" in http://*) ;; *)
	echo "demo: the image server did not start:" >&2
	cat "$tmp/server.log" >&2
	exit 1
	;;
esac

step() {
	printf '\n\033[1m━━ %s\033[0m\n$ %s\n\n' "$1" "${*:2}" >&2
	"${@:2}"
}

step "1/4 Downloading 20 images one after the other (about 15 s): I/O bound" \
	./concprof -- workloads/download --mode seq --base-url "$url"
step "2/4 The same download with 8 threads: the waits overlap" \
	./concprof -- workloads/download --mode threads -n 8 --base-url "$url"
step "3/4 Primes with 2 threads: CPU bound, both cores busy" \
	./concprof -- workloads/primes --mode threads -n 2 --scale 3
step "4/4 Primes with 2 threads under a GIL: one thread computes at a time" \
	./concprof -- workloads/primes --mode gil -n 2 --scale 3
