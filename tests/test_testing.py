"""The contract checks in ontomed.testing catch each break they promise to catch.

A check that never fails proves nothing, so each rule is broken here on
purpose by a small real component, and the message must say what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ontomed import iri as I
from ontomed.components import Extractor, Linker, Reader, TextGenerator
from ontomed.errors import NotFoundError
from ontomed.hookspecs import hookimpl
from ontomed.values import Document, Extraction, Fact, Mention, Relation, SkippedDocument
from ontomed.testing import (
    DEFAULT_SAMPLES,
    check_extractor,
    check_linker,
    check_reader,
    check_text_generator,
    sample_facts,
)

NONE: dict = {}  # no installed components to clash with


class Capitals(Extractor):
    """Capitalised words as drugs, and 'X treats Y' between neighbours: keeps the contract."""

    id = "capitals"
    finds_relations = True

    def extract(self, text: str) -> Extraction:
        mentions = tuple(Mention(m.group(), "Drug", m.start(), m.end(), 0.8)
                         for m in re.finditer(r"\b[A-Z][a-z]+\b", text))
        relations = []
        for a, b in zip(mentions, mentions[1:]):
            if "treats" in text[a.end:b.start]:
                relations.append(Relation(a, I.om("treats"), b, 0.7, text))
        return Extraction(self.id, mentions, tuple(relations))


def broken(**overrides) -> Extractor:
    """A Capitals extractor with one thing changed."""
    return type("Broken", (Capitals,), overrides)()


def test_a_well_behaved_extractor_passes_and_gets_its_extractions_back():
    result = check_extractor(Capitals(), ["Aspirin treats Headache.", "nothing here"], registered=NONE)
    assert [m.text for m in result[0].mentions] == ["Aspirin", "Headache"]
    assert result[0].relations[0].predicate == I.om("treats")


def test_the_default_samples_are_hard_on_offsets():
    assert any(len(t.encode()) != len(t) for t in DEFAULT_SAMPLES)  # non-ASCII before mentions
    assert any(ord(c) > 0xFFFF for t in DEFAULT_SAMPLES for c in t)  # outside the BMP
    check_extractor(Capitals(), registered=NONE)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"id": ""}, "id must be a non-empty string"),
    ({"id": "two words"}, "no spaces"),
    ({"entity_types": ["Drug"]}, "entity_types must be a tuple"),
    ({"setup": lambda self, kb: kb.query("ASK {}")}, r"setup\(None\) must work without a knowledge base"),
    ({"extract": lambda self, text: Extraction("someone-else")}, "must be the extractor's id 'capitals'"),
    ({"extract": lambda self, text: [Mention("x", "Drug", 0, 1)]}, "must return an ontomed.values.Extraction"),
    ({"extract": lambda self, text: Extraction("capitals", tuple(
        Mention(m.group(), "Drug", m.start() + 1, m.end() + 1) for m in re.finditer(r"\b[A-Z][a-z]+\b", text)))},
     r"but text\[1:10\] is 'etformin '"),
    ({"extract": lambda self, text: Extraction("capitals", (Mention("Aspirin", "Drug", 0, 99),))},
     "outside 0.."),
    ({"extract": lambda self, text: Extraction("capitals", tuple(
        Mention(m.group(), "Drug", len(text[:m.start()].encode()), len(text[:m.end()].encode()))
        for m in re.finditer(r"\b[A-Z][a-z]+\b", text)))}, "not bytes or tokens"),
    ({"extract": lambda self, text: Extraction("capitals", tuple(
        Mention(m.group(), "Dosage", m.start(), m.end()) for m in re.finditer(r"\b[A-Z][a-z]+\b", text)))},
     "type 'Dosage', which is neither an ontology class"),
    ({"extract": lambda self, text: Extraction("capitals", tuple(
        Mention(m.group(), "Drug", m.start(), m.end(), 1.5) for m in re.finditer(r"\b[A-Z][a-z]+\b", text)))},
     "confidence must be a number between 0 and 1, not 1.5"),
    ({"extract": lambda self, text: Extraction("capitals", tuple(
        Mention(m.group(), "Drug", m.start(), m.end(), iri="metformin")
        for m in re.finditer(r"\b[A-Z][a-z]+\b", text)))}, "an absolute IRI or None"),
])
def test_each_broken_rule_is_named(overrides, message):
    with pytest.raises(AssertionError, match=message):
        check_extractor(broken(**overrides), registered=NONE)


def _relating(predicate: str, *, foreign: bool = False, sentence: str | None = None):
    def extract(self, text: str) -> Extraction:
        found = Capitals.extract(self, text)
        if len(found.mentions) < 2:
            return found
        a, b = found.mentions[:2]
        if foreign:
            b = Mention(b.text, b.type, b.start, b.end, 0.1)
        return Extraction(self.id, found.mentions, (Relation(a, predicate, b, 0.9, sentence or text),))
    return extract


@pytest.mark.parametrize(("extract", "message"), [
    (_relating("treats"), r"full om: IRI \(write the full IRI https://w3id.org/ontomed#treats\)"),
    (_relating("http://example.org/cures"), "one of the ontology's object properties"),
    (_relating(I.om("treats"), foreign=True), "not in the same extraction's mentions"),
    (_relating(I.om("treats"), sentence="a sentence from elsewhere"), "the part of the text"),
])
def test_relations_must_use_the_ontology_and_this_extractions_mentions(extract, message):
    with pytest.raises(AssertionError, match=message):
        check_extractor(broken(extract=extract), registered=NONE)


def test_a_blank_text_must_give_an_empty_extraction():
    def extract(self, text: str) -> Extraction:
        if not text.strip():
            return Extraction(self.id, (), ())  # fine
        return Capitals.extract(self, text)

    check_extractor(broken(extract=extract), registered=NONE)

    def spaces(self, text: str) -> Extraction:
        return Extraction(self.id, (Mention(text, "Drug", 0, len(text)),) if text else ())

    with pytest.raises(AssertionError, match="starts or ends with white space"):
        check_extractor(broken(extract=spaces), registered=NONE)


def test_extract_batch_must_agree_with_extract():
    def reversed_batch(self, texts: Sequence[str]) -> list[Extraction]:
        return [self.extract(t) for t in reversed(texts)]

    with pytest.raises(AssertionError, match="extract_batch and extract disagree"):
        check_extractor(broken(extract_batch=reversed_batch), registered=NONE)

    with pytest.raises(AssertionError, match=r"extract_batch of 6 texts must return a list of 6"):
        check_extractor(broken(extract_batch=lambda self, texts: [self.extract(t) for t in texts][:1]),
                        registered=NONE)


def test_a_declared_entity_type_is_allowed():
    def dosage(self, text: str) -> Extraction:
        return Extraction(self.id, tuple(Mention(m.group(), "Dosage", m.start(), m.end())
                                         for m in re.finditer(r"\d+ mg", text)))

    found = check_extractor(broken(entity_types=("Dosage",), extract=dosage), registered=NONE)
    assert [m.text for m in found[1].mentions] == ["81 mg"]


def test_an_id_taken_by_another_installed_extractor_is_named():
    from ontomed import plugins

    with pytest.raises(AssertionError, match="'dictionary': the id is taken by ontomed.ingest.extractors.dictionary"):
        check_extractor(broken(id="dictionary"), registered=plugins.get_extractors())


# -- readers -------------------------------------------------------------------------

class Lines(Reader):
    """One document per non-blank line of a .lines file."""

    id = "lines"
    extensions = (".lines",)

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        path = Path(source)
        if not path.exists():
            raise NotFoundError(f"{source}: no such file")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                yield Document(text=line, id=f"{path.stem}:{n}", source=source)
            else:
                yield SkippedDocument(f"{source}:{n}", "blank line")


@pytest.fixture
def lines_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample.lines"
    path.write_text("Metformin treats type 2 diabetes.\n\nAspirin inhibits PTGS1.\n")
    return path


def test_a_well_behaved_reader_passes(lines_file):
    documents = check_reader(Lines(), [lines_file], registered=NONE)
    assert [d.id for d in documents] == ["sample:1", "sample:3"]


def test_a_reader_that_lets_os_errors_escape_is_caught(lines_file):
    class Raw(Lines):
        def read(self, source):
            yield from (Document(text=line) for line in open(source))

    with pytest.raises(AssertionError, match="must raise an ontomed.errors.OntomedError.*not FileNotFoundError"):
        check_reader(Raw(), [lines_file], registered=NONE)


def test_a_reader_must_skip_blank_records_rather_than_yield_them(lines_file):
    class Blank(Lines):
        def read(self, source):
            for item in Lines.read(self, source):
                yield Document(text=" ") if isinstance(item, SkippedDocument) else item

    with pytest.raises(AssertionError, match="blank text"):
        check_reader(Blank(), [lines_file], registered=NONE)


def test_a_reader_must_return_an_iterator_and_list_suffixes_with_a_dot(lines_file):
    class Eager(Lines):
        def read(self, source):
            return list(Lines.read(self, source))

    with pytest.raises(AssertionError, match="must return an iterator"):
        check_reader(Eager(), [lines_file], registered=NONE)
    with pytest.raises(AssertionError, match="extensions must be a tuple of lower-case suffixes"):
        check_reader(type("NoDot", (Lines,), {"extensions": ("lines",)})(), registered=NONE)


# -- linkers -----------------------------------------------------------------------------

class Table(Linker):
    id = "table"

    def link(self, mention: Mention) -> str | None:
        return {"metformin": I.entity_iri("metformin")}.get(mention.text.lower())


def test_a_well_behaved_linker_passes_and_answers():
    m = Mention("Metformin", "Drug", 0, 9)
    assert check_linker(Table(), [m], registered=NONE)[m] == I.ENTITY + "metformin"


def test_a_linker_must_answer_iris():
    class Local(Table):
        def link(self, mention):
            return "metformin"

    with pytest.raises(AssertionError, match="must be an absolute IRI or None, not 'metformin'"):
        check_linker(Local(), registered=NONE)


def test_a_linker_must_not_fail_before_it_has_a_knowledge_base():
    class Needy(Table):
        def __init__(self):
            self.vocab = None

        def link(self, mention):
            return self.vocab[mention.text]

    with pytest.raises(AssertionError, match=r"link\(\) before setup\(kb\) must work"):
        check_linker(Needy(), registered=NONE)


# -- text generators -------------------------------------------------------------------------

class Templated(TextGenerator):
    id = "templated-test"
    templates = {"en": "{s} {p} {o}.", "zh": "{s}{p}{o}。"}

    def generate(self, facts: Sequence[Fact], *, lang: str = "en", **options) -> str:
        from ontomed.errors import BadInputError

        if lang not in self.templates:
            raise BadInputError(f"no templates for language {lang!r}")
        return " ".join(self.templates[lang].format(s=f.subject_label, p=f.predicate.rsplit("#")[-1],
                                                    o=f.object_label) for f in facts)


def test_a_well_behaved_text_generator_passes():
    out = check_text_generator(Templated(), languages=("en", "zh"), registered=NONE)
    assert out["en"].startswith("metformin treats type 2 diabetes mellitus.")


def test_a_text_generator_must_name_what_it_was_given():
    class Forgetful(Templated):
        def generate(self, facts, *, lang="en", **options):
            return Templated.generate(self, facts[:1], lang=lang)

    with pytest.raises(AssertionError, match="does not name 'nausea'"):
        check_text_generator(Forgetful(), registered=NONE)
    assert len(sample_facts()) == 2


def test_a_text_generator_must_refuse_an_unknown_language_clearly():
    class Crashy(Templated):
        def generate(self, facts, *, lang="en", **options):
            return " ".join(self.templates[lang].format(s=f.subject_label, p="", o=f.object_label)
                            for f in facts)

    with pytest.raises(AssertionError, match="an unknown language must raise an ontomed.errors.OntomedError"):
        check_text_generator(Crashy(), registered=NONE)


class _Echo(Extractor):
    id = "echo-fixture-test"

    def extract(self, text: str) -> Extraction:
        return Extraction(self.id)


class _EchoPlugin:
    @hookimpl
    def register_extractors(self, register):
        register(_Echo())


def test_a_plugin_registered_for_one_block_is_gone_after_it():
    from ontomed import plugins
    from ontomed.testing import registered

    with registered(_EchoPlugin()):
        assert "echo-fixture-test" in plugins.get_extractors()
    assert "echo-fixture-test" not in plugins.get_extractors()


def test_the_register_plugin_fixture_registers_for_this_test(register_plugin):
    from ontomed import plugins

    register_plugin(_EchoPlugin())
    assert isinstance(plugins.get_extractors()["echo-fixture-test"], _Echo)
