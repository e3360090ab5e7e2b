#!/bin/bash
# run_case.sh SWAN COMPARE CASE_DIR CHUNK OUT_DIR: scores CASE_DIR/doc.bin at
# the given chunk size and compares per-token NLL with the reference's.
set -eu
swan=$1 compare=$2 case_dir=$3 chunk=$4 out_dir=$5
mkdir -p "$out_dir"
out="$out_dir/$(basename "$case_dir").c$chunk.f32"
"$swan" score -m "$case_dir" --tokenizer bytes --chunk "$chunk" --threads 1 \
  --dump-nll "$out" "$case_dir/doc.bin" > "$out.jsonl"
exec "$compare" "$out" "$case_dir/expected_nll.f64" 1e-4
