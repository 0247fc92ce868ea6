"""Drugs from ``drug-named-entity-recognition``: names, synonyms, DrugBank and MeSH ids.

The package's dictionary (a bz2 pickle) maps about 107k name variants to about
20k canonical drugs, with DrugBank ids, MeSH ids and MeSH tree numbers. It is
read directly: importing the package touches the home directory.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from . import dictionaries, hygiene
from .packages import PACKAGES
from .records import DRUG, DRUG_CLASS, GENE, Record, SourceResult, name_key

DATA_FILE = "drug_ner_dictionary.pkl.bz2"
RULE_SYNONYM = "drug: its name is a synonym of another drug"
#: What each kind of drug-dictionary entry becomes (see :mod:`.hygiene`).
_KINDS = {hygiene.DRUG: (DRUG, ("Drug",)), hygiene.DRUG_CLASS: (DRUG_CLASS, ("DrugClass",)),
          hygiene.PROTEIN: (GENE, ("Gene",))}


def read_dictionary(directory: Path | None = None) -> dictionaries.NerDictionary:
    return dictionaries.read((directory or PACKAGES["drugs"].directory()) / DATA_FILE, "drug")


def drug_key(canonical: str) -> str:
    return "drugs:" + canonical


def load(directory: Path | None = None) -> tuple[SourceResult, list[tuple[str, str, str]]]:
    """Drug records, and the pairs of records that name the same drug (with the rule)."""
    data = read_dictionary(directory)
    canonical_data, variants, names = data.canonical, data.variants, data.names
    result = SourceResult("drugs")
    result.counts["name variants"] = len(variants)

    for canonical in sorted(set(canonical_data) | set(names)):
        info = canonical_data.get(canonical, {})
        label = (info.get("name") or canonical).strip()
        if not label:
            continue
        identifiers: tuple[tuple[str, str], ...] = ()
        if info.get("drugbank_id"):
            identifiers = (("drugbank", info["drugbank_id"]),)
        mesh = (info["mesh_id"],) if info.get("mesh_id") else ()
        what, rule = hygiene.drug_entry_kind(info, label)
        if rule and rule != hygiene.RULE_DRUGBANK:
            result.counts[rule] += 1
        kind, classes = _KINDS[what]
        synonyms = []
        for name in sorted(names.get(canonical, ())):
            left_out = hygiene.name_rule(name)
            if left_out and name_key(name) != name_key(label):
                result.counts[left_out] += 1
            else:
                synonyms.append(name)
        result.records.append(Record(
            key=drug_key(canonical), origin="drugs", kind=kind, classes=classes, label=label,
            synonyms=tuple(synonyms), identifiers=identifiers, mesh_claims=mesh,
            mesh_trees=tuple(info.get("mesh_tree") or ()),
        ))
        if canonical not in canonical_data:
            result.counts["drugs named only by their synonyms"] += 1
    result.counts["records"] = len(result.records)

    # A canonical drug whose own name the dictionary maps to another canonical
    # drug is that drug under another name ("hydrochloride" salts, spellings).
    same: list[tuple[str, str, str]] = []
    known = {r.key for r in result.records}
    for canonical in sorted(canonical_data):
        for other in variants.get(canonical, ()):
            if other != canonical and drug_key(other) in known:
                same.append((drug_key(canonical), drug_key(other), RULE_SYNONYM))
    # The same check on the folded name catches case and punctuation variants.
    by_name: dict[str, set[str]] = defaultdict(set)
    for variant, canonicals in variants.items():
        by_name[name_key(variant)].update(canonicals)
    for canonical in sorted(canonical_data):
        others = by_name.get(name_key(canonical), set()) - {canonical}
        if len(others) == 1:
            other = next(iter(others))
            if drug_key(other) in known:
                same.append((drug_key(canonical), drug_key(other), RULE_SYNONYM))
    # "Low-dose aspirin" is aspirin at a dose, not another drug.
    by_label = {name_key(r.label): r.key for r in result.records if r.kind == DRUG}
    for record in result.records:
        m = hygiene.DOSE_QUALIFIER.match(record.label)
        if record.kind == DRUG and m and name_key(m[1]) in by_label:
            same.append((record.key, by_label[name_key(m[1])], hygiene.RULE_DOSE))
    return result, same
