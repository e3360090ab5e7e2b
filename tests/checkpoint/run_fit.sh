#!/bin/bash
# run_fit.sh SWAN MODEL REFERENCE L ROW A0 A1 [LAUNCHER...]
#
# `swan fit-scaling` on a reference fixture's model and document, with a
# two-point grid from A0 to A1: the table's row ROW (a value of a, or none)
# must give the mean NLL past L that the fixture REFERENCE's PyTorch
# reference NLL gives (REFERENCE is a fixture with the same weights and
# document whose config.json has that scaling). LAUNCHER (e.g. mpirun -np 3)
# runs swan in a pipeline; the remaining arguments after -- go to swan.
set -eu
swan=$1 model=$2 reference=$3 L=$4 row=$5 a0=$6 a1=$7
shift 7
launcher=() extra=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do launcher+=("$1"); shift; done
[ $# -gt 0 ] && shift && extra=("$@")
table=$("${launcher[@]}" "$swan" fit-scaling -m "$model" --tokenizer bytes --from "$a0" --to "$a1" \
  --points 2 --refine 0 "${extra[@]}" "$model/doc.bin")
echo "$table"
got=$(echo "$table" | awk -v r="$row" '$1 == r { print $4 }')
# nll[i] predicts the token at position i + 1: past L is i + 1 >= L.
want=$(od -A n -v -t f8 "$reference/expected_nll.f64" |
  awk -v L="$L" '{ for (i = 1; i <= NF; i++) { k++; if (k >= L) { s += $i; n++ } } }
                 END { printf "%.8f", s / n }')
echo "row $row: swan $got, reference $want"
[ -n "$got" ] || { echo "FAIL: no row $row" >&2; exit 1; }
awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 1e-4) }' ||
  { echo "FAIL: differs by more than 1e-4" >&2; exit 1; }
best=$(echo "$table" | awk '/<- best/ { print $4 }')
min=$(echo "$table" | awk '$4 ~ /^[0-9.]+$/ && (m == "" || $4 < m) { m = $4 } END { print m }')
[ "$best" = "$min" ] || { echo "FAIL: the row marked best ($best) is not the lowest ($min)" >&2; exit 1; }
echo ok
