#!/bin/bash
# run_cache_split.sh SWAN CHECKER MODEL_DIR WORK_DIR: a 4K and a 64K-token
# document through one stage whose global caches are shared by 3 ranks.
set -eu
swan=$1 checker=$2 model=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
head -c 4096 "$model/doc.bin" > "$work/short.bin"
: > "$work/long.bin"
for _ in $(seq 16); do cat "$model/doc.bin" >> "$work/long.bin"; done
head -c 65536 "$work/long.bin" > "$work/long64k.bin"
layers=$(sed -n 's/.*"num_hidden_layers": *\([0-9]*\).*/\1/p' "$model/config.json")
rm -f "$work/results.jsonl"
SWAN_BIN=$swan timeout 600 "$here/../../launch/swan-mpi" 4 score -m "$model" --tokenizer bytes \
  --stages "0-$((layers - 1))" --nope-group 3 -o "$work/results.jsonl" \
  "$work/short.bin" "$work/long64k.bin"
exec "$checker" "$work/results.jsonl" "$work/short.bin" "$work/long64k.bin" 3
