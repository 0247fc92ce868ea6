"""Operating a knowledge base: the ontology upgrade of ``ontomed init``, ``ontomed backup``
(also through a running server) and ``ontomed doctor`` on healthy and broken stores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from ontomed import KnowledgeBase
from ontomed import iri as I
from ontomed.cli import cli
from ontomed.ops.upgrade import bundled_ontology, release_file

from tests.conftest import EXAMPLE_TTL
from tests.live_server import TOKEN, live_server

REPO = Path(__file__).resolve().parents[2]
RELEASE_010 = REPO / "ontologies" / "releases" / "ontomed-0.1.0.owl"


def old_kb(path: Path, ontology: Path = RELEASE_010) -> Path:
    """A knowledge base made by an ontomed that bundled an older ontology, with the example data."""
    kb = KnowledgeBase(path)
    kb.store.load(path=str(ontology), format=ox.RdfFormat.RDF_XML)
    kb.load(EXAMPLE_TTL)
    kb.close()
    return path


def data_quads(path: Path) -> list[str]:
    """Every quad that is not about the ontology or its terms, as sorted N-Quads lines."""
    with KnowledgeBase(path, create=False) as kb:
        return sorted(str(q) for q in kb.store
                      if not (isinstance(q.subject, ox.NamedNode)
                              and (q.subject.value == I.ONTOLOGY or q.subject.value.startswith(I.OM))))


def all_quads(path: Path) -> list[str]:
    with KnowledgeBase(path, create=False) as kb:
        return sorted(str(q) for q in kb.store)


def files(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in path.rglob("*") if p.is_file()}


def data_files(path: Path) -> dict[str, tuple[int, int]]:
    return data_files_of(files(path))


def data_files_of(listing: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Leave out RocksDB's info log (LOG, LOG.old.*): a diagnostic text RocksDB rotates on
    every open, even one that fails; the data is in the tables, logs, MANIFEST and CURRENT."""
    return {k: v for k, v in listing.items() if not Path(k).name.startswith("LOG")}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# -- the ontology upgrade -------------------------------------------------------------------

def test_init_upgrades_an_older_ontology_in_place_and_keeps_the_data(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    before = data_quads(kb_path)
    result = runner.invoke(cli, ["init", "--kb", str(kb_path)])
    assert result.exit_code == 0, result.output
    version = bundled_ontology()[0]
    assert result.output.startswith(f"upgraded the ontology of {kb_path} from 0.1.0 to {version} (")
    assert data_quads(kb_path) == before
    with KnowledgeBase(kb_path, create=False) as kb:
        assert kb.ontology_version() == version
        ontology = {str(t) for t in bundled_ontology()[1]}
        held = {str(q.triple) for q in kb.store if str(q.triple) in ontology}
        assert held == ontology  # every triple of the new version, once
        assert not any(True for _ in kb.store.quads_for_pattern(
            ox.NamedNode(I.ONTOLOGY), ox.NamedNode(I.OWL + "versionInfo"), ox.Literal("0.1.0")))
    again = runner.invoke(cli, ["init", "--kb", str(kb_path)])
    assert again.exit_code == 0 and "already initialized (ontology " + version in again.output


def test_a_newer_ontology_is_never_downgraded(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    with KnowledgeBase(kb_path) as kb:
        kb.update('DELETE { ?o owl:versionInfo ?v } INSERT { ?o owl:versionInfo "9.0.0" } '
                  'WHERE { ?o a owl:Ontology ; owl:versionInfo ?v }')
    before = all_quads(kb_path)
    result = runner.invoke(cli, ["init", "--kb", str(kb_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: this knowledge base holds ontology 9.0.0, newer than the {bundled_ontology()[0]} this "
        "ontomed bundles; upgrade ontomed instead (no downgrade)"]
    assert all_quads(kb_path) == before


def test_a_development_ontology_without_a_release_file_is_replaced_by_its_terms(tmp_path):
    kb_path = old_kb(tmp_path / "kb")
    with KnowledgeBase(kb_path) as kb:
        kb.update('DELETE { ?o owl:versionInfo ?v } INSERT { ?o owl:versionInfo "0.1.5" } '
                  'WHERE { ?o a owl:Ontology ; owl:versionInfo ?v }')
        kb.update('INSERT DATA { om:Drug rdfs:comment "an old draft note" }')
    assert release_file("0.1.5") is None
    before = data_quads(kb_path)
    with KnowledgeBase(kb_path) as kb:
        report = kb.upgrade_ontology()
        assert (report.old, report.exact) == ("0.1.5", False)
        assert not list(kb.store.quads_for_pattern(ox.NamedNode(I.OM + "Drug"),
                                                    ox.NamedNode(I.RDFS + "comment"), None))
        labels = list(kb.store.quads_for_pattern(ox.NamedNode(I.OM + "Drug"), ox.NamedNode(I.RDFS + "label"),
                                                 None))
        assert len(labels) == 2  # en and zh, not twice each
    assert data_quads(kb_path) == before


# -- backups --------------------------------------------------------------------------------

def test_a_backup_is_a_knowledge_base_identical_to_the_original(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    result = runner.invoke(cli, ["backup", "--kb", str(kb_path), str(tmp_path / "bk"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["quads"] == len(all_quads(kb_path)) and report["ontology"] == "0.1.0"
    assert sorted(p.name for p in (tmp_path / "bk").iterdir()) == ["backup.json", "ontomed.json", "store"]
    assert all_quads(tmp_path / "bk") == all_quads(kb_path)
    assert json.loads((tmp_path / "bk" / "ontomed.json").read_text()) == json.loads(
        (kb_path / "ontomed.json").read_text())


@pytest.mark.parametrize("target, message", [
    ("exists", "already exists; a backup goes to a new directory"),
    ("missing/deeper", "no such directory"),
])
def test_a_backup_never_writes_over_anything(tmp_path, runner, target, message):
    kb_path = old_kb(tmp_path / "kb")
    (tmp_path / "exists").mkdir()
    (tmp_path / "exists" / "keep.txt").write_text("mine")
    result = runner.invoke(cli, ["backup", "--kb", str(kb_path), str(tmp_path / target)])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "exists" / "keep.txt").read_text() == "mine"


@pytest.mark.slow
def test_a_served_knowledge_base_is_backed_up_by_its_server(tmp_path):
    kb_path = old_kb(tmp_path / "kb")
    expected = all_quads(kb_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "ontomed.cli", "backup", "--kb", str(kb_path)]
    with live_server(kb_path, "--update-token", TOKEN) as server:
        assert json.loads((kb_path / "serve.json").read_text())["url"] == server.url
        no_token = subprocess.run([*command, str(tmp_path / "b0")], capture_output=True, text=True,
                                  env={k: v for k, v in env.items() if k != "ONTOMED_UPDATE_TOKEN"})
        assert no_token.returncode == 2
        assert no_token.stderr.strip() == (f"error: the knowledge base is served by {server.url}: a backup "
                                           "through the server needs its update token in ONTOMED_UPDATE_TOKEN")
        done = subprocess.run([*command, str(tmp_path / "b1")], capture_output=True, text=True,
                              env={**env, "ONTOMED_UPDATE_TOKEN": TOKEN})
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"backed up {len(expected):,} quads of {kb_path.resolve()}")
    assert not (kb_path / "serve.json").exists()
    assert all_quads(tmp_path / "b1") == expected


# -- doctor ---------------------------------------------------------------------------------

def _doctor(runner: CliRunner, path: Path) -> tuple[int, dict[str, str]]:
    result = runner.invoke(cli, ["doctor", "--kb", str(path), "--json"])
    data = json.loads(result.output)
    return result.exit_code, {c["name"]: c["status"] for c in data["checks"]}


def _break_current(store: Path) -> None:
    (store / "CURRENT").unlink()


def _truncate_tables(store: Path) -> None:
    for table in store.glob("*.sst"):
        with open(table, "r+b") as f:
            f.truncate(100)


def _lose_manifest(store: Path) -> None:
    for manifest in store.glob("MANIFEST-*"):
        manifest.unlink()


def test_doctor_finds_a_healthy_knowledge_base_healthy(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    code, checks = _doctor(runner, kb_path)
    assert code == 0 and checks["store"] == "ok" and checks["ontology"] == "warn"  # 0.1.0: upgrade
    text = runner.invoke(cli, ["doctor", "--kb", str(kb_path), "--deep"])
    assert "every quad read" in text.output and "ontomed init upgrades it" in text.output
    assert text.output.strip().endswith("healthy")


@pytest.mark.parametrize("damage, failed", [
    (_break_current, "files"), (_truncate_tables, "store"), (_lose_manifest, "files")])
def test_doctor_names_the_damage_and_the_recovery_without_writing(tmp_path, runner, damage, failed):
    kb_path = old_kb(tmp_path / "kb")
    damage(kb_path / "store")
    before = files(kb_path)
    code, checks = _doctor(runner, kb_path)
    assert code == 1 and checks[failed] == "fail"
    text = runner.invoke(cli, ["doctor", "--kb", str(kb_path)]).output
    assert "restore the latest backup" in text and "not healthy" in text
    assert files(kb_path) == before
    for verb in (["stats"], ["query", "ASK { ?s ?p ?o }"]):
        opened = runner.invoke(cli, [*verb, "--kb", str(kb_path)])
        assert opened.exit_code == 2 and len(opened.output.strip().splitlines()) == 1
        assert opened.output.startswith("error: cannot open the knowledge base") and "ontomed doctor" in opened.output
    # no verb took the broken store for a new one: only RocksDB's diagnostic log moved on
    assert data_files(kb_path) == data_files_of(before)


def test_doctor_reports_an_unreadable_bookkeeping_file(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    (kb_path / "ontomed.json").write_text("{not json")
    code, checks = _doctor(runner, kb_path)
    assert code == 1 and checks["bookkeeping"] == "fail" and checks["store"] == "ok"


def test_doctor_does_not_read_a_store_another_process_holds(tmp_path, runner):
    kb_path = old_kb(tmp_path / "kb")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, pyoxigraph as ox; "
                               f"s = ox.Store({str(kb_path / 'store')!r}); print('held', flush=True); "
                               "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, checks = _doctor(runner, kb_path)
        assert code == 0 and checks["lock"] == "warn" and "store" not in checks
    finally:
        holder.stdin.close()
        holder.wait(10)


def test_doctor_on_nothing_says_how_to_start(tmp_path, runner):
    code, checks = _doctor(runner, tmp_path / "none")
    assert code == 1 and checks == {"directory": "fail"}
    assert "ontomed init --kb" in runner.invoke(cli, ["doctor", "--kb", str(tmp_path / "none")]).output
    shutil.rmtree(tmp_path, ignore_errors=True)


# -- a load killed between the store taking a file and ontomed recording it ---------------

def test_a_load_killed_after_the_store_took_the_file_is_not_loaded_twice(tmp_path):
    data = tmp_path / "data.ttl"
    data.write_text("@prefix ex: <https://example.org/> .\n"
                    + "".join(f'ex:s{i} ex:p {i} .\n[] ex:about ex:s{i} ; ex:note "n{i}" .\n' for i in range(50)))
    whole = KnowledgeBase(tmp_path / "whole")
    whole.load(data)
    expected = len(whole)
    whole.close()
    kb = KnowledgeBase(tmp_path / "kb")
    report = kb.load(data)  # then forget that it was recorded, as a kill before the record would
    meta = json.loads((tmp_path / "kb" / "ontomed.json").read_text())
    record = meta["loads"].pop(report.sha256)
    meta["pending"] = {report.sha256: {"source": record["source"], "graph": None, "at": record["at"]}}
    kb.close()
    (tmp_path / "kb" / "ontomed.json").write_text(json.dumps(meta))
    kb = KnowledgeBase(tmp_path / "kb")
    again = kb.load(data)
    assert again.skipped and len(kb) == expected  # blank nodes not added a second time
    assert json.loads((tmp_path / "kb" / "ontomed.json").read_text())["pending"] == {}
    kb.close()
    # a pending load that never reached the store is simply loaded
    fresh = KnowledgeBase(tmp_path / "fresh")
    fresh._meta["pending"] = {report.sha256: {"source": str(data), "graph": None, "at": "x"}}
    assert not fresh.load(data).skipped and len(fresh) == expected
    fresh.close()
