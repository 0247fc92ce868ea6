"""Names of RDF and SPARQL-results formats, mapped onto Oxigraph's own.

One table so the CLI, the Python API and (later) the endpoint's content
negotiation agree on what ``ttl`` or ``application/sparql-results+json`` means.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from ..errors import BadInputError

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


# -- RDF/XML that would take a parser down --------------------------------------------------

#: Most an RDF/XML document's entity references may add once expanded (bytes).
MAX_ENTITY_EXPANSION = 16 * 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s>]+)\s+(SYSTEM|PUBLIC)?\s*(\"[^\"]*\"|'[^']*')", re.S)
_ENTITY_REF = re.compile(rb"&([A-Za-z_][\w.-]*);")
_PREDEFINED = {b"lt", b"gt", b"amp", b"apos", b"quot"}


def check_rdf_xml(source: bytes | Path, name: str) -> None:
    """Refuse RDF/XML that a parser would choke on, before Oxigraph reads it.

    Oxigraph's RDF/XML parser expands the entities a document declares (700 bytes
    of nested entities became a 100 MB literal here in a second: one level more,
    a gigabyte) and slows down quadratically with nesting depth (200,000 nested
    elements did not finish in ten minutes). So: external and parameter entities
    are refused (a file read, a fetch); an entity whose value refers to another
    (the nesting a "billion laughs" needs) is refused; the references' total
    expansion is capped (:data:`MAX_ENTITY_EXPANSION`); and the document must be
    well-formed XML no deeper than libxml2's default limit (256 elements), which
    lxml checks in one streaming pass without expanding anything. OWL files that
    declare prefix entities (``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``,
    as Protégé writes them) pass.
    """
    import io

    from lxml import etree

    def chunks() -> Iterator[bytes]:
        if isinstance(source, bytes):
            yield source
            return
        with open(source, "rb") as f:
            while block := f.read(1 << 20):
                yield block

    head = source[:65536] if isinstance(source, bytes) else _head(source)
    prolog = head[: head.find(b"]>") + 2] if b"<!DOCTYPE" in head else b""
    values: dict[bytes, int] = {}
    for m in _ENTITY_DECL.finditer(prolog):
        parameter, entity, external, value = m.groups()
        label = entity.decode(errors="replace")
        if parameter or external:
            raise BadInputError(f"{name}: declares an external or parameter entity ({label}); "
                                "ontomed reads no file or URL an RDF document points to")
        body = value[1:-1]
        if any(ref not in _PREDEFINED for ref in _ENTITY_REF.findall(body)):
            raise BadInputError(f"{name}: the entity {label} refers to another entity "
                                "(nested entities can expand without bound)")
        values[entity] = len(body)
    if values:
        growth, tail = 0, b""
        for block in chunks():  # a reference cut by a block boundary is counted in the next one
            data = tail + block
            cut = data.rfind(b"&")
            cut = cut if cut != -1 and b";" not in data[cut:] else len(data)
            growth += sum(values.get(ref, 0) for ref in _ENTITY_REF.findall(data[:cut]))
            tail = data[cut:]
        growth += sum(values.get(ref, 0) for ref in _ENTITY_REF.findall(tail))
        if growth > MAX_ENTITY_EXPANSION:
            raise BadInputError(f"{name}: its entity references expand to {growth:,} bytes "
                                f"(at most {MAX_ENTITY_EXPANSION:,})")
    stream = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        for _event, element in etree.iterparse(stream, events=("end",), resolve_entities=False,
                                               load_dtd=False, no_network=True, huge_tree=False):
            element.clear()
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):
            raise BadInputError(f"{name}: elements nested more than 256 deep, line {exc.lineno}; "
                                "ontomed refuses such RDF/XML (parsing it slows down quadratically)") from None
        raise BadInputError(f"{name}: not well-formed XML: {exc}") from None


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(65536)
