#!/usr/bin/env bash
# check_test_names.sh SUITE...
#
# CTest splits a test name at ';' (CMake's list separator): a Catch test
# case whose name holds one is registered as two names that match no test
# case, so it "passes" without running. This lists every suite's test
# cases and fails on any name with a ';'.
set -euo pipefail
bad=0
for suite in "$@"; do
  while IFS= read -r name; do
    if [[ "$name" == *";"* ]]; then
      echo "$(basename "$suite"): test name with ';' (CTest would not run it): $name" >&2
      bad=1
    fi
  done < <("$suite" --list-test-names-only)
done
((bad == 0)) && echo "ok: no test name holds a ';' ($# suites)"
exit "$bad"
