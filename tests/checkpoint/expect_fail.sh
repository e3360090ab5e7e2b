#!/bin/sh
# expect_fail.sh SUBSTRINGS -- COMMAND...: COMMAND must fail the way a user
# needs: exit status 1 (no crash), exactly one line on stderr, starting
# "swan: error: " and containing every SUBSTRING.
subs=""
while [ "$1" != "--" ]; do subs="$subs
$1"; shift; done
shift
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$@" >/dev/null 2>"$err"
status=$?
echo "exit status $status; stderr:"
cat "$err"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
[ "$(wc -l <"$err")" -eq 1 ] || fail "stderr has $(wc -l <"$err") lines, expected 1"
line=$(cat "$err")
case $line in "swan: error: "?*) ;; *) fail "not a 'swan: error: ' line" ;; esac
echo "$subs" | while IFS= read -r want; do
    [ -z "$want" ] && continue
    case $line in *"$want"*) ;; *) fail "stderr line lacks '$want'" ;; esac
done || exit 1
echo ok
