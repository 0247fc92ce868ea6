"""OWL reasoning over a knowledge base: HermiT's consistency check and explanations of a clash."""

from __future__ import annotations

from .consistency import ConsistencyReport, Problem, check, find_clashes

__all__ = ["ConsistencyReport", "Problem", "check", "find_clashes"]
