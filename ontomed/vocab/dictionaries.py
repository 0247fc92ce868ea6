"""The dictionary format of the two Fast Data Science NER packages (drugs, diseases).

Each bundles one bz2 pickle: ``<kind>_canonical_to_data`` (a canonical name →
its data: name, ids, MeSH tree numbers) and ``<kind>_variant_to_canonical``
(every name variant → the canonical names it stands for).
"""

from __future__ import annotations

import bz2
import pickle
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NerDictionary:
    canonical: dict[str, dict[str, Any]]   # canonical name → data
    variants: dict[str, list[str]]         # variant → canonical names
    names: dict[str, list[str]]            # canonical name → its variants


def read(path: Path, kind: str) -> NerDictionary:
    """``kind`` is ``"drug"`` or ``"disease"``, the prefix of the pickle's keys."""
    with bz2.open(path, "rb") as f:
        data = pickle.load(f)  # noqa: S301 - the package's own bundled data file
    variants: dict[str, list[str]] = data[f"{kind}_variant_to_canonical"]
    names: dict[str, list[str]] = defaultdict(list)
    for variant, canonicals in variants.items():
        if variant.strip():
            for canonical in canonicals:
                names[canonical].append(variant)
    return NerDictionary(data[f"{kind}_canonical_to_data"], variants, dict(names))
