#!/bin/bash
# run_fuzz.sh FUZZER WORK_DIR RUNS SEED...
# Runs a libFuzzer target from the seeds (files, or directories of them: the
# target's saved corpus tests/fuzz/corpus/TARGET, every input of which is
# thus rerun as a regression test) for
# RUNS inputs (at most 60 s) with a fixed random seed. FUZZ_SEED_MAKER, when
# set, is a program that writes more seeds into the directory it is given.
# Any crash, sanitizer report, leak or abort in the target fails the test;
# the reproducer is left in WORK_DIR.
set -euo pipefail
fuzzer=$1 work=$2 runs=$3
shift 3
rm -rf "$work"
mkdir -p "$work/corpus"
for seed in "$@"; do
  [ -e "$seed" ] || continue # a corpus not saved yet
  if [ -d "$seed" ]; then cp -r "$seed"/. "$work/corpus/"; else cp "$seed" "$work/corpus/"; fi
done
if [ -n "${FUZZ_SEED_MAKER:-}" ]; then "$FUZZ_SEED_MAKER" "$work/corpus"; fi
cd "$work"
"$fuzzer" corpus -seed=1 -runs="$runs" -max_total_time=60 -max_len=16384 -timeout=20 \
  -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -n 25
