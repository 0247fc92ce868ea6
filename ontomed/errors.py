"""One error family that the CLI and the web app turn into clear one-line messages.

Library code raises these instead of letting a parser's or a store's exception
escape, so every caller can report the problem the same way: the CLI prints
``error: <message>`` and exits with ``exit_code``; the web app answers
``http_status`` with the message.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path


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


def file_error(path: str | os.PathLike[str], exc: OSError, action: str = "write") -> BadInputError:
    """An OSError about ``path`` as one line that names the path and says what is wrong
    with it in words: ``cannot write /missing/x.ttl: no such directory /missing``.

    Oxigraph's own I/O errors carry neither the path nor an errno ("No such file
    or directory (os error 2)"), so the reason is read from the exception's type
    and, for a missing file, from the file system.
    """
    target = Path(path)
    code = exc.errno
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        parent = target.parent
        if action in ("write", "create") and not parent.is_dir():
            reason = f"no such directory {parent}"
        else:
            reason = "no such file"
    elif isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        reason = "it is a directory"
    elif isinstance(exc, NotADirectoryError) or code == errno.ENOTDIR:
        reason = "a part of the path is a file, not a directory"
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    else:
        text = exc.strerror or str(exc)
        reason = re.sub(r"\s*\(os error \d+\)$", "", text)
        reason = reason[:1].lower() + reason[1:] if reason[1:2].islower() else reason
    return BadInputError(f"cannot {action} {target}: {reason}")
