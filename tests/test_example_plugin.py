"""The example plugin (plugins/ontomed-example-extractor), installed as a real distribution,
is found through its ``ontomed`` entry point and run by ontomed.

CI installs it (``.ci/run``); there a missing install is a failure, not a skip. On a
developer's machine without it the tests skip and say how to install it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest

from .needs import missing
from click.testing import CliRunner

from ontomed import KnowledgeBase, plugins
from ontomed.cli import cli
from ontomed.ingest.pipeline import build

from .conftest import REPO

DIST = "ontomed-example-extractor"
PLUGIN_DIR = REPO / "plugins" / DIST


def _installed() -> metadata.Distribution | None:
    try:
        return metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        return None


if _installed() is None:
    missing(f"{DIST} is not installed (pip install -e plugins/{DIST})", module=True)


@pytest.fixture(autouse=True)
def fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


def test_it_is_installed_with_an_entry_point_in_the_ontomed_group():
    dist = _installed()
    assert dist is not None
    [ep] = [ep for ep in dist.entry_points if ep.group == plugins.ENTRY_POINT_GROUP]
    assert (ep.name, ep.value) == (DIST, "ontomed_example_extractor")


def test_ontomed_loads_it_through_the_entry_point_and_lists_it():
    module = plugins.get_plugin_manager().get_plugin(DIST)
    assert module is not None and module.__name__ == "ontomed_example_extractor"
    info = {p.name: p for p in plugins.get_plugins()}[DIST]
    assert (info.version, info.hooks, info.builtin) == (_installed().version, ("register_extractors",), False)
    result = CliRunner().invoke(cli, ["plugins"])
    assert f"{DIST}  ({info.version})\n    register_extractors" in result.output


def test_its_extractor_runs_from_the_command_line():
    result = CliRunner().invoke(cli, ["extract", "--kb", ":memory:", "--extractors", "dosage,dictionary",
                                      "Aspirin 81 mg orally once daily."])
    assert result.exit_code == 0, result.output
    by_extractor = {e["extractor"]: e for e in json.loads(result.stdout)}
    [dose] = by_extractor["dosage"]["mentions"]
    assert (dose["text"], dose["type"], dose["unit"], dose["route"], dose["times_per_day"]) == \
        ("81 mg orally once daily", "Dosage", "mg", "oral", 1.0)


def test_its_mentions_are_counted_by_a_build(kb: KnowledgeBase, tmp_path):
    (tmp_path / "note.txt").write_text("Metformin 500 mg twice daily. Warfarin 5 mg at bedtime.")
    report = build(kb, [str(tmp_path / "note.txt")], extractors=["dosage"])
    assert (report.documents, report.mentions, report.facts_new) == (1, 2, 0)


def test_ontomed_load_plugins_can_leave_it_out(monkeypatch):
    monkeypatch.setenv("ONTOMED_LOAD_PLUGINS", "")
    assert "dosage" not in plugins.get_extractors()
    plugins.reset()
    monkeypatch.setenv("ONTOMED_LOAD_PLUGINS", DIST)
    assert "dosage" in plugins.get_extractors()


def test_its_own_test_suite_passes():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=PLUGIN_DIR, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
