"""``ontomed vocab import`` and ``ontomed search`` on the command line: output, exit
codes, and importing again adding nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ontomed.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("verb", [["vocab", "import"], ["search"]])
def test_help_has_an_example_and_the_kb_option(runner: CliRunner, verb: list[str]):
    result = runner.invoke(cli, [*verb, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "--kb" in result.output


def test_an_unknown_source_is_bad_input(runner: CliRunner, tmp_path):
    result = runner.invoke(cli, ["vocab", "import", "--kb", str(tmp_path / "kb"),
                                 "--sources", "drugs,snomed"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: unknown source 'snomed' (known: drugs, diseases, hpo, interactions)"]
    assert not (tmp_path / "kb").exists()


def test_search_needs_a_knowledge_base_and_sensible_options(runner: CliRunner, tmp_path,
                                                            vocab_import):
    missing = runner.invoke(cli, ["search", "--kb", str(tmp_path / "none"), "aspirin"])
    assert missing.exit_code == 2 and "no knowledge base" in missing.output
    path = str(vocab_import[0])
    assert runner.invoke(cli, ["search", "--kb", path, "aspirin", "--type", "Pill"]).exit_code == 2
    assert runner.invoke(cli, ["search", "--kb", path, "aspirin", "--limit", "0"]).exit_code == 2
    assert runner.invoke(cli, ["search", "--kb", path, "  "]).exit_code == 2


def test_search_prints_class_identifiers_and_how_it_matched(runner: CliRunner, vocab_import):
    path = str(vocab_import[0])
    table = runner.invoke(cli, ["search", "--kb", path, "heart attack", "--limit", "3"])
    assert table.exit_code == 0, table.output
    first = table.output.splitlines()[2]
    assert "Myocardial infarction" in first and "Disease" in first
    assert "hpo:0001658" in first and "exact" in first
    out = runner.invoke(cli, ["search", "--kb", path, "metfromin", "--type", "Drug", "--json"])
    data = json.loads(out.output)
    assert data["hits"][0]["label"] == "Metformin" and data["hits"][0]["match"] == "fuzzy"
    assert {"scheme": "drugbank", "id": "DB00331"} in data["hits"][0]["identifiers"]
    nothing = runner.invoke(cli, ["search", "--kb", path, "zzqxv wkjh", "--json"])
    assert nothing.exit_code == 0 and json.loads(nothing.output)["hits"] == []


def test_importing_again_adds_nothing(runner: CliRunner, vocab_import):
    path, first = vocab_import
    result = runner.invoke(cli, ["vocab", "import", "--kb", str(path), "--json"])
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)
    assert again["already_imported"] is True and again["quads_added"] == 0
    assert again["triples"] == first.triples
    for name, summary in again["summaries"].items():
        assert summary["entities"] == first.summaries[name].entities
        assert summary["facts"] == first.summaries[name].facts
    assert again["summaries"]["interactions"]["unmapped_names"]


def test_importing_again_into_an_unchanged_store_does_not_read_the_build(runner: CliRunner, vocab_import,
                                                                          monkeypatch):
    from ontomed.vocab import build

    def reading_the_build(*args, **kwargs):
        raise AssertionError("the build was read and stored again")

    monkeypatch.setattr(build, "build_vocabulary", reading_the_build)
    path, first = vocab_import
    result = runner.invoke(cli, ["vocab", "import", "--kb", str(path)])
    assert result.exit_code == 0, result.output
    assert "already imported into" in result.stdout and "0 new quads" in result.stdout

