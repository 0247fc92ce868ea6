"""What every blueprint shares: the app's state, the update check, and how an
engine's answer becomes an HTTP response."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, request

from .config import ServerConfig
from .engine import Engine
from .errors import HTTPError
from .jobs import Outcome

TRUNCATED_HEADER = "Ontomed-Truncated"
MESSAGE_HEADER = "Ontomed-Message"


@dataclass
class WebState:
    """Kept in ``app.extensions["ontomed"]``: never in module globals."""

    config: ServerConfig
    engine: Engine
    label: str
    started: float = field(default_factory=time.time)
    cache: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def cached(self, key: str, compute: Any) -> Any:
        """``compute()``, remembered until the next write to the store."""
        hit = self.cache.get(key)
        if hit is not None and hit[0] == self.engine.generation:
            return hit[1]
        value = compute()
        self.cache[key] = (self.engine.generation, value)
        return value

    def close(self) -> None:
        self.engine.close()


def state() -> WebState:
    return current_app.extensions["ontomed"]


def authorize_write() -> None:
    """Writes need the configured token as ``Authorization: Bearer``; 403 otherwise."""
    token = state().config.update_token
    if not token:
        raise HTTPError(403, "this endpoint is read-only: updates are enabled only when the server "
                        "is started with --update-token (or ONTOMED_UPDATE_TOKEN)")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPError(403, "writes need the header 'Authorization: Bearer <update token>' "
                        "with the token the server was started with")


def outcome_response(outcome: Outcome) -> Response:
    response = Response(outcome.body, content_type=outcome.media_type)
    response.vary.add("Accept")
    response.headers.extend(truncation_headers(outcome, state().config.max_rows))
    return response


def truncation_headers(outcome: Outcome, max_rows: int) -> list[tuple[str, str]]:
    """The headers that say a result was cut at the row cap (none when it was not)."""
    if not outcome.truncated:
        return []
    return [(TRUNCATED_HEADER, f"max-rows={max_rows}"),
            (MESSAGE_HEADER, (f"result cut at {max_rows} rows (the server's --max-rows); "
                              "use LIMIT and OFFSET to page through the rest"))]
