#!/bin/bash
# run_disk_faults.sh SWAN CHECKER MODEL_DIR OTHER_MODEL_DIR WORK
# Disks and inputs that fail under a running batch:
#  1. results on a full filesystem (an 8 KiB tmpfs; needs root to mount,
#     else this part is skipped): the job ends with one error line, every
#     line on disk is whole, and --resume on a bigger disk completes;
#  2. an output file that is not ours (garbage, a torn line that is not a
#     result's start, another model's results): --resume refuses it with
#     one line and leaves it as it was;
#  3. an input removed from the directory while the batch runs (3 ranks):
#     that document fails with one line, the others are scored.
set -u
swan=$1 check=$2 model=$3 other=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rm -rf "$work" && mkdir -p "$work/docs" "$work/big" && cd "$work" || exit 1
ndocs=12
for _ in 1 2 3; do cat "$model/doc.bin"; done > book.bin
for k in $(seq 1 $ndocs); do
  tail -c +$((k * 500)) book.bin | head -c $((2000 + (k * 737) % 3000)) > "docs/doc$(printf %02d "$k").bin"
done
score() { timeout 300 "$swan" score -m "$model" --tokenizer bytes --chunk 256 "$@"; }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# 1. A full filesystem.
if [ "$(id -u)" -eq 0 ] && mkdir -p small && mount -t tmpfs -o size=8k tmpfs small 2> /dev/null; then
  score -o small/out.jsonl docs > /dev/null 2> full.err
  rc=$?
  [ $rc -ne 0 ] || fail "a full disk: exit 0"
  [ "$(count_errors full.err)" -eq 1 ] || fail "a full disk: not one error line: $(cat full.err)"
  expect_line full.err "No space left on device"
  n=$(lines small/out.jsonl)
  [ "$n" -ge 1 ] && [ "$n" -lt $ndocs ] || fail "a full disk: $n lines written"
  "$check" intact small/out.jsonl > /dev/null || fail "a full disk left a broken line"
  [ -z "$(tail -c 1 small/out.jsonl)" ] || fail "a full disk left a line without its newline"
  cp small/out.jsonl big/out.jsonl
  umount small
  score --resume -o big/out.jsonl docs > /dev/null 2> resumed.err
  rc=$?
  [ $rc -eq 0 ] || fail "resume on a bigger disk: exit $rc: $(cat resumed.err)"
  grep -q -F "resuming: $n finished documents" resumed.err || fail "resume did not skip the $n lines"
  [ "$(lines big/out.jsonl)" -eq $ndocs ] || fail "resume on a bigger disk: $(lines big/out.jsonl) lines"
  [ -z "$("$check" ids big/out.jsonl | sort | uniq -d)" ] || fail "a document twice after resume"
  [ "$failures" -ne 0 ] || pass "a full disk: one line, whole lines, --resume completes ($n lines before)"
else
  echo "skipped: mounting a tmpfs needs root"
fi

# 2. Output files that are not ours.
refused() { # refused NAME TEXT: --resume on a file holding NAME's content must fail with TEXT
  cp "$1" "$1.orig"
  score --resume -o "$1" docs > /dev/null 2> "$1.err"
  local rc=$?
  [ $rc -ne 0 ] || fail "$1: resumed (exit 0)"
  [ "$(count_errors "$1.err")" -eq 1 ] || fail "$1: not one error line: $(cat "$1.err")"
  expect_line "$1.err" "$2"
  cmp -s "$1" "$1.orig" || fail "$1: changed by a refused resume"
}
printf 'hello world\n' > garbage.jsonl
refused garbage.jsonl "garbage.jsonl:1: not a result line"
printf 'hello world' > garbage-torn.jsonl
refused garbage-torn.jsonl "garbage-torn.jsonl:1: not a result line"
timeout 300 "$swan" score -m "$other" --tokenizer bytes -o other.jsonl docs/doc01.bin docs/doc02.bin 2> /dev/null
[ "$(lines other.jsonl)" -eq 2 ] || fail "no results of the other model"
refused other.jsonl "other.jsonl:1: a result of another model"
head -n 1 other.jsonl > mixed.jsonl
{ score -o mine.jsonl docs/doc03.bin 2> /dev/null; cat mine.jsonl; } >> mixed.jsonl
refused mixed.jsonl "mixed.jsonl:1: a result of another model"

# 3. An input removed while the batch runs.
SWAN_BIN=$swan timeout 300 "$here/../../launch/swan-mpi" 3 score -m "$model" --tokenizer bytes \
  --chunk 128 --in-flight 2 -o removed.jsonl docs > /dev/null 2> removed.err &
job=$!
start=$SECONDS
while [ "$(lines removed.jsonl)" -lt 1 ] && kill -0 $job 2> /dev/null && [ $((SECONDS - start)) -lt 200 ]; do
  sleep 0.05
done
rm docs/doc12.bin
rc=0; wait $job || rc=$?
[ "$(lines removed.jsonl)" -lt $ndocs ] || fail "the batch ended before the file was removed"
[ $rc -eq 1 ] || fail "an input removed: exit $rc, expected 1"
[ "$(count_errors removed.err)" -eq 1 ] || fail "an input removed: not one error line"
expect_line removed.err "docs/doc12.bin: No such file or directory"
[ "$(lines removed.jsonl)" -eq $((ndocs - 1)) ] || fail "an input removed: $(lines removed.jsonl) lines"
finish
