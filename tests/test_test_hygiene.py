"""The tests themselves: a skip that would hide a broken CI install goes through tests/needs.py,
which fails under CI instead of skipping."""

from __future__ import annotations

import re
import subprocess
import sys
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


def test_no_test_writes_to_the_users_cache(cache_home: Path):
    """Every cache ontomed keeps (the compiled vocabularies, converted models) resolves inside
    the run's temporary cache home (tests/conftest.py), in this process and in the processes
    the tests start (the CLI, ``ontomed serve``), never in ~/.cache/ontomed."""
    from ontomed.describe.generators.language_models import cache_root
    from ontomed.files import cache_dir
    from ontomed.vocab.build import cache_dir as vocab_cache_dir

    script = "from ontomed.files import cache_dir; print(cache_dir())"
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    users = Path.home() / ".cache" / "ontomed"
    for path in (cache_dir(), vocab_cache_dir(), cache_root(), Path(child.stdout.strip())):
        assert path.is_relative_to(cache_home), path
        assert not path.resolve().is_relative_to(users.resolve()), path
