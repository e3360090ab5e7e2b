#!/bin/bash
# bad_weights.sh HERE SWAN MODEL WORK: the last shard of a 3-shard model is
# cut short; the rank of the stage that maps it must end the job, naming it.
set -eu
here=$1 swan=$2 model=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
cp -r "$model" "$work/model"
shard="$work/model/model-00003-of-00003.safetensors"
head -c $(( $(stat -c %s "$shard") / 2 )) "$shard" > "$shard.cut" && mv "$shard.cut" "$shard"
head -c 300 "$model/doc.bin" > "$work/doc.bin"
SWAN_BIN=$swan exec bash "$here/expect_job_error.sh" 30 "model-00003-of-00003.safetensors" -- \
  "$here/../../launch/swan-mpi" 3 score -m "$work/model" --tokenizer bytes --stages 0-2,3-4 "$work/doc.bin"
