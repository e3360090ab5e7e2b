#!/bin/bash
# End to end: `swan tokenize` prints the reference ids of sample.txt in both
# formats (with the BOS of the styles whose post-processor adds one, and
# without it under --no-special), the byte tokenizer's ids, and fails cleanly
# on bad input.
# usage: run_tokenize_cli.sh SWAN FIXTURE_DIR OUT_DIR
swan=$1 fix=$2 out=$3
mkdir -p "$out"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

for style in gpt2style llama3style commandrstyle llama3bos; do
  if "$swan" tokenize -m "$fix/$style" "$fix/sample.txt" --format u32 -o "$out/$style.u32" &&
     cmp -s "$out/$style.u32" "$fix/$style/sample.u32"; then ok; else bad "$style: u32 ids differ"; fi
  od -An -v -tu4 "$fix/$style/sample.u32" | tr -s ' \n' '\n\n' | sed '/^$/d' > "$out/$style.want.txt"
  if "$swan" tokenize -m "$fix/$style" "$fix/sample.txt" > "$out/$style.txt" &&
     cmp -s "$out/$style.txt" "$out/$style.want.txt"; then ok; else bad "$style: text ids differ"; fi
done

# --no-special: the same ids less the BOS (the fixture script checked that
# the reference gives exactly that), and no change where there is no BOS.
for style in commandrstyle llama3bos gpt2style; do
  skip=4; [ "$style" = gpt2style ] && skip=0
  tail -c +$((skip + 1)) "$fix/$style/sample.u32" > "$out/$style.plain.want"
  if "$swan" tokenize -m "$fix/$style" "$fix/sample.txt" --format u32 --no-special -o "$out/$style.plain" &&
     cmp -s "$out/$style.plain" "$out/$style.plain.want"; then ok; else bad "$style: --no-special ids differ"; fi
done
: > "$out/empty.in"
if [ "$("$swan" tokenize -m "$fix/commandrstyle" "$out/empty.in")" = "$(od -An -tu4 -N4 "$fix/commandrstyle/sample.u32" | tr -d ' ')" ]
then ok; else bad "empty input: the BOS alone"; fi

printf 'ab\377\n' > "$out/bytes.in"
if [ "$("$swan" tokenize --tokenizer bytes "$out/bytes.in" | tr '\n' ' ')" = "97 98 255 10 " ]; then ok
else bad "byte tokenizer ids"; fi
if "$swan" tokenize -m "$fix/gpt2style" "$out/empty.in" --format u32 -o "$out/empty.u32" &&
   [ -f "$out/empty.u32" ] && [ ! -s "$out/empty.u32" ]; then ok; else bad "empty input"; fi

# Failures: non-zero exit and one "swan: error:" line naming the problem.
expect_error() { # WANT_IN_MESSAGE ARGS...
  local want=$1; shift
  if "$swan" tokenize "$@" > "$out/err.out" 2> "$out/err.txt"; then bad "exit 0 for: $*"; return; fi
  if grep -q "^swan: error: .*$want" "$out/err.txt" && [ "$(wc -l < "$out/err.txt")" -eq 1 ]; then ok
  else bad "message for '$*': $(cat "$out/err.txt")"; fi
}
expect_error "no/such/file" -m "$fix/gpt2style" "$out/no/such/file"
expect_error "tokenizer.json" -m "$out/no-model" "$fix/sample.txt"
expect_error "format" -m "$fix/gpt2style" "$fix/sample.txt" --format bin
expect_error "no model" "$fix/sample.txt"
expect_error "no input" -m "$fix/gpt2style"
expect_error "unknown option" -m "$fix/gpt2style" "$fix/sample.txt" --frob
expect_error "dir/x/y.u32" -m "$fix/gpt2style" "$fix/sample.txt" -o "$out/dir/x/y.u32"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
