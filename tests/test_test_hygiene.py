"""The tests themselves: a skip that would hide a broken CI install goes through tests/needs.py,
which fails under CI instead of skipping."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent
#: A skip that no install can lift: the hardware (a CUDA GPU) decides it.
HARDWARE = re.compile(r"CUDA GPU")
SKIP = re.compile(r"pytest\.skip\(|importorskip\(|mark\.skipif\(")


def test_every_skip_fails_under_ci():
    found = []
    for path in sorted([*HERE.rglob("*.py"), *HERE.parent.glob("plugins/*/tests/*.py")]):
        if path.name in ("needs.py", Path(__file__).name):
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if SKIP.search(line) and not HARDWARE.search(line):
                found.append(f"{path.relative_to(HERE.parent)}:{n}: {line.strip()}")
    assert not found, ("skip through tests/needs.py (missing, need_module, requires), so that CI "
                       "fails instead of passing silently:\n" + "\n".join(found))


def test_the_ci_script_says_it_is_ci():
    """A local run of .ci/run behaves as CI does: the helpers see CI=true."""
    script = (HERE.parent / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^export CI=true$", script, flags=re.M)
