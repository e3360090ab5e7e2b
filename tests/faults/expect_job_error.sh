#!/bin/bash
# expect_job_error.sh SECONDS PATTERN -- COMMAND...: COMMAND (an mpirun job)
# must end within SECONDS with a non-zero status, and its stderr must hold a
# "swan: error: rank N: ..." line matching PATTERN.
set -u
limit=$1 pattern=$2
shift 3
err=$(mktemp)
start=$(date +%s)
timeout "$limit" "$@" > /dev/null 2> "$err"
rc=$?
took=$(( $(date +%s) - start ))
line=$(grep -m1 '^swan: error: ' "$err")
echo "exit $rc after ${took}s: $line"
status=0
if [ $rc -eq 124 ]; then echo "FAIL: still running after ${limit}s (hang)"; status=1; fi
if [ $rc -eq 0 ]; then echo "FAIL: job succeeded"; status=1; fi
if ! grep -q -E "^swan: error: rank [0-9]+: .*${pattern}" "$err"; then
  echo "FAIL: no 'swan: error: rank N: ...${pattern}...' line; stderr was:"; cat "$err"; status=1
fi
rm -f "$err"
exit $status
