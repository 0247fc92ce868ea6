"""The plugin manager: hooks, entry points, ONTOMED_LOAD_PLUGINS, failures.

Third-party plugins are simulated with real distributions: a ``*.dist-info``
folder with an ``entry_points.txt`` on ``sys.path``, found by importlib.metadata
exactly as an installed package is.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ontomed import plugins
from ontomed.base import Extractor
from ontomed.cli import cli
from ontomed.model import Extraction, Mention


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    """A folder on sys.path where tests install tiny distributions; plugins reset around each test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.reset()
    yield tmp_path
    plugins.reset()
    for name in [m for m in sys.modules if m.startswith("fakeplugin_")]:
        del sys.modules[name]


def install(site: Path, dist: str, module: str, source: str, version: str = "1.2.3") -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ontomed]\n{dist} = {module}\n")


GOOD = """
    from ontomed.hookspecs import hookimpl
    from ontomed.base import Extractor
    from ontomed.model import Extraction, Mention

    class Shouty(Extractor):
        id = "shouty"
        description = "finds words in capitals"
        entity_types = ("Gene",)

        def extract(self, text):
            import re
            return Extraction(self.id, tuple(Mention(m.group(), "Gene", m.start(), m.end())
                                             for m in re.finditer(r"\\b[A-Z]{3,}\\b", text)))

    @hookimpl
    def register_extractors(register):
        register(Shouty())
"""


def test_builtin_plugins_always_load_and_list_their_hooks(site):
    names = {p.name: p for p in plugins.get_plugins()}
    assert "ontomed.default_plugins.commands" in names
    assert names["ontomed.default_plugins.commands"].builtin
    assert "register_commands" in names["ontomed.default_plugins.commands"].hooks


def test_an_installed_plugin_is_found_through_its_entry_point(site):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    extractors = plugins.get_extractors()
    assert "shouty" in extractors
    result = extractors["shouty"].extract("Mutations in CFTR cause cystic fibrosis.")
    assert [m.text for m in result.mentions] == ["CFTR"]
    info = {p.name: p for p in plugins.get_plugins()}["fakeplugin-good"]
    assert info.version == "1.2.3" and info.hooks == ("register_extractors",) and not info.builtin


def test_ontomed_load_plugins_limits_installed_plugins(site, monkeypatch):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    monkeypatch.setenv("ONTOMED_LOAD_PLUGINS", "")
    assert "shouty" not in plugins.get_extractors()
    plugins.reset()
    monkeypatch.setenv("ONTOMED_LOAD_PLUGINS", "fakeplugin-good")
    assert "shouty" in plugins.get_extractors()


def test_a_plugin_that_fails_to_import_is_reported_and_the_cli_still_works(site):
    install(site, "fakeplugin-broken", "fakeplugin_broken", "raise ImportError('needs libfoo 9')\n")
    assert plugins.failed_plugins() == {"fakeplugin-broken": "ImportError: needs libfoo 9"}
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0
    assert "fakeplugin-broken  FAILED TO LOAD: ImportError: needs libfoo 9" in result.output


def test_a_misspelled_hook_fails_loudly_with_the_hook_names(site):
    install(site, "fakeplugin-typo", "fakeplugin_typo", """
        from ontomed.hookspecs import hookimpl

        @hookimpl
        def register_extractor(register):
            pass
    """)
    with pytest.raises(plugins.PluginError, match="register_extractor.*register_extractors"):
        plugins.get_plugin_manager()


def test_registering_something_that_is_not_an_extractor_is_an_error(site):
    install(site, "fakeplugin-wrong", "fakeplugin_wrong", """
        from ontomed.hookspecs import hookimpl

        @hookimpl
        def register_extractors(register):
            register(object())
    """)
    with pytest.raises(plugins.PluginError, match="is not a Extractor"):
        plugins.get_extractors()


def test_two_extractors_with_one_id_are_an_error(site):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    install(site, "fakeplugin-again", "fakeplugin_again", GOOD)
    with pytest.raises(plugins.PluginError, match="two extractors are registered as 'shouty'"):
        plugins.get_extractors()


def test_plugins_can_add_commands(site):
    install(site, "fakeplugin-cmd", "fakeplugin_cmd", """
        import click
        from ontomed.hookspecs import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                "Say hello."
                click.echo("hello from a plugin")
    """)
    from ontomed.cli import OntomedGroup

    group = OntomedGroup(commands=dict(cli.commands))  # a fresh group, so the global CLI stays clean
    result = CliRunner().invoke(group, ["hello"])
    assert result.exit_code == 0 and result.output == "hello from a plugin\n"


def test_plugins_json_lists_everything(site):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    import json

    data = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).output)
    assert {p["name"] for p in data["plugins"]} >= {"ontomed.default_plugins.commands", "fakeplugin-good"}


def test_unknown_extractor_name_lists_the_installed_ones(site):
    from ontomed.errors import BadInputError

    with pytest.raises(BadInputError, match="no extractor 'nope'"):
        plugins.get_extractor("nope")


def test_an_extractor_subclass_needs_extract():
    class Incomplete(Extractor):
        id = "incomplete"

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]

    class Complete(Extractor):
        id = "complete"

        def extract(self, text: str) -> Extraction:
            return Extraction(self.id, (Mention(text, "Drug", 0, len(text)),))

    assert Complete().extract_batch(["a", "bb"])[1].mentions[0].end == 2
