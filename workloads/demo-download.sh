#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The download demo in one command: start imgserver on a free port, run a download against
# it, stop the server. Exit status: the download's.
#
# To profile, do not profile this script: the server would be measured too. Start
# imgserver on its own and profile only the download, as the README shows.
set -u

usage() {
	cat <<EOF
Usage: workloads/demo-download.sh [--python] [DOWNLOAD OPTION]...
Start workloads/imgserver on a free port, run workloads/download (or, with --python,
workloads/python/download.py) with the given options and --base-url set, then stop
the server. Options for imgserver go in the environment variable IMGSERVER_OPTS.

Examples:
  workloads/demo-download.sh                        # sequential, ~15 s
  workloads/demo-download.sh --mode threads -n 16
  workloads/demo-download.sh --python --mode asyncio
  IMGSERVER_OPTS="--latency 300 --error-rate 0.1" workloads/demo-download.sh --mode async
EOF
}

here=$(dirname "$0")
download=("$here/download")
case ${1:-} in
-h | --help) usage; exit 0 ;;
--python) download=(/usr/bin/python3 "$here/python/download.py"); shift ;;
esac

tmp=$(mktemp -d /tmp/demo-download.XXXXXX)
server=
cleanup() {
	[[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086 # IMGSERVER_OPTS is a list of options
"$here/imgserver" --port 0 ${IMGSERVER_OPTS:-} >"$tmp/url" 2>"$tmp/server.err" &
server=$!
url=
for ((i = 0; i < 200; i++)); do
	url=$(head -n 1 "$tmp/url" 2>/dev/null)
	[[ $url == http://* ]] && break
	kill -0 "$server" 2>/dev/null || break
	sleep 0.05
done
if [[ $url != http://* ]]; then
	echo "demo-download.sh: imgserver did not start:" >&2
	cat "$tmp/server.err" >&2
	exit 1
fi
echo "# imgserver at $url" >&2

"${download[@]}" "$@" --base-url "$url"
