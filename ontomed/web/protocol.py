"""The SPARQL 1.1 Protocol's parameters, read the same way wherever they are read.

The web process reads them from the URL (GET, POST direct); a URL-encoded form
body is read in the query worker instead (jobs.py), because percent-decoding
megabytes of form in pure Python takes seconds, which in the web process would
hold up every other request. Both use these functions, so they agree on every
message. Nothing here imports Flask: the workers import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl

import pyoxigraph as ox

from . import negotiation
from .errors import HTTPError

Params = dict[str, list[str]]


def one(values: Sequence[str], name: str) -> str:
    """The one non-blank value of a parameter that must be given exactly once."""
    if len(values) != 1:
        raise HTTPError(400, f"exactly one '{name}' parameter is needed, not {len(values)}")
    if not values[0].strip():
        raise HTTPError(400, f"the '{name}' parameter is empty")
    return values[0]


def valid_graphs(values: Sequence[str], name: str) -> list[str]:
    """Graph IRIs from ``default-graph-uri`` and the like, each checked (400 if not an IRI)."""
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise HTTPError(400, f"{name} is not a valid IRI: {value!r}") from None
    return list(values)


#: More fields than any protocol request needs; a body of ten million '&' is refused, not split.
MAX_FORM_FIELDS = 10_000


def form_params(body: bytes, url_params: Iterable[tuple[str, str]] = ()) -> Params:
    """A URL-encoded form body's fields, after the URL's own parameters (UTF-8, blank
    values kept, undecodable bytes replaced: as Werkzeug reads a form)."""
    try:
        fields = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                           encoding="utf-8", errors="replace", max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        raise HTTPError(400, f"the form has more than {MAX_FORM_FIELDS} fields") from None
    params: Params = {}
    for key, value in [*url_params, *fields]:
        params.setdefault(key, []).append(value)
    return params


def formats(accept: str | None, format_param: str | None) -> tuple[str | None, str | None]:
    """The results format and the graph format a request accepts, as file extensions
    (one of them may be None); 406 when it accepts neither."""
    choice = negotiation.choose(accept, format_param)
    if choice.results is None and choice.graph is None:
        raise negotiation.not_acceptable("SPARQL results or an RDF graph",
                                         {**negotiation.RESULT_MEDIA_TYPES,
                                          **negotiation.GRAPH_MEDIA_TYPES})
    return (choice.results.file_extension if choice.results else None,
            choice.graph.file_extension if choice.graph else None)
