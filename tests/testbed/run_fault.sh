#!/bin/bash
# run_fault.sh SWAN MODEL_DIR WORK_DIR cut|kill
# A batch on 3 testbed hosts loses host swan-h2 mid-run, by a cut link or by
# killing every process there. The job must end within 30 s with one line
# naming the rank and host, the result lines already written must be whole,
# and --resume after `heal` must finish the batch with the lines of an
# uninterrupted run. Exits 77 (skipped) where no testbed can be made.
set -euo pipefail
swan=$1 model=$2 work=$3 fault=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export SWAN_BIN=$swan
testbed_up "$work"
docs=()
for i in $(seq -w 1 40); do
  head -c $((3000 + 10 * 10#$i)) "$model/doc.bin" > "$work/d$i.bin"
  docs+=("$work/d$i.bin")
done
# Rank 1 (stage 0) runs on swan-h2; the group's member, rank 3, on swan-h1.
run() {
  timeout -s KILL 120 "$testbed" mpirun -np 4 score -m "$model" --tokenizer bytes --chunk 32 \
    --in-flight 2 --stages 0-1,2-3 -o "$1" "${@:2}" "${docs[@]}"
}
rm -f "$work/whole.jsonl" "$work/part.jsonl" # -o appends: start both afresh
run "$work/whole.jsonl" > /dev/null 2>&1
run "$work/part.jsonl" > /dev/null 2> "$work/part.err" &
job=$!
for _ in $(seq 300); do
  [ -f "$work/part.jsonl" ] && [ "$(wc -l < "$work/part.jsonl")" -ge 3 ] && break
  sleep 0.1
done
start=$(date +%s.%N)
if [ "$fault" = cut ]; then
  "$testbed" cut swan-h2
else
  # shellcheck disable=SC2046
  kill -KILL $(ip netns pids swan-h2)
fi
status=0
wait "$job" || status=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
echo "$fault: the job ended after $took s (status $status)"
fail() { echo "FAIL: $fault: $*"; cat "$work/part.err"; exit 1; }
[ "$status" -ne 0 ] || fail "the job claims success"
[ "$(echo "$took < 30" | bc)" -eq 1 ] || fail "the job took $took s to end"
grep -E '^swan: error: rank [0-9, ]*1[0-9, ]* on host swan-h2' "$work/part.err" ||
  fail "no line names rank 1 and host swan-h2"
done_lines=$(wc -l < "$work/part.jsonl")
[ "$done_lines" -lt 40 ] || fail "the fault came too late: every document finished"
bad=$(grep -cv '^{"id":.*,"model":"[0-9a-f]*"}$' "$work/part.jsonl" || true) # whole: the model field ends a line
[ "$bad" -eq 0 ] || fail "$bad result lines are torn"
[ "$fault" = cut ] && "$testbed" heal swan-h2
run "$work/part.jsonl" --resume > /dev/null 2> "$work/resume.err" || {
  cat "$work/resume.err"
  fail "--resume did not finish the batch"
}
summary() { sed -E 's/.*"id":"([^"]*)","tokens":([0-9]+),"scored":[0-9]+,"nll_sum":([-0-9.e+]+).*/\1 \2 \3/' "$1" | sort; }
if [ "$(summary "$work/whole.jsonl")" != "$(summary "$work/part.jsonl")" ]; then
  diff <(summary "$work/whole.jsonl") <(summary "$work/part.jsonl") | head
  fail "the resumed batch differs from an uninterrupted run"
fi
echo "ok: $fault: $done_lines documents before the fault, the rest after --resume; same lines"
