"""The W3C SPARQL 1.1 Protocol test suite against a live ``ontomed serve``: all 34."""

from __future__ import annotations


import pytest

from tests.live_server import TOKEN, live_server
from tests.needs import missing
from .w3c_protocol import MANIFEST_DIR, load_manifest, run_test

# CI lays shared/ beside the clone, so there a missing manifest is a failure, not a skip.
if not (MANIFEST_DIR / "manifest.ttl").is_file():
    missing(f"the W3C protocol manifest is not at {MANIFEST_DIR} (set ONTOMED_W3C_PROTOCOL)", module=True)

TESTS = load_manifest()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory):
    from ontomed import KnowledgeBase

    path = tmp_path_factory.mktemp("w3c") / "kb"
    KnowledgeBase(path).close()  # an empty store: each test loads its own graphs
    with live_server(path, "--update-token", TOKEN, "--workers", "2") as server:
        yield server.sparql


def test_the_manifest_has_all_34_tests():
    assert len(TESTS) == 34
    assert len({t.name for t in TESTS}) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_w3c_protocol(endpoint, test):
    outcome = run_test(test, endpoint, {"Authorization": f"Bearer {TOKEN}"})
    assert outcome.passed, f"{test.title}: " + "; ".join(outcome.problems)
