"""Typed relation patterns over one sentence, with negation and speculation (architecture.md §6).

For every ordered pair of mentions whose entity types fit a property's domain
and range, the text between them is read with the mentions replaced by typed
placeholders. A relation holds when that text contains one of the property's
cue phrases and what stands between the cue and the mentions is only a list of
same-type mentions or a few filler words ("reduced mortality in patients with",
"fever, cough and myalgia" gives three relations).

Negation follows NegEx (Chapman et al., 2001): a trigger ("not", "no evidence
that", "failed to") in the same clause, before the object or just after it
("was not observed"), marks the relation negated. Speculation triggers ("might",
"whether", "suggests") mark it speculative. The pipeline asserts neither.
Cue phrases that contain a negation ("should not be used in") are not read as
negations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ... import iri as I
from ...values import Mention, Relation

_PLACE = "\u27e8{}\u27e9"  # ⟨Drug⟩


@dataclass(frozen=True)
class _Rule:
    prop: str
    domain: frozenset[str]
    range: frozenset[str]
    forward: re.Pattern[str]  # cue between subject … object
    reverse: re.Pattern[str] | None  # cue between object … subject
    weight: float
    modal_is_assertive: bool = False  # "may cause" is label language, not speculation


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_DRUG, _GENE = frozenset({"Drug"}), frozenset({"Gene"})
_DISEASE, _SYMPTOM = frozenset({"Disease"}), frozenset({"Symptom"})
_CONDITION = frozenset({"Disease", "Symptom"})

_MODAL = r"(?:(?:may|can|could|might|will|would|often|usually|typically|classically|commonly|frequently|generally|also|now|first|rarely|sometimes)\s+)*"
_ROLE = (r"(?:(?!(?:not|no|never|neither|nor)\b)[\w-]+ ){0,4}?(?:therapy|therapies|treatment|agent|drug|option|choice|regimen|medication|"
         r"mainstay|cornerstone|standard|backbone|basis|antibiotic|antiviral|medicine|analgesic)s?")

RULES: tuple[_Rule, ...] = (
    _Rule("treats", _DRUG, _DISEASE,
          _rx(r"\b(?:treat(?:s|ed|ing)?|(?:is|are|was|were|be) (?:(?!(?:not|no|never|neither|nor)\b)\w+ )?(?:indicated|approved|used|effective|"
              r"prescribed|recommended|preferred|given|reserved|licensed) (?:\w+ ){0,2}?(?:for|in|to treat|against)|"
              r"indicated (?:for|in)|approved for|"
              r"(?:is|are|was|were|remains?|remained|becomes?|became) (?:the |a |an |still )?" + _ROLE
              + r" (?:for|of|in|against)(?: (?:treatment|therapy|management|care) (?:of|for|in))?|"
              r"(?:mainstay|cornerstone|backbone) of(?: (?:treatment|therapy|management|care))?(?: (?:for|of|in))?|"
              r"first-line (?:therapy|treatment|agent|drug) (?:for|in)|(?:the )?(?:treatment|therapy|"
              r"management) (?:of|for)|improv(?:e|es|ed|ing)|reduc(?:e|es|ed|ing)|lower(?:s|ed|ing)?|"
              r"alleviat(?:e|es|ed|ing)|reliev(?:e|es|ed|ing)|eas(?:e|es|ed)|effective (?:in|for|against)|efficacy "
              r"(?:in|for|against)|beneficial (?:in|for)|cur(?:e|es|ed)|heal(?:s|ed)?|prevent(?:s|ed|ing)?|used to treat|"
              r"shorten(?:s|ed|ing)?|prolong(?:s|ed)? (?:overall |progression-free )?survival|"
              r"induc(?:e|es|ed) (?:remission|response)s?|control(?:s|led)?|slow(?:s|ed)?|"
              r"used (?:for|in))\b"),
          _rx(r"\b(?:(?:is|are|was|were|be|been) (?:\w+ )?(?:treated|managed|controlled|cured|prevented|reversed) (?:\w+ )?(?:with|by|using)|"
              r"treated with|respond(?:s|ed)? (?:well )?to|therapy with|treatment with)\b"),
          0.85),
    _Rule("hasSymptom", _DISEASE, _SYMPTOM,
          _rx(r"\b" + _MODAL + r"(?:present(?:s|ed|ing)? (?:with|as)|symptoms? (?:include|includes|including|are|such as)|"
              r"characteri[sz]ed by|marked by|manifest(?:s|ed|ing)? (?:as|with|by)|caus(?:e|es|ed|ing)|lead(?:s|ing)? to|"
              r"result(?:s|ed|ing)? in|accompanied by|signs? (?:include|includes|are)|produc(?:e|es|ed)|"
              r"begin(?:s)? with|start(?:s)? with|report(?:s|ed)?|experienc(?:e|es|ed)|complain(?:s|ed)? of|"
              r"(?:(?:often|usually|commonly|typically|may|can) (?:get|have|has|develop|experience)|get|gets|develop|develops))\b"),
          _rx(r"\b(?:(?:is|are|was|were) (?:an? |the )?(?:(?!(?:not|no|never|neither|nor)\b)[\w-]+ ){0,3}?(?:symptoms?|signs?|features?|manifestations?|"
              r"complaints?|findings?|hallmarks?) of|symptoms? of|signs? of|due to|caused by|secondary to|from|"
              r"(?:is|are) (?:(?!(?:not|no|never|neither|nor)\b)\w+ )?(?:typical|characteristic|suggestive|indicative|classic|common|frequent) (?:of|in)|"
              r"(?:common|frequent|typical|seen|observed|occurs?|reported|present) in|"
              + _MODAL + r"(?:indicate|indicates|suggest|suggests|point|points|signal|signals)(?: to)?|"
              r"(?:should )?raises? (?:the )?suspicion (?:of|for)|(?:is|are) (?:\w+ )?suggestive of)\b"),
          0.8, modal_is_assertive=True),
    _Rule("hasSideEffect", _DRUG, _CONDITION,
          _rx(r"(?:\b(?:caus(?:e|es|ed|ing)|can cause|may cause|induc(?:e|es|ed|ing)|side effects? (?:include|"
              r"includes|such as|are|were)|adverse (?:effects?|reactions?|events?) (?:include|includes|such as|"
              r"are|were|was|is)|increas(?:e|es|ed|ing) the (?:risk|incidence|rate) of|(?:is|are|was|were|has been|have been) "
              r"(?:associated|linked) (?:with|to)(?: an? (?:increased |higher )?(?:risk|incidence) of)?|cases? of|"
              r"lead(?:s)? to|led to|result(?:s|ed)? in|worsen(?:s|ed)?|trigger(?:s|ed)?|precipitat(?:e|es|ed)|"
              r"(?:toxicity|overdose|poisoning) (?:presents?|manifests?) (?:with|as)|"
              r"carr(?:y|ies|ied) (?:an? |the )?(?:\w+ )?risks? of)\b|-induced\b)"),
          _rx(r"\b(?:(?:is|are|was|were|remains?|remained) (?:an? |the )?(?:(?!(?:not|no|never|neither|nor)\b)[\w-]+ ){0,3}?(?:side effects?|adverse "
              r"(?:effects?|reactions?|events?)|risks?|hazards?|complications?|toxicit(?:y|ies)|dangers?) (?:of|with|from)|"
              r"caused by|induced by|due to|attributed to|associated with (?:the )?use of|"
              r"(?:is|are|was|were|has been|have been) (?:(?!(?:not|no|never|neither|nor)\b)\w+ )?(?:common|frequent|rare|reported|seen|observed|described|"
              r"limiting|dose-limiting) (?:with|in|after|during)|"
              r"after (?:taking|starting|a (?:single )?dose of)|(?:developed|occurred|occurs|develops) (?:\w+ ){0,6}?(?:after|while|in|on)|"
              r"(?:patients|people|those|subjects|adults|children|users) (?:taking|"
              r"receiving|treated with|on))\b"),
          0.8, modal_is_assertive=True),
    _Rule("contraindicatedFor", _DRUG, _CONDITION,
          _rx(r"\b(?:(?:is|are) )?contraindicated (?:in|for|with|during)|(?:should|must) (?:not|never) be (?:used|given|"
              r"taken|administered|prescribed|started) (?:in|to|by|for|during)|(?:should|must) be (?:avoided|withheld|"
              r"stopped|discontinued) (?:in|during|for)|"
              r"(?:is|are) not recommended (?:in|for|during)|avoid(?:ed)? (?:in|during)|do not use (?:in|during)\b"),
          _rx(r"\b(?:contraindicat\w*|should (?:avoid|not (?:use|take|receive))|must (?:avoid|not (?:use|"
              r"take|receive)))\b"),
          0.9, modal_is_assertive=True),
    _Rule("interactsWith", _DRUG, _DRUG,
          _rx(r"\b(?:interact(?:s|ed)? with|interaction with|interfer(?:e|es|ed|ing) with|potentiat(?:es|ed)|(?:increas|decreas|reduc|rais|lower|doubl|halv|alter)"
              r"(?:es|ed|ing|s)? (?:the )?(?:\w+ ){0,2}?(?:effects?|levels?|concentrations?|exposure|toxicity|clearance|"
              r"metabolism|efficacy|effectiveness|activation) of|(?:increas|decreas|reduc|rais|lower|doubl)(?:es|ed|ing|s)? "
              r"(?:the )?(?:exposure|sensitivity) to|contraindicated (?:with|in combination with|together with)|"
              r"(?:should|must) (?:avoid|not (?:take|receive))|inhibits? the metabolism of|(?:should|must) not be (?:combined|co-?administered|"
              r"used|given|taken) (?:with|together with)|(?:in combination|combined|co-?administered|"
              r"concomitantly|together) with|(?:levels?|concentrations?|exposure) (?:rise|rises|rose|increase[sd]?|"
              r"fall|falls|fell|drop|drops|double[sd]?) (?:when|if|after|with)|(?:do|should|must) not (?:take|use|"
              r"start|give|combine|add)|(?:should|must) (?:not|never) start|boost(?:s|ed)?)\b"),
          None, 0.8, modal_is_assertive=True),
    _Rule("associatedWith", _GENE, _DISEASE,
          _rx(r"\b(?:caus(?:e|es|ed|ing)|associated with|linked (?:to|with)|implicated in|responsible for|"
              r"underl(?:ie|ies|ying)|contribut(?:es|ing) to|predispos(?:es|ing) to|increas(?:e|es|ed|ing) "
              r"(?:the )?(?:risk|susceptibility) (?:of|for|to)|risk factors? for|lead(?:s)? to|result(?:s)? in|"
              r"(?:is|are) (?:found|detected|seen|present) in)\b"),
          _rx(r"\b(?:caused by|due to|results? from|associated with|linked (?:to|with)|attributed to)\b"),
          0.8),
    _Rule("targets", _DRUG, _GENE,
          _rx(r"\b(?:inhibit(?:s|ed|ing)?|inhibitor of|target(?:s|ed|ing)?|binds?(?: to)?|block(?:s|ed|ing)?|"
              r"antagoni(?:s|z)(?:es|ed)|antagonist (?:of|at)|agonist (?:of|at)|activat(?:es|ed)|activator of|"
              r"potentiat(?:es|ed)|potentiator of|acts? (?:on|at)|modulat(?:es|ed)|modulator of|"
              r"acetylat(?:es|ed)|suppress(?:es|ed)|induc(?:es|ed)|inducer of|degrad(?:es|ed)|"
              r"(?:antibod(?:y|ies)|inhibitor|antagonist|blocker) (?:against|to|of|targeting|directed against)|against)\b"),
          _rx(r"^\s*(?:the )?(?:inhibitors?|potentiators?|antagonists?|agonists?|blockers?|modulators?|"
              r"activators?)\s*(?:such as|,|like|including)?\s*$|\b(?:is|are) (?:inhibited|targeted|blocked|"
              r"bound|activated) by\b"),
          0.85),
)

# Cues after the object: "D1 raises D2 levels", "olaparib, a PARP inhibitor", "D1 and D2 should
# not be co-prescribed". (property, between subject and object, right after the object).
_TAIL_RULES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("interactsWith",
     _rx(r"(?:^\s*|\b(?:and|which|that|to)\s+)(?:rais|increas|decreas|reduc|lower|doubl|halv|boost|alter|affect)\w*\s*(?:the\s+)?$"),
     _rx(r"^\s*(?:'s\s+)?(?:serum |plasma |blood |trough )?(?:levels?|concentrations?|exposure|clearance|effects?|"
         r"activity|metabolism)\b")),
    ("interactsWith",
     _rx(r"^\s*(?:and|with|plus|\+)\s*$"),
     _rx(r"^\s*(?:\w+\s+)?(?:(?:should|must|cannot|can't)\s+(?:not\s+|never\s+)?be\s+(?:co-?prescribed|"
         r"co-?administered|combined|given together|taken together|used together)|(?:taken\s+|given\s+|used\s+)?"
         r"together\s+(?:may|can|increase|raise|cause)|interact\b(?!\s+with))")),
    ("targets",
     _rx(r"^\s*,?\s*(?:(?:is|was)\s+)?(?:an?|the)\s+(?:\w+\s+)?(?:\u27e8Gene\u27e9\s*(?:,|and|or|/)\s*)*$"),
     _rx(r"^\s*(?:(?:,|and|or|/)\s*\u27e8Gene\u27e9\s*)*-?\s*(?:inhibitor|antagonist|agonist|blocker|modulator|"
         r"potentiator|activator|antibody)s?\b")),
)

# Cues that stand before the subject: "Common adverse reactions to X include A, B and C",
# "Symptoms of D include …", "Co-administration of X and Y". (property, prefix, join).
_PREFIX_RULES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("interactsWith",
     _rx(r"(?:interactions? (?:between|of)|co-?administration of|concomitant (?:use|administration) of|"
         r"combin(?:ation|ing) of|combining|(?:the )?use of)\s*$"),
     _rx(r"^\s*(?:and|with|plus|\+)\s*$")),
    ("hasSideEffect",
     _rx(r"(?:adverse (?:reactions?|effects?|events?)|side effects?|toxicities|complications) (?:to|of|with|"
         r"from|associated with)(?: the)?(?: use of)?\s*$"),
     _rx(r"^\s*(?:therapy|treatment|use|administration)?\s*(?:include|includes|included|are|were|comprise)\b")),
    ("hasSymptom",
     _rx(r"(?:symptoms?|signs?|manifestations?|features?|findings) of\s*$"),
     _rx(r"^\s*(?:include|includes|are|were|comprise)\b")),
    ("interactsWith",
     _rx(r"\b(?:avoid(?:\s+(?:giving|using|taking|prescribing|combining|co-?administration\s+of|concomitant\s+use\s+of))?|"
         r"do\s+not\s+(?:give|take|use|combine|prescribe)|never\s+(?:give|combine))\s*$"),
     _rx(r"^\s*(?:with|and|plus|together\s+with)\s*$")),
    ("contraindicatedFor",
     _rx(r"\b(?:avoid(?:\s+(?:giving|using|prescribing))?|do\s+not\s+(?:give|use|prescribe)|never\s+(?:give|use))\s*$"),
     _rx(r"^\s*(?:in|during|to|for)\b")),
)
# "vitamin K antagonist", "ACE inhibitors": a name that modifies a class noun is not the subject.
_CLASS_NOUN = _rx(r"\s*-?(?:antagonists?|inhibitors?|agonists?|blockers?|receptors?|analog(?:ue)?s?|"
                  r"derivatives?|based|containing|potentiators?|modulators?)\b")
# Effects of a combination belong to the interaction, not to each drug.
_COMBINATION = _rx(r"\b(?:co-?administ\w*|coadminist\w*|concomitant\w*|combin\w*|together( with)?|"
                   r"in addition to|interact\w*|levels?|concentrations?|exposure)\b")
# "in combination with", "combined with", "together with": a combination therapy, which is an
# interaction claim only when the sentence says what the combination does (a risk, toxicity,
# levels, a warning): "levodopa combined with carbidopa" is not one.
_COMBINATION_CUE = _rx(r"^(?:in combination|combined|co-?administered|concomitantly|together) with$")
_COMBINATION_EFFECT = _rx(r"\b(?:risks?|toxic\w*|avoid\w*|not|never|caution\w*|contraindicat\w*|danger\w*|"
                          r"serious|fatal|interact\w*|levels?|concentrations?|exposure|adverse|harm\w*|"
                          r"syndrome|potentiat\w*|enhanc\w*|increas\w*|rais\w*|monitor\w*)\b")
# What may stand between a cue and its mention: a list of mentions, or these words.
_FILLER = _rx(r"^(?:\s|,|;|:|\(|\)|\u27e8\w+\u27e9|\b(?:and|or|as well as|including|such as|like|the|a|an|of|in|"
              r"for|with|to|on|among|patients?|adults?|children|people|individuals|subjects|persons?|"
              r"those|mortality|death|deaths|risk|symptoms?|signs?|progression|severity|incidence|"
              r"recurrence|episodes?|acute|chronic|severe|mild|moderate|active|advanced|early|newly|"
              r"diagnosed|known|confirmed|mutations?|variants?|gene|genes|protein|enzyme|receptor|"
              r"levels?|rates?|onset|development|elevated|high|low|glycemic|control|cases?|"
              r"significantly|markedly|substantially|also|often|usually|typically|commonly|\d+)\b)*$")
_WORD = re.compile(r"\u27e8\w+\u27e9|[^\W\d_][\w'-]*")
MAX_FREE_WORDS = 3


# "prevents ⟨Disease⟩ in (patients with) ⟨Disease⟩": a mention then "in"/"among" before the object
# names the population the claim is about, not a second object (data/eval/README.md, Relations).
_POPULATION = _rx(r"\u27e8\w+\u27e9[^\u27e8]*?\b(?:in|among)\s+(?:(?:the\s+)?(?:[\w-]+\s+){0,3}?"
                  r"(?:with|who\s+have|who\s+had|having|at\s+risk\s+of)\s+)?(?:\w+\s+)?$")


# A mention that only modifies a word after it is no list item: a biomarker of a disease
# ("⟨Gene⟩-positive ⟨Disease⟩", "⟨Gene⟩-mutant") or a class named by its target
# ("⟨Gene⟩ inhibitors such as ⟨Drug⟩"); it counts as one free word.
_MODIFIER_MENTION = _rx(r"\u27e8\w+\u27e9\s*-?\s*(?:positive|negative|mutant|mutated|amplified|"
                        r"inhibitors?|blockers?|antagonists?|agonists?)\b")


# filler phrases that the word-by-word count would split ("ACE inhibitors such as ⟨Drug⟩")
_FILLER_PHRASE = _rx(r"\b(?:such as|as well as|for example|e\.g\.)")


def _post_ok(post: str, obj_type: str | frozenset[str]) -> bool:
    """Between a cue and its object: a list of mentions of the types the object may have,
    filler words, and at most a few other words ("improves lung function in"); not a
    mention followed by the population the claim is about ("stroke in patients with")."""
    if _POPULATION.search(post):
        return False
    post = _MODIFIER_MENTION.sub(" class ", post)
    if _FILLER.match(post):
        return True
    allowed = {_PLACE.format(t) for t in ([obj_type] if isinstance(obj_type, str) else obj_type)}
    free = 0
    for word in _WORD.findall(_FILLER_PHRASE.sub(" ", post)):
        if word.startswith("\u27e8"):
            if word not in allowed:
                return False
        elif not _FILLER.match(word):
            free += 1
    return free <= MAX_FREE_WORDS


# "a rare but serious adverse effect of": a "but" between two adjectives breaks no clause
_CONCESSIVE = _rx(r"\b(?:rare|uncommon|infrequent|mild|minor|common|usually mild|transient)\s+but\s+")
_PASSIVE = _rx(r"\s+by\b")
# "A, B and C are typical of X": mentions joined into a list before the cue
_LIST_ONLY = _rx(r"^(?:\s|,|\band\b|\bor\b|\u27e8\w+\u27e9)*$")
_BREAKER = _rx(r";|\b(?:but|however|whereas|while|although|though|unlike|except)\b")
_NEGATION = _rx(r"\b(?:no|not|never|neither|nor|cannot|can't|didn't|doesn't|don't|isn't|wasn't|weren't|"
                r"aren't|hasn't|haven't|without|fail(?:s|ed)? to|lack of|absence of|ruled out|unlikely to|"
                r"no evidence|no longer)\b")
_NOT_NEGATION = _rx(r"\bnot only\b")
_POST_NEGATION = _rx(r"^[^.;]{0,40}?\b(?:(?:was|were|is|are) (?:not|never) (?:observed|seen|found|reported|"
                     r"present|detected|associated)|did not (?:occur|develop)|(?:was|were) absent|(?:was|were) "
                     r"ruled out)\b")
_SPECULATION = _rx(r"\b(?:might|could|may|possibly|potentially|potential|perhaps|suggest(?:s|ed|ing)?|"
                   r"whether|hypothes\w+|unclear|unknown|uncertain|investigat\w+|remains? to be|"
                   r"(?:thought|believed|presumed|postulated|proposed) to|to "
                   r"(?:determine|assess|evaluate|examine|explore|test))\b")
_LABEL_MODALS = {"may", "could", "can", "potential", "potentially"}
# "Do not take D1 with D2", "never give D to patients with X": a directive forbids an action;
# it does not deny the interaction or contraindication it is given for.
_DIRECTIVE = _rx(r"\b(?:do not|don't|never|should not|must not)\s+(?:take|give|use|combine|prescribe|start|add)\b")
_DIRECTED = frozenset({"interactsWith", "contraindicatedFor"})
MAX_GAP = 160
_RULE = {rule.prop: rule for rule in RULES}


def find_relations(text: str, start: int, end: int, mentions: Sequence[Mention],
                   types: Mapping[str, set[str]]) -> list[Relation]:
    """Relations among ``mentions`` (document offsets) inside the sentence text[start:end]."""
    sentence = text[start:end]
    ordered = sorted(mentions, key=lambda m: m.start)
    found: dict[tuple[str, str, str], Relation] = {}
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.start - a.end > MAX_GAP or a.iri is None or b.iri is None or a.iri == b.iri:
                continue
            relation = _best(text, start, sentence, ordered, a, b, types)
            if relation is not None:
                key = (relation.subject.iri or "", relation.predicate, relation.object.iri or "")
                if key not in found or found[key].confidence < relation.confidence:
                    found[key] = relation
    return list(found.values())


def _types(m: Mention, types: Mapping[str, set[str]]) -> set[str]:
    """The types the mention may have: its entity's, and its candidates' (a name of several
    entities is read as the one whose type a cue expects: :func:`_fit`)."""
    out = set(types.get(m.iri or "", ())) | {m.type}
    for iri in m.candidates:
        out |= set(types.get(iri, ()))
    return out


def _fit(m: Mention, wanted: frozenset[str], types: Mapping[str, set[str]]) -> Mention:
    """``m`` linked to the entity of a wanted type: its own if it fits, else the first
    candidate that does (the linking preference's first rule)."""
    if not m.candidates or (set(types.get(m.iri or "", ())) | {m.type}) & wanted:
        return m
    for iri in m.candidates:
        fits = set(types.get(iri, ())) & wanted
        if fits:
            kind = next(t for t in ("Drug", "Gene", "Disease", "Symptom") if t in fits)
            others = tuple(c for c in (m.iri, *m.candidates) if c and c != iri)
            return Mention(m.text, kind, m.start, m.end, m.confidence, iri, others)
    return m


def _masked(text: str, lo: int, hi: int, mentions: Sequence[Mention]) -> str:
    """text[lo:hi] with mentions inside replaced by ⟨Type⟩ placeholders."""
    parts, pos = [], lo
    for m in mentions:
        if m.start >= lo and m.end <= hi:
            parts.append(text[pos:m.start])
            parts.append(_PLACE.format(m.type))
            pos = m.end
    parts.append(text[pos:hi])
    return "".join(parts)


def _best(text: str, s0: int, sentence: str, mentions: Sequence[Mention], a: Mention, b: Mention,
          types: Mapping[str, set[str]]) -> Relation | None:
    ta, tb = _types(a, types), _types(b, types)
    between = _masked(text, a.end, b.start, mentions)
    if _BREAKER.search(_CONCESSIVE.sub(" ", between)):
        return None
    modifiers = {id(m) for m in (a, b) if _CLASS_NOUN.match(text, m.end)}
    best: tuple[float, int, _Rule, Mention, Mention, re.Match[str]] | None = None
    for rule in RULES:
        for subj, obj, pattern, ts, to in ((a, b, rule.forward, ta, tb), (b, a, rule.reverse, tb, ta)):
            if pattern is None or not (rule.domain & ts) or not (rule.range & to) or id(subj) in modifiers:
                continue
            if rule.prop == "hasSideEffect" and _in_combination(text, s0, mentions, subj):
                continue
            if rule.prop == "treats" and _partner(text, s0, mentions, subj):
                continue
            # what stands between the cue and the mention at the end (the object, or for a
            # reverse cue the subject): a list of mentions of the types it may have
            end_types = rule.range if pattern is rule.forward else rule.domain
            for cue in pattern.finditer(between):
                pre, post = between[:cue.start()], between[cue.end():]
                if not _post_ok(post, end_types) or len(pre) > 90 or (
                        _PLACE.format(obj.type) in pre and not _LIST_ONLY.match(pre)):
                    continue  # another mention of the object's type before the cue, not in a list
                if rule.prop == "targets" and _PASSIVE.match(between, cue.end()):
                    continue  # "activated by CYP2C19": the enzyme acts on the drug
                if (rule.prop == "interactsWith" and _COMBINATION_CUE.match(cue.group())
                        and not _COMBINATION_EFFECT.search(sentence)):
                    continue  # a combination therapy, no interaction stated
                score = rule.weight - max(0, len(pre) - 25) * 0.003
                if best is None or (cue.end(), score) > (best[1], best[0]):
                    best = (score, cue.end(), rule, subj, obj, cue)
    if best is None:
        best = _tailed(text, s0, sentence, mentions, a, b, ta, tb, between)
    if best is None and id(a) not in modifiers:
        best = _prefixed(text, s0, a, b, ta, tb, between)
    if best is None:
        return None
    score, _, rule, subj, obj, cue = best
    negated, speculative = _modality(text, s0, sentence, a, b, between, cue, rule)
    confidence = max(0.05, min(1.0, score * min(a.confidence, b.confidence)))
    if speculative:
        confidence *= 0.5
    subj, obj = _fit(subj, rule.domain, types), _fit(obj, rule.range, types)
    return Relation(subj, I.OM + rule.prop, obj, round(confidence, 3), sentence,
                    negated=negated, speculative=speculative)


def _prefixed(text: str, s0: int, a: Mention, b: Mention, ta: set[str], tb: set[str],
              between: str) -> tuple[float, int, _Rule, Mention, Mention, re.Match[str] | None] | None:
    """A cue before the subject: "adverse reactions to X include Y", "co-administration of X and Y"."""
    before = text[max(s0, a.start - 80):a.start]
    for prop, prefix, join in _PREFIX_RULES:
        rule = _RULE[prop]
        if not (rule.domain & ta and rule.range & tb) or not prefix.search(before):
            continue
        joined = join.match(between)
        # a list may mix the types the property takes ("dizziness, headache and hyperkalemia")
        if joined and _post_ok(between[joined.end():], rule.range):
            return (rule.weight * 0.95, 0, rule, a, b, None)
    return None


def _tailed(text: str, s0: int, sentence: str, mentions: Sequence[Mention], a: Mention, b: Mention,
            ta: set[str], tb: set[str],
            between: str) -> tuple[float, int, _Rule, Mention, Mention, re.Match[str] | None] | None:
    """A cue right after the object: "D1 raises D2 levels", "olaparib, a PARP inhibitor"."""
    tail = None
    for prop, middle, after in _TAIL_RULES:
        rule = _RULE[prop]
        if not (rule.domain & ta and rule.range & tb) or not middle.search(between):
            continue
        if tail is None:
            tail = _masked(text, b.end, s0 + len(sentence), mentions)
        if after.match(tail):
            return (rule.weight * 0.95, 0, rule, a, b, None)
    return None


# "Levodopa, (usually) combined with carbidopa, remains the treatment for X": the drug named
# as the partner of an earlier drug is not the subject of the sentence's claim.
_PARTNER_BEFORE = _rx(r"\b(?:combined|in combination|co-?administered|together|given) with\s*$")


def _partner(text: str, s0: int, mentions: Sequence[Mention], subject: Mention) -> bool:
    """Is ``subject`` the partner that "combined with" attaches to an earlier drug?"""
    if not _PARTNER_BEFORE.search(text, max(s0, subject.start - 40), subject.start):
        return False
    return any(m.type == "Drug" and s0 <= m.start < subject.start and m is not subject for m in mentions)


def _in_combination(text: str, s0: int, mentions: Sequence[Mention], subject: Mention) -> bool:
    """Is ``subject`` one of several drugs given together in this sentence?"""
    drugs = [m for m in mentions if m.type == "Drug" and m is not subject]
    return bool(drugs) and bool(_COMBINATION.search(text, s0, max(m.end for m in mentions)))


def _modality(text: str, s0: int, sentence: str, a: Mention, b: Mention, between: str,
              cue: re.Match[str] | None, rule: _Rule) -> tuple[bool, bool]:
    """(negated, speculative) for the pair a…b, looking at its clause."""
    clause_start = s0
    head = text[s0:a.start]
    for m in _BREAKER.finditer(head):
        clause_start = s0 + m.end()
    before = text[clause_start:a.start]
    cue_span = (cue.start(), cue.end()) if cue is not None else (-1, -1)

    def triggers(pattern: re.Pattern[str], segment: str, offset_in_between: bool) -> list[str]:
        hits = []
        for m in pattern.finditer(segment):
            if offset_in_between and cue_span[0] <= m.start() < cue_span[1]:
                continue  # part of the cue itself ("should not be used in")
            if pattern is _NEGATION and _NOT_NEGATION.match(segment, m.start()):
                continue
            hits.append(m.group().lower())
        return hits

    if rule.prop in _DIRECTED:
        before = _DIRECTIVE.sub(lambda m: " " * len(m.group()), before)
    negated = bool(triggers(_NEGATION, before, False) or triggers(_NEGATION, between, True)
                   or _POST_NEGATION.match(text[b.end:s0 + len(sentence)]))
    spec = triggers(_SPECULATION, before, False) + triggers(_SPECULATION, between, True)
    if rule.modal_is_assertive:
        spec = [w for w in spec if w not in _LABEL_MODALS]
    return negated, bool(spec)
