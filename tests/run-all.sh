#!/usr/bin/env bash
# make test: unit tests, then every emulator scenario in parallel; one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

# TIER=mark (make test-qemu): only the scenarios with that pytest mark, no unit tests.
start=$(date +%s)
tier_args=()
if [ -n "${TIER:-}" ]; then
	unit_out="unit: 0 passed, 0 failed (TIER=$TIER: scenarios only)"
	unit_status=0
	tier_args=(-m "$TIER")
else
	echo "== unit tests (cmocka, host)"
	unit_out=$(make --no-print-directory -C tests/unit run 2>&1)
	unit_status=$?
fi
echo "$unit_out"
unit_line=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed' <<<"$unit_out" | tail -1)
unit_passed=$(sed -E 's/^unit: ([0-9]+) passed.*/\1/' <<<"${unit_line:-unit: 0 passed, 0 failed}")
unit_failed=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"${unit_line:-unit: 0 passed, 1 failed}")
[ $unit_status -ne 0 ] && [ "$unit_failed" -eq 0 ] && unit_failed=1

echo "== emulator scenarios${TIER:+ marked $TIER} (pytest, ${JOBS:-2} in parallel)"
# A report left by an earlier run must not stand in for this one: a pytest that dies before
# it writes its own leaves no report, and that counts as a failure.
junit=build/scenarios${TIER:+-$TIER}.xml
rm -f "$junit"
/usr/bin/python3 -m pytest tests/scenarios "${tier_args[@]}" -q -p no:cacheprovider -n "${JOBS:-2}" \
	--junitxml="$junit" -o junit_family=xunit2 -s
pytest_status=$?
read -r sc_passed sc_failed sc_skipped < <(/usr/bin/python3 - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    suite = ET.parse(sys.argv[1]).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, fail, err, skip = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(tests - fail - err - skip, fail + err, skip)
except Exception as e:
    print(f"scenarios: no usable report in {sys.argv[1]} ({e}): counted as one failure",
          file=sys.stderr)
    print(0, 1, 0)
PY
)
# pytest's own verdict counts too: an interrupted or broken session can still write a report
# of the tests that passed before it stopped.
if [ "$pytest_status" -ne 0 ] && [ "$sc_failed" -eq 0 ]; then
	echo "scenarios: pytest exited with status $pytest_status, yet its report lists no failure: counted as one"
	sc_failed=1
fi
if [ "$sc_passed" -eq 0 ] && [ "$sc_failed" -eq 0 ]; then
	echo "scenarios: no scenario ran: counted as one failure"
	sc_failed=1
fi

passed=$((unit_passed + sc_passed))
failed=$((unit_failed + sc_failed))
echo "== make test: unit $unit_passed passed, $unit_failed failed; scenarios $sc_passed passed, $sc_failed failed, $sc_skipped skipped (reason printed above); $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
