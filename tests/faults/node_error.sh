#!/bin/bash
# node_error.sh HERE SWAN FAILING_NODE MODEL WORK: a node reports an Error
# mid-run; the coordinator must end the job with one line naming the rank
# and the reason, mark both documents in flight as failed, and write no
# result line for them.
set -u
here=$1 swan=$2 failing=$3 model=$4 work=$5
rm -rf "$work" && mkdir -p "$work"
head -c 3000 "$model/doc.bin" > "$work/a.bin"
head -c 2000 "$model/doc.bin" > "$work/b.bin"
err="$work/stderr"
start=$(date +%s)
timeout 30 mpirun --oversubscribe --bind-to none -np 1 "$swan" score -m "$model" --tokenizer bytes \
  --chunk 64 -o "$work/out.jsonl" "$work/a.bin" "$work/b.bin" : -np 1 "$failing" > /dev/null 2> "$err"
rc=$?
echo "exit $rc after $(( $(date +%s) - start ))s"
status=0
fail() { echo "FAIL: $*"; status=1; }
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "exit status $rc (0: succeeded; 124: hung)"
[ "$(grep -c '^swan: error: ' "$err")" -eq 1 ] || fail "not exactly one 'swan: error:' line"
grep -q '^swan: error: rank 1: injected failure: the stage cannot go on$' "$err" ||
  fail "no line naming rank 1 and the reason"
for doc in a.bin b.bin; do
  grep -q "^swan: document .*$doc: failed" "$err" || fail "$doc not marked failed"
done
[ ! -s "$work/out.jsonl" ] || fail "result lines for unfinished documents"
[ $status -eq 0 ] || { echo "stderr was:"; cat "$err"; }
exit $status
