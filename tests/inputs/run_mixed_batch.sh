#!/bin/bash
# run_mixed_batch.sh SWAN CHECKER FIXTURES TOKENIZER_DIR NP WORK
# One batch of every input kind, good and bad, scored with MODEL_DIR's
# tokenizer.json in one process (NP 1) or under launch/swan-mpi NP. Each good
# document gets a line (in input order in one process), each bad one exactly
# one clear "swan: error:" line, and the exit status is 1.
#
# The model is a fixture with vocab_size 300 beside the handmade
# tokenizer.json (ids below 273). A text tokenizer is what makes binary junk
# bad: to --tokenizer bytes any bytes are a document.
set -u
swan=$1 check=$2 fixtures=$3 tokdir=$4 np=$5 work=$6
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
set -e

mkdir model
small=$fixtures/nsss_gqa_bf16_w1_scaled
ln -s "$small/config.json" "$small/model.safetensors" model/
cp "$tokdir/handmade/tokenizer.json" model/
text=$tokdir/sample.txt

# A directory: sorted by whole path ("sub.txt" before "sub/..."), hidden
# names, an empty subdirectory and a FIFO are not documents.
mkdir -p corpus/sub/.git corpus/nothing-here
head -c 900 "$text" > corpus/a.txt
tail -c +2001 "$text" | head -c 700 > corpus/sub/b.txt
tail -c +5001 "$text" | head -c 500 > corpus/sub/c.md
head -c 300 "$text" > corpus/sub.txt
echo "hidden" > corpus/.hidden.txt
echo "hidden" > corpus/sub/.git/config
mkfifo corpus/sub/pipe

{
  echo '{"id": "j-string", "text": "Call me Ishmael. Some years ago"}'
  echo '{"id": 42, "text": "never mind how long precisely"}'
  echo ''
  echo '{"text": "having little or no money in my purse"}'
  echo 'this is not json'
  echo '{"id": "no-text"}'
  echo '{"id": "number-text", "text": 12}'
  echo '{"id": true, "text": "a boolean id"}'
  echo '{"id": "two", "text": "two values"} {"id": "x"}'
  echo '{"id": "short", "text": "a"}'
  printf '%s' '{"id": "last", "text": "and nothing particular to interest me on shore"}'
} > docs.jsonl

"$swan" tokenize -m model "$text" --format u32 -o full.u32
head -c 2000 full.u32 > good.u32
head -c 1002 full.u32 > badsize.u32
printf '\001\000\000\000\054\001\000\000' > outofrange.u32  # ids 1, 300
: > empty.txt
head -c 3000 "$fixtures/long4096/model.safetensors" > junk.dat

inputs=(corpus docs.jsonl good.u32 badsize.u32 outofrange.u32 empty.txt missing.txt junk.dat)
set +e
if [ "$np" -eq 1 ]; then
  timeout 120 "$swan" score -m model -o out.jsonl "${inputs[@]}" 2> err.txt
else
  SWAN_BIN=$swan timeout 120 "$here/../../launch/swan-mpi" "$np" score -m model -o out.jsonl \
    "${inputs[@]}" 2> err.txt
fi
rc=$?
[ "$rc" -eq 1 ] && pass "exit status 1" || fail "exit status $rc, expected 1"

want_ids="corpus/a.txt
corpus/sub.txt
corpus/sub/b.txt
corpus/sub/c.md
j-string
42
docs.jsonl:4
last
good.u32"
got_ids=$("$check" ids out.jsonl)
if [ "$np" -ne 1 ]; then got_ids=$(sort <<< "$got_ids"); want_ids=$(sort <<< "$want_ids"); fi
if [ "$got_ids" = "$want_ids" ]; then pass "the 9 good documents' lines"
else fail "result ids differ:"; diff <(echo "$want_ids") <(echo "$got_ids"); fi

expected=(
  'docs.jsonl:5: not valid JSON'
  'docs.jsonl:6: no "text" member'
  'docs.jsonl:7: "text" is not a string'
  'docs.jsonl:8: "id" is neither a string nor a number'
  'docs.jsonl:9: more after the JSON value'
  'docs.jsonl:10: only 1 token'
  'badsize.u32: 1002 bytes is not a whole number of 4-byte token ids'
  'outofrange.u32: token id 300 at position 1 is outside the model'"'"'s vocabulary (vocab_size 300)'
  'empty.txt: empty'
  'missing.txt: No such file or directory'
  'junk.dat: binary data, not text'
)
for e in "${expected[@]}"; do expect_line err.txt "$e"; done
n=$(count_errors err.txt)
if [ "$n" -eq "${#expected[@]}" ]; then pass "$n error lines in all"
else fail "$n error lines, expected ${#expected[@]}"; fi
if grep -q -e hidden -e pipe -e nothing-here err.txt; then
  fail "hidden, FIFO or empty-directory entries reported"
fi
[ "$failures" -eq 0 ] || { echo "stderr was:"; cat err.txt; }
finish
