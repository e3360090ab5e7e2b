#!/bin/bash
# run_memory_guard.sh SWAN CHECKER MODEL_DIR WORK
# The memory guard and the plan's longest-document column agree: with
# --max-rank-memory 25M, `swan plan` says stage 0's rank can hold L tokens;
# a batch with documents of L/8, L and L + 257 tokens (one page more) then
# scores the first two and refuses the third with one line naming its
# length, the need and the limit, in one process and on 2 ranks; the rest
# of the batch goes on and the exit status is 1.
set -u
swan=$1 check=$2 model=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
limit=25M
"$swan" plan -m "$model" --ranks 2 --context 4096 --chunk 128 --max-rank-memory $limit > plan.txt 2>&1
cat plan.txt
grep -q 'longest doc$' plan.txt || fail "the plan table has no 'longest doc' column"
L=$(awk '$1 == "0" && $2 == "1" {print $NF}' plan.txt)
[[ $L =~ ^[0-9]+$ ]] && [ "$L" -gt 1024 ] || { fail "no longest document for stage 0: '$L'"; finish; }
big=$((L + 257))
reps=$(( big / $(wc -c < "$model/doc.bin") + 1 ))
for _ in $(seq $reps); do cat "$model/doc.bin"; done > book.bin
book() { head -c "$1" book.bin; }
book $((L / 8)) > a_small.bin
book "$L" > b_fits.bin
book $big > c_big.bin

for np in 1 2; do
  rm -f out$np.jsonl
  args=(score -m "$model" --tokenizer bytes --chunk 128 --threads 1 --max-rank-memory $limit
        -o out$np.jsonl a_small.bin c_big.bin b_fits.bin)
  if [ $np -eq 1 ]; then timeout 300 "$swan" "${args[@]}" > /dev/null 2> err$np
  else SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" 2 "${args[@]}" > /dev/null 2> err$np; fi
  rc=$?
  [ $rc -eq 1 ] || fail "np $np: exit $rc, expected 1"
  [ "$(count_errors err$np)" -eq 1 ] || fail "np $np: not exactly one error line: $(cat err$np)"
  expect_line err$np "c_big.bin: $big tokens need"
  expect_line err$np "over its limit of 25.00 MiB (--max-rank-memory)"
  ids=$("$check" ids out$np.jsonl | tr '\n' ' ')
  [ "$ids" = "a_small.bin b_fits.bin " ] || fail "np $np: results for '$ids', expected a_small.bin b_fits.bin"
done
finish
