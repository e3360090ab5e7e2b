#!/bin/bash
# run_convert.sh SWAN COMPARE FIXTURE LLAMA_CONFIG WINDOW SCALING PREFIX OUT
#
# A plain Llama checkpoint (LLAMA_CONFIG: every layer global with RoPE) is
# made from a reference fixture's weights, copied; `swan convert --pattern
# SSSN` turns it back into the fixture's SSSN model. Checks: the rewritten
# config says so in swan's dialect, the weights and tokenizer are linked
# (not rewritten), and `swan score` on the result matches the fixture's
# PyTorch reference NLL: all of it, or (PREFIX > 0) its first PREFIX tokens,
# where the fixture's own scaling ("log", 1 up to its train_len) is still 1.
# SCALING: log_a:A, or - for none.
set -eu
swan=$1 compare=$2 fixture=$3 llama_config=$4 window=$5 scaling=$6 prefix=$7 out=$8
work=$out/$(basename "$fixture")
rm -rf "$work"
mkdir -p "$work/src"
cp "$llama_config" "$work/src/config.json"
cp "$fixture"/*.safetensors "$work/src/"
[ -e "$fixture/model.safetensors.index.json" ] && cp "$fixture/model.safetensors.index.json" "$work/src/"
printf '{"model": {"type": "BPE"}}\n' > "$work/src/tokenizer.json" # carried over, never read here

args=(--from "$work/src" --pattern SSSN --window "$window")
[ "$scaling" != - ] && args+=(--scaling "$scaling")
"$swan" convert "${args[@]}" "$work/out"

fail() { echo "FAIL: $*" >&2; exit 1; }
flat=$(tr -d ' \t\n' < "$work/out/config.json")
want=('"model_type":"llama"' '"sliding_window":'"$window"
      '"layer_types":["sliding_attention","sliding_attention","sliding_attention","full_attention"]'
      '"no_rope_layers":[1,1,1,0]')
[ "$scaling" != - ] && want+=('"swan_attn_scaling":{"type":"log_a","a":'"${scaling#log_a:}"'}')
for w in "${want[@]}"; do
  case $flat in *"$w"*) ;; *) fail "converted config lacks $w: $flat" ;; esac
done
[ "$scaling" = - ] && case $flat in *swan_attn_scaling*) fail "scaling set without --scaling" ;; esac

# Linked: the same file (hard link) or a symbolic link to it.
for f in "$work"/src/*.safetensors "$work"/src/*.json; do
  name=$(basename "$f")
  [ "$name" = config.json ] && continue
  o=$work/out/$name
  [ -e "$o" ] || fail "$name not carried over"
  [ "$(stat -L -c %d:%i "$o")" = "$(stat -c %d:%i "$f")" ] || cmp -s "$o" "$f" ||
    fail "$name differs from the source"
done

"$swan" score -m "$work/out" --tokenizer bytes --chunk 7 --dump-nll "$work/nll.f32" \
  "$fixture/doc.bin" > /dev/null
expected=$fixture/expected_nll.f64
if [ "$prefix" -gt 0 ]; then
  head -c $((prefix * 4)) "$work/nll.f32" > "$work/prefix.f32"
  head -c $((prefix * 8)) "$expected" > "$work/prefix.f64"
  exec "$compare" "$work/prefix.f32" "$work/prefix.f64" 1e-4
fi
exec "$compare" "$work/nll.f32" "$expected" 1e-4
