"""Curated names that every clinical text uses and the vocabularies lack, and the
endogenous substances that are lab values rather than drugs.

Small tables, each entry with the vocabulary record it joins; the counts of what
each rule did are reported by ``ontomed vocab import`` (and listed in
ontologies/SOURCES.md).

1. :data:`TOXICITIES`: organ toxicities named as nouns in drug labels and reviews
   ("hepatotoxicity is a known risk with ...", "nephrotoxicity and ototoxicity").
   Sources: the MeSH scope note of *Chemical and Drug Induced Liver Injury* (D056486)
   and NIH LiverTox, which use "hepatotoxicity" and "liver injury" for it; *Ototoxicity*
   and *Cardiotoxicity* (MeSH D000081015, D066126); nephrotoxicity as MeSH and the
   FDA labels of aminoglycosides and cisplatin use it. Typed ``Disease`` (drug-induced
   injuries, data/eval/README.md).
2. :data:`TARGETS`: the names pharmacology texts give the proteins that common drug
   classes act on ("angiotensin-converting enzyme", "mu-opioid receptor", "COX-2",
   "HMG-CoA reductase", "P2Y12", "HER2"), where the MeSH heading is inverted or
   formal ("Receptors, Opioid, mu", "Peptidyl-Dipeptidase A", "Cyclooxygenase 2").
   Sources: the MeSH headings named (their entry terms and scope notes) and the
   mechanism-of-action sections of the FDA labels of the drug classes in the WHO Model
   List of Essential Medicines. Typed ``Gene`` (the ontology's Gene is the gene or the
   protein it encodes when a drug targets it).
3. :data:`CLINICAL_NAMES`: condition names that labels and guidelines use and the
   vocabularies write otherwise ("renal impairment", HFrEF, "peptic ulcer disease"), sources
   named at the table.
4. :data:`ENDOGENOUS`: substances the body makes that clinical text names as lab
   values ("raises cholesterol", "lowers serum uric acid", "blood glucose"): the drug
   dictionary lists them because DrugBank has a record for each (as a nutraceutical or
   an experimental compound). They are not drug names in English text: the record and
   any drug's synonym with that name are left out. Salts and supplements that are given
   as drugs (potassium chloride, calcium, sodium bicarbonate, iron) are not listed and
   stay drugs; so do hormones given as drugs under the same name (insulin, hydrocortisone).

A name joins the first record whose label equals one of ``joins`` (case and punctuation
aside) and whose kind matches; an entry whose record no source has becomes a record of
its own, origin ``curated`` (written with the MeSH-based ``diseases`` source).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from .records import CONDITION, DRUG, GENE, Record, name_key

RULE_JOINED = "curated names: added to a vocabulary record"
RULE_NEW = "curated names: a record of their own (no vocabulary has the concept)"
RULE_ENDOGENOUS = "drug: an endogenous substance named as a lab value (listed), left out"
RULE_ENDOGENOUS_NAME = "name left out: an endogenous substance named as a lab value (listed)"


@dataclasses.dataclass(frozen=True)
class Curated:
    label: str                 #: the label of a record of its own, when none joins
    kind: str
    classes: tuple[str, ...]
    joins: tuple[str, ...]     #: labels of the vocabulary record it joins, first found wins
    names: tuple[str, ...]


def _c(label: str, joins: tuple[str, ...], *names: str) -> Curated:
    return Curated(label, CONDITION, ("Disease",), joins, names)


def _g(label: str, joins: tuple[str, ...], *names: str) -> Curated:
    return Curated(label, GENE, ("Gene",), joins, names)


TOXICITIES: tuple[Curated, ...] = (
    _c("Hepatotoxicity", ("Chemical and Drug Induced Liver Injury",),
       "hepatotoxicity", "liver injury", "liver toxicity", "hepatic injury", "liver damage",
       "drug-induced hepatotoxicity"),
    _c("Nephrotoxicity", (), "nephrotoxicity", "kidney toxicity", "renal toxicity",
       "drug-induced nephrotoxicity"),
    _c("Ototoxicity", ("Ototoxicity",), "ototoxicity", "ototoxic hearing loss"),
    _c("Cardiotoxicity", ("Cardiotoxicity",), "cardiotoxicity", "cardiac toxicity"),
)

def _s(label: str, joins: tuple[str, ...], *names: str) -> Curated:
    return Curated(label, CONDITION, ("Symptom",), joins, names)


#: Names of conditions that labels, guidelines and case reports use and the vocabularies
#: write otherwise: FDA labels' "renal impairment" (MeSH Renal Insufficiency), the ESC and
#: ACC/AHA heart-failure guidelines' HFrEF / HFpEF (MeSH Heart Failure, Systolic /
#: Diastolic), "peptic ulcer disease", "hypersensitivity reaction" (MeSH Drug
#: Hypersensitivity), "hereditary hemochromatosis", and two findings HPO names otherwise
#: ("sensitivity to light": Photophobia) or not at all ("sputum production", GOLD's COPD report).
CLINICAL_NAMES: tuple[Curated, ...] = (
    _c("Renal impairment", ("Renal insufficiency",), "renal impairment", "kidney impairment",
       "impaired renal function", "impaired kidney function"),
    _c("Peptic ulcer disease", ("Peptic Ulcer",), "peptic ulcer disease"),
    _c("Heart failure with reduced ejection fraction", ("Heart Failure, Systolic",),
       "heart failure with reduced ejection fraction", "HFrEF"),
    _c("Heart failure with preserved ejection fraction", ("Heart Failure, Diastolic",),
       "heart failure with preserved ejection fraction", "HFpEF"),
    _c("Hypersensitivity reaction", ("Drug Hypersensitivity",), "hypersensitivity reaction",
       "hypersensitivity reactions", "drug hypersensitivity reaction"),
    _c("Hereditary hemochromatosis", ("Hemochromatosis",), "hereditary hemochromatosis",
       "hereditary haemochromatosis"),
    _s("Photophobia", ("Photophobia",), "sensitivity to light", "light sensitivity"),
    _s("Sputum production", (), "sputum production"),
)

TARGETS: tuple[Curated, ...] = (
    _g("Angiotensin-converting enzyme", ("Peptidyl-Dipeptidase A", "ACE"),
       "angiotensin-converting enzyme", "angiotensin converting enzyme"),
    _g("Mu-opioid receptor", ("Receptors, Opioid, mu", "OPRM1"),
       "mu-opioid receptor", "mu-opioid receptors", "mu opioid receptor", "μ-opioid receptor"),
    _g("Beta-adrenergic receptors", ("Receptors, Adrenergic, beta",),
       "beta-adrenergic receptors", "beta-adrenergic receptor", "beta-adrenoceptors",
       "beta-adrenoceptor", "β-adrenergic receptors", "beta receptors"),
    _g("Beta-1 adrenergic receptor", ("Receptors, Adrenergic, beta-1", "ADRB1"),
       "beta-1 adrenergic receptor", "beta-1 adrenergic receptors", "beta1-adrenoceptors",
       "beta-1 receptors"),
    _g("Beta-2 adrenergic receptor", ("Receptors, Adrenergic, beta-2", "ADRB2"),
       "beta-2 adrenergic receptor", "beta-2 adrenergic receptors", "beta2-adrenoceptors",
       "beta-2 receptors"),
    _g("Cyclooxygenase 1", ("Cyclooxygenase 1", "PTGS1"), "COX-1", "COX1", "cyclooxygenase-1"),
    _g("Cyclooxygenase 2", ("Cyclooxygenase 2", "PTGS2"), "COX-2", "COX2", "cyclooxygenase-2"),
    _g("HMG-CoA reductase", ("Hydroxymethylglutaryl CoA Reductases", "HMGCR"),
       "HMG-CoA reductase", "HMG CoA reductase", "3-hydroxy-3-methylglutaryl-coenzyme A reductase"),
    _g("P2Y12 receptor", ("Receptors, Purinergic P2Y12", "P2RY12"), "P2Y12"),
    _g("HER2", ("Receptor, ErbB-2", "ERBB2"), "HER2", "HER-2", "HER2/neu"),
    _g("AMPK", ("AMP-Activated Protein Kinases",), "AMPK", "AMP-activated protein kinase"),
    _g("NPC1L1", ("NPC1L1",), "NPC1L1", "Niemann-Pick C1-like 1"),
    _g("Proton pump", ("H(+)-K(+)-Exchanging ATPase",), "proton pump", "H+/K+ ATPase",
       "H+/K+-ATPase", "hydrogen-potassium ATPase"),
    _g("Sodium-potassium ATPase", ("Sodium-Potassium-Exchanging ATPase",), "sodium-potassium ATPase",
       "Na+/K+ ATPase", "Na+/K+-ATPase", "sodium pump"),
    _g("5-HT3 receptor", ("Receptors, Serotonin, 5-HT3",), "5-HT3 receptor", "5-HT3 receptors"),
    _g("Androgen receptor", ("Receptors, Androgen", "AR"), "androgen receptor", "androgen receptors"),
    _g("Mineralocorticoid receptor", ("Receptors, Mineralocorticoid", "NR3C2"),
       "mineralocorticoid receptor", "mineralocorticoid receptors", "aldosterone receptor"),
    _g("Estrogen receptor", ("Receptors, Estrogen",), "oestrogen receptor", "estrogen receptors",
       "oestrogen receptors"),
    _g("Phosphodiesterase type 5", ("Cyclic Nucleotide Phosphodiesterases, Type 5",),
       "phosphodiesterase type 5", "phosphodiesterase-5", "PDE5", "PDE-5"),
    _g("Dihydrofolate reductase", ("Tetrahydrofolate Dehydrogenase", "DHFR"), "dihydrofolate reductase"),
    _g("BCR-ABL", ("Fusion Proteins, bcr-abl",), "BCR-ABL", "BCR-ABL1", "BCR-ABL tyrosine kinase"),
    _g("Angiotensin II type 1 receptor", ("Receptor, Angiotensin, Type 1", "AGTR1"),
       "AT1 receptor", "angiotensin II type 1 receptor", "angiotensin II receptor"),
    _g("VKOR", ("Vitamin K Epoxide Reductases",), "VKOR"),
    _g("DPP-4", ("Dipeptidyl Peptidase 4", "DPP4"), "DPP-4", "dipeptidyl peptidase-4"),
    _g("SGLT2", ("Sodium-Glucose Transporter 2", "SLC5A2"), "SGLT2", "SGLT-2",
       "sodium-glucose cotransporter 2"),
    _g("TNF-alpha", ("Tumor Necrosis Factor-alpha", "TNF"), "TNF-alpha", "TNF alpha",
       "tumour necrosis factor", "tumor necrosis factor"),
    _g("GLP-1 receptor", ("Glucagon-Like Peptide-1 Receptor", "GLP1R"), "GLP-1 receptor",
       "GLP-1 receptors"),
    _g("Histamine H2 receptor", ("Receptors, Histamine H2", "HRH2"), "H2 receptor",
       "H2 receptors", "histamine H2 receptor"),
    _g("5-alpha reductase", ("Cholestenone 5 alpha-Reductase",), "5-alpha reductase",
       "5-alpha-reductase", "5α-reductase"),
    _g("Serotonin transporter", ("Serotonin Plasma Membrane Transport Proteins", "SLC6A4"),
       "SERT", "serotonin transporter"),
)

#: Endogenous substances that clinical text names as lab values (rule 4 above).
ENDOGENOUS = frozenset(name_key(n) for n in """
cholesterol|Cholesterol, LDL|Cholesterol, HDL|LDL cholesterol|HDL cholesterol|LDL|HDL
|triglycerides|uric acid|urate|glucose|blood glucose|blood sugar|creatinine|bilirubin
|homocysteine|lactic acid|lactate|cortisol|urea
""".replace("\n", "").split("|"))


def is_endogenous(name: str) -> bool:
    return name_key(name) in ENDOGENOUS


def apply(records: list[Record], rules: Counter[str]) -> list[Record]:
    """The records with the curated names added (rules 1-3), endogenous substances
    left out of the drugs (rule 4)."""
    out: list[Record] = []
    for record in records:
        if record.kind == DRUG and is_endogenous(record.label):
            rules[RULE_ENDOGENOUS] += 1
            continue
        if record.kind == DRUG and any(is_endogenous(n) for n in record.synonyms):
            kept = tuple(n for n in record.synonyms if not is_endogenous(n))
            rules[RULE_ENDOGENOUS_NAME] += len(record.synonyms) - len(kept)
            record = dataclasses.replace(record, synonyms=kept)
        out.append(record)
    by_label: dict[tuple[str, str], int] = {}
    for i, record in enumerate(out):
        by_label.setdefault((record.kind, name_key(record.label)), i)
    for entry in (*TOXICITIES, *CLINICAL_NAMES, *TARGETS):
        at = next((by_label[(entry.kind, name_key(j))] for j in entry.joins
                   if (entry.kind, name_key(j)) in by_label), None)
        if at is None:
            out.append(Record(key="curated:" + name_key(entry.label).replace(" ", "-"),
                              origin="curated", kind=entry.kind, classes=entry.classes,
                              label=entry.label, synonyms=entry.names))
            rules[RULE_NEW] += 1
            continue
        record = out[at]
        # compared as written, case aside: the matcher looks names up so ("mu-opioid
        # receptor" is not "mu opioid receptor" there)
        known = {n.casefold() for n in (record.label, *record.synonyms)}
        new = tuple(n for n in entry.names if n.casefold() not in known)
        if new:
            out[at] = dataclasses.replace(record, synonyms=record.synonyms + new)
            rules[RULE_JOINED] += len(new)
    return out
