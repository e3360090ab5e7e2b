#!/bin/bash
# run_fit_write.sh SWAN FIXTURE L OUT: `swan fit-scaling --write OUT_DIR`
# makes a new model directory: config.json with the best a of the table
# (and no other change), the weights linked; the user's config.json is left
# as it was; scoring OUT_DIR gives the table's mean NLL past L for that a;
# a second run refuses the now non-empty OUT_DIR.
set -eu
swan=$1 fixture=$2 L=$3 out=$4
rm -rf "$out"
mkdir -p "$(dirname "$out")"
before=$(cat "$fixture/config.json")
table=$("$swan" fit-scaling -m "$fixture" --tokenizer bytes --from 2 --to 400 --points 3 --refine 2 \
  --write "$out" "$fixture/doc.bin")
echo "$table"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(cat "$fixture/config.json")" = "$before" ] || fail "the model's own config.json changed"
best_a=$(echo "$table" | awk '/<- best/ { print $1 }')
best=$(echo "$table" | awk '/<- best/ { print $4 }')
flat=$(tr -d ' \t\n' < "$out/config.json")
case $best_a in
  none) case $flat in *swan_attn_scaling*) fail "no scaling won, but config sets one" ;; esac ;;
  *) case $flat in *'"swan_attn_scaling":{"type":"log_a","a":'"$best_a"'}'*) ;;
       *) fail "config.json lacks log_a with a = $best_a: $flat" ;; esac ;;
esac
[ "$(stat -L -c %d:%i "$out/model.safetensors")" = "$(stat -c %d:%i "$fixture/model.safetensors")" ] ||
  cmp -s "$out/model.safetensors" "$fixture/model.safetensors" || fail "weights not carried over"
"$swan" score -m "$out" --tokenizer bytes --dump-nll "$out.f32" "$fixture/doc.bin" > /dev/null
got=$(od -A n -v -t f4 "$out.f32" |
  awk -v L="$L" '{ for (i = 1; i <= NF; i++) { k++; if (k >= L) { s += $i; n++ } } }
                 END { printf "%.5f", s / n }')
echo "scored: $got, table: $best"
awk -v g="$got" -v w="$best" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 2e-5) }' ||
  fail "the written model does not score as the table's best row"
if "$swan" fit-scaling -m "$fixture" --tokenizer bytes --write "$out" "$fixture/doc.bin" 2>/dev/null; then
  fail "a second --write into $out did not refuse"
fi
echo ok
