"""Inspect SPARQL text before the engine sees it.

pyoxigraph cannot be told to skip ``SERVICE`` (it fetches the URL, even one on
loopback), ``LOAD`` reads URLs, and its recursive-descent parser overflows the
stack and kills the process on a few thousand nested groups. None of that can
be switched off in its Python API, so the endpoint reads the query first.

The reader is a lexer (:func:`ontomed.kb.query_text.tokens`), not a parser: it splits the text into the tokens the
SPARQL grammar defines (strings, IRIs, comments, prefixed names with their
escapes, variables, brackets, keywords) and looks at keywords outside strings,
IRIs and comments. It only has to be right for text that Oxigraph itself would
accept (a query it rejects is never run), and where the two could disagree it
errs on the side of seeing a keyword. ``FROM`` / ``FROM NAMED`` are allowed:
Oxigraph resolves them against graphs in the store and never dereferences them
(tested against a loopback canary).

It also does the one rewrite the protocol needs that pyoxigraph's API lacks:
``using-graph-uri`` / ``using-named-graph-uri`` become ``USING`` clauses.

It runs in the query worker, just before Oxigraph (jobs.py), not in the web
process: reading megabytes of text is seconds of Python, which must cost the
request its own deadline and never hold up the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from ..kb.query_text import Token, tokens
from .errors import HTTPError

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: The nesting a query may have when no one says otherwise (ServerConfig.max_depth).
DEFAULT_MAX_DEPTH = 100


@dataclass(frozen=True)
class Inspection:
    """What the endpoint needs to know about a query or update before running it."""

    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE for a query; None for an update
    depth: int
    services: tuple[str, ...]  # SERVICE targets (IRIs, or "?var" for a variable one)


def inspect(text: str, *, max_depth: int, allowed_services: Sequence[str] = (),
            update: bool = False) -> Inspection:
    """Refuse what must never reach the engine; returns what was found.

    Raises :class:`HTTPError`: 400 for nesting deeper than ``max_depth``,
    403 for ``SERVICE`` to an endpoint not in ``allowed_services`` and for
    ``LOAD`` in an update. One pass, no list of tokens, and it stops at the
    first refusal: a 16 MiB wall of brackets costs as much as its first
    ``max_depth + 1`` of them.
    """
    depth = 0
    services: list[str] = []
    form = None
    pending: list[Token] | None = None  # the tokens after a SERVICE keyword, until its target
    for tok in tokens(text):
        depth = max(depth, tok.depth + (tok.kind == "open"))
        if depth > max_depth:
            raise HTTPError(400, f"the query nests {{ }} / ( ) / [ ] groups more than {max_depth} "
                            f"deep; this endpoint accepts at most {max_depth}")
        if pending is not None:
            if tok.keyword == "SILENT" and not pending:
                pending.append(tok)
                continue
            _check_service(_target(tok), allowed_services, services)
            pending = None
            continue
        kw = tok.keyword
        if kw == "SERVICE":
            pending = []
        elif kw == "LOAD" and update:
            raise HTTPError(403, "LOAD refused: this endpoint does not read URLs or files")
        elif kw in QUERY_FORMS and form is None and tok.depth == 0 and not update:
            form = kw
    if pending is not None:
        _check_service("(nothing)", allowed_services, services)
    return Inspection(form, depth, tuple(services))


def _check_service(target: str, allowed: Sequence[str], seen: list[str]) -> None:
    seen.append(target)
    if target not in allowed:
        raise HTTPError(403, f"SERVICE {target} refused: this endpoint does not call "
                        "other endpoints unless they are allow-listed")


def _target(tok: Token) -> str:
    return tok.text[1:-1] if tok.kind == "iri" else tok.text


# -- the protocol's USING graphs ----------------------------------------------

def add_using(update: str, default_graphs: Sequence[str], named_graphs: Sequence[str]) -> str:
    """Apply ``using-graph-uri`` / ``using-named-graph-uri`` to every
    ``INSERT``/``DELETE … WHERE`` operation as ``USING`` clauses.

    The ``DELETE WHERE { P }`` shorthand has no room for ``USING`` in the
    grammar; SPARQL 1.1 Update §3.1.3.3 defines it as ``DELETE { P } WHERE { P }``,
    so that is what it becomes, with the clauses (P holds no blank nodes there:
    the grammar forbids them in both forms). An operation that names its own
    dataset (``WITH`` or ``USING``) conflicts with the protocol's and is refused
    (400), as SPARQL 1.1 Protocol §2.2.3 says.
    """
    if not default_graphs and not named_graphs:
        return update
    clause = " ".join(
        [f"USING {_iri(g)}" for g in default_graphs] + [f"USING NAMED {_iri(g)}" for g in named_graphs]
    ) + " "
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied back to front
    for op in _operations(list(tokens(update))):
        words = [t.keyword for t in op if t.depth == 0 and t.keyword]
        if "WITH" in words or "USING" in words:
            raise HTTPError(400, "the update names its dataset (WITH or USING) and the request "
                            "gives using-graph-uri / using-named-graph-uri: use one or the other")
        shorthand = _delete_where(op)
        if shorthand is not None:
            delete, opening, closing = shorthand
            pattern = update[opening.start : closing.start + 1]
            edits.append((delete.start, closing.start + 1, f"DELETE {pattern} {clause}WHERE {pattern}"))
        elif _is_modify(op):
            where = next((t for t in op if t.depth == 0 and t.keyword == "WHERE"), None)
            if where is not None:
                edits.append((where.start, where.start, clause))
    for start, end, text in sorted(edits, reverse=True):
        update = update[:start] + text + update[end:]
    return update


def _delete_where(op: list[Token]) -> tuple[Token, Token, Token] | None:
    """``DELETE WHERE { … }``: the DELETE token and the pattern's braces, or None."""
    for i, tok in enumerate(op):
        if tok.depth == 0 and tok.keyword not in (None, "PREFIX", "BASE"):
            if tok.keyword != "DELETE" or i + 2 >= len(op) or op[i + 1].keyword != "WHERE":
                return None
            opening = op[i + 2]
            if opening.text != "{":
                return None
            closing = next((t for t in op[i + 3:] if t.depth == 0 and t.text == "}"), None)
            return (tok, opening, closing) if closing is not None else None
    return None


def _is_modify(op: list[Token]) -> bool:
    """INSERT/DELETE … WHERE, not INSERT DATA, DELETE DATA or the DELETE WHERE shorthand."""
    for i, tok in enumerate(op):
        if tok.depth == 0 and tok.keyword in ("INSERT", "DELETE"):
            after = op[i + 1].keyword if i + 1 < len(op) else None
            return after != "DATA" and not (tok.keyword == "DELETE" and after == "WHERE")
        if tok.depth == 0 and tok.keyword not in (None, "PREFIX", "BASE"):
            return False
    return False


def _operations(toks: list[Token]) -> Iterator[list[Token]]:
    op: list[Token] = []
    for tok in toks:
        if tok.depth == 0 and tok.text == ";":
            yield op
            op = []
        else:
            op.append(tok)
    if op:
        yield op


def _iri(value: str) -> str:
    try:
        return str(ox.NamedNode(value))
    except ValueError:
        raise HTTPError(400, f"not a valid graph IRI: {value!r}") from None
