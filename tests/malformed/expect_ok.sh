#!/bin/sh
# Runs `swan score` on a valid model: exit 0, nothing on stderr, one result
# line. With REFERENCE_DIR, nll_sum must equal that model's exactly: the
# variants hold the same values in another layout or dtype.
#
# usage: expect_ok.sh SWAN MODEL_DIR DOC [REFERENCE_DIR]
swan=$1 model=$2 doc=$3 reference=$4

fail() { echo "FAIL ($model): $*" >&2; exit 1; }

nll_sum() {
    out=$(mktemp) err=$(mktemp)
    "$swan" score -m "$1" --tokenizer bytes "$doc" >"$out" 2>"$err"
    status=$?
    cat "$err" >&2
    lines=$(grep -c '^{' "$out")
    sum=$(grep -o '"nll_sum":[^,]*' "$out")
    errs=$(wc -c <"$err")
    rm -f "$out" "$err"
    [ "$status" -eq 0 ] || fail "$1: exit status $status"
    [ "$errs" -eq 0 ] || fail "$1: stderr not empty"
    [ "$lines" -eq 1 ] || fail "$1: $lines result lines, expected 1"
    [ -n "$sum" ] || fail "$1: no nll_sum in the result"
    echo "$sum"
}

[ -d "$model" ] || fail "no such case directory (make_bad_models out of sync?)"
got=$(nll_sum "$model") || exit 1
echo "$model: $got"
if [ -n "$reference" ]; then
    want=$(nll_sum "$reference") || exit 1
    echo "$reference: $want"
    [ "$got" = "$want" ] || fail "differs from $reference"
fi
echo "ok"
