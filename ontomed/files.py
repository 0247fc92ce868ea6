"""Files ontomed writes outside the store: written whole or not at all, and where caches live.

A reader (a second process, a server's query worker) must never see half a file, and a
process killed while writing must leave the previous file, not a truncated one: every
file is written beside its target under a temporary name and moved over it in one
``os.replace``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """A file to write ``path``'s new content to; it replaces ``path`` when the block ends
    without an error, and is removed when it raises."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        f: IO[Any] = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8")
        with f:
            yield f
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | os.PathLike[str], data: Any, **options: Any) -> None:
    """``json.dump(data, …, **options)`` to ``path``, atomically."""
    with atomic_write(path, "w") as f:
        json.dump(data, f, **options)


def write_pickle(path: str | os.PathLike[str], data: Any) -> None:
    """``pickle.dump(data)`` to ``path``, atomically."""
    with atomic_write(path, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)


def cache_dir(*parts: str) -> Path:
    """ontomed's folder in the user's cache directory (``$XDG_CACHE_HOME/ontomed``, else
    ``~/.cache/ontomed`` on Linux; the platform's usual place elsewhere), plus ``parts``."""
    from platformdirs import user_cache_path

    return user_cache_path("ontomed", appauthor=False).joinpath(*parts)
