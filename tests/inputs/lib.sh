# Helpers shared by the tests/inputs scripts (sourced).
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# count_errors FILE: its "swan: error:" lines.
count_errors() { grep -c '^swan: error: ' "$1" || true; }

# expect_line FILE FIXED_TEXT: exactly one "swan: error:" line holds the text.
expect_line() {
  local n
  n=$(grep '^swan: error: ' "$1" | grep -c -F -- "$2" || true)
  if [ "$n" -eq 1 ]; then pass "one error: $2"; else fail "$n error lines with '$2' in $1"; fi
}

# children PID: its child processes (from /proc, no tools that may be missing).
children() {
  local f line ppid pid
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2> /dev/null || continue
    read -r _ ppid _ <<< "${line##*) }"
    pid=${f#/proc/}
    [ "$ppid" = "$1" ] && echo "${pid%/stat}"
  done
}
# rank_pid JOB_PID RANK: the process of MPI rank RANK among the job's
# descendants (the launcher, timeout, mpirun, then the ranks).
rank_pid() {
  local pid r
  for pid in $(children "$1"); do
    r=$(tr '\0' '\n' < "/proc/$pid/environ" 2> /dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    if [ "$r" = "$2" ]; then echo "$pid"; return; fi
    rank_pid "$pid" "$2"
  done
}

# lines FILE: its number of lines (0 while it does not exist).
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# drill_batch MODEL_DIR N: the drills' batch, N documents of 2-5K tokens in
# docs/, cut from the model's doc.bin repeated three times.
drill_batch() {
  local k
  for _ in 1 2 3; do cat "$1/doc.bin"; done > book.bin
  for k in $(seq 1 "$2"); do
    tail -c +$((k * 500)) book.bin | head -c $((2000 + (k * 737) % 3000)) \
      > "docs/doc$(printf %02d "$k").bin"
  done
}

# drill_victim JOB RANK: once out.jsonl holds two lines (waiting up to 200 s
# while JOB runs), the pid of the job's rank RANK; nothing if the job ended
# or wrote fewer lines.
drill_victim() {
  local start=$SECONDS
  while [ "$(lines out.jsonl)" -lt 2 ] && kill -0 "$1" 2> /dev/null &&
    [ $((SECONDS - start)) -lt 200 ]; do
    sleep 0.05
  done
  [ "$(lines out.jsonl)" -ge 2 ] && rank_pid "$1" "$2"
  return 0
}

# finish: the script's exit status.
finish() {
  if [ "$failures" -eq 0 ]; then echo "all passed"; exit 0; fi
  echo "$failures failed"; exit 1
}
