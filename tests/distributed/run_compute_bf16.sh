#!/bin/bash
# run_compute_bf16.sh SWAN COMPARE MODEL_DIR WORK_DIR
# --compute bf16 reaches every rank: four ranks (a stage with a sharded
# global group, then another stage) give the single-process fast-mode NLL,
# and both differ from the exact NLL (the fast mode was on) by little on
# average. Exit 77 (skipped) where the CPU lacks AVX512-BF16.
#
# "The same NLL" is looser than the exact mode's 1e-4 per token: sharded
# attention sums in another order, and a float-rounding difference that
# moves an activation across a bf16 rounding boundary moves it by a bf16
# step, so a few tokens may move by up to 1e-3. The mean stays at float
# rounding (<= 1e-5); a rank that ignored the mode would move it by
# thousandths (the bf16-vs-exact mean is about 0.01 on this model).
set -eu
swan=$1 compare=$2 model=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
head -c 2048 "$model/doc.bin" > "$work/doc.bin"
score_local() { # COMPUTE OUT
  "$swan" score -m "$model" --tokenizer bytes --chunk 96 --threads 1 --compute "$1" \
    --dump-nll "$work/$2" "$work/doc.bin" > /dev/null 2> "$work/err"
}
if ! score_local bf16 local-bf16.f32; then
  grep -q 'lacks' "$work/err" && { cat "$work/err"; exit 77; }
  cat "$work/err"; exit 1
fi
score_local exact local-exact.f32
SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" 4 score -m "$model" --tokenizer bytes \
  --chunk 96 --stages 0-1,2-3 --nope-group 2 --compute bf16 --dump-nll "$work/mpi-bf16.f32" \
  "$work/doc.bin" > /dev/null
"$compare" "$work/mpi-bf16.f32" "$work/local-bf16.f32" 5e-3 1e-5
"$compare" "$work/local-bf16.f32" "$work/local-exact.f32" 0.5 0.02
# the fast mode must have changed something: exact and bf16 differ
if cmp -s "$work/local-bf16.f32" "$work/local-exact.f32"; then
  echo "FAIL: --compute bf16 gave the exact NLL bit for bit"; exit 1
fi
echo "ok: fast mode on every rank"
