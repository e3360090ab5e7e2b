#!/bin/bash
# run_lsan.sh SWAN score|generate MODEL_DIR WORK: a 3-rank job of the ASan
# build; every rank exits through LeakSanitizer's check, which must find
# nothing (a leak makes that rank exit non-zero and prints its report).
set -u
swan=$1 mode=$2 model=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
head -c 3000 "$model/doc.bin" > a.bin
head -c 700 "$model/doc.bin" > b.bin
mpi=(mpirun --oversubscribe --bind-to none -np 3 -x LSAN_OPTIONS -x ASAN_OPTIONS -x OPENBLAS_NUM_THREADS)
common=(-m "$model" --tokenizer bytes --chunk 128 --threads 2)
if [ "$mode" = score ]; then
  timeout 280 "${mpi[@]}" "$swan" score "${common[@]}" --stages 0-3 --nope-group 2 -o out.jsonl \
    a.bin b.bin > /dev/null 2> err
else
  timeout 280 "${mpi[@]}" "$swan" generate "${common[@]}" --stages 0-1,2-3 -f a.bin -n 40 \
    --temperature 0.7 > out.txt 2> err
fi
rc=$?
status=0
[ $rc -eq 0 ] || { echo "FAIL: exit $rc"; status=1; }
if grep -q 'LeakSanitizer' err; then echo "FAIL: LeakSanitizer reported"; status=1; fi
if [ "$mode" = score ]; then
  [ "$(wc -l < out.jsonl)" -eq 2 ] || { echo "FAIL: not 2 result lines"; status=1; }
else
  grep -q -E 'generated [1-9][0-9]* tokens' err || { echo "FAIL: nothing generated"; status=1; }
fi
[ $status -eq 0 ] && echo "ok: $mode on 3 ranks, no leak" || cat err
exit $status
