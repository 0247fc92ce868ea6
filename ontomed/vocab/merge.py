"""One entity per real thing: records of all sources merged, each entity given a stable IRI.

The rules, applied in this order (counts of what each did are reported):

1. **MeSH ids.** Both MeSH-based packages attach, to some entries, the id of a
   *related* descriptor instead of the entry's own (metformin carries D007004,
   Hypoglycemic Agents, like 29 other drugs; asthma carries D018927,
   Anti-Asthmatic Agents). An id claimed by one record only is kept as that
   record's; an id claimed by several is kept only by the one claimant whose own
   tree numbers are in the pharmacological-action tree D27 (the descriptor the
   others point to), and dropped from the rest. Ids are never a reason to merge a
   drug with a disease: Drug and Condition are disjoint classes.
2. **Drug synonyms** (drugs source): a drug whose own name the dictionary lists
   as a name variant of another drug, or whose folded name equals another
   drug's name variant, is that drug.
3. **Same preferred name** (conditions): an HPO phenotype, a MeSH disease or
   symptom, and OMIM/Orphanet/DECIPHER diseases whose preferred names are equal
   (case, accents and punctuation aside, MeSH's inverted headings read in
   natural order, "type II" read as "type 2": :func:`.records.concept_key`)
   are one condition ("Type I diabetes mellitus" and "Diabetes Mellitus, Type 1").
4. **Preferred name = exact synonym** (conditions): a record whose preferred
   name is an exact synonym of exactly one record of another vocabulary is that
   record ("Diabetes mellitus, noninsulin-dependent" and MeSH's "Diabetes
   Mellitus, Type 2"), names compared the same way.

A merge is refused when it would join different kinds (drug, condition, gene),
two records of the same vocabulary (rules 3-4), or two different ids of one
scheme (two DrugBank ids, two OMIM ids): such names are homonyms, not synonyms.

**One type per condition.** A condition merged from a disease record and a
phenotype or sign gets one class, by the first rule that applies
(:func:`primary_class`): (0) a *sign-shaped phenotype* → Symptom: HPO lists it
as a phenotype under a name built like a sign's (a sign ending such as -algia,
-rrhea, -rrhage, -megaly, -uria, -cardia, -phagia, -osmia, -pnea, or a sign head
noun such as pain, bleeding, hemorrhage, retention, incontinence:
:data:`SIGN_SHAPE`), MeSH files it under no tree of named disorders (infections
C01, neoplasms C04, metabolic C18, cerebrovascular C10.228.140 / C14.907.253,
mental disorders F03), and no disease catalogue names it unless MeSH also files
it under signs and symptoms (dysphagia, bradycardia, tachycardia,
gastrointestinal hemorrhage, hematuria, hepatomegaly, urinary retention; anosmia,
which OMIM names as a congenital form); (a) a disease catalogue names it (an OMIM, Orphanet or
DECIPHER record, whose phenotypes HPO annotates) → Disease; (b) MeSH files it
under signs and symptoms (C23.888: cough, dyspnea, headache) → Symptom; (c) a
finding that MeSH files as an organ disease but clinical usage and HPO call a
sign (:data:`FINDINGS_FILED_AS_DISEASES`: skin rash, hyperhidrosis) → Symptom;
(d) MeSH files it under a disease tree (C, F03) → Disease; (e) otherwise (an
HPO phenotype, a MeSH pathological process such as hemorrhage) → Symptom. The
other records' identifiers stay on the entity as ``skos:exactMatch``.

**Labels.** The preferred record's label, except that a Roman type number is
written in Arabic when one of the entity's own names writes it so ("Type II
diabetes mellitus" → "Type 2 diabetes mellitus", MeSH's "Diabetes Mellitus,
Type 2").

IRIs: ``ome:`` + the slug of the preferred label (the HPO name, else MeSH's,
else Orphanet's, OMIM's, DECIPHER's). When two entities would get the same
slug, they are ordered (conditions, drugs, genes; then by preferred record) and
all but the first get their first identifier appended (``…_omim_219700``).
Everything depends only on the source data, so IRIs are the same on every build.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .. import iri as I
from .records import CONDITION, DRUG, DRUG_CLASS, GENE, Record, concept_key, name_key, uninverted_key

RULE_MESH_SOLE = "MeSH id kept: its only claimant"
RULE_MESH_PA = "MeSH id kept: the pharmacological-action descriptor among its claimants"
RULE_MESH_DROPPED = "MeSH id dropped from a record: claimed by several records"
RULE_MESH_DRUG_CONDITION = "MeSH id claimed by a drug and a condition: not merged"
RULE_MESH_MALFORMED = "MeSH id dropped: not a MeSH id"
RULE_SAME_NAME = "condition: same preferred name"
RULE_NAME_SYNONYM = "condition: preferred name is an exact synonym of another vocabulary's record"
REFUSED = "merge refused"

#: Which record's label an entity takes, most preferred first.
ORIGIN_PRIORITY = {"hpo": 0, "drugs": 0, "gene": 0, "mesh": 1, "orpha": 2, "omim": 3, "decipher": 4,
                   "curated": 5}
KIND_ORDER = {CONDITION: 0, DRUG: 1, GENE: 2, DRUG_CLASS: 3}
#: The class of each kind of record but conditions (which get :func:`primary_class`).
KIND_CLASS = {DRUG: "Drug", GENE: "Gene", DRUG_CLASS: "DrugClass"}
TYPE_CATALOGUE = "type: Disease, a disease catalogue (OMIM, Orphanet, DECIPHER) names it"
TYPE_SIGN = "type: Symptom, MeSH files it under signs and symptoms (C23.888)"
TYPE_LISTED = "type: Symptom, a finding MeSH files as an organ disease (listed)"
TYPE_MESH_DISEASE = "type: Disease, MeSH files it under a disease tree (C, F03)"
TYPE_FINDING = "type: Symptom, an HPO phenotype or MeSH pathological process only"
TYPE_SIGN_SHAPE = "type: Symptom, an HPO phenotype named like a sign, under no MeSH tree of named disorders"
TYPE_CURATED = "type: as the curated table says (no vocabulary record)"
TYPE_WERE_BOTH = "type: conditions whose records said Disease and Symptom, now one of them"
LABEL_ARABIC = "label: a Roman type number written in Arabic, as one of its names writes it"
#: HPO phenotypes that MeSH files under an organ's diseases (skin rash: Exanthema,
#: C17.800.257; hyperhidrosis: C17.800.946.350) but that are signs in clinical usage.
FINDINGS_FILED_AS_DISEASES = frozenset({"HP:0000988", "HP:0000975"})
#: The shape of a sign's name (rule 0 of :func:`primary_class`): a Greek or Latin sign ending,
#: or an English head noun that names a sign, at the end of HPO's name.
SIGN_SHAPE = re.compile(
    r"(?:algia|dynia|rrhea|rrhoea|rrhagia|megaly|uria|cardia|phagia|osmia|geusia|pnea|pnoea|emesis"
    r"|ptysis|stomia|opia|acusis|phonia|kinesia|plegia|paresis"
    r"|\b(?:pain|ache|bleeding|hemorrhage|haemorrhage|retention|incontinence|swelling|stiffness"
    r"|weakness|cramps?|discharge))$", re.IGNORECASE)
#: MeSH trees of named disorders, which keep a sign-shaped name a Disease (cystinuria,
#: cerebral hemorrhage, sleep apnea with its metabolic or infectious kinds).
DISORDER_TREES = ("C01", "C04", "C18", "C10.228.140", "C14.907.253", "F03")
_CATALOGUES = frozenset({"omim", "orpha", "decipher"})
#: Identifier schemes used to tell homonyms apart, first one used in IRI suffixes.
SUFFIX_SCHEMES = ("drugbank", "hpo", "omim", "orpha", "decipher", "ncbigene", "mesh", "icd10")


@dataclass(frozen=True)
class VocabEntity:
    """A merged entity: what gets written to the knowledge base."""

    slug: str
    kind: str
    label: str
    records: tuple[Record, ...]  # preferred record first
    classes: tuple[str, ...] = ()

    @property
    def iri(self) -> str:
        return I.ENTITY + self.slug


@dataclass
class Merged:
    entities: list[VocabEntity]
    slug_of: dict[str, str]                  # record key → entity slug
    identifiers: dict[str, tuple[tuple[str, str], ...]]  # record key → its ids, MeSH resolved
    rules: Counter[str]


def _priority(record: Record) -> tuple[int, str]:
    return ORIGIN_PRIORITY.get(record.origin, 9), record.key


def resolve_mesh_ids(records: list[Record], rules: Counter[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every record's identifiers, with the MeSH ids it really owns (rule 1)."""
    claims: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        for mesh in record.mesh_claims:
            try:
                I.identifier_iri("mesh", mesh)
            except ValueError:
                rules[RULE_MESH_MALFORMED] += 1
                continue
            claims[mesh].append(record)
    owner: dict[str, str] = {}
    for mesh, claimants in claims.items():
        if len(claimants) == 1:
            owner[mesh] = claimants[0].key
            rules[RULE_MESH_SOLE] += 1
            continue
        if len({r.kind for r in claimants}) > 1:
            rules[RULE_MESH_DRUG_CONDITION] += 1
        actions = [r for r in claimants if any(t.startswith("D27") for t in r.mesh_trees)]
        if len(actions) == 1:
            owner[mesh] = actions[0].key
            rules[RULE_MESH_PA] += 1
            rules[RULE_MESH_DROPPED] += len(claimants) - 1
        else:
            rules[RULE_MESH_DROPPED] += len(claimants)
    out = {}
    for record in records:
        ids = list(record.identifiers)
        ids += [("mesh", m) for m in record.mesh_claims if owner.get(m) == record.key]
        out[record.key] = tuple(ids)
    return out


class _Groups:
    """Union-find over records that refuses merges joining incompatible groups."""

    def __init__(self, records: list[Record], identifiers: dict[str, tuple[tuple[str, str], ...]]) -> None:
        self.parent = {r.key: r.key for r in records}
        self.kind = {r.key: r.kind for r in records}
        self.origins = {r.key: Counter([r.origin]) for r in records}
        self.ids: dict[str, dict[str, set[str]]] = {}
        for r in records:
            schemes: dict[str, set[str]] = defaultdict(set)
            for scheme, value in identifiers[r.key]:
                schemes[scheme].add(value)
            self.ids[r.key] = schemes

    def find(self, key: str) -> str:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str, *, same_origin_ok: bool = False) -> bool | None:
        """True if merged, None if already one group, False if refused."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if self.kind[ra] != self.kind[rb]:
            return False
        if not same_origin_ok and set(self.origins[ra]) & set(self.origins[rb]):
            return False
        ia, ib = self.ids[ra], self.ids[rb]
        if any(ia[s] and ib.get(s) and ia[s] != ib[s] for s in list(ia)):
            return False
        self.parent[rb] = ra
        self.origins[ra] += self.origins.pop(rb)
        for scheme, values in self.ids.pop(rb).items():
            ia.setdefault(scheme, set()).update(values)
        return True


def merge(records: Iterable[Record], same_as: Iterable[tuple[str, str, str]] = ()) -> Merged:
    """Merge records into entities by the rules above, and give each entity its IRI."""
    ordered = sorted(records, key=lambda r: (KIND_ORDER[r.kind], *_priority(r)))
    rules: Counter[str] = Counter()
    identifiers = resolve_mesh_ids(ordered, rules)
    groups = _Groups(ordered, identifiers)

    def apply(rule: str, a: str, b: str, **kw: bool) -> None:
        done = groups.union(a, b, **kw)
        if done:
            rules[rule] += 1
        elif done is False:
            rules[f"{REFUSED} ({rule})"] += 1

    for a, b, rule in same_as:
        if a in groups.parent and b in groups.parent:
            apply(rule, a, b, same_origin_ok=True)

    conditions = [r for r in ordered if r.kind == CONDITION]
    by_label: dict[str, list[Record]] = defaultdict(list)
    for record in conditions:
        by_label[concept_key(record.label)].append(record)
    for same in by_label.values():
        for other in same[1:]:
            apply(RULE_SAME_NAME, same[0].key, other.key)

    synonym_owner: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record in conditions:
        for name in record.synonyms:
            synonym_owner[(record.origin, concept_key(name))].add(record.key)
    origins = sorted({r.origin for r in conditions})
    for record in conditions:
        label = concept_key(record.label)
        for origin in origins:
            if origin == record.origin:
                continue
            owners = synonym_owner.get((origin, label), set())
            if len(owners) == 1:
                apply(RULE_NAME_SYNONYM, record.key, next(iter(owners)))

    members: dict[str, list[Record]] = defaultdict(list)
    for record in ordered:
        members[groups.find(record.key)].append(record)
    entities = _assign_slugs(list(members.values()), identifiers, rules)
    slug_of = {r.key: e.slug for e in entities for r in e.records}
    return Merged(entities, slug_of, identifiers, rules)


def primary_class(records: Iterable[Record]) -> tuple[str, str]:
    """(class, rule): the one class of a condition merged from these records (module doc)."""
    records = list(records)
    if all(r.origin == "curated" for r in records):
        return records[0].classes[0], TYPE_CURATED
    trees = [t for r in records if r.origin == "mesh" for t in r.mesh_trees]
    sign = any(t == "C23.888" or t.startswith("C23.888.") for t in trees)
    catalogued = any(r.origin in _CATALOGUES for r in records)
    if (any(r.origin == "hpo" and SIGN_SHAPE.search(r.label) for r in records)
            and not any(t.startswith(DISORDER_TREES) for t in trees) and (sign or not catalogued)):
        return "Symptom", TYPE_SIGN_SHAPE
    if catalogued:
        return "Disease", TYPE_CATALOGUE
    if sign:
        return "Symptom", TYPE_SIGN
    if any(r.key in FINDINGS_FILED_AS_DISEASES for r in records):
        return "Symptom", TYPE_LISTED
    if any((t.startswith("C") and not t.startswith("C23")) or t.startswith("F03") for t in trees):
        return "Disease", TYPE_MESH_DISEASE
    return "Symptom", TYPE_FINDING


_ROMAN_AFTER = re.compile(r"\b(type|class|grade|stage|group|phase|factor)\s+(iv|vi|v|iii|ii|i)\b", re.IGNORECASE)
_ARABIC = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}


def _label(head: Record, group: list[Record], rules: Counter[str]) -> str:
    """The head record's label, with a Roman type number in Arabic where the entity's own
    names write it so."""
    label = head.label
    if head.kind != CONDITION or not _ROMAN_AFTER.search(label):
        return label
    arabic = _ROMAN_AFTER.sub(lambda m: f"{m[1]} {_ARABIC[m[2].lower()]}", label)
    written = {uninverted_key(n) for r in group for n in (r.label, *r.synonyms)}
    if name_key(arabic) in written:
        rules[LABEL_ARABIC] += 1
        return arabic
    return label


def _assign_slugs(groups: list[list[Record]],
                  identifiers: dict[str, tuple[tuple[str, str], ...]],
                  rules: Counter[str] | None = None) -> list[VocabEntity]:
    rules = rules if rules is not None else Counter()
    for group in groups:
        group.sort(key=_priority)
    groups.sort(key=lambda g: (KIND_ORDER[g[0].kind], *_priority(g[0])))
    taken: set[str] = set()
    entities = []
    for group in groups:
        head = group[0]
        label = _label(head, group, rules)
        if head.kind == CONDITION:
            cls, rule = primary_class(group)
            rules[rule] += 1
            if len({c for r in group for c in r.classes}) > 1:
                rules[TYPE_WERE_BOTH] += 1
            classes: tuple[str, ...] = (cls,)
        else:
            classes = (KIND_CLASS[head.kind],)
        base = I.slugify(label)
        slug = base
        if slug in taken:
            ids = sorted((SUFFIX_SCHEMES.index(s) if s in SUFFIX_SCHEMES else 99, s, v)
                         for r in group for s, v in identifiers[r.key])
            if ids:
                _, scheme, value = ids[0]
                slug = f"{base}_{I.slugify(scheme + ' ' + value.split(':')[-1])}"
            if slug in taken:
                slug = f"{base}_{hashlib.sha256(head.key.encode()).hexdigest()[:8]}"
        taken.add(slug)
        entities.append(VocabEntity(slug, head.kind, label, tuple(group), classes))
    return entities
