#!/bin/bash
# run_pipeline_case.sh SWAN COMPARE MODEL_DIR NP "SWAN OPTIONS" WORK_DIR
# Scores several documents of MODEL_DIR (its doc.bin, prefixes of it and a
# two-token one) in one process and under mpirun with NP ranks and the given
# options; every per-token NLL must agree within 1e-4 and the result lines
# must name the same documents with the same token counts.
set -eu
swan=$1 compare=$2 model=$3 np=$4 opts=$5 work=$6
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
docs=()
for n in 4096 1000 37 2; do
  head -c $n "$model/doc.bin" > "$work/doc$n.bin"
  docs+=("$work/doc$n.bin")
done
tag=$(echo "np$np $opts" | tr -c 'a-zA-Z0-9' '_')
"$swan" score -m "$model" --tokenizer bytes --chunk 96 --threads 1 \
  --dump-nll "$work/local.f32" "${docs[@]}" > "$work/local.jsonl"
# shellcheck disable=SC2086
SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" "$np" score -m "$model" \
  --tokenizer bytes --chunk 96 --in-flight 3 $opts --dump-nll "$work/$tag.f32" \
  "${docs[@]}" > "$work/$tag.jsonl"
"$compare" "$work/$tag.f32" "$work/local.f32" 1e-4
summary() { sed -E 's/.*"id":"([^"]*)","tokens":([0-9]+).*/\1 \2/' "$1" | sort; }
if [ "$(summary "$work/local.jsonl")" != "$(summary "$work/$tag.jsonl")" ]; then
  echo "FAIL: result lines differ"; diff <(summary "$work/local.jsonl") <(summary "$work/$tag.jsonl"); exit 1
fi
echo "ok: $(wc -l < "$work/$tag.jsonl") documents agree"
