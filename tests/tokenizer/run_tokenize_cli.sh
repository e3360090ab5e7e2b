#!/bin/bash
# End to end: `swan tokenize` prints the reference ids of sample.txt in both
# formats, the byte tokenizer's ids, and fails cleanly on bad input.
# usage: run_tokenize_cli.sh SWAN FIXTURE_DIR OUT_DIR
swan=$1 fix=$2 out=$3
mkdir -p "$out"
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

for style in gpt2style llama3style; do
  if "$swan" tokenize -m "$fix/$style" "$fix/sample.txt" --format u32 -o "$out/$style.u32" &&
     cmp -s "$out/$style.u32" "$fix/$style/sample.u32"; then ok; else bad "$style: u32 ids differ"; fi
  od -An -v -tu4 "$fix/$style/sample.u32" | tr -s ' \n' '\n\n' | sed '/^$/d' > "$out/$style.want.txt"
  if "$swan" tokenize -m "$fix/$style" "$fix/sample.txt" > "$out/$style.txt" &&
     cmp -s "$out/$style.txt" "$out/$style.want.txt"; then ok; else bad "$style: text ids differ"; fi
done

printf 'ab\377\n' > "$out/bytes.in"
if [ "$("$swan" tokenize --tokenizer bytes "$out/bytes.in" | tr '\n' ' ')" = "97 98 255 10 " ]; then ok
else bad "byte tokenizer ids"; fi
: > "$out/empty.in"
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
