"""The ontology ontomed ships (``ontologies/ontomed.owl``): where it is installed."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFoundError


def bundled_ontology_path() -> Path:
    """``ontomed.owl`` as installed (inside the wheel) or in a source checkout."""
    here = Path(__file__).resolve().parent.parent  # the ontomed package
    for candidate in (here / "ontologies" / "ontomed.owl", here.parent / "ontologies" / "ontomed.owl"):
        if candidate.is_file():
            return candidate
    raise NotFoundError("the bundled ontology ontomed.owl is missing from this installation")
