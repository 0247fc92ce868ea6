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
from ontomed.components import Extractor
from ontomed.cli import cli
from ontomed.values import Extraction, Mention


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
    from ontomed.components import Extractor
    from ontomed.values import Extraction, Mention

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


TYPO = """
    from ontomed.hookspecs import hookimpl

    @hookimpl
    def register_extractor(register):
        pass
"""


def test_a_misspelled_hook_leaves_that_plugin_out_and_names_the_hook_it_meant(site):
    install(site, "fakeplugin-typo", "fakeplugin_typo", TYPO)
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    assert plugins.failed_plugins() == {
        "fakeplugin-typo": "register_extractor is not an ontomed hook (did you mean register_extractors?)"}
    assert "shouty" in plugins.get_extractors()  # the rest keeps working
    assert "fakeplugin-typo" not in {p.name for p in plugins.get_plugins()}


def test_the_cli_works_with_a_broken_plugin_and_warns_once_per_plugin_on_stderr(site):
    install(site, "fakeplugin-typo", "fakeplugin_typo", TYPO)
    help_ = CliRunner().invoke(cli, ["--help"])
    assert help_.exit_code == 0 and "Commands:" in help_.stdout
    assert help_.stderr == ("warning: plugin 'fakeplugin-typo' left out: register_extractor is not an "
                            "ontomed hook (did you mean register_extractors?)\n")
    listed = CliRunner().invoke(cli, ["plugins"])
    assert listed.exit_code == 0
    assert "fakeplugin-typo  FAILED TO LOAD: register_extractor is not an ontomed hook" in listed.stdout
    query = CliRunner().invoke(cli, ["query", "--kb", ":memory:", "ASK {}"])
    assert query.exit_code == 0 and query.stdout == "true\n"


def test_plugins_check_is_strict_for_plugin_authors(site):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    assert CliRunner().invoke(cli, ["plugins", "--check"]).exit_code == 0
    plugins.reset()
    install(site, "fakeplugin-typo", "fakeplugin_typo", TYPO)
    result = CliRunner().invoke(cli, ["plugins", "--check"])
    assert result.exit_code == 1
    assert "error: 1 installed plugin could not be loaded: fakeplugin-typo" in result.stderr
    with pytest.raises(plugins.PluginError, match="fakeplugin-typo.*register_extractors"):
        plugins.check_plugins()


def test_ontomed_testing_fails_a_plugin_with_a_misspelled_hook(site):
    from ontomed.testing import check_extractor, check_plugin

    install(site, "fakeplugin-typo", "fakeplugin_typo", TYPO)
    import fakeplugin_typo  # noqa: PLC0415 - installed by this test

    with pytest.raises(AssertionError, match="register_extractor is not an ontomed hook"):
        check_plugin(fakeplugin_typo)
    shouty = _shouty(site)
    with pytest.raises(AssertionError, match="installed plugins break the contract.*fakeplugin-typo"):
        check_extractor(shouty)


def test_a_hook_taking_an_argument_the_hook_does_not_pass_is_reported(site):
    install(site, "fakeplugin-args", "fakeplugin_args", """
        from ontomed.hookspecs import hookimpl

        @hookimpl
        def register_extractors(register, kb):
            pass
    """)
    assert plugins.failed_plugins()["fakeplugin-args"] == (
        "register_extractors() takes kb, which the hook does not pass (it passes register)")


def _shouty(site):
    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    import fakeplugin_good  # noqa: PLC0415 - installed by the test

    return fakeplugin_good.Shouty()


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


def test_an_extractor_left_out_by_ontomed_load_plugins_is_said_to_be_installed(site, monkeypatch):
    from ontomed.errors import BadInputError

    install(site, "fakeplugin-good", "fakeplugin_good", GOOD)
    monkeypatch.setenv("ONTOMED_LOAD_PLUGINS", "")
    with pytest.raises(BadInputError, match="installed but not loaded, as ONTOMED_LOAD_PLUGINS='' "
                                            "leaves them out: .*fakeplugin-good"):
        plugins.get_extractor("shouty")
    result = CliRunner().invoke(cli, ["plugins"])
    assert "fakeplugin-good  (installed, not loaded: ONTOMED_LOAD_PLUGINS leaves it out)" in result.stdout


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
