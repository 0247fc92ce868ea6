"""Which vocabulary entries name what in English text: drug, drug class, protein, or nothing.

The drug dictionary (drug-named-entity-recognition) lists, beside drugs, the
MeSH descriptors it was compiled from: pharmacological actions ("Angiotensin-
Converting Enzyme Inhibitors", synonym "ACE inhibitors"), chemical classes
("Taxoids", "Tryptamines"), enzymes, receptors and other proteins
("Xanthine Oxidase", "Cytochrome P-450 CYP2C19", "Receptors, Angiotensin").
As drugs they turn a sentence about a drug's target into a ``treats`` fact of
the protein, and a class into a drug. The rules, in order (counts are
reported by ``ontomed vocab import``):

1. **A DrugBank id makes a drug** (insulin, alteplase and trastuzumab are
   proteins, and drugs).
2. **Pharmacological actions are drug classes**: an entry whose MeSH tree
   numbers are all under D27 (chemical actions and uses) is an ``om:DrugClass``.
3. **Proteins are genes**: an entry with a tree number under D08 (enzymes) or
   D12.776 (proteins, receptors included) and none outside the biochemical
   trees (D05, D06, D08, D09, D10, D12, D23) is an ``om:Gene`` (the ontology's
   Gene is "a gene, or the protein it encodes when that is what a drug targets").
4. **Plural chemical groups are drug classes**: an entry named by a plural
   ("Taxoids", "Phosphates") whose tree numbers are all in the chemical trees
   D01-D04.
5. Everything else is a drug.

Names, whatever the entity: a name of one or two characters, or an English
function or common word (:data:`ENGLISH_WORDS`), names nothing in English
text and is not written as a synonym; a label in another language that is an
English word (the thesaurus's French "or", gold) is not written either.
A drug named "low-dose X" or "high-dose X" is the drug X.
"""

from __future__ import annotations

import re
from typing import Any

DRUG, DRUG_CLASS, PROTEIN = "drug", "drug class", "protein"

RULE_DRUGBANK = "drug: has a DrugBank id"
RULE_ACTION = "drug class: a MeSH pharmacological action (all trees under D27)"
RULE_PROTEIN = "gene: an enzyme, receptor or other protein (MeSH D08 or D12.776, no DrugBank id)"
RULE_CHEMICAL_GROUP = "drug class: a plural chemical group (MeSH D01-D04, no DrugBank id)"
RULE_SHORT = "name left out: one or two characters"
RULE_ENGLISH = "name left out: an English function or common word"
RULE_FOREIGN = "label in another language left out: an English word"
RULE_DOSE = "drug: 'low-dose X' / 'high-dose X' is the drug X"

#: Function words and everyday words that some vocabularies carry as brand names,
#: foreign-language names or synonyms ("Today", "Focus", the French "or" for gold).
ENGLISH_WORDS = frozenset("""
a an the and or but if of in on at to for from by with without into onto over under up down out
is are was were be been being am do does did have has had can could may might must shall should will
would not no nor yes all any some each every both few many more most much other such same so than too
very just only also even still yet again ever never always often now then here there when where why how
what which who whom whose this that these those it its he she they them his her their our your my me we
you us one two three four five six seven eight nine ten first second new old high low long short large
small good bad well best better less least man men woman women child children day days week weeks year
years time times today tomorrow night morning plan care cure aid help hope life live joy ease rest sleep
focus balance control relief comfort clear calm free safe sure fast slow strong soft hard gentle natural
pure simple smart easy prime total max min plus ultra active advance boost charge complete essential
extra fresh gold silver iron lead zinc copper salt water oil air fire sun star may june april august
march today allegra alli amber april bonus brand cell chart dose drug drugs form forms level mode note
recurrence combined disease diseases disorder disorders syndrome symptom symptoms sign signs finding
findings abnormality abnormalities
""".split())

_BIOCHEMICAL = ("D05", "D06", "D08", "D09", "D10", "D12", "D23")
_CHEMICAL = ("D01", "D02", "D03", "D04")
_PLURAL = re.compile(r"[a-z]{3,}(?<!ss)(?<!us)(?<!is)s$")
DOSE_QUALIFIER = re.compile(r"^(?:low|high|standard|regular)[- ]dose\s+(.+)$", re.IGNORECASE)


def drug_entry_kind(info: dict[str, Any], label: str) -> tuple[str, str]:
    """(kind, rule) of one entry of the drug dictionary (its data: ids, MeSH tree numbers)."""
    if info.get("drugbank_id"):
        return DRUG, RULE_DRUGBANK
    trees = [t for t in (info.get("mesh_tree") or ()) if t]
    if trees and all(t.startswith("D27") for t in trees):
        return DRUG_CLASS, RULE_ACTION
    tops = {t.split(".")[0] for t in trees}
    if (any(t.startswith(("D08", "D12.776")) for t in trees)
            and all(t.startswith(_BIOCHEMICAL) for t in trees)):
        return PROTEIN, RULE_PROTEIN
    last = label.strip().split(" ")[-1].lower() if label.strip() else ""
    if tops and tops <= set(_CHEMICAL) and _PLURAL.fullmatch(last):
        return DRUG_CLASS, RULE_CHEMICAL_GROUP
    return DRUG, ""


def name_rule(name: str) -> str | None:
    """Why ``name`` is not a name to look for in English text, or None when it is."""
    text = " ".join(name.split())
    if len(text) <= 2:
        return RULE_SHORT
    if text.lower() in ENGLISH_WORDS:
        return RULE_ENGLISH
    return None


def foreign_label_rule(name: str) -> str | None:
    """Why a label in another language is not written, or None when it is."""
    text = " ".join(name.split()).lower()
    if len(text) <= 2 or text in ENGLISH_WORDS:
        return RULE_FOREIGN
    return None
