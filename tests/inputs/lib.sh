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

# finish: the script's exit status.
finish() {
  if [ "$failures" -eq 0 ]; then echo "all passed"; exit 0; fi
  echo "$failures failed"; exit 1
}
