"""The web tests' shared server.

``web_server`` is one real ``ontomed serve`` of the example knowledge base for the whole
session, for the tests that only read that knowledge base with the server's usual options
(the SPARQL protocol, the SPARQL clients, the operator's pages). It is started on first use
and stopped after the last test. It holds no update token, so no test can write through it,
and it holds the store's lock, so no test can write to its knowledge base behind its back:
what one test reads, every other test reads too.

A test that writes (SPARQL Update, the Graph Store), that needs data of its own (the
applications' facts, a trained model) or other options (a timeout, a row cap, a crash to
survive) starts its own server with :func:`tests.live_server.live_server`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import LiveServer, build_example_kb, live_server


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A read-only ``ontomed serve --workers 2`` of the example knowledge base."""
    kb = build_example_kb(tmp_path_factory.mktemp("web-shared") / "kb")
    with live_server(kb, "--workers", "2") as server:
        yield server
