#!/bin/bash
# run_tokenizer.sh SWAN CHECKER FIXTURES TOKENIZER_DIR WORK
# The tokenizer of `swan score`: MODEL_DIR/tokenizer.json by default, another
# with --tokenizer PATH, raw bytes with --tokenizer bytes. Scoring a text
# equals scoring the ids `swan tokenize` gives for it (.u32 input). No fixture
# model has the 4096-token vocabulary of the trained tokenizers: with one, the
# documents whose ids the model lacks fail, one clear line each.
set -u
swan=$1 check=$2 fixtures=$3 tokdir=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

small=$fixtures/nsss_gqa_bf16_w1_scaled    # vocab_size 300
long=$fixtures/long4096                    # vocab_size 256, no tokenizer.json
mkdir model
ln -s "$small/config.json" "$small/model.safetensors" model/
cp "$tokdir/handmade/tokenizer.json" model/  # ids below 273
head -c 4000 "$tokdir/sample.txt" > text.txt

# run NAME ARGS...: swan score ARGS -o NAME.jsonl, stderr in NAME.err; sets rc.
run() {
  local name=$1; shift
  rc=0
  timeout 120 "$swan" score "$@" -o "$name.jsonl" 2> "$name.err" || rc=$?
}

# MODEL_DIR/tokenizer.json, against the ids swan tokenize writes for it.
run by_text -m model text.txt
"$swan" tokenize -m model text.txt --format u32 -o text.u32
run by_ids -m model text.u32
if [ "$rc" -eq 0 ] && "$check" same-values by_text.jsonl by_ids.jsonl; then
  pass "tokenizer.json == tokenize + .u32"
else fail "scoring text.txt and its ids differ"; fi

# --tokenizer PATH on a model directory without tokenizer.json.
run by_path -m "$small" --tokenizer model/tokenizer.json text.txt
if [ "$rc" -eq 0 ] && "$check" same by_text.jsonl by_path.jsonl; then pass "--tokenizer PATH"
else fail "--tokenizer PATH scores differently"; fi

# --tokenizer bytes: every byte a token.
"$swan" tokenize --tokenizer bytes text.txt --format u32 -o bytes.u32
run bytes_text -m "$small" --tokenizer bytes text.txt
run bytes_ids -m "$small" --tokenizer bytes bytes.u32
if [ "$rc" -eq 0 ] && "$check" same-values bytes_text.jsonl bytes_ids.jsonl &&
   grep -q "\"tokens\":$(wc -c < text.txt)," bytes_text.jsonl; then pass "--tokenizer bytes"
else fail "--tokenizer bytes"; fi

# A model without tokenizer.json: one line, no results.
run none -m "$long" text.txt
if [ "$rc" -ne 0 ] && [ "$(wc -l < none.err)" -eq 1 ] && [ ! -s none.jsonl ]; then
  expect_line none.err "no tokenizer.json here"
else fail "missing tokenizer.json: exit $rc, stderr: $(cat none.err)"; fi

run badpath -m "$small" --tokenizer no/such/tokenizer.json text.txt
if [ "$rc" -ne 0 ] && [ "$(wc -l < badpath.err)" -eq 1 ]; then
  expect_line badpath.err "no/such/tokenizer.json"
else fail "bad --tokenizer path: exit $rc, stderr: $(cat badpath.err)"; fi

# The gpt2-style tokenizer (4096 ids) with a 256-token model: the text fails
# by itself, the in-range .u32 next to it still scores.
run wide -m "$long" --tokenizer "$tokdir/gpt2style/tokenizer.json" text.txt bytes.u32
oov="^swan: error: text.txt: token id [0-9]+ at position [0-9]+ is outside the model's vocabulary"
if [ "$rc" -eq 1 ] && [ "$("$check" ids wide.jsonl)" = "bytes.u32" ] && [ "$(count_errors wide.err)" -eq 1 ] &&
   grep -q -E "$oov \(vocab_size 256\)" wide.err
then pass "ids past the model's vocabulary fail their document only"
else fail "out-of-vocabulary ids: exit $rc, stderr: $(cat wide.err)"; fi
finish
