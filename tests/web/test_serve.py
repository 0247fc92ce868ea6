"""``ontomed serve`` as an operator meets it (URL, access log, /-/ pages, clean
stop), and ``create_app`` over an in-memory knowledge base."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest

from ontomed import KnowledgeBase

from tests.conftest import EXAMPLE_TTL
from tests.live_server import build_example_kb, http, live_server


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example_kb(tmp_path_factory.mktemp("web-serve") / "kb")


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_serve_prints_its_url_logs_requests_and_stops_cleanly_on_sigterm(kb_path):
    with live_server(kb_path, "--workers", "2") as server:
        assert http("GET", server.sparql + "?query=ASK%7B%7D").status == 200
        workers = descendants(server.process.pid)
        assert len(workers) >= 2  # the forkserver and its query workers
        code = server.stop()
    assert code == 0
    assert any("GET /sparql?query=ASK%7B%7D HTTP/1.1\" 200" in line for line in server.log)
    assert server.banner.startswith(f"serving {kb_path} at {server.url}") and "read-only" in server.banner
    assert "stopped" in server.log
    deadline = time.monotonic() + 5  # the forkserver ends when it sees the server gone
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in workers if alive(pid)]


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_serve_stops_when_every_process_gets_the_signal(kb_path, signal_name):
    """As `pkill -f 'ontomed serve'` or Ctrl-C in a terminal do: the supervisor and the
    server process both get it (the query workers ignore SIGINT; they end with the server)."""
    import signal as signals

    with live_server(kb_path, "--workers", "2") as server:
        assert http("GET", server.sparql + "?query=ASK%7B%7D").status == 200
        everyone = {server.process.pid} | descendants(server.process.pid)
        for pid in everyone:
            try:
                os.kill(pid, getattr(signals, signal_name))
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        while [pid for pid in everyone if alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in everyone if alive(pid)]
        assert server.process.wait(5) == 0


def test_health_stats_and_plugins(web_server):
    server = web_server
    health = json.loads(http("GET", server.url + "-/health").body)
    assert health["status"] == "ok" and health["engine"]["engine"] == "processes"
    stats = json.loads(http("GET", server.url + "-/stats.json").body)
    assert stats["entities"]["om:Drug"] >= 10 and stats["facts"]["om:treats"] >= 6
    plugins = json.loads(http("GET", server.url + "-/plugins.json").body)
    names = {p["name"] for p in plugins["plugins"]}
    assert "ontomed.default_plugins.extraction" in names
    assert http("GET", server.url + "-/nothing").status == 404


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ontomed.cli", *args],
                          capture_output=True, text=True, timeout=60)


def test_serve_refuses_what_it_cannot_serve(tmp_path, kb_path):
    missing = run_cli("serve", "--kb", str(tmp_path / "nothing"), "--port", "0")
    assert missing.returncode == 2 and "no knowledge base" in missing.stderr
    memory = run_cli("serve", "--kb", ":memory:")
    assert memory.returncode == 2 and "on disk" in memory.stderr
    short = run_cli("serve", "--kb", str(kb_path), "--update-token", "abc")
    assert short.returncode == 2 and "at least 8" in short.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = run_cli("serve", "--kb", str(kb_path), "--port", str(busy.getsockname()[1]))
    assert taken.returncode == 2 and "cannot listen" in taken.stderr
    for result in (missing, memory, short, taken):
        assert "Traceback" not in result.stderr


def test_an_in_memory_knowledge_base_is_served_in_threads():
    from werkzeug.serving import make_server

    from ontomed.web import ServerConfig, create_app

    kb = KnowledgeBase()
    kb.initialize()
    kb.add_entity("metformin", "Drug", "metformin")
    app = create_app(kb, ServerConfig(timeout=5, update_token="token-for-memory"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}/sparql"
        reply = http("GET", url + "?query=ASK%7Bome:metformin%20a%20om:Drug%7D")
        assert bool(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
        update = http("POST", url, "INSERT DATA { ome:aspirin a om:Drug }", {
            "Content-Type": "application/sparql-update", "Authorization": "Bearer token-for-memory"})
        assert update.status == 204
        assert len(list(kb.query("SELECT * { ome:aspirin a om:Drug }"))) == 1
        health = json.loads(http("GET", f"http://127.0.0.1:{server.port}/-/health").body)
        assert health["engine"]["engine"] == "threads"
    finally:
        server.shutdown()
        app.extensions["ontomed"].close()


def test_create_app_takes_over_an_open_knowledge_base_on_disk(tmp_path):
    """The app closes the handle it is given: its worker processes hold the store."""
    from werkzeug.serving import make_server

    from ontomed.web import ServerConfig, create_app

    kb = KnowledgeBase(build_example_kb(tmp_path / "kb"))
    app = create_app(kb, ServerConfig(workers=1))
    assert kb.store is None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        reply = http("GET", f"http://127.0.0.1:{server.port}/sparql?query=ASK%7Bome:metformin%20a%20om:Drug%7D")
        assert bool(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
        health = json.loads(http("GET", f"http://127.0.0.1:{server.port}/-/health").body)
        assert health["engine"]["engine"] == "processes"
    finally:
        server.shutdown()
        app.extensions["ontomed"].close()
    with KnowledgeBase(tmp_path / "kb") as again:  # released: it opens read-write again
        assert len(again) > 0


def test_serve_keeps_the_name_index_beside_the_knowledge_base_for_its_workers(tmp_path):
    """The workers open the store read-only and cannot keep what they build: serve builds the
    index the search box and entity URLs use once, before they start."""
    from ontomed.kb.names import INDEX_VERSION

    kb = build_example_kb(tmp_path / "kb")
    index = kb / "cache" / f"search-index-v{INDEX_VERSION}.pickle"
    assert not index.exists()
    with live_server(kb, "--workers", "1") as server:
        assert index.is_file()
        reply = http("GET", server.url + "search?q=Glucophage&format=json")
        assert json.loads(reply.body)["hits"][0]["iri"].endswith("/metformin")


def test_the_shared_server_cannot_be_written_to(web_server):
    """The session's server (tests/web/conftest.py) is shared by every reader: no test may
    change what the others read, through it (no update token) or behind it (the store lock)."""
    update = {"Content-Type": "application/sparql-update"}
    assert http("POST", web_server.sparql, "CLEAR ALL", update).status == 403
    assert http("PUT", web_server.url + "store?default", "<a:s> <a:p> <a:o> .",
                {"Content-Type": "text/turtle"}).status == 403
    drugs = "SELECT (COUNT(*) AS ?n) WHERE { ?d a om:Drug }"
    before = http("GET", web_server.sparql + "?query=" + urllib.parse.quote(drugs)).body
    result = run_cli("load", "--kb", str(web_server.kb_path), "--force", str(EXAMPLE_TTL))
    assert result.returncode == 2 and result.stderr.startswith("error: "), result.stderr
    assert http("GET", web_server.sparql + "?query=" + urllib.parse.quote(drugs)).body == before
