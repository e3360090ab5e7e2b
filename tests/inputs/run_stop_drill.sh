#!/bin/bash
# run_stop_drill.sh SWAN CHECKER MODEL_DIR NP RANK WORK LAYOUT...
# The hung-rank drill: a batch of 12 documents of 2-5K tokens under
# launch/swan-mpi NP with the LAYOUT options and --rank-timeout 5 (or
# $RANK_TIMEOUT). Once two
# lines are in out.jsonl, rank RANK is stopped with SIGSTOP: alive to the
# kernel and to MPI, silent to its peers. The job must end with a non-zero
# status and exactly one line "swan: error: rank RANK (host H): no answer
# for S s while ..." within S + 10 s of the stop; the lines already written
# must be whole, and --resume must complete the batch.
set -u
swan=$1 check=$2 model=$3 np=$4 rank=$5 work=$6
shift 6
layout=("$@")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work/docs" && cd "$work" || exit 1

ndocs=12
drill_batch "$model" $ndocs
opts=(-m "$model" --tokenizer bytes --chunk 128 --in-flight 2 --rank-timeout "${RANK_TIMEOUT:-5}" -o out.jsonl)
launch() { SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" "$np" score "$@"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

launch "${opts[@]}" "${layout[@]}" docs > stopped.out 2> stopped.err &
job=$!
victim=$(drill_victim $job "$rank")
if [ -z "$victim" ]; then
  fail "no rank $rank to stop with 2 lines written (job ended? $(tail -3 stopped.err))"
  kill $job 2> /dev/null; wait $job; finish
fi
kill -STOP "$victim"
stopped_at=$(now)
echo "stopped rank $rank (pid $victim) with $(lines out.jsonl) lines written"
while kill -0 $job 2> /dev/null && [ "$(echo "$(elapsed "$stopped_at") < ${RANK_TIMEOUT:-5} + 115" | bc)" = 1 ]; do sleep 0.1; done
took=$(elapsed "$stopped_at")
if kill -0 $job 2> /dev/null; then
  fail "the job still runs $(elapsed "$stopped_at") s after the stop (hang)"
  kill -KILL "$victim" 2> /dev/null; kill $job; wait $job; finish
fi
rc=0; wait $job || rc=$?
kill -KILL "$victim" 2> /dev/null # in case the launcher left it stopped
echo "job ended ${took} s after the stop, exit $rc"
[ "$rc" -ne 0 ] || fail "the stopped job exited 0"
[ "$(count_errors stopped.err)" -eq 1 ] || fail "not exactly one 'swan: error:' line"
line=$(grep -m1 '^swan: error: ' stopped.err)
echo "$line"
re="^swan: error: rank $rank \(host [^)]+\): no answer for ([0-9]+) s while .+"
if [[ $line =~ $re ]]; then
  s=${BASH_REMATCH[1]}
  if [ "$(echo "$took <= $s + 10" | bc)" = 1 ]; then pass "ended ${took} s after the stop, within $s + 10 s"
  else fail "ended ${took} s after the stop, later than $s + 10 s"; fi
else
  fail "the line does not name rank $rank, its host and how long it was silent"
fi
done_lines=$(lines out.jsonl)
[ "$done_lines" -lt $ndocs ] || fail "all $ndocs documents finished before the stop: nothing was interrupted"
"$check" intact out.jsonl || fail "out.jsonl holds a damaged line"

launch "${opts[@]}" "${layout[@]}" --resume docs > resumed.out 2> resumed.err
rc=$?
[ "$rc" -eq 0 ] || fail "the resumed run exited $rc: $(grep 'swan: error' resumed.err)"
[ "$(lines out.jsonl)" -eq $ndocs ] || fail "$(lines out.jsonl) lines after --resume, expected $ndocs"
[ -z "$("$check" ids out.jsonl | sort | uniq -d)" ] || fail "a document has two lines after --resume"
[ "$failures" -ne 0 ] || pass "--resume completed the batch"
finish
