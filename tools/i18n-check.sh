#!/usr/bin/env bash
# The report's translations (gettext, domain "concprof"):
#   tools/i18n-check.sh            check them, as TAP: po/concprof.pot is what the sources mark,
#                                  and every po/LANG.po translates all of it, nothing fuzzy,
#                                  nothing stale, with formats that match
#   tools/i18n-check.sh --update   after changing a marked string: regenerate po/concprof.pot
#                                  and merge it into every po/LANG.po (then translate what is new)
# The sources mark messages with _(), N_(), C_(context, msgid) and ngettext() (user/i18n.h);
# po/POTFILES lists the files that do.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

extract() { # OUT.pot
	# An empty bugs address is on purpose; xgettext warns about it, and only about it.
	xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
		--add-comments=TRANSLATORS: --package-name=concprof \
		--package-version="$(cat VERSION 2>/dev/null || echo 0.0.0)" \
		--msgid-bugs-address= --files-from=po/POTFILES -o "$1" 2>&1 |
		grep -v -e 'msgid-bugs-address' -e 'Makevars' -e 'MSGID_BUGS_ADDRESS' \
			-e 'specify an --msgid-bugs-address' >&2
	[ -s "$1" ]
}

if [ "${1:-}" = --update ]; then
	extract po/concprof.pot || exit 1
	for po in po/*.po; do
		msgmerge --quiet --update --backup=none "$po" po/concprof.pot || exit 1
		msgfmt --check --statistics -o /dev/null "$po"
	done
	exit 0
fi

n=0 failed=0
ok() { # CONDITION-RC NAME [DETAIL...]
	local rc=$1 name=$2
	shift 2
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		failed=$((failed + 1))
		printf '%s\n' "$@" | sed '/^$/d; s/^/#   /'
	fi
}

if ! command -v xgettext >/dev/null || ! command -v msgfmt >/dev/null; then
	echo "ok 1 - translations # SKIP the gettext tools are not installed (Debian: gettext)"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

extract "$tmp/sources.pot"
ok $? "xgettext extracts the marked messages of po/POTFILES"

# A file that marks messages but is not in po/POTFILES would go untranslated, silently.
mapfile -t marking < <(grep -l -E '\b(_|N_|C_|ngettext)\(' user/*.c | sort)
mapfile -t listed < <(grep -v '^#' po/POTFILES | sed '/^$/d' | sort)
missing=$(comm -23 <(printf '%s\n' "${marking[@]}") <(printf '%s\n' "${listed[@]}"))
ok "$([ -z "$missing" ] && echo 0 || echo 1)" "po/POTFILES lists every source that marks messages" \
	"not listed: $missing"

out=$(msgcmp --use-untranslated po/concprof.pot "$tmp/sources.pot" 2>&1 &&
	msgcmp --use-untranslated "$tmp/sources.pot" po/concprof.pot 2>&1)
ok $? "po/concprof.pot is up to date (else: tools/i18n-check.sh --update)" \
	"$(echo "$out" | grep -v warning | head -5)"

for po in po/*.po; do
	lang=$(basename "$po" .po)
	out=$(msgfmt --check --statistics -o "$tmp/$lang.mo" "$po" 2>&1)
	ok $? "$lang: msgfmt --check: header, plural forms, formats match their msgid" \
		"$(echo "$out" | head -5)"
	echo "$out" | sed "s/^/# $lang: /"

	count=$(msgattrib --untranslated --no-obsolete "$po" 2>/dev/null | grep -c '^msgid ' || true)
	# the header is an entry with an empty msgid of its own
	untranslated=$((count > 0 ? count - 1 : 0))
	ok "$untranslated" "$lang: no untranslated message" \
		"$untranslated untranslated: msgattrib --untranslated $po"

	count=$(msgattrib --only-fuzzy --no-obsolete "$po" 2>/dev/null | grep -c '^msgid ' || true)
	fuzzy=$((count > 0 ? count - 1 : 0))
	ok "$fuzzy" "$lang: no fuzzy message" "$fuzzy fuzzy: msgattrib --only-fuzzy $po"

	out=$(msgcmp "$po" "$tmp/sources.pot" 2>&1)
	ok $? "$lang: translates every msgid of the sources" \
		"$(echo "$out" | grep -v warning | head -5)"

	out=$(msgcmp --use-untranslated --use-fuzzy "$tmp/sources.pot" "$po" 2>&1)
	ok $? "$lang: no msgid the sources no longer use" \
		"$(echo "$out" | grep -v warning | head -5)"

	count=$(msgattrib --only-obsolete "$po" 2>/dev/null | grep -c '^#~ msgid ' || true)
	ok "$count" "$lang: no obsolete (#~) entries left" "$count obsolete"
done

echo "1..$n"
[ "$failed" -eq 0 ]
