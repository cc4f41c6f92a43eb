"""One summary line for a schemathesis run: operations, test cases, failures.

Usage: python3 tests/schema/summary.py ROLE EXIT_STATUS JUNIT_XML LOG
Operations and failing operations come from the JUnit report; the number of generated
test cases from the run's own summary in LOG (absent if the run did not get there).
"""

import re
import sys
import xml.etree.ElementTree as ET

role, status, junit, log = sys.argv[1:5]
operations = failing = 0
try:
    for case in ET.parse(junit).getroot().iter("testcase"):
        operations += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failing += 1
except (OSError, ET.ParseError):
    pass
cases = "?"
with open(log, encoding="utf-8", errors="replace") as f:
    text = f.read()
match = re.search(r"Test cases:\s*(\d+) generated", text)
if match:
    cases = match.group(1)
verdict = "ok" if status == "0" else f"FAILED (exit {status})"
print(f"{role}: {operations} operations, {cases} test cases, {failing} failing operations: {verdict}")
