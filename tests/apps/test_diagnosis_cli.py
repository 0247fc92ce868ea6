"""``ontomed diagnose`` on the command line: the ranked table and its explanations, --json,
exit codes and one-line errors, in-process and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ontomed.cli import cli

from .test_diagnosis import NERVOUS, OTHERS, phenotype_kb


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def kb_path(tmp_path: Path) -> str:
    """A small phenotype graph on disk, closed so the command can open it."""
    kb = phenotype_kb({"focal_epilepsy": {"focal_seizure": "Very frequent", "ataxia": "Frequent",
                                          "cataract": "Frequent"},
                       "seizure_disorder": {"seizure": None, "fever": "Frequent"},
                       "ataxia_syndrome": {"ataxia": "Frequent", "ectopia_lentis": "Very frequent"},
                       **OTHERS}, NERVOUS, path=tmp_path / "kb")
    kb.close()
    return str(tmp_path / "kb")


def test_help_has_an_example_and_the_kb_option(runner: CliRunner):
    result = runner.invoke(cli, ["diagnose", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "--kb" in result.output and "--symptom" in result.output


def test_the_ranking_is_a_table_with_each_diseases_explanation_under_it(runner: CliRunner, kb_path: str):
    result = runner.invoke(cli, ["diagnose", "--kb", kb_path, "--symptom", "focal seizure",
                                 "-s", "fever", "--exclude", "ectopia lentis", "--top", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "7 diseases ranked for: focal seizure, fever; excluded: ectopia lentis"
    assert lines[1].split() == ["rank", "score", "disease", "identifiers", "explains"]
    assert lines[3].split()[:2] == ["1", "-0.01"] and lines[3].split()[-3:] == ["disorder", "OMIM:600006", "2/2"]
    assert [line.split()[0] for line in lines[3:6]] == ["1", "2", "3"] and lines[6] == ""
    text = result.output
    assert "1. seizure disorder (-0.01)" in text
    assert "focal seizure: a kind of its seizure\n" in text  # no frequency stated
    assert "fever: its phenotype (Frequent)" in text
    assert "2. focal epilepsy" in text
    assert "focal seizure: its phenotype (Very frequent)" in text
    assert "fever: not explained" in text
    assert "ask about: cataract (Frequent); ataxia (Frequent)" in text


def test_json_is_the_librarys_diagnosis(runner: CliRunner, kb_path: str):
    result = runner.invoke(cli, ["diagnose", "--kb", kb_path, "-s", "seizure", "-x", "ataxia", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [f["label"] for f in data["findings"]] == ["seizure"]
    assert [f["label"] for f in data["excluded"]] == ["ataxia"]
    assert data["diseases_considered"] == 7 and len(data["candidates"]) == 7
    assert data["candidates"][0]["label"] == "seizure disorder"
    focal = next(c for c in data["candidates"] if c["label"] == "focal epilepsy")
    assert focal["explained"][0]["match"] == "narrower"
    assert focal["counted_against"][0]["finding"]["label"] == "ataxia"


@pytest.mark.parametrize(("args", "message"), [
    ([], "error: give at least one finding the patient has (--symptom TERM)"),
    (["-s", "fever", "--top", "0"], "error: --top must be at least 1, not 0"),
    (["-s", "seizur", "-s", "fever", "-x", "zzqx"],
     "error: unknown finding 'seizur'; closest: seizure (ome:seizure); "
     "unknown excluded finding 'zzqx'; nothing close to it either"),
    (["-s", "seizure", "-x", "seizure"], "error: 'seizure' is both a finding and an excluded finding"),
])
def test_bad_input_exits_2_with_one_line(runner: CliRunner, kb_path: str, args: list[str], message: str):
    result = runner.invoke(cli, ["diagnose", "--kb", kb_path, *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [message]


def test_a_missing_knowledge_base_exits_2(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(cli, ["diagnose", "--kb", str(tmp_path / "none"), "-s", "fever"])
    assert result.exit_code == 2 and "no knowledge base" in result.output


def test_a_real_process_answers_and_fails_in_one_line(kb_path: str):
    ok = subprocess.run([sys.executable, "-m", "ontomed.cli", "diagnose", "--kb", kb_path, "-s", "cataract",
                         "--top", "1"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "1. focal epilepsy" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "ontomed.cli", "diagnose", "--kb", kb_path, "-s", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: unknown finding 'nope'")


def test_the_command_imports_nothing_heavy_until_it_runs():
    code = ("import sys, click, ontomed.cli; ontomed.cli.cli.list_commands(click.Context(ontomed.cli.cli)); "
            "print([m for m in ('numpy', 'scipy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
