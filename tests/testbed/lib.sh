# Shared by the testbed tests (sourced): $testbed, and testbed_up WORK, which
# makes 3 hosts at 1 Gbit/s with their state in WORK/testbed and takes them
# down when the script exits; where the machine cannot make them, the script
# exits with testbed's 77 (skipped, with the reason).
testbed=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/launch/testbed
testbed_up() {
  export SWAN_TESTBED_DIR=$1/testbed
  mkdir -p "$1"
  local rc=0
  "$testbed" up 3 --rate 1gbit || rc=$?
  [ "$rc" -eq 0 ] || exit "$rc"
  trap '"$testbed" down > /dev/null' EXIT
}
