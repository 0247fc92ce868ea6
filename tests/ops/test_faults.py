"""Killed mid-write (benchmarks/faults.py): a few seeded trials of each scenario. After every
SIGKILL the store opens and answers, nothing reported done is missing, no unit (a file, a
build batch, an acknowledged update) is there in part, and rerunning the job gives the state
an uninterrupted run gives."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _faults():
    spec = importlib.util.spec_from_file_location("faults", REPO / "benchmarks" / "faults.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["faults"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("scenario, trials", [("load", 3), ("build", 3), ("update", 2), ("vocab", 1)])
def test_a_killed_job_loses_nothing_acknowledged_and_reruns_to_the_same_state(tmp_path, scenario, trials,
                                                                              capsys):
    faults = _faults()
    out = tmp_path / "trials.json"
    code = faults.main(["--trials", str(trials), "--small", "--seed", "3", "--scenarios", scenario,
                        "--workdir", str(tmp_path / "work"), "--json", str(out)])
    (result,) = json.loads(out.read_text())
    assert len(result["trials"]) == trials
    for trial in result["trials"]:
        assert trial["recovered"], trial["note"]
        assert (trial["lost"], trial["torn"]) == (0, 0), trial["note"]
        assert trial["same_end"], trial["note"]
    assert sum(t["killed_mid_run"] for t in result["trials"]) >= 1
    assert code == 0
    assert f"| {scenario} | {trials} |" in capsys.readouterr().out
