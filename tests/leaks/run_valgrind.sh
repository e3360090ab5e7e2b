#!/bin/bash
# run_valgrind.sh VALGRIND SWAN COMPARE CASE_DIR WORK: the golden test of
# CASE_DIR at chunk 7 in one process under memcheck, which must report no
# error and no definite or indirect leak; the NLL must match the reference.
set -u
valgrind=$1 swan=$2 compare=$3 case_dir=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
"$valgrind" -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect "$swan" score -m "$case_dir" --tokenizer bytes --chunk 7 \
  --threads 1 --dump-nll nll.f32 "$case_dir/doc.bin" > out.jsonl 2> err
rc=$?
cat err
[ $rc -eq 0 ] || { echo "FAIL: memcheck exit $rc"; exit 1; }
exec "$compare" nll.f32 "$case_dir/expected_nll.f64" 1e-4
