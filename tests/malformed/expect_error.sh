#!/bin/sh
# Runs `swan score` on a broken model and checks it fails the way a user
# needs: a plain exit status (no crash), exactly one line on stderr naming
# the file and the problem, and no result on stdout.
#
# usage: expect_error.sh SWAN MODEL_DIR DOC SUBSTRING...
#   every SUBSTRING must occur in the error line.
swan=$1 model=$2 doc=$3
shift 3

fail() { echo "FAIL ($model): $*" >&2; exit 1; }

# Every case has its directory; a missing one means the generator and the
# CMake list disagree, not that the error path works.
[ -d "$model" ] || fail "no such case directory (make_bad_models out of sync?)"

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$swan" score -m "$model" --tokenizer bytes "$doc" >"$out" 2>"$err"
status=$?

echo "exit status $status; stderr:"
cat "$err"
[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
[ "$status" -lt 128 ] || fail "exit status $status: killed by a signal"
[ "$(wc -l <"$err")" -eq 1 ] || fail "stderr has $(wc -l <"$err") lines, expected 1"
line=$(cat "$err")
case $line in
    "swan: error: "?*) ;;
    *) fail "stderr line does not start with 'swan: error: '" ;;
esac
for want in "$@"; do
    case $line in
        *"$want"*) ;;
        *) fail "stderr line lacks '$want'" ;;
    esac
done
if grep -q '^{' "$out"; then fail "stdout has a result line"; fi
echo "ok"
