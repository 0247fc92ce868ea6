"""The SPARQL endpoint and the knowledge base in the browser (architecture.md §8).

    app.py           create_app(kb, config): the Flask app factory
    config.py        ServerConfig: every setting and its default
    sparql.py        /sparql: SPARQL 1.1 Protocol and the service description
    fast.py          GET /sparql?query=… answered without Flask (same functions)
    graph_store.py   /store: the Graph Store HTTP Protocol
    meta.py          /-/health, /-/stats.json, /-/plugins.json
    guard.py         what is refused in a query before the engine sees it (run in the worker)
    negotiation.py   Accept / format → Oxigraph's serializers
    engine.py        where queries run: worker processes (timeouts, crashes)
    worker.py        the body of one worker process
    jobs.py          the work itself, as functions of a KnowledgeBase
    server.py        granian, the access log, clean shutdown
    limits.py        the body cap for chunked requests

Flask is imported on first use of ``create_app``, not with this package, so the
command line reads the settings' defaults without paying for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "ServerConfig":
        from .config import ServerConfig

        return ServerConfig
    raise AttributeError(name)
