#!/bin/bash
# run_generate_case.sh SWAN MODEL WORK "GEN OPTIONS" NP "LAYOUT OPTIONS":
# generates from a 20K-token prompt in one process and under mpirun with NP
# ranks; the continuations must be byte-identical and not empty.
set -eu
swan=$1 model=$2 work=$3 opts=$4 np=$5 layout=$6
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
prompt=$work/prompt20k.bin
: > "$prompt"
while [ "$(stat -c %s "$prompt")" -lt 20000 ]; do cat "$model/doc.bin" >> "$prompt"; done
head -c 20000 "$prompt" > "$prompt.tmp" && mv "$prompt.tmp" "$prompt"
tag=$(echo "$opts $np $layout" | tr -c 'a-zA-Z0-9' '_')
# shellcheck disable=SC2086
"$swan" generate -m "$model" --tokenizer bytes -f "$prompt" $opts --threads 1 > "$work/$tag.local" 2> "$work/$tag.local.err"
# shellcheck disable=SC2086
SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" "$np" generate -m "$model" --tokenizer bytes \
  -f "$prompt" $opts $layout > "$work/$tag.mpi" 2> "$work/$tag.mpi.err"
n=$(stat -c %s "$work/$tag.local")
echo "one process: $n bytes; $np ranks: $(stat -c %s "$work/$tag.mpi") bytes"
[ "$n" -gt 0 ] || { echo "FAIL: nothing generated"; cat "$work/$tag.local.err"; exit 1; }
cmp "$work/$tag.local" "$work/$tag.mpi" || { echo "FAIL: continuations differ"; exit 1; }
echo ok
