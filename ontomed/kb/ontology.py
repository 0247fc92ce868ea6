"""The ontology ontomed ships (``ontologies/ontomed.owl``): where it is installed, and which
version a store holds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .. import iri as I
from ..errors import NotFoundError

if TYPE_CHECKING:
    from .backend import Backend

_VERSION_INFO = ox.NamedNode(I.OWL + "versionInfo")


def bundled_ontology_path() -> Path:
    """``ontomed.owl`` as installed (inside the wheel) or in a source checkout."""
    here = Path(__file__).resolve().parent.parent  # the ontomed package
    for candidate in (here / "ontologies" / "ontomed.owl", here.parent / "ontologies" / "ontomed.owl"):
        if candidate.is_file():
            return candidate
    raise NotFoundError("the bundled ontology ontomed.owl is missing from this installation")


def store_version(store: Backend) -> str | None:
    """The ``owl:versionInfo`` of the ontology a store holds (None: no ontology, or no stamp)."""
    for q in store.quads_for_pattern(ox.NamedNode(I.ONTOLOGY), _VERSION_INFO, None, ox.DefaultGraph()):
        return q.object.value
    return None
