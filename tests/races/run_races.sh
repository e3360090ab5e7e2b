#!/bin/bash
# run_races.sh SWAN_TSAN NP MODEL_DIR TEXT WORK [OPTIONS...]
# Scores two documents with 2 threads per rank on NP ranks (1: one
# process, no mpirun) under ThreadSanitizer: the job must succeed, write
# both lines and report no race.
set -u
swan=$1 np=$2 model=$3 text=$4 work=$5
shift 5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
head -c 6000 "$text" > a.txt
tail -c 4000 "$text" > b.txt
args=(score -m "$model" --chunk 512 --threads 2 -o out.jsonl "$@" a.txt b.txt)
if [ "$np" -eq 1 ]; then
  timeout 280 "$swan" "${args[@]}" > /dev/null 2> err
else
  timeout 280 mpirun --oversubscribe --bind-to none -np "$np" -x TSAN_OPTIONS -x OPENBLAS_NUM_THREADS \
    "$swan" "${args[@]}" > /dev/null 2> err
fi
rc=$?
status=0
[ $rc -eq 0 ] || { echo "FAIL: exit $rc"; status=1; }
if grep -q 'ThreadSanitizer' err; then echo "FAIL: ThreadSanitizer reported:"; status=1; fi
[ "$(wc -l < out.jsonl 2> /dev/null || echo 0)" -eq 2 ] || { echo "FAIL: not 2 result lines"; status=1; }
[ $status -eq 0 ] && echo "ok: no race on $np rank(s)" || head -60 err
exit $status
