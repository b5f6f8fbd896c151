#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tests of the demo workloads: workloads/imgserver, download, primes and the Python versions.
# Run from the repository root after `make`; prints TAP lines and exits non-zero if any test
# failed. Every server it starts listens on a free port (--port 0) and is killed on exit.
#
# Results are checked with tools independent of the workloads' code: sha256sum for the
# downloads, tests/workloads/pngcheck.py for the images, coreutils' factor for the primes,
# and curl for what the server does.
set -u

IMGSERVER=workloads/imgserver
DOWNLOAD=workloads/download
PRIMES=workloads/primes
PY=/usr/bin/python3
PY_DOWNLOAD=workloads/python/download.py
PY_PRIMES=workloads/python/primes.py

T=$(mktemp -d /tmp/test-workloads.XXXXXX)
SERVERS=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pid
	for pid in "${SERVERS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
# Keep Python from writing byte code into the source tree.
export PYTHONDONTWRITEBYTECODE=1

n=0
failures=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)) failures=$((failures + 1))
	echo "not ok $n - $1"
	shift
	local line
	for line in "$@"; do
		# shellcheck disable=SC2001 # a multi-line message: prefix every line
		sed 's/^/#   /' <<<"$line"
	done
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# A short name for a command line in test descriptions: "download.py --mode procs".
label() {
	local s=$*
	s=${s#"$PY "}
	s=${s#workloads/python/}
	echo "${s#workloads/}"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Float comparison: fcmp 'a >= 1.5 && a < 2' a=1.7 ...
fcmp() {
	local expr=$1 IFS=';'
	shift
	awk "BEGIN { $*; exit !($expr) }" </dev/null
}

# start_server NAME [imgserver option]...: starts imgserver on a free port, sets URL and PID.
# The server prints its URL once it listens: wait for that line.
start_server() {
	local name=$1 i
	shift
	"$IMGSERVER" --port 0 "$@" >"$T/$name.url" 2>"$T/$name.err" &
	PID=$!
	SERVERS+=("$PID")
	for ((i = 0; i < 100; i++)); do
		URL=$(head -n 1 "$T/$name.url" 2>/dev/null)
		[[ $URL == http://* ]] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# imgserver $* did not start: $(cat "$T/$name.err")"
	return 1
}

stop_server() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# The manifest's "PATH SIZE SHA256" lines, without comments.
manifest_lines() { grep -v '^#' "$1"; }

# verify_dir DIR MANIFEST: every file of the manifest is in DIR with its size and SHA-256,
# and nothing else is. Uses stat and sha256sum, not the workloads' code.
verify_dir() {
	local dir=$1 manifest=$2 path size sha name count=0
	while read -r path size sha; do
		name=${path##*/}
		[[ -f $dir/$name ]] || { echo "missing $name"; return 1; }
		[[ $(stat -c %s "$dir/$name") == "$size" ]] || { echo "bad size: $name"; return 1; }
		[[ $(sha256sum <"$dir/$name" | cut -d' ' -f1) == "$sha" ]] ||
			{ echo "bad SHA-256: $name"; return 1; }
		count=$((count + 1))
	done < <(manifest_lines "$manifest")
	if [[ $(find "$dir" -type f | wc -l) != "$count" ]]; then
		echo "extra files in $dir"
		return 1
	fi
}

# The manifest's total size written as the lecture does: 1_234_567.
manifest_total() {
	manifest_lines "$1" | awk '{ s += $2 } END { printf "%d\n", s }' |
		sed -E ':a; s/([0-9])([0-9]{3})($|_)/\1_\2\3/; ta'
}

# check_download DESCRIPTION CMD...: runs a download into a fresh --out directory and checks
# the exit status, the TOTAL BYTES line and every saved file against $MANIFEST.
check_download() {
	local desc=$1 out rc why
	shift
	out=$T/out.$n
	mkdir -p "$out"
	"$@" --base-url "$URL" --out "$out" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [[ $rc != 0 ]]; then
		fail "$desc" "exit status $rc" "$(tail -n 3 "$T/stderr")"
	elif ! grep -qx "TOTAL BYTES: $(manifest_total "$MANIFEST")" "$T/stdout"; then
		fail "$desc" "wrong total: $(grep TOTAL "$T/stdout")"
	elif ! why=$(verify_dir "$out" "$MANIFEST"); then
		fail "$desc" "$why"
	else
		pass "$desc"
	fi
}

# ---- help and usage errors ----------------------------------------------------------------

for prog in "$IMGSERVER" "$DOWNLOAD" "$PRIMES" "$PY_DOWNLOAD" "$PY_PRIMES"; do
	desc="$(label "$prog") --help exits 0 and shows options and examples"
	if out=$("$prog" --help 2>&1) && grep -q 'Examples' <<<"$out" &&
		grep -q -- '--mode\|--port' <<<"$out"; then
		pass "$desc"
	else
		fail "$desc" "$out"
	fi
done

# usage_errors PROG ARGS...: each ARGS (split on spaces) must give a message and status 2.
usage_errors() {
	local prog=$1 args bad="" rc
	shift
	for args in "$@"; do
		# shellcheck disable=SC2086 # each case is a word list on purpose
		timeout 10 "$prog" $args >/dev/null 2>"$T/usage.err"
		rc=$?
		if [[ $rc != 2 ]] || ! [[ -s $T/usage.err ]]; then
			bad+="'$args' -> exit $rc; "
		fi
	done
	if [[ -z $bad ]]; then
		pass "$(label "$prog"): bad options give a message and exit status 2"
	else
		fail "$(label "$prog"): bad options give a message and exit status 2" "$bad"
	fi
}
usage_errors "$IMGSERVER" "--bogus" "--port 70000" "--port" "--latency -1" "--rate abc" \
	"--error-rate 1.5" "--count 0" "--total-bytes 100 --count 20" "--bind nowhere" "extra"
usage_errors "$DOWNLOAD" "--bogus" "--mode parallel" "-n 0" "-n" "--timeout 0" \
	"--base-url ftp://x" "--manifest a --urls b" "--out /nonexistent" "extra"
usage_errors "$PRIMES" "--bogus" "--mode fast" "-n 0" "--scale 0" "--scale 41" "--scale x" \
	"--repeat 0" "--switch-interval 0" "extra"
usage_errors "$PY_DOWNLOAD" "--bogus" "--mode parallel" "-n 0" "--base-url ftp://x" \
	"--timeout 0" "--out /nonexistent"
usage_errors "$PY_PRIMES" "--bogus" "--mode gil" "-n 0" "--scale 0" "--scale x"

# ---- imgserver -------------------------------------------------------------------------------

t0=$(now_ms)
if start_server default; then
	elapsed=$(($(now_ms) - t0))
	curl -sf "$URL/manifest.txt" >"$T/default.manifest"
	count=$(manifest_lines "$T/default.manifest" | wc -l)
	total=$(manifest_lines "$T/default.manifest" | awk '{ s += $2 } END { print s }')
	if ((count >= 15 && count <= 30 && total > 19500000 && total < 20500000 &&
		elapsed < 5000)); then
		pass "imgserver defaults: $count images, $total bytes, listening after $elapsed ms"
	else
		fail "imgserver defaults: about 20 images, 20 MB, a fast start" \
			"count=$count total=$total start=${elapsed}ms"
	fi
	# The lecture's shape needs the default rate and latency: one file of ~1 MB in ~1 s.
	read -r path size _ < <(manifest_lines "$T/default.manifest")
	timing=$(curl -s -o /dev/null -w '%{time_starttransfer} %{time_total}' "$URL/$path")
	desc="imgserver defaults: 80 ms latency, 1.5 MB/s per connection"
	if fcmp 'ttfb >= 0.08 && ttfb < 0.3 && rate > 1000000 && rate < 1600000' \
		"ttfb=${timing% *}" "rate=$size / (${timing#* } - ${timing% *})"; then
		pass "$desc ($timing s for $size bytes)"
	else
		fail "$desc" "$timing s for $size bytes"
	fi
	stop_server "$PID"
else
	fail "imgserver starts with its defaults"
fi

# A small set used by most tests below.
SMALL=(--count 6 --total-bytes 3M)
if start_server small "${SMALL[@]}" --rate 0 --latency 0; then
	SMALL_URL=$URL
	MANIFEST=$T/small.manifest
	curl -sf "$URL/manifest.txt" >"$MANIFEST"
	mkdir -p "$T/curl"
	bad=""
	while read -r path size sha; do
		f=$T/curl/${path##*/}
		curl -sf -o "$f" "$URL/$path" || bad+="curl failed for $path; "
		[[ $(stat -c %s "$f") == "$size" ]] || bad+="size of $path; "
		[[ $(sha256sum <"$f" | cut -d' ' -f1) == "$sha" ]] || bad+="SHA-256 of $path; "
	done < <(manifest_lines "$MANIFEST")
	desc="imgserver: each served file has the size and SHA-256 of the manifest"
	if [[ -z $bad && $(manifest_lines "$MANIFEST" | wc -l) == 6 ]]; then
		pass "$desc"
	else
		fail "$desc" "$bad"
	fi

	if (cd "$T/curl" && curl -sf "$URL/SHA256SUMS" | sha256sum --check --quiet); then
		pass "imgserver: /SHA256SUMS checks with sha256sum --check"
	else
		fail "imgserver: /SHA256SUMS checks with sha256sum --check"
	fi

	types=$(file -b "$T"/curl/*.png | cut -d, -f1 | sort -u)
	if [[ $types == "PNG image data" ]] &&
		out=$("$PY" tests/workloads/pngcheck.py "$T"/curl/*.png); then
		pass "imgserver: the images are valid PNGs (file(1), and a full decode)"
	else
		fail "imgserver: the images are valid PNGs" "$types" "${out:-}"
	fi

	codes=$(curl -s -o /dev/null -w '%{http_code} ' "$URL/images/nope.png"
		curl -s --path-as-is -o /dev/null -w '%{http_code} ' "$URL/images/../../etc/passwd"
		curl -s -o /dev/null -w '%{http_code} ' -X POST "$URL/manifest.txt")
	if [[ $codes == "404 404 405 " ]]; then
		pass "imgserver: 404 for unknown paths, 405 for POST"
	else
		fail "imgserver: 404 for unknown paths, 405 for POST" "got $codes"
	fi

	if start_server small2 "${SMALL[@]}" --rate 0 --latency 0 &&
		cmp -s <(curl -sf "$URL/manifest.txt") "$MANIFEST"; then
		pass "imgserver: the same options give the same files"
	else
		fail "imgserver: the same options give the same files"
	fi
	stop_server "$PID"

	desc="imgserver: a port in use is an error"
	if start_server busy --port "${SMALL_URL##*:}" >/dev/null; then
		fail "$desc" "a second server started"
	elif wait "$PID"; [[ $? == 1 ]] && grep -q 'in use' "$T/busy.err"; then
		pass "$desc ($(head -n 1 "$T/busy.err"))"
	else
		fail "$desc" "$(cat "$T/busy.err")"
	fi
else
	fail "imgserver starts with a small set"
fi

if start_server latency --count 2 --total-bytes 100k --latency 200 --rate 0; then
	t=$(curl -s -o /dev/null -w '%{time_starttransfer}' "$URL/manifest.txt")
	if fcmp 't >= 0.2 && t < 0.4' "t=$t"; then
		pass "imgserver --latency 200: first byte after $t s"
	else
		fail "imgserver --latency 200: first byte after 0.2 to 0.4 s" "took $t s"
	fi
	stop_server "$PID"
fi

if start_server rate --count 1 --total-bytes 1M --rate 500k --latency 0; then
	path=$(curl -sf "$URL/manifest.txt" | manifest_lines /dev/stdin | cut -d' ' -f1)
	t=$(curl -s -o /dev/null -w '%{time_total}' "$URL/$path")
	if fcmp 't >= 1.8 && t <= 2.5' "t=$t"; then
		pass "imgserver --rate 500k: 1 MB in $t s"
	else
		fail "imgserver --rate 500k: 1 MB in 1.8 to 2.5 s" "took $t s"
	fi

	# Per connection, not global: three at once take as long as one.
	t0=$(now_ms)
	curls=()
	for i in 1 2 3; do
		curl -s -o /dev/null -w '%{size_download}\n' "$URL/$path" >"$T/par.$i" &
		curls+=($!)
	done
	wait "${curls[@]}"
	elapsed=$(($(now_ms) - t0))
	if ((elapsed < 2800)) && [[ $(sort -u "$T"/par.*) -gt 990000 ]]; then
		pass "imgserver --rate is per connection: 3 parallel downloads in $elapsed ms"
	else
		fail "imgserver --rate is per connection" \
			"3 parallel downloads took $elapsed ms" "$(cat "$T"/par.*)"
	fi

	# SIGTERM in the middle of a slow transfer: a clean and quick stop.
	curl -s -o /dev/null "$URL/$path" &
	curl_pid=$!
	sleep 0.5
	t0=$(now_ms)
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	elapsed=$(($(now_ms) - t0))
	wait "$curl_pid"
	if [[ $rc == 0 ]] && ((elapsed < 2000)) && grep -q stopping "$T/rate.err"; then
		pass "imgserver: SIGTERM during a transfer stops it cleanly in $elapsed ms"
	else
		fail "imgserver: SIGTERM stops it cleanly" "exit $rc after $elapsed ms"
	fi
fi

if start_server sigint --count 1 --total-bytes 10k --latency 5000; then
	curl -s -o /dev/null "$URL/manifest.txt" &
	curl_pid=$!
	sleep 0.3
	kill -INT "$PID"
	wait "$PID"
	rc=$?
	wait "$curl_pid"
	if [[ $rc == 0 ]] && grep -q 'Interrupt, stopping' "$T/sigint.err"; then
		pass "imgserver: SIGINT stops it cleanly, even in a 5 s latency wait"
	else
		fail "imgserver: SIGINT stops it cleanly" "exit $rc: $(cat "$T/sigint.err")"
	fi
fi

# error_codes SEED FILE: the HTTP status of 100 requests for the same image, one a line.
error_codes() {
	local path args=() i
	start_server "errors$1" --count 1 --total-bytes 10k --latency 0 --rate 0 \
		--error-rate 0.5 --seed "$1" || return 1
	path=$(curl -sf "$URL/manifest.txt" | manifest_lines /dev/stdin | cut -d' ' -f1)
	for i in {1..100}; do
		args+=(-o /dev/null "$URL/$path")
	done
	# One curl, so the requests go one after the other on one connection.
	curl -s -w '%{http_code}\n' "${args[@]}" >"$2"
	stop_server "$PID"
}
error_codes 42 "$T/codes.42"
error_codes 42 "$T/codes.42.again"
error_codes 7 "$T/codes.7"
n503=$(grep -c '^503$' "$T/codes.42")
n200=$(grep -c '^200$' "$T/codes.42")
if ((n503 >= 30 && n503 <= 70 && n503 + n200 == 100)); then
	pass "imgserver --error-rate 0.5: $n503 of 100 requests got 503, the others 200"
else
	fail "imgserver --error-rate 0.5: 30 to 70 of 100 requests get 503" \
		"503: $n503, 200: $n200"
fi
if cmp -s "$T/codes.42" "$T/codes.42.again" && ! cmp -s "$T/codes.42" "$T/codes.7"; then
	pass "imgserver --seed: the same seed fails the same requests, another seed others"
else
	fail "imgserver --seed: the same seed fails the same requests, another seed others"
fi

# ---- download (C and Python) ----------------------------------------------------------------

# A rate limit keeps the transfers concurrent, a small set keeps the tests fast.
if start_server dl "${SMALL[@]}" --rate 4M --latency 20; then
	for mode in seq threads procs async; do
		check_download "download --mode $mode: every byte matches the manifest" \
			"$DOWNLOAD" --mode "$mode" -n 4
	done
	for mode in seq threads procs asyncio; do
		check_download "download.py --mode $mode: every byte matches the manifest" \
			"$PY" "$PY_DOWNLOAD" --mode "$mode" -n 4
	done

	# The manifest is checked for real: the second file one byte longer than the
	# manifest says, the third with another checksum.
	awk '!/^#/ { k++ } k == 2 && !/^#/ { $2 = $2 + 1 }
		k == 3 && !/^#/ { $3 = sprintf("%064d", 0) } { print }' \
		"$MANIFEST" >"$T/wrong.manifest"
	for cmd in "$DOWNLOAD" "$PY $PY_DOWNLOAD"; do
		desc="$(label "$cmd"): a wrong size or SHA-256 is reported, file removed, exit 1"
		mkdir -p "$T/wrong.$n"
		$cmd --mode threads --base-url "$URL" --manifest "$T/wrong.manifest" \
			--out "$T/wrong.$n" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		if [[ $rc == 1 ]] && grep -q 'FAILED.*bytes, the manifest says' "$T/stderr" &&
			grep -q 'FAILED.*SHA-256 .*, the manifest says' "$T/stderr" &&
			grep -q '6 files: 4 ok, 2 failed' "$T/stdout" &&
			[[ $(find "$T/wrong.$n" -type f | wc -l) == 4 ]]; then
			pass "$desc"
		else
			fail "$desc" "exit $rc" "$(cat "$T/stderr" "$T/stdout")"
		fi
	done

	manifest_lines "$MANIFEST" | awk -v u="$URL" '{ print u "/" $1 }' >"$T/urls.txt"
	for cmd in "$DOWNLOAD" "$PY $PY_DOWNLOAD"; do
		mkdir -p "$T/urls.$n"
		if $cmd --mode async --urls "$T/urls.txt" --out "$T/urls.$n" >"$T/stdout" 2>&1 &&
			verify_dir "$T/urls.$n" "$MANIFEST" >/dev/null; then
			pass "$(label "$cmd") --urls: a plain list of URLs"
		else
			fail "$(label "$cmd") --urls: a plain list of URLs" "$(cat "$T/stdout")"
		fi
	done

	# A URL with no host, and one where the server has no manifest (404).
	for cmd in "$DOWNLOAD" "$PY $PY_DOWNLOAD"; do
		desc="$(label "$cmd"): a bad URL fails quickly with a message"
		t0=$(now_ms)
		$cmd --base-url "http://" >"$T/stdout" 2>"$T/stderr"
		rc1=$?
		$cmd --base-url "$URL/no/such/dir" >"$T/stdout" 2>"$T/stderr2"
		rc2=$?
		elapsed=$(($(now_ms) - t0))
		if [[ $rc1 != 0 && $rc2 == 1 ]] && ((elapsed < 5000)) && [[ -s $T/stderr ]] &&
			grep -q 'cannot fetch the list of files.*404' "$T/stderr2"; then
			pass "$desc"
		else
			fail "$desc" "exit $rc1 and $rc2" "$(cat "$T/stderr" "$T/stderr2")"
		fi
	done
	stop_server "$PID"
fi

# Sequential versus concurrent, the point of the demo: 8 files at 1 MB/s per connection.
if start_server speed --count 8 --total-bytes 2M --rate 1M --latency 50; then
	declare -A wall
	for mode in seq threads procs async; do
		t0=$(now_ms)
		"$DOWNLOAD" --mode "$mode" -n 8 --base-url "$URL" >"$T/speed.$mode" 2>&1 ||
			echo "# download --mode $mode failed: $(cat "$T/speed.$mode")"
		wall[$mode]=$(($(now_ms) - t0))
	done
	times="seq ${wall[seq]} ms, threads ${wall[threads]}, procs ${wall[procs]}"
	times+=", async ${wall[async]}"
	if ((wall[seq] > 2000 && wall[threads] * 3 < wall[seq] &&
		wall[procs] * 3 < wall[seq] && wall[async] * 3 < wall[seq])); then
		pass "download: threads, procs and async are >= 3x faster than seq ($times)"
	else
		fail "download: threads, procs and async are >= 3x faster than seq" "$times"
	fi
	stop_server "$PID"
fi

# Injected errors: each failed file is named on stderr with its HTTP status, and the exit
# status is 1, in every mode; the parent gets the failures of worker processes too.
if start_server err "${SMALL[@]}" --rate 0 --latency 0 --error-rate 0.5 --seed 3; then
	for cmd in "$DOWNLOAD --mode seq" "$DOWNLOAD --mode threads" \
		"$DOWNLOAD --mode procs" "$DOWNLOAD --mode async" \
		"$PY $PY_DOWNLOAD --mode threads" "$PY $PY_DOWNLOAD --mode procs"; do
		$cmd -n 3 --base-url "$URL" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		nfail=$(grep -c 'FAILED .*: HTTP 503 Service Unavailable' "$T/stderr")
		if [[ $rc == 1 ]] && ((nfail > 0)) &&
			grep -q "6 files: $((6 - nfail)) ok, $nfail failed" "$T/stdout"; then
			pass "$(label "$cmd"): $nfail HTTP 503 failures reported, exit 1"
		else
			fail "$(label "$cmd"): HTTP errors are reported" "exit $rc" \
				"$(cat "$T/stdout" "$T/stderr")"
		fi
	done
	stop_server "$PID"
fi

# Nothing listening (a port that a server had, then gave back): a clear error, quickly,
# whether for the manifest or for the files.
if start_server dead --count 1 --total-bytes 1k; then
	stop_server "$PID"
	DEAD_URL=$URL
	for cmd in "$DOWNLOAD" "$PY $PY_DOWNLOAD"; do
		t0=$(now_ms)
		$cmd --base-url "$DEAD_URL" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		elapsed=$(($(now_ms) - t0))
		if [[ $rc == 1 ]] && ((elapsed < 5000)) &&
			grep -q 'cannot fetch the list of files.*cannot connect' "$T/stderr"; then
			pass "$(label "$cmd"): no server gives a clear error in $elapsed ms"
		else
			fail "$(label "$cmd"): no server gives a clear error quickly" \
				"exit $rc, $elapsed ms" "$(cat "$T/stderr")"
		fi
	done
	for cmd in "$DOWNLOAD --mode seq" "$DOWNLOAD --mode threads" \
		"$DOWNLOAD --mode procs" "$DOWNLOAD --mode async" \
		"$PY $PY_DOWNLOAD --mode procs" "$PY $PY_DOWNLOAD --mode asyncio"; do
		t0=$(now_ms)
		$cmd --base-url "$DEAD_URL" --manifest "$MANIFEST" >"$T/stdout" 2>"$T/stderr"
		rc=$?
		elapsed=$(($(now_ms) - t0))
		if [[ $rc == 1 ]] && ((elapsed < 5000)) &&
			[[ $(grep -c 'FAILED .*cannot connect' "$T/stderr") == 6 ]]; then
			pass "$(label "$cmd"): each file reports a refused connection, $elapsed ms"
		else
			fail "$(label "$cmd"): refused connections are reported" \
				"exit $rc, $elapsed ms" "$(cat "$T/stderr")"
		fi
	done
fi

if start_server slow --count 2 --total-bytes 100k --latency 3000 --rate 0 &&
	curl -sf --max-time 10 "$URL/manifest.txt" >"$T/slow.manifest"; then
	for cmd in "$DOWNLOAD --mode async" "$DOWNLOAD --mode procs" \
		"$PY $PY_DOWNLOAD --mode threads"; do
		t0=$(now_ms)
		$cmd --base-url "$URL" --manifest "$T/slow.manifest" --timeout 1 \
			>"$T/stdout" 2>"$T/stderr"
		rc=$?
		elapsed=$(($(now_ms) - t0))
		if [[ $rc == 1 ]] && ((elapsed < 2900)) &&
			[[ $(grep -c 'FAILED .*timed out after 1 s' "$T/stderr") == 2 ]]; then
			pass "$(label "$cmd") --timeout 1: timeouts reported after $elapsed ms"
		else
			fail "$(label "$cmd") --timeout 1: timeouts are reported" \
				"exit $rc, $elapsed ms" "$(cat "$T/stderr")"
		fi
	done
	stop_server "$PID"
fi

# The one-command demo starts its own server and leaves nothing running.
for py in "" --python; do
	desc="demo-download.sh${py:+ $py}: downloads from a server of its own, then stops it"
	IMGSERVER_OPTS="--count 3 --total-bytes 300k --latency 0 --rate 0" \
		workloads/demo-download.sh $py --mode threads >"$T/stdout" 2>"$T/stderr"
	rc=$?
	demo_url=$(sed -n 's/^# imgserver at //p' "$T/stderr")
	if [[ $rc == 0 && -n $demo_url ]] && grep -q '3 files: 3 ok, 0 failed' "$T/stdout" &&
		! curl -s -o /dev/null "$demo_url/manifest.txt"; then
		pass "$desc"
	else
		fail "$desc" "exit $rc" "$(cat "$T/stdout" "$T/stderr")"
	fi
done

# ---- primes ------------------------------------------------------------------------------------

# The answers for Fluent Python's numbers (--scale 1), from the book.
KNOWN_PRIMES=(2 142702110479723 299593572317531 3333333333333301 4444444444444423
	5555555555555503 7777777777777753 9999999999999917)
KNOWN_COMPOSITES=(3333333333333333 3333335652092209 4444444488888889 5555553133149889
	7777777536340681 9999999999999999)
expected=$(printf '%s P\n' "${KNOWN_PRIMES[@]}"; printf '%s C\n' "${KNOWN_COMPOSITES[@]}")
expected=$(sort <<<"$expected")

# result_lines FILE: "NUMBER P" or "NUMBER C" for each result line of a primes run, sorted.
result_lines() {
	grep -E '^ *[0-9]+  [P ]  [0-9.]+s$' "$1" | awk '{ print $1, (NF == 3 ? "P" : "C") }' |
		sort
}

for mode in seq threads procs gil; do
	"$PRIMES" --mode "$mode" -n 2 --scale 1 >"$T/primes.$mode" 2>&1
	rc=$?
	if [[ $rc == 0 ]] && [[ $(result_lines "$T/primes.$mode") == "$expected" ]]; then
		pass "primes --mode $mode --scale 1: Fluent Python's answers"
	else
		fail "primes --mode $mode --scale 1: Fluent Python's answers" "exit $rc" \
			"$(diff <(result_lines "$T/primes.$mode") <(echo "$expected") | head -n 5)"
	fi
done

# At other scales the numbers change: check each answer with coreutils' factor.
factor_check() {
	local number kind got bad=""
	while read -r number kind; do
		got=$(factor "$number" | awk '{ print (NF == 2 ? "P" : "C") }')
		[[ $got == "$kind" ]] || bad+="$number: said $kind; "
	done < <(result_lines "$1")
	[[ -z $bad ]] || { echo "$bad"; return 1; }
}
for mode in seq threads procs gil; do
	desc="primes --mode $mode --scale 0.3 --repeat 2: all 28 answers agree with factor(1)"
	"$PRIMES" --mode "$mode" -n 3 --scale 0.3 --repeat 2 >"$T/p03.$mode" 2>&1
	rc=$?
	if [[ $rc == 0 ]] && why=$(factor_check "$T/p03.$mode") &&
		[[ $(result_lines "$T/p03.$mode" | wc -l) == 28 ]]; then
		pass "$desc"
	else
		fail "$desc" "exit $rc" "${why:-}"
	fi
done

"$PRIMES" --scale 0.1 >"$T/c.scale0.1" 2>&1
for mode in seq threads procs; do
	desc="primes.py --mode $mode: answers agree with factor(1) and with the C version"
	"$PY" "$PY_PRIMES" --mode "$mode" -n 2 --scale 0.1 >"$T/pyp.$mode" 2>&1
	rc=$?
	if [[ $rc == 0 ]] && why=$(factor_check "$T/pyp.$mode") &&
		[[ $(result_lines "$T/pyp.$mode" | wc -l) == 14 ]] &&
		[[ $(result_lines "$T/pyp.$mode") == "$(result_lines "$T/c.scale0.1")" ]]; then
		pass "$desc"
	else
		fail "$desc" "exit $rc" "${why:-}" "$(tail -n 3 "$T/pyp.$mode")"
	fi
done

# The GIL: one thread computes at a time, so the threads' CPU adds up to the wall time, not
# to twice the wall time; and they take turns, so each gets a fair share.
worker_cpu() { sed -nE "s/^# workers' CPU: ([0-9.]+) s in ([0-9.]+) s.*/\1 \2/p" "$1"; }
"$PRIMES" --mode gil -n 2 --scale 1 --repeat 2 --verbose >"$T/gil" 2>&1
read -r cpu wall < <(worker_cpu "$T/gil")
mapfile -t each < <(sed -nE 's/^# worker [0-9]+: [0-9]+ numbers, CPU ([0-9.]+) s/\1/p' "$T/gil")
switches=$(sed -nE 's/^# gil: taken [0-9]+ times, ([0-9]+) forced switches.*/\1/p' "$T/gil")
if [[ -n ${cpu:-} && ${#each[@]} == 2 ]] &&
	fcmp 'cpu <= 1.15 * wall && a >= 0.25 * cpu && b >= 0.25 * cpu && s >= wall / 0.005 * 0.3' \
		"cpu=$cpu" "wall=$wall" "a=${each[0]}" "b=${each[1]}" "s=${switches:-0}"; then
	pass "primes --mode gil: the threads take turns: ${each[*]} s of CPU in $wall s"
else
	fail "primes --mode gil: one thread at a time, taking turns" "$(grep '^#' "$T/gil")"
fi

# The same measure must tell threads apart, or the test above proves nothing.
desc="primes --mode threads: the threads run at once"
if (($(nproc) >= 2)); then
	# Other load on the machine takes a core from us now and then: allow three tries.
	for _ in 1 2 3; do
		"$PRIMES" --mode threads -n 2 --scale 1 --repeat 2 --verbose >"$T/thr" 2>&1
		read -r cpu wall < <(worker_cpu "$T/thr")
		[[ -n ${cpu:-} ]] && fcmp 'cpu >= 1.3 * wall' "cpu=$cpu" "wall=$wall" && break
	done
	load=$(cut -d' ' -f1 /proc/loadavg)
	if [[ -n ${cpu:-} ]] && fcmp 'cpu >= 1.3 * wall' "cpu=$cpu" "wall=$wall"; then
		pass "$desc: ${cpu} s of CPU in ${wall} s"
	elif fcmp 'load >= cpus' "load=$load" "cpus=$(nproc)"; then
		skip "$desc" "other programs keep the CPUs busy (load $load)"
	else
		fail "$desc" "$(grep '^#' "$T/thr")"
	fi
else
	skip "$desc" "one CPU"
fi

echo "1..$n"
exit $((failures > 0))
