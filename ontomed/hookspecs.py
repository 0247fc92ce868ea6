"""The hooks a plugin can implement (architecture.md §5, a contract). Nothing else lives here.

Every hook is called with keyword arguments; an implementation may accept a
subset of them, never with defaults (pluggy does not pass defaulted arguments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import flask

hookspec = pluggy.HookspecMarker("ontomed")
hookimpl = pluggy.HookimplMarker("ontomed")

#: ``register(component, aliases=())``: the callable every register_* hook receives.
Register = Callable[..., None]


@hookspec
def register_extractors(register: Register) -> None:
    """Register :class:`ontomed.components.Extractor` instances: ``register(MyExtractor())``."""


@hookspec
def register_text_generators(register: Register) -> None:
    """Register :class:`ontomed.components.TextGenerator` instances."""


@hookspec
def register_readers(register: Register) -> None:
    """Register :class:`ontomed.components.Reader` instances (text, JSON Lines, PubMed XML, …)."""


@hookspec
def register_linkers(register: Register) -> None:
    """Register :class:`ontomed.components.Linker` instances (mention → ontology IRI)."""


@hookspec
def register_redactors(register: Register) -> None:
    """Register :class:`ontomed.Redactor` instances: they find the identifiers that are
    removed from clinical notes before anything from them is stored."""


@hookspec
def register_vocabularies(register: Register) -> None:
    """Register :class:`ontomed.VocabularySource` instances: the vocabularies ``ontomed vocab
    import`` reads (the four bundled ones register themselves through this hook)."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``ontomed`` command line: decorate functions with ``@cli.command()``."""


@hookspec
def register_routes(app: flask.Flask) -> Any:
    """Add routes to the web app, for example by registering a Flask blueprint."""
