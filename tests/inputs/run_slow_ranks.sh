#!/bin/bash
# run_slow_ranks.sh SWAN MODEL_DIR TEXT WORK
# Slow but alive ranks must not trip the hung-rank watchdog: 5 ranks on this
# machine's cores (oversubscribed in CI), chunks of 1024 tokens, and a
# --rank-timeout far below a chunk's time, so only the deadlines derived from
# the planner's estimate of each chunk keep the job alive.
set -u
swan=$1 model=$2 text=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
head -c 40000 "$text" > a.txt
tail -c 30000 "$text" > b.txt
SWAN_BIN=$swan timeout 600 "$here/../../launch/swan-mpi" 5 score -m "$model" --chunk 1024 \
  --rank-timeout 0.5 -o out.jsonl a.txt b.txt > run.out 2> run.err
rc=$?
[ $rc -eq 0 ] || fail "exit $rc: $(grep '^swan: error' run.err)"
grep -q 'no answer for' run.err && fail "the watchdog tripped on slow ranks: $(grep 'no answer' run.err)"
[ "$(wc -l < out.jsonl)" -eq 2 ] || fail "$(wc -l < out.jsonl) result lines, expected 2"
[ "$failures" -ne 0 ] || pass "5 ranks, chunk 1024, --rank-timeout 0.5: no trip"
finish
