"""ontomed-example-extractor: doses in clinical text, as an ontomed plugin.

The whole plugin is the hook below: ontomed finds this module through the
``ontomed`` entry point in pyproject.toml, and calls ``register_extractors``
when it collects extractors. ``ontomed plugins`` lists it;
``ontomed extract --extractors dosage "..."`` runs it.
"""

from __future__ import annotations

from ontomed import Register, hookimpl

from .dosage import DosageExtractor, DosageMention, find_doses

__all__ = ["DosageExtractor", "DosageMention", "find_doses", "register_extractors"]
__version__ = "0.1.0"


@hookimpl
def register_extractors(register: Register) -> None:
    register(DosageExtractor())
