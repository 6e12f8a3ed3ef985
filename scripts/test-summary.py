#!/usr/bin/env python3
"""Sum meson testlog.json files into one 'N passed, N failed, N skipped' line.

Exits non-zero when any test failed or when no test passed at all (a suite
that passes by skipping everything must not look green)."""
import json
import sys

passed = failed = skipped = 0
skips = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            res = t.get("result")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
                skips.append(f"{path.split('/')[0]}: {t.get('name')}")
            else:
                failed += 1
for s in skips:
    print(f"skipped: {s}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
