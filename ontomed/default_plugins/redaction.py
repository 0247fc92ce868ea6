"""The built-in redactor of clinical notes: Safe Harbor identifiers found by patterns and cues."""

from __future__ import annotations

from ..hookspecs import Register, hookimpl


@hookimpl
def register_redactors(register: Register) -> None:
    from ..ingest.redactors.patterns import PatternRedactor

    register(PatternRedactor())
