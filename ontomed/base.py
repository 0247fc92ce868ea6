"""Compatibility: the component classes now live in :mod:`ontomed.components`; import them
from ``ontomed`` (``from ontomed import Extractor``)."""

from .components import Extractor, Linker, Reader, Redactor, TextGenerator

__all__ = ["Extractor", "Linker", "Reader", "Redactor", "TextGenerator"]
