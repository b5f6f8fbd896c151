#!/usr/bin/env bash
# make demo: concprof on the lecture's two demonstrations, as a student would see them.
#  1. downloading ≈ 20 MB of images one after the other: I/O bound
#  2. the same with 8 threads: the waits overlap
#  3. primes with 2 threads: CPU bound, both cores busy
#  4. primes with 2 threads under a GIL: one thread computes at a time, with its timeline
#  5. the two downloads side by side (concprof compare), as in the lecture's analysis
# The runs are also saved in demo-out/ (JSON, a recording, an HTML report), owned by the user
# who typed `sudo make demo`. The image server runs outside the traced program, as a remote
# server would.
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

out=demo-out
if [ -n "${SUDO_UID:-}" ] && [ "${SUDO_UID}" != 0 ]; then
	setpriv --reuid="$SUDO_UID" --regid="$SUDO_GID" --init-groups mkdir -p "$out"
else
	mkdir -p "$out"
fi

step "1/5 Downloading 20 images one after the other (about 15 s): I/O bound" \
	./concprof --json "$out/seq.json" -- workloads/download --mode seq --base-url "$url"
step "2/5 The same download with 8 threads: the waits overlap" \
	./concprof --json "$out/threads.json" -- workloads/download --mode threads -n 8 \
	--base-url "$url"
step "3/5 Primes with 2 threads: CPU bound, both cores busy" \
	./concprof -- workloads/primes --mode threads -n 2 --scale 3
step "4/5 Primes with 2 threads under a GIL: one thread computes at a time" \
	./concprof record -o "$out/gil.cpr" --html "$out/gil.html" --timeline -- \
	workloads/primes --mode gil -n 2 --scale 3
step "5/5 The two downloads side by side" \
	./concprof compare "$out/seq.json" "$out/threads.json" >&2
printf '\nSaved in %s/: seq.json, threads.json, gil.cpr (concprof report %s/gil.cpr),\n' \
	"$out" "$out" >&2
printf 'gil.html (open it in a browser).\n' >&2
