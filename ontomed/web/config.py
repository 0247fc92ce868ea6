"""Every setting of the web app and its server, with its default, in one place.

``ontomed serve`` builds a :class:`ServerConfig` from its flags and takes each
flag's default from here, so the CLI, ``create_app`` and the docs can never
disagree about what the endpoint does out of the box (architecture.md §8: safe by
default, read-only unless an update token is configured).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import BadInputError

UPDATE_TOKEN_ENV = "ONTOMED_UPDATE_TOKEN"


def _default_workers() -> int:
    """Four, or one per core up to eight. Workers mostly wait (on their pipe, or on a
    client reading a streamed answer), and each one busy with a slow query is one
    fewer for everyone else, so even a two-core machine runs four."""
    return max(4, min(8, os.cpu_count() or 4))


@dataclass(frozen=True)
class ServerConfig:
    """How the endpoint behaves; every field has a safe default."""

    #: Seconds one query, update or page may run before its worker is killed (503).
    timeout: float = 30.0
    #: Most result rows (or triples) one response carries; more is cut and signalled
    #: with the ``Ontomed-Truncated`` header. 0 means no cap.
    max_rows: int = 100_000
    #: Largest request body in bytes (413 above it).
    max_body: int = 16 * 1024 * 1024
    #: Deepest nesting of ``{ ( [`` a query may have; pyoxigraph's parser
    #: overflows its stack on a few thousand nested groups.
    max_depth: int = 100
    #: Query worker processes (each holds the store open read-only).
    workers: int = field(default_factory=_default_workers)
    #: Updates and Graph Store writes need ``Authorization: Bearer <token>``;
    #: ``None`` keeps the endpoint read-only.
    update_token: str | None = None
    #: Origins allowed by CORS for GET and POST; ``("*",)`` allows any.
    cors_origins: tuple[str, ...] = ("*",)
    #: Entity pages also show a paragraph from the text generator (architecture.md §7), every
    #: sentence checked against the graph; off by default (a model per worker).
    generate_descriptions: bool = False
    #: Which registered text generator writes that paragraph (``ontomed plugins`` lists them);
    #: None: the default one (the Transformer generator).
    description_generator: str | None = None
    #: ``SERVICE`` endpoints a query may call; every other ``SERVICE`` is refused.
    service_allowlist: tuple[str, ...] = ()
    #: Query the union of all graphs when a query names no dataset.
    union_default_graph: bool = False
    #: Server: address, port and WSGI threads.
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 8

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise BadInputError(f"timeout must be a positive number of seconds, not {self.timeout}")
        for name in ("max_rows", "max_body", "max_depth", "workers", "threads", "port"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise BadInputError(f"{name} must be a non-negative integer, not {value!r}")
        if self.workers < 1 or self.threads < 1 or self.max_depth < 1:
            raise BadInputError("workers, threads and max_depth must be at least 1")
        if self.update_token is not None and len(self.update_token) < 8:
            raise BadInputError("the update token must be at least 8 characters long")

    @property
    def updates_enabled(self) -> bool:
        return bool(self.update_token)

    def with_changes(self, **changes: Any) -> ServerConfig:
        """A copy with some fields changed; unknown names are an error, not ignored."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise BadInputError(f"unknown server setting(s): {', '.join(unknown)}")
        return replace(self, **changes)
