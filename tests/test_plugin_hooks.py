"""Each hook of ontomed/hookspecs.py does what docs/plugin_hooks.md says, through the real
plugin manager and the real consumers (the pipeline, the web app).

Plugins here are plain objects registered on the process's plugin manager, as
an installed one is after its entry point loads (entry-point loading itself is
tested in test_plugins.py and test_example_plugin.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ontomed import KnowledgeBase, plugins
from ontomed.components import Extractor, Linker, Reader, TextGenerator
from ontomed.errors import BadInputError, NotFoundError
from ontomed.hookspecs import hookimpl
from ontomed.iri import ENTITY, entity_iri
from ontomed.values import Document, Extraction, Mention, SkippedDocument
from ontomed.ingest.pipeline import build, extract
from ontomed.testing import check_linker, check_reader, check_text_generator, registered

from .conftest import make_example_kb


class Tsv(Reader):
    id = "tsv-test"
    extensions = (".tsv",)

    def read(self, source: str) -> Iterator[Document | SkippedDocument]:
        path = Path(source)
        if not path.is_file():
            raise NotFoundError(f"{source}: no such file")
        for n, line in enumerate(path.read_text().splitlines(), 1):
            ident, _, text = line.partition("\t")
            if text.strip():
                yield Document(text=text, id=ident, source=source)
            else:
                yield SkippedDocument(f"{source}:{n}", "no text column")


class InventedDrugs(Extractor):
    """Names ending in -blax, a suffix no real drug has: only a plugin linker can link them."""

    id = "blax-test"

    def extract(self, text: str) -> Extraction:
        return Extraction(self.id, tuple(Mention(m.group(), "Drug", m.start(), m.end(), 0.9)
                                         for m in re.finditer(r"\b[A-Z]\w*blax\b", text)))


class BlaxLinker(Linker):
    id = "blax-linker-test"

    def link(self, mention: Mention) -> str | None:
        return entity_iri(mention.text.lower()) if mention.text.endswith("blax") else None


class Listing(TextGenerator):
    id = "listing-test"

    def generate(self, facts, *, lang="en", **options) -> str:
        if lang != "en":
            raise BadInputError(f"listing-test writes English only, not {lang!r}")
        return "; ".join(f"{f.subject_label} {f.predicate.rsplit('#')[-1]} {f.object_label}" for f in facts)


def test_register_readers_adds_a_reader_that_ontomed_build_uses(kb: KnowledgeBase, tmp_path: Path):
    class Plugin:
        @hookimpl
        def register_readers(self, register):
            register(Tsv())

    source = tmp_path / "notes.tsv"
    source.write_text("n1\tMetformin treats type 2 diabetes.\nn2\t\n")
    with registered(Plugin()):
        assert isinstance(plugins.get_readers()["tsv-test"], Tsv)
        check_reader(plugins.get_readers()["tsv-test"], [source])
        report = build(kb, [str(source)])
    assert report.documents == 1 and report.skipped == [(f"{source}:2", "no text column")]


def test_register_linkers_adds_a_linker_the_pipeline_asks_for_unlinked_mentions(kb: KnowledgeBase):
    class Plugin:
        @hookimpl
        def register_extractors(self, register):
            register(InventedDrugs())

        @hookimpl
        def register_linkers(self, register):
            register(BlaxLinker(), aliases=["blax"])

    with registered(Plugin()):
        linkers = plugins.get_linkers()
        assert linkers["blax"] is linkers["blax-linker-test"]
        check_linker(linkers["blax"], [Mention("Zorblax", "Drug", 0, 7)])
        [found] = extract("Zorblax was well tolerated.", kb=kb, extractors=["blax-test"])
    assert [m.iri for m in found.mentions] == [ENTITY + "zorblax"]


def test_register_text_generators_adds_a_generator():
    class Plugin:
        @hookimpl
        def register_text_generators(self, register):
            register(Listing)  # a class that takes no arguments is instantiated

    with registered(Plugin()):
        generator = plugins.get_text_generators()["listing-test"]
        out = check_text_generator(generator)
    assert out["en"] == "metformin treats type 2 diabetes mellitus; metformin hasSideEffect nausea"


def test_register_routes_adds_routes_to_the_web_app(kb: KnowledgeBase):
    from flask import Blueprint, jsonify

    from ontomed.web import ServerConfig, create_app

    bp = Blueprint("hello_test", __name__, url_prefix="/-/hello")

    @bp.get("/")
    def hello():
        return jsonify({"hello": "from a plugin"})

    class Plugin:
        @hookimpl
        def register_routes(self, app):
            app.register_blueprint(bp)

    with registered(Plugin()):
        app = create_app(kb, ServerConfig(timeout=5))
    try:
        reply = app.test_client().get("/-/hello/")
        assert reply.status_code == 200 and reply.get_json() == {"hello": "from a plugin"}
    finally:
        app.extensions["ontomed"].close()


def test_a_hook_implementation_may_take_fewer_arguments_than_the_hook_offers():
    seen = []

    class Plugin:
        @hookimpl
        def register_extractors(self):  # takes no `register`: allowed, and called
            seen.append(True)

    with registered(Plugin()):
        plugins.get_extractors()
    assert seen == [True]


@pytest.mark.parametrize("hook", ["register_extractors", "register_readers", "register_linkers",
                                  "register_text_generators", "register_redactors"])
def test_registering_the_wrong_kind_of_component_is_a_plugin_error(hook):
    class Plugin:
        pass

    def impl(self, register):
        register(InventedDrugs() if hook != "register_extractors" else BlaxLinker())

    setattr(Plugin, hook, hookimpl(impl))
    getter = {"register_extractors": plugins.get_extractors, "register_readers": plugins.get_readers,
              "register_linkers": plugins.get_linkers,
              "register_text_generators": plugins.get_text_generators,
              "register_redactors": plugins.get_redactors}[hook]
    with registered(Plugin()), pytest.raises(plugins.PluginError, match="is not a"):
        getter()


def test_entity_pages_take_their_generated_paragraph_from_the_generator_the_server_names():
    """The web app asks the plugin registry for the generator by id (serve
    --description-generator), as a third party's generator would be found."""
    from ontomed.web.describe import entity_page

    class Plugin:
        @hookimpl
        def register_text_generators(self, register):
            register(Listing())

    kb = make_example_kb()
    with registered(Plugin()):
        page = entity_page(kb, iri=ENTITY + "metformin", generate=True, generator="listing-test")
    generated = page["generated"]
    assert generated["generator"] == "listing-test" and generated["note"] is None
    assert "metformin treats type 2 diabetes mellitus" in generated["generated"]
    assert generated["text"] and generated["template"] == page["descriptions"]["en"]


def test_serve_refuses_an_unknown_description_generator_in_one_line(tmp_path: Path):
    from click.testing import CliRunner

    from ontomed.cli import cli

    make_example_kb(tmp_path / "kb").close()
    base = ["serve", "--kb", str(tmp_path / "kb"), "--port", "0"]
    result = CliRunner().invoke(cli, [*base, "--generate-descriptions", "--description-generator", "nosuch"])
    assert result.exit_code == 2
    assert "no text generator 'nosuch' (installed: " in result.output and "template" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, [*base, "--description-generator", "template"])
    assert result.exit_code == 2 and "give both" in result.output
