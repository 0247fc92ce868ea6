"""Bulk work in memory: the cyclic garbage collector paused while it runs.

Loading a vocabulary build or unpickling a name index creates millions of short-lived
objects (terms, tuples), none of them in a reference cycle. The cyclic collector would
only rescan them again and again (a third of a vocabulary import's time), so the code
that makes them runs inside :func:`no_gc`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The block runs with the cyclic garbage collector off; it is turned back on after
    (if it was on before), whether the block ends or raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
