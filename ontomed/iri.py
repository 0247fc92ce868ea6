"""Every IRI ontomed mints or relies on, in one place (architecture.md §2, a contract).

Other modules import names from here instead of spelling IRIs out, so a
namespace can never drift between the ontology, the knowledge base, the
SPARQL examples and the exports.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# --- ontomed's own namespaces -------------------------------------------------
ONTOLOGY = "https://w3id.org/ontomed"
OM = "https://w3id.org/ontomed#"
ENTITY = "https://w3id.org/ontomed/entity/"
DOCUMENT = "https://w3id.org/ontomed/document/"
GRAPH = "https://w3id.org/ontomed/graph/"

#: Named graph where reasoner output goes; never mixed into asserted facts.
INFERRED_GRAPH = GRAPH + "inferred"

# --- standard vocabularies ----------------------------------------------------
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"

PREFIXES: dict[str, str] = {
    "om": OM,
    "ome": ENTITY,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
}

# --- classes and properties (architecture.md §2) ---------------------------------------
CLASSES = ("Drug", "Disease", "Symptom", "Gene", "Condition", "Document", "DrugClass")
#: The seven object properties named by the contract.
PROPERTIES = (
    "treats",
    "hasSymptom",
    "hasSideEffect",
    "contraindicatedFor",
    "interactsWith",
    "associatedWith",
    "targets",
)

# Evidence annotation properties (architecture.md §3).
EVIDENCE_TEXT = OM + "evidenceText"
EXTRACTED_BY = OM + "extractedBy"
CONFIDENCE = OM + "confidence"
SOURCE_RECORD = OM + "sourceRecord"
WAS_DERIVED_FROM = PROV + "wasDerivedFrom"
GENERATED_AT_TIME = PROV + "generatedAtTime"
TEMPLATE = OM + "template"
TEMPLATE_PLURAL = OM + "templatePlural"

# --- public identifiers → resolvable IRIs (skos:exactMatch targets) ---------
#: The usual resolvable form of each identifier scheme ontomed records.
IDENTIFIER_PREFIXES: dict[str, str] = {
    "mesh": "http://id.nlm.nih.gov/mesh/",
    "drugbank": "https://go.drugbank.com/drugs/",
    "hpo": "http://purl.obolibrary.org/obo/HP_",
    "omim": "https://omim.org/entry/",
    "orpha": "http://www.orpha.net/ORDO/Orphanet_",
    "decipher": "https://www.deciphergenomics.org/syndrome/",
    "icd10": "http://purl.bioontology.org/ontology/ICD10/",
    "hgnc": "https://identifiers.org/hgnc:",
    "ncbigene": "https://identifiers.org/ncbigene:",
}
_IDENTIFIER_PATTERNS = {
    "mesh": re.compile(r"^[A-Z]\d{6,9}$"),
    "drugbank": re.compile(r"^DB\d{5}$"),
    "hpo": re.compile(r"^\d{7}$"),
    "omim": re.compile(r"^\d{6}$"),
    "orpha": re.compile(r"^\d+$"),
    "decipher": re.compile(r"^\d+$"),
    "icd10": re.compile(r"^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$"),
    "hgnc": re.compile(r"^\d+$"),
    "ncbigene": re.compile(r"^\d+$"),
}


def om(name: str) -> str:
    """The IRI of a term of the ontomed ontology (``om:name``)."""
    return OM + name


def slugify(text: str) -> str:
    """A stable, readable IRI path segment for a name ("Type 2 diabetes" → "type_2_diabetes")."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", norm.lower()).strip("_")
    if not slug:  # a name with no ASCII letters (Chinese, say) still gets a stable IRI
        slug = "h" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return slug


def entity_iri(name_or_iri: str) -> str:
    """The entity IRI for a local name, slug or full IRI (full IRIs pass through)."""
    if is_iri(name_or_iri):
        return name_or_iri
    if name_or_iri.startswith("ome:"):
        return ENTITY + name_or_iri[4:]
    return ENTITY + slugify(name_or_iri)


def document_iri(content: str | bytes) -> str:
    """Documents are identified by a hash of their content, so re-reading one adds nothing."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return DOCUMENT + "sha256-" + hashlib.sha256(data).hexdigest()


def property_iri(name_or_iri: str) -> str:
    """Accepts ``treats``, ``om:treats`` or a full IRI."""
    if is_iri(name_or_iri):
        return name_or_iri
    if name_or_iri.startswith("om:"):
        name_or_iri = name_or_iri[3:]
    return OM + name_or_iri


def class_iri(name_or_iri: str) -> str:
    """Accepts ``Drug``, ``om:Drug``, ``drug`` or a full IRI."""
    if is_iri(name_or_iri):
        return name_or_iri
    if name_or_iri.startswith("om:"):
        name_or_iri = name_or_iri[3:]
    for known in CLASSES:
        if known.lower() == name_or_iri.lower():
            return OM + known
    return OM + name_or_iri


def identifier_iri(scheme: str, value: str) -> str:
    """``identifier_iri("mesh", "D008687")`` → ``http://id.nlm.nih.gov/mesh/D008687``.

    Accepts CURIE-style values too (``HP:0001945``, ``OMIM:222100``, ``HGNC:1884``).
    Raises ``ValueError`` for an unknown scheme or a value of the wrong shape.
    """
    key = scheme.strip().lower().replace("-", "").replace("_", "")
    aliases = {"hp": "hpo", "orphanet": "orpha", "icd": "icd10", "entrez": "ncbigene"}
    key = aliases.get(key, key)
    if key not in IDENTIFIER_PREFIXES:
        known = ", ".join(sorted(IDENTIFIER_PREFIXES))
        raise ValueError(f"unknown identifier scheme {scheme!r} (known: {known})")
    val = value.strip()
    if ":" in val and not is_iri(val):
        val = val.split(":", 1)[1]
    if not _IDENTIFIER_PATTERNS[key].match(val):
        raise ValueError(f"{val!r} is not a valid {key} identifier")
    return IDENTIFIER_PREFIXES[key] + val


def identifier_from_iri(iri: str) -> tuple[str, str] | None:
    """The (scheme, value) pair behind an exactMatch IRI, or None for other IRIs."""
    for scheme, prefix in IDENTIFIER_PREFIXES.items():
        if iri.startswith(prefix):
            return scheme, iri[len(prefix) :]
    return None


def is_iri(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text)) or text.startswith("urn:")


def shorten(iri: str) -> str:
    """``https://w3id.org/ontomed#treats`` → ``om:treats`` (for display only)."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and re.fullmatch(r"[A-Za-z0-9_.-]*", iri[len(ns) :]):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def sparql_prefixes() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
