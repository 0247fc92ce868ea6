"""Typed relation patterns over one sentence, with negation and speculation (DESIGN §6).

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

from .. import iri as I
from ..model import Mention, Relation

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

RULES: tuple[_Rule, ...] = (
    _Rule("treats", _DRUG, _DISEASE,
          _rx(r"\b(?:treat(?:s|ed|ing)?|(?:is|are|was|were|be) (?:indicated|approved|used|effective|"
              r"prescribed|recommended) (?:for|in|to treat|against)|indicated (?:for|in)|approved for|"
              r"first-line (?:therapy|treatment|agent|drug) (?:for|in)|(?:the )?(?:treatment|therapy|"
              r"management) (?:of|for)|improv(?:e|es|ed|ing)|reduc(?:e|es|ed|ing)|lower(?:s|ed|ing)?|"
              r"alleviat(?:e|es|ed|ing)|reliev(?:e|es|ed|ing)|effective (?:in|for|against)|efficacy "
              r"(?:in|for|against)|beneficial (?:in|for)|cur(?:e|es|ed)|prevent(?:s|ed|ing)?|used to treat|"
              r"used (?:for|in))\b"),
          _rx(r"\b(?:(?:is|are|was|were) (?:treated|managed|controlled) (?:with|by|using)|treated with|"
              r"responds? to|respond(?:ed)? well to|therapy with|treatment with)\b"),
          0.85),
    _Rule("hasSymptom", _DISEASE, _SYMPTOM,
          _rx(r"\b(?:present(?:s|ed|ing)? (?:with|as)|symptoms? (?:include|includes|including|are|such as)|"
              r"characteri[sz]ed by|manifest(?:s|ed|ing)? (?:as|with|by)|caus(?:e|es|ed|ing)|lead(?:s|ing)? to|"
              r"result(?:s|ed|ing)? in|accompanied by|signs? (?:include|includes|are)|typically (?:causes|"
              r"includes)|produces?)\b"),
          _rx(r"\b(?:(?:is|are|was|were) (?:an? |the )?(?:common |typical |cardinal |classic |early |main |"
              r"frequent |key )?(?:symptoms?|signs?|features?|manifestations?|complaints?) of|symptoms? of|"
              r"signs? of|due to|caused by|secondary to|(?:common|frequent|typical|seen|observed|occurs?|"
              r"reported|present) in)\b"),
          0.8),
    _Rule("hasSideEffect", _DRUG, _CONDITION,
          _rx(r"(?:\b(?:caus(?:e|es|ed|ing)|can cause|may cause|induc(?:e|es|ed|ing)|side effects? (?:include|"
              r"includes|such as|are|were)|adverse (?:effects?|reactions?|events?) (?:include|includes|such as|"
              r"are|were|was|is)|increas(?:e|es|ed|ing) the (?:risk|incidence) of|(?:is|are|was|were) associated "
              r"with(?: an? (?:increased )?risk of)?|cases? of|lead(?:s)? to|led to|result(?:s|ed)? in)\b"
              r"|-induced\b)"),
          _rx(r"\b(?:(?:is|are|was|were) (?:an? |the )?(?:[\w-]+ ){0,3}?(?:side effects?|adverse "
              r"(?:effects?|reactions?|events?)) of|caused by|induced by|due to|associated with (?:the )?use of|"
              r"after (?:taking|starting)|(?:patients|people|those|subjects|adults|children|users) (?:taking|"
              r"receiving|treated with|on))\b"),
          0.8, modal_is_assertive=True),
    _Rule("contraindicatedFor", _DRUG, _CONDITION,
          _rx(r"\b(?:(?:is|are) )?contraindicated (?:in|for|with|during)|(?:should|must) not be (?:used|given|"
              r"taken|administered|prescribed) (?:in|to|by|for|during)|(?:is|are) not recommended (?:in|for|"
              r"during)|avoid(?:ed)? (?:in|during)|do not use (?:in|during)\b"),
          _rx(r"\b(?:contraindicat\w*|should (?:avoid|not (?:use|take|receive))|must (?:avoid|not (?:use|"
              r"take|receive)))\b"),
          0.9, modal_is_assertive=True),
    _Rule("interactsWith", _DRUG, _DRUG,
          _rx(r"\b(?:interact(?:s|ed)? with|interaction with|interfer(?:e|es|ed|ing) with|potentiat(?:es|ed)|(?:increas|decreas|reduc)"
              r"(?:es|ed|ing) the (?:\w+ )?(?:effects?|levels?|concentrations?|exposure|toxicity|clearance|"
              r"metabolism) of|inhibits? the metabolism of|(?:should|must) not be (?:combined|co-?administered|"
              r"used|given|taken) (?:with|together with)|(?:in combination|combined|co-?administered|"
              r"concomitantly|together) with)\b"),
          None, 0.8, modal_is_assertive=True),
    _Rule("associatedWith", _GENE, _DISEASE,
          _rx(r"\b(?:caus(?:e|es|ed|ing)|associated with|linked (?:to|with)|implicated in|responsible for|"
              r"underl(?:ie|ies|ying)|contribut(?:es|ing) to|predispos(?:es|ing) to|increas(?:e|es|ed|ing) "
              r"(?:the )?(?:risk|susceptibility) (?:of|for|to)|risk factor for|lead(?:s)? to|result(?:s)? in)\b"),
          _rx(r"\b(?:caused by|due to|results? from|associated with|linked (?:to|with)|attributed to)\b"),
          0.8),
    _Rule("targets", _DRUG, _GENE,
          _rx(r"\b(?:inhibit(?:s|ed|ing)?|inhibitor of|target(?:s|ed|ing)?|binds?(?: to)?|block(?:s|ed|ing)?|"
              r"antagoni(?:s|z)(?:es|ed)|antagonist (?:of|at)|agonist (?:of|at)|activat(?:es|ed)|activator of|"
              r"potentiat(?:es|ed)|potentiator of|acts? (?:on|at)|modulat(?:es|ed)|modulator of|"
              r"acetylat(?:es|ed)|suppress(?:es|ed))\b"),
          _rx(r"^\s*(?:the )?(?:inhibitors?|potentiators?|antagonists?|agonists?|blockers?|modulators?|"
              r"activators?)\s*(?:such as|,|like|including)?\s*$|\b(?:is|are) (?:inhibited|targeted|blocked|"
              r"bound|activated) by\b"),
          0.85),
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
)
# "vitamin K antagonist", "ACE inhibitors": a name that modifies a class noun is not the subject.
_CLASS_NOUN = _rx(r"\s*-?(?:antagonists?|inhibitors?|agonists?|blockers?|receptors?|analog(?:ue)?s?|"
                  r"derivatives?|based|containing|potentiators?|modulators?)\b")
# Effects of a combination belong to the interaction, not to each drug.
_COMBINATION = _rx(r"\b(?:co-?administ\w*|coadminist\w*|concomitant\w*|combin\w*|together with|"
                   r"in addition to)\b")
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


def _post_ok(post: str, obj_type: str) -> bool:
    """Between a cue and its object: a list of same-type mentions, filler words, and at most
    a few other words ("improves lung function in")."""
    if _FILLER.match(post):
        return True
    free = 0
    for word in _WORD.findall(post):
        if word.startswith("\u27e8"):
            if word != _PLACE.format(obj_type):
                return False
        elif not _FILLER.match(word):
            free += 1
    return free <= MAX_FREE_WORDS


_BREAKER = _rx(r";|\b(?:but|however|whereas|while|although|though|unlike|except)\b")
_NEGATION = _rx(r"\b(?:no|not|never|neither|nor|cannot|can't|didn't|doesn't|don't|isn't|wasn't|weren't|"
                r"aren't|hasn't|haven't|without|fail(?:s|ed)? to|lack of|absence of|ruled out|unlikely to|"
                r"no evidence|no longer)\b")
_NOT_NEGATION = _rx(r"\bnot only\b")
_POST_NEGATION = _rx(r"^[^.;]{0,40}?\b(?:(?:was|were|is|are) (?:not|never) (?:observed|seen|found|reported|"
                     r"present|detected|associated)|did not (?:occur|develop)|(?:was|were) absent|(?:was|were) "
                     r"ruled out)\b")
_SPECULATION = _rx(r"\b(?:might|could|may|possibly|potentially|potential|perhaps|suggest(?:s|ed|ing)?|"
                   r"whether|hypothes\w+|unclear|unknown|uncertain|investigat\w+|remains? to be|to "
                   r"(?:determine|assess|evaluate|examine|explore|test))\b")
_LABEL_MODALS = {"may", "could", "can", "potential", "potentially"}
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
    return set(types.get(m.iri or "", ())) | {m.type}


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
    if _BREAKER.search(between):
        return None
    modifiers = {id(m) for m in (a, b) if _CLASS_NOUN.match(text, m.end)}
    best: tuple[float, int, _Rule, Mention, Mention, re.Match[str]] | None = None
    for rule in RULES:
        for subj, obj, pattern, ts, to in ((a, b, rule.forward, ta, tb), (b, a, rule.reverse, tb, ta)):
            if pattern is None or not (rule.domain & ts) or not (rule.range & to) or id(subj) in modifiers:
                continue
            if rule.prop == "hasSideEffect" and _in_combination(text, s0, mentions, subj):
                continue
            for cue in pattern.finditer(between):
                pre, post = between[:cue.start()], between[cue.end():]
                if not _post_ok(post, obj.type) or len(pre) > 90 or _PLACE.format(obj.type) in pre:
                    continue
                score = rule.weight - max(0, len(pre) - 25) * 0.003
                if best is None or (cue.end(), score) > (best[1], best[0]):
                    best = (score, cue.end(), rule, subj, obj, cue)
    if best is None and id(a) not in modifiers:
        best = _prefixed(text, s0, a, b, ta, tb, between)
    if best is None:
        return None
    score, _, rule, subj, obj, cue = best
    negated, speculative = _modality(text, s0, sentence, a, b, between, cue, rule)
    confidence = max(0.05, min(1.0, score * min(a.confidence, b.confidence)))
    if speculative:
        confidence *= 0.5
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
        if joined and _post_ok(between[joined.end():], b.type):
            return (rule.weight * 0.95, 0, rule, a, b, None)
    return None


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

    negated = bool(triggers(_NEGATION, before, False) or triggers(_NEGATION, between, True)
                   or _POST_NEGATION.match(text[b.end:s0 + len(sentence)]))
    spec = triggers(_SPECULATION, before, False) + triggers(_SPECULATION, between, True)
    if rule.modal_is_assertive:
        spec = [w for w in spec if w not in _LABEL_MODALS]
    return negated, bool(spec)
