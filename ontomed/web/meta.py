"""``/-/``: what a person or a monitor asks a running server about itself."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify

from .. import __version__
from .context import authorize_write, state

bp = Blueprint("meta", __name__, url_prefix="/-")


@bp.route("/health")
def health() -> Response:
    """Alive and able to take queries; answers without touching the store."""
    st = state()
    engine = st.engine.status()
    ok = engine.get("available", True)
    body = {"status": "ok" if ok else "unavailable", "version": __version__,
            "uptime_s": round(time.time() - st.started, 1), "knowledge_base": st.label,
            "engine": engine, "updates": st.config.updates_enabled}
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    return response


@bp.route("/stats.json")
def stats() -> Response:
    """``ontomed stats`` as JSON, computed by a worker and kept until the next write."""
    st = state()
    return jsonify(st.cached("stats", lambda: st.engine.run("stats")))


@bp.route("/backup", methods=["POST"])
def backup() -> Response:
    """Write a backup of the store to a new directory on the server's machine (the update
    token is needed: it writes files). JSON ``{"directory": "/abs/path"}``."""
    from flask import request

    from .errors import HTTPError

    authorize_write()
    data = request.get_json(silent=True)
    directory = data.get("directory") if isinstance(data, dict) else None
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise HTTPError(400, 'send {"directory": "/absolute/path/of/a/new/directory"} as JSON')
    return jsonify(state().engine.run("backup", directory=directory))


@bp.route("/plugins.json")
def plugins() -> Response:
    return jsonify(loaded_plugins())


def loaded_plugins() -> dict[str, Any]:
    """The plugins this server runs with: the same JSON as ``ontomed plugins --json``."""
    from ..plugins import failed_plugins, get_plugins, left_out_plugins

    return {"plugins": [p.to_dict() for p in get_plugins()], "failed": failed_plugins(),
            "not_loaded": left_out_plugins()}
