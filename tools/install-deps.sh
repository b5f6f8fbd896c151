#!/usr/bin/env bash
# Installs the Debian 12 packages concprof needs to build, run, test and benchmark, if any is
# missing. Safe to run again: it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	# build
	make gcc clang bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config
	# compare reads runs back from JSON
	libjson-c-dev
	# tests: unit test framework, scripts, the sudo path, unprivileged users
	libcmocka-dev python3 sudo passwd util-linux procps
	# tests: libFuzzer's runtime for clang, to fuzz the recording parser
	libclang-rt-14-dev
	# tests: the HTML report is loaded in a real browser (headless)
	chromium fonts-dejavu-core
	# build and tests: msgfmt compiles po/*.po; xgettext, msgcmp, msgattrib check them
	gettext locales
	# bench: perf bench sched pipe
	linux-perf bc
)
if [ -f workloads/packages.txt ]; then
	while read -r pkg _; do
		case "$pkg" in '' | '#'*) continue ;; esac
		packages+=("$pkg")
	done <workloads/packages.txt
fi

missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done
# concprof --lang pt_BR needs no generated locale; generating pt_BR.UTF-8 lets LANG=pt_BR.UTF-8
# choose it the usual way. Root only; nothing to do once it is there.
generate_locale() {
	locale -a 2>/dev/null | grep -qix 'pt_BR\.utf-\?8' && return 0
	[ "$(id -u)" -eq 0 ] && [ -f /etc/locale.gen ] && command -v locale-gen >/dev/null || return 0
	sed -i 's/^# *\(pt_BR\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
	grep -q '^pt_BR\.UTF-8 UTF-8' /etc/locale.gen || echo 'pt_BR.UTF-8 UTF-8' >>/etc/locale.gen
	locale-gen >/dev/null
}
generate_locale
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages: ${missing[*]}" >&2
	echo "install-deps: run 'sudo make ...' (or install them) and try again" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
generate_locale
