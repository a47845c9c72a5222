#!/bin/sh
# Runs each cmocka test binary given and ends with one line: "unit: N passed, M failed",
# counting test cases. A binary that dies without cmocka's summary counts as one failure.
passed=0
failed=0
for test in "$@"; do
	echo "== $(basename "$test")"
	output=$("$test" 2>&1)
	status=$?
	printf '%s\n' "$output"
	ok=$(printf '%s\n' "$output" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p')
	bad=$(printf '%s\n' "$output" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p')
	ok=${ok:-0}
	bad=${bad:-0}
	if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "$(basename "$test"): exited with status $status without a cmocka failure report"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
