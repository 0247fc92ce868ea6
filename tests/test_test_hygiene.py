"""The tests themselves: a skip that would hide a broken CI install goes through tests/needs.py,
which fails under CI instead of skipping; no cache lands in the user's home; and no test can
pass having checked nothing (a loop whose assertions never ran, ``all()`` of nothing, a test
without a single check)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
#: Every Python file of the tests: ours and the example plugin's.
PYTHON_FILES = sorted([*HERE.rglob("*.py"), *HERE.parent.glob("plugins/*/tests/*.py")])
TEST_MODULES = [p for p in PYTHON_FILES if p.name.startswith("test_")]
#: A skip that no install can lift: the hardware (a CUDA GPU) decides it.
HARDWARE = re.compile(r"CUDA GPU")
SKIP = re.compile(r"pytest\.skip\(|importorskip\(|mark\.skipif\(")


def test_the_checks_here_read_the_whole_suite():
    """Each check below passes when it finds nothing wrong: it must have had something to read."""
    assert len(TEST_MODULES) >= 45
    assert {p.parent.name for p in TEST_MODULES} >= {"tests", "kb", "ingest", "web", "vocab", "apps"}


def test_every_skip_fails_under_ci():
    found = []
    for path in PYTHON_FILES:
        if path.name in ("needs.py", Path(__file__).name):
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if SKIP.search(line) and not HARDWARE.search(line):
                found.append(f"{path.relative_to(HERE.parent)}:{n}: {line.strip()}")
    assert not found, ("skip through tests/needs.py (missing, need_module, requires), so that CI "
                       "fails instead of passing silently:\n" + "\n".join(found))


def test_the_ci_script_says_it_is_ci():
    """A local run of .ci/run behaves as CI does: the helpers see CI=true."""
    script = (HERE.parent / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^export CI=true$", script, flags=re.M)


def test_no_test_writes_to_the_users_cache(cache_home: Path):
    """Every cache ontomed keeps (the compiled vocabularies, converted models) resolves inside
    the run's temporary cache home (tests/conftest.py), in this process and in the processes
    the tests start (the CLI, ``ontomed serve``), never in ~/.cache/ontomed."""
    from ontomed.describe.generators.language_models import cache_root
    from ontomed.files import cache_dir
    from ontomed.vocab.build import cache_dir as vocab_cache_dir

    script = "from ontomed.files import cache_dir; print(cache_dir())"
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    users = Path.home() / ".cache" / "ontomed"
    for path in (cache_dir(), vocab_cache_dir(), cache_root(), Path(child.stdout.strip())):
        assert path.is_relative_to(cache_home), path
        assert not path.resolve().is_relative_to(users.resolve()), path


# -- a test that would pass having checked nothing ----------------------------------------------
#
# Assertions in a loop over something that turns out empty never run, and all() of nothing is
# true: a search that a bug made return nothing would pass. So in a test, what a `for` loop
# whose body asserts goes over, and what an `all(...)` in an assertion goes over, must be known
# not to be empty: a non-empty literal (written there, in a constant, or in every case of a
# parametrize), or named by an assertion of the same test that runs whenever the loop does
# (`assert hits`, `assert len(rows) == 3`, `assert hits and all(...)`, before or after the
# loop, in no loop of its own) and does not hold for nothing too (not under a `not`, not
# `== []`). Where empty is a fine answer, say so on the line: `# may be empty: <why>`.
# And every test checks something: it asserts, expects an error, or calls a function that
# does (its own module's, the shared test modules', a check_* or assert_* one).

OPT_OUT = "# may be empty:"
WRAPPERS = {"enumerate", "sorted", "reversed", "list", "tuple", "set", "zip", "iter"}
VIEWS = {"items", "values", "keys", "splitlines", "split", "strip"}
CHECKS = {"raises", "warns", "fail"}  # pytest.raises, pytest.warns, pytest.fail
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under ``node``, not entering functions or classes defined there."""
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, SCOPES):
            yield child
            yield from _walk(child)


def _inner(node: ast.expr) -> ast.expr:
    """What an iteration goes over, under enumerate(), sorted(), .items() and the like."""
    while isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in WRAPPERS and node.args:
            node = node.args[0]
        elif isinstance(node.func, ast.Attribute) and node.func.attr in VIEWS:
            node = node.func.value
        else:
            break
    return node


def _literally_non_empty(node: ast.expr | None) -> bool:
    if node is None:
        return False
    node = _inner(node)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(not isinstance(e, ast.Starred) for e in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes)) and bool(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "dict":
            return bool(node.keywords) or any(_literally_non_empty(a) for a in node.args)
        if node.func.id == "range" and node.args and all(isinstance(a, ast.Constant) for a in node.args):
            bounds = [a.value for a in node.args if isinstance(a, ast.Constant)]
            start, stop = (0, bounds[0]) if len(bounds) == 1 else bounds[:2]
            return stop > start
    return False


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr | None]]:
    """Each argument of the test's @pytest.mark.parametrize, with its value in every case."""
    found: dict[str, list[ast.expr | None]] = {}
    for mark in fn.decorator_list:
        if not (isinstance(mark, ast.Call) and ast.unparse(mark.func).endswith("parametrize")
                and len(mark.args) >= 2 and isinstance(mark.args[1], (ast.List, ast.Tuple))):
            continue
        names = mark.args[0]
        if isinstance(names, ast.Constant) and isinstance(names.value, str):
            argnames = [n.strip() for n in names.value.split(",") if n.strip()]
        elif isinstance(names, (ast.List, ast.Tuple)):
            argnames = [e.value for e in names.elts if isinstance(e, ast.Constant)]
        else:
            continue
        for i, name in enumerate(argnames):
            values: list[ast.expr | None] = []
            for case in mark.args[1].elts:
                if isinstance(case, ast.Call) and ast.unparse(case.func).endswith("param"):
                    parts: list[ast.expr] = case.args
                elif len(argnames) == 1:
                    parts = [case]
                else:
                    parts = case.elts if isinstance(case, (ast.Tuple, ast.List)) else []
                values.append(parts[i] if len(parts) == len(argnames) else None)
            found[name] = values
    return found


def _positive(test: ast.AST) -> Iterator[ast.AST]:
    """The parts of an assertion's test that it shows to hold something: not under a ``not``,
    and not in a comparison with an empty literal (``== []``)."""
    empty = ("[]", "()", "{}", "set()", "0")
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return
    if isinstance(test, ast.Compare) and any(ast.unparse(c) in empty for c in test.comparators):
        return
    yield test
    for child in ast.iter_child_nodes(test):
        yield from _positive(child)


def _vacuous(source: str) -> list[str]:
    """``line: code`` of each loop of assertions, or all() in an assertion, over something a test
    does not show to be non-empty."""
    tree = ast.parse(source)
    lines = source.splitlines()
    constants = {t.id: st.value for st in tree.body if isinstance(st, ast.Assign)
                 for t in st.targets if isinstance(t, ast.Name)}
    return [f"{line}: {lines[line - 1].strip()}" for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test")
            for line in _vacuous_in(fn, lines, constants)]


def _vacuous_in(fn: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str],
                constants: dict[str, ast.expr]) -> list[int]:
    params = _parameters(fn)
    loops_around: dict[int, set[int]] = {}  # a node → the loops it is in

    def enclose(node: ast.AST, loops: frozenset[int]) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, SCOPES):
                loops_around[id(child)] = set(loops)
                enclose(child, loops | {id(child)} if isinstance(child, LOOPS) else loops)

    enclose(fn, frozenset())
    asserts = [n for n in _walk(fn) if isinstance(n, ast.Assert)]
    bindings = sorted(((st.lineno, t.id, st.value) for st in _walk(fn) if isinstance(st, ast.Assign)
                       for t in st.targets if isinstance(t, ast.Name)), key=lambda b: b[0])
    found: list[int] = []

    def written(iterable: ast.expr, own: ast.AST) -> bool:
        """Non-empty as written: a literal, a constant, the cases of a parametrize."""
        node = _inner(iterable)
        if _literally_non_empty(node):
            return True
        if isinstance(node, ast.Name):
            if node.id in params:
                return all(_literally_non_empty(v) for v in params[node.id])
            bound = [v for line, name, v in bindings if name == node.id and line < own.lineno]
            return _literally_non_empty(bound[-1] if bound else constants.get(node.id))
        return False

    def known(iterable: ast.expr, own: ast.AST) -> bool:
        if written(iterable, own):
            return True
        # an assertion that runs whenever the loop (or the all()) runs (in no loop of its own),
        # and not a negative one: `assert not {...for c in hits} & known` holds for no hits too
        node = _inner(iterable)
        text, skip = ast.unparse(node), {id(n) for n in ast.walk(own)}
        return any(id(sub) not in skip and ast.unparse(sub) == text
                   for a in asserts if loops_around[id(a)] <= loops_around[id(own)]
                   for sub in _positive(a.test))

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, SCOPES):
                continue
            if isinstance(child, (ast.For, ast.AsyncFor)) and any(isinstance(n, ast.Assert) for n in _walk(child)):
                if OPT_OUT in lines[child.lineno - 1]:
                    continue
                if written(child.iter, child):
                    visit(child)  # a loop over cases: each case's loops must check something too
                elif not known(child.iter, child):
                    found.append(child.lineno)
                # else: a loop over data shown non-empty; its own loops go over what each item
                # holds, which may be nothing
                continue
            visit(child)

    visit(fn)
    for a in (n for n in _walk(fn) if isinstance(n, ast.Assert)):
        if any(OPT_OUT in line for line in lines[a.lineno - 1:a.end_lineno]):
            continue
        for call in ast.walk(a.test):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "all"
                    and call.args and isinstance(call.args[0], (ast.GeneratorExp, ast.ListComp))
                    and not known(call.args[0].generators[0].iter, call)):
                found.append(a.lineno)
    return found


def _checking_functions(tree: ast.Module, imported: set[str]) -> set[str]:
    """The module's functions that assert, raise or fail, directly or through one another."""
    functions = {st.name: st for st in tree.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))}
    checking = set(imported)
    while True:
        more = {name for name, fn in functions.items() if name not in checking and _checks(fn, checking)}
        if not more:
            return checking
        checking |= more


def _checks(fn: ast.AST, helpers: set[str]) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in CHECKS or name in helpers or name.startswith(("check", "assert")):
                return True
    return False


def _helpers_of_the_suite() -> set[str]:
    """The functions of the tests' shared modules (tests/*.py that are not test modules) that check."""
    found: set[str] = set()
    for path in PYTHON_FILES:
        if not path.name.startswith("test_"):
            found |= _checking_functions(ast.parse(path.read_text("utf-8")), set())
    return found


def _unchecked(source: str, helpers: set[str]) -> list[str]:
    """``line: name`` of each test that neither asserts, raises, expects an error, nor calls a
    function that does."""
    tree = ast.parse(source)
    checking = _checking_functions(tree, helpers)
    return [f"{fn.lineno}: {fn.name}" for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test")
            and not _checks(fn, checking)]


def test_no_loop_or_all_of_assertions_can_run_over_nothing():
    found = [f"{path.relative_to(HERE.parent)}:{line}" for path in TEST_MODULES
             for line in _vacuous(path.read_text("utf-8"))]
    assert not found, ("these check nothing when what they go over is empty: assert that it is not "
                       f"(or mark the line '{OPT_OUT} <why>'):\n" + "\n".join(found))


def test_every_test_checks_something():
    helpers = _helpers_of_the_suite()
    assert {"owlapi_check", "missing"} <= helpers  # the shared modules were read
    found = [f"{path.relative_to(HERE.parent)}:{line}" for path in TEST_MODULES
             for line in _unchecked(path.read_text("utf-8"), helpers)]
    assert not found, "these tests check nothing (no assert, no expected error, no checking helper):\n" + \
        "\n".join(found)


# the checks above catch what they promise to: each shape of the defect, planted

PLANTED = {
    "a loop over a search": """
        def test_drugs(kb):
            for hit in search(kb, "aspirin"):
                assert hit.type == "Drug"
    """,
    "all() of a search": """
        def test_drugs(kb):
            assert all(h.type == "Drug" for h in search(kb, "aspirin"))
    """,
    "a loop over a fixture's sample": """
        def test_entities(vocabulary):
            for entity in sorted(vocabulary.entities):
                if entity.kind:
                    assert entity.records
    """,
    "a loop over a parameter that may be empty": """
        @pytest.mark.parametrize("parts", [{"value": 1}, {}])
        def test_parts(parts):
            for key, value in parts.items():
                assert key
    """,
    "all() beside an assertion that holds for nothing too": """
        def test_candidates(result, known):
            assert all(c.score > 0 for c in result.candidates)
            assert not {c.iri for c in result.candidates} & known
    """,
    "non-emptiness asserted only inside another loop": """
        def test_rows(rows):
            for other in ["a", "b"]:
                assert rows
            for row in rows:
                assert row
    """,
}

SOUND = """
    CASES = ["a", "b"]

    @pytest.mark.parametrize("name, parts", [("x", {"value": 1}), pytest.param("y", dict(unit="mg"))])
    def test_sound(kb, name, parts):
        hits = search(kb, "aspirin")
        assert hits
        for hit in hits:
            assert hit.type == "Drug"
        for case in CASES:
            assert case
        for key, value in parts.items():
            assert key
        rows = kb.query("...")
        assert len(rows) == 3 and all(r for r in rows)
        for n, path in enumerate(sorted(kb.files())):
            assert path.exists()
        assert kb.files()
        for hit in search(kb, "zzz"):  # may be empty: no name is close to zzz
            assert hit.score < 50
        for i in range(3):
            assert i < 3
"""


@pytest.mark.parametrize("defect", sorted(PLANTED))
def test_the_check_finds_each_loop_over_nothing(defect: str):
    assert len(_vacuous(textwrap.dedent(PLANTED[defect]))) == 1


def test_the_check_accepts_what_is_shown_non_empty():
    assert _vacuous(textwrap.dedent(SOUND)) == []


def test_the_check_finds_a_test_that_checks_nothing():
    source = textwrap.dedent("""
        def _fetch(kb):
            return kb.query("ASK {}")

        def _expect_true(kb):
            assert _fetch(kb)

        def test_nothing(kb):
            _fetch(kb)

        def test_through_a_helper(kb):
            _expect_true(kb)

        def test_an_error():
            with pytest.raises(ValueError):
                int("x")

        def test_a_shared_check(extractor):
            check_extractor(extractor)
    """)
    assert _unchecked(source, set()) == ["8: test_nothing"]
