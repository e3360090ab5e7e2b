#!/bin/bash
# run_equivalence.sh SWAN COMPARE MODEL_DIR WORK_DIR NP "OPTIONS" [NP "OPTIONS"]...
# Scores three documents in one process, then on 3
# testbed hosts over TCP at 1 Gbit/s with each rank count and layout; every
# per-token NLL must agree within 1e-4, every result line must name its
# rank's host, and a plan the planner makes must be for the hosts found. Exits 77 (skipped) where the machine cannot make a testbed.
set -euo pipefail
swan=$1 compare=$2 model=$3 work=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export SWAN_BIN=$swan
testbed_up "$work"
# A test fixture's doc.bin, read as bytes; any other model reads text of the
# book the repository carries with its own tokenizer.
docs=() tok=(--tokenizer bytes) src=$model/doc.bin ext=bin
if [ ! -f "$src" ]; then
  src=$here/../../launch/data/war-and-peace.txt tok=() ext=txt
fi
for n in 4096 1000 37; do
  head -c "$n" "$src" > "$work/doc$n.$ext"
  docs+=("$work/doc$n.$ext")
done
"$swan" score -m "$model" "${tok[@]}" --chunk 96 --threads 1 \
  --dump-nll "$work/local.f32" "${docs[@]}" > "$work/local.jsonl"
while [ $# -ge 2 ]; do
  np=$1 opts=$2
  shift 2
  tag=$(echo "np$np $opts" | tr -c 'a-zA-Z0-9' '_')
  # shellcheck disable=SC2086
  timeout -s KILL 300 "$testbed" mpirun -np "$np" score -m "$model" "${tok[@]}" \
    --chunk 96 --in-flight 3 $opts --dump-nll "$work/$tag.f32" "${docs[@]}" \
    > "$work/$tag.jsonl" 2> "$work/$tag.err" || { cat "$work/$tag.err"; exit 1; }
  "$compare" "$work/$tag.f32" "$work/local.f32" 1e-4
  hosts=$(grep -o '"host":"swan-h[0-9]*"' "$work/$tag.jsonl" | sort -u | wc -l)
  want=$(( np - 1 < 3 ? np - 1 : 3 ))
  if [ "$hosts" -ne "$want" ]; then
    echo "FAIL: np $np $opts: result lines name $hosts testbed hosts, want $want"
    exit 1
  fi
  # where the planner chooses, it plans for the hosts it found the ranks on
  found=$(( np < 3 ? np : 3 ))
  if [[ "$opts" != *--stages* ]] && ! grep -q "ranks found on $found hosts" "$work/$tag.err"; then
    echo "FAIL: np $np $opts: the plan's reason does not say the ranks were found on $found hosts:"
    grep 'stages and groups' "$work/$tag.err" || true
    exit 1
  fi
  echo "ok: np $np $opts on 3 hosts: $(wc -l < "$work/$tag.jsonl") documents agree"
done
