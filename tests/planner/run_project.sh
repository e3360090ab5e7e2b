#!/bin/bash
# run_project.sh SWAN MODEL_DIR WORK_DIR: `swan bench calibrate` writes rates
# the cost model reads, and `swan plan --project` answers with them: JSON
# with a positive tokens_per_s, links whose traffic is the model's, a
# slower link never predicting more tokens/s than a faster one, and a dearer
# byte across hosts costing tokens/s only across hosts.
set -euo pipefail
swan=$1 model=$2 work=$3
mkdir -p "$work"
cal=$work/calibration.json
"$swan" bench calibrate -m "$model" --context 512 --chunk 64 -o "$cal" > /dev/null 2>&1
project() {
  "$swan" plan -m "$model" --ranks 5 --context 512 --stages 0-1,2-3 --project \
    --calibration "$cal" --chunk 64 --json "$@"
}
tps() { sed -E 's/.*"tokens_per_s":([0-9.e+]+).*/\1/'; }
fast=$(project --link-rate 10gbit | tps)
slow=$(project --link-rate 1mbit | tps)
echo "projected: $fast tokens/s at 10 Gbit/s, $slow at 1 Mbit/s"
[ "$(echo "$slow > 0 && $slow < $fast" | bc -l)" -eq 1 ] || { echo "FAIL: link rate ignored"; exit 1; }
d=$(sed -n 's/.*"hidden_size": *\([0-9]*\).*/\1/p' "$model/config.json")
project | grep -q "\"bytes_per_token\":$((d * 4))[,}]" || { echo "FAIL: no stage link of d f32"; exit 1; }
project --wire-dtype bf16 | grep -q "\"bytes_per_token\":$((d * 2))[,}]" ||
  { echo "FAIL: bf16 wire not halved"; exit 1; }
# a byte that crosses hosts costs the cores what the calibration says, and
# only when it crosses
sed -E 's/"host_byte_seconds":[0-9.e+-]+/"host_byte_seconds":5e-8/' "$cal" > "$work/dear.json"
grep -q '"host_byte_seconds":5e-8' "$work/dear.json" || { echo "FAIL: no host_byte_seconds"; exit 1; }
dear() { project --calibration "$work/dear.json" --link-rate 10gbit "$@" | tps; }
cheap=$(project --link-rate 10gbit --hosts 3 | tps)
echo "projected over 3 hosts: $cheap tokens/s, $(dear --hosts 3) with dear bytes across them"
[ "$(echo "$(dear --hosts 3) < $cheap" | bc -l)" -eq 1 ] ||
  { echo "FAIL: host_byte_seconds ignored"; exit 1; }
[ "$(dear --hosts 1)" = "$(project --link-rate 10gbit --hosts 1 | tps)" ] ||
  { echo "FAIL: host_byte_seconds charged on one host"; exit 1; }
if "$swan" plan -m "$model" --ranks 5 --context 512 --project --calibration "$work/none.json" \
  2> "$work/err.txt"; then
  echo "FAIL: a missing calibration was accepted"; exit 1
fi
grep -q "swan bench calibrate" "$work/err.txt" || { echo "FAIL: unclear message"; exit 1; }
echo ok
