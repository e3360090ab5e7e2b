#!/bin/bash
# run_resume.sh SWAN CHECKER MODEL_DIR WORK
# --resume in one process: what it refuses, a torn last line cut off, ids
# counted per line, a damaged earlier line refused; each time the output ends
# up with the same lines as one uninterrupted run.
set -u
swan=$1 check=$2 model=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work/docs" && cd "$work" || exit 1

for k in 1 2 3 4 5; do tail -c +$((k * 300)) "$model/doc.bin" | head -c 600 > "docs/d$k.bin"; done

# score ARGS...: swan score, stderr in err.txt; sets rc.
score() {
  rc=0
  timeout 120 "$swan" score -m "$model" --tokenizer bytes --chunk 128 "$@" 2> err.txt || rc=$?
}
# refused WANT ARGS...: exit non-zero, one error line holding WANT.
refused() {
  local want=$1; shift
  score "$@"
  if [ "$rc" -ne 0 ] && [ "$(wc -l < err.txt)" -eq 1 ]; then expect_line err.txt "$want"
  else fail "'$*' gave exit $rc and: $(cat err.txt)"; fi
}
same() { # WHAT A B
  if "$check" same "$2" "$3" > check.txt; then pass "$1"; else fail "$1: $(cat check.txt)"; fi
}

refused "--resume needs the output file" --resume docs
refused "--resume cannot be combined with --dump-nll" --resume -o x.jsonl --dump-nll x.f32 docs
[ ! -e x.jsonl ] && [ ! -e x.f32 ] || fail "a refused run created files"

score -o clean.jsonl docs
[ "$rc" -eq 0 ] && [ "$(wc -l < clean.jsonl)" -eq 5 ] || fail "the clean run (exit $rc)"

# A crash after two lines, in the middle of writing the third.
head -n 2 clean.jsonl > out.jsonl
sed -n 3p clean.jsonl | head -c 50 >> out.jsonl
score --resume -o out.jsonl docs
[ "$rc" -eq 0 ] || fail "resume exit $rc: $(cat err.txt)"
grep -q -F "out.jsonl: cutting off a torn last line (50 bytes)" err.txt && pass "torn line reported" ||
  fail "no message about the torn line: $(cat err.txt)"
grep -q -F "resuming: 2 finished documents" err.txt || fail "no resume summary: $(cat err.txt)"
same "resumed after a torn line" clean.jsonl out.jsonl

# Nothing left to do.
cp out.jsonl before.jsonl
score --resume -o out.jsonl docs
[ "$rc" -eq 0 ] && cmp -s before.jsonl out.jsonl && pass "a finished batch resumes to itself" ||
  fail "resuming a finished batch (exit $rc) changed the output"

# Tokenized without the post-processor's special tokens: other inputs, refused.
cp clean.jsonl special.jsonl
refused "special.jsonl:1: a result of another model" --no-special --resume -o special.jsonl docs

# No output yet: everything runs.
score --resume -o fresh.jsonl docs
[ "$rc" -eq 0 ] || fail "resume without an output file: exit $rc"
same "resume without an output file" clean.jsonl fresh.jsonl

# A document given twice has two lines; each line skips one of them.
score -o twice.jsonl docs/d1.bin docs/d1.bin docs/d2.bin
head -n 1 twice.jsonl > twice-resumed.jsonl
score --resume -o twice-resumed.jsonl docs/d1.bin docs/d1.bin docs/d2.bin
[ "$rc" -eq 0 ] || fail "resume of a twice-given document: exit $rc"
same "an id on two lines" twice.jsonl twice-resumed.jsonl

# The file grew but its last line's data did not land (zeros): cut off too.
{ head -n 2 clean.jsonl; printf '\0\0\0\0\n'; } > zeros.jsonl
score --resume -o zeros.jsonl docs
[ "$rc" -eq 0 ] || fail "resume after a damaged last line: exit $rc"
same "resumed after a damaged last line" clean.jsonl zeros.jsonl

# A damaged line with lines after it is not a crash's trace: refused, untouched.
{ head -n 1 clean.jsonl; echo "garbage"; sed -n 2p clean.jsonl; } > damaged.jsonl
cp damaged.jsonl damaged.orig
refused "damaged.jsonl:2: not a result line" --resume -o damaged.jsonl docs
cmp -s damaged.jsonl damaged.orig || fail "a refused resume changed its output file"
finish
