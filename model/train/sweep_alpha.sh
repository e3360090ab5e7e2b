#!/bin/bash
# sweep_alpha.sh [ALPHAS...]: chooses swan-tiny's dynamic-scaling alpha on
# the held-out book (Pride and Prejudice, pg1342: never trained on, and not
# the demo's War and Peace). For each alpha, a copy of the model whose
# config.json carries that alpha scores 16K-token segments of the book with
# `swan score` under mpirun; `swan report` averages NLL by position.
# Prints, per alpha, mean NLL over positions 512-16K (the score the choice
# minimises) and the per-bin curve. Needs build/swan and ../shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
swan=build/swan
export SWAN_BIN=$swan
work=${WORK:-/tmp/swan-alpha}
book=${BOOK:-../shared/data/books/pg1342.txt}
alphas=("$@")
[ ${#alphas[@]} -gt 0 ] || alphas=(0 0.25 0.5 0.75 1 1.5 2)
mkdir -p "$work"
$swan tokenize -m model/default/swan-tiny "$book" --format u32 -o "$work/book.u32"
total=$(( $(stat -c %s "$work/book.u32") / 4 )) long=16384
nseg=$(( total / long ))
docs=()
for i in $(seq 0 $((nseg - 1))); do
  dd if="$work/book.u32" of="$work/seg$i.u32" bs=4 skip=$((i * long)) count=$long status=none
  docs+=("$work/seg$i.u32")
done
echo "# $nseg segments of $long tokens from $book"
for a in "${alphas[@]}"; do
  dir=$work/alpha-$a
  mkdir -p "$dir"
  cp model/default/swan-tiny/{model.safetensors,tokenizer.json} "$dir/"
  sed -E "s/(\"alpha\": *)[0-9.eE+-]+/\1$a/" model/default/swan-tiny/config.json > "$dir/config.json"
  rm -f "$dir/results.jsonl"
  launch/swan-mpi "${RANKS:-3}" score -m "$dir" --in-flight 4 -o "$dir/results.jsonl" "${docs[@]}" 2> /dev/null
  $swan report "$dir/results.jsonl" > "$dir/report.tsv"
  past_L=$(awk -F'\t' '!/^#/ && $1 >= 512 {s += $4 * $5; n += $4} END {printf "%.4f", s / n}' "$dir/report.tsv")
  curve=$(awk -F'\t' '!/^#/ {printf "%s%.3f", sep, $5; sep=" "}' "$dir/report.tsv")
  echo "alpha $a  mean_nll_512_16k $past_L  bins $curve"
done
