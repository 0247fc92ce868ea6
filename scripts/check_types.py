"""Run mypy (configured in pyproject.toml) and fail on findings that are not in the baseline.

mypy came to this codebase with findings already there (mostly pyoxigraph's result union
types, narrowed by the code but not for mypy); ``scripts/mypy-baseline.txt`` lists them, by
file, message and code, without line numbers so that edits elsewhere in a file do not
disturb it. A new finding fails; a fixed one is reported so the baseline can shrink:
``python scripts/check_types.py --update`` rewrites it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scripts" / "mypy-baseline.txt"
FINDING = re.compile(r"^(?P<path>[^:]+):\d+: error: (?P<message>.*)$")


def findings(output: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in output.splitlines():
        m = FINDING.match(line)
        if m:
            found[f"{m['path']}: {m['message']}"] += 1
    return found


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    now = findings(done.stdout)
    if "--update" in sys.argv:
        BASELINE.write_text("".join(f"{k}\n" * n for k, n in sorted(now.items())), "utf-8")
        print(f"{sum(now.values())} findings written to {BASELINE.relative_to(ROOT)}")
        return 0
    known = Counter(BASELINE.read_text("utf-8").splitlines()) if BASELINE.is_file() else Counter()
    new, fixed = now - known, known - now
    if fixed:
        print(f"{sum(fixed.values())} baseline findings are fixed: run scripts/check_types.py --update")
    if new:
        print("new mypy findings:\n" + "\n".join(sorted(new.elements())))
        print(done.stdout if not now else "", end="")
        return 1
    if done.returncode not in (0, 1):  # mypy itself failed (a crash, a bad configuration)
        print(done.stdout + done.stderr)
        return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
