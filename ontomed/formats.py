"""Names of RDF and SPARQL-results formats, mapped onto Oxigraph's own.

One table so the CLI, the Python API and (later) the endpoint's content
negotiation agree on what ``ttl`` or ``application/sparql-results+json`` means.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .errors import BadInputError

#: user-facing names → Oxigraph RDF formats (``owl`` files are RDF/XML).
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
    "n-quads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "xml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf/xml": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json-ld": ox.RdfFormat.JSON_LD,
    "n3": ox.RdfFormat.N3,
}

#: file extensions → format names
_EXTENSIONS = {
    ".ttl": "ttl",
    ".turtle": "ttl",
    ".nt": "nt",
    ".ntriples": "nt",
    ".nq": "nq",
    ".nquads": "nq",
    ".trig": "trig",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".owx": None,  # OWL/XML: not an RDF syntax; say so instead of guessing
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".n3": "n3",
}

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def rdf_format(name: str) -> ox.RdfFormat:
    """The Oxigraph format for a user-facing name or media type; BadInputError otherwise."""
    key = name.strip().lower()
    if key in RDF_FORMATS:
        return RDF_FORMATS[key]
    by_media = ox.RdfFormat.from_media_type(key)
    if by_media is not None:
        return by_media
    known = "ttl, nt, nq, trig, xml (rdf, owl), jsonld, n3"
    raise BadInputError(f"unknown RDF format {name!r} (known: {known})")


def guess_rdf_format(path: str | Path) -> ox.RdfFormat:
    """The RDF format a file's extension names (``.gz`` is not unpacked)."""
    suffix = Path(path).suffix.lower()
    if suffix in _EXTENSIONS:
        name = _EXTENSIONS[suffix]
        if name is None:
            raise BadInputError(
                f"{path}: OWL/XML ({suffix}) is not supported; save it as RDF/XML or Turtle"
            )
        return RDF_FORMATS[name]
    raise BadInputError(
        f"{path}: cannot tell the RDF format from the extension {suffix or '(none)'!r}; "
        "pass --format (ttl, nt, nq, trig, xml, jsonld)"
    )


def result_format(name: str) -> ox.QueryResultsFormat:
    key = name.strip().lower()
    if key in RESULT_FORMATS:
        return RESULT_FORMATS[key]
    raise BadInputError(f"unknown results format {name!r} (known: json, xml, csv, tsv, table)")
