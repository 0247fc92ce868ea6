"""The plugin documentation stays true: every hook is documented with its exact signature and
has a test, every example runs and keeps the contract, and the tutorial's files make a plugin
that works.
"""

from __future__ import annotations

import csv
import inspect
import json
import re
import site
import subprocess
import sys
import tomllib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from .needs import missing

from ontomed import hookspecs, iri
from ontomed.values import Mention
from ontomed.testing import (
    check_extractor,
    check_linker,
    check_reader,
    check_text_generator,
)

from .conftest import REPO

DOCS = REPO / "docs"
HOOKS_DOC = DOCS / "plugin_hooks.md"
TUTORIAL = DOCS / "writing-plugins.md"
EXAMPLE_PLUGIN = REPO / "plugins" / "ontomed-example-extractor"

HOOKS: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in vars(hookspecs).items()
    if callable(fn) and hasattr(fn, "ontomed_spec")
}


def signature(hook: Callable[..., Any]) -> str:
    return f"{hook.__name__}({', '.join(inspect.signature(hook).parameters)})"


def sections(path: Path) -> dict[str, str]:
    """``## heading`` → the text under it."""
    parts = re.split(r"^## +(.+?) *$", path.read_text("utf-8"), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def code_blocks(text: str, lang: str = "python") -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_there_are_hooks_to_document():
    assert {"register_extractors", "register_commands", "register_routes"} <= set(HOOKS)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_is_documented_with_its_exact_signature(hook: str):
    assert signature(HOOKS[hook]) in sections(HOOKS_DOC), \
        f"docs/plugin_hooks.md needs a section '## {signature(HOOKS[hook])}'"


def test_every_documented_hook_exists():
    documented = [h for h in sections(HOOKS_DOC) if h.startswith("register_")]
    assert set(documented) == {signature(h) for h in HOOKS.values()}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_has_a_test(hook: str):
    """Datasette's rule: a hook nobody tests is a hook that silently breaks."""
    tests = [p for p in Path(__file__).parent.rglob("test_*.py") if p != Path(__file__)]
    assert any(hook in p.read_text("utf-8") for p in tests), f"no test in tests/ mentions {hook}"


# -- the examples in plugin_hooks.md run, and their components keep the contract ---------------

def _run_example(hook: str) -> dict[str, Any]:
    text = sections(HOOKS_DOC)[signature(HOOKS[hook])]
    blocks = code_blocks(text)
    assert len(blocks) == 1, f"the {hook} section needs exactly one python example"
    namespace: dict[str, Any] = {"__name__": f"docs_example_{hook}"}
    exec(compile(blocks[0], f"{HOOKS_DOC}#{hook}", "exec"), namespace)  # noqa: S102 - our own docs
    assert hook in namespace and hasattr(namespace[hook], "ontomed_impl"), \
        f"the {hook} example must define a @hookimpl function named {hook}"
    return namespace


def _registered(namespace: dict[str, Any], hook: str) -> list[Any]:
    found: list[Any] = []
    namespace[hook](register=lambda component, aliases=(): found.append(component))
    assert found, f"the {hook} example registers nothing"
    return found


def _extractors(ns: dict[str, Any], tmp_path: Path) -> None:
    [extractor] = _registered(ns, "register_extractors")
    found = check_extractor(extractor, registered={})
    assert any(m.text == "CFTR" for e in found for m in e.mentions)


def _text_generators(ns: dict[str, Any], tmp_path: Path) -> None:
    [generator] = _registered(ns, "register_text_generators")
    out = check_text_generator(generator, registered={})
    assert out["en"].startswith("Metformin is used to treat type 2 diabetes mellitus.")


def _readers(ns: dict[str, Any], tmp_path: Path) -> None:
    [reader] = _registered(ns, "register_readers")
    source = tmp_path / "notes.csv"
    with source.open("w", newline="") as f:
        csv.writer(f).writerows([["id", "text", "journal"], ["a1", "Metformin treats T2DM.", "BMJ"],
                                 ["a2", "", "BMJ"]])
    [document] = check_reader(reader, [source], registered={})
    assert (document.id, document.metadata) == ("a1", {"journal": "BMJ"})
    assert [s.reason for s in reader.read(str(source)) if not hasattr(s, "text")] == ['no "text" value']


def _linkers(ns: dict[str, Any], tmp_path: Path) -> None:
    [linker] = _registered(ns, "register_linkers")
    mention = Mention("T2DM", "Disease", 0, 4)
    assert check_linker(linker, [mention], registered={})[mention] == iri.entity_iri("type_2_diabetes_mellitus")


def _redactors(ns: dict[str, Any], tmp_path: Path) -> None:
    from ontomed.ingest.redaction import redact

    [redactor] = _registered(ns, "register_redactors")
    assert redact("Seen on Ward 7B bed 12 today.", [redactor]).text == "Seen on [LOCATION] today."


def _vocabularies(ns: dict[str, Any], tmp_path: Path) -> None:
    from ontomed import VocabularySource
    from ontomed.vocab import CONDITION, Record

    [source] = _registered(ns, "register_vocabularies")
    assert isinstance(source, VocabularySource) and source.version()
    hpo = [Record("HP:0000193", "hpo", CONDITION, ("Symptom",), "Bifid uvula"),
           Record("HP:0000978", "hpo", CONDITION, ("Symptom",), "Bruising susceptibility")]
    result = source.read(hpo)
    assert [r.label for r in result.records] == ["Loeys-Dietz syndrome", "Vascular Ehlers-Danlos syndrome"]
    assert [(f.subject, f.prop, f.object) for f in result.facts] == [
        ("rare-registry:RR-0001", "hasSymptom", "HP:0000193")]
    assert result.unmapped == ["Hypertelorism", "Easy bruising", "Thin skin"]


def _commands(ns: dict[str, Any], tmp_path: Path) -> None:
    import click
    from click.testing import CliRunner

    group = click.Group("ontomed")
    ns["register_commands"](cli=group)
    result = CliRunner().invoke(group, ["count-words", "Metformin treats type 2 diabetes."])
    assert (result.exit_code, result.output) == (0, "5\n")


def _routes(ns: dict[str, Any], tmp_path: Path) -> None:
    from flask import Flask

    app = Flask("docs_example")
    ns["register_routes"](app=app)
    reply = app.test_client().get("/-/doses/units")
    assert reply.status_code == 200 and "mg" in reply.get_json()


EXAMPLE_CHECKS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "register_extractors": _extractors,
    "register_text_generators": _text_generators,
    "register_readers": _readers,
    "register_linkers": _linkers,
    "register_redactors": _redactors,
    "register_vocabularies": _vocabularies,
    "register_commands": _commands,
    "register_routes": _routes,
}


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_example_runs_and_keeps_the_contract(hook: str, tmp_path: Path):
    assert hook in EXAMPLE_CHECKS, f"add a check of the {hook} example to EXAMPLE_CHECKS"
    EXAMPLE_CHECKS[hook](_run_example(hook), tmp_path)


def test_every_python_block_in_the_docs_compiles():
    """Every ```python block of the docs and the README compiles, and every such block is read:
    a fence the pattern misses (or spelt ```py) would otherwise pass unchecked."""
    compiled = 0
    for doc in [REPO / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = doc.read_text("utf-8")
        blocks = code_blocks(text)
        assert len(blocks) == len(re.findall(r"^```python$", text, flags=re.MULTILINE)), doc.name
        assert not re.search(r"^```(?:py|python3|py3)$", text, flags=re.MULTILINE), \
            f"{doc.name}: spell a Python block ```python, so that it is compiled here"
        for n, block in enumerate(blocks):
            compile(block, f"{doc.name} block {n}", "exec")
            compiled += 1
    assert compiled >= 10  # the plugin pages' examples, the tutorial's files, the README's


# -- the tutorial -----------------------------------------------------------------------------------
# Tested the way a reader uses it: its files taken from the page, installed with pip into a fresh
# virtual environment, its own tests run there, and what the page says ontomed prints compared with
# what ontomed prints. ontomed (and pytest) come from the environment under test, as they come from
# ontomed's own environment for a reader: the new environment is made with --system-site-packages,
# and since that reaches the base interpreter's packages, not those of a virtual environment the
# tests may run in, a .pth file adds the test environment's site-packages (with their own .pth
# files: ontomed is an editable install). pip fetches the build backend (hatchling) from the
# package index, as it does for a reader.

PLUGIN = "ontomed-doses"


def tutorial_files() -> dict[str, str]:
    """The tutorial's code blocks that open with a ``# path`` (or ``<!-- path -->``) line, by path."""
    files = {}
    text = TUTORIAL.read_text("utf-8")
    for lang in ("python", "toml", "markdown"):
        for block in code_blocks(text, lang):
            first, _, rest = block.partition("\n")
            if m := re.fullmatch(r"# ([\w./-]+\.(?:py|toml))", first):
                files[m.group(1)] = block
            elif m := re.fullmatch(r"<!-- ([\w./-]+) -->", first):
                files[m.group(1)] = rest
    return files


def console_output(command: str) -> str:
    """What the tutorial shows ``command`` printing (the lines after ``$ command``)."""
    text = TUTORIAL.read_text("utf-8")
    for block in code_blocks(text, "console"):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if line == f"$ {command}":
                out = []
                for later in lines[i + 1:]:
                    if later.startswith("$ "):
                        break
                    out.append(later)
                return "\n".join(out).strip()
    raise AssertionError(f"the tutorial shows no output of {command!r}")


def test_the_tutorial_has_every_file_of_its_layout():
    layout = TUTORIAL.read_text("utf-8").split("## 2. The project layout", 1)[1].split("## 3.", 1)[0]
    named = set(re.findall(r"[\w-]+\.(?:py|toml|md)", layout))
    files = set(tutorial_files())
    assert {Path(f).name for f in files} == named
    assert files == {"pyproject.toml", "README.md", "ontomed_doses/__init__.py", "ontomed_doses/doses.py",
                     "tests/test_doses.py"}


def test_the_tutorials_names_are_not_the_example_plugins():
    """Following the tutorial must not replace the bundled example plugin (same distribution name)
    nor clash with its extractor id."""
    tutorial = tomllib.loads(tutorial_files()["pyproject.toml"])
    plugin = tomllib.loads((EXAMPLE_PLUGIN / "pyproject.toml").read_text("utf-8"))
    assert tutorial["project"]["name"] == PLUGIN != plugin["project"]["name"]
    assert tutorial["project"]["entry-points"]["ontomed"] == {PLUGIN: "ontomed_doses"}
    assert set(tutorial["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]).isdisjoint(
        plugin["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    assert 'id = "doses"' in tutorial_files()["ontomed_doses/doses.py"]
    assert 'id: ClassVar[str] = "dosage"' in (EXAMPLE_PLUGIN / "ontomed_example_extractor" / "dosage.py").read_text()


@pytest.fixture(scope="module")
def tutorial_plugin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the plugin's folder, the environment's python): the tutorial's files, pip-installed."""
    root = tmp_path_factory.mktemp("tutorial")
    folder = root / PLUGIN
    for path, body in tutorial_files().items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(body, "utf-8")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(root / "venv")],
                   check=True, capture_output=True, timeout=300)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_ontomed_test_environment.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in ours) + "\n", "utf-8")
    installed = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                                "-e", ".[test]"], cwd=folder, capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-3000:]
    return folder, python


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_tutorials_plugin_installs_and_its_tests_pass(tutorial_plugin: tuple[Path, Path]):
    folder, python = tutorial_plugin
    result = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout


def test_ontomed_prints_what_the_tutorial_shows(tutorial_plugin: tuple[Path, Path]):
    folder, python = tutorial_plugin
    command = 'ontomed extract --kb :memory: --extractors doses "Metformin 500 mg twice daily."'
    shown = _run(python, "-m", "ontomed.cli", "extract", "--kb", ":memory:", "--extractors", "doses",
                 "Metformin 500 mg twice daily.", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == json.loads(console_output(command))
    listed = _run(python, "-m", "ontomed.cli", "plugins", "--check", cwd=folder)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    expected = console_output("ontomed plugins --check").split("...\n")[-1]
    assert expected in listed.stdout
    assert listed.stderr == ""


def test_the_example_plugin_is_still_there_after_following_the_tutorial(tutorial_plugin: tuple[Path, Path]):
    folder, python = tutorial_plugin
    try:
        metadata.distribution("ontomed-example-extractor")
    except metadata.PackageNotFoundError:
        missing("ontomed-example-extractor is not installed (pip install -e plugins/ontomed-example-extractor)")
    both = _run(python, "-m", "ontomed.cli", "extract", "--kb", ":memory:", "--extractors", "doses,dosage",
                "Aspirin 81 mg once daily.", cwd=folder)
    assert both.returncode == 0, both.stderr
    assert [e["extractor"] for e in json.loads(both.stdout)] == ["doses", "dosage"]


def test_a_misspelled_hook_does_what_the_tutorial_says(tutorial_plugin: tuple[Path, Path], tmp_path: Path):
    folder, python = tutorial_plugin
    hook = folder / "ontomed_doses" / "__init__.py"
    original = hook.read_text("utf-8")
    hook.write_text(original.replace("def register_extractors(", "def register_extractor("), "utf-8")
    try:
        listed = _run(python, "-m", "ontomed.cli", "plugins", cwd=tmp_path)
        checked = _run(python, "-m", "ontomed.cli", "plugins", "--check", cwd=tmp_path)
        tests = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=folder)
    finally:
        hook.write_text(original, "utf-8")
    warning = console_output("ontomed plugins").splitlines()[0]
    assert listed.returncode == 0 and listed.stderr.splitlines() == [warning]
    assert checked.returncode == 1
    assert tests.returncode == 1 and "register_extractor is not an ontomed hook" in tests.stdout


def test_a_build_counts_the_tutorials_mentions_and_stores_no_dosage(tutorial_plugin: tuple[Path, Path],
                                                                    tmp_path: Path):
    _, python = tutorial_plugin
    kb = tmp_path / "kb"
    assert _run(python, "-m", "ontomed.cli", "init", "--kb", str(kb), cwd=tmp_path).returncode == 0
    (tmp_path / "note.txt").write_text("Metformin 500 mg twice daily.\n")
    built = _run(python, "-m", "ontomed.cli", "build", "--kb", str(kb), "--extractors", "doses",
                 str(tmp_path / "note.txt"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "mentions    1" in built.stdout and "facts       0 new" in built.stdout
    asked = _run(python, "-m", "ontomed.cli", "query", "--kb", str(kb),
                 'ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "500 mg") || CONTAINS(STR(?o), "Dosage")) }',
                 cwd=tmp_path)
    assert asked.stdout.strip() == "false", asked.stdout + asked.stderr
