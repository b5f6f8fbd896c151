#!/usr/bin/env bash
# TAP: the translations of the report are complete and current (see tools/i18n-check.sh).
exec "$(dirname "$0")/../../tools/i18n-check.sh"
