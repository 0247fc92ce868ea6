"""The Flask app factory (architecture.md §8)."""

from __future__ import annotations

import os

from flask import Flask
from flask_cors import CORS

from ..kb import KnowledgeBase
from . import apps, browser, graph_store, meta, sparql
from .config import ServerConfig
from .context import MESSAGE_HEADER, TRUNCATED_HEADER, WebState
from .engine import open_engine
from .errors import register_error_handlers
from .fast import FastQueries
from .limits import BodyLimit

BLUEPRINTS = (sparql.bp, graph_store.bp, meta.bp, browser.bp, apps.bp)


def create_app(kb: KnowledgeBase | str | os.PathLike[str],
               config: ServerConfig | None = None) -> Flask:
    """A WSGI app serving ``kb``: SPARQL, the Graph Store, the query page and
    entity pages, metadata.

    ``kb`` is a knowledge base directory or a :class:`KnowledgeBase`. One on
    disk is served by worker processes (see :mod:`ontomed.web.engine`), and
    since only one process at a time may hold the store, the app closes the
    handle it is given and holds the store itself until
    ``app.extensions["ontomed"].close()``. An in-memory one is queried in
    threads of this process. Plugins add their routes through the
    ``register_routes(app)`` hook.

    Worker processes start from a forkserver, which imports the script that
    called this: a script that builds the app at import time must do it under
    ``if __name__ == "__main__":`` (as with any multiprocessing program).
    """
    config = config or ServerConfig()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_body  # a form's query field may be that long too
    # Flask's documented switches of its default JSON provider, which the JSONProvider base
    # class that app.json is typed as does not declare
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    label = ":memory:" if isinstance(kb, KnowledgeBase) and kb.in_memory else str(
        kb.path if isinstance(kb, KnowledgeBase) else kb)
    app.extensions["ontomed"] = st = WebState(config, open_engine(kb, config), label)
    # WSGI middleware the way Flask documents it: wrapping app.wsgi_app (a method, to mypy)
    app.wsgi_app = FastQueries(BodyLimit(app.wsgi_app, config.max_body), st)  # type: ignore[method-assign]
    CORS(app, origins=list(config.cors_origins), methods=["GET", "POST", "HEAD", "OPTIONS"],
         allow_headers=["Content-Type", "Accept", "Authorization"],
         expose_headers=[TRUNCATED_HEADER, MESSAGE_HEADER], max_age=3600)
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    from ..plugins import get_plugin_manager

    get_plugin_manager().hook.register_routes(app=app)
    return app
