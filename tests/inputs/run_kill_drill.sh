#!/bin/bash
# run_kill_drill.sh SWAN CHECKER MODEL_DIR RANK WORK
# A batch of 12 documents of 2-5K tokens under launch/swan-mpi 4 (stages 0-1
# and 2-3, the second a global-cache group of 2 ranks). Once two lines are in
# out.jsonl, node RANK is SIGKILLed. The job must end within 60 s, the lines
# already written must be whole, and --resume (after a torn line is added, as
# a crash of rank 0 mid-write would leave) must complete the batch with the
# lines of an uninterrupted run.
set -u
swan=$1 check=$2 model=$3 rank=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work/docs" && cd "$work" || exit 1

ndocs=12
drill_batch "$model" $ndocs
opts=(-m "$model" --tokenizer bytes --chunk 128 --in-flight 2 -o out.jsonl)
mpi_opts=(--stages 0-1,2-3 --nope-group 2)
launch() { SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" 4 score "$@"; }

timeout 300 "$swan" score "${opts[@]/out.jsonl/clean.jsonl}" docs 2> clean.err
[ "$(lines clean.jsonl)" -eq $ndocs ] || { fail "the clean run: $(cat clean.err)"; finish; }

launch "${opts[@]}" "${mpi_opts[@]}" docs > killed.out 2> killed.err &
job=$!
victim=$(drill_victim $job "$rank")
if [ -z "$victim" ]; then
  fail "no rank $rank to kill with 2 lines written (job ended? $(tail -3 killed.err))"
  kill $job 2> /dev/null; wait $job; finish
fi
kill -KILL "$victim"
killed_at=$SECONDS
echo "killed rank $rank (pid $victim) with $(lines out.jsonl) lines written"
while kill -0 $job 2> /dev/null && [ $((SECONDS - killed_at)) -le 60 ]; do sleep 0.1; done
if kill -0 $job 2> /dev/null; then
  fail "the job still runs 60 s after the kill (hang)"
  kill $job; wait $job; finish
fi
rc=0; wait $job || rc=$?
echo "job ended $((SECONDS - killed_at)) s after the kill, exit $rc"
[ "$rc" -ne 0 ] || fail "the killed job exited 0"
done_lines=$(lines out.jsonl)
[ "$done_lines" -lt $ndocs ] || fail "all $ndocs documents finished before the kill: nothing was interrupted"
"$check" intact out.jsonl || fail "out.jsonl holds a damaged line"

# As if rank 0 had died in the middle of a write.
printf '{"id":"docs/doc12.bin","tokens":4,"sco' >> out.jsonl
launch "${opts[@]}" "${mpi_opts[@]}" --resume docs > resumed.out 2> resumed.err
rc=$?
[ "$rc" -eq 0 ] || fail "the resumed run exited $rc: $(grep 'swan: error' resumed.err)"
grep -q -F "cutting off a torn last line" resumed.err || fail "the torn line was not reported"
grep -q -F "resuming: $done_lines finished documents" resumed.err || fail "no 'resuming: $done_lines' line"
if "$check" same clean.jsonl out.jsonl; then pass "resumed batch == uninterrupted batch"
else fail "the resumed batch differs from the uninterrupted one"; fi
finish
