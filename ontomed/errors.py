"""One error family that the CLI and the web app turn into clear one-line messages.

Library code raises these instead of letting a parser's or a store's exception
escape, so every caller can report the problem the same way: the CLI prints
``error: <message>`` and exits with ``exit_code``; the web app answers
``http_status`` with the message.
"""

from __future__ import annotations


class OntomedError(Exception):
    """Base of every error ontomed reports to a person."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(OntomedError):
    """The user gave us something we cannot use (a file, a query, a flag)."""

    exit_code = 2
    http_status = 400


class RDFSyntaxError(BadInputError):
    """An RDF file or string that does not parse; says where."""

    def __init__(self, message: str, *, source: str | None = None,
                 line: int | None = None, column: int | None = None) -> None:
        self.source, self.line, self.column = source, line, column
        where = source or "input"
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {message}")


class QuerySyntaxError(BadInputError):
    """A SPARQL query or update that does not parse; the parser's message says where."""


class NotFoundError(BadInputError):
    """A named thing (entity, file, knowledge base) does not exist."""

    http_status = 404


class AmbiguousError(BadInputError):
    """A name matches several things; ``candidates`` lists them."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class StoreError(OntomedError):
    """The store cannot be opened or written (locked, corrupt, read-only)."""

    exit_code = 2
    http_status = 503


class ReasonerError(OntomedError):
    """The reasoner could not run (no Java, out of memory): not an inconsistency."""
