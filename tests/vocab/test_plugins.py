"""Vocabularies are plugins (register_vocabularies): the bundled four register themselves, and a
third party's vocabulary is read, merged, written with its evidence and cached like them.

The third-party tests take the bundled sources out (their plugin unregistered for the test), so
that a build reads only the tiny sources written here, in a second instead of minutes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from click.testing import CliRunner

from ontomed import Evidence, KnowledgeBase, VocabularySource, hookimpl, plugins
from ontomed.cli import cli
from ontomed.errors import BadInputError, NotFoundError
from ontomed.testing import registered
from ontomed.vocab import (
    CONDITION,
    DRUG,
    SOURCES,
    CuratedFact,
    Record,
    SourceResult,
    import_vocabulary,
    parse_sources,
    registered_sources,
)
from ontomed.vocab.sources import BUNDLED

BUNDLED_PLUGIN = "ontomed.default_plugins.vocabularies"


class Formulary(VocabularySource):
    """An entity source: a hospital formulary's drugs and the conditions they are approved for."""

    id = "tiny-formulary"
    description = "two drugs and two conditions"
    origins = ("tiny-formulary",)
    distribution = "ontomed-tiny-formulary"
    release = "1"

    def version(self) -> str:
        return self.release

    def read(self, entities: Sequence[Record]) -> SourceResult:
        result = SourceResult(self.id)
        result.records += [
            Record("tiny-formulary:zorblamab", "tiny-formulary", DRUG, ("Drug",), "zorblamab",
                   synonyms=("Zorbla",), identifiers=(("drugbank", "DB99901"),)),
            Record("tiny-formulary:quintavir", "tiny-formulary", DRUG, ("Drug",), "quintavir"),
            Record("tiny-formulary:zorblax-fever", "tiny-formulary", CONDITION, ("Disease",), "zorblax fever"),
            Record("tiny-formulary:night-sweats", "tiny-formulary", CONDITION, ("Symptom",), "night sweats"),
        ]
        result.facts.append(CuratedFact(
            "tiny-formulary:zorblax-fever", "hasSymptom", "tiny-formulary:night-sweats",
            Evidence(document="https://formulary.example.org/zorblax", extractor="curated:tiny-formulary",
                     source_record="ZF-1")))
        result.counts["formulary entries"] = 2
        return result


class Indications(VocabularySource):
    """A facts-only source: it names drugs and conditions, and maps them onto the records read before it."""

    id = "tiny-indications"
    provides_entities = False
    distribution = "ontomed-tiny-indications"
    seen: list[str] = []

    def version(self) -> str:
        return "1"

    def read(self, entities: Sequence[Record]) -> SourceResult:
        Indications.seen = [r.key for r in entities]
        by_name = {r.label: r.key for r in entities}
        result = SourceResult(self.id)
        for drug, condition in (("zorblamab", "zorblax fever"), ("quintavir", "zorblax fever"),
                                ("unobtainium", "zorblax fever")):
            if drug not in by_name:
                result.unmapped.append(drug)
                continue
            result.facts.append(CuratedFact(by_name[drug], "treats", by_name[condition], Evidence(
                document="https://indications.example.org/list", extractor="curated:tiny-indications",
                source_record=f"{drug} {condition}", confidence=1.0)))
        return result


@pytest.fixture
def tiny_sources(tmp_path, monkeypatch) -> Iterator[None]:
    """The two tiny sources registered, the bundled ones out, the cache in a temporary directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    class Plugin:
        @hookimpl
        def register_vocabularies(self, register):
            register(Formulary())
            register(Indications())

    with registered(Plugin()):
        plugins.get_plugin_manager().unregister(name=BUNDLED_PLUGIN)
        yield


def test_the_bundled_vocabularies_register_through_the_hook():
    sources = registered_sources()
    assert tuple(sources) == SOURCES == parse_sources(None)
    assert [type(s) for s in sources.values()] == list(BUNDLED)
    assert all(isinstance(s, VocabularySource) and s.distribution and s.licence for s in sources.values())
    assert [s.id for s in sources.values() if not s.provides_entities] == ["interactions"]
    info = {p.name: p for p in plugins.get_plugins()}
    assert "register_vocabularies" in info[BUNDLED_PLUGIN].hooks and info[BUNDLED_PLUGIN].builtin


def test_a_third_party_vocabulary_is_imported_with_its_facts_and_evidence(tiny_sources, tmp_path):
    assert parse_sources(None) == ("tiny-formulary", "tiny-indications")  # entity sources first
    kb = KnowledgeBase()
    report = import_vocabulary(kb, directory=tmp_path / "builds")
    assert report.sources == ("tiny-formulary", "tiny-indications") and not report.from_cache
    assert Indications.seen == ["tiny-formulary:zorblamab", "tiny-formulary:quintavir",
                                "tiny-formulary:zorblax-fever", "tiny-formulary:night-sweats"]
    formulary, indications = report.summaries["tiny-formulary"], report.summaries["tiny-indications"]
    assert (formulary.entities, formulary.facts, formulary.version) == (4, 1, "1")
    assert formulary.details == {"formulary entries": 2}
    assert (indications.facts, indications.unmapped, indications.unmapped_names) == (2, 1, ["unobtainium"])

    drug = kb.entity("Zorbla")
    assert drug.label == "zorblamab" and any(t.endswith("#Drug") for t in drug.types)
    assert ("drugbank", "DB99901") in drug.identifiers
    treats = {(f.subject_label, f.object_label): f for f in drug.facts}
    [evidence] = treats[("zorblamab", "zorblax fever")].evidence
    assert (evidence.extractor, evidence.source_record) == ("curated:tiny-indications", "zorblamab zorblax fever")
    assert any(t.endswith("#Symptom") for t in kb.entity("night sweats").types)
    assert [f.object_label for f in kb.entity("zorblax fever").facts] == ["night sweats"]

    again = import_vocabulary(kb, directory=tmp_path / "builds")
    assert again.from_cache and again.quads_added == 0  # set-like: importing again adds nothing


def test_only_the_selected_sources_are_written_and_every_entity_source_is_read(tiny_sources, tmp_path):
    kb = KnowledgeBase()
    report = import_vocabulary(kb, "tiny-indications", directory=tmp_path / "builds")
    assert report.sources == ("tiny-indications",)
    # the drugs and the condition the facts need are written (with their labels), the rest is not
    assert {f.subject_label for f in kb.facts(predicate="treats")} == {"zorblamab", "quintavir"}
    assert kb.find_entities("night sweats") == []


def test_a_new_release_of_a_vocabulary_is_built_again(tiny_sources, tmp_path):
    first = import_vocabulary(KnowledgeBase(), directory=tmp_path / "builds")
    cached = import_vocabulary(KnowledgeBase(), directory=tmp_path / "builds")
    assert cached.from_cache and cached.cache_file == first.cache_file
    Formulary.release = "2"
    try:
        rebuilt = import_vocabulary(KnowledgeBase(), directory=tmp_path / "builds")
    finally:
        Formulary.release = "1"
    assert not rebuilt.from_cache and rebuilt.cache_file != first.cache_file
    assert rebuilt.summaries["tiny-formulary"].version == "2"


def test_the_command_line_imports_a_plugin_vocabulary_and_refuses_an_unknown_one(tiny_sources, tmp_path):
    kb = str(tmp_path / "kb")
    result = CliRunner().invoke(cli, ["vocab", "import", "--kb", kb, "--sources", "tiny-formulary"])
    assert result.exit_code == 0, result.output
    assert "vocabularies: tiny-formulary" in result.output and "tiny-formulary" in result.output
    result = CliRunner().invoke(cli, ["vocab", "import", "--kb", kb, "--sources", "drugs"])
    assert result.exit_code == 2
    assert "unknown source 'drugs' (known: tiny-formulary, tiny-indications)" in result.output
    assert "Traceback" not in result.output


def _only(*sources: VocabularySource) -> object:
    class Plugin:
        @hookimpl
        def register_vocabularies(self, register):
            for source in sources:
                register(source)

    return Plugin()


def test_a_vocabulary_that_fails_is_named_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    class Broken(Formulary):
        id = "broken-vocab"

        def read(self, entities):
            raise KeyError("ZF-1")

    class Foreign(Formulary):
        id = "foreign-vocab"
        origins = ("elsewhere",)

    class Missing(Formulary):
        id = "missing-vocab"
        distribution = "ontomed-no-such-distribution"
        version = VocabularySource.version

    for source, message in ((Broken(), "the 'broken-vocab' vocabulary could not be read: KeyError: 'ZF-1'"),
                            (Foreign(), "wrote a record of origin 'tiny-formulary', not one of its origins"),
                            (Missing(), "needs the package 'ontomed-no-such-distribution' (install it with: "
                                        "pip install ontomed-no-such-distribution)")):
        with registered(_only(source)):
            plugins.get_plugin_manager().unregister(name=BUNDLED_PLUGIN)
            with pytest.raises((BadInputError, NotFoundError)) as caught:
                import_vocabulary(KnowledgeBase(), directory=tmp_path / "builds")
        assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_vocabulary_id_that_cannot_name_a_file_is_refused():
    class Slashed(Formulary):
        id = "../escape"

    with registered(_only(Slashed())):
        with pytest.raises(BadInputError, match="vocabulary id '../escape'"):
            registered_sources()
