"""The bundled vocabularies, registered through the hook a third party's vocabulary uses."""

from __future__ import annotations

from ..hookspecs import Register, hookimpl


@hookimpl
def register_vocabularies(register: Register) -> None:
    from ..vocab.sources import BUNDLED

    for source in BUNDLED:
        register(source())
